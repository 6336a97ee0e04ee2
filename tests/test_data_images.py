"""Your own images (no factors): a folder, a numpy array, a prepared tfds set; and training on them."""

import numpy as np
import pytest

import zoo.data
from zoo.data.base import ObservationData
from zoo.data.files import DatasetFileError


def halves(width, height):
    """Left half red, right half blue."""
    image = np.zeros((height, width, 3), np.uint8)
    image[:, : width // 2, 0] = 255
    image[:, width // 2:, 2] = 255
    return image


@pytest.fixture
def folder(tmp_path):
    from PIL import Image

    (tmp_path / "sub").mkdir()
    Image.fromarray(halves(40, 20)).save(tmp_path / "a_wide.png")
    Image.fromarray(np.full((30, 30), 128, np.uint8)).save(tmp_path / "b_grey.png")
    rgba = np.zeros((16, 24, 4), np.uint8)
    rgba[..., 1] = 200
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "c_rgba.PNG")
    Image.fromarray(np.full((50, 20, 3), (0, 0, 250), np.uint8)).save(tmp_path / "sub" / "d_tall.jpg", quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    return tmp_path


def test_folder_is_resized_and_centre_cropped(folder):
    data = zoo.data.load("images", path=folder, size=10, channels=3)
    assert isinstance(data, ObservationData) and data.num_factors == 0
    assert data.observation_shape == (10, 10, 3) and data.num_images == 4
    assert [p.name for p in data.paths] == ["a_wide.png", "b_grey.png", "c_rgba.PNG", "d_tall.jpg"]
    # a_wide 40x20: the centre square is columns 10..29 (red 10..19, blue 20..29), shrunk 20 -> 10. Output
    # column j is centred on crop column 2j + 1 and Lanczos-3 at scale 2 reaches 3 * 2 = 6 columns each side,
    # so it sees crop columns 2j - 5 .. 2j + 7: the red/blue edge (at crop column 10) reaches j = 2..7 only.
    # Columns 0..1 are pure red, 8..9 pure blue, and the edge falls between 4 (mostly red) and 5 (mostly blue).
    wide = data.images[0].astype(int)
    assert np.all(wide[:, :2] == [255, 0, 0]) and np.all(wide[:, 8:] == [0, 0, 255])
    assert np.all(wide[:, 4, 0] > 200) and np.all(wide[:, 5, 2] > 200)
    assert np.all(data.images[1] == 128)  # grey, repeated into R, G, B
    assert np.all(data.images[2] == [0, 200, 0])  # RGBA: alpha dropped
    assert np.all(np.abs(data.images[3].astype(int) - [0, 0, 250]) <= 3)  # JPEG, nearly exact
    grey = zoo.data.load("images", path=folder, size=8, channels=1, recursive=False)
    assert grey.observation_shape == (8, 8, 1) and grey.num_images == 3
    # ITU-R 601 luma of pure red (PIL's "L"): 299/1000 * 255 = 76.2 -> 76.
    assert np.all(grey.images[0][:, :1, 0] == 76)


def test_folder_options_come_as_strings_from_the_recipe(folder):
    data = zoo.data.load("images", path=str(folder), size="16", channels="1", recursive="false", max_images="2")
    assert data.observation_shape == (16, 16, 1) and data.num_images == 2


def test_folder_errors_name_the_problem(folder, tmp_path_factory):
    (folder / "broken.jpg").write_bytes(b"this is no jpeg")
    with pytest.raises(DatasetFileError, match=r"cannot read .*broken.jpg .*Remove or replace the file"):
        zoo.data.load("images", path=folder)
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(FileNotFoundError, match=r"no PNG/JPG/JPEG files in"):
        zoo.data.load("images", path=empty)
    with pytest.raises(FileNotFoundError, match="folder not found"):
        zoo.data.load("images", path=empty / "missing")
    with pytest.raises(ValueError, match=r"channels must be 1 \(greyscale\) or 3 \(RGB\); got 2"):
        zoo.data.load("images", path=folder, channels=2)


def test_from_array(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (20, 16, 16), dtype=np.uint8)
    data = zoo.data.from_array(x)
    assert data.observation_shape == (16, 16, 1) and data.name == "array"
    factors, images = data.sample(7, rng=3)
    assert factors.shape == (7, 0) and images.shape == (7, 16, 16, 1) and images.dtype == np.float32
    # Each drawn image is one of x, scaled to [0, 1]; the same seed draws the same images.
    flat = x.reshape(20, -1) / 255.0
    for image in images:
        assert np.any(np.all(np.isclose(flat, image.reshape(1, -1)), axis=1))
    np.testing.assert_array_equal(images, data.sample_observations(7, rng=3))
    floats = zoo.data.from_array(np.full((3, 16, 16, 3), 0.25, np.float32))
    np.testing.assert_array_equal(floats.sample_observations(2, rng=0), 0.25)
    with pytest.raises(ValueError, match=r"float images must lie in \[0, 1\].*got values in \[2, 2\]"):
        zoo.data.from_array(np.full((3, 16, 16, 3), 2.0))
    # uint8 0/1 masks (how DeepMind stores dSprites) would be nearly black divided by 255: refused.
    with pytest.raises(ValueError, match=r"0/1 masks.*astype\('float32'\)"):
        zoo.data.from_array((np.arange(3 * 16 * 16).reshape(3, 16, 16) % 2).astype(np.uint8))
    with pytest.raises(ValueError, match=r"n must be an integer >= 0; got -1"):
        data.sample_observations(-1, rng=0)
    with pytest.raises(ValueError, match=r"C = 1 or 3 .* got shape \(3, 16, 16, 2\)"):
        zoo.data.from_array(np.zeros((3, 16, 16, 2), np.uint8))


def test_stream_is_batched_deterministic_and_resumable():
    data = zoo.data.from_array(np.random.default_rng(0).integers(0, 256, (50, 16, 16, 3), dtype=np.uint8))
    first = [b.numpy() for b in data.as_tf_dataset(8, seed=1).take(6)]
    assert first[0].shape == (8, 16, 16, 3) and first[0].dtype == np.float32
    again = [b.numpy() for b in data.as_tf_dataset(8, seed=1, start_batch=3).take(3)]
    for a, b in zip(first[3:], again):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="has no ground-truth factors"):
        data.as_tf_dataset(8, with_factors=True)


def test_supervised_metrics_refuse_images_without_factors():
    import zoo.metrics

    data = zoo.data.from_array(np.zeros((10, 16, 16, 1), np.uint8), name="my_faces")

    def codes(images):
        return images.reshape(len(images), -1)[:, :4]

    for call in (lambda: zoo.metrics.beta_vae_score(data, codes), lambda: zoo.metrics.factor_vae_score(data, codes),
                 lambda: zoo.metrics.evaluate(codes, data, metrics=["mig"], progress=False)):
        with pytest.raises(ValueError, match=r"needs ground-truth factors, and dataset 'my_faces' has none .*"
                                             r"zoo.metrics.unsupervised\(codes\) gives gaussian_total_correlation"):
            call()
    # ...and the unsupervised scores do work on its codes.
    scores = zoo.metrics.unsupervised(np.random.default_rng(0).normal(size=(200, 3)))
    assert set(scores) >= {"gaussian_total_correlation", "mutual_info_score"}


def test_docstring_example():
    import doctest

    from zoo.data import images

    result = doctest.testmod(images)
    assert result.attempted > 0 and result.failed == 0


# --- tensorflow_datasets: a tiny image set, really prepared (no download exists for it) -----------

def tiny_builder_class():
    import tensorflow_datasets as tfds

    class ZooTestImages(tfds.core.GeneratorBasedBuilder):
        """12 RGB images of varying sizes, image i filled with grey level 20 * i."""

        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict(
                {"image": tfds.features.Image(shape=(None, None, 3)), "label": tfds.features.ClassLabel(num_classes=2)}))

        def _split_generators(self, dl_manager):
            return {"train": self._generate_examples(range(10)), "test": self._generate_examples(range(10, 12))}

        def _generate_examples(self, indices):
            for i in indices:
                yield i, {"image": np.full((20 + i, 30, 3), 20 * i, np.uint8), "label": i % 2}

    return ZooTestImages


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tfds")
    builder = tiny_builder_class()(data_dir=str(folder))
    builder.download_and_prepare()
    return folder


def test_tfds_images(tfds_dir):
    data = zoo.data.load("tfds:zoo_test_images", data_dir=tfds_dir, split="train", size=16)
    assert data.observation_shape == (16, 16, 3) and data.num_images == 10 and data.name == "tfds:zoo_test_images"
    assert sorted(np.unique(data.images).tolist()) == [20 * i for i in range(10)]
    grey = zoo.data.load("tfds:zoo_test_images", data_dir=tfds_dir, split="test", size=8, channels=1)
    assert grey.observation_shape == (8, 8, 1) and grey.num_images == 2
    part = zoo.data.load("tfds:zoo_test_images", data_dir=tfds_dir, split="train[:30%]", size=8)
    assert part.num_images == 3


def test_tfds_errors(tfds_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'zoo_test_images' is not prepared in .*nothing is downloaded"):
        zoo.data.load("tfds:zoo_test_images", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"has no image feature 'picture'; its image features: image"):
        zoo.data.load("tfds:zoo_test_images", data_dir=tfds_dir, image_key="picture")
    with pytest.raises(ValueError, match=r"Unknown dataset 'tfds:'"):
        zoo.data.load("tfds:")


# --- training through recipes.train and zoo.runs -------------------------------------------------

def _settings(dataset, options, steps=3):
    return {"model": "beta_vae", "dataset": dataset, "dataset_options": options, "batch_size": 4, "seed": 0,
            "learning_rate": None, "latent_dim": 3, "hparams": {"beta": 1.0}, "steps": steps, "strategy": "default",
            "deterministic": False, "init_from": None}


def test_recipe_trains_on_a_folder(folder, tmp_path):
    from recipes import train
    from zoo_testing import run_main

    out = tmp_path / "run"
    assert run_main(train, ["--model=beta_vae", "--dataset=images", f"--dataset_options=path={folder},size=16,channels=3",
                            "--steps=3", "--batch_size=4", "--latent_dim=3", "--checkpoint_every=3", "--noprogress",
                            f"--out={out}"]) == 0
    assert (out / "checkpoints" / "ckpt-3.index").exists()
    assert (out / "preset" / "traversal.png").exists()  # the picture drawn from data.sample_observations
    import json

    metadata = json.loads((out / "preset" / "metadata.json").read_text())
    assert metadata["name"] == "betavae-images" and metadata["dataset"]["observation_shape"] == [16, 16, 3]
    trace = json.loads((out / "kl_trace.json").read_text())
    assert trace["steps"] == [0, 3] and len(trace["kl_per_latent"][0]) == 3


def test_train_function_on_tfds_and_array_sources(tfds_dir, tmp_path):
    import zoo.runs

    run = zoo.runs.train(_settings("tfds:zoo_test_images", {"data_dir": str(tfds_dir), "size": "16"}),
                         tmp_path / "tfds", progress=False, write_preset=False, checkpoint_every=3)
    assert (run / "checkpoints" / "ckpt-3.index").exists()

    x = np.random.default_rng(0).integers(0, 256, (40, 16, 16, 1), dtype=np.uint8)
    zoo.data.register("test_images_array")(lambda: zoo.data.from_array(x, name="test_images_array"))
    run = zoo.runs.train(_settings("test_images_array", {}), tmp_path / "array", progress=False,
                         write_preset=True, checkpoint_every=3)
    assert (run / "checkpoints" / "ckpt-3.index").exists() and (run / "preset" / "traversal.png").exists()
