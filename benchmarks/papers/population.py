r"""The lecture's claims measured on a trained population (issue 20): scoring, then six figures.

    # 1. score every finished run of the sweep into one table (resumable; rerun to add new runs)
    python -m benchmarks.papers.population --step=score --runs_dir=runs/population \
        --population_file=docs/bench/population.json
    # 1b. UDR of each setting's models among each other, into the same rows (needs the run folders)
    python -m benchmarks.papers.population --step=udr --runs_dir=runs/population_long \
        --population_file=docs/bench/population.json
    # 2. the six figures and their Markdown, from the table only
    python -m benchmarks.papers.population --step=figures --population_file=docs/bench/population.json --out=docs/bench
    # ... and the six sections written into the benchmarks README (replacing the previous ones)
    python -m benchmarks.papers.population --out=docs/bench --readme=docs/bench/README.md

`score` (`_population_score.py`): each run folder with a preset is scored once, with the full
metric suite at one fixed setting (the study's 10,000 / 5,000 points and the reference's exact DCI
by default; the BetaVAE and FactorVAE scores on --intervention_train / --intervention_eval points),
plus a probe of the model on --probe_points images (reconstruction error, KL per latent, Gaussian
total correlation of the mean and the sampled representation, latent-factor mutual information);
the table is rewritten atomically after every model.

`udr` (`_population_udr.py`): each setting with two or more models in --runs_dir gets every one of
them encoded on the same 1,000 images and each row its UDR (Duan et al. 2020) among them.

`figures` (`_population_figures.py`, `_population_markdown.py`, `_impossibility.py`), from the
table only:
  1. Spearman matrix of the six metrics over the models, beside Locatello et al. 2019's;
  2. each score's variance split into objective, setting and seed, and the scores per objective;
  3. Gaussian TC of the sampled and the mean representation against regularisation strength;
  4. reconstruction error against the FactorVAE score and MIG for beta-VAE and FactorVAE;
  5. KL per latent through training of the AnnealedVAE runs, each latent named by its factor;
  6. Theorem 1: a rotation of a perfectly disentangled Gaussian code keeps the prior likelihood
     while every supervised score falls (exact; no model).
Every correlation, variance share and trend of 1 to 4 carries a 95% bootstrap interval and a verdict
against the paper ("agrees", "disagrees", "undetermined"; `_population_intervals.py`, rule and
resampling units there), and the pooled figures count beta-TCVAE at beta 1 once (it is beta-VAE at
beta 1). The figures step never trains: it recomputes everything from the table, so rerunning it
after changing this code rewrites the page, the plots and the JSON from the same scores.
It writes `population_*.png`, `population_figures.json` (every number) and `population.md` into --out.
`run(quick, out)` and `markdown(result)` are the interface every benchmark has (`_report.py`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from absl import app, flags  # noqa: E402

from benchmarks.papers import (_impossibility, _population_figures, _population_markdown,  # noqa: E402
                               _population_score, _population_stats, _population_udr)
from benchmarks import _report  # noqa: E402
from zoo import files  # noqa: E402

NAME = "population_figures"
TITLE = "The lecture's claims on a trained population"
FLAGS = flags.FLAGS
ROOT = Path(__file__).resolve().parents[2]
POPULATION_FILE = ROOT / "docs" / "bench" / "population.json"
STEPS = ("score", "udr", "figures", "all")


def run(quick: bool = False, out: Path = Path("out/bench"), *, population_file=None,
        impossibility: bool = True, resamples: int = _population_stats.RESAMPLES) -> dict:
    """The figures step: every figure's numbers from the population file, plots and `population.md` into `out`.

    Args:
      quick: the impossibility demonstration on fewer points (the rest costs seconds either way).
      out: folder for `population_*.png`, `population_figures.json` and `population.md`.
      population_file: the table the score step wrote (default docs/bench/population.json).
      impossibility: also run the Theorem 1 demonstration (about a minute at full size).
      resamples: bootstrap resamples behind every interval (the page's numbers use the default, 2,000).
    """
    population_file = Path(population_file or POPULATION_FILE)
    content = _population_score.read_population(population_file)
    if not content["rows"]:
        raise FileNotFoundError(f"{population_file} holds no scored model; run the score step first "
                                "(python -m benchmarks.papers.population --step=score --runs_dir=runs/population).")
    demo = None
    if impossibility:
        demo = _impossibility.demonstrate(**(_impossibility.QUICK if quick else _impossibility.FULL))
    result = _population_figures.compute(content["rows"], demo, settings=content["settings"], resamples=resamples)
    result.update({"population_file": _relative(population_file), "settings": content["settings"], "quick": quick})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result["figures"] = _population_figures.draw(result, out)
    files.write_text(out / "population.md", markdown(result))
    return result


def markdown(result: dict) -> str:
    """The six sections, each with the paper's claim beside our numbers and its plot."""
    return _population_markdown.markdown(result)


def score(runs_dir, population_file=None, *, quick: bool = False, limit: int | None = None, progress: bool = False,
          dci_jobs: int | None = None, extra_eval_seeds=_population_score.EXTRA_EVAL_SEEDS, **overrides) -> dict:
    """The score step (see `_population_score.score_population`); `overrides` replace FULL/QUICK sizes."""
    settings = dict(_population_score.QUICK if quick else _population_score.FULL)
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown score settings {sorted(unknown)}; known: {sorted(settings)}.")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return _population_score.score_population(runs_dir, population_file or POPULATION_FILE, settings, limit=limit,
                                              progress=progress, dci_jobs=dci_jobs, extra_eval_seeds=extra_eval_seeds,
                                              log=lambda s: print(s, flush=True))


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv) -> int:
    _report.no_arguments(argv)
    if len(FLAGS.runs_dir) > 1:
        raise app.UsageError(f"the score step scores one sweep folder; got --runs_dir {FLAGS.runs_dir}.")
    out = Path(FLAGS.out or FLAGS.out_dir)  # --out is this benchmark's folder, as --out_dir
    if FLAGS.readme:  # checked before any work
        if FLAGS.step in ("score", "udr"):
            raise ValueError("--readme writes the figures' sections; use it with --step=figures or --step=all.")
        if Path(FLAGS.readme).resolve().parent != out.resolve():
            raise ValueError(f"--readme {FLAGS.readme} must sit in --out {out}, where the plots it links are.")
    print(_report.describe(_report.machine(), _report.versions()), flush=True)
    if FLAGS.step in ("score", "all"):
        overrides = {k: FLAGS[k].value for k in _population_score.FULL}
        content = score(FLAGS.runs_dir[0] if FLAGS.runs_dir else "runs/population", FLAGS.population_file,
                        quick=FLAGS.quick, limit=FLAGS.limit, progress=FLAGS.progress, dci_jobs=FLAGS.dci_jobs,
                        extra_eval_seeds=tuple(int(s) for s in FLAGS.extra_eval_seeds), **overrides)
        print(f"{len(content['rows'])} models in {FLAGS.population_file}", flush=True)
    if FLAGS.step in ("udr", "all"):
        _population_udr.udr_step(FLAGS.runs_dir[0] if FLAGS.runs_dir else "runs/population", FLAGS.population_file,
                                 log=lambda s: print(s, flush=True))
    if FLAGS.step in ("figures", "all"):
        result = _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=out,
                                      population_file=FLAGS.population_file, impossibility=FLAGS.impossibility)
        print(result["markdown"])
        print(f"wrote {out}/population.md and {', '.join(result['figures'].values())}", flush=True)
        if FLAGS.readme:
            _population_markdown.publish(FLAGS.readme, result["markdown"], TITLE)
            print(f"wrote the sections into {FLAGS.readme}", flush=True)
    return 0


def _main(argv) -> int:
    try:
        return main(argv)
    except (ValueError, FileNotFoundError) as e:  # bad input: the message names the problem and the fix
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(lambda argv: sys.exit(_main(argv)), "step", "runs_dir", "population_file", "out", "out_dir",
                   "quick", "limit", "progress", "impossibility", "dci_jobs", "readme", "extra_eval_seeds",
                   *_population_score.FULL)
