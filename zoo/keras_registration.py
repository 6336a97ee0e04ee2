"""Plain `keras.saving.load_model` of a zoo preset: the zoo's objectives registered with Keras.

`import zoo` imports no Keras (it is quick and light); a preset's config.json names zoo classes, which
Keras finds only once `zoo.models` has been imported. `register_with_keras` (called by `zoo.api`)
imports `zoo.models` at once if Keras is already imported, else installs a meta-path finder that does
it as soon as the outermost import of Keras or TensorFlow has finished.
"""

from __future__ import annotations

import sys


def import_models() -> None:
    """Registers the zoo's objectives with Keras so that configs naming them deserialize."""
    try:
        import zoo.models  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name != "zoo.models":
            raise


# TensorFlow imports Keras while it starts, and Keras TensorFlow: the zoo's classes are registered
# once the outermost of the two imports has finished.
_KERAS_IMPORTS = ("keras", "tensorflow")


def register_with_keras() -> None:
    """Makes plain `keras.saving.load_model` (of a preset folder, or an `hf://` copy) find the zoo's
    classes after `import zoo`, which itself imports no Keras: the objectives are registered
    (`zoo.models` imported) now if Keras already is, else as soon as its import has finished."""
    if _keras_ready():
        _register_now()
    elif not any(isinstance(f, _AfterKerasImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport())


def _initializing(name: str) -> bool:
    return getattr(getattr(sys.modules.get(name), "__spec__", None), "_initializing", False)


def _keras_ready() -> bool:
    return "keras" in sys.modules and not any(_initializing(name) for name in _KERAS_IMPORTS)


def _register_now() -> None:
    for finder in [f for f in sys.meta_path if isinstance(f, _AfterKerasImport)]:
        sys.meta_path.remove(finder)
    try:
        import_models()
    except Exception as e:  # never break the program's own import of Keras
        import warnings

        warnings.warn(f"zoo could not register its models with Keras ({type(e).__name__}: {e}); import "
                      "zoo.models before keras.saving.load_model of a preset.", stacklevel=2)


class _AfterKerasImport:
    """A meta-path finder that hands out keras' and tensorflow's own specs with a loader that, once
    the module has run, registers the zoo's classes unless the other import is still under way."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _KERAS_IMPORTS:
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RegisteringLoader(spec.loader)
        return spec


class _RegisteringLoader:
    """The module's own loader, then the registration (see `_AfterKerasImport`)."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        # This module has run (its spec reads initializing until this returns; a nested import of it
        # from this thread gets the module as it is).
        if "keras" in sys.modules and not any(_initializing(n) for n in _KERAS_IMPORTS if n != module.__name__):
            _register_now()

    def __getattr__(self, name):
        return getattr(self._loader, name)
