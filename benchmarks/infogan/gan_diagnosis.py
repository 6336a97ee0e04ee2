r"""Why an InfoGAN's codes do or do not follow the factors: four checks on the generator and Q.

    .venv/bin/python -m benchmarks.infogan.gan_diagnosis [--model=infogan-dsprites ...] [--n=512] [--seed=3]

For each InfoGAN (a zoo name or a preset folder) it draws `n` prior samples (z, c) and reports:

- **Q on its own samples**: how well Q recovers the codes G was given, the quantity InfoGAN's
  lower bound L_I maximises (Chen et al. 2016, eq. 5): the categorical code's accuracy (argmax of
  Q against the drawn class) and, per continuous code, the Pearson correlation of Q's mean with
  the drawn value. A code Q cannot read back carries no information, so it cannot follow a factor.
- **Where the samples' variation comes from**: per-pixel variance of G(z, c) when only the noise z
  is redrawn (codes held) and when only the codes c are redrawn (noise held), each averaged over
  `num_anchors` anchors; `code_share` = code variance / (code + noise variance). With a
  62-dimensional z beside a handful of codes, a generator can put the data's factors into z,
  where nothing makes them disentangled and Q's term does not look.
- **Each code's own effect**: the same variance when only code j is redrawn, so a code G ignores
  shows as ~0.
- **D's balance**: mean sigmoid(D(x)) on rendered frames and on samples (inference mode, no
  instance noise). 1 / 0 is a discriminator that wins outright; about 0.5 / 0.5, a balanced game.
- **Coverage**: `benchmarks.infogan.sample_spread.spread` of the samples beside the data's frames.

Nothing here is timed; a model takes seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
from absl import flags

import zoo
import zoo.data
from benchmarks import _report
from benchmarks.infogan import sample_spread

NAME = "gan_diagnosis"
TITLE = "InfoGAN diagnosis: Q's recovery, code vs noise variation, D's balance, coverage"
FLAGS = flags.FLAGS


def _prior(model, n: int, rng: np.random.Generator):
    noise = model.draw_noise(rng, (n, model.noise_dim))
    classes = rng.integers(0, max(model.num_categorical, 1), n)
    onehot = np.eye(model.num_categorical, dtype=np.float32)[classes] if model.num_categorical else \
        np.zeros((n, 0), np.float32)
    continuous = rng.uniform(-1.0, 1.0, (n, model.num_continuous)).astype(np.float32)
    return noise, onehot, continuous, classes


def _generate(model, noise, onehot, continuous) -> np.ndarray:
    return model.decode(np.concatenate([onehot, continuous], axis=1), noise=noise).numpy()


def q_recovery(model, n: int, rng) -> dict:
    """Q's accuracy on the categorical code and correlation per continuous code, on G's samples."""
    noise, onehot, continuous, classes = _prior(model, n, rng)
    codes = model.representation(_generate(model, noise, onehot, continuous))
    k = model.num_categorical
    result = {"categorical_accuracy": float((codes[:, :k].argmax(1) == classes).mean()) if k else None}
    result["continuous_correlation"] = [float(np.corrcoef(continuous[:, j], codes[:, k + j])[0, 1])
                                        for j in range(model.num_continuous)]
    return result


def _variance_when_redrawn(model, part: str, anchors: int, draws: int, rng, code: int | None = None) -> float:
    """Mean per-pixel variance of G over `draws` redraws of `part` (noise / codes / one code), per anchor."""
    variances = []
    for _ in range(anchors):
        noise, onehot, continuous, _ = _prior(model, 1, rng)
        noise, onehot, continuous = (np.repeat(a, draws, axis=0) for a in (noise, onehot, continuous))
        fresh_noise, fresh_onehot, fresh_continuous, _ = _prior(model, draws, rng)
        if part == "noise":
            noise = fresh_noise
        elif part == "codes":
            onehot, continuous = fresh_onehot, fresh_continuous
        elif code == 0 and model.num_categorical:
            onehot = fresh_onehot
        else:
            j = code - (1 if model.num_categorical else 0)
            continuous[:, j] = fresh_continuous[:, j]
        variances.append(_generate(model, noise, onehot, continuous).var(axis=0).mean())
    return float(np.mean(variances))


def variation(model, anchors: int, draws: int, rng) -> dict:
    """Pixel variance from the noise, from all codes, and from each code alone (categorical first)."""
    noise = _variance_when_redrawn(model, "noise", anchors, draws, rng)
    codes = _variance_when_redrawn(model, "codes", anchors, draws, rng)
    per_code = [_variance_when_redrawn(model, "one", anchors, draws, rng, code=j)
                for j in range((1 if model.num_categorical else 0) + model.num_continuous)]
    return {"noise_variance": noise, "code_variance": codes, "code_share": codes / max(codes + noise, 1e-12),
            "per_code_variance": per_code}


def balance(model, frames, n: int, seed: int) -> dict:
    """Mean D probability of 'real' on data frames and on samples (inference mode)."""
    def real_probability(images):
        logits = model.discriminator(tf.convert_to_tensor(images, tf.float32), training=False)["d_logits"]
        return float(tf.reduce_mean(tf.sigmoid(logits)))

    return {"d_real": real_probability(frames), "d_fake": real_probability(model.sample(n, seed=seed).numpy())}


def diagnose(model, frames, *, n: int = 512, seed: int = 3, anchors: int = 16, draws: int = 64) -> dict:
    rng = np.random.default_rng(seed)
    return {**q_recovery(model, n, rng), **variation(model, anchors, draws, rng), **balance(model, frames, n, seed),
            "spread": sample_spread.spread(model.sample(n, seed=seed).numpy())}


def run(quick: bool, out: Path, *, models=(), n: int = 512, seed: int | None = None,
        dataset: str = "dsprites") -> dict:
    """The diagnosis of each model (default infogan-dsprites), with the data's spread.

    Args:
      quick: fewer anchors (4 instead of 16).
      out: unused (the result is all this benchmark writes).
      models: zoo names or preset folders of InfoGANs.
      n: samples per check, and frames of the data.
      seed: seeds samples, codes and frames (default 3).
      dataset: the data the models were trained on (D's real inputs and the spread beside).
    """
    seed = 3 if seed is None else seed
    rows = []
    frames = zoo.data.load(dataset).sample_observations(n, np.random.default_rng(seed))
    data_spread = sample_spread.spread(frames)
    for name in models or ["infogan-dsprites"]:
        model = zoo.load(name)
        if not hasattr(model, "noise_dim"):
            raise ValueError(f"{name} is not an InfoGAN (no noise_dim); gan_diagnosis reads generators with codes.")
        rows.append({"name": str(name), **diagnose(model, frames, n=n, seed=seed, anchors=4 if quick else 16)})
        print(markdown({"rows": rows[-1:], "data_spread": data_spread}), flush=True)
    return {"n": n, "seed": seed, "dataset": dataset, "rows": rows, "data_spread": data_spread}


def markdown(result: dict) -> str:
    lines = []
    for r in result["rows"]:
        cont = ", ".join(f"{c:+.2f}" for c in r["continuous_correlation"])
        per = ", ".join(f"{v:.4f}" for v in r["per_code_variance"])
        acc = "-" if r["categorical_accuracy"] is None else f"{r['categorical_accuracy']:.3f}"
        s, d = r["spread"], result["data_spread"]
        lines += [f"**{r['name']}**", "",
                  f"- Q on its own samples: categorical accuracy {acc}; continuous correlations {cont}",
                  f"- pixel variance from noise {r['noise_variance']:.4f}, from codes {r['code_variance']:.4f} "
                  f"(code share {r['code_share']:.2f}); per code {per}",
                  f"- D(real) {r['d_real']:.3f}, D(sample) {r['d_fake']:.3f}",
                  f"- centre-x std {s['centre_x_std']:.1f} px (data {d['centre_x_std']:.1f}), centre-y std "
                  f"{s['centre_y_std']:.1f} (data {d['centre_y_std']:.1f}), area std {s['area_std']:.1f} "
                  f"(data {d['area_std']:.1f}), distinct {s['distinct']}/{s['n']}", ""]
    return "\n".join(lines)


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         models=FLAGS.model, n=FLAGS.n, seed=FLAGS.seed, dataset=FLAGS.dataset)
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "model", "n", "seed", "dataset", "quick", "out_dir", "out")
