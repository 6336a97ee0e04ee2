"""The bfloat16 encoding option against float32: each zoo model's scores and encoding time under both.

    .venv/bin/python -m benchmarks.speed.precision_bench [--quick] [--out out/bench/precision.json]

For every zoo model that loads here, `zoo.metrics.evaluate` on the dataset it was scored on, once
with float32 encoding (the default and the reference every card records) and once with
`precision="bfloat16"` (the model's networks computing in bfloat16 from the same weights,
`RepresentationModel.representation_function`), same seed and sizes, one after the other in one
process: every score's difference (bfloat16 minus float32), the largest difference per model, and
the encoding seconds (`timing.encode`) of both with their ratio. DCI uses its fast backend (the
exact one would dominate the time and is the same for both precisions' codes).

Sizes: the study's 10,000 / 5,000 points and every metric; `--quick` 1,000 / 500 points and the
array metrics (mig, dci, sap, modularity_explicitness), to check that it runs. At the study's sizes
a model takes tens of minutes on 2 cores (the BetaVAE and FactorVAE scores encode about 2 million
images per precision), so each finished model is kept in `<out>/precision.partial.json` at once and a
rerun with the same settings continues after the last finished model (`--model` picks some models).
bfloat16 is faster only where the CPU has AMX or AVX-512 BF16 units (`machine.bfloat16_units`) or on a GPU; without
them it is emulated and slower than float32, which the encoding ratio shows.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from benchmarks import _report  # noqa: E402

NAME = "precision"
TITLE = "bfloat16 encoding against float32 (scores and time)"
FLAGS = flags.FLAGS

QUICK_METRICS = ["mig", "dci", "sap", "modularity_explicitness"]


def run(quick: bool, out: Path, *, models=None) -> dict:
    """Scores each model at both precisions; returns the differences and times. Each finished model
    goes into `<out>/precision.partial.json` at once; models already there at the same settings are
    not scored again."""
    import zoo
    import zoo.data
    import zoo.metrics
    from zoo import manifest

    num_train, num_test = (1000, 500) if quick else (10_000, 5_000)
    metrics = QUICK_METRICS if quick else list(zoo.metrics.ALL)
    entries = manifest.load_manifest()["models"]
    settings = {"quick": quick, "num_train": num_train, "num_test": num_test, "metrics": metrics, "dci_backend": "fast"}
    partial_path = Path(out) / f"{NAME}.partial.json"
    partial = json.loads(partial_path.read_text()) if partial_path.is_file() else {}
    rows, notes = (dict(partial["models"]), list(partial["notes"])) if partial.get("settings") == settings else ({}, [])
    for name in models or zoo.list_models(available=True):
        if name in rows or any(note.startswith(f"{name} skipped") for note in notes):
            print(f"  {name}: kept from {partial_path}", flush=True)
            continue
        dataset = entries[name]["dataset"]
        try:
            data = zoo.data.load(dataset["name"])  # rendered dSprites by default, as the cards were scored
            model = zoo.load(name)
            scored = {}
            for precision in ("float32", "bfloat16"):
                scored[precision] = zoo.metrics.evaluate(
                    model.representation, data, metrics=metrics, seed=0, num_train=num_train, num_test=num_test,
                    metric_options={"dci": {"backend": "fast"}}, progress=False, precision=precision)
        except Exception as e:  # a model whose dataset is not here, or that has no ground-truth factors
            notes.append(f"{name} skipped: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
        else:
            reference, bf16 = scored["float32"], scored["bfloat16"]
            differences = {k: bf16[k] - v for k, v in reference.items() if not k.startswith("timing.") and k in bf16}
            worst = max(differences, key=lambda k: abs(differences[k]))
            rows[name] = {"dataset": dataset["name"], "float32": reference, "bfloat16": bf16,
                          "differences": differences, "largest_difference": [worst, differences[worst]],
                          "encode_s": {"float32": reference["timing.encode"], "bfloat16": bf16["timing.encode"]},
                          "encode_bfloat16_over_float32": reference["timing.encode"] / bf16["timing.encode"],
                          # others may share the cores in a run this long: its times are then not clean
                          "load_average_1min": round(os.getloadavg()[0], 2)}
            print(f"  {name}: largest |bf16 - f32| {abs(differences[worst]):.4f} ({worst}); encode "
                  f"{reference['timing.encode']:.1f} s float32, {bf16['timing.encode']:.1f} s bfloat16", flush=True)
        _report.write_json(partial_path, {"settings": settings, "models": rows, "notes": notes})
    return {"benchmark": "zoo.metrics.evaluate with precision='bfloat16' against float32 encoding, per zoo model",
            **settings, "models": rows, "notes": notes, "machine": _report.machine(), "versions": _report.versions()}


def markdown(result: dict) -> str:
    """One row per model: the largest score difference, and the encoding time of both precisions."""
    rows = [[name, f"`{r['largest_difference'][0]}`", f"{r['largest_difference'][1]:+.4f}",
             f"{r['encode_s']['float32']:.1f}", f"{r['encode_s']['bfloat16']:.1f}",
             f"{r['encode_bfloat16_over_float32']:.2f}x"] for name, r in result["models"].items()]
    units = ", ".join(result["machine"].get("bfloat16_units") or []) or "none (bfloat16 emulated)"
    text = (f"Scores with bfloat16 encoding minus float32's ({result['num_train']:,} / {result['num_test']:,} points, "
            f"seed 0, metrics {', '.join(result['metrics'])}, DCI fast" + (", quick" if result["quick"] else "")
            + f"); encoding seconds and bfloat16's speed relative to float32. CPU bfloat16 units: {units}.\n\n"
            + _report.markdown_table(["model", "largest difference", "bf16 - f32", "encode s (f32)",
                                      "encode s (bf16)", "bf16 speed"], rows))
    return text + "".join(f"\n\n{note}" for note in result["notes"])


def main(argv):
    from benchmarks import _flags

    _report.no_arguments(argv)
    module = sys.modules[__name__]
    result = _report.run_and_save(module, quick=_flags.FLAGS.quick, out=_flags.FLAGS.out_dir, json_path=_flags.FLAGS.out,
                                  models=_flags.FLAGS.model or None)
    print(result["markdown"])
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "model")
