"""The boundaries as numbers: evaluated from plain functions, with no SymPy.

A model's boundaries are expressions in ``lam0`` (and ``beta``, ``kappa``), except the
edge where the loss first rises under momentum, which has no closed form: it is the
first ``c`` at which the step rule's linear recursion takes ``|delta_t|`` above
``|delta_0|``. :class:`EdgeFunctions` holds what is needed to evaluate them all as
NumPy functions (lambdified once by :class:`catapultlab.theory.Model`; their source is
also stored in the simulator's cached plans), and :func:`edges_c` evaluates them, so a
Model and a cached plan give the same numbers by the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from catapultlab.records import short_repr

__all__ = [
    "EDGE_KINDS",
    "EdgeFunctions",
    "edges_c",
    "loss_rise_edge",
    "loss_rise_intervals",
    "residual_ratios",
]

EDGE_KINDS = ("none", "closed", "loss_rise")
"""How a boundary is evaluated: absent, a closed form, or the recursion's first rise."""


class EdgeFunctions(NamedTuple):
    """The boundaries of a model as NumPy functions.

    Attributes:
        kinds: ``(boundary name, kind)`` in order; kind is one of :data:`EDGE_KINDS`.
        closed: ``closed(beta, kappa, lam0)`` -> one value of ``c = eta lam0`` per
            boundary (meaningful for the ``"closed"`` ones only).
        matrix: ``matrix(c, beta)``: the step rule's companion matrix (nested lists;
            ``None`` for a model without a recursion).
        stability_edge: ``stability_edge(beta)``: the linear-stability edge in ``c``.
    """

    __repr__ = short_repr

    kinds: tuple[tuple[str, str], ...]
    closed: Callable[..., Any]
    matrix: Callable[..., Any] | None
    stability_edge: Callable[..., Any] | None


def residual_ratios(
    matrix: Callable[..., Any], c: np.ndarray | float, beta: float, steps: int
) -> np.ndarray:
    """``delta_t / delta_0`` for ``t = 0..steps`` from ``trace = 0`` (float64).

    Args:
        matrix: ``matrix(c, beta)``, the recursion's companion matrix.
        c: one value or an array of ``c = eta h``.
        beta: momentum.
        steps: horizon.

    Returns:
        ``(steps + 1, *shape(c))`` ratios.

    Example:
        >>> gd = lambda c, beta: [[1 - c]]
        >>> residual_ratios(gd, 0.5, 0.0, 2).tolist()
        [1.0, 0.5, 0.25]
    """
    c = np.asarray(c, dtype=float)
    entries = matrix(c, beta)
    A = [[np.broadcast_to(np.asarray(a, dtype=float), c.shape) for a in row] for row in entries]
    k = len(A)
    x = [np.ones(c.shape)] + [np.zeros(c.shape) for _ in range(k - 1)]
    out = np.empty((steps + 1,) + c.shape)
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            out[t] = x[0]
            x = [sum(A[i][j] * x[j] for j in range(k)) for i in range(k)]
    return out


def loss_rise_edge(
    matrix: Callable[..., Any],
    edge: float,
    beta: float,
    *,
    q: float = 0.0,
    steps: int = 2000,
    tol: float = 1e-12,
) -> float:
    """Smallest ``c`` at which ``|delta_t| > |delta_0|`` for some ``t``: the loss rises.

    The linear loss is ``L_t / L_0 = (delta_t / delta_0)^2`` (the infinite-width
    limit, where the NTK does not move). Below the stability edge the ratios decay
    geometrically, so ``steps`` bounds every rise; the first crossing on a fine scan
    is refined by bisection.

    Args:
        matrix: ``matrix(c, beta)``, the recursion's companion matrix.
        edge: the linear-stability edge at ``beta`` (the scan's upper end).
        beta: momentum.
        q: weight decay over lambda (l2: the curvature is ``lambda (1 + q)``).
        steps: horizon of the scan.
        tol: bisection tolerance in ``c``.

    Returns:
        The edge in units of ``c = eta lambda``.

    Example:
        >>> gd = lambda c, beta: [[1 - c]]  # |1 - c| > 1 only past the edge c = 2
        >>> loss_rise_edge(gd, 2.0, 0.0)
        2.0
    """
    if q:
        return loss_rise_edge(matrix, edge, beta, steps=steps, tol=tol) / (1.0 + q)

    def rises(c: np.ndarray) -> np.ndarray:
        r = np.abs(residual_ratios(matrix, c, beta, steps)[1:])
        return np.any(r > 1.0 + 1e-13, axis=0)

    grid = np.linspace(0.0, edge, 2001)[1:]
    hits = np.flatnonzero(rises(grid))
    if hits.size == 0:
        return edge
    first = int(hits[0])
    lo = float(grid[first - 1]) if first > 0 else 0.0
    hi = float(grid[first])
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if bool(rises(np.array(mid))) else (mid, hi)
    return hi


def _rises(matrix: Callable[..., Any], beta: float, steps: int) -> Callable[..., np.ndarray]:
    def rises(c: np.ndarray) -> np.ndarray:
        r = np.abs(residual_ratios(matrix, c, beta, steps)[1:])
        return np.any(r > 1.0 + 1e-13, axis=0)

    return rises


def _bisect(rises: Callable[..., np.ndarray], lo: float, hi: float, tol: float) -> float:
    """The switch of ``rises`` between ``lo`` and ``hi`` (where it differs), to ``tol``."""
    at_lo = bool(rises(np.array(lo)))
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if bool(rises(np.array(mid))) == at_lo else (lo, mid)
    return hi


def loss_rise_intervals(
    functions: EdgeFunctions,
    *,
    beta: float = 0.0,
    kappa: float = 0.0,
    lam0: float = 1.0,
    steps: int = 2000,
    points: int = 4000,
    tol: float = 1e-10,
) -> list[list[float | None]]:
    """Every interval of ``c`` where the loss rises above its initial value (linear phase).

    The set need not be one interval: under heavy ball the loss rises for some ``c`` below
    the stability edge, stops rising, and rises again. Each switch found on a scan of
    ``points`` values up to the stability edge is refined by bisection to ``tol``; past
    the edge the loss always rises (the last interval is open). A switch narrower than
    the scan's spacing can be missed.

    Example:
        >>> from catapultlab.theory import uv_model
        >>> loss_rise_intervals(uv_model().edge_functions)
        [[2.0, None]]
    """
    kinds = dict(functions.kinds)
    if kinds.get("loss_rises") != "loss_rise":
        value = edges_c(functions, beta=beta, kappa=kappa, lam0=lam0).get("loss_rises")
        return [] if value is None else [[value, None]]
    assert functions.matrix is not None and functions.stability_edge is not None
    edge = float(functions.stability_edge(beta))
    rises = _rises(functions.matrix, beta, steps)
    grid = np.linspace(0.0, edge, points + 1)[1:]
    hit = rises(grid)
    out: list[list[float | None]] = []
    for i in range(len(grid)):
        before = bool(hit[i - 1]) if i else False
        if bool(hit[i]) == before:
            continue
        lo = float(grid[i - 1]) if i else 0.0
        switch = _bisect(rises, lo, float(grid[i]), tol)
        if hit[i]:
            out.append([switch, None])
        else:
            out[-1][1] = switch
    if not out or out[-1][1] is not None:
        out.append([edge, None])
    scale = 1.0 / (1.0 + kappa / lam0)  # l2: the curvature is lam (1 + kappa / lam0)
    return [[lo * scale, None if hi is None else hi * scale] for lo, hi in out]


def edges_c(
    functions: EdgeFunctions, *, beta: float = 0.0, kappa: float = 0.0, lam0: float = 1.0
) -> dict[str, float | None]:
    """Every boundary as a value of ``c = eta lam0`` (``None`` where there is none).

    Args:
        functions: the model's boundary functions.
        beta: momentum.
        kappa: weight decay.
        lam0: the initial NTK eigenvalue (enters with weight decay only).
    """
    closed = functions.closed(beta, kappa, lam0)
    out: dict[str, float | None] = {}
    for (name, kind), value in zip(functions.kinds, closed, strict=True):
        if kind == "none":
            out[name] = None
        elif kind == "loss_rise":
            assert functions.matrix is not None and functions.stability_edge is not None
            edge = float(functions.stability_edge(beta))
            out[name] = float(loss_rise_edge(functions.matrix, edge, beta, q=kappa / lam0))
        else:
            out[name] = float(value)
    return out
