"""Writers of small files in the exact layouts of the real dataset files, for the loader tests.

The big files keep their real shapes (1,036,800 MPI3D images, 480,000 3D Shapes images, 24,300
NORB stereo pairs) and are written sparse: only the headers, the labels and a few marked images
hold bytes, the rest is a hole the file system stores as nothing and reads as zeros. So a
12.7 GB npz takes a few kilobytes of disk and a millisecond to write, and the loaders read it
exactly as they read the real one.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest


def require_sparse(path: Path, limit: int = 256 << 20) -> None:
    """Skips the test when the file system wrote a hole as real bytes (no sparse files)."""
    if path.stat().st_blocks * 512 > limit:
        path.unlink()
        pytest.skip(f"{path.parent} does not keep sparse files; the real-size fake would fill the disk.")


# --- CRC-32 over holes: zlib's crc32_combine (Adler, zlib 1.2.x crc32.c), ported -------------------

def _gf2_times(matrix, vector):
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix):
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A + B from crc1 = crc32(A), crc2 = crc32(B) and len2 = len(B)."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator of one zero bit
    even = _gf2_square(odd)                             # two zero bits
    odd = _gf2_square(even)                             # four zero bits
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def crc32_of_zeros(length: int) -> int:
    """crc32(bytes(length)) without the bytes: the register starts at ~0 and zeros only shift it."""
    return crc32_combine(0xFFFFFFFF, 0, length) ^ 0xFFFFFFFF


def crc32_sparse(total: int, pieces: dict[int, bytes]) -> int:
    """CRC-32 of `total` bytes that are zero except `pieces` (offset -> bytes, not overlapping)."""
    crc, at = 0, 0
    for offset in sorted(pieces):
        crc = crc32_combine(crc, crc32_of_zeros(offset - at), offset - at)
        crc = zlib.crc32(pieces[offset], crc)
        at = offset + len(pieces[offset])
    return crc32_combine(crc, crc32_of_zeros(total - at), total - at)


# --- npy / npz ---------------------------------------------------------------------------------

def npy_header(shape, dtype=np.uint8) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                               "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def write_sparse_npy(path, shape, rows: dict[int, np.ndarray] | None = None, dtype=np.uint8) -> Path:
    """A `.npy` of `shape`, zero except `rows` (row index -> array of the row's shape)."""
    path = Path(path)
    header = npy_header(shape, dtype)
    row_bytes = int(np.prod(shape[1:])) * np.dtype(dtype).itemsize
    with open(path, "wb") as f:
        f.write(header)
        for row, value in (rows or {}).items():
            f.seek(len(header) + row * row_bytes)
            f.write(np.ascontiguousarray(value, dtype).tobytes())
        f.truncate(len(header) + shape[0] * row_bytes)
    return path


def write_sparse_npz(path, shape, rows: dict[int, np.ndarray] | None = None, *, member: str = "images",
                     dtype=np.uint8) -> Path:
    """An uncompressed npz (what `np.savez` writes: one zip64 entry `<member>.npy`, stored) of an
    array of `shape`, zero except `rows`; CRC and sizes are the true ones, so numpy and zipfile
    read it like any npz."""
    path = Path(path)
    name = f"{member}.npy".encode()
    header = npy_header(shape, dtype)
    row_bytes = int(np.prod(shape[1:])) * np.dtype(dtype).itemsize
    data_size = len(header) + shape[0] * row_bytes
    pieces = {0: header}
    for row, value in (rows or {}).items():
        pieces[len(header) + row * row_bytes] = np.ascontiguousarray(value, dtype).tobytes()
    crc = crc32_sparse(data_size, pieces)
    date, time = (0 << 9) | (1 << 5) | 1, 0  # 1980-01-01 00:00
    zip64 = struct.pack("<HHQQ", 1, 16, data_size, data_size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, time, date, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(name), len(zip64)) + name + zip64
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, time, date, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                          len(name), len(zip64), 0, 0, 0, 0, 0) + name + zip64
    cd_offset = len(local) + data_size
    end64_offset = cd_offset + len(central)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(central), cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, end64_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), min(cd_offset, 0xFFFFFFFF), 0)
    with open(path, "wb") as f:
        f.write(local)
        for offset, piece in pieces.items():
            f.seek(len(local) + offset)
            f.write(piece)
        f.seek(cd_offset)
        f.write(central + end64 + locator + end)
    return path


# --- 3D Shapes ---------------------------------------------------------------------------------

SHAPES3D_SIZES = (10, 10, 10, 8, 4, 15)
# Value grids as the real labels hold them (floor/wall/object hue 0, 0.1, ..., 0.9; scale 0.75..1.25;
# shape 0..3; orientation -30..30): the loader checks only that each column has the right count.
SHAPES3D_GRIDS = (np.arange(10) / 10, np.arange(10) / 10, np.arange(10) / 10, np.linspace(0.75, 1.25, 8),
                  np.arange(4.0), np.linspace(-30, 30, 15))


def shapes3d_factors(index) -> np.ndarray:
    index = np.asarray(index, np.int64)
    sizes = np.asarray(SHAPES3D_SIZES)
    bases = np.concatenate([np.cumprod(sizes[::-1])[::-1][1:], [1]])
    return np.stack([(index // b) % s for b, s in zip(bases, sizes)], 1)


def shapes3d_labels(index) -> np.ndarray:
    factors = shapes3d_factors(index)
    return np.stack([grid[f] for grid, f in zip(SHAPES3D_GRIDS, factors.T)], 1)


def write_shapes3d(path, rows: dict[int, np.ndarray] | None = None, *, num_images: int = 480_000,
                   image_shape=(64, 64, 3), labels=None, skip=()) -> Path:
    """DeepMind's `3dshapes.h5` layout: `images` uint8 (n, 64, 64, 3) (sparse: contiguous storage
    whose unwritten rows HDF5 leaves as a hole) and `labels` float64 (n, 6), in row-major order."""
    import h5py

    path = Path(path)
    with h5py.File(path, "w") as h5:
        if "images" not in skip:
            images = h5.create_dataset("images", shape=(num_images,) + tuple(image_shape), dtype=np.uint8)
            for row, value in (rows or {}).items():
                images[row] = value
        if "labels" not in skip:
            h5.create_dataset("labels", data=shapes3d_labels(np.arange(num_images)) if labels is None else labels)
    return path


# --- NORB binary matrices ------------------------------------------------------------------------

def norb_header(magic: int, dims) -> bytes:
    stored = list(dims) + [1] * max(0, 3 - len(dims))
    return struct.pack(f"<ii{len(stored)}i", magic, len(dims), *stored)


def write_norb_matrix(path, magic: int, array=None, *, dims=None, rows: dict[int, bytes] | None = None) -> Path:
    """A NORB matrix file: the header, then `array` (C order), or a sparse body of `dims` with `rows`
    (byte offset within the body -> bytes) written."""
    path = Path(path)
    dims = tuple(array.shape) if array is not None else tuple(dims)
    header = norb_header(magic, dims)
    with open(path, "wb") as f:
        f.write(header)
        if array is not None:
            f.write(np.ascontiguousarray(array).tobytes())
        else:
            for offset, piece in (rows or {}).items():
                f.seek(len(header) + offset)
                f.write(piece)
            f.truncate(len(header) + int(np.prod(dims)))
    return path


NORB_CHUNKS = {"5x46789x9x18x6x2x96x96-training": (4, 6, 7, 8, 9),
               "5x01235x9x18x6x2x96x96-testing": (0, 1, 2, 3, 5)}


def norb_chunk_features(instances, seed: int) -> np.ndarray:
    """[24300, 5] category, instance, elevation, azimuth (0..34 even), lighting: every combination
    of the chunk's instances once, in a shuffled order (the loader must follow info, not order)."""
    grid = np.stack(np.meshgrid(np.arange(5), np.asarray(instances), np.arange(9), np.arange(0, 36, 2), np.arange(6),
                                indexing="ij"), -1).reshape(-1, 5)
    return grid[np.random.default_rng(seed).permutation(len(grid))]


def write_smallnorb(folder, marks: dict[tuple, np.ndarray] | None = None, *, rows_per_chunk: int = 24_300) -> Path:
    """NYU's six unpacked smallNORB files. `marks` maps (category, instance, elevation, azimuth 0..17,
    lighting) to a uint8 (96, 96) image for the first camera; every other image is zero (sparse).
    `rows_per_chunk` < 24,300 keeps only the first rows (a small, incomplete set)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marks = marks or {}
    for seed, (chunk, instances) in enumerate(NORB_CHUNKS.items()):
        features = norb_chunk_features(instances, seed)[:rows_per_chunk]
        pieces = {}
        for r, (c, i, e, a, l) in enumerate(features):
            key = (int(c), int(i), int(e), int(a) // 2, int(l))
            if key in marks:
                pieces[r * 2 * 96 * 96] = np.asarray(marks[key], np.uint8).tobytes()
        write_norb_matrix(folder / f"smallnorb-{chunk}-dat.mat", 0x1E3D4C55, dims=(len(features), 2, 96, 96),
                          rows=pieces)
        write_norb_matrix(folder / f"smallnorb-{chunk}-cat.mat", 0x1E3D4C54, features[:, 0].astype("<i4"))
        write_norb_matrix(folder / f"smallnorb-{chunk}-info.mat", 0x1E3D4C54, features[:, 1:].astype("<i4"))
    return folder


# --- Cars3D --------------------------------------------------------------------------------------

def write_cars(folder, marks: dict[tuple, tuple] | None = None, *, num_cars: int = 183,
               mesh_shape=(128, 128, 3, 24, 4)) -> Path:
    """Reed et al.'s cars folder: `car_XXX_mesh.mat`, each `im` uint8 (128, 128, 3, 24, 4), zero except
    `marks` (car, azimuth, elevation) -> an RGB colour filling that image (zlib-compressed MATLAB v5,
    which scipy reads like the uncompressed files)."""
    import scipy.io

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for car in range(num_cars):
        mesh = np.zeros(mesh_shape, np.uint8)
        for (c, a, e), colour in (marks or {}).items():
            if c == car:
                mesh[:, :, :, a, e] = np.asarray(colour, np.uint8)
        scipy.io.savemat(folder / f"car_{car + 1:03d}_mesh.mat", {"im": mesh}, do_compression=True)
    return folder


def truncate(path, keep: float = 0.5) -> Path:
    path = Path(path)
    os.truncate(path, int(path.stat().st_size * keep))
    return path
