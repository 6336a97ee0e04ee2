"""`train(..., steps_per_execution=k)`: the same steps and weights as one step per call, checkpoints
where they were, even when k does not divide a checkpoint segment."""

import json

import numpy as np

# Op determinism (bitwise-equal runs) is process-wide; tests/conftest.py turns it back off after the test.
SETTINGS = {"model": "beta_vae", "dataset": "tiny", "dataset_options": {}, "batch_size": 8, "seed": 0,
            "learning_rate": None, "latent_dim": 3, "hparams": {"beta": 4.0}, "steps": 11,
            "strategy": "default", "deterministic": True, "init_from": None}


def _weights(run):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "checkpoints")))
    names = sorted(n for n in reader.get_variable_to_shape_map() if not n.startswith("_CHECKPOINTABLE"))
    return {n: reader.get_tensor(n) for n in names}


def test_steps_per_execution_gives_the_same_run(tmp_path, capfd):
    import zoo.runs

    one, four = tmp_path / "one", tmp_path / "four"
    for k, folder in ((1, one), (4, four)):
        zoo.runs.train(SETTINGS, folder, progress=True, write_preset=False, checkpoint_every=6, steps_per_execution=k)
    progress = capfd.readouterr()
    # Segments of 6 and 5 steps, neither a multiple of 4: checkpoints at 6 and 11 all the same.
    for run in (one, four):
        assert sorted(p.name for p in (run / "checkpoints").glob("ckpt-*.index")) == ["ckpt-11.index", "ckpt-6.index"]
        assert json.loads((run / "run.json").read_text())["steps"] == 11
    a, b = _weights(one), _weights(four)
    assert a.keys() == b.keys() and len(a) > 10
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert int(a["model/step/.ATTRIBUTES/VARIABLE_VALUE"]) == 11
    # The progress bar counted every step, not every call.
    assert "11/11" in progress.err + progress.out
