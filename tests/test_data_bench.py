"""The large-file figures of benchmarks/speed/data_bench.py, at a small size (the full run writes 12.7 GB)."""

import zipfile

import numpy as np
import pytest

from benchmarks.speed import data_bench


def test_large_file_figures_at_a_small_size(tmp_path):
    result = data_bench.large_file(True, tmp_path, num_images=3000, batch_size=16, batches=10, repeats=2)
    path = tmp_path / "mpi3d_layout_3000.npz"
    assert result["file"] == str(path) and result["generated"] and result["num_images"] == 3000
    # The file is what np.savez writes: one stored images.npy, 3000 rows of 64x64x3 bytes plus headers.
    info = zipfile.ZipFile(path).getinfo("images.npy")
    assert info.compress_type == zipfile.ZIP_STORED and info.file_size == 128 + 3000 * 64 * 64 * 3
    assert np.load(path)["images"].shape == (3000, 64, 64, 3)  # numpy reads it (and checks its CRC)
    assert result["file_bytes"] == path.stat().st_size
    assert result["images_streamed"] == (5 + 2 * 10) * 16
    rates = result["images_per_s"]
    assert rates["repeats"] == 2 and 0 < rates["min"] <= rates["median"] <= rates["max"]
    assert 0 < result["rss_before_streaming_mib"] <= result["peak_rss_mib"]
    assert "LookupData over files.npz_rows" in result["reader"]
    table = data_bench.large_file_markdown(result)
    assert "| images/s, median [min, max] |" in table and f"{result['peak_rss_mib']:,.0f} MiB" in table
    # A second run reuses the file.
    again = data_bench.large_file(True, tmp_path, num_images=3000, batch_size=16, batches=2, repeats=1)
    assert not again["generated"] and again["write_seconds"] is None


def test_large_file_refuses_a_folder_without_room(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**12, 10**12 - 10**9, 10**9))
    with pytest.raises(RuntimeError, match=r"has 1.0 GB free; the 1,036,800-image file needs 12.7 GB plus 1 GB"):
        data_bench.write_large_npz(tmp_path / "mpi3d_toy.npz", data_bench.MPI3D_IMAGES)
    assert not list(tmp_path.iterdir())


def test_interrupted_writing_leaves_no_file(tmp_path, monkeypatch):
    """The file is written to a temp name and renamed at the end: a crash leaves nothing half-written."""

    class Failing:
        calls = 0

        def bytes(self, n):
            Failing.calls += 1
            if Failing.calls > 1:
                raise KeyboardInterrupt
            return bytes(n)

    monkeypatch.setattr(np.random, "default_rng", lambda seed=None: Failing())
    with pytest.raises(KeyboardInterrupt):
        data_bench.write_large_npz(tmp_path / "mpi3d_layout_20000.npz", 20_000, chunk_rows=8192)
    assert Failing.calls == 2 and not list(tmp_path.iterdir())
