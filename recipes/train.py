r"""Trains one objective on one ground-truth dataset, resumably, and writes a preset folder.

    python -m recipes.train --model=factor_vae --dataset=dsprites --steps=30000 --out=runs/factorvae

The run folder holds `run.json` (the settings that identify the run), `checkpoints/` (model,
optimizers and the step counter, which is also the data stream's position), `logs/`
(TensorBoard) and, at the end, `preset/` (config, inference weights, metadata, model card and a
latent traversal). Rerunning the same command after a crash or a kill resumes from the latest
checkpoint; with `--deterministic` the resumed run ends with the same weights as an
uninterrupted one. The flags are in `recipes/_flags.py`; the loop is `zoo.runs.train`.
"""

from __future__ import annotations

import time
from pathlib import Path

from absl import flags

import zoo.runs

from . import _common, _flags

FLAGS = _flags.FLAGS
flags.adopt_module_key_flags(_flags)  # --help lists the training flags


def main(argv):
    _common.start(argv)
    try:
        settings = _flags.run_settings()
        out = Path(FLAGS.out)
        zoo.runs.check_run_folder(out, settings, FLAGS.resume)
    except ValueError as e:
        return _common.fail(e)
    start = time.time()
    try:
        zoo.runs.train(settings, out, progress=FLAGS.progress, write_preset=FLAGS.preset,
                       checkpoint_every=FLAGS.checkpoint_every, keep_checkpoints=FLAGS.keep_checkpoints,
                       kill_at_step=FLAGS.debug_kill_at_step, preset_name=FLAGS.name)
    except zoo.runs.NonFiniteLossError as e:
        return _common.fail(e, 3)
    except zoo.runs.Stopped as e:  # SIGTERM / SIGINT, after a checkpoint
        return _common.fail(e, e.exit_code)
    except (zoo.runs.RunSettingsError, zoo.runs.RunFolderError) as e:  # found before anything was written
        return _common.fail(e)
    print(f"Trained {settings.model} on {settings.dataset} to step {settings.steps} in "
          f"{time.time() - start:.0f} s; run folder {out}.")
    return 0


def run():
    """`zoo-train` where the zoo is installed (a console script); `python -m recipes.train` in a checkout."""
    _common.run_app(main, __name__, _flags.help_sections("common flags"))


if __name__ == "__main__":
    run()
