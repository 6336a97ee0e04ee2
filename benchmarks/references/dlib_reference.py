"""Runs the reference metric code, disentanglement_lib 1.5, in a child process for comparisons.

Used by the metric reference tests and by benchmarks/speed/metrics_bench.py. Nothing here is part of
the zoo package, and the installed reference is never edited:

* `ensure_installed()` pip-installs `disentanglement-lib==1.5` and `gin-config==0.4.0` (the last
  gin that still accepts the reference's `blacklist=` keyword) with `--no-deps --target` into
  `~/.cache/zoo/disentanglement_lib-1.5` (override with `$ZOO_DLIB_CACHE`), once; its other
  imports (numpy, scipy, scikit-learn, six, absl) are already in the venv. If it is not
  importable or installable (no network), it returns None and the caller skips.
* `run(tasks)` writes the tasks to JSON and runs this file as a script in a fresh interpreter,
  which installs two shims before importing the reference:
    - `gin.tf`: every metric module does `import gin.tf`, whose real module needs
      TensorFlow 1's `tf.estimator.SessionRunHook`. The metrics only use `gin.configurable` and
      `gin.REQUIRED`, so an empty `gin.tf` module is registered;
    - `collections.Mapping` & co.: gin 0.4 still uses the aliases removed in Python 3.10.
  Results come back as JSON: each task's scores and its wall-clock seconds.

Tasks (dicts):
  {"metric": "mig" | "dci" | "sap" | "modularity_explicitness" | "irs" | "unsupervised",
   "arrays": "<npz with codes_train, factors_train[, codes_test, factors_test]>", **options}
     run through the reference's public `compute_*` function with the study's gin settings, on a
     ground-truth adapter that hands out the given rows in order (train first, then test), and
     the identity as representation function. Options: "continuous_factors" (SAP),
     "diff_quantile" (IRS), "num_bins", and "gbt_random_state": an int pins the seed of DCI's
     `GradientBoostingClassifier()` (unseeded in the reference, see `_pin_gbt_seed`);
  {"metric": "beta_vae" | "factor_vae", "data": "<file.py or module>:<factory>",
   "representation": "<file.py or module>:<function>", "seed": int, **settings}
     run on `RandomStateData(factory())`, an adapter from zoo's `GroundTruthData` to the
     reference's `RandomState`-based interface.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zoo import files

VERSION = "1.5"
GIN_VERSION = "0.4.0"
ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    return Path(os.environ.get("ZOO_DLIB_CACHE", Path.home() / ".cache" / "zoo" / f"disentanglement_lib-{VERSION}"))


def ensure_installed() -> tuple[Path | None, str]:
    """Returns `(site_dir, "")` with the reference installed there, or `(None, reason)`."""
    import fcntl

    target = cache_dir()
    marker = target / ".installed"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers may arrive together
        if marker.exists():
            return target, ""
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
               "--target", str(target), f"disentanglement-lib=={VERSION}", f"gin-config=={GIN_VERSION}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"could not run pip to install disentanglement-lib=={VERSION}: {exc}"
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return None, (f"pip could not install disentanglement-lib=={VERSION} (no network?): "
                          + " | ".join(tail))
        files.write_text(marker, " ".join(cmd) + "\n")
        return target, ""


def run(tasks: list[dict], site: Path, timeout: float = 1800) -> list[dict]:
    """Runs `tasks` in a child interpreter; returns one `{"scores": {...}, "seconds": s}` per task."""
    with tempfile.TemporaryDirectory(prefix="zoo_dlib_") as tmp:
        spec, out = Path(tmp) / "tasks.json", Path(tmp) / "results.json"
        spec.write_text(json.dumps({"site": str(site), "tasks": tasks}))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                   TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), str(spec), str(out)],
                              capture_output=True, text=True, timeout=timeout, env=env, cwd=str(ROOT))
        if proc.returncode != 0:
            raise RuntimeError(f"the reference run failed:\n{proc.stderr[-4000:]}")
        return json.loads(out.read_text())


def cached_run(tasks: list[dict], site: Path, key: str) -> list[dict]:
    """`run(tasks)`, with the results kept in the cache under `key` (the caller hashes its inputs).

    A lock makes concurrent callers (pytest-xdist workers) wait for one run instead of repeating it.
    """
    import fcntl

    results_dir = cache_dir().parent / "reference_results"
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{key}.json"
    with open(results_dir / f".{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return json.loads(path.read_text())
        results = run(tasks, site)
        files.write_text(path, json.dumps(results))
        return results


# ---------------------------------------------------------------------------------------------
# Everything below runs in the child interpreter.

def _install_shims(site: str):
    import collections
    import collections.abc
    import types

    for name in ("Mapping", "MutableMapping", "Sequence", "MutableSequence", "Iterable", "Iterator",
                 "Callable", "Set", "MutableSet", "Hashable", "Sized", "Container", "ValuesView",
                 "KeysView", "ItemsView"):
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))
    sys.path.insert(0, site)
    import gin

    gin_tf = types.ModuleType("gin.tf")
    gin_tf.__doc__ = "Stand-in for gin.tf (needs TensorFlow 1); the metrics only use gin's core API."
    sys.modules["gin.tf"] = gin_tf
    gin.tf = gin_tf


def _load(ref: str):
    import importlib
    import importlib.util

    where, attr = ref.rsplit(":", 1)
    if where.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(where).stem + "_for_reference", where)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    return getattr(module, attr)


class ArrayData:
    """Reference-side ground truth that hands out fixed rows in order: `sample(n)` -> next n rows.

    With the identity as representation function, the reference's `generate_batch_factor_code`
    then reproduces `codes` and `factors` exactly (train rows first, then test rows).
    """

    def __init__(self, factors, codes):
        self.factors, self.codes, self.position = factors, codes, 0

    @property
    def num_factors(self):
        return self.factors.shape[1]

    def sample(self, num, random_state):
        rows = slice(self.position, self.position + num)
        if self.position + num > len(self.factors):
            raise RuntimeError("the reference asked for more rows than were given")
        self.position += num
        return self.factors[rows], self.codes[rows]


class RandomStateData:
    """Adapter: zoo's `GroundTruthData` (Generator-based) behind the reference's interface.

    The reference passes one `np.random.RandomState` through all calls; each call here seeds a
    fresh `np.random.Generator` from it, so the stream stays deterministic in the reference's seed.
    """

    def __init__(self, data):
        self.data = data

    @property
    def num_factors(self):
        return self.data.num_factors

    @property
    def factors_num_values(self):
        return list(self.data.factor_sizes)

    @property
    def observation_shape(self):
        return list(self.data.observation_shape)

    def _rng(self, random_state):
        import numpy as np

        return np.random.default_rng(random_state.randint(2**31 - 1))

    def sample_factors(self, num, random_state):
        return self.data.sample_factors(num, self._rng(random_state))

    def sample_observations_from_factors(self, factors, random_state):
        return self.data.sample_observations_from_factors(factors, self._rng(random_state))

    def sample(self, num, random_state):
        factors = self.sample_factors(num, random_state)
        return factors, self.sample_observations_from_factors(factors, random_state)

    def sample_observations(self, num, random_state):
        return self.sample(num, random_state)[1]


def _run_task(task: dict) -> dict:
    import gin
    import numpy as np

    from disentanglement_lib.evaluation.metrics import (beta_vae, dci, factor_vae, irs, mig,
                                                        modularity_explicitness, sap_score,
                                                        unsupervised_metrics)

    gin.clear_config()
    # The study's metric configs (config/unsupervised_study_v1/metric_configs/*.gin).
    gin.bind_parameter("discretizer.discretizer_fn", _histogram_discretizer())
    gin.bind_parameter("discretizer.num_bins", int(task.get("num_bins", 20)))
    gin.bind_parameter("prune_dims.threshold", float(task.get("prune_threshold", 0.05)))
    metric = task["metric"]
    state = np.random.RandomState(task.get("seed", 0))
    identity = lambda x: x  # noqa: E731
    if metric in ("beta_vae", "factor_vae"):
        data = RandomStateData(_load(task["data"])())
        fn = _load(task["representation"])
        settings = dict(batch_size=task.get("batch_size", 64), num_train=task["num_train"], num_eval=task["num_eval"])
        if metric == "beta_vae":
            return beta_vae.compute_beta_vae_sklearn(data, fn, state, None, **settings)
        return factor_vae.compute_factor_vae(data, fn, state, None,
                                             num_variance_estimate=task["num_variance_estimate"], **settings)
    arrays = np.load(task["arrays"])
    codes_train, factors_train = arrays["codes_train"], arrays["factors_train"]
    has_test = "codes_test" in arrays.files
    codes = np.concatenate([codes_train, arrays["codes_test"]]) if has_test else codes_train
    factors = np.concatenate([factors_train, arrays["factors_test"]]) if has_test else factors_train
    data = ArrayData(factors, codes)
    n_train = len(codes_train)
    n_test = len(codes) - n_train
    if metric == "mig":
        return mig.compute_mig(data, identity, state, None, num_train=n_train)
    if metric == "dci":
        if task.get("gbt_random_state") is not None:
            _pin_gbt_seed(dci, int(task["gbt_random_state"]))
        return dci.compute_dci(data, identity, state, None, num_train=n_train, num_test=n_test)
    if metric == "sap":
        return sap_score.compute_sap(data, identity, state, None, num_train=n_train, num_test=n_test,
                                     continuous_factors=bool(task.get("continuous_factors", False)))
    if metric == "modularity_explicitness":
        return modularity_explicitness.compute_modularity_explicitness(data, identity, state, None,
                                                                       num_train=n_train, num_test=n_test)
    if metric == "irs":
        return irs.compute_irs(data, identity, state, None, diff_quantile=float(task.get("diff_quantile", 0.99)),
                               num_train=n_train, batch_size=16)
    if metric == "unsupervised":
        return unsupervised_metrics.unsupervised_metrics(data, identity, state, None, num_train=n_train)
    raise ValueError(f"unknown reference metric {metric!r}")


def _pin_gbt_seed(dci_module, seed: int):
    """Makes the reference's `ensemble.GradientBoostingClassifier()` use `random_state=seed`.

    Only the name the reference module looks up is rebound, in this child process: `dci.py`
    calls `ensemble.GradientBoostingClassifier()` with `random_state=None`, i.e. numpy's global
    stream, which breaks exactly tied splits at random and makes its DCI vary between runs.
    """
    import types

    from sklearn import ensemble

    def seeded(**kwargs):
        return ensemble.GradientBoostingClassifier(random_state=seed, **kwargs)

    dci_module.ensemble = types.SimpleNamespace(GradientBoostingClassifier=seeded)


def _histogram_discretizer():
    from disentanglement_lib.evaluation.metrics import utils

    return utils._histogram_discretize


def _main(spec_path: str, out_path: str) -> None:
    import warnings

    spec = json.loads(Path(spec_path).read_text())
    _install_shims(spec["site"])
    warnings.simplefilter("ignore")
    # Import everything before the clock starts (the per-task seconds are the metrics' own).
    from disentanglement_lib.evaluation.metrics import (beta_vae, dci, factor_vae, irs, mig,  # noqa: F401
                                                        modularity_explicitness, sap_score,
                                                        unsupervised_metrics)
    results = []
    for task in spec["tasks"]:
        start = time.perf_counter()
        scores = _run_task(task)
        seconds = time.perf_counter() - start
        results.append({"scores": {k: float(v) for k, v in scores.items() if _is_number(v)}, "seconds": seconds})
    Path(out_path).write_text(json.dumps(results))


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
