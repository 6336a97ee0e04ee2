"""Cars3D from Reed et al.'s folder of 183 car .mat files, in the real layout (im uint8 128x128x3x24x4)."""

import numpy as np
import pytest

import zoo.data
from data_layouts import truncate, write_cars
from zoo.data.files import DatasetFileError

# (car, azimuth, elevation) -> a colour filling that image. Lanczos weights sum to 1, so a constant
# 128x128 image shrinks to the same constant 64x64 image: the expected observation is that colour / 255.
MARKS = {(0, 0, 0): (255, 0, 0), (0, 23, 3): (0, 255, 0), (182, 5, 2): (10, 20, 30), (100, 13, 1): (200, 100, 50)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_cars(tmp_path_factory.mktemp("cars"), MARKS)


def test_files_give_the_reference_factors_and_images(folder):
    data = zoo.data.load("cars3d", path=folder)
    assert data.factor_names == ("elevation", "azimuth", "object")
    assert data.factor_sizes == (4, 24, 183) and data.observation_shape == (64, 64, 3)
    # Object o is the o-th file by name (car_001_mesh.mat is object 0).
    assert data.files[0].name == "car_001_mesh.mat" and data.files[182].name == "car_183_mesh.mat"
    for (car, azimuth, elevation), colour in MARKS.items():
        image = data.sample_observations_from_factors([[elevation, azimuth, car]])[0]
        np.testing.assert_allclose(image, np.broadcast_to(np.array(colour) / 255.0, (64, 64, 3)), rtol=1e-6)
        # disentanglement_lib's index: elevation * 24 * 183 + azimuth * 183 + object.
        assert data.index_of([[elevation, azimuth, car]]).tolist() == [elevation * 4392 + azimuth * 183 + car]
    # Another pose of a marked car is black: azimuth and elevation are not swapped.
    assert data.sample_observations_from_factors([[3, 23, 182]]).max() == 0.0
    assert data.sample_observations_from_factors([[2, 5, 181]]).max() == 0.0
    factors, images = data.sample(6, rng=0)
    assert factors.shape == (6, 3) and images.shape == (6, 64, 64, 3)


def test_resize_matches_the_references_thumbnail():
    """disentanglement_lib: PIL thumbnail((64, 64, 3), ANTIALIAS) of each 128x128 image."""
    import scipy.io
    from PIL import Image

    from zoo.data import cars3d

    rng = np.random.default_rng(0)
    mesh = rng.integers(0, 256, (128, 128, 3, 24, 4), dtype=np.uint8)
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "car.mat"
        scipy.io.savemat(path, {"im": mesh})
        ours = cars3d.load_car(path)
    for a, e in ((0, 0), (7, 3), (23, 1)):
        picture = Image.fromarray(np.ascontiguousarray(mesh[:, :, :, a, e]))
        picture.thumbnail((64, 64), Image.LANCZOS)
        np.testing.assert_array_equal(ours[a, e], np.asarray(picture))


def test_wrong_count_shape_and_missing_array_are_named(tmp_path):
    write_cars(tmp_path, num_cars=2)
    with pytest.raises(DatasetFileError, match=r"expected the 183 car .mat files .* found 2"):
        zoo.data.load("cars3d", path=tmp_path)
    import scipy.io

    for i in range(2, 183):  # cheap stand-ins: the first file fails before these are read
        (tmp_path / f"car_{i + 1:03d}_mesh.mat").write_bytes(b"")
    scipy.io.savemat(tmp_path / "car_001_mesh.mat", {"im": np.zeros((128, 128, 3, 24, 3), np.uint8)},
                     do_compression=True)
    with pytest.raises(DatasetFileError, match=r"car_001_mesh.mat: expected im uint8 \(128, 128, 3, 24, 4\) .* found "
                                               r"uint8 \(128, 128, 3, 24, 3\)"):
        zoo.data.load("cars3d", path=tmp_path)
    scipy.io.savemat(tmp_path / "car_001_mesh.mat", {"mask": np.zeros((2, 2), np.uint8)})
    with pytest.raises(DatasetFileError, match=r"expected an array named 'im'"):
        zoo.data.load("cars3d", path=tmp_path)


def test_truncated_file_is_refused(tmp_path):
    write_cars(tmp_path, num_cars=1)
    for i in range(1, 183):
        (tmp_path / f"car_{i + 1:03d}_mesh.mat").write_bytes(b"")
    truncate(tmp_path / "car_001_mesh.mat", 0.5)
    with pytest.raises(DatasetFileError, match=r"car_001_mesh.mat is not a readable .mat file \(truncated or corrupt"):
        zoo.data.load("cars3d", path=tmp_path)


def test_missing_folder_and_tfds(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cars3d folder not found.*scottreed.info"):
        zoo.data.load("cars3d", path=tmp_path / "nothing")
    with pytest.raises(ValueError, match="tensorflow_datasets has no Cars3D"):
        zoo.data.load("cars3d", source="tfds")
