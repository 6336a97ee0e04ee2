r"""Fine-tunes a pretrained model on another dataset, with fresh optimizers.

    python -m recipes.finetune --from=betavae-dsprites --dataset=color_dsprites --steps=5000 --out=runs/ft

Weights are copied from the pretrained model into a new model of the same objective and
hyperparameters built for the new dataset's image shape (`zoo.models.transfer`: from grey to
colour images the first convolution's kernel is split evenly over the new input channels and the
decoder's last layer repeated for each output channel; any other change of shape is refused).
Training then proceeds as `recipes.train` (the same flags: checkpoints, resume, preset), and the
new card records the source and its own training (`zoo.runs.finetune_settings`).
"""

from __future__ import annotations

from pathlib import Path

from absl import flags

import zoo.data
import zoo.registry
import zoo.runs
from zoo import presets
from zoo.models.transfer import transfer_weights

from . import _common, _flags

FLAGS = _flags.FLAGS
flags.adopt_module_key_flags(_flags)  # --help lists the training flags too
flags.DEFINE_string("from", "betavae-dsprites", "Pretrained model: manifest name, hf:// address, preset folder or "
                    "run folder.")


def _check_source_fixes(settings) -> None:
    """Refuses --model and --latent_dim where they differ from the pretrained model's: fine-tuning
    keeps its objective and latents (the weights fix them), and silently training another would mislead."""
    for flag, value in (("model", settings.model), ("latent_dim", settings.latent_dim)):
        if FLAGS[flag].present and FLAGS[flag].value != value:
            raise _common.UsageError(f"--{flag}={FLAGS[flag].value} differs from the pretrained model's {flag} "
                                     f"({value}), which fine-tuning keeps; drop --{flag}, or train a new model with "
                                     "recipes.train.")


def _check_image_size(meta: dict, settings) -> None:
    """The new dataset's images must have the pretrained model's height and width (the transfer
    adapts only grey to colour channels)."""
    trained = (meta.get("dataset") or {}).get("observation_shape")
    if not trained:
        return
    try:
        shape = zoo.data.load(settings.dataset, **settings.dataset_options).observation_shape
    except TypeError as e:
        raise _common.UsageError(f"--dataset_options do not fit dataset {settings.dataset!r} ({e}).") from None
    if tuple(shape[:2]) != tuple(trained[:2]):
        raise _common.UsageError(f"--dataset={settings.dataset} has {shape[0]}x{shape[1]} images, but "
                                 f"{getattr(FLAGS, 'from')} was trained on {trained[0]}x{trained[1]} images; "
                                 "fine-tuning keeps the image size (only grey -> colour channels are adapted): "
                                 "choose a dataset of that size.")


def main(argv):
    _common.start(argv)
    source_name = getattr(FLAGS, "from")
    try:
        source, folder, _ = zoo.registry.resolve_model(source_name)
        given = [name for name in _flags.HPARAMS if FLAGS[name].value is not None]
        if given or FLAGS.hparams:
            raise _common.UsageError("fine-tuning keeps the pretrained model's hyperparameters; drop "
                                     f"{', '.join(given) or '--hparams'}.")
        meta = presets.read_metadata(folder)
        settings = zoo.runs.finetune_settings(_flags.run_settings(model=meta["objective"]), source_name, meta)
        _check_source_fixes(settings)
        _check_image_size(meta, settings)
        out = Path(FLAGS.out)
        zoo.runs.check_run_folder(out, settings, FLAGS.resume)
    except (ValueError, LookupError, FileNotFoundError) as e:
        return _common.fail(e)

    def initialize(model):
        adapted = transfer_weights(source, model)
        print(f"Initialised from {source_name}" + (f" (adapted to the new channels: {', '.join(adapted)})"
                                                     if adapted else "") + ".", flush=True)

    name = FLAGS.name or zoo.runs.zoo_name(settings.model, settings.dataset) + "-ft"
    try:
        zoo.runs.train(settings, out, progress=FLAGS.progress, write_preset=FLAGS.preset,
                       checkpoint_every=FLAGS.checkpoint_every, keep_checkpoints=FLAGS.keep_checkpoints,
                       initialize=initialize, preset_name=name, kl_trace_every=FLAGS.kl_trace_every,
                       snapshot_steps=_flags.snapshot_steps())
    except zoo.runs.NonFiniteLossError as e:
        return _common.fail(e, 3)
    except zoo.runs.Stopped as e:  # SIGTERM / SIGINT, after a checkpoint
        return _common.fail(e, e.exit_code)
    except (zoo.runs.RunSettingsError, zoo.runs.RunFolderError) as e:  # found before anything was written
        return _common.fail(e)
    print(f"Fine-tuned {source_name} on {settings.dataset} to step {settings.steps}; run folder {out}.")
    return 0


def run():
    """`zoo-finetune` where the zoo is installed (a console script); `python -m recipes.finetune` in a checkout."""
    # Fine-tuning keeps the source's hyperparameters: no objective groups.
    _common.run_app(main, __name__, _flags.help_sections("common flags", extra=("from",), objectives=False))


if __name__ == "__main__":
    run()
