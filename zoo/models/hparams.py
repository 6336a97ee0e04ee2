"""A hyperparameter of an objective (`HParam`): its name, type, default, meaning and valid values,
checked when the objective is built."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class HParam(NamedTuple):
    """One hyperparameter of an objective: its name (the paper's symbol), type, default, meaning,
    and the values it may take (`low`/`high` inclusive bounds for numbers, `choices` for strings).

    Every objective checks all of its hyperparameters when it is built (`check`), so a NaN, an
    infinity or a negative weight fails at once with the name, the value and the valid range,
    instead of building and then filling the weights with NaN during `fit`.
    """
    name: str
    type: type
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def valid(self) -> str:
        """The valid values in words, e.g. "a finite number in [0, inf)"."""
        if self.choices:
            return "one of " + ", ".join(map(repr, self.choices))
        if self.type is bool:
            return "True or False"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        kind = "an integer" if self.type is int else "a finite number"
        return f"{kind} in [{low}, {high}]" if self.high is not None else f"{kind} in [{low}, inf)"

    def check(self, value, owner: str = "") -> Any:
        """`value` as `type` if it is one of the valid values, else `ValueError` naming the
        objective (`owner`), the hyperparameter, the value and the valid range."""
        if value is None and self.default is None:
            return None  # resolved by the objective (DIPVAE's lambda_d, InfoGAN's num_continuous)

        def refuse():
            kind = "" if isinstance(value, (bool, int, float, str, np.number, np.bool_)) else \
                f" of type {type(value).__name__}"
            raise ValueError(f"{owner + ': ' if owner else ''}{self.name} must be {self.valid()}; got {value!r}{kind} "
                             f"({self.name}: {self.doc}).")

        if self.choices:
            if value not in self.choices:
                refuse()
            return value
        if self.type is bool:
            if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and value in (0, 1)):
                return bool(value)
            refuse()
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            refuse()
        number = float(value)
        if not np.isfinite(number) or (self.type is int and not number.is_integer()):
            refuse()
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            refuse()
        return int(value) if self.type is int else number
