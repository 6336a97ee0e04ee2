"""The zoo gallery (docs/gallery.md): a tile per model of `weights_manifest.json`, and a score table.

    .venv/bin/python -m tools.gallery           # the page (and README.md's zoo table) from the manifest
    .venv/bin/python -m tools.gallery --gifs    # and the traversal GIF of every model that changed

The page is text made from the manifest (the objective, hyperparameters, steps and scores of each
model, as `benchmarks.papers.zoo_scores` reads them), the cards (the objective's paper) and
`docs/gallery/gifs.json`, so `tests/test_gallery.py` checks that the committed page is what this
script writes today. The GIFs need the models (TensorFlow, a few seconds a model): each is written
once, beside the sha256 of the weights it shows (`gifs.json`); `--gifs` writes the missing ones and
those whose weights changed, and the test fails while any is stale, naming this command.

A GIF sweeps every latent (or InfoGAN code) from -2 to 2 and back at once, one tile per latent,
around one image of the model's own dataset (seed 0), the most informative latent on the left (by
its KL to the prior over 256 images, as the cards' traversal pictures order their rows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python tools/gallery.py` as well as `-m tools.gallery`
    sys.path.insert(0, str(ROOT))

from benchmarks.papers import zoo_scores  # noqa: E402
from zoo import cards, files  # noqa: E402
from zoo.manifest import dataset_name, load_manifest  # noqa: E402

PAGE = ROOT / "docs" / "gallery.md"
GIF_DIR = ROOT / "docs" / "gallery"
GIF_INDEX = GIF_DIR / "gifs.json"
WEIGHTS = "model.weights.h5"
NUM_VALUES = 11  # frames from -2 to 2 (21 frames there and back at 120 ms: a 2.4 s loop)
DURATION_MS = 120

# The population study's figures (docs/bench), in the order of docs/bench/population.md.
POPULATION_FIGURES = (
    ("population_agreement.png", "Metric agreement over the trained models"),
    ("population_variance.png", "What decides the score: objective, hyperparameter or seed"),
    ("population_mean_vs_sampled.png", "Mean vs sampled representation"),
    ("population_tradeoff.png", "Reconstruction vs disentanglement"),
    ("population_capacity.png", "Capacity: one factor after another"),
    ("population_impossibility.png", "Impossibility without supervision"),
)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def weights_sha256(entry: dict) -> str:
    """The manifest's sha256 of a model's weights file: what a GIF is tied to."""
    for record in entry["files"]:
        if record["path"].endswith("/" + WEIGHTS):
            return record["sha256"]
    raise ValueError(f"no {WEIGHTS} among the manifest entry's files {[r['path'] for r in entry['files']]}")


def _gif_index() -> dict:
    return json.loads(GIF_INDEX.read_text()) if GIF_INDEX.exists() else {}


def stale_gifs(manifest: dict, index: dict | None = None) -> list[str]:
    """Models whose GIF is missing, differs from the sha256 recorded for it, or shows other weights."""
    index = _gif_index() if index is None else index
    stale = []
    for name, entry in sorted(manifest["models"].items()):
        record = index.get(name)
        gif = GIF_DIR / f"{name}.gif"
        if (record is None or not gif.exists() or _sha256(gif) != record["gif_sha256"]
                or record["weights_sha256"] != weights_sha256(entry)):
            stale.append(name)
    return stale


def write_gif(name: str, entry: dict) -> dict:
    """Loads the model, writes docs/gallery/<name>.gif, returns its `gifs.json` record."""
    import numpy as np

    import zoo
    import zoo.data
    from zoo import visualize

    model = zoo.load(name)
    data = zoo.data.load(dataset_name(entry))
    images = data.sample_observations(256, np.random.default_rng(0))
    kl = visualize.latent_kl(model, images)
    order = None if kl is None else [int(j) for j in np.argsort(-kl, kind="stable")]
    path = visualize.traversal_gif(model, images[0], GIF_DIR / f"{name}.gif", num_values=NUM_VALUES,
                                   duration_ms=DURATION_MS, latents=order)
    return {"gif_sha256": _sha256(path), "weights_sha256": weights_sha256(entry),
            "latent_order": order, "image": "the first of 256 images drawn with seed 0 from its dataset"}


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _objective(objective: str) -> str:
    title, citation, url = cards.OBJECTIVES.get(objective, (objective, None, None))
    return title if url is None else f"{title} ([{citation}]({url}))"


def _other_scores(entry: dict) -> list[tuple[str, float]]:
    """Scores outside the table's columns, timings left out."""
    shown = {key for key, _ in zoo_scores.COLUMNS}
    return [(key, value) for key, value in sorted(entry.get("scores", {}).items()) if key not in shown
            and not key.startswith("timing.")]


def score_table(rows: list[dict], link=lambda name: f"#{name}") -> str:
    """The scores of every model as a Markdown table, each name linked to `link(name)`."""
    header = ["model", "objective", "dataset", "steps"] + [title for _, title in zoo_scores.COLUMNS]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join([":---"] * 3 + ["---:"] * (len(header) - 3)) + "|"]
    for row in rows:
        cells = [f"[`{row['name']}`]({link(row['name'])})", cards.OBJECTIVES.get(row["objective"], (row["objective"],))[0],
                 cards.DATASET_NAMES.get(row["dataset"], row["dataset"]),
                 f"{row['total_steps'] or row['steps'] or 0:,}"]
        cells += [zoo_scores.cell(row, key) for key, _ in zoo_scores.COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tile(row: dict, entry: dict, card_path: str) -> str:
    name = row["name"]
    scores = [f"{title} {zoo_scores.cell(row, key)}" for key, title in zoo_scores.COLUMNS
              if row["scores"][key] is not None]
    if not scores:  # a model scored on its own terms (InfoGAN on MNIST: cluster accuracy, codes' rho)
        scores = [f"`{key}` {value:+.3f}" if "rho" in key else f"`{key}` {value:.3f}"
                  for key, value in _other_scores(entry)]
    settings = entry.get("score_settings") or {}
    return "\n".join([
        f'<div class="zoo-tile" markdown>',
        "",
        f"### `{name}` {{#{name}}}",
        "",
        f"![{name}: each latent swept from -2 to 2 and back, the most informative on the left]"
        f"(gallery/{name}.gif)",
        "",
        f"**Objective**: {_objective(row['objective'])}. **Dataset**: "
        f"{cards.DATASET_NAMES.get(row['dataset'], row['dataset'])}. **Steps**: {zoo_scores._steps(row, True)}.",
        "",
        f"**Hyperparameters**: {row['hparams'] or 'the defaults'}.",
        "",
        f"**Scores**: {', '.join(scores) if scores else 'none recorded'}"
        + (f" (at {_settings(settings)})" if settings else "") + ".",
        "",
        "```python",
        f'model = zoo.load("{name}")',
        "```",
        "",
        f"[Model card]({card_path})",
        "",
        "</div>",
    ])


def _settings(settings: dict) -> str:
    """A short note of the settings the scores were computed at."""
    if "num_train" in settings:
        return f"{settings['num_train']:,} / {settings.get('num_test', 0):,} points, seed {settings.get('seed', 0)}"
    parts = [f"{key}: {value.get('held_out', '')}".strip(": ") for key, value in settings.items()
             if isinstance(value, dict)]
    return "; ".join(parts) or "the card's settings"


def page(manifest: dict) -> str:
    """The gallery page's Markdown (deterministic: the manifest and the cards' tables only)."""
    rows = zoo_scores.rows(manifest)
    models = manifest["models"]
    out = [
        "# Zoo gallery",
        "",
        "<!-- Written by `python -m tools.gallery` from weights_manifest.json; edit that script, not this page. -->",
        "",
        f"The {len(rows)} pretrained models of `weights_manifest.json`. Each loads offline with one line "
        "(`zoo.load(name)`, sha256-checked) and has a model card with its full training record. The scores "
        "are the ones in the manifest, as `recipes.evaluate` wrote them (BetaVAE and FactorVAE are accuracies; "
        "MIG, DCI disentanglement, modularity, SAP and IRS lie in [0, 1]; higher is better for each). "
        "Click a column's header to sort the table by it; click again to reverse.",
        "",
        '<div class="zoo-sortable" markdown>',
        "",
        score_table(rows),
        "",
        "</div>",
        "",
        "## The models",
        "",
        "Each animation sweeps every latent from -2 to 2 and back at once, one tile per latent, around "
        "one image of the model's dataset, the most informative latent (by its KL to the prior) on the left. "
        "A latent that carries a factor moves one thing (position, scale, rotation, shape); an inactive one "
        "stays still. InfoGAN's tiles are its codes, in order.",
        "",
    ]
    for row in rows:
        card = next(r["path"] for r in models[row["name"]]["files"] if r["path"].endswith("/README.md"))
        out += [tile(row, models[row["name"]], "../" + card), ""]
    out += [
        "## The population study's figures",
        "",
        "Thirty models trained for the purpose (six VAE objectives, three settings each, three seeds at "
        "the middle one; 10,000 steps on rendered dSprites), each scored with every metric. What each "
        "figure shows, with the papers' claims beside ours and every number's 95% interval and verdict: "
        "[the population study](bench/population.md).",
        "",
    ]
    for filename, title in POPULATION_FIGURES:
        out += [f"**{title}**", "", f"![{title}](bench/{filename})", ""]
    return "\n".join(out).rstrip("\n") + "\n"


README = ROOT / "README.md"
README_BEGIN = "<!-- zoo table: written by `python -m tools.gallery` from weights_manifest.json -->"
README_END = "<!-- zoo table: end -->"


def readme_table(manifest: dict) -> str:
    """The front page's zoo table: the gallery's score table, each name linked to its model card."""
    models = manifest["models"]

    def card(name):
        return next(r["path"] for r in models[name]["files"] if r["path"].endswith("/README.md"))
    return score_table(zoo_scores.rows(manifest), link=card)


def with_readme_table(readme: str, manifest: dict) -> str:
    """`readme` with the block between the zoo-table markers replaced by today's table."""
    if readme.count(README_BEGIN) != 1 or readme.count(README_END) != 1:
        raise ValueError(f"README.md must hold the zoo table's markers once each: {README_BEGIN!r} ... {README_END!r}")
    head, rest = readme.split(README_BEGIN)
    return head + README_BEGIN + "\n" + readme_table(manifest) + "\n" + README_END + rest.split(README_END, 1)[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gifs", action="store_true", help="also write the GIFs that are missing or stale")
    args = parser.parse_args(argv)
    manifest = load_manifest(ROOT / "weights_manifest.json")
    if args.gifs:
        index = _gif_index()
        for name in stale_gifs(manifest, index):
            print(f"writing docs/gallery/{name}.gif")
            index[name] = write_gif(name, manifest["models"][name])
        index = {name: index[name] for name in sorted(index) if name in manifest["models"]}
        files.write_text(GIF_INDEX, json.dumps(index, indent=2, sort_keys=True) + "\n")
        for gif in GIF_DIR.glob("*.gif"):
            if gif.stem not in manifest["models"]:
                print(f"removing docs/gallery/{gif.name} (no such model in the manifest)")
                gif.unlink()
    files.write_text(PAGE, page(manifest))
    print(f"wrote {PAGE.relative_to(ROOT)} ({len(manifest['models'])} models)")
    readme = README.read_text()
    if README_BEGIN in readme:
        files.write_text(README, with_readme_table(readme, manifest))
        print("wrote the zoo table in README.md")
    stale = stale_gifs(manifest)
    if stale:
        print(f"stale or missing GIFs: {', '.join(stale)}; run: python -m tools.gallery --gifs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
