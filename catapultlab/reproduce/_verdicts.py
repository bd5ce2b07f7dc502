"""When a network row keeps its verdict, and how a validate row becomes a report row.

A comparison means something only once the smallest-``c`` (lazy) run of a sweep has
trained; a sweep too small for that (the quick preset's nets) reports its numbers with
no relation and no verdict, and says why in the row's source.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from catapultlab.stats import Comparison

__all__ = ["inconclusive", "rekeyed", "without_verdict"]


def inconclusive(res: Any, converged: float = 0.1) -> str:
    """Why a sweep is too small for verdicts (``""`` when its smallest-``c`` run trained).

    Args:
        res: a :class:`catapultlab.validate.SweepResult`.
        converged: the smallest-``c`` run must end below ``converged * L0``.
    """
    low = res.runs[0]
    ratio = low.final_loss / res.loss0
    if ratio < converged:
        return ""
    return (
        f"not conclusive at this size: at c={low.c:g} the loss only fell to {ratio:.2g} L0 "
        f"in {res.config.steps} steps"
    )


def without_verdict(row: Comparison, why: str) -> Comparison:
    """``row`` unchanged when ``why`` is empty; else the same numbers with no relation.

    Example:
        >>> r = Comparison.make("k", "q", 3.0, predicted=2.0, relation=">", source="s")
        >>> without_verdict(r, "too small").agrees, without_verdict(r, "").agrees
        (None, True)
    """
    if not why:
        return row
    return Comparison.make(
        row.key,
        row.quantity,
        row.measured,
        uncertainty=row.uncertainty,
        ci_low=row.ci_low,
        ci_high=row.ci_high,
        predicted=row.predicted,
        tolerance=row.tolerance,
        relation="",
        source=f"{why}; {row.source}",
    )


def rekeyed(row: Comparison, key: str, quantity: str, note: str = "") -> Comparison:
    """A validate row under the report's key and words, ``note`` appended to its source."""
    source = row.source + (f"; {note}" if note else "")
    return dataclasses.replace(row, key=key, quantity=quantity, source=source)
