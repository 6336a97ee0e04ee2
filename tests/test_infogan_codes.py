"""The InfoGAN code benchmark and pictures: slant and width on hand-made images, the sweeps' plumbing
on a fake generator whose codes are known, and a run on a tiny untrained model."""

import json

import numpy as np
import pytest

from benchmarks.infogan import infogan_codes
from benchmarks.infogan.infogan_codes import code_correlations, slant_and_width
from zoo import visualize


def band(slope: int, thickness: int, size: int = 28, rows=range(4, 24)) -> np.ndarray:
    """Ink at columns start(r) .. start(r) + thickness - 1 of each row r, start(r) = 12 - slope * (r - 14)
    (rows count downwards, so slope 1 puts the top to the right)."""
    image = np.zeros((size, size))
    for r in rows:
        start = 12 - slope * (r - 14)
        image[r, start:start + thickness] = 1.0
    return image


def test_slant_and_width_by_hand():
    # Upright bar, 4 columns wide: no slant; the columns are uniform over 4 positions, so the
    # horizontal variance is (4^2 - 1) / 12 and width = sqrt(15 / 12).
    # Diagonal band, 3 wide, one column per row: x - x_bar = y + j - 1 (y upwards, j = 0, 1, 2
    # independent of y), so mu_xy = mu_yy (shear 1, slant 45 degrees) and the residual variance is
    # that of j: (3^2 - 1) / 12. Mirrored: -45 degrees, same width.
    slant, width = slant_and_width(np.stack([band(0, 4), band(1, 3), band(-1, 3)])[..., None])
    np.testing.assert_allclose(slant, [0.0, 45.0, -45.0], atol=1e-9)
    np.testing.assert_allclose(width, [np.sqrt(15 / 12), np.sqrt(8 / 12), np.sqrt(8 / 12)], atol=1e-9)
    # Intensity scales cancel; an empty or flat (one-row) image has no slant.
    np.testing.assert_allclose(slant_and_width(0.3 * band(1, 3)[None])[0], [45.0])
    empty, flat = np.zeros((28, 28)), np.zeros((28, 28))
    flat[10, 5:15] = 1
    slant, width = slant_and_width(np.stack([empty, flat]))
    assert np.isnan(slant).all() and np.isnan(width).all()
    with pytest.raises(ValueError, match="non-negative"):
        slant_and_width(-band(0, 2)[None])


class FakeGenerator:
    """What the benchmarks read of an InfoGAN besides `decode`: its noise prior."""

    def draw_noise(self, rng, shape):
        return rng.standard_normal(shape).astype(np.float32)


class StrokeModel(FakeGenerator):
    """A fake InfoGAN whose c2 shears a vertical stroke and whose c3 thickens it (smooth rendering)."""

    num_categorical, num_continuous, noise_dim = 10, 2, 3

    def decode(self, codes, noise=None):
        codes = np.asarray(codes)
        shear = 0.4 * codes[:, 10]                    # x offset per row upwards
        sigma = 1.5 + 0.6 * codes[:, 11]              # stroke thickness
        rows, cols = np.mgrid[:28, :28].astype(float)
        y = 14.0 - rows
        centre = 14.0 + 0.1 * codes[:, :10].argmax(1)[:, None, None] + shear[:, None, None] * y[None]
        ink = np.exp(-0.5 * ((cols[None] - centre) / sigma[:, None, None]) ** 2) * ((rows > 3) & (rows < 25))[None]
        return ink[..., None].astype(np.float32)


def test_code_correlations_find_the_codes_that_shear_and_thicken():
    c2, c3 = code_correlations(StrokeModel(), num_sweeps=20, num_values=7, seed=1)
    assert (c2["code"], c3["code"]) == ("c2", "c3")
    assert c2["slant_rho"] == pytest.approx(1.0) and c3["width_rho"] == pytest.approx(1.0)
    # Shearing by 0.4 px per row over [-1, 1]: atan(0.4) - atan(-0.4) = 43.6 degrees.
    assert c2["slant_range_deg"] == pytest.approx(2 * np.degrees(np.arctan(0.4)), abs=0.5)
    # Thickening does not slant (up to the image border cutting the stroke's tails).
    assert abs(c3["slant_range_deg"]) < 0.1 and c3["width_range_px"] > 0.5


class CodeImageModel(FakeGenerator):
    """A fake InfoGAN whose 3x3 images show its inputs: pixel 0 = class / 9, 1 = (c2 + 2) / 4,
    2 = (c3 + 2) / 4, 3 = the first noise value squashed to (0, 1)."""

    num_categorical, num_continuous, noise_dim = 10, 2, 2

    def decode(self, codes, noise=None):
        codes, noise = np.asarray(codes), np.asarray(noise)
        out = np.zeros((len(codes), 9), np.float32)
        out[:, 0] = codes[:, :10].argmax(1) / 9
        out[:, 1:3] = (codes[:, 10:] + 2) / 4
        out[:, 3] = 1 / (1 + np.exp(-noise[:, 0]))
        return out.reshape(-1, 3, 3, 1)


def tiles(grid, rows, cols, left=0, size=3, pad=2):
    """The [rows, cols, 9] pixel values (0..1) of `visualize._tile`'s grid (channel 0)."""
    out = np.zeros((rows, cols, size * size))
    for r in range(rows):
        for k in range(cols):
            y, x = pad + r * (size + pad), left + pad + k * (size + pad)
            out[r, k] = grid[y:y + size, x:x + size, 0].reshape(-1) / 255.0
    return out


def test_targets_need_a_code_of_their_own_for_slant_and_width():
    codes = infogan_codes.CODES_TARGET
    both_in_one = {"cluster_accuracy": 0.95, "codes": [{"slant_rho": -0.9, "width_rho": 0.8},
                                                        {"slant_rho": 0.1, "width_rho": 0.2}]}
    assert infogan_codes.targets(both_in_one) == {"cluster_accuracy >= 0.90": True, codes: False}
    one_each = {"cluster_accuracy": 0.6, "codes": [{"slant_rho": -0.9, "width_rho": 0.8},
                                                    {"slant_rho": 0.1, "width_rho": -0.75}]}
    assert infogan_codes.targets(one_each) == {"cluster_accuracy >= 0.90": False, codes: True}
    # The shipped infogan-mnist's codes: both slant; c2 follows width too, but with slant as well (0.998 >= 0.5).
    shipped = {"cluster_accuracy": 0.953, "codes": [{"code": "c2", "slant_rho": 0.998, "width_rho": 0.891},
                                                     {"code": "c3", "slant_rho": -0.900, "width_rho": 0.550}]}
    assert infogan_codes.targets(shipped) == {"cluster_accuracy >= 0.90": True, codes: False}
    width_slants = {"cluster_accuracy": 0.95, "codes": [{"slant_rho": 0.9, "width_rho": 0.1},
                                                         {"slant_rho": 0.5, "width_rho": 0.9}]}
    assert not infogan_codes.targets(width_slants)[codes]  # the bound is strict: |rho| with slant < 0.5


def test_code_sweep_grid_varies_one_code_along_the_row():
    model = CodeImageModel()
    c1 = tiles(visualize.code_sweep_grid(model, 1, num_rows=4, seed=0), 4, 10)
    np.testing.assert_allclose(c1[:, :, 0], np.tile(np.arange(10) / 9, (4, 1)), atol=1 / 255)
    for pixel in (1, 2, 3):  # continuous codes and noise fixed along each row, differing across rows
        assert np.ptp(c1[:, :, pixel], axis=1).max() < 1 / 255 and np.ptp(c1[:, 0, pixel]) > 0.01
    c3 = tiles(visualize.code_sweep_grid(model, 3, num_values=5, seed=0), 10, 5, left=40)
    np.testing.assert_allclose(c3[:, :, 2], np.tile((np.linspace(-2, 2, 5) + 2) / 4, (10, 1)), atol=1 / 255)
    np.testing.assert_allclose(c3[:, :, 0], np.tile(np.arange(10)[:, None] / 9, (1, 5)), atol=1 / 255)
    np.testing.assert_allclose(c3[:, :, 1], 0.5, atol=1 / 255)        # the other continuous code at 0
    assert np.ptp(c3[:, :, 3], axis=1).max() < 1 / 255                # noise fixed along the row
    with pytest.raises(ValueError, match="c1..c3"):
        visualize.code_sweep_grid(model, 4)


@pytest.fixture(scope="module")
def tiny_preset(tmp_path_factory):
    import keras

    import zoo.models
    from zoo import presets

    keras.utils.set_random_seed(0)
    model = zoo.models.get("infogan", input_shape=(28, 28, 1), num_categorical=10, num_continuous=2, noise_dim=4,
                           filters=4)
    metadata = {"dataset": {"name": "mnist", "source": "rendered", "observation_shape": [28, 28, 1]},
                "training": {"steps": 0}}
    return presets.save_preset(model, tmp_path_factory.mktemp("preset") / "infogan-tiny", objective="infogan",
                               metadata=metadata, name="infogan-tiny")


def test_run_on_an_untrained_model(tiny_preset, tmp_path):
    result = infogan_codes.run(True, tmp_path, model=str(tiny_preset))
    json.dumps(result)
    assert result["num_images"] == 500 and "'test' split" in result["held_out"]
    assert 0.1 <= result["cluster_accuracy"] <= 1.0 and 1 <= result["codes_used"] <= 10
    # The training digits too (the served-seed rule's score): the built-in source's other 4,500.
    assert result["train_num_images"] == 4500 and "'train' split" in result["train_digits"]
    import zoo
    import zoo.data
    from zoo import metrics

    model, train = zoo.load(str(tiny_preset)), zoo.data.load("mnist", split="train")
    assert result["train_cluster_accuracy"] == metrics.cluster_accuracy(
        model.categorical_code(train.observations()), train.labels)["cluster_accuracy"]
    assert [c["code"] for c in result["codes"]] == ["c2", "c3"]
    assert all(-1.0 <= c[key] <= 1.0 for c in result["codes"] for key in ("slant_rho", "width_rho"))
    assert result["pictures"] == ["infogan_c1.png", "infogan_c2.png", "infogan_c3.png"]
    assert all((tmp_path / name).is_file() for name in result["pictures"])
    text = infogan_codes.markdown(result)
    assert "| c2 |" in text and "cluster accuracy" in text and "![infogan_c3.png](infogan_c3.png)" in text
    with pytest.raises(SystemExit, match="Train it first"):
        infogan_codes.run(True, tmp_path, model=str(tmp_path / "absent"))


def test_update_card_writes_the_scores_and_the_three_pictures(tiny_preset, tmp_path):
    import shutil

    from zoo import cards, presets

    folder = shutil.copytree(tiny_preset, tmp_path / "preset")
    result = infogan_codes.run(True, tmp_path / "out", model=str(folder))
    infogan_codes.update_card(str(folder), result, tmp_path / "out")
    meta = presets.check_preset(folder)  # the pictures' digests are recorded and match
    assert {"infogan_c1.png", "infogan_c2.png", "infogan_c3.png"} <= set(meta["files"])
    scores = cards.scores_from_card(folder / "README.md")
    assert scores["infogan_codes.cluster_accuracy"] == result["cluster_accuracy"]
    assert scores["infogan_codes.c3.width_rho"] == result["codes"][1]["width_rho"]
    assert scores["infogan_codes.train_cluster_accuracy"] == result["train_cluster_accuracy"]
    assert meta["score_settings"]["infogan_codes"]["num_images"] == 500
    assert "'train' split" in meta["score_settings"]["infogan_codes"]["train_digits"]
    assert "infogan_c2.png" in (folder / "README.md").read_text()


def test_held_out_digits_from_another_source(tiny_preset, tmp_path):
    """--held_out=source=file scores on the files' test set, and the card names it without a local path."""
    import struct

    from zoo.data.mnist_files import IDX_FILES

    rng = np.random.default_rng(0)
    arrays = {"train_images": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), "train_labels": np.arange(20) % 10,
              "test_images": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8), "test_labels": np.arange(30) % 10}
    folder = tmp_path / "mnist"
    folder.mkdir()
    for role, (name, *_rest) in IDX_FILES.items():  # IDX: magic 0x0800 + ndim, big-endian dims, bytes
        a = arrays[role]
        (folder / name).write_bytes(struct.pack(f">i{a.ndim}i", 0x0800 + a.ndim, *a.shape) + a.astype(np.uint8).tobytes())
    TEST_IMAGES = arrays["test_images"]
    result = infogan_codes.run(True, tmp_path / "out", model=str(tiny_preset), dataset_options=infogan_codes.parse_options(
        f"source=file,path={folder},verify=false"))
    assert result["num_images"] == len(TEST_IMAGES)
    assert result["held_out"] == f"MNIST's official test set ({len(TEST_IMAGES)} digits, source='file')"
    assert str(folder) not in result["held_out"]
    # On the card it is a score of its own; the default held-out score and the rank correlations stay.
    import shutil

    from zoo import cards, presets

    preset = shutil.copytree(tiny_preset, tmp_path / "preset")
    default = infogan_codes.run(True, tmp_path / "out0", model=str(preset))
    infogan_codes.update_card(str(preset), default, tmp_path / "out0")
    infogan_codes.update_card(str(preset), result, tmp_path / "out")
    scores = cards.scores_from_card(preset / "README.md")
    assert scores["infogan_codes_held_out.cluster_accuracy"] == result["cluster_accuracy"]
    assert "train_cluster_accuracy" not in result  # chosen held-out digits score those alone
    assert scores["infogan_codes.cluster_accuracy"] == default["cluster_accuracy"]
    assert scores["infogan_codes.c2.slant_rho"] == default["codes"][0]["slant_rho"]
    settings = presets.check_preset(preset)["score_settings"]
    assert settings["infogan_codes_held_out"]["num_images"] == 30 and settings["infogan_codes"]["num_images"] == 500
    with pytest.raises(SystemExit, match="takes k=v pairs"):
        infogan_codes.parse_options("source")
    with pytest.raises(SystemExit, match="always the source's 'test' split"):
        infogan_codes.run(True, tmp_path / "out", model=str(tiny_preset), dataset_options={"split": "train"})


def test_a_model_trained_on_the_files_needs_their_test_digits(tiny_preset, tmp_path, monkeypatch):
    """A model trained on MNIST's files is scored on their test digits by default; without the files
    the benchmark stops with what to install, not with a traceback or another source's digits."""
    import json
    import shutil

    preset = shutil.copytree(tiny_preset, tmp_path / "preset")
    meta = json.loads((preset / "metadata.json").read_text())
    meta["dataset"]["source"] = "file"
    (preset / "metadata.json").write_text(json.dumps(meta))
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "no-data"))
    with pytest.raises(SystemExit, match=r"'test' split of source 'file'.*not on this machine.*recipes.get_data"):
        infogan_codes.run(True, tmp_path / "out", model=str(preset))


def test_a_scored_run_is_added_as_a_seed_and_served_by_training_digit_accuracy(tiny_preset, tmp_path):
    """The seeds procedure for MNIST's InfoGAN (docs/seeds.md): update_card, then add_seed; the rule
    (docs/seeds_rule.md) ranks seeds by cluster accuracy on the training digits, not the held-out ones."""
    import shutil

    import zoo
    from zoo import manifest, registry, seed_rule

    def run_at(seed):
        folder = shutil.copytree(tiny_preset, tmp_path / f"seed{seed}")
        meta = json.loads((folder / "metadata.json").read_text())
        meta["training"] = {**meta["training"], "seed": seed, "batch_size": 8}
        (folder / "metadata.json").write_text(json.dumps(meta))
        result = infogan_codes.run(True, tmp_path / f"out{seed}", model=str(folder))
        infogan_codes.update_card(str(folder), result, tmp_path / f"out{seed}")
        return folder, result

    path = tmp_path / manifest.MANIFEST_NAME
    manifest.write_manifest({"schema_version": 1, "models": {}}, path)
    first, _ = run_at(0)
    registry.add_to_zoo(first, "infogan-tiny", manifest_path=path)
    second, result = run_at(1)
    meta = json.loads((second / "metadata.json").read_text())
    digits = meta["score_settings"]["infogan_codes"]["held_out"]
    meta["score_settings"]["infogan_codes"]["held_out"] = "other digits"
    (second / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(SystemExit, match="scored on held_out='other digits'"):
        infogan_codes.add_seed(str(second), "infogan-tiny", manifest_path=path)
    meta["score_settings"]["infogan_codes"]["held_out"] = digits
    (second / "metadata.json").write_text(json.dumps(meta))
    said = infogan_codes.add_seed(str(second), "infogan-tiny", manifest_path=path)
    assert "as training seed 1" in said
    assert zoo.seeds("infogan-tiny", manifest_path=path) == [0, 1]
    entry = manifest.load_manifest(path)["models"]["infogan-tiny"]
    assert seed_rule.rule_score(entry) == "infogan_codes.train_cluster_accuracy"
    records = seed_rule.seed_records(entry)
    assert records[1]["scores"]["infogan_codes.train_cluster_accuracy"] == result["train_cluster_accuracy"]
    # Same weights, same digits: the two seeds tie, and ties go to the lowest seed.
    assert entry["training"]["seed"] == 0
    with pytest.raises(ValueError, match="seeds are never replaced"):
        infogan_codes.add_seed(str(second), "infogan-tiny", manifest_path=path)
