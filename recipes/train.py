r"""Trains one objective on one ground-truth dataset, resumably, and writes a preset folder.

    python -m recipes.train --model=factor_vae --dataset=dsprites --steps=30000 --out=runs/factorvae

The run folder holds `run.json` (the settings that identify the run), `checkpoints/` (model,
optimizers and the step counter, which is also the data stream's position), `logs/`
(TensorBoard) and, at the end, `preset/` (config, inference weights, metadata, model card and a
latent traversal). Rerunning the same command after a crash or a kill resumes from the latest
checkpoint; with `--deterministic` the resumed run ends with the same weights as an
uninterrupted one. The flags are in `recipes/_flags.py`; the loop is `zoo.runs.train`.

    python -m recipes.train --recipe_of=factorvae-dsprites --seed=1 --out=runs/seeds/factorvae-dsprites/seed1

`--recipe_of=<zoo name>` trains another training seed of a zoo preset with exactly its recorded
recipe (`zoo.runs.settings.recipe_of`: objective, hyperparameters, latents, steps, batch, data, and
each optimizer as recorded, Keras's or the fused Adam with its rate, betas and epsilon: most dSprites
presets trained with epsilon 1e-7, not today's 1e-8); a preset trained on from itself (betavae-dsprites,
3 x 30,000 steps) is trained as the same chain (`zoo.runs.train_chain`; the earlier runs' folders sit
beside --out). The flags it sets may not be given. docs/seeds.md lists every preset's commands.
"""

from __future__ import annotations

import time
from pathlib import Path

from absl import flags

import zoo.runs
from zoo import manifest
from zoo.runs.settings import recipe_of, recipe_stages
from zoo.runs.training import chain_folders

from . import _common, _flags

FLAGS = _flags.FLAGS
flags.adopt_module_key_flags(_flags)  # --help lists the training flags
flags.DEFINE_string("recipe_of", None, "A zoo name (zoo.list_models()): train another training seed (--seed) of it "
                    "with exactly its recorded recipe (objective, hyperparameters, steps, batch, optimizers incl. "
                    "epsilon and beta_1, data); --name defaults to it. The flags it sets may not be given.")
# The flags --recipe_of sets from the manifest entry.
RECIPE_SETS = ("model", "dataset", "dataset_options", "steps", "batch_size", "learning_rate", "latent_dim", "hparams",
               "strategy")


def recipe_runs(name: str, seed: int) -> list:
    """The runs that train seed `seed` of zoo name `name` with its recorded recipe (one, or a chain)."""
    given = [f"--{flag}" for flag in RECIPE_SETS if FLAGS[flag].present]
    given += [f"--{flag}" for flag in _flags.HPARAMS if FLAGS[flag].value is not None]
    if given:
        raise _common.UsageError(f"--recipe_of={name} sets {', '.join(sorted(set(given)))} from the zoo's record; "
                                 "drop them (or train without --recipe_of).")
    if not FLAGS.preset:
        raise _common.UsageError("--recipe_of trains a zoo seed, whose preset is what gets scored: drop --nopreset.")
    if FLAGS.snapshot_steps:
        raise _common.UsageError("--snapshot_steps writes presets of a plain run's earlier steps; a zoo seed (--recipe_of) "
                                 "is scored at its recipe's end: drop --snapshot_steps.")
    entry = manifest.get_entry(manifest.load_manifest(), name)
    return recipe_stages(recipe_of(entry), seed)


def main(argv):
    _common.start(argv)
    try:
        if FLAGS.recipe_of:
            if not FLAGS.out:
                raise _common.UsageError("--out is required: the folder for checkpoints, logs and the preset.")
            _common.check_output_folder(FLAGS.out, "--out")
            runs = [s.replace(deterministic=FLAGS.deterministic).check() for s in recipe_runs(FLAGS.recipe_of,
                                                                                             FLAGS.seed)]
            folders = chain_folders(FLAGS.out, len(runs))
            for run_settings, folder in zip(runs, folders):
                if not zoo.runs.is_finished(folder):
                    zoo.runs.check_run_folder(folder, run_settings, FLAGS.resume)
                    break
            settings, out = runs[-1], Path(FLAGS.out)
        else:
            runs = None
            settings = _flags.run_settings()
            out = Path(FLAGS.out)
            zoo.runs.check_run_folder(out, settings, FLAGS.resume)
    except (ValueError, LookupError) as e:
        return _common.fail(e)
    start = time.time()
    try:
        if runs is not None:
            zoo.runs.train_chain(runs, out, progress=FLAGS.progress, checkpoint_every=FLAGS.checkpoint_every,
                                 keep_checkpoints=FLAGS.keep_checkpoints, kill_at_step=FLAGS.debug_kill_at_step,
                                 preset_name=FLAGS.name or FLAGS.recipe_of, kl_trace_every=FLAGS.kl_trace_every)
        else:
            zoo.runs.train(settings, out, progress=FLAGS.progress, write_preset=FLAGS.preset,
                           checkpoint_every=FLAGS.checkpoint_every, keep_checkpoints=FLAGS.keep_checkpoints,
                           kill_at_step=FLAGS.debug_kill_at_step, preset_name=FLAGS.name,
                           kl_trace_every=FLAGS.kl_trace_every, snapshot_steps=_flags.snapshot_steps())
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
    _common.run_app(main, __name__, _flags.help_sections("common flags", extra=("recipe_of",)))


if __name__ == "__main__":
    run()
