"""Public functions given a wrong type, an absurd range or a path that escapes (issue 32): each is
refused up front with a TypeError or ValueError that names the argument, never accepted silently
or failing later deep inside numpy, PIL or `fit`."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import zoo
import zoo.data
import zoo.metrics
import zoo.models

REPO = Path(__file__).resolve().parents[1]


ENTRY_POINTS = [
    (lambda: zoo.load(None), TypeError, "name must be a manifest name"),
    (lambda: zoo.load(5), TypeError, "got int 5"),
    (lambda: zoo.load(b"vae-dsprites"), TypeError, "got bytes"),
    (lambda: zoo.load("vae-dsprites", revision=3), TypeError, "revision must be"),
    (lambda: zoo.data.load(None), TypeError, "name must be a dataset's name"),
    (lambda: zoo.data.load(b"tiny"), TypeError, "got bytes"),
    (lambda: zoo.models.get(None), TypeError, "name must be an objective's name"),
    (lambda: zoo.models.get(5), TypeError, "got int 5"),
    # Seeds numpy and Keras cannot take were accepted here and failed later inside them.
    (lambda: zoo.models.get("beta_vae", input_shape=(16, 16, 1), seed=2**32), ValueError,
     r"seed must be an integer in [0, 2**32 - 1]; got 4294967296"),
]


def _tiny_run_settings(**changes):
    import zoo.runs

    return zoo.runs.RunSettings(dataset="tiny", steps=1, latent_dim=2, hparams={"beta": 1.0}).replace(**changes)


# Found by this session's own adversarial pass (the closing note lists the probes).
ADVERSARIAL = [
    (lambda: zoo.metrics.evaluate(lambda x: x.reshape(len(x), -1)[:, :3], zoo.data.load("tiny"), metrics=[],
                                  num_train=50, num_test=20), ValueError, "metrics is empty"),  # returned {}
    (lambda: zoo.metrics.evaluate(None, zoo.data.load("tiny"), metrics=["mig"], num_train=50, num_test=20),
     TypeError, "representation_fn must be a function"),  # 'NoneType' object is not callable
    (lambda: zoo.models.get("beta_vae", input_shape=None), ValueError, "input_shape must be (H, W, C); got None"),
    (lambda: zoo.load(""), ValueError, "name is empty"),  # loaded '.' as a preset folder
    (lambda: __import__("zoo.presets").presets.load_preset(None), TypeError, "directory must be a preset folder"),
    (lambda: __import__("zoo.registry").registry.resolve_model(None), TypeError, "model must be a manifest name"),
    (lambda: _tiny_run_settings(seed=2**40).check(), ValueError, "--seed must be at most 2**32 - 1"),
    (lambda: _tiny_run_settings(dataset=None).check(), ValueError, "--dataset must be a name (a str); got None"),
    (lambda: _tiny_run_settings(model=5).check(), ValueError, "--model must be a name (a str); got 5"),
    (lambda: __import__("zoo.runs").runs.train(None, "/nonexistent/x"), TypeError, "settings must be a RunSettings"),
    (lambda: __import__("zoo.runs").runs.train(_tiny_run_settings(), None), TypeError, "out must be the run folder"),
    (lambda: __import__("zoo.runs").runs.train(_tiny_run_settings(), "/nonexistent/x", checkpoint_every=True),
     ValueError, "--checkpoint_every must be at least 1; got True"),  # True trained as 1
    (lambda: __import__("zoo.study").study.jobs("study", "tiny"), TypeError, "got the str 'tiny'"),  # 4 "datasets"
    (lambda: __import__("zoo.study").study.jobs("study", ("tiny",), -1), ValueError, "num_seeds must be a positive"),
]


@pytest.mark.parametrize("call, error, message", ADVERSARIAL)
def test_the_adversarial_pass_findings_are_refused(call, error, message):
    with pytest.raises(error, match=_literal(message)):
        call()


@pytest.mark.parametrize("call, error, message", ENTRY_POINTS)
def test_entry_points_name_a_wrong_argument(call, error, message):
    with pytest.raises(error, match=_literal(message)):
        call()


def _literal(text):
    import re

    return re.escape(text)


def test_the_largest_seed_numpy_takes_builds():
    assert zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=2, seed=2**32 - 1).seed == 2**32 - 1


def test_encode_once_must_be_a_bool():
    """"false" is a non-empty string, so it was taken as True."""
    data = zoo.data.load("tiny")
    with pytest.raises(TypeError, match="encode_once must be True, False or None; got str 'false'"):
        zoo.metrics.evaluate(lambda x: x.reshape(len(x), -1)[:, :3], data, metrics=["mig"], num_train=50,
                             num_test=20, encode_once="false")


def test_complex_codes_are_refused_not_cast():
    """Complex codes lost their imaginary part with only numpy's ComplexWarning."""
    data = zoo.data.load("tiny")
    with pytest.raises(ValueError, match="representation_fn must return real codes; got complex64"):
        zoo.metrics.evaluate(lambda x: x.reshape(len(x), -1)[:, :3].astype(np.complex64), data, metrics=["mig"],
                             num_train=50, num_test=20)
    codes, factors = np.random.default_rng(0).normal(size=(50, 3)), np.random.default_rng(1).integers(0, 3, (50, 2))
    with pytest.raises(ValueError, match="codes must be numeric; got dtype complex128"):
        zoo.metrics.mig(codes.astype(complex), factors)
    with pytest.raises(ValueError, match="factors must be real numbers; got dtype complex128"):
        zoo.metrics.mig(codes, factors.astype(complex))


def _png(path, array, mode=None):
    from PIL import Image

    Image.fromarray(array, mode).save(path)


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path):
    """A 16-bit gradient was clipped at 255 (98% of its pixels white); now it spans 0..255."""
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (64, 1))
    _png(tmp_path / "ramp.png", ramp)
    from PIL import Image

    assert Image.open(tmp_path / "ramp.png").mode.startswith("I")
    image = zoo.data.load("images", path=str(tmp_path), size=64, channels=1).images[0, :, :, 0]
    assert image.min() == 0 and image.max() == 255 and (image == 255).mean() < 0.05
    np.testing.assert_allclose(image[0], np.linspace(0, 255, 64), atol=2)


def test_image_options_are_whole_numbers_and_max_images_counts(tmp_path):
    for i in range(3):
        _png(tmp_path / f"{i}.png", np.full((8, 8, 3), 40 * i, np.uint8))
    with pytest.raises(ValueError, match="max_images must be a positive integer; got -1"):  # dropped the last
        zoo.data.load("images", path=str(tmp_path), size=16, max_images=-1)
    with pytest.raises(ValueError, match="size must be a positive integer; got 2.7"):  # became 2
        zoo.data.load("images", path=str(tmp_path), size=2.7)
    with pytest.raises(ValueError, match=r"size must be a whole number >= 1; got '2\.7'"):  # --dataset_options text
        zoo.data.load("images", path=str(tmp_path), size="2.7")
    assert zoo.data.load("images", path=str(tmp_path), size="16", max_images="2").images.shape == (2, 16, 16, 3)


def test_a_decompression_bomb_names_the_file(tmp_path, monkeypatch):
    from PIL import Image

    from zoo.data.files import DatasetFileError

    _png(tmp_path / "big.png", np.zeros((64, 64, 3), np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 64 x 64 is then past twice the limit
    with pytest.raises(DatasetFileError, match=r"big\.png is larger than Pillow decodes by default"):
        zoo.data.load("images", path=str(tmp_path), size=16)


def test_a_preset_listing_a_file_outside_its_folder_is_refused(tmp_path):
    from zoo import presets

    folder = tmp_path / "p"
    shutil.copytree(REPO / "weights" / "vae-dsprites", folder)
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    from zoo.files import file_digest

    size, sha = file_digest(outside)
    meta = json.loads((folder / "metadata.json").read_text())
    meta["files"]["../secret.txt"] = {"size": size, "sha256": sha}  # it matches: it was hashed and accepted
    (folder / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(presets.PresetError, match=r"lists '\.\./secret\.txt', a path outside the preset folder"):
        presets.load_preset(folder)


def test_pictures_need_two_values_and_a_reconstruction(tmp_path):
    from zoo import visualize

    model = zoo.models.get("beta_vae", input_shape=(16, 16, 1), latent_dim=2)
    data = zoo.data.load("tiny")
    for kwargs, message in (({"num_values": 1}, "num_values must be an integer >= 2; got 1"),
                            ({"num_values": 0}, "num_values must be an integer >= 2; got 0"),
                            ({"num_reconstructions": -1}, "num_reconstructions must be a positive integer; got -1")):
        with pytest.raises(ValueError, match=message):
            visualize.write_pictures(model, data, tmp_path / "pictures", **kwargs)
        assert not (tmp_path / "pictures").exists()  # nothing half-written


def _settings(**changes):
    import zoo.runs

    return zoo.runs.RunSettings(model="beta_vae", dataset="tiny", batch_size=4, latent_dim=2, steps=2,
                                hparams={"beta": 1.0}).replace(**changes)


@pytest.mark.parametrize("model", ["factor_vae", "dip_vae_i", "dip_vae_ii", "beta_tcvae"])
def test_batch_statistics_objectives_refuse_a_batch_of_one(tmp_path, model):
    """DIP-VAE's covariance, beta-TCVAE's minibatch q(z) and FactorVAE's permutation mean nothing at
    one sample (DIP's penalty is a constant): each objective declares its smallest batch."""
    import zoo.runs

    settings = _settings(model=model, batch_size=1, hparams=zoo.runs.resolve_hparams(model, {}))
    with pytest.raises(zoo.runs.RunSettingsError, match=f"--batch_size=1 is too small for {model}.*at least 2"):
        zoo.runs.train(settings, tmp_path / "run", progress=False, write_preset=False)
    assert not (tmp_path / "run").exists()
    assert zoo.models.get_class("beta_vae").MIN_BATCH_SIZE == 1


def test_resuming_with_fewer_steps_is_refused_and_run_json_kept(tmp_path):
    """It said "Resuming ... at step 4 of 2" and rewrote run.json to 2 while the checkpoint stayed at 4."""
    import zoo.runs

    run = tmp_path / "run"
    zoo.runs.train(_settings(steps=4), run, progress=False, write_preset=False, checkpoint_every=2)
    before = (run / "run.json").read_bytes()
    with pytest.raises(zoo.runs.RunSettingsError, match="holds a checkpoint at step 4, past --steps=2"):
        zoo.runs.train(_settings(steps=2), run, progress=False, write_preset=False, checkpoint_every=2)
    assert (run / "run.json").read_bytes() == before
    zoo.runs.train(_settings(steps=4), run, progress=False, write_preset=False, checkpoint_every=2)  # its own count
