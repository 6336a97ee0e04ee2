"""Refits the dSprites renderer's geometry to the 320 real frames (how its constants were found).

    .venv/bin/python -m benchmarks.tools.fit_dsprites [--reference FRAMES.npz]

Reads `--reference` (default `../shared/reference/dsprites_gif_frames.npz` beside the checkout:
real frames cut from DeepMind's file, with their factor classes) and fits, in order, with every other constant at its value in
`zoo.data.dsprites_render`:

1. the rotation direction, on the rotated squares (the square's side barely matters for it);
2. the square's side: the interval of sides for which the most square frames are pixel-exact;
3. the ellipse's semi-axes: a grid search for the fewest mismatched pixels;
4. the heart (lobe radius, lobe centre x and y, tip y, vertical stretch) and the centre mapping
   16 + 32 pos: Nelder-Mead on the mean IoU of the 192 heart frames, which sweep position too.

It renders through the production code (patching the module's constants), so what it prints is
what the package draws. It takes about ten seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from absl import flags

from benchmarks import _report
from zoo.data import dsprites_render as R

NAME = "fit_dsprites"
TITLE = "The renderer's geometry refitted to real frames"
FLAGS = flags.FLAGS
CONSTANTS = ("SQUARE_SIDE", "ELLIPSE_SEMI_AXES", "HEART_LOBE_RADIUS", "HEART_LOBE_X", "HEART_LOBE_Y", "HEART_TIP_Y",
             "HEART_STRETCH", "CENTRE_OFFSET", "CENTRE_SPAN")
SCALES, ORIENTATIONS, POSITIONS = np.linspace(0.5, 1, 6), np.linspace(0, 2 * np.pi, 40), np.linspace(0, 1, 32)


def load_reference(path):
    reference = np.load(path)
    return reference["images"].astype(bool), reference["factor_classes"]


def render(factors, orientation_sign=1.0):
    return R.render(factors[:, 0], SCALES[factors[:, 1]], orientation_sign * ORIENTATIONS[factors[:, 2]],
                    POSITIONS[factors[:, 3]], POSITIONS[factors[:, 4]]).astype(bool)


def agreement(real, factors):
    """Per-frame mismatched pixels and IoU of the renderer against real frames."""
    ours = render(factors)
    mismatched = (ours != real).sum(axis=(1, 2))
    iou = (ours & real).sum(axis=(1, 2)) / np.maximum((ours | real).sum(axis=(1, 2)), 1)
    return mismatched, iou


def _patched(**constants):
    for name, value in constants.items():
        setattr(R, name, value)
    R._HEART_AXIS, R._HEART_TAN, R._HEART_REACH = R._heart_hull_constants()


def fit(real, factors):
    from scipy.optimize import minimize

    fitted = {}
    square = factors[:, 0] == 0
    exact = {sign: int((render(factors[square], sign) == real[square]).all(axis=(1, 2)).sum()) for sign in (1, -1)}
    print(f"rotation: counter-clockwise on screen matches {exact[1]}/64 squares, clockwise {exact[-1]}/64")

    sides = np.arange(19.10, 19.30, 0.0005)
    counts = []
    for side in sides:
        _patched(SQUARE_SIDE=side)
        counts.append(int((render(factors[square]) == real[square]).all(axis=(1, 2)).sum()))
    best = sides[np.array(counts) == max(counts)]
    fitted["SQUARE_SIDE"] = round(float(best.mean()), 4)
    print(f"square side: {max(counts)}/64 exact for {best.min():.4f}..{best.max():.4f}; "
          f"midpoint {fitted['SQUARE_SIDE']}")
    _patched(SQUARE_SIDE=fitted["SQUARE_SIDE"])

    ellipse = factors[:, 0] == 1
    results = []
    for a in np.arange(12.70, 12.84, 0.002):
        for b in np.arange(7.17, 7.26, 0.002):
            _patched(ELLIPSE_SEMI_AXES=(a, b))
            results.append(((render(factors[ellipse]) != real[ellipse]).sum(), round(a, 3), round(b, 3)))
    err, a, b = min(results)
    fitted["ELLIPSE_SEMI_AXES"] = (float(a), float(b))
    print(f"ellipse semi-axes: ({a}, {b}), {err / ellipse.sum():.3f} mismatched px/frame")
    _patched(ELLIPSE_SEMI_AXES=(a, b))

    heart = factors[:, 0] == 2
    names = ["HEART_LOBE_RADIUS", "HEART_LOBE_X", "HEART_LOBE_Y", "HEART_TIP_Y", "HEART_STRETCH",
             "CENTRE_OFFSET", "CENTRE_SPAN"]

    def loss(params):
        _patched(**dict(zip(names, params)))
        return -agreement(real[heart], factors[heart])[1].mean()

    start = [5.0, 4.6, -3.8, 8.5, 1.0, 16.0, 32.0]  # a round classic heart, centre 16 + 32 pos
    result = minimize(loss, start, method="Nelder-Mead", options=dict(xatol=1e-4, fatol=1e-6, maxiter=3000))
    for _ in range(2):  # restarts: the objective is piecewise constant
        result = minimize(loss, result.x, method="Nelder-Mead", options=dict(xatol=1e-4, fatol=1e-6, maxiter=3000))
    fitted.update({name: round(float(v), 3) for name, v in zip(names, result.x)})
    print("heart and centre: " + ", ".join(f"{n}={fitted[n]}" for n in names) + f"; mean IoU {-result.fun:.4f}")
    _patched(**{n: fitted[n] for n in names})
    return fitted


def run(quick: bool, out: Path, *, reference: Path | None = None) -> dict:
    """Refits the constants to the frames in `reference` and prints them beside the shipped ones.

    Args:
      quick: unused (the fit takes about ten seconds).
      out: unused (the result is all this benchmark writes).
      reference: the real frames (npz of `images`, `factor_classes`); nothing is fitted without them.
    """
    if reference is None or not Path(reference).exists():
        print(f"reference frames not found at {reference}; nothing to fit")
        return {"reference": str(reference), "skipped": "reference frames not found", "constants": {}}
    real, factors = load_reference(reference)
    shipped = {n: getattr(R, n) for n in CONSTANTS}
    try:
        fitted = fit(real, factors)
    finally:
        _patched(**shipped)  # the module's constants as shipped, whatever the fit left in them
    print("\nfitted vs shipped constants:")
    for name, value in shipped.items():
        print(f"  {name:18s} fitted {fitted.get(name, value)!s:18s} shipped {value}")
    return {"reference": str(reference), "constants": {n: {"fitted": fitted.get(n, v), "shipped": v}
                                                       for n, v in shipped.items()}}


def markdown(result: dict) -> str:
    if not result["constants"]:
        return f"Not fitted: {result['skipped']} ({result['reference']})."
    return _report.markdown_table(["constant", "fitted", "shipped"],
                                  [[n, c["fitted"], c["shipped"]] for n, c in result["constants"].items()])


def main(argv):
    _report.no_arguments(argv)
    _report.run_and_save(sys.modules[__name__], quick=FLAGS.quick, out=FLAGS.out_dir, json_path=FLAGS.out,
                         reference=Path(FLAGS.reference))
    return 0


if __name__ == "__main__":
    from benchmarks import _flags

    _flags.program(main, "quick", "out_dir", "out", "reference")
