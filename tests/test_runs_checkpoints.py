"""Resuming a run whose checkpoints were damaged: the latest intact one is restored with a message
naming what was skipped and why; with none intact, a clear error; killed writes are tidied away."""

import re

import numpy as np
import pytest

SETTINGS = {"model": "beta_vae", "dataset": "tiny", "batch_size": 4, "latent_dim": 2, "hparams": {"beta": 1.0},
            "steps": 4}


def _train(out, steps=4):
    import zoo.runs

    return zoo.runs.train({**SETTINGS, "steps": steps}, out, progress=False, write_preset=False,
                          checkpoint_every=2, keep_checkpoints=3)


@pytest.fixture()
def run(tmp_path):
    """A run folder with checkpoints at steps 2 and 4."""
    out = tmp_path / "run"
    _train(out)
    assert sorted(p.name for p in (out / "checkpoints").glob("*.index")) == ["ckpt-2.index", "ckpt-4.index"]
    return out


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _weights(prefix):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(str(prefix))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map() if n.startswith("model/")}


@pytest.mark.parametrize("damage, reason", [
    (lambda ckpt: _flip_a_byte(next(ckpt.parent.glob("ckpt-4.data-*"))), r"[Cc]hecksum does not match"),
    (lambda ckpt: ckpt.with_name("ckpt-4.index").write_bytes(ckpt.with_name("ckpt-4.index").read_bytes()[:40]),
     r"Error"),
    (lambda ckpt: next(ckpt.parent.glob("ckpt-4.data-*")).unlink(), r"its \.data file is missing"),
])
def test_a_damaged_latest_checkpoint_falls_back_to_the_older_one(run, capsys, damage, reason):
    checkpoints = run / "checkpoints"
    expected = _weights(checkpoints / "ckpt-2")
    damage(checkpoints / "ckpt-4")
    capsys.readouterr()
    _train(run, steps=4)
    out = capsys.readouterr()
    assert re.search(rf"Skipped checkpoint .*ckpt-4 \(.*({reason}).*\); its files are kept as ckpt-4\.\*\.damaged\. "
                     r"Resuming from the older ckpt-2\.", out.err), out.err
    assert "at step 2 of 4" in out.out, out.out
    assert list(checkpoints.glob("ckpt-4.*.damaged"))
    # Steps 3 and 4 were trained again from ckpt-2 and saved as a new, intact ckpt-4.
    import zoo.runs.checkpoints

    assert zoo.runs.checkpoints._damage(checkpoints / "ckpt-4") is None
    assert set(_weights(checkpoints / "ckpt-4")) == set(expected)
    assert any(not np.array_equal(v, _weights(checkpoints / "ckpt-4")[k]) for k, v in expected.items())


def test_a_garbled_state_file_is_set_aside_and_the_latest_checkpoint_found_by_its_files(run, capsys):
    (run / "checkpoints" / "checkpoint").write_bytes(b"\x00\xffnot a checkpoint state {{{")
    _train(run, steps=6)
    out = capsys.readouterr()
    assert "checkpoint state file" in out.err and "unreadable" in out.err, out.err
    assert "at step 4 of 6" in out.out, out.out
    assert (run / "checkpoints" / "checkpoint.damaged").is_file()
    assert (run / "checkpoints" / "ckpt-6.index").is_file()


def test_no_intact_checkpoint_is_a_clear_error(run):
    import zoo.runs

    for data in (run / "checkpoints").glob("ckpt-*.data-*"):
        _flip_a_byte(data)
    with pytest.raises(zoo.runs.RunFolderError, match=r"No intact checkpoint in .*checkpoints: ckpt-4: .*; ckpt-2: "
                                                      r".*Delete the run folder to start over"):
        _train(run, steps=6)


def test_leftovers_of_killed_writes_are_removed_on_resume(run):
    """TensorFlow writes a checkpoint into `ckpt-<step>_temp/` first, `zoo.files.staged_folder` a
    preset into `.preset.tmp-*`: a kill leaves them behind. Files of other names are not touched."""
    temp = run / "checkpoints" / "ckpt-5_temp"
    temp.mkdir()
    (temp / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"half")
    staged = run / ".preset.tmp-k1ll3d"
    staged.mkdir()
    (staged / "config.json").write_text("{")
    mine = run / "checkpoints" / "ckpt-notes_temp"
    mine.mkdir()
    _train(run, steps=6)
    assert not temp.exists() and not staged.exists()
    assert mine.is_dir()
