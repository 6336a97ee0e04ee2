"""zoo: a TensorFlow/Keras model zoo for unsupervised disentangled representation learning.

`zoo.load(name)` returns a pretrained model (`zoo.list_models()` names them, `available=True` those
that can load here, `zoo.model_sources()` where each would come from; `zoo.model_card(name)` gives
its card, `zoo.seeds(name)` its training seeds, `zoo.load(name, seed=N)` one of them). Importing
`zoo` stays light: TensorFlow is imported when a model is built. It registers
the zoo's classes with Keras once Keras is imported, so `keras.saving.load_model` reads a preset.
"""

__version__ = "0.1.0"

from zoo.api import list_models, load, model_card, model_sources, seeds  # noqa: E402  (stdlib-only imports)

__all__ = ["list_models", "load", "model_card", "model_sources", "seeds"]
