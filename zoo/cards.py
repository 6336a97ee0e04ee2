"""Model cards for presets, made with huggingface_hub's `ModelCard`, `ModelCardData` and `EvalResult`.

The YAML header carries `library_name: keras`, tags, the dataset, and a `model-index` that a hub
can index: one metric per score on held-out data (`in_model_index`; not the seconds under
`timing.*`, not `num_active_dims`, not the accuracies on a metric's own training split), `type` the
flat key `zoo.metrics.evaluate` returns (e.g. `mig.mig`), so `scores_from_card(ModelCard.load(path))`
gives back exactly those; `name` is a readable name. The settings are stated once, as the dataset's
`args`: those every score shares (points drawn, seed, backend), and under a metric family's name
the settings of that family's scores.
The full table, every key, stays in metadata.json and the card's text. The body says what the model
is, how it was trained and scored, its limits, shows the latent traversal, and how to load it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

# registry name -> (display name, reference)
OBJECTIVES = {
    "vae": ("VAE", "Kingma & Welling, Auto-Encoding Variational Bayes, ICLR 2014",
            "https://arxiv.org/abs/1312.6114"),
    "beta_vae": ("β-VAE", "Higgins et al., β-VAE: Learning Basic Visual Concepts with a Constrained Variational "
                 "Framework, ICLR 2017", "https://openreview.net/forum?id=Sy2fzU9gl"),
    "annealed_vae": ("AnnealedVAE", "Burgess et al., Understanding disentangling in β-VAE, 2018",
                     "https://arxiv.org/abs/1804.03599"),
    "dip_vae_i": ("DIP-VAE-I", "Kumar et al., Variational Inference of Disentangled Latent Concepts from Unlabeled "
                  "Observations, ICLR 2018", "https://arxiv.org/abs/1711.00848"),
    "dip_vae_ii": ("DIP-VAE-II", "Kumar et al., Variational Inference of Disentangled Latent Concepts from Unlabeled "
                   "Observations, ICLR 2018", "https://arxiv.org/abs/1711.00848"),
    "beta_tcvae": ("β-TCVAE", "Chen et al., Isolating Sources of Disentanglement in Variational Autoencoders, "
                   "NeurIPS 2018", "https://arxiv.org/abs/1802.04942"),
    "factor_vae": ("FactorVAE", "Kim & Mnih, Disentangling by Factorising, ICML 2018",
                   "https://arxiv.org/abs/1802.05983"),
    "infogan": ("InfoGAN", "Chen et al., InfoGAN: Interpretable Representation Learning by Information Maximizing "
                "Generative Adversarial Nets, NeurIPS 2016", "https://arxiv.org/abs/1606.03657"),
    "ada_gvae": ("Ada-GVAE", "Locatello et al., Weakly-Supervised Disentanglement Without Compromises, ICML 2020",
                 "https://arxiv.org/abs/2002.02886"),
    "ada_ml_vae": ("Ada-ML-VAE", "Locatello et al., Weakly-Supervised Disentanglement Without Compromises, "
                   "ICML 2020", "https://arxiv.org/abs/2002.02886"),
}
# Objectives trained on pairs of images that share an unknown subset of factors (weak supervision).
WEAKLY_SUPERVISED = ("ada_gvae", "ada_ml_vae")

# InfoGAN with a Wasserstein critic (`gan_loss="wgan_gp"`): the variant's sources beside Chen et al.
WGAN_GP_NOTE = ("Its GAN game is InfoWGAN-GP (Kim & Mnih, Disentangling by Factorising, ICML 2018, "
                "[paper](https://arxiv.org/abs/1802.05983)): a Wasserstein critic with gradient penalty "
                "(Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017, "
                "[paper](https://arxiv.org/abs/1704.00028)).")

METRIC_NAMES = {
    "beta_vae_score": "BetaVAE score", "factor_vae_score": "FactorVAE score", "mig": "MIG", "dci": "DCI",
    "sap_score": "SAP score", "sap": "SAP score", "modularity_explicitness": "Modularity/Explicitness",
    "irs": "IRS", "unsupervised": "Unsupervised scores",
}

DATASET_NAMES = {"dsprites": "dSprites", "color_dsprites": "Color-dSprites", "noisy_dsprites": "Noisy-dSprites",
                 "scream_dsprites": "Scream-dSprites", "smallnorb": "SmallNORB", "cars3d": "Cars3D",
                 "shapes3d": "3dshapes", "mpi3d_toy": "MPI3D-toy", "mnist": "MNIST",
                 "tiny": "tiny sprites (test data)"}

# The study (disentanglement_lib) trains with TF1's `AdamOptimizer`, whose epsilon is 1e-8; Keras's
# Adam defaults to 1e-7. New training uses the study's (`zoo.models.optimizers.STUDY_EPSILON`).
STUDY_ADAM_EPSILON = 1e-8

TASK_TYPE = "feature-extraction"
TASK_NAME = "Unsupervised disentangled representation learning"


def metric_name(key: str) -> str:
    """A readable name for a flat score key: 'beta_vae_score.eval_accuracy' -> 'BetaVAE score (eval_accuracy)'."""
    family, _, rest = key.partition(".")
    pretty = METRIC_NAMES.get(family, family)
    return f"{pretty} ({rest})" if rest and rest != family else pretty


# Keys that are no score on held-out data: seconds, a count, and fits to a metric's own training split.
NOT_INDEXED_FAMILIES = ("timing",)
NOT_INDEXED_SUFFIXES = ("num_active_dims", "train_accuracy", "_train")
# Settings that name what the card says elsewhere (the metric families run, the dataset's name).
NOT_ARGS = ("metrics", "dataset")


def in_model_index(key: str) -> bool:
    """Whether a flat score key is a score on held-out data, listed in the card's model-index."""
    family, _, rest = key.partition(".")
    return family not in NOT_INDEXED_FAMILIES and not (rest or family).endswith(NOT_INDEXED_SUFFIXES)


def index_settings(score_settings: Mapping[str, Any], keys) -> dict:
    """The model-index's dataset `args`, every setting once: the shared ones, and each family's own
    (`score_settings[family]`) under its name for the families among `keys`."""
    families = {key.partition(".")[0] for key in keys}
    return {k: v for k, v in score_settings.items()
            if (k in families if isinstance(v, Mapping) else k not in NOT_ARGS)}


def make_card(metadata: Mapping[str, Any], *, repo_id: str | None = None, images: Sequence[str] = ()):
    """Builds the `huggingface_hub.ModelCard` of a preset from its metadata.json contents.

    Args:
      metadata: as written by `zoo.presets.save_preset`: name, objective, config, dataset,
        training, scores, score_settings, date.
      repo_id: the hub repository, for the loading instructions (optional).
      images: image files in the preset; `traversal.png` is shown in the card.
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    name = metadata.get("name") or "model"
    objective = metadata.get("objective", "")
    dataset = dict(metadata.get("dataset") or {})
    scores = dict(metadata.get("scores") or {})
    settings = dict(metadata.get("score_settings") or {})
    dataset_id = dataset.get("name") or "unknown"
    dataset_pretty = DATASET_NAMES.get(dataset_id, dataset_id)
    if dataset.get("source") == "rendered":
        dataset_pretty += " (rendered by zoo.data)"

    indexed = {key: float(value) for key, value in scores.items() if value is not None and in_model_index(key)}
    args = index_settings(settings, indexed) or None
    eval_results = [
        EvalResult(task_type=TASK_TYPE, task_name=TASK_NAME, dataset_type=dataset_id, dataset_name=dataset_pretty,
                   dataset_config=dataset.get("variant") or None, dataset_args=args, metric_type=key,
                   metric_value=value, metric_name=metric_name(key))
        for key, value in indexed.items()
    ]
    tags = ["keras", "tensorflow", "zoo", "disentanglement", "representation-learning", "vae", objective,
            dataset_id]
    if objective == "infogan":
        tags[tags.index("vae")] = "gan"
    data = ModelCardData(library_name="keras", license="apache-2.0", pipeline_tag=TASK_TYPE,
                         tags=[t for t in tags if t], datasets=[dataset_id], model_name=name,
                         eval_results=eval_results or None)
    body = _body(metadata, name=name, dataset_pretty=dataset_pretty, repo_id=repo_id, images=images)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")


class CardError(ValueError):
    """A model card that cannot be read; the message names the file and the fix."""


def load_card(path: str | os.PathLike):
    """The `huggingface_hub.ModelCard` of a README.md on disk, or `CardError` naming the file.

    `ModelCard.load` takes a string that is not a file for a Hub repository id (and goes online),
    and its YAML and model-index errors do not say which file they are about; both are caught here.
    """
    import yaml
    from huggingface_hub import ModelCard

    path = Path(path)
    if not path.is_file():
        raise CardError(f"{path}: no model card there (a preset folder holds its card as README.md).")
    try:
        return ModelCard.load(path)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError) as e:
        detail = " ".join(str(e).split())
        raise CardError(f"{path}: the model card's YAML header (between the '---' lines) cannot be read: {detail}. "
                        "Fix the header, or write the card again from the preset's metadata.json "
                        "(zoo.presets.update_scores, or recipes.evaluate --update_card).") from None


def scores_from_card(card) -> dict[str, float]:
    """The flat scores in a card's model-index (a `ModelCard`, or a README path): the held-out ones
    (`in_model_index`); metadata.json holds them all."""
    if not hasattr(card, "data"):
        card = load_card(card)
    return {r.metric_type: r.metric_value for r in (card.data.eval_results or [])}


def read_card(path: str | os.PathLike) -> tuple[str, dict]:
    """(the card's Markdown body, its YAML metadata as a dict) of a README.md."""
    card = load_card(path)
    return card.text.lstrip("\n"), card.data.to_dict()


# ---------------------------------------------------------------------------- body


def _body(meta: Mapping[str, Any], *, name: str, dataset_pretty: str, repo_id: str | None,
          images: Sequence[str]) -> str:
    objective = meta.get("objective", "")
    pretty, reference, url = OBJECTIVES.get(objective, (objective or "model", None, None))
    config = dict(meta.get("config") or {})
    training = dict(meta.get("training") or {})
    dataset = dict(meta.get("dataset") or {})
    scores = dict(meta.get("scores") or {})
    settings = dict(meta.get("score_settings") or {})
    input_shape = config.get("input_shape")
    latent_dim = config.get("latent_dim")

    out = [f"# {name}", ""]
    article = "An" if pretty[:1] in "AEIOU" else "A"
    what = (f"{article} **{pretty}** encoder/decoder" if objective != "infogan"
            else "An **InfoGAN** generator with its Q network")
    how = ("trained on pairs of images that share an unknown subset of their factors (weak supervision: no "
           "labels, and which factors changed is not given)" if objective in WEAKLY_SUPERVISED
           else "trained without labels")
    out.append(f"{what} {how} on {dataset_pretty}, from the `zoo` model zoo for "
               "disentangled representation learning (TensorFlow/Keras 3). "
               + (f"It maps images `{_shape(input_shape)}` to {latent_dim} latent codes. " if latent_dim else "")
               + (f"Objective: {reference} ([paper]({url}))." if reference else "")
               + (f" {WGAN_GP_NOTE}" if config.get("gan_loss") == "wgan_gp" else ""))
    out += ["", "## Model", "", "| setting | value |", "|---|---|"]
    out += [f"| `{k}` | `{json.dumps(v)}` |" for k, v in config.items()]

    out += ["", "## Training", ""]
    rows = [("dataset", f"{dataset.get('name', '?')}" + (f" ({dataset['variant']})" if dataset.get("variant") else "")
             + f", source: {dataset.get('source', '?')}")]
    for key in ("steps", "batch_size", "seed", "learning_rate"):
        if key in training:
            rows.append((key, training[key]))
    if "optimizer" in training:
        rows.append(("optimizer", json.dumps(training["optimizer"])))
        epsilon = _adam_epsilon(training["optimizer"])
        if epsilon:
            rows.append(("Adam epsilon", epsilon))
    if training.get("init_from"):
        rows.append(("initialised from", f"`{training['init_from']}`" + _lineage(training.get("init_from_training"))))
    if meta.get("date"):
        rows.append(("date", meta["date"]))
    versions = training.get("versions") or {}
    if versions:
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    out += ["| setting | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]

    out += ["", "## Scores", ""]
    if scores:
        out += ["| metric | key | value | own settings |", "|---|---|---|---|"]
        for key, value in scores.items():
            shown = "n/a (undefined)" if value is None else f"{value:.4f}"
            own = settings.get(key.partition(".")[0])
            own = ", ".join(f"{k}={v}" for k, v in own.items()) if isinstance(own, Mapping) else ""
            out.append(f"| {metric_name(key)} | `{key}` | {shown} | {own} |")
        shared = ", ".join(f"{k}={v}" for k, v in settings.items() if not isinstance(v, Mapping))
        out += ["", "Computed with `zoo.metrics.evaluate` (`python -m recipes.evaluate`)"
                + (f" with {shared}" if shared else "") + ". The scores on held-out data are also in this card's "
                "`model-index` (with their settings, once, as the dataset's `args`); every row, with the settings "
                "that produced it, is in the preset's `metadata.json` and the zoo's `weights_manifest.json`."]
    else:
        out.append("Not evaluated yet.")
    if meta.get("seed_spread"):
        out += _seed_section(meta["seed_spread"])

    out += ["", "## Limits", ""]
    if dataset.get("source") == "rendered" and "dsprites" in str(dataset.get("name", "")):
        out.append("- Trained and scored on dSprites images **rendered by `zoo.data`** from the dSprites factor grid. "
                   "This is not DeepMind's file (`dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz`): the sprites are "
                   "drawn by this package's renderer, so pixels differ slightly and scores are not directly "
                   "comparable with numbers computed on the original file.")
    elif dataset.get("source") == "rendered":
        out.append(f"- Trained on images rendered by `zoo.data`, not on the published {dataset_pretty} files.")
    selection = meta.get("selection")
    identifiable = ("- Weak supervision makes disentanglement identifiable in principle (Locatello et al., ICML "
                    "2020, sec. 3), yet scores still vary across random seeds and hyperparameters: "
                    if objective in WEAKLY_SUPERVISED else
                    "- Unsupervised disentanglement is not identifiable without inductive biases, and scores vary "
                    "widely across random seeds and hyperparameters (Locatello et al., ICML 2019): ")
    out += [identifiable
            + (f"how this model was picked: {selection}" if selection
               else "this is one training run, not the best the method can reach."),
            f"- Inputs must look like the training data: float32 images {_shape(input_shape)} with values in [0, 1]."]

    if "traversal.png" in images:
        out += ["", "## Latent traversal", "",
                "Each row varies one latent from -2 to 2 while the others stay at an encoded image's values.", "",
                "![latent traversal](traversal.png)"]
    others = [i for i in images if i != "traversal.png" and i.lower().endswith((".png", ".gif", ".jpg"))]
    for image in others:
        out += ["", f"![{Path(image).stem}]({image})"]

    out += ["", "## How to load", "", "```python", "import numpy as np", "import zoo", "",
            f'model = zoo.load("{name}")  # the zoo\'s committed weights, offline; sha256-checked']
    if repo_id:
        out.append(f'# or from the Hub: zoo.load("hf://{repo_id}")')
    out.append("# or from this folder: zoo.load(\"path/to/preset\")")
    batch = f"np.zeros((8, {', '.join(str(d) for d in input_shape)}), np.float32)" if input_shape else "images"
    out += [f"codes = model.representation({batch})  # [N, {latent_dim or 'latent_dim'}] latent means", "```", ""]
    return "\n".join(out)


def _seed_section(spread: Mapping[str, Any]) -> list[str]:
    """The card's "Over training seeds" section from `zoo.seed_rule.seed_spread`: every score as mean ± sd
    over the setting's training seeds with each seed's value, the served seed's beside them, the
    evaluation-seed sd of the sampled scores where recorded, the rule, and every seed ever trained."""
    served, seeds = spread["served_seed"], list(spread.get("seeds") or [])
    status = {int(k): v for k, v in (spread.get("status") or {}).items()}
    scores = spread.get("scores") or {}
    with_eval = any("eval_sd" in row for row in scores.values())
    out = ["", "## Over training seeds", "",
           f"This setting was trained at {spread['trained']} training seed{'s' if spread['trained'] != 1 else ''}, "
           "every one reported here, failed or collapsed ones included"
           + (f" ({', '.join(f'seed {s}: {v}' for s, v in sorted(status.items()))})" if status else "")
           + f". This card's model is seed **{served}**, the one `zoo.load(\"{spread.get('name', '')}\")` serves, "
           f"chosen by a rule fixed before the extra seeds trained: {spread['rule']}. Any seed loads with "
           "`zoo.load(name, seed=N)` (`zoo.seeds(name)` lists them)"
           + (f"; seed{'s' if len(spread.get('scores_only') or []) > 1 else ''} "
              f"{', '.join(map(str, spread['scores_only']))} "
              f"{'are' if len(spread.get('scores_only') or []) > 1 else 'is'} recorded by scores, config and "
              "training command alone (weights over 10 MB): loading one names the command that rebuilds it"
              if spread.get("scores_only") else "") + ".", ""]
    header = ["metric", "key", "mean ± sd", "min – max", f"seed {served} (served)"] + [f"seed {s}" for s in seeds]
    if with_eval:
        header.append("evaluation-seed sd")
    out += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, row in scores.items():
        sd = "n/a" if row.get("sd") is None else f"{row['sd']:.4f}"
        per_seed = row.get("per_seed") or {}
        cells = [metric_name(key), f"`{key}`", f"{row['mean']:.4f} ± {sd} (n={row['n']})",
                 f"{_value(row.get('min'))} – {_value(row.get('max'))}",
                 _value(per_seed.get(str(served)))] + [_value(per_seed.get(str(s))) for s in seeds]
        if with_eval:
            cells.append(f"{row['eval_sd']:.4f} ({row['eval_sd_seeds']} training seed"
                         f"{'s' if row['eval_sd_seeds'] != 1 else ''})" if "eval_sd" in row else "")
        out.append("| " + " | ".join(cells) + " |")
    for key, row in scores.items():
        if "bar" in row:
            out += ["", f"{metric_name(key)} `{key}` >= {row['bar']:g}: met by {row['met_by']} of {row['n']} seeds."]
    out += _code_roles_lines(spread.get("code_roles") or {}, spread.get("code_rule") or {}, served)
    out += ["", "sd: the sample standard deviation over training seeds (n - 1). "
            + ("Evaluation-seed sd: the spread of a sampled score (BetaVAE, FactorVAE) over evaluation seeds at "
               "one training seed, averaged over the training seeds scored so; set it beside the training-seed sd "
               "to tell training-seed spread from evaluation noise. " if with_eval else "")
            + "The model-index in this card's header carries the served seed's values only."]
    return out


def _code_roles_lines(roles: Mapping[str, Any], rule: Mapping[str, float], served: int) -> list[str]:
    """The InfoGAN code rule of docs/seeds_rule.md applied to every seed (`zoo.seed_rule.code_roles`)."""
    if not roles:
        return []
    rho, bound = rule["rho"], rule["width_max_slant_rho"]
    out = ["", "Continuous codes of every seed, by the rule fixed before the extra seeds trained: a *slant* code has "
           f"|rho(code, slant)| >= {rho:g}; a *width* code has |rho(code, width)| >= "
           f"{rho:g} and |rho(code, slant)| < {bound:g} (rho: Spearman, "
           "`benchmarks.infogan.infogan_codes`).", "",
           "| seed | rho with slant, with width per code | slant code | width code | slant and width on different codes |",
           "|---|---|---|---|---|"]
    for seed, role in sorted(roles.items(), key=lambda item: int(item[0])):
        rho = ", ".join(f"{code}: {s:+.2f}, {w:+.2f}" for code, (s, w) in role["rho"].items())
        out.append(f"| {seed}{' (served)' if int(seed) == served else ''} | {rho} | {', '.join(role['slant']) or 'none'} "
                   f"| {', '.join(role['width']) or 'none'} | {'yes' if role['both'] else 'no'} |")
    met = sum(role["both"] for role in roles.values())
    out += ["", f"Slant and width each on a code of its own: {met} of {len(roles)} seeds."]
    return out


def _value(value) -> str:
    return "-" if value is None else f"{value:.4f}"


def _adam_epsilon(optimizers) -> str | None:
    """The optimizers' epsilon and whether it is the study's, e.g. "1e-08 (the study's: ...)"."""
    found = {name: opt["epsilon"] for name, opt in (optimizers or {}).items()
             if isinstance(opt, Mapping) and isinstance(opt.get("epsilon"), (int, float))}
    if not found:
        return None
    values = sorted(set(found.values()))
    shown = (f"{values[0]:g}" if len(values) == 1
             else ", ".join(f"{name.replace('_optimizer', '')} {value:g}" for name, value in found.items()))
    if values == [STUDY_ADAM_EPSILON]:
        return f"{shown} (the study's: TF1's AdamOptimizer default, as in disentanglement_lib)"
    return (f"{shown} (not the study's {STUDY_ADAM_EPSILON:g}, TF1's AdamOptimizer default in disentanglement_lib; "
            "zoo trains new models with 1e-08)")


def _shape(input_shape) -> str:
    return f"[N, {', '.join(str(d) for d in input_shape)}]" if input_shape else "[N, H, W, C]"


def total_steps(training: Mapping[str, Any]) -> int | None:
    """Training steps including those of the model it was fine-tuned from (`init_from_training`), if recorded."""
    if training.get("steps") is None:
        return None
    source = training.get("init_from_training")
    before = total_steps(source) if isinstance(source, Mapping) else None
    return int(training["steps"]) + (before or 0)


def first_run_steps(training: Mapping[str, Any]) -> int | None:
    """Steps of the first run in a chain of fine-tunes (`init_from_training`, nested), if recorded."""
    while isinstance(training.get("init_from_training"), Mapping):
        training = training["init_from_training"]
    return training.get("steps")


def _lineage(source: Mapping[str, Any] | None) -> str:
    """`' (as it was then: 30000 steps, seed 0, beta 16.0)'` from the source's recorded training, or `''`.

    The source's name may later point at other weights (a zoo model replaced by its own fine-tuned
    successor), so the card keeps what the source was when the fine-tuning started.
    """
    if not isinstance(source, Mapping):
        return ""
    parts = [f"{source['steps']} steps" if "steps" in source else None,
             f"seed {source['seed']}" if "seed" in source else None]
    parts += [f"{k} {v}" for k, v in (source.get("hparams") or {}).items()]
    if source.get("init_from"):
        parts.append(f"itself initialised from `{source['init_from']}`" + _lineage(source.get("init_from_training")))
    text = ", ".join(p for p in parts if p)
    return f" (as it was then: {text})" if text else ""
