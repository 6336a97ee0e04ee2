"""The `Example:` in every metric's docstring runs and prints what it shows."""

import doctest
import importlib

import pytest

MODULES = ["_mig", "_dci", "_sap", "_modularity_explicitness", "_irs", "_unsupervised", "_beta_vae",
           "_factor_vae", "_evaluate", "_boosting.presorted"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"zoo.metrics.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"zoo.metrics.{name} has no example"
    assert result.failed == 0
