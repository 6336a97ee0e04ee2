"""SmallNORB from NYU's binary matrix files (sparse fakes of the real 24,300-pair chunks) and tfds."""

from unittest import mock

import numpy as np
import pytest

import zoo.data
from data_layouts import (NORB_CHUNKS, norb_header, require_sparse, truncate, write_norb_matrix,
                          write_smallnorb)
from zoo.data import smallnorb
from zoo.data.files import DatasetFileError

TRAIN, TEST = list(NORB_CHUNKS)
# Latent combination (category 2, elevation 3, azimuth class 5, lighting 1): its 10 instances each get a
# constant image of value 10 * instance + 5, so an observation tells which instance was drawn
# (Lanczos weights sum to 1, so a constant image resizes to the same constant).
LATENT = (2, 3, 5, 1)


def instance_marks():
    c, e, a, l = LATENT
    return {(c, i, e, a, l): np.full((96, 96), 10 * i + 5, np.uint8) for i in range(10)}


def edge_image():
    image = np.zeros((96, 96), np.uint8)
    image[:, 40:] = 255
    image[20:30, 10:20] = 128
    return image


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    marks = {**instance_marks(), (4, 9, 8, 17, 5): edge_image()}
    path = write_smallnorb(tmp_path_factory.mktemp("smallnorb"), marks)
    require_sparse(path / f"smallnorb-{TRAIN}-dat.mat")
    return path


def test_files_give_the_reference_factors_and_images(folder):
    data = zoo.data.load("smallnorb", path=folder)
    assert data.factor_names == ("category", "elevation", "azimuth", "lighting")
    assert data.factor_sizes == (5, 9, 18, 6) and data.observation_shape == (64, 64, 1)
    assert data._lookup.complete
    np.testing.assert_array_equal(data.factor_values[1], [30, 35, 40, 45, 50, 55, 60, 65, 70])
    np.testing.assert_array_equal(data.factor_values[2][[0, 1, 17]], [0, 20, 340])
    # The instance is nuisance: drawn uniformly from the rng, 10 of them (each expected 40 of 400 times;
    # 15 and 65 are more than 4 standard deviations (6) away).
    images = data.sample_observations_from_factors([LATENT] * 400, rng=0)
    assert images.shape == (400, 64, 64, 1) and images.dtype == np.float32
    values = np.round(images[:, 0, 0, 0] * 255).astype(int)
    assert np.all(images == images[:, :1, :1])  # constant images stay constant
    counts = np.bincount((values - 5) // 10, minlength=10)
    assert counts.sum() == 400 and counts.min() > 15 and counts.max() < 65, counts
    # Same rng, same draws.
    np.testing.assert_array_equal(data.sample_observations_from_factors([LATENT] * 5, rng=3),
                                  data.sample_observations_from_factors([LATENT] * 5, rng=3))


def test_resize_is_the_references_int8_path(folder):
    """disentanglement_lib: PIL.Image.fromarray(int8 array).resize((64, 64), ANTIALIAS) (= LANCZOS)."""
    from PIL import Image

    raw = edge_image()
    reference = np.asarray(Image.fromarray(raw.view(np.int8)).resize((64, 64), Image.LANCZOS)).astype(np.int64)
    assert reference.min() < 0 and reference.max() > 255  # the overshoot the reference keeps (we clip)
    ours = smallnorb.resize_like_reference(raw[None])[0]
    np.testing.assert_array_equal(ours, np.clip(reference, 0, 255))
    # An 8-bit ("L") resize rounds in between and differs: the int path matters.
    assert np.any(np.asarray(Image.fromarray(raw).resize((64, 64), Image.LANCZOS)) != ours)
    data = zoo.data.load("smallnorb", path=folder)
    # (4, 9, 8, 17, 5) is the only instance with an image there; the rest are zero. Draw until instance 9 comes.
    images = data.sample_observations_from_factors([[4, 8, 17, 5]] * 64, rng=1)
    hit = images[np.argmax(images.reshape(64, -1).max(axis=1))]
    np.testing.assert_allclose(hit[..., 0], ours / 255.0, rtol=1e-6)


def test_truncated_file_is_refused(tmp_path):
    write_smallnorb(tmp_path)
    truncate(tmp_path / f"smallnorb-{TEST}-dat.mat", 0.9)
    with pytest.raises(DatasetFileError, match=r"testing-dat.mat is truncated: a bytes matrix \(24300, 2, 96, 96\) "
                                               r"takes 447,897,624 bytes with its header; the file has "):
        zoo.data.load("smallnorb", path=tmp_path)


def test_wrong_shape_and_magic_are_refused(tmp_path):
    write_smallnorb(tmp_path)
    dat = tmp_path / f"smallnorb-{TRAIN}-dat.mat"
    write_norb_matrix(dat, 0x1E3D4C55, dims=(24300, 1, 96, 96))
    with pytest.raises(DatasetFileError, match=r"expected a bytes matrix of shape \(24300, 2, 96, 96\); the header "
                                               r"gives \(24300, 1, 96, 96\)"):
        zoo.data.load("smallnorb", path=tmp_path)
    write_norb_matrix(dat, 0x1E3D4C54, dims=(24300, 2, 96, 96))
    with pytest.raises(DatasetFileError, match=r"expected NORB magic number 0x1e3d4c55 \(bytes matrix\); found "
                                               r"0x1e3d4c54"):
        zoo.data.load("smallnorb", path=tmp_path)
    dat.write_bytes(b"\x1f\x8b\x08\x00" + bytes(20))  # a gzip header: the file was not unpacked
    with pytest.raises(DatasetFileError, match=r"found 0x88b1f. Is it still gzipped"):
        zoo.data.load("smallnorb", path=tmp_path)


def test_values_and_coverage_are_checked(tmp_path):
    write_smallnorb(tmp_path)
    info_path = tmp_path / f"smallnorb-{TEST}-info.mat"
    info = np.fromfile(info_path, "<i4", offset=len(norb_header(0x1E3D4C54, (24300, 4)))).reshape(24300, 4)
    bad = info.copy()
    bad[7, 2] = 3  # an odd azimuth
    write_norb_matrix(info_path, 0x1E3D4C54, bad)
    with pytest.raises(DatasetFileError, match=r"azimuth must be even \(0, 2, ..., 34\); row 7 has 3"):
        zoo.data.load("smallnorb", path=tmp_path)
    bad = info.copy()
    bad[7] = bad[8]  # one combination twice, another missing
    write_norb_matrix(info_path, 0x1E3D4C54, bad)
    with pytest.raises(DatasetFileError, match="holds a factor combination twice"):
        zoo.data.load("smallnorb", path=tmp_path)
    bad = info.copy()
    bad[7, 3] = 6
    write_norb_matrix(info_path, 0x1E3D4C54, bad)
    with pytest.raises(DatasetFileError, match=r"lighting must lie in \[0, 5\]"):
        zoo.data.load("smallnorb", path=tmp_path)


def test_missing_or_gzipped_files_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"smallnorb files missing .*cs.nyu.edu"):
        zoo.data.load("smallnorb", path=tmp_path)
    for chunk in NORB_CHUNKS:
        for kind in ("dat", "cat", "info"):
            (tmp_path / f"smallnorb-{chunk}-{kind}.mat.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"6 of them are there gzipped: unpack them first \(gunzip"):
        zoo.data.load("smallnorb", path=tmp_path)


# tensorflow_datasets: nothing may start a download.

def test_tfds_not_prepared_fails_at_once(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'smallnorb' is not prepared in .*nothing is downloaded"):
        zoo.data.load("smallnorb", source="tfds", data_dir=tmp_path)


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    """tensorflow_datasets' own smallnorb builder, prepared from 12-row chunks in NYU's format."""
    import tensorflow_datasets as tfds

    folder = tmp_path_factory.mktemp("tfds")
    raw = folder / "raw"
    raw.mkdir()
    # Put the marked rows (one latent combination, instances from both chunks) in the 12 kept rows.
    for chunk, instances in NORB_CHUNKS.items():
        c, e, a, l = LATENT
        features = np.array([[c, i, e, 2 * a, l] for i in instances] + [[0, instances[0], 0, 2 * k, 0] for k in range(7)])
        dat = np.zeros((12, 2, 96, 96), np.uint8)
        dat[:5, 0] = np.array([10 * i + 5 for i in instances], np.uint8)[:, None, None]
        write_norb_matrix(raw / f"smallnorb-{chunk}-dat.mat", 0x1E3D4C55, dat)
        write_norb_matrix(raw / f"smallnorb-{chunk}-cat.mat", 0x1E3D4C54, features[:, 0].astype("<i4"))
        write_norb_matrix(raw / f"smallnorb-{chunk}-info.mat", 0x1E3D4C54, features[:, 1:].astype("<i4"))
    names = {f"{'training' if 'training' in chunk else 'testing'}_{kind}": str(raw / f"smallnorb-{chunk}-{kind}.mat")
             for chunk in NORB_CHUNKS for kind in ("dat", "cat", "info")}
    with mock.patch("tensorflow_datasets.core.download.DownloadManager.download_and_extract",
                    lambda self, urls: names):
        builder = tfds.builder("smallnorb", data_dir=str(folder))
        builder.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
    return folder


def test_tfds_prepared_set(tfds_dir):
    data = zoo.data.load("smallnorb", source="tfds", data_dir=tfds_dir)
    assert not data._lookup.complete and len(data._lookup.present) == 24
    # All 10 instances of LATENT are present (5 per split): draws cover them all.
    values = np.round(data.sample_observations_from_factors([LATENT] * 300, rng=0)[:, 0, 0, 0] * 255).astype(int)
    assert sorted(set(((values - 5) // 10).tolist())) == list(range(10))
    # Elsewhere only instance 4 or 0 (the first of each split) is there, and sampling stays on what is present.
    factors = data.sample_factors(100, rng=1)
    assert {tuple(f) for f in factors} <= {LATENT} | {(0, 0, k, 0) for k in range(7)}
    assert data.sample_observations_from_factors([[0, 0, 3, 0]], rng=0).max() == 0.0
    with pytest.raises(ValueError, match="are not in tensorflow_datasets smallnorb"):
        data.sample_observations_from_factors([[1, 1, 1, 1]])
    train_only = zoo.data.load("smallnorb", source="tfds", data_dir=tfds_dir, split="train")
    assert len(train_only._lookup.present) == 12


def test_a_sha256_for_an_unknown_file_name_is_named(folder):
    """`sha256s` keyed by a name that is none of the files was not the dataset's error (issue 32)."""
    with pytest.raises(DatasetFileError, match=r"sha256s names 'smallnorb-train-dat\.mat', which is not one of its "
                                               r"files"):
        zoo.data.load("smallnorb", path=folder, sha256s={"smallnorb-train-dat.mat": "0" * 64})
