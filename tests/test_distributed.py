"""One step under tf.distribute.MirroredStrategy on two logical CPUs equals one step without it.

Logical devices must be configured before TensorFlow initialises, and pytest's workers have
initialised it already, so the check runs in a fresh interpreter (tests/distributed_check.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mirrored_step_equals_single_device_step():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "tests.distributed_check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["num_replicas"] == 2
    for name in ("vae", "factor_vae", "vae_adam"):
        result = results[name]
        assert result["plain_step"] == result["mirrored_step"] == 1, result
        for key, value in result["plain_logs"].items():
            assert abs(value - result["mirrored_logs"][key]) <= 1e-4 * max(1.0, abs(value)), (name, key, result)
        players = ("vae", "discriminator") if name == "factor_vae" else ("vae",)
        for player in players:
            update, diff = result[player]["max_update"], result[player]["max_diff"]
            # A loss not divided by the number of replicas would double the update (diff == update).
            assert update > 1e-4 and diff < 1e-3 * update, (name, player, result[player])
