"""MPI3D from its npz, on sparse fakes of the real size (1,036,800 x 64 x 64 x 3, a few KB on disk)."""

import zipfile

import numpy as np
import pytest

import zoo.data
from data_layouts import require_sparse, truncate, write_sparse_npy, write_sparse_npz
from zoo.data import files
from zoo.data.files import DatasetFileError

N = 1_036_800
# Row-major bases of (6, 6, 2, 3, 3, 40, 40): 172800 = 6*2*3*3*40*40, 28800 = 2*3*3*1600, 14400 = 3*3*1600,
# 4800 = 3*1600, 1600 = 40*40, 40, 1 (the README's reshape([6, 6, 2, 3, 3, 40, 40, 64, 64, 3])).
BASES = (172_800, 28_800, 14_400, 4_800, 1_600, 40, 1)
MARKS = {0: (0, 0, 0, 0, 0, 0, 0), 41: (0, 0, 0, 0, 0, 1, 1),
         5 * 172_800 + 2 * 28_800 + 14_400 + 2 * 4_800 + 1_600 + 39 * 40 + 7: (5, 2, 1, 2, 1, 39, 7), N - 1: None}


def marked_images():
    rng = np.random.default_rng(0)
    return {row: rng.integers(1, 256, (64, 64, 3), dtype=np.uint8) for row in MARKS}


@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    path = write_sparse_npz(tmp_path_factory.mktemp("mpi3d") / "mpi3d_toy.npz", (N, 64, 64, 3), marked_images())
    require_sparse(path)
    return path


def test_real_layout_is_looked_up_by_factor_index(npz):
    data = zoo.data.load("mpi3d_toy", path=npz.parent)  # the folder, as disentanglement_lib lays it out
    assert data.factor_sizes == (6, 6, 2, 3, 3, 40, 40) and data.num_observations == N
    assert data.factor_names[0] == "object_color" and data.factor_names[-1] == "vertical_axis"
    np.testing.assert_array_equal(data.factor_bases, BASES)
    images = marked_images()
    for row, factors in MARKS.items():
        if factors is not None:
            assert data.index_of([factors]).tolist() == [row]
        got = data.sample_observations_from_factors(data.factors_of([row]))
        assert got.dtype == np.float32 and got.shape == (1, 64, 64, 3)
        # disentanglement_lib: images[index] / 255.
        np.testing.assert_allclose(got[0], images[row] / 255.0, rtol=1e-6)
    factors, obs = data.sample(5, rng=1)
    assert factors.shape == (5, 7) and obs.shape == (5, 64, 64, 3)


@pytest.mark.parametrize("name", ["mpi3d_realistic", "mpi3d_real"])
def test_other_variants_read_the_same_layout(npz, name):
    data = zoo.data.load(name, path=npz)
    assert data.name == name and data.factor_sizes == (6, 6, 2, 3, 3, 40, 40)


def test_challenge_era_file_gets_disentanglement_libs_sizes(tmp_path):
    # 460,800 = 4*4*2*3*3*40*40: the 2019 challenge files, for which disentanglement_lib's mpi3d.py wrote 4, 4.
    image = np.full((64, 64, 3), 200, np.uint8)
    path = write_sparse_npz(tmp_path / "mpi3d_toy.npz", (460_800, 64, 64, 3), {3 * 115_200 + 7: image})
    require_sparse(path)
    data = zoo.data.load("mpi3d_toy", path=path)
    assert data.factor_sizes == (4, 4, 2, 3, 3, 40, 40)
    got = data.sample_observations_from_factors([[3, 0, 0, 0, 0, 0, 7]])
    np.testing.assert_allclose(got[0], 200 / 255.0, rtol=1e-6)


def test_npy_of_the_images_is_read_too(tmp_path):
    image = np.full((64, 64, 3), 9, np.uint8)
    path = write_sparse_npy(tmp_path / "mpi3d_real.npy", (N, 64, 64, 3), {N - 2: image})
    require_sparse(path)
    data = zoo.data.load("mpi3d_real", path=path)
    np.testing.assert_allclose(data.sample_observations_from_factors(data.factors_of([N - 2]))[0], 9 / 255.0)


def test_wrong_shape_is_refused(tmp_path):
    path = write_sparse_npz(tmp_path / "mpi3d_toy.npz", (1000, 64, 64, 3))
    with pytest.raises(DatasetFileError, match=r"expected images uint8 \(N, 64, 64, 3\) with N = 1,036,800 or "
                                               r"460,800; found uint8 \(1000, 64, 64, 3\)"):
        zoo.data.load("mpi3d_toy", path=path)
    path = write_sparse_npz(tmp_path / "mpi3d_toy.npz", (N, 64, 64), dtype=np.uint8)
    require_sparse(path)
    with pytest.raises(DatasetFileError, match=r"found uint8 \(1036800, 64, 64\)"):
        zoo.data.load("mpi3d_toy", path=path)


def test_wrong_dtype_and_missing_array_are_named(tmp_path):
    path = write_sparse_npz(tmp_path / "mpi3d_toy.npz", (N, 64, 64, 3), dtype=np.float32)
    require_sparse(path)
    with pytest.raises(DatasetFileError, match=r"expected images uint8 .* found float32 \(1036800, 64, 64, 3\)"):
        zoo.data.load("mpi3d_toy", path=path)
    np.savez(tmp_path / "other.npz", imgs=np.zeros((2, 64, 64, 3), np.uint8))
    with pytest.raises(DatasetFileError, match=r"expected an array named 'images'; the npz holds \['imgs'\]"):
        zoo.data.load("mpi3d_toy", path=tmp_path / "other.npz")


def test_truncated_file_is_refused(tmp_path):
    path = write_sparse_npz(tmp_path / "mpi3d_toy.npz", (N, 64, 64, 3))
    require_sparse(path)
    truncate(path, 0.6)  # the zip's directory, at the end, is gone
    with pytest.raises(DatasetFileError, match=r"not a readable npz file \(truncated or corrupt\?\)"):
        zoo.data.load("mpi3d_toy", path=path)
    npy = write_sparse_npy(tmp_path / "mpi3d_toy.npy", (N, 64, 64, 3))
    truncate(npy, 0.6)
    with pytest.raises(DatasetFileError, match=r"is truncated: its 1,036,800 rows .* need 12,740,198,528 bytes"):
        zoo.data.load("mpi3d_toy", path=npy)


def test_size_and_sha256_are_checked_when_given(npz):
    with pytest.raises(DatasetFileError, match=r"expected 123 bytes, found 12,740,198,762 bytes"):
        zoo.data.load("mpi3d_toy", path=npz, size=123)


def test_compressed_npz_names_the_way_out(tmp_path):
    images = np.arange(2 * 64 * 64 * 3, dtype=np.uint32).astype(np.uint8).reshape(2, 64, 64, 3)
    np.savez_compressed(tmp_path / "mpi3d_toy.npz", images=images)
    with pytest.raises(DatasetFileError, match="compressed inside the npz.*extract_npy"):
        zoo.data.load("mpi3d_toy", path=tmp_path)
    # The way out: unpack once, then the .npy reads lazily (here a small one, checked without row counts).
    out = files.extract_npy(tmp_path / "mpi3d_toy.npz", "images")
    assert out == tmp_path / "mpi3d_toy.npy"
    rows = files.npy_rows(out, row_shape=(64, 64, 3))
    np.testing.assert_array_equal(rows.read([1, 0, 1]), images[[1, 0, 1]])


def test_missing_file_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"mpi3d_toy.npz.*rr-learning/disentanglement_dataset"):
        zoo.data.load("mpi3d_toy")
    with pytest.raises(ValueError, match="tensorflow_datasets has no MPI3D"):
        zoo.data.load("mpi3d_toy", source="tfds")


def test_reading_is_lazy(npz):
    """Only the rows asked for are read: the loader keeps a file descriptor, no array of the file."""
    data = zoo.data.load("mpi3d_toy", path=npz)
    reader = data._lookup.reader
    assert isinstance(reader, files.RowFile) and reader.num_rows == N
    assert not any(isinstance(v, np.ndarray) and v.nbytes > 1 << 20 for v in vars(data).values())
    assert zipfile.ZipFile(npz).getinfo("images.npy").compress_type == zipfile.ZIP_STORED


def test_row_file_reads_any_order_and_repeats(tmp_path):
    array = np.random.default_rng(0).integers(0, 256, (50, 4, 3), dtype=np.uint8)
    np.save(tmp_path / "a.npy", array)
    rows = files.npy_rows(tmp_path / "a.npy", row_shape=(4, 3))
    index = [49, 0, 1, 2, 7, 7, 3, 48]
    np.testing.assert_array_equal(rows.read(index), array[index])
    with pytest.raises(IndexError):
        rows.read([50])
