"""`evaluate`: every metric on one representation, sampled once."""

from __future__ import annotations

import time

import numpy as np

from zoo.data.base import as_generator
from zoo.metrics._beta_vae import beta_vae_score
from zoo.metrics._dci import dci
from zoo.metrics._factor_vae import factor_vae_score
from zoo.metrics._irs import irs
from zoo.metrics._mig import mig
from zoo.metrics._modularity_explicitness import modularity_explicitness
from zoo.metrics._sampling import check_counts, check_data, encode
from zoo.metrics._sap import sap
from zoo.metrics._unsupervised import unsupervised
from zoo.names import did_you_mean

ALL = ["mig", "dci", "sap", "modularity_explicitness", "irs", "unsupervised", "beta_vae_score",
       "factor_vae_score"]

_TRAIN_ONLY = {"mig": mig, "irs": irs}
_TRAIN_TEST = {"dci": dci, "sap": sap, "modularity_explicitness": modularity_explicitness}
_INTERVENTION = {"beta_vae_score": beta_vae_score, "factor_vae_score": factor_vae_score}


def check_metric_names(metrics) -> list[str]:
    """Validates metric names (a name or a list of names) against `ALL`; returns them as a list."""
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    for name in metrics:
        if name not in ALL:
            raise ValueError(f"Unknown metric {name!r}.{did_you_mean(name, ALL, n=2)} Known metrics: {', '.join(ALL)}.")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics lists a name twice: {metrics}.")
    return metrics


def evaluate(representation_fn, data, *, metrics=ALL, seed=0, num_train: int = 10_000, num_test: int = 5_000,
             batch_size: int = 64, metric_options: dict | None = None, progress: bool = True) -> dict[str, float]:
    """Scores one representation with every requested metric and returns one flat dict.

    `num_train` training and `num_test` test points are sampled once (factors uniform on the
    grid, from `seed`), rendered and encoded `batch_size` images per call with a progress bar;
    the array metrics all score these same arrays (`mig`, `irs` and `unsupervised` use the
    training points, the others both splits). The intervention metrics sample their own pairs
    and batches with the same `seed`, `num_train` training and `num_test` evaluation points, so
    `evaluate(...)["beta_vae_score.eval_accuracy"]` equals `beta_vae_score(data, fn, seed=seed,
    num_train=num_train, num_eval=num_test)["eval_accuracy"]`. Study defaults otherwise.

    Keys are `"<function>.<key>"`, e.g. `"mig.mig"`, `"dci.disentanglement"`,
    `"beta_vae_score.eval_accuracy"`. Timings are kept apart from the scores under
    `"timing.<function>"` (seconds the metric took) and `"timing.encode"` (sampling, rendering and
    encoding the shared arrays), so every `"<function>.*"` key is a score.

    Args:
      representation_fn: images `[n, H, W, C]` -> codes `[n, D]`.
      data: a `zoo.data.GroundTruthData`.
      metrics: names from `zoo.metrics.ALL` (default: all of them), or one name.
      seed: int seed (or `np.random.Generator`) for all sampling.
      num_train: training points (and BetaVAE/FactorVAE training points).
      num_test: test points (and BetaVAE/FactorVAE evaluation points).
      batch_size: images per `representation_fn` call when encoding the shared arrays.
      metric_options: extra keywords per metric, e.g. `{"dci": {"backend": "fast"}}`.
      progress: show tqdm progress bars.

    Returns:
      `dict[str, float]`.

    Example:
      >>> import numpy as np, zoo.data, zoo.metrics
      >>> def moments(images):  # ink and centre of mass of each sprite
      ...     ink, (rows, cols) = images[..., 0], np.mgrid[:16, :16]
      ...     mass = ink.sum((1, 2))
      ...     return np.stack([mass, (ink * cols).sum((1, 2)) / mass, (ink * rows).sum((1, 2)) / mass], 1)
      >>> scores = zoo.metrics.evaluate(moments, zoo.data.load("tiny"), metrics=["mig", "sap"],
      ...                               num_train=1000, num_test=500, progress=False)
      >>> sorted(scores)
      ['mig.mig', 'sap.sap', 'timing.encode', 'timing.mig', 'timing.sap']
    """
    from tqdm.auto import tqdm

    names = check_metric_names(metrics)
    check_data(data, min_factors=1)
    check_counts(num_train=num_train, num_test=num_test, batch_size=batch_size)
    options = dict(metric_options or {})
    for name, kwargs in options.items():
        check_metric_names([name])
        if not isinstance(kwargs, dict):
            raise TypeError(f"metric_options[{name!r}] must be a dict of keywords; got {type(kwargs).__name__}.")
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**31 - 1))
    results: dict[str, float] = {}
    arrays = None
    if any(n not in _INTERVENTION for n in names):
        start = time.perf_counter()
        arrays = _sample_and_encode(representation_fn, data, seed, num_train, num_test, batch_size, progress)
        results["timing.encode"] = time.perf_counter() - start
    bar = tqdm(names, desc="metrics", disable=not progress, leave=False)
    for name in bar:
        bar.set_postfix_str(name)
        kwargs = options.get(name, {})
        start = time.perf_counter()
        if name in _INTERVENTION:
            kwargs = {"seed": seed, "num_train": num_train, "num_eval": num_test, **kwargs}
            scores = _INTERVENTION[name](data, representation_fn, **kwargs)
        elif name in _TRAIN_ONLY:
            scores = _TRAIN_ONLY[name](arrays[0], arrays[1], **kwargs)
        elif name == "unsupervised":
            scores = unsupervised(arrays[0], **kwargs)
        else:
            scores = _TRAIN_TEST[name](*arrays, **kwargs)
        results[f"timing.{name}"] = time.perf_counter() - start
        results.update({f"{name}.{key}": float(value) for key, value in scores.items()})
    return dict(sorted(results.items()))


def _sample_and_encode(representation_fn, data, seed, num_train, num_test, batch_size, progress):
    from tqdm.auto import tqdm

    rng = as_generator(seed)
    factors = data.sample_factors(num_train + num_test, rng)
    parts, num_codes = [], None
    with tqdm(total=len(factors), desc="encoding", unit="img", disable=not progress, leave=False) as bar:
        for start in range(0, len(factors), batch_size):
            chunk = factors[start:start + batch_size]
            codes = encode(representation_fn, data.sample_observations_from_factors(chunk, rng), num_codes)
            num_codes = codes.shape[1]
            parts.append(codes)
            bar.update(len(chunk))
    codes = np.concatenate(parts)
    return codes[:num_train], factors[:num_train], codes[num_train:], factors[num_train:]
