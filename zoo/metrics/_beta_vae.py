"""The BetaVAE disentanglement metric (Higgins et al. 2017, "beta-VAE: Learning Basic Visual Concepts")."""

from __future__ import annotations

import numpy as np

from zoo.data.base import as_generator
from zoo.metrics._sampling import IMAGES_PER_CALL, check_counts, check_data, make_encoder
from zoo.metrics._utils import seed_of, single_threaded


def beta_vae_score(data, representation_fn, *, seed=0, batch_size: int = 64, num_train: int = 10_000,
                   num_eval: int = 5_000, encode_once: bool | None = None) -> dict[str, float]:
    """Accuracy of a linear classifier that tells which factor was held fixed from code differences.

    Higgins et al. 2017, Sec. 3 / Appendix A.4: one training point is made by drawing a factor
    index y uniformly, then `batch_size` pairs of factor vectors that agree on factor y (all other
    factors drawn independently), rendering and encoding both members of each pair, and taking

        x = 1/L sum_l | z(v1_l) - z(v2_l) |      (L = batch_size, per code dimension)

    A classifier predicts y from x; the score is its accuracy. As in disentanglement_lib
    (`beta_vae.py`, `beta_vae_sklearn.gin`: batch_size 64, 10000 train and 5000 eval points), the
    classifier is `sklearn.linear_model.LogisticRegression()` with default settings (lbfgs, C=1,
    100 iterations; multinomial under the pinned scikit-learn, where the reference's 2019
    scikit-learn defaulted to one-vs-rest liblinear), `train_accuracy` is measured on the training
    points and `eval_accuracy` on fresh points. The points are sampled vectorised (the reference
    draws them one at a time from a `RandomState`), so the two agree in distribution, not draw by
    draw: checked against disentanglement_lib 1.5 `compute_beta_vae_sklearn` within 0.03
    (tests/test_metrics_reference.py).

    Sanity: a code that is the factors scores 1; a constant code scores chance, about 1/K (every x
    is 0, the classifier predicts one class), which is the floor here, not 0. The metric does
    not penalise a duplicated latent (a linear classifier still finds the factor).

    Speed: for a dataset whose images are functions of the factors (`data.deterministic_observations`,
    e.g. dSprites), every factor sample is drawn first, from the same random stream, and each
    distinct image is encoded once (`zoo/metrics/_sampling.py`): at the study's settings 1.92
    million pair members are at most 737,280 distinct dSprites images. The scores equal those of
    `encode_once=False` (rendering and encoding pair by pair, the only path for datasets with
    random images) for any representation function that is deterministic per image.

    Args:
      data: a `zoo.data.GroundTruthData` with at least 2 factors.
      representation_fn: images `[n, H, W, C]` -> codes `[n, D]` (called on up to 2048 images).
      seed: int or `np.random.Generator` for the sampling and the classifier.
      batch_size: pairs averaged into one point (L above), >= 1.
      num_train: training points.
      num_eval: evaluation points.
      encode_once: encode each distinct image once (default: when `data.deterministic_observations`);
        False renders and encodes every pair member as it is drawn.

    Returns:
      `{"train_accuracy", "eval_accuracy"}`.

    Example:
      >>> import numpy as np, zoo.data, zoo.metrics
      >>> def moments(images):  # ink and centre of mass of each sprite
      ...     ink, (rows, cols) = images[..., 0], np.mgrid[:16, :16]
      ...     mass = ink.sum((1, 2))
      ...     return np.stack([mass, (ink * cols).sum((1, 2)) / mass, (ink * rows).sum((1, 2)) / mass], 1)
      >>> s = zoo.metrics.beta_vae_score(zoo.data.load("tiny"), moments, num_train=500, num_eval=500)
      >>> s["eval_accuracy"] > 0.6
      True
    """
    check_data(data)
    encoder = make_encoder(data, representation_fn, encode_once)
    score = plan(data, encoder, seed=seed, batch_size=batch_size, num_train=num_train, num_eval=num_eval)
    encoder.run()
    return score()


def plan(data, encoder, *, seed=0, batch_size: int = 64, num_train: int = 10_000, num_eval: int = 5_000):
    """Draws every sample of `beta_vae_score` and requests its codes from `encoder`; returns `score()`.

    The draws come in the original order from one generator: training points, the classifier's
    seed, evaluation points. `score()` may be called once `encoder.run()` has returned.
    """
    check_data(data)
    check_counts(batch_size=batch_size, num_train=num_train, num_eval=num_eval)
    rng = as_generator(seed)
    train = _draw_points(data, encoder, batch_size, num_train, rng)
    if len(np.unique(train[1])) < 2:
        raise ValueError(f"num_train={num_train} drew a single factor index; use more training points.")
    classifier_seed = seed_of(rng)
    evaluation = _draw_points(data, encoder, batch_size, num_eval, rng)

    def score() -> dict[str, float]:
        from sklearn.linear_model import LogisticRegression

        train_x, train_y = _features(*train)
        eval_x, eval_y = _features(*evaluation)
        with single_threaded():
            model = LogisticRegression(random_state=classifier_seed).fit(train_x, train_y)
        train_accuracy = float(np.mean(model.predict(train_x) == train_y))
        return {"train_accuracy": train_accuracy, "eval_accuracy": float(model.score(eval_x, eval_y))}

    return score


def _points(data, representation_fn, batch_size, num_points, rng, encode_once=False):
    """`(features [num_points, D], fixed factor index [num_points])`."""
    encoder = make_encoder(data, representation_fn, encode_once)
    drawn = _draw_points(data, encoder, batch_size, num_points, rng)
    encoder.run()
    return _features(*drawn)


def _draw_points(data, encoder, batch_size, num_points, rng):
    """Draws the pairs of `num_points` points: `(requests, fixed factor index [num_points])`.

    One request per chunk of points; its value is the chunk's features, the mean over the
    `batch_size` pairs of |z(v1) - z(v2)|, `[n, D]`.
    """
    k = data.num_factors
    chunk = max(1, IMAGES_PER_CALL // (2 * batch_size))
    requests, labels = [], []
    for start in range(0, num_points, chunk):
        n = min(chunk, num_points - start)
        index = rng.integers(k, size=n)
        first = data.sample_factors(n * batch_size, rng).reshape(n, batch_size, k)
        second = data.sample_factors(n * batch_size, rng).reshape(n, batch_size, k)
        rows = np.arange(n)
        second[rows, :, index] = first[rows, :, index]

        def features(z, n=n):
            z = z.reshape(2, n, batch_size, -1)
            return np.mean(np.abs(z[0] - z[1]), axis=1)

        requests.append(encoder.request(np.concatenate([first, second]).reshape(-1, k), rng, reduce=features))
        labels.append(index)
    return requests, np.concatenate(labels)


def _features(requests, labels):
    return np.concatenate([r.value for r in requests]), labels
