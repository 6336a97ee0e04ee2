"""Real-file sources of dSprites, on tiny fakes in DeepMind's layouts: npz, hdf5, tfds."""

import numpy as np
import pytest

import zoo.data
from zoo.data import dsprites_files
from zoo.data.dsprites_files import HDF5_NAME, NPZ_NAME, DatasetFileError, SpriteStore
from zoo.files import IntegrityError

FAKE_INDICES = np.array([0, 1, 40960, 245760 + 1024 * 7 + 33, 491520 + 204800 + 9 * 1024 + 31 * 32 + 5, 737279])


def fake_arrays(indices=FAKE_INDICES):
    """imgs, latents_classes, latents_values for `indices`, rendered, in DeepMind's layout."""
    renderer = zoo.data.load("dsprites")
    factors = renderer.factors_of(indices)
    classes = np.concatenate([np.zeros((len(factors), 1), np.int64), factors], axis=1)
    grids = dsprites_files.file_value_grids()
    values = np.stack([grid[c] for grid, c in zip(grids, classes.T)], axis=1)
    return renderer.sprites(factors), classes, values


def write_npz(path, **overrides):
    imgs, classes, values = fake_arrays()
    arrays = dict(imgs=imgs, latents_classes=classes, latents_values=values)
    arrays.update(overrides)
    np.savez_compressed(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def write_hdf5(path):
    import h5py

    imgs, classes, values = fake_arrays()
    with h5py.File(path, "w") as h5:
        h5.create_dataset("imgs", data=imgs, compression="gzip")
        h5.create_dataset("latents/classes", data=classes)
        h5.create_dataset("latents/values", data=values)
    return path


@pytest.fixture
def npz(tmp_path):
    return write_npz(tmp_path / NPZ_NAME)


@pytest.fixture
def hdf5(tmp_path):
    return write_hdf5(tmp_path / HDF5_NAME)


def test_good_npz_is_looked_up_by_index(npz):
    data = zoo.data.load("dsprites", source="file", path=npz, sha256=dsprites_files.sha256_of(npz))
    rendered = zoo.data.load("dsprites")
    factors = data.factors_of(FAKE_INDICES[::-1])
    np.testing.assert_array_equal(data.sample_observations_from_factors(factors),
                                  rendered.sample_observations_from_factors(factors))
    # A partial file samples among the frames it holds.
    assert set(data.index_of(data.sample_factors(50, 0))) <= set(FAKE_INDICES)
    with pytest.raises(ValueError, match="index 2 is not in .* holds 6 of the 737,280 frames"):
        data.sample_observations_from_factors(data.factors_of([2]))
    # A folder holding the file works too, and without sha256 the npz's layout alone is checked.
    assert zoo.data.load("dsprites", source="file", path=npz.parent).sprites(factors).shape == (6, 64, 64)


@pytest.mark.parametrize("name", ["color_dsprites", "noisy_dsprites", "scream_dsprites"])
def test_variants_read_files(npz, name):
    data = zoo.data.load(name, source="file", path=npz)
    images = data.sample_observations_from_factors(data.factors_of(FAKE_INDICES), 0)
    assert images.shape == (6, 64, 64, 3) and images.dtype == np.float32


@pytest.mark.parametrize("name", ["color_dsprites", "noisy_dsprites", "scream_dsprites"])
def test_variants_draw_on_the_files_frames(tmp_path, name):
    """The values, not only the shape: a file whose frames are the renderer's transposed (so that
    they differ) gives each variant's nuisance on the file's sprite, with the same draws as the
    rendered variant for the same seed."""
    imgs = fake_arrays()[0].transpose(0, 2, 1).copy()
    data = zoo.data.load(name, source="file", path=write_npz(tmp_path / NPZ_NAME, imgs=imgs))
    factors = data.factors_of(FAKE_INDICES)
    got = data.sample_observations_from_factors(factors, 7)
    rendered = zoo.data.load(name).sample_observations_from_factors(factors, 7)
    on = np.broadcast_to(imgs.astype(bool)[..., None], got.shape)           # the file's sprite
    drawn = np.broadcast_to(zoo.data.load("dsprites").sprites(factors).astype(bool)[..., None], got.shape)
    assert (on != drawn).any()
    if name == "color_dsprites":  # the rendered variant's colour per image, on the file's pixels
        np.testing.assert_array_equal(got, on * rendered.max(axis=(1, 2), keepdims=True))
    elif name == "noisy_dsprites":  # on pixels 1, the background noise as drawn for the renderer
        assert np.all(got[on] == 1.0)
        np.testing.assert_array_equal(got[~on & ~drawn], rendered[~on & ~drawn])
    else:  # the same background patch, inverted under the file's sprite
        background = np.where(drawn, 1.0 - rendered, rendered)
        np.testing.assert_allclose(got, np.where(on, 1.0 - background, background), atol=1e-6)


def test_wrong_checksum_names_expected_and_found(npz):
    found = dsprites_files.sha256_of(npz)
    with pytest.raises(DatasetFileError, match=f"expected sha256 {'0' * 64}, found sha256 {found}") as err:
        zoo.data.load("dsprites", source="file", path=npz, sha256="0" * 64)
    # The one integrity layer: a changed dataset file is an IntegrityError, as a changed preset file is.
    assert isinstance(err.value, IntegrityError) and str(err.value).startswith(f"dSprites file: {npz} is corrupted")


def test_truncated_npz(npz):
    full_size, full_sha = npz.stat().st_size, dsprites_files.sha256_of(npz)
    npz.write_bytes(npz.read_bytes()[: full_size // 2])
    with pytest.raises(DatasetFileError, match=f"is truncated: expected {full_size:,} bytes with sha256 {full_sha}, "
                                               f"found {full_size // 2:,} bytes"):
        zoo.data.load("dsprites", source="file", path=npz, sha256=full_sha, size=full_size)
    with pytest.raises(DatasetFileError, match="expected sha256"):
        zoo.data.load("dsprites", source="file", path=npz, sha256=full_sha)
    with pytest.raises(DatasetFileError, match="not a readable dSprites npz file .truncated or corrupt"):
        zoo.data.load("dsprites", source="file", path=npz, verify=False)


def test_wrong_layout_is_refused(tmp_path):
    path = write_npz(tmp_path / "a.npz", latents_values=None)
    with pytest.raises(DatasetFileError, match=r"found \['imgs', 'latents_classes'\], missing \['latents_values'\]"):
        zoo.data.load("dsprites", source="file", path=path)
    imgs = fake_arrays()[0] * 255
    path = write_npz(tmp_path / "b.npz", imgs=imgs)
    with pytest.raises(DatasetFileError, match="expected binary imgs .0/1.; found values up to 255"):
        zoo.data.load("dsprites", source="file", path=path)
    path = write_npz(tmp_path / "c.npz", imgs=fake_arrays()[0][:, :32])
    with pytest.raises(DatasetFileError, match=r"expected imgs uint8 \(6, 64, 64\).*found uint8 \(6, 32, 64\)"):
        zoo.data.load("dsprites", source="file", path=path)
    values = fake_arrays()[2]
    values[3, 2] = 0.55
    path = write_npz(tmp_path / "d.npz", latents_values=values)
    with pytest.raises(DatasetFileError, match="latents_values column 2 .* row 3 expected"):
        zoo.data.load("dsprites", source="file", path=path)


def test_hdf5_checked_against_the_official_file(hdf5):
    size = hdf5.stat().st_size
    with pytest.raises(DatasetFileError, match=f"expected 28,024,106 bytes with sha256 "
                                               f"{dsprites_files.HDF5_SHA256}, found {size:,} bytes"):
        zoo.data.load("dsprites", source="file", path=hdf5)
    data = zoo.data.load("dsprites", source="file", path=hdf5, sha256=dsprites_files.sha256_of(hdf5))
    factors = data.factors_of(FAKE_INDICES)
    np.testing.assert_array_equal(data.sprites(factors), zoo.data.load("dsprites").sprites(factors))


def test_truncated_hdf5(hdf5):
    hdf5.write_bytes(hdf5.read_bytes()[:2000])
    with pytest.raises(DatasetFileError, match="not a readable dSprites hdf5 file .truncated or corrupt"):
        zoo.data.load("dsprites", source="file", path=hdf5, verify=False)


def test_missing_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(FileNotFoundError) as error:
        zoo.data.load("dsprites", source="file")
    message = str(error.value)
    assert str(tmp_path / "data" / "dsprites" / NPZ_NAME) in message and "put it there" in message
    assert "github.com/deepmind/dsprites-dataset" in message
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope.hdf5")):
        zoo.data.load("dsprites", source="file", path=tmp_path / "nope.hdf5")


def test_complete_store_indexes_directly(monkeypatch):
    monkeypatch.setattr(dsprites_files, "NUM_IMAGES", 4)
    frames = np.random.default_rng(0).integers(0, 2, (4, 64, 64)).astype(np.uint8)
    store = SpriteStore(np.arange(4), np.packbits(frames, axis=-1), "test")
    assert store.complete
    np.testing.assert_array_equal(store.lookup([3, 0, 3]), frames[[3, 0, 3]])
    # Unordered, repeated indices: sorted, the last frame of a repeat wins.
    store = SpriteStore(np.array([9, 2, 9]), np.packbits(frames[:3], axis=-1), "test")
    np.testing.assert_array_equal(store.indices, [2, 9])
    np.testing.assert_array_equal(store.lookup([9]), frames[[2]])


# tensorflow_datasets: nothing here may start a download (no network; tfds would retry for minutes).

def test_tfds_without_files_fails_at_once(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        zoo.data.load("dsprites", source="tfds", data_dir=tmp_path)
    assert str(tmp_path / "downloads" / "manual" / HDF5_NAME) in str(error.value)
    assert "nothing is downloaded" in str(error.value)


def test_tfds_refuses_a_wrong_manual_file(tmp_path):
    manual = tmp_path / "downloads" / "manual" / HDF5_NAME
    manual.parent.mkdir(parents=True)
    manual.write_bytes(b"not an hdf5 file")
    with pytest.raises(DatasetFileError, match="expected 28,024,106 bytes.*found 16 bytes"):
        zoo.data.load("dsprites", source="tfds", data_dir=tmp_path)


def test_tfds_through_mock_data(tmp_path):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    imgs, classes, values = fake_arrays()
    keys = ["shape", "scale", "orientation", "x_position", "y_position"]

    def as_dataset(self, *args, **kwargs):
        examples = {"image": imgs[..., None]}
        for i, key in enumerate(keys):
            examples[f"label_{key}"] = classes[:, i + 1]
            examples[f"value_{key}"] = values[:, i + 1].astype(np.float32)
        return tf.data.Dataset.from_tensor_slices(examples)

    manual = tmp_path / "downloads" / "manual" / HDF5_NAME
    manual.parent.mkdir(parents=True)
    manual.write_bytes(b"stand-in for the real hdf5")
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        data = zoo.data.load("color_dsprites", source="tfds", data_dir=tmp_path, verify=False)
    factors = data.factors_of(FAKE_INDICES)
    np.testing.assert_array_equal(data.sprites(factors), imgs)
    assert data.sample_observations_from_factors(factors, 0).shape == (6, 64, 64, 3)


def test_a_damaged_chunk_inside_a_valid_hdf5_is_the_files_error(hdf5):
    """The header and layout read fine; a compressed chunk of imgs does not (issue 32)."""
    import h5py

    with h5py.File(hdf5, "r") as h5:
        info = h5["imgs"].id.get_chunk_info(0)
    raw = bytearray(hdf5.read_bytes())
    for i in range(info.byte_offset + 4, info.byte_offset + info.size - 4):
        raw[i] ^= 0x5A
    hdf5.write_bytes(bytes(raw))
    with pytest.raises(DatasetFileError, match="is not a readable dSprites hdf5 file .*Can't .*read data"):
        zoo.data.load("dsprites", source="file", path=hdf5, verify=False)


@pytest.mark.parametrize("header", [b"{'descr': <u1',}", b"{'descr':'zz','fortran_order':False,'shape':(6,64,64)}"])
def test_a_garbled_npy_header_inside_an_npz_is_the_files_error(tmp_path, header):
    import struct
    import zipfile

    import io

    path = tmp_path / NPZ_NAME
    _, classes, values = fake_arrays()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("imgs.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header) + 1) + header + b"\n"
                         + bytes(100))
        for name, array in (("latents_classes", classes), ("latents_values", values)):
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(f"{name}.npy", buffer.getvalue())
    with pytest.raises(DatasetFileError, match=f"{NPZ_NAME} is not a readable dSprites npz file"):
        zoo.data.load("dsprites", source="file", path=path, verify=False)
