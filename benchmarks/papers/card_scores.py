"""Every shipped preset's card scores recomputed at the card's own settings: the largest difference per score.

    .venv/bin/python -m benchmarks.papers.card_scores [--quick] [--out out/bench/card_scores.json]

A card's scores were computed once, when the model entered the zoo (`recipes.evaluate
--add_to_zoo`), at the settings recorded beside them (`score_settings`: the metrics, 10,000 /
5,000 points, seed 0, DCI's exact backend). This benchmark loads each preset from
`weights_manifest.json`, recomputes every score with `zoo.metrics.evaluate` at exactly those
settings (the MNIST InfoGAN's with `benchmarks.infogan.infogan_codes` on the digits its card
names), and reports, per score, the card's value, ours and the difference, and the largest
absolute difference over the zoo. With the same code, weights and libraries the differences are 0
(every draw is seeded); a difference says the metric code, a library or the weights changed since
the card was written. The test suite re-checks the cheap scores (MIG or IRS, SAP and
modularity/explicitness at 2,000 points, the preset pins); this recomputes them all, DCI and
the BetaVAE and FactorVAE scores included, which takes minutes a preset.

`--quick` only checks that the benchmark works: one preset at small sizes (1,000 / 500 points,
DCI's fast backend, 8 images per BetaVAE/FactorVAE vote), whose differences from the card are
sampling noise, not drift; the MNIST InfoGAN is scored only if its card's digits are on this
machine (`make mnist-data`), otherwise reported as skipped.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from absl import flags

from benchmarks import _report
from zoo.manifest import dataset_name, load_manifest

NAME = "card_scores"
TITLE = "Card scores recomputed at the cards' own settings"
FLAGS = flags.FLAGS

QUICK = "1 preset (vae-dsprites), 1,000 / 500 points, DCI fast, 8 images per vote"
QUICK_MODELS = ("vae-dsprites",)
QUICK_SETTINGS = {"num_train": 1000, "num_test": 500, "dci_backend": "fast",
                  "metric_options": {"beta_vae_score": {"batch_size": 8},
                                     "factor_vae_score": {"batch_size": 8, "num_variance_estimate": 1000}}}


def settings_of(entry: dict, quick: bool) -> dict:
    """`zoo.metrics.evaluate`'s arguments at the card's `score_settings` (or the quick sizes)."""
    recorded = entry["score_settings"]
    settings = {"metrics": list(recorded["metrics"]), "num_train": recorded["num_train"],
                "num_test": recorded["num_test"], "seed": recorded["seed"],
                "metric_options": {"dci": {"backend": recorded.get("dci_backend", "exact")}}}
    if quick:
        settings.update(num_train=QUICK_SETTINGS["num_train"], num_test=QUICK_SETTINGS["num_test"])
        settings["metric_options"] = {"dci": {"backend": QUICK_SETTINGS["dci_backend"]},
                                      **QUICK_SETTINGS["metric_options"]}
    return settings


def recompute(name: str, entry: dict, quick: bool) -> dict:
    """`{"scores": {key: value}, "settings": ..., "seconds": ...}` or `{"skipped": reason}`."""
    import zoo
    import zoo.data
    import zoo.metrics

    recorded = entry.get("score_settings") or {}
    start = time.perf_counter()
    if "infogan_codes" in recorded:
        from benchmarks.infogan import infogan_codes

        try:
            digits = zoo.data.load("mnist", split="test", source="file")
        except (FileNotFoundError, ValueError) as error:
            return {"skipped": f"the card's digits ({recorded['infogan_codes'].get('held_out')}) are not on this "
                               f"machine: {error}. `make mnist-data` fetches them."}
        model = zoo.load(name)
        result = {"chosen_held_out": False, **infogan_codes.held_out_cluster_accuracy(model, digits),
                  "codes": infogan_codes.code_correlations(model, num_sweeps=50 if quick else 200)}
        return {"scores": infogan_codes.card_scores(result), "settings": {"held_out": "test split, source file",
                                                                          "num_sweeps": 50 if quick else 200},
                "seconds": round(time.perf_counter() - start, 1)}
    if "metrics" not in recorded:
        return {"skipped": "the card records no score settings to recompute at"}
    settings = settings_of(entry, quick)
    model = zoo.load(name)
    scores = zoo.metrics.evaluate(model.representation, zoo.data.load(dataset_name(entry)), progress=False,
                                  **settings)
    return {"scores": {k: float(v) for k, v in scores.items() if not k.startswith("timing.")},
            "settings": settings, "seconds": round(time.perf_counter() - start, 1)}


def compare(card: dict, ours: dict) -> list[dict]:
    """One row per score the card holds and we recomputed: card, ours, ours - card."""
    rows = []
    for key in sorted(set(card) & set(ours)):
        if key.startswith("timing.") or card[key] is None:
            continue
        rows.append({"score": key, "card": card[key], "ours": ours[key], "difference": ours[key] - card[key]})
    return rows


def largest(models: list[dict]) -> list[dict]:
    """Per score, the largest absolute difference over the models, and which model."""
    worst = {}
    for m in models:
        for row in m.get("rows", []):
            best = worst.get(row["score"])
            if best is None or abs(row["difference"]) > abs(best["difference"]):
                worst[row["score"]] = {"score": row["score"], "difference": row["difference"], "model": m["name"]}
    return [worst[k] for k in sorted(worst)]


def run(quick: bool, out: Path, *, manifest_path=None, models=None) -> dict:
    """Recomputes the card scores of every preset (`QUICK_MODELS` only in quick mode).

    Args:
      quick: small sizes, one preset: checks that the benchmark runs, not the cards.
      out: unused (the result JSON is all this benchmark writes).
      manifest_path: the manifest to read (default: the repository's, or $ZOO_MANIFEST).
      models: zoo names to recompute (default: all, or `QUICK_MODELS` in quick mode).
    """
    entries = load_manifest(manifest_path)["models"]
    names = list(models) if models else [n for n in sorted(entries) if not quick or n in QUICK_MODELS]
    unknown = sorted(set(names) - set(entries))
    if unknown:
        raise SystemExit(f"not in the manifest: {', '.join(unknown)}; choose from {', '.join(sorted(entries))}")
    results = []
    for name in names:
        print(f"{name}: recomputing its card scores{' (quick sizes)' if quick else ''} ...", flush=True)
        entry = entries[name]
        recomputed = recompute(name, entry, quick)
        if "skipped" in recomputed:
            print(f"  skipped: {recomputed['skipped']}")
            results.append({"name": name, "skipped": recomputed["skipped"]})
            continue
        rows = compare(entry.get("scores", {}), recomputed["scores"])
        print(_report.text_table(["score", "card", "ours", "difference"],
                                 [[r["score"], f"{r['card']:.4f}", f"{r['ours']:.4f}", f"{r['difference']:+.4f}"]
                                  for r in rows]))
        print(f"  {recomputed['seconds']:.0f} s")
        results.append({"name": name, "rows": rows, "settings": recomputed["settings"],
                        "seconds": recomputed["seconds"]})
    result = {"benchmark": TITLE, "quick": quick, "models": results, "largest": largest(results)}
    print("\nlargest difference per score:")
    print(_report.text_table(["score", "largest |ours - card|", "model"],
                             [[w["score"], f"{w['difference']:+.6f}", w["model"]] for w in result["largest"]]))
    return result


def markdown(result: dict) -> str:
    lines = []
    if result["quick"]:
        lines += [f"*Quick mode ({QUICK}): the differences are sampling noise at small sizes, not drift.*", ""]
    lines.append(_report.markdown_table(["score", "largest difference (ours - card)", "model"],
                                        [[f"`{w['score']}`", f"{w['difference']:+.6f}", f"`{w['model']}`"]
                                         for w in result["largest"]], align="lrl"))
    skipped = [m for m in result["models"] if "skipped" in m]
    if skipped:
        lines += [""] + [f"- `{m['name']}` skipped: {m['skipped']}" for m in skipped]
    done = [m for m in result["models"] if "rows" in m]
    recomputed = ", ".join(f"`{m['name']}` ({m['seconds']:.0f} s)" for m in done) or "none"
    lines += ["", f"Recomputed: {recomputed}."]
    return "\n".join(lines)


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         manifest_path=FLAGS.manifest, models=FLAGS.model or None)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "manifest", "model", "out", "out_dir", "quick")
