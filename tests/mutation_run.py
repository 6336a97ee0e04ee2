"""Mutation testing of the math with mutmut: what `make mutation` runs (not part of `make test`).

    .venv/bin/python tests/mutation_run.py [--only losses,metrics] [--files zoo/metrics/_dci.py,...] [--out out/mutation]
                                           [--resume]

A mutant is the code with one small change (an operator swapped, a constant nudged, an argument
dropped); a good test suite fails on it ("killed"). Each group below is a set of source files and
the fast tests that guard them. For each group this script copies `zoo/`, `tests/`, `setup.cfg`
and a `pyproject.toml` holding the group's `[tool.mutmut]` settings into `out/mutation/<group>/`
(so the shared working tree never holds a `mutants/` folder), runs `mutmut run` there (mutmut
runs, for each mutant, only the tests that execute the mutated function), and reads the verdicts
from mutmut's `.meta` files. It writes `out/mutation/result.json` and prints the
Markdown table of the score per file (killed / (killed + survived + timeout)); every surviving
mutant is listed with its diff in `out/mutation/<group>/survivors.md`.

Statements that raise an error are not mutated (`do_not_mutate_patterns`): mutating the message
text of a `ValueError` is not mutating the math; the conditions that decide to raise are mutated.
mutmut is pinned in setup.cfg's `mutation` extra (`make mutation` installs it).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# group -> (source files to mutate, the fast tests that guard them)
GROUPS = {
    "losses": (["zoo/losses.py"], ["tests/test_losses.py",
                                   # Ada-GVAE's aggregations (losses.shared_by_*), tested beside their model
                                   "tests/test_weak_vae.py::test_adaptive_threshold_on_a_made_up_pair",
                                   "tests/test_weak_vae.py::test_known_k_shares_all_but_the_k_largest"]),
    "metrics": ([f"zoo/metrics/{name}.py" for name in
                 ("_mig", "_dci", "_sap", "_modularity_explicitness", "_irs", "_unsupervised", "_factor_vae",
                  "_beta_vae", "_utils", "_cluster_accuracy", "_udr")],
                [f"tests/test_metrics_{name}.py" for name in
                 ("mig", "dci", "sap", "modularity_explicitness", "irs", "unsupervised", "factor_vae", "beta_vae",
                  "cluster_accuracy", "udr", "errors", "scales", "defaults", "pinned")]
                # DCI's "sklearn" backend (`_dci._fit_one_sklearn`), which the metric files leave to the slow
                # reference tests: the exact backend must equal it on every score.
                + ["tests/test_presorted_boosting.py::test_dci_exact_backend_equals_the_scikit_learn_backend"]),
    "models": ([f"zoo/models/{name}.py" for name in ("vae", "beta_vae", "annealed_vae", "dip_vae", "beta_tcvae",
                                                     "factor_vae", "weak_vae", "ada_gvae", "ada_ml_vae")]
               + [f"zoo/models/infogan/{name}.py" for name in ("game", "wgan_gp", "contrastive")],
               ["tests/test_models.py", "tests/test_regularisers.py", "tests/test_two_players.py",
                "tests/test_infogan.py", "tests/test_infogan_cr.py", "tests/test_weak_vae.py"]),
    "renderer": (["zoo/data/dsprites_render.py"], ["tests/test_data_dsprites.py"]),
    # DCI's gradient-boosting engines: ports that must grow scikit-learn's trees, not metric definitions.
    "boosting": ([f"zoo/metrics/_boosting/{name}.py" for name in
                  ("histogram", "threaded_sklearn", "presorted/__init__", "presorted/booster", "presorted/tree",
                   "presorted/splits", "presorted/sort_replay")],
                 ["tests/test_presorted_boosting.py", "tests/test_metrics_dci.py"]),
}
# TensorFlow's runtime is not fork-safe: once the parent (which collected the test statistics) has run
# an op, an eager op in a forked child waits forever (seen on 2026-12-07: 14 of the models group's first
# 16 mutants "timed out" idle in `stateless_random_uniform`). The models run each mutant from a fork
# server that has imported nothing, so TensorFlow starts afresh in every child.
ISOLATION = {"models": ['process_isolation = "forkserver"', 'forkserver_warmup = "none"']}
DO_NOT_MUTATE = [r"^\s*raise \w+(Error|Exception)\(", r"^\s*warnings\.warn\("]
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", 37: "type check", -11: "segfault",
          -9: "segfault", None: "not checked"}


def _toml_list(values) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(group: str, work: Path, files=None) -> None:
    """A fresh copy of the package and tests, with the group's mutmut settings in pyproject.toml;
    `files` (paths of the group's sources) mutates only those."""
    sources, tests = GROUPS[group]
    if files:
        sources = [f for f in sources if f in files]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "zoo", work / "zoo", ignore=ignore)
    shutil.copytree(ROOT / "tests", work / "tests", ignore=ignore)
    shutil.copy2(ROOT / "setup.cfg", work / "setup.cfg")
    # Keras builds a layer's config from `getfullargspec(cls.__init__)`, which cannot see through
    # mutmut's trampoline (`*args, **kwargs`): every Keras class with a mutated constructor fails to
    # build. Constructors (hyperparameters stored, sublayers made) are left unmutated; their defaults
    # are checked by the models' tests through the registry.
    for source in sources:
        path = work / source
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef) and node.name == "__init__":
                # the pragma goes after the header's colon (its last line where the header spans several)
                end = next(i for i in range(node.lineno - 1, node.body[0].lineno)
                           if lines[i].split("#")[0].rstrip().endswith(":"))
                lines[end] += "  # pragma: no mutate block"
        path.write_text("\n".join(lines) + "\n")
    tests = [t for t in tests if (ROOT / t.split("::")[0]).is_file()]
    pyproject = (ROOT / "pyproject.toml").read_text() + "\n".join([
        "", "[tool.mutmut]",
        'source_paths = ["zoo"]',
        f"only_mutate = {_toml_list(sources)}",
        f"do_not_mutate_patterns = {_toml_list(DO_NOT_MUTATE)}",
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]',
        "timeout_multiplier = 10.0",
        *ISOLATION.get(group, []),
        ""])
    (work / "pyproject.toml").write_text(pyproject)


def verdicts(work: Path) -> dict:
    """{file: {status: count}} and the surviving mutants' names, from mutmut's .meta files."""
    per_file, survivors = {}, []
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        path = str(meta.relative_to(work / "mutants"))[:-len(".meta")]
        data = json.loads(meta.read_text())
        counts = {}
        for name, code in data["exit_code_by_key"].items():
            status = STATUS.get(code, "suspicious")
            counts[status] = counts.get(status, 0) + 1
            if status in ("survived", "timeout", "suspicious"):
                survivors.append(name)
        per_file[path] = counts
    return {"files": per_file, "survivors": sorted(survivors)}


def sampled_mutants(work: Path, mutmut: Path, env: dict, size: int, seed: int) -> list[str]:
    """`size` mutants drawn uniformly, without replacement, from all of the group's (a fixed draw for a
    given seed), less those that already have a verdict (a resumed run).

    mutmut generates every mutant and collects the tests' coverage on its first `run`; asking it for a
    name that matches nothing does exactly that and stops there, leaving each file's `.meta` with every
    mutant's name. Groups whose mutants each cost tens of seconds of TensorFlow tests are scored this
    way: a uniform sample's killed fraction estimates the whole group's, with a binomial interval."""
    if not list((work / "mutants").rglob("*.py.meta")):
        with open(work / "mutmut.log", "w") as f:
            subprocess.call([str(mutmut), "run", "zoo.no_mutant_matches_this_name"], cwd=work, env=env,
                            stdout=f, stderr=subprocess.STDOUT)
    codes = {}
    for meta in sorted((work / "mutants").rglob("*.py.meta")):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    if not codes:
        raise SystemExit(f"mutmut generated no mutants in {work} (see {work / 'mutmut.log'})")
    chosen = random.Random(seed).sample(sorted(codes), min(size, len(codes)))
    return sorted(name for name in chosen if codes[name] is None)


def interval(killed: int, tried: int) -> tuple[float, float]:
    """Wilson's 95% interval for a killed fraction estimated from a sample of `tried` mutants (scipy's)."""
    if tried == 0:
        return (0.0, 1.0)
    from scipy.stats import binomtest

    ci = binomtest(killed, tried).proportion_ci(confidence_level=0.95, method="wilson")
    return (float(ci.low), float(ci.high))


def score(counts: dict) -> float | None:
    tried = counts.get("killed", 0) + counts.get("survived", 0) + counts.get("timeout", 0)
    return None if tried == 0 else counts.get("killed", 0) / tried


def run_group(group: str, out: Path, max_children: int, files=None, resume: bool = False, sample: int = 0,
              sample_seed: int = 0) -> dict:
    work = out / group
    if resume and (work / "mutants").is_dir():
        print(f"resuming in {work}: mutmut runs the mutants that have no verdict yet", flush=True)
    else:
        prepare(group, work, files)
    mutmut = Path(sys.executable).with_name("mutmut")
    if not mutmut.is_file():
        raise SystemExit(f"mutmut is not installed in {Path(sys.executable).parent}: "
                         "pip install -e '.[mutation]' (or run `make mutation`)")
    # mutmut runs each mutant in a child forked from the process that collected the test statistics.
    # joblib's loky pool (DCI's "fast" backend with n_jobs > 1) made there is inherited without its
    # manager thread, so a Parallel call in the child waits forever: every mutant whose tests all pass
    # ended as a "timeout" (seen on 2026-12-07: _nanmean and entropy mutants, 345 s each, while the same
    # tests pass in 15 s unforked). JOBLIB_MULTIPROCESSING=0 runs those calls in-process; the worker
    # count changes no score, and the call itself is still made.
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0",
           "JOBLIB_MULTIPROCESSING": "0"}
    start = time.perf_counter()
    log = work / "mutmut.log"
    names = []
    if sample:
        names = sampled_mutants(work, mutmut, env, sample, sample_seed)
        print(f"{group}: {len(names)} sampled mutants to run (seed {sample_seed})", flush=True)
    with open(log, "a" if sample else "w") as f:
        rc = 0
        if names or not sample:
            rc = subprocess.call([str(mutmut), "run", "--max-children", str(max_children), *names], cwd=work,
                                 env=env, stdout=f, stderr=subprocess.STDOUT)
    result = {"group": group, "returncode": rc, "seconds": round(time.perf_counter() - start),
              "sample": sample and {"size": sample, "seed": sample_seed}, **verdicts(work)}
    diffs = []
    for name in result["survivors"]:
        shown = subprocess.run([str(mutmut), "show", name], cwd=work, env=env, capture_output=True, text=True)
        diffs += [f"## {name}", "", "```diff", shown.stdout.strip(), "```", ""]
    (work / "survivors.md").write_text("\n".join(diffs) + "\n")
    return result


def markdown(results: list[dict]) -> str:
    lines = ["| group | file | killed | survived | timeout | no tests | score |", "|---|---|---|---|---|---|---|"]
    for r in results:
        for path, c in sorted(r["files"].items()):
            s = score(c)
            lines.append(f"| {r['group']} | `{path}` | {c.get('killed', 0)} | {c.get('survived', 0)} | "
                         f"{c.get('timeout', 0)} | {c.get('no tests', 0)} | {'-' if s is None else f'{s:.1%}'} |")
        if r.get("sample"):
            total = {k: sum(c.get(k, 0) for c in r["files"].values()) for k in ("killed", "survived", "timeout")}
            tried = sum(total.values())
            low, high = interval(total["killed"], tried)
            estimate = "-" if not tried else f"{total['killed'] / tried:.1%} (95% interval {low:.0%}-{high:.0%})"
            lines.append(f"| {r['group']} | all files, a uniform sample of {r['sample']['size']} (seed "
                         f"{r['sample']['seed']}) | {total['killed']} | {total['survived']} | {total['timeout']} | | "
                         f"{estimate} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(GROUPS), help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--files", default="", help="comma-separated source files of the chosen groups to mutate "
                        "(default: all of each group's)")
    parser.add_argument("--out", default=str(ROOT / "out" / "mutation"))
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in --out (its copy "
                        "of the code and tests as they were when it started) instead of starting afresh")
    parser.add_argument("--max_children", type=int, default=1)
    parser.add_argument("--sample", type=int, default=0, help="run only this many mutants per group, drawn "
                        "uniformly (0: all); the table then estimates the group's score with a 95%% interval")
    parser.add_argument("--sample_seed", type=int, default=0)
    args = parser.parse_args()
    groups = [g for g in args.only.split(",") if g]
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    files = [f for f in args.files.split(",") if f]
    known = {f for g in groups for f in GROUPS[g][0]}
    if set(files) - known:
        parser.error(f"--files: {', '.join(sorted(set(files) - known))} not among the chosen groups' sources "
                     f"({', '.join(sorted(known))})")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for group in groups:
        print(f"=== mutation: {group} -> {out / group}", flush=True)
        results.append(run_group(group, out, args.max_children, files, args.resume, args.sample,
                                   args.sample_seed))
        print(markdown(results[-1:]), flush=True)
        (out / "result.json").write_text(json.dumps(results, indent=1))
    print(markdown(results))
    print(f"wrote {out / 'result.json'}; surviving mutants' diffs in {out}/<group>/survivors.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
