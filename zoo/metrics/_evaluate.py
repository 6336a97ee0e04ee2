"""`evaluate`: every metric on one representation, sampled once."""

from __future__ import annotations

import time

import numpy as np

from zoo.data.base import as_generator
from zoo.metrics import _beta_vae, _factor_vae
from zoo.metrics._dci import dci
from zoo.metrics._irs import irs
from zoo.metrics._mig import mig
from zoo.metrics._modularity_explicitness import modularity_explicitness
from zoo.metrics._sampling import check_counts, check_data, make_encoder
from zoo.metrics._sap import sap
from zoo.metrics._unsupervised import unsupervised
from zoo.names import did_you_mean

ALL = ["mig", "dci", "sap", "modularity_explicitness", "irs", "unsupervised", "beta_vae_score",
       "factor_vae_score"]

_TRAIN_ONLY = {"mig": mig, "irs": irs}
_TRAIN_TEST = {"dci": dci, "sap": sap, "modularity_explicitness": modularity_explicitness}
_INTERVENTION = {"beta_vae_score": _beta_vae.plan, "factor_vae_score": _factor_vae.plan}


def check_metric_names(metrics) -> list[str]:
    """Validates metric names (a name or a list of names) against `ALL`; returns them as a list."""
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = list(metrics)
    if not metrics:
        raise ValueError(f"metrics is empty: name at least one of {', '.join(ALL)}.")
    for name in metrics:
        if name not in ALL:
            raise ValueError(f"Unknown metric {name!r}.{did_you_mean(name, ALL, n=2)} Known metrics: {', '.join(ALL)}.")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics lists a name twice: {metrics}.")
    return metrics


def evaluate(representation_fn, data, *, metrics=ALL, seed=0, num_train: int = 10_000, num_test: int = 5_000,
             batch_size: int = 64, metric_options: dict | None = None, progress: bool = True,
             encode_once: bool | None = None, precision: str = "float32", code_cache=None) -> dict[str, float]:
    """Scores one representation with every requested metric and returns one flat dict.

    `num_train` training and `num_test` test points are sampled once (factors uniform on the
    grid, from `seed`), rendered and encoded; the array metrics all score these same arrays
    (`mig`, `irs` and `unsupervised` use the training points, the others both splits). The
    intervention metrics sample their own pairs and batches with the same `seed`, `num_train`
    training and `num_test` evaluation points, so `evaluate(...)["beta_vae_score.eval_accuracy"]`
    equals `beta_vae_score(data, fn, seed=seed, num_train=num_train, num_eval=num_test)["eval_accuracy"]`.
    Study defaults otherwise.

    With `encode_once` (the default for datasets whose images are functions of the factors,
    `data.deterministic_observations`, such as dSprites), every factor sample of every requested
    metric is drawn first, each from its own generator exactly as in the separate calls, then
    each distinct image is encoded once (`zoo/metrics/_sampling.py`), then every metric is
    scored. At the study's settings the suite draws about 2.9 million factor samples, which are at
    most 737,280 distinct dSprites images. The scores equal those of `encode_once=False` (each
    array rendered and encoded when it is drawn, `batch_size` images per call for the shared
    arrays: the only path for datasets with random images) for any representation function that
    is deterministic per image.

    Keys are `"<function>.<key>"`, e.g. `"mig.mig"`, `"dci.disentanglement"`,
    `"beta_vae_score.eval_accuracy"`. Timings are kept apart from the scores under
    `"timing.<function>"` (seconds the metric took) and `"timing.encode"` (sampling, rendering and
    encoding the shared arrays; with `encode_once`, every metric's distinct images, so the
    intervention metrics' timings are their sampling and scoring alone), so every
    `"<function>.*"` key is a score.

    Args:
      representation_fn: images `[n, H, W, C]` -> codes `[n, D]`.
      data: a `zoo.data.GroundTruthData`.
      metrics: names from `zoo.metrics.ALL` (default: all of them), or one name.
      seed: int seed (or `np.random.Generator`) for all sampling.
      num_train: training points (and BetaVAE/FactorVAE training points).
      num_test: test points (and BetaVAE/FactorVAE evaluation points).
      batch_size: images per `representation_fn` call when encoding the shared arrays
        (`encode_once=False`; the code table encodes 4096 distinct images per call).
      metric_options: extra keywords per metric, e.g. `{"dci": {"backend": "fast"}}`.
      progress: show tqdm progress bars.
      encode_once: encode each distinct image once (default: `data.deterministic_observations`).
      precision: "float32" (default, the reference) or "bfloat16": encode with the model's networks
        computing in bfloat16, for a zoo model's `model.representation` (the function comes from
        the model's `representation_function(precision)`; this module knows no models), or a
        function that says so itself (a `precision` attribute). Faster where the CPU has AMX or
        AVX-512 BF16 units, or on a GPU; its score differences from float32:
        `benchmarks.speed.precision_bench`.
      code_cache: a `zoo.metrics.CodeCache` shared by calls with the same `representation_fn`, `data`
        and `precision` (e.g. one per evaluation seed): each distinct image is encoded once over all of
        them. Needs the code table (`encode_once`).

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

    if not callable(representation_fn):
        raise TypeError(f"representation_fn must be a function from images to codes (e.g. model.representation); "
                        f"got {type(representation_fn).__name__}.")
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
    if code_cache is not None:
        code_cache.bind(data, representation_fn, precision)
    representation_fn = at_precision(representation_fn, precision)
    results: dict[str, float] = {}
    encoder = make_encoder(data, representation_fn, encode_once, progress=progress, cache=code_cache)
    start = time.perf_counter()
    shared = None
    if any(n not in _INTERVENTION for n in names):
        shared = _request_shared(encoder, data, seed, num_train + num_test, batch_size, progress)
        results["timing.encode"] = time.perf_counter() - start
    scorers = {}
    planned = [n for n in names if n in _INTERVENTION]
    for name in tqdm(planned, desc="sampling", disable=not (progress and planned), leave=False):
        start = time.perf_counter()
        kwargs = {"seed": seed, "num_train": num_train, "num_eval": num_test, **options.get(name, {})}
        scorers[name] = _INTERVENTION[name](data, encoder, **kwargs)
        results[f"timing.{name}"] = time.perf_counter() - start
    if not encoder.immediate:
        start = time.perf_counter()
        encoder.run()
        results["timing.encode"] = results.get("timing.encode", 0.0) + time.perf_counter() - start
    if shared is not None:
        codes, factors = np.concatenate([r.value for r in shared[0]]), shared[1]
        arrays = codes[:num_train], factors[:num_train], codes[num_train:], factors[num_train:]
    bar = tqdm(names, desc="metrics", disable=not progress, leave=False)
    for name in bar:
        bar.set_postfix_str(name)
        kwargs = options.get(name, {})
        start = time.perf_counter()
        if name in _INTERVENTION:
            scores = scorers[name]()
        elif name in _TRAIN_ONLY:
            scores = _TRAIN_ONLY[name](arrays[0], arrays[1], **kwargs)
        elif name == "unsupervised":
            scores = unsupervised(arrays[0], **kwargs)
        else:
            scores = _TRAIN_TEST[name](*arrays, **kwargs)
        results[f"timing.{name}"] = results.get(f"timing.{name}", 0.0) + time.perf_counter() - start
        results.update({f"{name}.{key}": float(value) for key, value in scores.items()})
    return dict(sorted(results.items()))


PRECISIONS = ("float32", "bfloat16")


def at_precision(representation_fn, precision: str):
    """`representation_fn` encoding in `precision`: itself for float32 (or when it says it encodes
    in `precision`), else its model's `representation_function(precision)`."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}.")
    if precision == "float32" or getattr(representation_fn, "precision", None) == precision:
        return representation_fn
    make = getattr(getattr(representation_fn, "__self__", None), "representation_function", None)
    if make is None:
        raise ValueError(f"precision={precision!r} encodes with a zoo model's networks computing in {precision}: pass "
                         f"the model's own `model.representation` (or `model.representation_function({precision!r})`"
                         f"); {representation_fn!r} is neither.")
    return make(precision)


def _request_shared(encoder, data, seed, num_points, batch_size, progress):
    """Draws the shared points and requests their codes, `batch_size` images per call on the
    immediate path (with a progress bar): `(requests, factors [num_points, K])`."""
    from tqdm.auto import tqdm

    rng = as_generator(seed)
    factors = data.sample_factors(num_points, rng)
    requests = []
    step = batch_size if encoder.immediate else num_points
    with tqdm(total=len(factors), desc="encoding", unit="img", disable=not (progress and encoder.immediate),
              leave=False) as bar:
        for start in range(0, len(factors), step):
            chunk = factors[start:start + step]
            requests.append(encoder.request(chunk, rng, per_call=batch_size))
            bar.update(len(chunk))
    return requests, factors
