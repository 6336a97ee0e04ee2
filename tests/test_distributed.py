"""One step under tf.distribute.MirroredStrategy on two logical CPUs equals one step without it, for
every objective: batch statistics (DIP-VAE's covariance, beta-TCVAE's aggregate posterior,
FactorVAE's permutation, InfoGAN's batch norm) are those of the global batch, noise is each
replica's slice of the global draw, and the loss is scaled so the summed gradients are the
one-device gradient.

Logical devices must be configured before TensorFlow initialises, and pytest's workers have
initialised it already, so the check runs in a fresh interpreter (tests/distributed_check.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


@pytest.fixture(scope="module")
def results():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "tests.distributed_check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["num_replicas"] == 2
    return results


def _cases():
    import distributed_check

    return list(distributed_check.CASES)


@pytest.mark.parametrize("case", _cases())
def test_mirrored_step_equals_single_device_step(results, case):
    result = results[case]
    assert result["plain_step"] == result["mirrored_step"] == 1, result
    for key, value in result["plain_logs"].items():
        assert abs(value - result["mirrored_logs"][key]) <= 1e-4 * max(1.0, abs(value)), (case, key, result)
    players = [k for k in result if k not in ("plain_step", "mirrored_step", "plain_logs", "mirrored_logs")]
    assert players
    for player in players:
        update, diff = result[player]["max_update"], result[player]["max_diff"]
        # A loss not divided by the number of replicas would double the update (diff == update); a
        # statistic of each replica's half instead of the global batch moves it by a share of it.
        assert update > 1e-4 and diff < 1e-3 * update, (case, player, result[player])
