"""One uncertainty convention for every table: "±" is one standard error.

Intervals are given separately and are 95% intervals. A boundary located only to
within a bracket of width ``w`` (the network sweeps) has the standard error of a
uniform distribution over that bracket, ``w / sqrt(12)``.
"""

from __future__ import annotations

import math

__all__ = ["PLUS_MINUS", "CONVENTION", "bracket_se"]

PLUS_MINUS = "± s.e."
"""Column header of an uncertainty."""

CONVENTION = "± is one standard error; intervals are 95%."
"""The sentence every table with a ± states."""


def bracket_se(width: float | None) -> float | None:
    """Standard error of a value known to lie in a bracket of ``width`` (uniform).

    Example:
        >>> round(bracket_se(0.12), 6)
        0.034641
    """
    return None if width is None else float(width) / math.sqrt(12.0)
