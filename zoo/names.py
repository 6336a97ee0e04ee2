"""The one "did you mean" of the package: close matches for a name that is not known.

    >>> did_you_mean("betavae", ["beta_vae", "vae", "factor_vae"])
    " Did you mean 'beta_vae', 'vae'?"
    >>> did_you_mean("xyz", ["beta_vae"])
    ''
"""

from __future__ import annotations

import difflib
from typing import Iterable


def did_you_mean(name, known: Iterable[str], n: int = 3) -> str:
    """`" Did you mean 'a', 'b'?"` for up to `n` close matches of `name` in `known` (difflib, cutoff
    0.5), or `""` when none is close; meant to follow the sentence that names the unknown `name`."""
    close = difflib.get_close_matches(str(name), list(known), n=n, cutoff=0.5)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
