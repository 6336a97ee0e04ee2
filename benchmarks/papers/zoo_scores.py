"""The pretrained zoo's scores, read from `weights_manifest.json`, and the targets they are held to.

    .venv/bin/python -m benchmarks.papers.zoo_scores [--out out/bench/zoo_scores.json]

Nothing is computed here: every number is the one `recipes.evaluate --add_to_zoo` (or
`--update_card`) wrote into the manifest, at the settings recorded beside it (`score_settings`).
The table is what the project README's status section shows.

The targets (the zoo issue): beta-VAE, beta-TCVAE and FactorVAE each reach a BetaVAE score of at
least 0.80 and a MIG of at least 0.15, and every disentangling objective beats `vae-dsprites` on
both (only the models trained on dSprites, as the baseline is). A target whose model is not in the
zoo reads "not in the zoo yet".

A name trained at several seeds (`zoo.seeds(name)`) shows each score as mean ± sd over its seeds
(failed seeds have no scores; the served seed's own values are on its card), and each target it is
held to reads "met by k of n seeds"; a name with one seed reads as before.
"""

from __future__ import annotations

import sys
from pathlib import Path

from absl import flags

from benchmarks import _report
from zoo import cards
from zoo.manifest import dataset_name, load_manifest
from zoo.seed_rule import seed_records
from zoo.runs.settings import recorded_hparams

NAME = "zoo_scores"
TITLE = "The zoo's scores (from weights_manifest.json) and targets"
FLAGS = flags.FLAGS

COLUMNS = (  # (manifest score key, column title)
    ("beta_vae_score.eval_accuracy", "BetaVAE"),
    ("factor_vae_score.eval_accuracy", "FactorVAE"),
    ("mig.mig", "MIG"),
    ("dci.disentanglement", "DCI dis."),
    ("modularity_explicitness.modularity", "modularity"),
    ("sap.sap", "SAP"),
    ("irs.irs", "IRS"),
)
ORDER = tuple(cards.OBJECTIVES)  # the objectives in the order the cards introduce them
BASELINE = "vae-dsprites"
HELD_TO_TARGET = ("betavae-dsprites", "betatcvae-dsprites", "factorvae-dsprites")
TARGETS = {"beta_vae_score.eval_accuracy": 0.80, "mig.mig": 0.15}


def _hparams(entry: dict) -> str:
    # Completed with the options added since the model trained, at the values it trained with
    # (`LEGACY_HPARAMS`; e.g. InfoGAN's noise_prior, normal before the option existed).
    hparams = recorded_hparams(entry.get("objective"), entry.get("training", {}).get("hparams") or {})
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in hparams.items() if v is not None)


def rows(manifest: dict) -> list[dict]:
    """One row per zoo model, in the objectives' order: name, objective, hparams, steps, scores."""
    models = manifest.get("models", {})
    order = {objective: i for i, objective in enumerate(ORDER)}
    out = []
    for name in sorted(models, key=lambda n: (order.get(models[n]["objective"], len(ORDER)), n)):
        entry = models[name]
        out.append({"name": name, "objective": entry["objective"], "hparams": _hparams(entry),
                    "dataset": dataset_name(entry),
                    "steps": entry.get("training", {}).get("steps"),
                    "total_steps": cards.total_steps(entry.get("training", {})),
                    "first_run_steps": cards.first_run_steps(entry.get("training", {})),
                    "scores": {key: entry.get("scores", {}).get(key) for key, _ in COLUMNS},
                    "seed_scores": _seed_scores(entry, [key for key, _ in COLUMNS] + list(TARGETS)),
                    "score_settings": entry.get("score_settings")})
    return out


def _seed_scores(entry: dict, keys) -> dict[str, list[float]]:
    """`{score key: [its value at each training seed that has it, by seed]}` (failed seeds have none)."""
    records = seed_records(entry) if entry.get("seeds") else {0: {"status": "ok", "scores": entry.get("scores") or {}}}
    return {key: [r["scores"][key] for r in records.values() if r["status"] != "failed"
                  and isinstance((r.get("scores") or {}).get(key), (int, float))] for key in dict.fromkeys(keys)}


def cell(row: dict, key: str) -> str:
    """A table cell: the value, or `mean ± sd` over the name's training seeds when it has several."""
    values = row.get("seed_scores", {}).get(key) or []
    if len(values) < 2:
        return _fmt(row["scores"][key])
    import statistics

    return f"{statistics.fmean(values):.3f} ± {statistics.stdev(values):.3f}"


def target_checks(table: list[dict]) -> list[dict]:
    """Each target of the zoo issue: the model, the score, the bar, and whether it is met."""
    by_name = {row["name"]: row for row in table}
    baseline = by_name.get(BASELINE)
    checks = []
    for name in HELD_TO_TARGET:
        for key, bar in TARGETS.items():
            value = by_name[name]["scores"][key] if name in by_name else None
            checks.append({"model": name, "score": key, "value": value, "bar": f">= {bar}",
                           "met": None if value is None else bool(value >= bar),
                           **_met_by(by_name.get(name), key, lambda v, bar=bar: v >= bar)})
    for row in table:
        # The baseline is trained on dSprites; a model of another dataset is not held to it.
        if row["name"] == BASELINE or row["objective"] == "vae" or row.get("dataset", "dsprites") != "dsprites":
            continue
        for key in TARGETS:
            value = row["scores"][key]
            reference = None if baseline is None else baseline["scores"][key]
            checks.append({"model": row["name"], "score": key, "value": value,
                           "bar": f"> {BASELINE}" + ("" if reference is None else f" ({reference:.3f})"),
                           "met": None if value is None or reference is None else bool(value > reference),
                           **({} if reference is None else _met_by(row, key, lambda v, r=reference: v > r))})
    return checks


def _met_by(row: dict | None, key: str, meets) -> dict:
    """For a name with several seeds: `{"met_by": k, "seeds": n}` (k of its n scored seeds meet the
    bar; the baseline's bar is its served seed's value); {} otherwise."""
    values = (row or {}).get("seed_scores", {}).get(key) or []
    return {"met_by": sum(bool(meets(v)) for v in values), "seeds": len(values)} if len(values) > 1 else {}


def _met(check: dict) -> str:
    if "seeds" in check:
        return f"met by {check['met_by']} of {check['seeds']} seeds"
    return {True: "yes", False: "**no**", None: "not in the zoo yet"}[check["met"]]


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _steps(row: dict, for_markdown: bool) -> str:
    """`30,000`, or `90,000 (60,000 fine-tuned)` for a model trained on from another's weights, once or more."""
    total = row.get("total_steps") or row["steps"]
    tuned = total - (row.get("first_run_steps") or total) if total is not None else 0
    text = f"{total:,}" if for_markdown else str(total)
    return text if not tuned else text + (f" ({tuned:,} fine-tuned)" if for_markdown else f" ({tuned} ft)")


def _score_table(table: list[dict], *, for_markdown: bool) -> tuple[list[str], list[list], str]:
    """`(header, rows, align)` of the scores table, for `_report.markdown_table` or `text_table`."""
    header = ["model", "hyperparameters", "steps"] + [title for _, title in COLUMNS]
    cells = [[f"`{r['name']}`" if for_markdown else r["name"], r["hparams"] or "-",
              _steps(r, for_markdown) if r["steps"] else "-"]
             + [cell(r, key) for key, _ in COLUMNS] for r in table]
    return header, cells, "lll" + "r" * len(COLUMNS)


def tables_markdown(table: list[dict], checks: list[dict]) -> str:
    """The scores table and, when there are any, the target checks, as Markdown."""
    lines = [_report.markdown_table(*_score_table(table, for_markdown=True))]
    if checks:
        lines += ["", _report.markdown_table(
            ["target", "model", "value", "met"],
            [[f"{c['score'].split('.')[0]} {c['bar']}", f"`{c['model']}`", _fmt(c["value"]), _met(c)]
             for c in checks],
            align="llrl")]
    return "\n".join(lines)


def run(quick: bool, out: Path, *, manifest_path=None) -> dict:
    """Reads the scores from the manifest and checks the targets; prints both.

    Args:
      quick: unused (nothing is computed).
      out: unused (the result is all this benchmark writes).
      manifest_path: the manifest to read (default: the repository's, or $ZOO_MANIFEST).
    """
    table = rows(load_manifest(manifest_path))
    checks = target_checks(table)
    print(f"{len(table)} zoo models (scores as recorded in the manifest)")
    print(_report.text_table(*_score_table(table, for_markdown=False)))
    met = [c["met"] for c in checks]
    print(f"\ntargets: {met.count(True)} met, {met.count(False)} missed, {met.count(None)} waiting on a model")
    for c in checks:
        if c["met"] is not True:
            print(f"  {c['model']}: {c['score']} {_fmt(c['value'])}, needs {c['bar']}"
                  + ("" if c["met"] is False else " (not in the zoo yet)"))
    return {"benchmark": "the zoo's scores from weights_manifest.json, and the zoo issue's targets",
            "models": table, "targets": checks}


def markdown(result: dict) -> str:
    return tables_markdown(result["models"], result["targets"])


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         manifest_path=FLAGS.manifest)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "manifest", "out", "out_dir", "quick")
