"""The benchmarks' command-line flags (absl), each defined once, and how a benchmark runs as a program.

A benchmark module is a client of the package and a library first: `run(quick, out, **options)`
and `markdown(result)` are what `benchmarks.run_all` and the tests call. It imports this module
only when it runs as a program, in its `if __name__ == "__main__":` block, which then calls
`program(main, <the flags it reads>)`:

    if __name__ == "__main__":
        from benchmarks import _flags
        _flags.program(main, "quick", "out_dir", "out")

So importing benchmarks defines no flag (a test may import them beside a recipe, whose own
`--dataset` or `--seed` would clash), names shared by several benchmarks have one definition,
and each benchmark's `--help` lists the flags it reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import app, flags

from benchmarks import _report

# The real dSprites frames the renderer was fitted to: `<checkout>/../shared/reference/` unless
# --reference says otherwise.
REFERENCE_FRAMES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dsprites_gif_frames.npz"

flags.DEFINE_bool("quick", False, "Quick mode: smaller sizes and fewer repeats (each benchmark says which).")
flags.DEFINE_string("out_dir", "out/bench", "Folder for the result JSON and the benchmark's other files.")
flags.DEFINE_string("out", None, "The result JSON (default: <out_dir>/<the benchmark's name>.json); for population "
                    "and infogan_codes, the folder of their files (as --out_dir).")
flags.DEFINE_multi_string("runs_dir", [], "Folder of training runs (repeatable); their checkpoints become "
                          "representations (population: the one sweep folder to score, default runs/population).")
flags.DEFINE_string("dataset", "dsprites", "The registered dataset to score on or compare with.")
flags.DEFINE_enum("dci_backend", None, ["fast", "exact", "sklearn"], "DCI backend (default: the benchmark's).")

# Sizes, seeds and limits: unset, each benchmark takes its own (its FULL or QUICK settings).
SIZES = {
    "seed": "evaluation seed",
    "num_train": "training points of the array metrics",
    "num_test": "test points of the array metrics",
    "num_eval": "evaluation points (betavae_table)",
    "batch_size": "images per point of the BetaVAE and FactorVAE scores, L",
    "intervention_train": "BetaVAE/FactorVAE training points (metric_agreement, population)",
    "intervention_eval": "BetaVAE/FactorVAE evaluation points (metric_agreement, population)",
    "num_variance_estimate": "points for FactorVAE's variances",
    "fit_images": "images PCA and ICA are fit on (betavae_table)",
    "checkpoints_per_run": "checkpoints taken from each run, evenly spaced (metric_agreement)",
    "probe_points": "images the probe of each model uses (population)",
    "probe_seed": "seed of the probe's images (population)",
    "limit": "score at most this many new runs (population)",
    "dci_jobs": "processes for DCI's per-factor classifiers (population; default one per core)",
}
for _name, _help in SIZES.items():
    flags.DEFINE_integer(_name, None, f"{_help[0].upper()}{_help[1:]} (default: the benchmark's).")

# betavae_table
flags.DEFINE_list("seeds", None, "Comma list of evaluation seeds (default 0,1,2).")
flags.DEFINE_list("rows", None, "Comma list of row keys to score (e.g. ground_truth,pca), for a smoke run.")
# metric_agreement
flags.DEFINE_bool("no_baselines", False, "Score only zoo models and run checkpoints.")
# population
flags.DEFINE_enum("step", "figures", ["score", "udr", "figures", "all"], "score: score finished runs into the "
                  "table; udr: each setting's UDR among its models, into the table; figures: the six figures from the "
                  "table; all: the three.")
flags.DEFINE_string("population_file", str(Path(__file__).resolve().parents[1] / "docs" / "bench" / "population.json"),
                    "The per-model table (JSON).")
flags.DEFINE_bool("progress", False, "Progress bars while scoring.")
flags.DEFINE_list("extra_eval_seeds", ["1", "2"], "Further evaluation seeds at which the score step also scores "
                  "BetaVAE and FactorVAE (their evaluation noise apart from the seed spread); empty for none.")
flags.DEFINE_string("readme", None, "Also write the sections into this Markdown file (in --out), between "
                    "markers, replacing the previous ones.")
flags.DEFINE_bool("impossibility", True, "Run the Theorem 1 demonstration with the figures.")
# step_profile
flags.DEFINE_string("child", None, "Internal: one runtime setting's JSON, run in its own process (step_profile).")
# metrics_bench
flags.DEFINE_bool("no-reference", False, "Time ours only, not disentanglement_lib.")
flags.DEFINE_bool("dci_only", False, "Time exact DCI only: scikit-learn's trees against the presorted port, same arrays.")
# train_bench
flags.DEFINE_list("objectives", [], "Comma-separated subset of zoo.models.names() (default: all).")
# zoo_scores
flags.DEFINE_string("manifest", None, "Manifest to read (default: the repository's, or $ZOO_MANIFEST).")
# sample_spread, infogan_codes
flags.DEFINE_multi_string("model", [], "Zoo name or preset folder (sample_spread: repeatable, default "
                          "infogan-dsprites; infogan_codes: one, default infogan-mnist).")
flags.DEFINE_bool("update_card", False, "infogan_codes: write the scores and the three pictures into the model's "
                  "preset folder (its card and metadata.json) and, for a manifest model, its manifest entry.")
flags.DEFINE_string("add_seed", None, "infogan_codes: after --update_card, add the scored run (a preset folder "
                    "trained with `python -m recipes.train --recipe_of=NAME --seed=N`) to the zoo as training seed N of "
                    "NAME (zoo.registry.add_seed; e.g. --add_seed=infogan-mnist).")
flags.DEFINE_string("held_out", None, "infogan_codes: zoo.data.load('mnist') options of the held-out digits, k=v,... "
                    "(e.g. source=file for MNIST's 10,000 test digits; default: those of the model's training data).")
flags.DEFINE_integer("n", 256, "Samples per model and frames of the data.")
# data_bench
flags.DEFINE_bool("large_file", False, "Only the real-size file figures: stream mpi3d_toy from a generated npz.")
flags.DEFINE_string("large_file_dir", None, "Folder for the generated file (default: beside --out); needs 12.7 GB "
                    "free.")
flags.DEFINE_integer("large_file_images", 1_036_800, "Rows of the generated file (MPI3D's 1,036,800).")
# data_bench, fit_dsprites
flags.DEFINE_string("reference", str(REFERENCE_FRAMES), "Real dSprites frames (npz with images and "
                    "factor_classes), cut from DeepMind's file.")
# run_all
flags.DEFINE_list("only", None, "Comma list of steps to run (default: all).")
flags.DEFINE_string("publish", None, "Also copy README.md and the plots into this folder (e.g. docs/bench, "
                    "tracked by git, unlike out/).")
flags.DEFINE_string("agreement_dataset", None, "metric_agreement's --dataset (its default: dsprites, where the zoo "
                    "is trained).")

FLAGS = flags.FLAGS


def program(main, *names: str) -> None:
    """Runs `main` with absl, the flags `names` shown by `--help` as the running benchmark's own."""
    for name in names:
        FLAGS.register_key_flag_for_module(sys.argv[0], FLAGS[name])
    app.run(main)


def program_of(module) -> None:
    """Runs a benchmark whose only flags are `--quick`, `--out_dir` and `--out`: its result is
    written (`_report.run_and_save`) and its Markdown printed."""
    def main(argv):
        _report.no_arguments(argv)
        print(_report.run_and_save(module, quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out)["markdown"])
        return 0

    program(main, "quick", "out_dir", "out")
