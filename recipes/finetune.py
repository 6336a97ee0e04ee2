r"""Fine-tunes a pretrained model on another dataset, with fresh optimizers.

    python -m recipes.finetune --from=betavae-dsprites --dataset=color_dsprites --steps=5000 --out=runs/ft

Weights are copied from the pretrained model into a new model of the same objective and
hyperparameters built for the new dataset's image shape. Going from grey to colour images (1 -> 3
channels), the first convolution's kernel is split evenly over the new input channels (a grey image
x*[1,1,1] then gives the encoder exactly the activations it gave x) and the decoder's last layer is
repeated for each output channel (it draws the grey sprite into every channel). Any other change
of shape is refused. Training then proceeds as `recipes.train` (checkpoints, resume, preset).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from absl import app, flags

from recipes import _common, train

FLAGS = flags.FLAGS


def define_flags():
    """Defines this recipe's flags (once; absl flags are global, so only the recipe being run defines them)."""
    if "from" in FLAGS:
        return
    train.define_flags()
    flags.DEFINE_string("from", "betavae-dsprites", "Pretrained model: manifest name, hf:// address or preset folder.")


def transfer_weights(source, target) -> list[str]:
    """Copies `source`'s weights into `target` (same objective, possibly another channel count).

    Both models are built by the same code, so their weights come in the same order; each pair is
    checked by path. The step counter is not copied: the fine-tuning run counts from 0. Returns the paths of the weights that were adapted rather than copied.
    """
    import keras

    if type(source) is not type(target):
        raise ValueError(f"cannot fine-tune a {type(target).__name__} from a {type(source).__name__}: the pretrained "
                         "model has no weight for the other objective's networks.")
    if len(source.weights) != len(target.weights):
        raise ValueError(f"the pretrained model has {len(source.weights)} weights, the new one {len(target.weights)}; "
                         "build it with the same latent_dim and hyperparameters.")
    owner = {id(v): layer for layer in target._flatten_layers(include_self=False, recursive=True)
             if not isinstance(layer, keras.Model) for v in layer.weights}
    adapted = []
    for s, v in zip(source.weights, target.weights):
        if v is target.step:  # a new run: its own step counter (and data position) start at 0
            continue
        if s.path != v.path:
            raise ValueError(f"weight {s.path!r} of the pretrained model meets {v.path!r}; not the same network.")
        value = np.asarray(s.numpy())
        if value.shape != tuple(v.shape):
            value = _adapt(owner.get(id(v)), v, value, keras)
            adapted.append(v.path)
        v.assign(value)
    return adapted


def _adapt(layer, variable, value, keras):
    new = tuple(variable.shape)
    if len(new) != len(value.shape) or sum(a != b for a, b in zip(new, value.shape)) != 1:
        raise ValueError(f"cannot transfer {variable.path}: shape {value.shape} -> {new}.")
    axis = next(i for i, (a, b) in enumerate(zip(new, value.shape)) if a != b)
    if value.shape[axis] != 1:
        raise ValueError(f"cannot transfer {variable.path}: only 1 -> C channels is supported, got "
                         f"{value.shape[axis]} -> {new[axis]}.")
    reps = [1] * len(new)
    reps[axis] = new[axis]
    tiled = np.tile(value, reps)
    is_input_axis = isinstance(layer, keras.layers.Conv2D) and not isinstance(layer, keras.layers.Conv2DTranspose) \
        and len(new) == 4 and axis == 2
    return tiled / new[axis] if is_input_axis else tiled


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    _common.quiet_tensorflow()
    from absl import logging

    import zoo
    import zoo.models
    from zoo import presets
    logging.set_verbosity(logging.WARNING)
    source_name = getattr(FLAGS, "from")
    try:
        source = zoo.load(source_name)
        meta = presets.read_metadata(zoo.api.resolve(source_name))
        FLAGS.model = meta["objective"]
        FLAGS.latent_dim = int(meta["config"].get("latent_dim", FLAGS.latent_dim))
        given = {name: getattr(FLAGS, name) for name in _common.HPARAM_FLAGS if getattr(FLAGS, name) is not None}
        if given or FLAGS.hparams:
            raise _common.UsageError("fine-tuning keeps the pretrained model's hyperparameters; drop "
                                     f"{', '.join(given) or '--hparams'}.")
        settings = train.run_settings()
        # A config saved before a hyperparameter existed keeps that model's behaviour (LEGACY_HPARAMS).
        config = zoo.models.get_class(meta["objective"]).complete_config(meta["config"])
        settings["hparams"] = {k: config[k] for k in settings["hparams"] if k in config}
        settings["init_from"] = source_name
        # The source's own training, kept in the new card: the name may later point at other weights.
        settings["init_from_training"] = {k: v for k, v in meta.get("training", {}).items() if k != "versions"}
        out = Path(FLAGS.out)
        train.check_run_folder(out, settings, FLAGS.resume)
    except (ValueError, LookupError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def initialize(model):
        adapted = transfer_weights(source, model)
        print(f"Initialised from {source_name}" + (f" (adapted to the new channels: {', '.join(adapted)})"
                                                     if adapted else "") + ".", flush=True)

    name = FLAGS.name or train.zoo_name(settings["model"], settings["dataset"]) + "-ft"
    train.train(settings, out, progress=FLAGS.progress, write_preset=FLAGS.preset,
                checkpoint_every=FLAGS.checkpoint_every, keep_checkpoints=FLAGS.keep_checkpoints,
                initialize=initialize, preset_name=name)
    print(f"Fine-tuned {source_name} on {settings['dataset']} to step {settings['steps']}; run folder {out}.")
    return 0


if __name__ == "__main__":
    define_flags()
    app.run(main)
