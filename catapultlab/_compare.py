"""One record for a prediction beside its measurement, and one agreement rule.

Every layer that sets a measurement beside theory (validate's comparison table, the
reproduce report) builds a :class:`Comparison` with :meth:`Comparison.make`, which
applies the one rule:

* ``"="``: the prediction lies in the measurement's 95% interval ``[ci_low, ci_high]``,
  or within two standard errors of it (``|measured - predicted| <= 2 s.e.``), or within
  the stated ``tolerance`` (for exact predictions checked to round-off);
* ``"<="``: ``measured <= predicted + 2 s.e.`` (or ``+ tolerance``);
* ``">"``: ``measured > predicted``;
* ``""``: nothing to judge (a number reported without a verdict).

``agrees`` is ``None`` when either side is missing or there is no relation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from catapultlab.records import short_repr

__all__ = ["RELATIONS", "Comparison", "agrees"]

RELATIONS = ("=", "<=", ">", "")
"""How a measurement is compared with its prediction (see the module docstring)."""


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def agrees(
    relation: str,
    measured: float | None,
    predicted: float | None,
    *,
    se: float | None = None,
    ci: tuple[float | None, float | None] = (None, None),
    tolerance: float | None = None,
) -> bool | None:
    """The one agreement rule (see the module docstring).

    Example:
        >>> agrees("=", 2.1, 2.0, se=0.1), agrees("=", 2.5, 2.0, se=0.1)
        (True, False)
        >>> agrees("=", 2.5, 2.0, ci=(1.9, 2.6)), agrees("<=", 1.95, 2.0)
        (True, True)
    """
    if relation not in RELATIONS:
        raise ValueError(f"unknown relation {relation!r}; one of {RELATIONS}")
    if measured is None or predicted is None or not relation:
        return None
    slack = max(2.0 * (se or 0.0), tolerance or 0.0)
    lo, hi = ci
    if relation == "=":
        inside = lo is not None and hi is not None and lo <= predicted <= hi
        return inside or abs(measured - predicted) <= slack
    if relation == "<=":
        return measured <= predicted + slack
    return measured > predicted


@dataclass(frozen=True)
class Comparison:
    """One reported number: a measurement beside its prediction.

    Attributes:
        key: unique id (``layer.name``, e.g. ``"validate.relu.c_max"``): rows are found by
            it, never by their display text.
        quantity: what it is, in words.
        measured: the value measured in this run.
        uncertainty: one standard error, or ``None``.
        ci_low: lower end of the 95% interval, or ``None``.
        ci_high: upper end of the 95% interval, or ``None``.
        predicted: the prediction (derived in this run), or ``None``.
        relation: how to compare (:data:`RELATIONS`).
        agrees: the rule's outcome (:func:`agrees`), or ``None``.
        source: where the prediction comes from, and notes.
        tolerance: the slack of an exact prediction (round-off), or ``None``.
    """

    __repr__ = short_repr

    key: str
    quantity: str
    measured: float | None
    uncertainty: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    predicted: float | None = None
    relation: str = ""
    agrees: bool | None = None
    source: str = ""
    tolerance: float | None = None

    @classmethod
    def make(cls, key: str, quantity: str, measured: Any, **kw: Any) -> Comparison:
        """Build a comparison: NaN becomes ``None`` and ``agrees`` follows the one rule.

        Example:
            >>> Comparison.make("sim.c", "c", 3.98, uncertainty=0.02, predicted=4.0,
            ...                 relation="=").agrees
            True
        """
        m = _clean(measured)
        for name in ("uncertainty", "ci_low", "ci_high", "predicted", "tolerance"):
            kw[name] = _clean(kw.get(name))
        kw["agrees"] = agrees(
            kw.get("relation", ""),
            m,
            kw["predicted"],
            se=kw["uncertainty"],
            ci=(kw["ci_low"], kw["ci_high"]),
            tolerance=kw["tolerance"],
        )
        return cls(key=key, quantity=quantity, measured=m, **kw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return asdict(self)
