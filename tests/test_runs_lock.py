"""One writer per run folder (`zoo.runs.lock`) and a clean stop on SIGTERM (`zoo.runs.signals`):
two real training processes on one folder, a stale lock taken over, a sweep that passes SIGTERM on
to its jobs, and the cluster's array index (issues 32 and 35)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zoo.runs import lock

# Real processes, wheels, browsers or many small trainings: `make test-slow` (run by CI after `make test`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
TINY = ["--model=beta_vae", "--dataset=tiny", "--batch_size=8", "--latent_dim=2", "--noprogress", "--nopreset"]


def _env(**extra):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "", **extra}


def _wait_for(condition, what, timeout=240, proc=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_lock_names_its_owner_and_takes_over_a_stale_one(tmp_path, capsys):
    out = tmp_path / "run"
    with lock.hold(out):
        record = json.loads((out / lock.LOCK_FILE).read_text())
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        with pytest.raises(lock.RunLockedError, match=rf"is being trained by process {os.getpid()} on this host"):
            with lock.hold(out):
                pass
    assert not out.exists()  # the folder it made, empty again, is gone
    out.mkdir()
    (out / lock.LOCK_FILE).write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(), "since": "x"}))
    with lock.hold(out):  # its owner is gone: taken over, said so
        assert json.loads((out / lock.LOCK_FILE).read_text())["pid"] == os.getpid()
    assert "taking over a stale lock of process" in capsys.readouterr().out
    assert out.is_dir() and not (out / lock.LOCK_FILE).exists()  # a folder it did not make stays
    # The pid alive but started at another time: a reused pid, so the lock is stale.
    (out / lock.LOCK_FILE).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                                  "started": "1", "since": "x"}))
    with lock.hold(out):
        pass
    (out / lock.LOCK_FILE).write_text(json.dumps({"pid": 1, "host": "node-17", "since": "x"}))
    with pytest.raises(lock.RunLockedError, match=r"process 1 on host node-17 .*delete .*\.lock"):
        with lock.hold(out):
            pass
    (out / lock.LOCK_FILE).write_text("garbled")
    os.utime(out / lock.LOCK_FILE, (time.time() - 60, time.time() - 60))
    with pytest.raises(lock.RunLockedError, match="unreadable lock file"):
        with lock.hold(out):
            pass


def test_two_processes_never_train_one_folder(tmp_path):
    """Two real `recipes.train` processes on one --out: the second is refused with the first's pid,
    exit 2 and no traceback, and writes nothing; once the first is killed (SIGKILL leaves its lock),
    the lock is stale and the run resumes."""
    out = tmp_path / "run"
    command = [sys.executable, "-m", "recipes.train", *TINY, "--steps=1000000", "--checkpoint_every=5",
               f"--out={out}"]
    first = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    try:
        _wait_for(lambda: len(list((out / "checkpoints").glob("ckpt-*.index"))) > 0, "a checkpoint", proc=first)
        run_json = (out / "run.json").read_bytes()
        second = subprocess.run(command, cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr[-3000:]
        assert f"is being trained by process {first.pid} on this host" in second.stderr
        assert "Traceback" not in second.stderr and first.poll() is None
        assert (out / "run.json").read_bytes() == run_json
    finally:
        first.kill()
        first.wait()
    assert json.loads((out / lock.LOCK_FILE).read_text())["pid"] == first.pid  # left behind by SIGKILL
    done = max(int(p.name.split("-")[1].split(".")[0]) for p in (out / "checkpoints").glob("ckpt-*.index"))
    third = subprocess.run([*command[:-3], f"--steps={done + 2}", "--checkpoint_every=5", f"--out={out}"],
                           cwd=REPO, env=_env(), capture_output=True, text=True, timeout=300)
    assert third.returncode == 0, third.stderr[-3000:]
    assert f"taking over a stale lock of process {first.pid}" in third.stdout
    assert not (out / lock.LOCK_FILE).exists()


def _jobs(n, *flags):
    listing = subprocess.run([sys.executable, "-m", "recipes.sweep", "--grid=study", "--datasets=tiny", "--list",
                              *flags], cwd=REPO, env=_env(), capture_output=True, text=True, check=True).stdout
    return [line.split()[1] for line in listing.splitlines()[:n]]


def test_sigterm_to_a_parallel_sweep_stops_its_jobs_after_a_checkpoint(tmp_path):
    """`sweep --parallel=2` given SIGTERM passes it on: both jobs save a checkpoint and stop (none
    is left training, re-parented to init), and the sweep exits 143. Before that, a second array
    task with job 0's index is refused by the run folder's lock."""
    names = _jobs(2)
    sweep = subprocess.Popen([sys.executable, "-m", "recipes.sweep", "--grid=study", "--datasets=tiny",
                              "--steps=1000000", "--parallel=2", "--indices=0-1", f"--out={tmp_path}"],
                             cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: all((tmp_path / n / "run.json").exists() for n in names), "both jobs to train", proc=sweep)
        # A second array task given the same index (Slurm's variable here) meets job 0's lock.
        twin = subprocess.run([sys.executable, "-m", "recipes.sweep", "--grid=study", "--datasets=tiny",
                               "--steps=1000000", "--noprogress", f"--out={tmp_path}"], cwd=REPO,
                              env=_env(SLURM_ARRAY_TASK_ID="0"), capture_output=True, text=True, timeout=300)
        assert twin.returncode == 2 and "is being trained by process" in twin.stderr, twin.stderr[-3000:]
        assert "Traceback" not in twin.stderr
        sweep.send_signal(signal.SIGTERM)
        stdout, stderr = sweep.communicate(timeout=240)
    finally:
        if sweep.poll() is None:
            sweep.kill()
    assert sweep.returncode == 128 + signal.SIGTERM, stderr[-3000:]
    assert "stopped on SIGTERM" in stderr and "rerun the same command to resume" in stderr
    assert "SIGTERM: passing it on to jobs [0, 1]" in stdout
    for name in names:
        log = (tmp_path / f"{name}.log").read_text()
        assert "stopped on SIGTERM at step" in log, log[-2000:]
        assert not (tmp_path / name / lock.LOCK_FILE).exists()  # the job ended and let go of its folder
        assert list((tmp_path / name / "checkpoints").glob("ckpt-*.index")), name


def test_the_array_index_comes_from_slurm_or_kubernetes(tmp_path):
    """Without --index, `SLURM_ARRAY_TASK_ID` (Slurm) or `JOB_COMPLETION_INDEX` (a Kubernetes Indexed
    Job) picks the job (Slurm's trains job 2 here; Kubernetes' is shown read by its range check,
    which names the variable); a value that is no index, or past the grid, is a clean error."""
    names = _jobs(3)
    base = [sys.executable, "-m", "recipes.sweep", "--grid=study", "--datasets=tiny", "--steps=1", "--noprogress",
            f"--out={tmp_path}"]
    proc = subprocess.run(base, cwd=REPO, env=_env(SLURM_ARRAY_TASK_ID="2"), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"job 2 ($SLURM_ARRAY_TASK_ID): {names[2]}" in proc.stdout
    assert (tmp_path / names[2] / "preset" / "metadata.json").is_file()
    for env, message in (({"SLURM_ARRAY_TASK_ID": "x"}, "$SLURM_ARRAY_TASK_ID='x' is not a job index"),
                         ({"JOB_COMPLETION_INDEX": "36"}, "$JOB_COMPLETION_INDEX must lie in [0, 35]; got 36")):
        proc = subprocess.run(base, cwd=REPO, env=_env(**env), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    env = {k: v for k, v in _env().items() if k not in ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")}
    listed = subprocess.run(base, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "36 jobs; run one with --index=i." in listed.stdout  # neither: the list
