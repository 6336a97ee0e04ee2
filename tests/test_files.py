"""zoo.files (integrity checks, atomic writes) and zoo.names (the one "did you mean")."""

import doctest
import json
import os

import numpy as np
import pytest
from PIL import Image

from zoo import files, names


def test_digest_of_known_bytes(tmp_path):
    # FIPS 180-2, appendix B.1: SHA-256("abc").
    (tmp_path / "abc").write_bytes(b"abc")
    assert files.file_digest(tmp_path / "abc") == (3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_verify_names_the_file_both_hashes_and_the_fix(tmp_path):
    path = tmp_path / "w.bin"
    path.write_bytes(b"abc")
    size, sha = files.file_digest(path)
    files.verify_file(path, size=size, sha256=sha, label="model 'x'", fix="Restore it.")
    path.write_bytes(b"ab")
    with pytest.raises(files.IntegrityError) as err:
        files.verify_file(path, size=size, sha256=sha, label="model 'x'", fix="Restore it.")
    message = str(err.value)
    assert message.startswith(f"model 'x': {path} is truncated") and sha in message
    assert "found 2 bytes" in message and files.file_digest(path)[1] in message and message.endswith("Restore it.")
    # The dataset loaders' check reads no file that has already failed by its size.
    with pytest.raises(files.IntegrityError) as err:
        files.verify_file(path, size=size, sha256=sha, label="x", fix="", hash_wrong_size=False)
    assert files.file_digest(path)[1] not in str(err.value)
    path.write_bytes(b"abd")
    with pytest.raises(files.IntegrityError, match="is corrupted"):
        files.verify_files([(path, {"size": size, "sha256": sha})], label="x", fix="")


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = files.write_json(tmp_path / "sub" / "a.json", {"b": 1, "a": 2}, sort_keys=True)
    assert path.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # a plain file, not mkstemp's 0600

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(json, "dump", crash)
    with pytest.raises(OSError):
        files.write_json(path, {"c": 3})
    assert json.loads(path.read_text()) == {"a": 2, "b": 1}
    assert [p.name for p in path.parent.iterdir()] == ["a.json"]


def test_png_round_trip(tmp_path):
    image = (np.arange(12 * 5 * 3) % 256).astype(np.uint8).reshape(12, 5, 3)
    with Image.open(files.write_png(tmp_path / "p.png", image)) as png:
        np.testing.assert_array_equal(np.asarray(png), image)
    with Image.open(files.write_png(tmp_path / "q.png", Image.fromarray(image[..., 0]))) as png:
        assert png.mode == "L" and png.size == (5, 12)


def test_staged_folder_swaps_whole_or_not_at_all(tmp_path):
    target = tmp_path / "preset"
    with files.staged_folder(target) as tmp:
        files.write_text(tmp / "a.txt", "one")
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    with pytest.raises(KeyboardInterrupt):
        with files.staged_folder(target) as tmp:
            files.write_text(tmp / "b.txt", "two")
            raise KeyboardInterrupt
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preset"]  # no temp or old folder left
    (target / ".hidden").write_text("x")
    copy = files.copy_folder(target, tmp_path / "copy")
    assert sorted(p.name for p in copy.iterdir()) == ["a.txt"] and (copy / "a.txt").read_text() == "one"


def test_did_you_mean():
    assert names.did_you_mean("mgi", ["mig", "dci", "sap"], n=2) == " Did you mean 'mig'?"
    # difflib's ratio 2M/T: "factorvae" ~ "factor_vae" 2*9/19 = 0.95, ~ "beta_vae" 2*4/17 = 0.47 < 0.5.
    assert names.did_you_mean("factorvae", ["factor_vae", "beta_vae"]) == " Did you mean 'factor_vae'?"
    assert names.did_you_mean("betavae", ["beta_vae", "vae", "dci"]) == " Did you mean 'beta_vae', 'vae'?"
    assert names.did_you_mean("zzz", ["mig"]) == ""


def test_docstring_examples():
    assert doctest.testmod(files).failed == 0 and doctest.testmod(names).failed == 0


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_clean_staged_tidies_a_killed_folder_write(tmp_path):
    """A kill inside `staged_folder` leaves `.<name>.tmp-*` (removed) or, between its two renames,
    `.<name>.old-*` without `<name>` (renamed back); other names are left alone."""
    from zoo.files import clean_staged

    target = tmp_path / "preset"
    (tmp_path / ".preset.tmp-abc123").mkdir()
    (tmp_path / ".preset.old-1234abcd").mkdir()
    (tmp_path / ".preset.old-1234abcd" / "config.json").write_text("{}")
    (tmp_path / ".other.tmp-abc123").mkdir()
    assert clean_staged(target) == [tmp_path / ".preset.tmp-abc123"]
    assert (target / "config.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-abc123", "preset"]
    (tmp_path / ".preset.old-5678abcd").mkdir()
    assert clean_staged(target) == [tmp_path / ".preset.old-5678abcd"] and target.is_dir()
