"""Exact gradient descent on the explicit width-n parameters, under any step rule.

This checks the derived maps at the parameter level: it never uses ``model.maps``.
It takes a *declaration* (:class:`catapultlab.theory.ModelSpec`), so models without
a closed state (the deep linear net) run too. The loss is the declaration's loss, a
function of inner products ``<a, M_1 ... M_k b>`` of the parameter vectors and
matrices; its gradient follows from the chain rule with

* ``d<a, M b>/da = M b``, ``d<a, M b>/db = M^T a``,
* ``d<a, L_1 .. L_k b>/dL_j = (L_1 .. L_{j-1})^T a (L_{j+1} .. L_k b)^T``
  (transposed where the letter is ``W^T``),

and every parameter then moves by the declared step rule (plain GD, heavy ball,
Nesterov, weight decay), velocities starting at zero. The observed state (outputs,
the NTK ``(1/m) J J^T`` and, for a closed model, its state) is read off the arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from catapultlab.records import short_repr
from catapultlab.sim._setup import Setup

__all__ = [
    "ExactRun",
    "SpecRun",
    "run_exact",
    "run_exact_spec",
    "gaussian_params",
    "params_for_gram",
    "uv_params_for_state",
]


@dataclass(frozen=True)
class ExactRun:
    """A parameter-space trajectory of a closed model.

    Attributes:
        states: ``(T+1, S)`` model states, step 0 first.
        losses: ``(T+1,)`` losses.
        vectors: final parameter vectors ``(p, n)`` (order of the model's vectors).
    """

    __repr__ = short_repr

    states: np.ndarray
    losses: np.ndarray
    vectors: np.ndarray


@dataclass(frozen=True)
class SpecRun:
    """A parameter-space trajectory of any declaration.

    Attributes:
        losses: ``(T+1,)`` losses.
        outputs: ``(T+1, m)`` outputs.
        lam: ``(T+1,)`` top NTK eigenvalue.
        params: final parameter arrays by name.
        observed: ``(T+1, k)`` values of the requested inner products.
    """

    losses: np.ndarray
    outputs: np.ndarray
    lam: np.ndarray
    params: dict[str, np.ndarray]
    observed: np.ndarray


def _words(symbol: sp.Symbol) -> tuple[tuple[str, ...], tuple[str, ...]]:
    from catapultlab.theory import symbol_words

    return symbol_words(symbol)


def _apply(chain: tuple[str, ...], vector: np.ndarray, P: dict[str, np.ndarray]) -> np.ndarray:
    """``L_1 ... L_k vector`` for letters ``W`` / ``W^T``."""
    out = vector
    for letter in reversed(chain):
        M = P[letter.removesuffix("^T")]
        out = M.T @ out if letter.endswith("^T") else M @ out
    return out


def _apply_t(chain: tuple[str, ...], vector: np.ndarray, P: dict[str, np.ndarray]) -> np.ndarray:
    """``(L_1 ... L_k)^T vector``."""
    out = vector
    for letter in chain:
        M = P[letter.removesuffix("^T")]
        out = M @ out if letter.endswith("^T") else M.T @ out
    return out


def inner_value(symbol: sp.Symbol, P: dict[str, np.ndarray]) -> float:
    """The numeric value of an inner-product symbol on arrays ``P``."""
    (a0,), b = _words(symbol)
    return float(P[a0] @ _apply(b[:-1], P[b[-1]], P))


def inner_gradient(symbol: sp.Symbol, P: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Gradient of an inner-product symbol w.r.t. every array it involves."""
    (a0,), b = _words(symbol)
    chain, b0 = b[:-1], b[-1]
    grads: dict[str, np.ndarray] = {}

    def add(name: str, g: np.ndarray) -> None:
        grads[name] = grads[name] + g if name in grads else g

    add(a0, _apply(chain, P[b0], P))
    add(b0, _apply_t(chain, P[a0], P))
    for j, letter in enumerate(chain):
        left = _apply_t(chain[:j], P[a0], P)
        right = _apply(chain[j + 1 :], P[b0], P)
        outer = np.outer(left, right)
        add(letter.removesuffix("^T"), outer.T if letter.endswith("^T") else outer)
    return grads


@cache
def _numeric(spec: Any) -> tuple[list[sp.Symbol], Callable, Callable, Callable, Callable]:
    from catapultlab.theory import WIDTH, inner_symbols_in

    loss = spec.loss()
    syms = sorted(inner_symbols_in(sp.Matrix(list(spec.outputs))), key=lambda s: s.name)
    args = syms + [WIDTH] + list(spec.targets) + list(spec.data)
    floss = sp.lambdify(args, loss, modules="numpy")
    dloss = sp.lambdify(args, [sp.diff(loss, s) for s in syms], modules="numpy")
    fout = sp.lambdify(args, list(spec.outputs), modules="numpy")
    dout = sp.lambdify(args, [[sp.diff(f, s) for s in syms] for f in spec.outputs], "numpy")
    return syms, floss, dloss, fout, dout


def _top_ntk(spec: Any, syms: list, dout: list, P: dict[str, np.ndarray]) -> float:
    names = list(spec.vectors) + list(spec.matrices)
    grads = [inner_gradient(s, P) for s in syms]
    m = len(spec.outputs)
    J = []
    for a in range(m):
        row = []
        for name in names:
            g = np.zeros_like(P[name])
            for coef, gs in zip(dout[a], grads, strict=True):
                if name in gs:
                    g = g + coef * gs[name]
            row.append(g.reshape(-1))
        J.append(np.concatenate(row))
    J = np.stack(J)
    return float(np.linalg.eigvalsh(J @ J.T / m)[-1])


def run_exact_spec(
    spec: Any,
    params: dict[str, np.ndarray],
    *,
    eta: float,
    steps: int,
    y: Any = 0.0,
    x: Any = None,
    beta: float = 0.0,
    kappa: float = 0.0,
    observe: tuple[sp.Symbol, ...] = (),
    schedule: Any = None,
    stop_at: tuple[float, float] | None = None,
) -> SpecRun:
    """Run the declared step rule on explicit arrays (float64).

    Args:
        spec: the declaration (its ``step`` is the rule; momentum ``beta``, decay ``kappa``).
        params: arrays by name: vectors ``(n,)``, matrices ``(n, n)``.
        eta: learning rate.
        steps: number of steps.
        y: labels (a scalar is used for every sample).
        x: inputs, flattened in the order of ``spec.data``.
        beta: momentum value.
        kappa: weight-decay value.
        observe: inner-product symbols (velocities ``vel_<name>`` allowed) to record.
        schedule: a learning-rate schedule (:class:`catapultlab.theory.Schedule`): the
            step from ``t`` uses ``eta * schedule.factor(t)``.
        stop_at: ``(converge_loss, diverge_loss)``: stop once the loss is at most the first
            or above the second (or not finite); ``None`` runs every step.

    Returns:
        Losses, outputs, top NTK eigenvalue and the observed inner products per step (up to
        the step the run stopped at).

    Example:
        >>> from catapultlab.theory import deep_linear_spec
        >>> rng = np.random.default_rng(0)
        >>> P = {"u": rng.standard_normal(8), "v": rng.standard_normal(8),
        ...      "W": rng.standard_normal((8, 8))}
        >>> run = run_exact_spec(deep_linear_spec(), P, eta=0.05, steps=3, y=0.5)
        >>> run.losses.shape, bool(np.all(np.isfinite(run.losses)))
        ((4,), True)
    """
    syms, floss, dloss, fout, dout = _numeric(spec)
    names = list(spec.vectors) + list(spec.matrices)
    P = {k: np.array(params[k], dtype=np.float64) for k in names}
    n = P[spec.vectors[0]].shape[0]
    m = len(spec.outputs)
    ys = list(np.broadcast_to(np.asarray(y, dtype=float), (m,)))
    xs = [] if not spec.data else list(np.asarray(x, dtype=float).reshape(-1))
    extra = [float(n), *ys, *xs]
    rule = spec.step
    trace = {k: np.zeros_like(v) for k, v in P.items()}
    losses, outs, lams, seen = [], [], [], []
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            ips = [inner_value(s, P) for s in syms]
            losses.append(float(floss(*ips, *extra)))
            outs.append(np.asarray(fout(*ips, *extra), dtype=float).reshape(m))
            lams.append(_top_ntk(spec, syms, dout(*ips, *extra), P))
            both = P | {f"vel_{k}": v for k, v in trace.items()}
            seen.append([inner_value(s, both) for s in observe])
            rising = schedule is not None and schedule.rises and t < schedule.length - 1
            if t == steps or _stops(losses[-1], stop_at, rising):
                break
            grad = _gradient(dloss(*ips, *extra), syms, P)
            eta_t = eta if schedule is None else eta * float(schedule.factor(t))
            for k in names:
                P[k], trace[k] = rule.update(P[k], trace[k], grad[k], eta_t, beta=beta, kappa=kappa)
    return SpecRun(
        losses=np.array(losses),
        outputs=np.stack(outs),
        lam=np.array(lams),
        params=P,
        observed=np.array(seen, dtype=float).reshape(len(losses), len(observe)),
    )


def _gradient(coef: Any, syms: Any, P: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The loss gradient by parameter: its coefficients on the inner products, chained."""
    grad = {k: np.zeros_like(v) for k, v in P.items()}
    for c, s in zip(coef, syms, strict=True):
        for k, g in inner_gradient(s, P).items():
            grad[k] += c * g
    return grad


def _stops(loss: float, stop_at: tuple[float, float] | None, rising: bool = False) -> bool:
    """Has a run converged (``loss <= stop_at[0]``) or diverged (above ``stop_at[1]``)?

    While the rate still ``rising`` (warmup) a small loss is not convergence: the residual
    grows again once the rate passes the edge (:attr:`catapultlab.theory.Schedule.rises`).
    """
    if stop_at is None:
        return False
    return not loss <= stop_at[1] or (loss <= stop_at[0] and not rising)


def gaussian_params(setup: Setup, n: int, rng: np.random.Generator) -> np.ndarray:
    """Parameter vectors ``(p, n)`` with i.i.d. N(0, 1) entries."""
    return rng.standard_normal((len(setup.numeric.vectors), int(n)))


def params_for_gram(gram: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Vectors ``W`` ``(p, n)`` with ``W W^T = gram``: the map's own initial state.

    ``W = diag(sqrt(w)) V^T E`` for ``gram = V diag(w) V^T`` and ``E`` ``(p, n)`` with
    orthonormal rows (a random rotation). Since the Gram state closes, every such
    ``W`` follows the same trajectory: the exact run then starts exactly where the
    map does (``simulate --exact --seed S`` and ``simulate --seed S`` agree).

    Example:
        >>> G = np.array([[4.0, 1.0], [1.0, 3.0]])
        >>> W = params_for_gram(G, 10, np.random.default_rng(0))
        >>> bool(np.allclose(W @ W.T, G))
        True
    """
    gram = np.asarray(gram, dtype=float)
    p = gram.shape[0]
    w, V = np.linalg.eigh(gram)
    w = np.clip(w, 0.0, None)
    k = min(p, int(n))
    order = np.argsort(w)[::-1][:k]
    Q, _ = np.linalg.qr(rng.standard_normal((int(n), k)))
    return (V[:, order] * np.sqrt(w[order])) @ Q.T


def uv_params_for_state(n: int, f0: float, lam0: float, rng: np.random.Generator) -> np.ndarray:
    """Vectors ``(u, v)`` in R^n with ``u.v / sqrt(n) = f0`` and ``(|u|^2 + |v|^2) / n = lam0``.

    ``u = a e1 + b e2``, ``v = a e1 - b e2`` for a random orthonormal pair ``(e1, e2)``,
    with ``a^2 - b^2 = sqrt(n) f0`` and ``2 (a^2 + b^2) = n lam0``: real exactly when the
    state is reachable, ``|f0| <= sqrt(n) lam0 / 2`` (checked by the caller). For
    ``n = 1`` both are multiples of the one direction. Since ``(f, lam)`` closes, every
    such pair has the same ``(f, lam)`` trajectory.

    Example:
        >>> W = uv_params_for_state(100, 1.5, 2.0, np.random.default_rng(0))
        >>> round(float(W[0] @ W[1]) / 10, 12), round(float((W**2).sum()) / 100, 12)
        (1.5, 2.0)
    """
    F, Lam = np.sqrt(n) * f0, n * lam0
    if n == 1:
        plus, minus = np.sqrt(max(Lam + 2 * F, 0.0)), np.sqrt(max(Lam - 2 * F, 0.0))
        return np.array([[(plus + minus) / 2], [(plus - minus) / 2]])
    a = np.sqrt(max((Lam / 2 + F) / 2, 0.0))
    b = np.sqrt(max((Lam / 2 - F) / 2, 0.0))
    Q, _ = np.linalg.qr(rng.standard_normal((n, 2)))
    e1, e2 = Q[:, 0], Q[:, 1]
    return np.stack([a * e1 + b * e2, a * e1 - b * e2])


def run_exact(setup: Setup, W: np.ndarray, *, eta: float, steps: int) -> ExactRun:
    """Run the model's step rule on explicit vectors ``W`` ``(p, n)`` (float64).

    Args:
        setup: model, data and step-rule values.
        W: parameter vectors, in the order of the model declaration's vectors.
        eta: learning rate.
        steps: number of steps.

    Returns:
        The trajectory of the model state and loss.
    """
    model = setup.derived()
    spec = model.spec
    W = np.array(W, dtype=np.float64)
    P = dict(zip(spec.vectors, W, strict=True))
    hyper = dict(setup.hyper)
    run = run_exact_spec(
        spec,
        P,
        eta=eta,
        steps=steps,
        y=setup.y,
        x=[v for row in setup.x for v in row] or None,
        beta=hyper.get("beta", 0.0),
        kappa=hyper.get("kappa", 0.0),
        observe=tuple(model.gram.state),
        schedule=setup.schedule,
    )
    n = float(W.shape[1])
    states = np.stack([model.state_from_inner(row, n) for row in run.observed])
    final = np.stack([run.params[k] for k in spec.vectors])
    return ExactRun(states, run.losses, final)
