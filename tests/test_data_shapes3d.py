"""3D Shapes from DeepMind's 3dshapes.h5 (a sparse fake of the real 480,000 x 64 x 64 x 3 layout) and tfds."""

from unittest import mock

import numpy as np
import pytest

import zoo.data
from data_layouts import require_sparse, shapes3d_labels, truncate, write_shapes3d
from zoo.data.files import DatasetFileError

# Row-major bases of (10, 10, 10, 8, 4, 15), orientation fastest: 48000 = 10*10*8*4*15, 4800, 480 = 8*4*15,
# 60 = 4*15, 15, 1 (DeepMind's README: "we varied one latent at a time, starting from orientation").
BASES = (48_000, 4_800, 480, 60, 15, 1)
MARKS = {0: (0, 0, 0, 0, 0, 0), 1: (0, 0, 0, 0, 0, 1), 9 * 48_000 + 3 * 4_800 + 7 * 480 + 5 * 60 + 2 * 15 + 14:
         (9, 3, 7, 5, 2, 14), 479_999: (9, 9, 9, 7, 3, 14)}


def marked_images():
    rng = np.random.default_rng(3)
    return {row: rng.integers(1, 256, (64, 64, 3), dtype=np.uint8) for row in MARKS}


@pytest.fixture(scope="module")
def h5(tmp_path_factory):
    path = write_shapes3d(tmp_path_factory.mktemp("shapes3d") / "3dshapes.h5", marked_images())
    require_sparse(path)
    return path


def test_real_layout_is_looked_up_by_factor_index(h5):
    data = zoo.data.load("shapes3d", path=h5.parent, verify=False)
    assert data.factor_names == ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
    assert data.factor_sizes == (10, 10, 10, 8, 4, 15) and data.num_observations == 480_000
    np.testing.assert_array_equal(data.factor_bases, BASES)
    images = marked_images()
    for row, factors in MARKS.items():
        assert data.index_of([factors]).tolist() == [row]
        # disentanglement_lib: images[index] / 255.
        np.testing.assert_allclose(data.sample_observations_from_factors([factors])[0], images[row] / 255.0, rtol=1e-6)
    # The value grids come from the labels.
    np.testing.assert_allclose(data.factor_values[3], np.linspace(0.75, 1.25, 8))
    np.testing.assert_allclose(data.factor_values[5], np.linspace(-30, 30, 15))
    factors, obs = data.sample(4, rng=0)
    assert factors.shape == (4, 6) and obs.shape == (4, 64, 64, 3) and obs.dtype == np.float32


def test_checked_against_the_published_file_by_default(h5):
    # tensorflow_datasets 4.9.10, datasets/shapes3d/checksums.tsv: 267,573,662 bytes.
    with pytest.raises(DatasetFileError, match=r"expected 267,573,662 bytes with sha256 0a0f6ed98baff276.*found "):
        zoo.data.load("shapes3d", path=h5)


def test_rows_out_of_order_are_refused(tmp_path):
    labels = shapes3d_labels(np.arange(480_000))
    labels[[10, 11]] = labels[[11, 10]]
    path = write_shapes3d(tmp_path / "3dshapes.h5", labels=labels)
    require_sparse(path)
    with pytest.raises(DatasetFileError, match=r"not in DeepMind's row-major factor order: row 10 is labelled with "
                                               r"the factors of image 11 \(2 rows out of place\)"):
        zoo.data.load("shapes3d", path=path, verify=False)


def test_wrong_shape_and_missing_arrays_are_named(tmp_path):
    path = write_shapes3d(tmp_path / "a.h5", image_shape=(32, 32, 3))
    with pytest.raises(DatasetFileError, match=r"expected images uint8 \(480000, 64, 64, 3\); found uint8 "
                                               r"\(480000, 32, 32, 3\)"):
        zoo.data.load("shapes3d", path=path, verify=False)
    path = write_shapes3d(tmp_path / "b.h5", num_images=1000, labels=shapes3d_labels(np.arange(1000)))
    with pytest.raises(DatasetFileError, match=r"found uint8 \(1000, 64, 64, 3\)"):
        zoo.data.load("shapes3d", path=path, verify=False)
    path = write_shapes3d(tmp_path / "c.h5", skip=("labels",))
    with pytest.raises(DatasetFileError, match=r"expected datasets images and labels .* missing \['labels'\]"):
        zoo.data.load("shapes3d", path=path, verify=False)
    labels = shapes3d_labels(np.arange(480_000))
    labels[:, 4] = 0.0
    path = write_shapes3d(tmp_path / "d.h5", labels=labels)
    with pytest.raises(DatasetFileError, match=r"labels column 4 \(shape\) should hold 4 distinct values; found 1"):
        zoo.data.load("shapes3d", path=path, verify=False)


def test_truncated_file_is_refused(tmp_path):
    path = write_shapes3d(tmp_path / "3dshapes.h5")
    require_sparse(path)
    truncate(path, 0.5)
    with pytest.raises(DatasetFileError, match=r"not a readable hdf5 file \(truncated or corrupt\?\)"):
        zoo.data.load("shapes3d", path=path, verify=False)


def test_missing_file_says_where_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"3dshapes.h5 .*storage.googleapis.com/3d-shapes"):
        zoo.data.load("shapes3d", path=tmp_path)


# tensorflow_datasets: nothing may start a download (no network; tfds would retry for minutes).

def test_tfds_not_prepared_fails_at_once(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'shapes3d' is not prepared in .*nothing is downloaded"):
        zoo.data.load("shapes3d", source="tfds", data_dir=tmp_path)


def spread_rows():
    """30 grid rows in which every factor takes each of its values (so tfds, which numbers the values
    it sees, gives the true classes)."""
    factors = np.array([[i % 10, (i * 3) % 10, (i * 7) % 10, i % 8, i % 4, i % 15] for i in range(30)])
    return factors @ np.asarray(BASES)


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    """tensorflow_datasets' own shapes3d builder, prepared from a 30-image h5 in the real layout."""
    import h5py
    import tensorflow_datasets as tfds

    folder = tmp_path_factory.mktemp("tfds")
    rows = spread_rows()
    with h5py.File(folder / "3dshapes.h5", "w") as h5:
        h5.create_dataset("images", data=np.stack([np.full((64, 64, 3), r % 251, np.uint8) for r in rows]))
        h5.create_dataset("labels", data=shapes3d_labels(rows))
    with mock.patch("tensorflow_datasets.core.download.DownloadManager.download",
                    lambda self, url: str(folder / "3dshapes.h5")):
        builder = tfds.builder("shapes3d", data_dir=str(folder))
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return folder


def test_tfds_prepared_set(tfds_dir):
    data = zoo.data.load("shapes3d", source="tfds", data_dir=tfds_dir)
    rows = spread_rows()
    assert not data._lookup.complete
    np.testing.assert_array_equal(data._lookup.present, np.sort(rows))
    for row in rows[:5]:
        image = data.sample_observations_from_factors(data.factors_of([row]))[0]
        np.testing.assert_allclose(image, (row % 251) / 255.0, rtol=1e-6)
    # Sampling stays on the 30 combinations present.
    assert set(data.index_of(data.sample_factors(200, rng=0)).tolist()) <= set(rows.tolist())
    np.testing.assert_allclose(data.factor_values[3], np.linspace(0.75, 1.25, 8), rtol=1e-6)
    with pytest.raises(ValueError, match="not in tensorflow_datasets shapes3d"):
        data.sample_observations_from_factors([[1, 1, 1, 1, 1, 1]])
