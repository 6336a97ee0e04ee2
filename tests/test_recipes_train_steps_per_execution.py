"""`train(..., steps_per_execution=k)`: the same steps and weights as one step per call, checkpoints
where they were, even when k does not divide a checkpoint segment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

# In a child process: op determinism is process-wide, and the other tests run without it.
SCRIPT = """
import json, sys
from pathlib import Path
import zoo.runs
settings = {"model": "beta_vae", "dataset": "tiny", "dataset_options": {}, "batch_size": 8, "seed": 0,
            "learning_rate": None, "latent_dim": 3, "hparams": {"beta": 4.0}, "steps": 11,
            "strategy": "default", "deterministic": True, "init_from": None}
for k, folder in zip((1, 4), sys.argv[1:]):
    zoo.runs.train(settings, Path(folder), progress=True, write_preset=False, checkpoint_every=6, steps_per_execution=k)
"""


def _weights(run):
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run / "checkpoints")))
    names = sorted(n for n in reader.get_variable_to_shape_map() if not n.startswith("_CHECKPOINTABLE"))
    return {n: reader.get_tensor(n) for n in names}


def test_steps_per_execution_gives_the_same_run(tmp_path):
    one, four = tmp_path / "one", tmp_path / "four"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(one), str(four)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
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
    assert "11/11" in proc.stderr
