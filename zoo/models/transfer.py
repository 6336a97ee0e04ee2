"""Weight transfer for fine-tuning: a pretrained model's weights into a new model of its objective.

Both models are built by the same code, so their weights come in the same order; each pair is
checked by path. Going from grey to colour images (1 -> 3 channels), the first convolution's
kernel is split evenly over the new input channels (a grey image x*[1,1,1] then gives the encoder
exactly the activations it gave x) and the decoder's last layer is repeated for each output
channel (it draws the grey sprite into every channel). Any other change of shape is refused.
"""

from __future__ import annotations

import keras
import numpy as np


def transfer_weights(source, target) -> list[str]:
    """Copies `source`'s weights into `target` (same objective, possibly another channel count).

    The step counter is not copied: the fine-tuning run counts from 0.

    Args:
      source: the pretrained model.
      target: a freshly built model of the same class, latent size and hyperparameters.

    Returns:
      The paths of the weights that were adapted (1 -> C channels) rather than copied.

    Raises:
      ValueError: another objective, another number of weights, or a shape change other than
        1 -> C channels.
    """
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
            value = _adapt(owner.get(id(v)), v, value)
            adapted.append(v.path)
        v.assign(value)
    return adapted


def _adapt(layer, variable, value):
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
