"""`--strategy=multi_worker`'s machinery on one machine: two worker processes on 127.0.0.1
(MultiWorkerMirroredStrategy from `TF_CONFIG`, free ports) train a few steps of FactorVAE and
beta-TCVAE and end with the weights of the one-process run on the same global batches.

Every process runs tests/multi_worker_check.py in a fresh interpreter, bounded in time, and is
killed (its whole process group) whatever happens.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _run_all(commands_envs, cwd):
    """Starts every process at once, waits for all (at most TIMEOUT_S), kills what is left."""
    procs = []
    try:
        for env in commands_envs:
            module = env.pop("_module", "tests.multi_worker_check")
            procs.append(subprocess.Popen([sys.executable, "-m", module, *env.pop("_args")],
                                          cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True, start_new_session=True))
        outputs = [p.communicate(timeout=TIMEOUT_S) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-4000:]
    return [out.strip().splitlines()[-1] for out, _ in outputs]


@pytest.mark.parametrize("name", ["factor_vae", "beta_tcvae"])
def test_two_workers_end_with_the_one_process_weights(name, tmp_path):
    base = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    base.pop("TF_CONFIG", None)
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    envs = [{**base, "_args": [str(tmp_path), name]}]
    for index in range(2):
        envs.append({**base, "_args": [str(tmp_path), name],
                     "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})})
    reports = [json.loads(line) for line in _run_all(envs, ROOT)]
    assert [(r["task"], r["replicas"], r["step"]) for r in reports] == [
        ("single", 1, 3), ("worker0", 2, 3), ("worker1", 2, 3)]

    single, *workers = (np.load(tmp_path / f"{task}.npz") for task in ("single", "worker0", "worker1"))
    names = [k.removeprefix("after/") for k in single.files if k.startswith("after/")]
    assert names and sorted(names) == sorted(k.removeprefix("after/") for k in workers[0].files if k.startswith("after/"))
    trained = [n for n in names if "optimizer" not in n and not n.endswith("step")]
    update = max(float(np.abs(single[f"after/{n}"] - single[f"before/{n}"]).max()) for n in trained)
    assert update > 1e-3
    for worker in workers:
        for n in names:
            np.testing.assert_array_equal(worker[f"before/{n}"], single[f"before/{n}"], err_msg=n)
        diff = max(float(np.abs(worker[f"after/{n}"] - single[f"after/{n}"]).max()) for n in trained)
        # A worker that computed a batch statistic (beta-TCVAE's aggregate posterior, FactorVAE's
        # permutation) on its half, or counted its gradient twice, moves by a share of the update.
        assert diff < 1e-3 * update, (name, diff, update)
    for n in names:  # the workers hold one model
        np.testing.assert_array_equal(workers[0][f"after/{n}"], workers[1][f"after/{n}"], err_msg=n)


def test_the_recipe_runs_on_two_workers(tmp_path):
    # The command the README gives for a cluster, on 127.0.0.1: each worker its own --out; both
    # end with the same preset weights.
    base = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    envs = [{**base, "_module": "recipes.train",
             "_args": ["--model=factor_vae", "--dataset=tiny", "--latent_dim=4", "--strategy=multi_worker",
                       "--batch_size=16", "--steps=2", f"--out={tmp_path / f'w{index}'}"],
             "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
            for index in range(2)]
    lines = _run_all(envs, ROOT)
    assert all("to step 2" in line for line in lines), lines
    weights = [(tmp_path / f"w{index}" / "preset" / "model.weights.h5").read_bytes() for index in range(2)]
    assert weights[0] == weights[1]
