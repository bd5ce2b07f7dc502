"""Infinite width for block maps: the rescaled map, entered along its growing directions.

**Rescaling.** Every Gram block is ``O(n)`` and the outputs ``O(sqrt n)`` on a catapult
orbit, so the rescaled state is ``G~ = G / n`` with outputs ``F~ = F / sqrt(n)`` and labels
``Y~ = Y / sqrt(n) -> 0`` at fixed ``eta``. A model has this limit when its block map
commutes with the rescaling, ``map(n G~, X, sqrt(n) Y~; n) / n = map(G~, X, Y~; 1)``, with
the NTK unchanged; that is checked numerically (:func:`check_block_limit`), not assumed,
and the limit map is the block map at ``n = 1``.

**Start.** The rescaled init is ``center + Z / sqrt(n)``: the center is the identity Gram
matrix of the parameters' columns (the mean of the Wishart law divided by ``n``; velocities
zero) and ``Z`` its Gaussian fluctuation (``sqrt(n) (W / n - I)``: variance 2 on the
diagonal, 1 off it). With ``Y~ = 0`` the center is a fixed point of every batch's map.

**Kernel regime (the loss rise).** At fixed step and infinite width the outputs move
linearly with the NTK frozen at the center, on the ``O(1)`` scale where the labels live:
the deviation ``delta = sqrt(n) (G~ - center)`` starts at ``Z`` (its cross block is the
Gaussian-process draw of the initial outputs) and follows ``delta' = J_b delta + K_b Y_b``
(:func:`kernel_losses`). Whether a run's loss rises within its ``steps`` is read there, as
a finite run's is: under SGD a batch's NTK can exceed the full one, so the loss can rise
for a few steps with nothing growing, which the rescaled orbit (where labels vanish) never
sees.

**Linear phase.** Near the center the orbit follows the linearised maps (central
differences of the printed map: it is a polynomial, the error is ``O(eps^2)``). From
``Z`` their product is iterated with renormalisation, so the direction carries the law of
the growing modes (the top eigenspace of the Jacobian for GD, where ``Z`` projects on it,
any degeneracy included; the Oseledets direction of a random product for SGD), and the
log growth ``S_t`` is summed. Under GD the direction converges and the run stops early.

**Entry.** At width ``n`` the orbit reaches amplitude ``A`` (:data:`ENTRY_AMPLITUDE`) at
the first step with ``S_t >= log(A sqrt n)``. Averaged over ``log n`` (as the scalar
``n = inf`` law is) the level is uniform over a long range: here over the running maximum
``M_t`` of ``S`` across a window of :data:`WINDOW` steps past a burn-in. The entry step
``t*`` is the one whose jump of ``M`` holds the level, the orbit enters at
``center + A exp(M_t* - level) x_t*`` and the nonlinear map runs on from batch ``t* + 1``
for ``steps`` steps. The growth per step over the window, ``gamma``, is the Lyapunov
exponent's estimate: where it is not positive nothing grows, the run stays at the center
(lazy at ``n = inf``: the loss never rises, ``eta lambda`` stays ``c``). Under GD
``gamma = log |mu|`` with ``mu`` the dominant multiplier, so the loss rises exactly past the
linear-stability edge; under SGD the edge is where the random product starts to grow.

Stop rules are a finite run's read on the rescaled scale: divergence when the rescaled loss
exceeds ``diverge_ratio`` (``StopRule.diverge_loss(1)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.sim._block_run import batch_rows, gram_blocks, parameter_columns
from catapultlab.sim._limit import ENTRY_AMPLITUDE

_STREAM_TAG = 0x626C6B  # "blk": the limit draws' streams differ from the Wishart draws'

__all__ = [
    "BURN_IN",
    "WINDOW",
    "LimitEntry",
    "block_center",
    "block_fluctuation",
    "check_block_limit",
    "dominant_multiplier",
    "kernel_losses",
    "limit_entry",
    "run_block_limit",
]

BURN_IN = 128
"""Most linear steps before the entry window (GD stops once the direction settles)."""

WINDOW = 64
"""Linear steps over which the entry level is drawn and ``gamma`` is estimated (SGD)."""

SETTLED = 1e-5
"""GD's linear phase has settled when the direction moves less than this in one step: what
is left along slower modes only shrinks further while the orbit grows from ``A`` to the
nonlinear scale, so it changes the entry by ``O(SETTLED A)``, below the ``O(A)`` of the
truncation itself (:data:`ENTRY_AMPLITUDE`)."""

GROWTH_TOL = 1e-8
"""``gamma`` at or below this is no growth (neutral modes, multiplier 1, read to round-off)."""

_FORWARD = 1e-7
"""Forward-difference step of the homogeneous linearisation (relative error ``~1e-7``)."""

_EPS = 1e-5
"""Central-difference step of the linearisation: the point moves by this much at most (the
map is a polynomial, so the error is ``O(_EPS^2)`` relative)."""


@dataclass(frozen=True)
class LimitEntry:
    """Where a limit orbit leaves the linear phase.

    Attributes:
        state: the rescaled blocks at the entry (``None`` when nothing grows).
        step: the batch counter of the entry (the next step uses batch ``step``).
        growth: ``gamma``, the mean log growth per step over the window.
    """

    __repr__ = short_repr

    state: dict[str, Any] | None
    step: int
    growth: float

    @property
    def grows(self) -> bool:
        """``gamma >`` :data:`GROWTH_TOL`: the orbit entered (it has a state)."""
        return self.state is not None


def block_center(numeric: Any, d: int, k: int) -> dict[str, Any]:
    """The rescaled init's center: identity Gram matrix of the parameters, velocities zero."""
    return gram_blocks(numeric, np.eye(parameter_columns(numeric, d, k)), d, k)


def block_fluctuation(numeric: Any, d: int, k: int, rng: np.random.Generator) -> dict[str, Any]:
    """A draw of ``Z = lim sqrt(n) (W / n - I)``, ``W`` Wishart: symmetric Gaussian."""
    p = parameter_columns(numeric, d, k)
    a = rng.standard_normal((p, p))
    return gram_blocks(numeric, (a + a.T) / np.sqrt(2.0), d, k)


def _flat(numeric: Any, state: dict[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(state[name]) for name, _ in numeric.blocks])


def _unflat(numeric: Any, vec: np.ndarray, like: dict[str, Any]) -> dict[str, Any]:
    out, i = {}, 0
    for name, kind in numeric.blocks:
        size = int(np.size(like[name]))
        part = vec[i : i + size]
        out[name] = float(part[0]) if kind == "scalar" else part.reshape(np.shape(like[name]))
        i += size
    return out


def check_block_limit(numeric: Any, d: int, k: int, hyper: dict[str, float]) -> None:
    """Refuse, in one line, a block model whose map does not commute with the rescaling.

    Random blocks, inputs and labels at ``n = 1`` against the same scaled to ``n = 10^4``
    (module docstring): the blocks, outputs and NTK must agree to round-off.
    """
    rng = np.random.default_rng(12345)
    X, Y = rng.standard_normal((3, d)), rng.standard_normal((3, k))
    G = _unflat(numeric, _flat(numeric, block_center(numeric, d, k)) + 0.3 * _flat(
        numeric, block_fluctuation(numeric, d, k, rng)), block_center(numeric, d, k))  # fmt: skip
    n = 1e4
    big = {name: np.asarray(v) * n for name, v in G.items()}
    one = _flat(numeric, numeric.step_once(G, X, Y, eta=0.1, n=1.0, **hyper))
    wide = _flat(numeric, numeric.step_once(big, X, Y * np.sqrt(n), eta=0.1, n=n, **hyper)) / n
    out = np.asarray(numeric.output(big, X, n)) / np.sqrt(n) - numeric.output(G, X, 1.0)
    ntk = numeric.ntk(big, X, n) - numeric.ntk(G, X, 1.0)
    scale = max(1.0, float(np.max(np.abs(one))))
    worst = max(np.max(np.abs(one - wide)) / scale, np.max(np.abs(out)), np.max(np.abs(ntk)))
    if not worst < 1e-8:
        raise CatapultError(
            f"--n inf: the block map of {numeric.name} does not commute with the rescaling "
            f"G / n, F / sqrt(n) (off by {worst:.2g}); it has no n = inf law here, use a "
            "finite --n"
        )


def _linear_step(
    numeric: Any, center: dict, Xb: Any, eta: float, hyper: dict, Yb: Any = None
) -> Any:
    """``x -> J x + K Yb`` for the batch's map at the center, by finite differences.

    ``Yb`` (labels on the ``O(1)`` scale) is the affine term of the kernel regime, taken by
    central differences (error ``O(_EPS^2)``). Without it the map is the homogeneous
    linearisation the growth is read from; the center is its fixed point, so one forward
    difference of step :data:`_FORWARD` (error ``O(_FORWARD)``) is half the cost.
    """
    c = _flat(numeric, center)
    if Yb is None:
        zeros = np.zeros((Xb.shape[0], numeric.outputs(center)))

        def forward(x: np.ndarray) -> np.ndarray:
            h = _FORWARD / max(1.0, float(np.linalg.norm(x)))
            new = numeric.step_once(_unflat(numeric, c + h * x, center), Xb, zeros, eta=eta,
                                    n=1.0, **hyper)  # fmt: skip
            return (_flat(numeric, new) - c) / h

        return forward

    def apply(x: np.ndarray) -> np.ndarray:
        h = _EPS / max(1.0, float(np.linalg.norm(x)), float(np.linalg.norm(Yb)))
        plus = numeric.step_once(_unflat(numeric, c + h * x, center), Xb, h * Yb,
                                 eta=eta, n=1.0, **hyper)  # fmt: skip
        minus = numeric.step_once(_unflat(numeric, c - h * x, center), Xb, -h * Yb,
                                  eta=eta, n=1.0, **hyper)  # fmt: skip
        return (_flat(numeric, plus) - _flat(numeric, minus)) / (2 * h)

    return apply


def _linear_output(numeric: Any, center: dict, X: Any, x: np.ndarray) -> np.ndarray:
    """The outputs' first-order change along ``x`` (exact: the output is linear near it)."""
    c, h = _flat(numeric, center), _EPS / max(1.0, float(np.linalg.norm(x)))
    plus = numeric.output(_unflat(numeric, c + h * x, center), X, 1.0)
    minus = numeric.output(_unflat(numeric, c - h * x, center), X, 1.0)
    return (np.asarray(plus) - np.asarray(minus)) / (2 * h)


KERNEL_BOUND = 1e12
"""The kernel regime stops once its loss is this many times ``L_0`` (it has risen)."""


def kernel_losses(
    numeric: Any,
    data: tuple[np.ndarray, np.ndarray],
    z: np.ndarray,
    *,
    eta: float,
    batch: Any,
    seed: int,
    steps: int,
    hyper: dict[str, float],
) -> np.ndarray:
    """Full-batch losses of the ``O(1)`` scale at ``n = inf``: the kernel regime.

    At fixed step and infinite width the outputs move linearly with the NTK frozen at the
    center: the deviation ``delta = sqrt(n) (G~ - center)`` starts at the fluctuation ``z``
    (its cross block is the Gaussian-process draw of the initial outputs) and follows
    ``delta' = J_b delta + K_b Y_b``. These losses decide whether a run's loss rises within
    ``steps`` (a transient SGD rise included), as a finite run's do; they stop once past
    :data:`KERNEL_BOUND` ``L_0``.
    """
    X, Y = data
    center = block_center(numeric, X.shape[1], Y.shape[1])
    m = X.shape[0]

    def loss(x: np.ndarray) -> float:
        r = _linear_output(numeric, center, X, x) - Y
        return float(np.sum(r * r) / (2 * m))

    x, out = z, [loss(z)]
    for t in range(int(steps)):
        Xb, Yb = batch_rows(batch, seed, t, X, Y)
        x = _linear_step(numeric, center, Xb, eta, hyper, Yb)(x)
        out.append(loss(x))
        if not out[-1] <= KERNEL_BOUND * out[0]:
            break
    return np.asarray(out)


def _walk(
    numeric: Any,
    center: dict[str, Any],
    X: np.ndarray,
    eta: float,
    batch: Any,
    seed: int,
    x: np.ndarray,
    steps: int,
    hyper: dict[str, float],
    settle: bool,
    first: int = 0,
) -> tuple[list[float], np.ndarray | None]:
    """Renormalised linear steps from counter ``first``: log growths and the last direction.

    ``settle`` (GD) stops once the direction moves less than :data:`SETTLED` in one step;
    the direction is ``None`` where the map sent it to zero or past the floats.
    """
    logs, last = [], x
    for t in range(first, first + steps):
        (Xb,) = batch_rows(batch, seed, t, X)
        y = _linear_step(numeric, center, Xb, eta, hyper)(x)
        size = float(np.linalg.norm(y))
        if not (np.isfinite(size) and size > 0):
            return logs, None
        logs.append(np.log(size))
        last, x = x, y / size
        if settle and min(np.linalg.norm(x - last), np.linalg.norm(x + last)) < SETTLED:
            break
    return logs, x


DENSE_MAX = BURN_IN + WINDOW
"""Up to this many block entries GD's Jacobian is formed (``size`` linear steps, fewer than
a walk's) and its dominant multiplier read exactly; beyond, the walk decides."""


def dominant_multiplier(
    numeric: Any, center: dict, X: np.ndarray, eta: float, hyper: dict, size: int
) -> float:
    """``|mu|``, the largest multiplier modulus of GD's linearised map (NaN above ``DENSE_MAX``)."""
    if size > DENSE_MAX:
        return float("nan")
    step = _linear_step(numeric, center, X, eta, hyper)
    J = np.stack([step(e) for e in np.eye(size)], axis=1)
    return float(np.max(np.abs(np.linalg.eigvals(J))))


def _enter(numeric: Any, center: dict, x: np.ndarray, amplitude: float) -> dict[str, Any]:
    return _unflat(numeric, _flat(numeric, center) + amplitude * x, center)


def limit_entry(
    numeric: Any,
    X: np.ndarray,
    center: dict[str, Any],
    z: np.ndarray,
    *,
    eta: float,
    batch: Any,
    seed: int,
    rng: np.random.Generator,
    hyper: dict[str, float],
) -> LimitEntry:
    """The entry of one limit orbit from the fluctuation ``z`` (module docstring).

    ``rng`` draws the level (uniform over the window's growth). GD's direction settles in
    the burn-in: the level is then uniform over one step's growth, ``|mu|^phi`` with
    ``phi ~ U[0, 1)`` as in the scalar law.
    """
    walk = (numeric, center, X, eta, batch, seed)
    if batch is None:  # GD on small blocks: the dominant multiplier first (a lazy run: no walk)
        growth = float(np.log(dominant_multiplier(numeric, center, X, eta, hyper, z.size)))
        if growth <= GROWTH_TOL:
            return LimitEntry(None, 0, growth)
    logs, x = _walk(*walk, z / np.linalg.norm(z), BURN_IN, hyper, batch is None)
    if x is None:
        return LimitEntry(None, 0, float("nan"))
    if batch is None and len(logs) < BURN_IN:  # settled
        growth = float(logs[-1])
        if not growth > GROWTH_TOL:
            return LimitEntry(None, len(logs), growth)
        amplitude = ENTRY_AMPLITUDE * np.exp(rng.uniform() * growth)
        return LimitEntry(_enter(numeric, center, x, amplitude), len(logs), growth)
    window, x_end = _walk(*walk, x, WINDOW, hyper, False, BURN_IN)
    growth = float(np.mean(window)) if x_end is not None else float("nan")
    if not growth > GROWTH_TOL:
        return LimitEntry(None, BURN_IN + len(window), growth)
    level_steps = np.maximum.accumulate(np.cumsum(window))
    level = rng.uniform() * level_steps[-1]
    entry = int(np.searchsorted(level_steps, level))  # first t with M_t >= level
    _, x = _walk(*walk, x, entry + 1, hyper, False, BURN_IN)  # replay: counter-based batches
    amplitude = ENTRY_AMPLITUDE * np.exp(level_steps[entry] - level)
    return LimitEntry(_enter(numeric, center, x, amplitude), BURN_IN + entry + 1, growth)


def run_block_limit(
    numeric: Any,
    data: tuple[np.ndarray, np.ndarray],
    *,
    c: float,
    steps: int,
    batch: Any,
    seed: int,
    stop: Any,
    lam_every: int,
    hyper: dict[str, float],
) -> Any:
    """One run of the ``n = inf`` law as a :class:`~catapultlab.sim.BlockRun`.

    ``losses`` are the kernel regime's (:func:`kernel_losses`, the ``O(1)`` scale, which
    decide ``rose``); ``rescaled_losses``, ``lam``, ``spikes`` and ``diverged`` are the
    rescaled orbit's from its entry (none when nothing grows: ``eta lambda`` stays ``c``).
    ``lam0`` is the top NTK eigenvalue at the center and ``eta = c / lam0``.
    """
    from catapultlab.phases import loss_spikes
    from catapultlab.sim._block_run import BlockRun, _iterate, top_ntk_pairs

    X, Y = data
    center = block_center(numeric, X.shape[1], Y.shape[1])
    lam0 = float(top_ntk_pairs(numeric, center, X, 1.0)[0][0])
    eta = float(c) / lam0
    rng = np.random.default_rng([int(seed), _STREAM_TAG])
    z = _flat(numeric, block_fluctuation(numeric, X.shape[1], Y.shape[1], rng))
    walk = dict(eta=eta, batch=batch, seed=seed, hyper=hyper)
    kernel = kernel_losses(numeric, data, z, steps=steps, **walk)
    rose = bool(np.max(kernel[1:], initial=-np.inf) > kernel[0] * (1 + stop.rise_tol))
    entry = limit_entry(numeric, X, center, z, rng=rng, **walk)
    label = "full" if batch is None else batch.label
    common = dict(eta=eta, lam0=lam0, losses=kernel, rose=rose, batch=label,
                  entry_step=entry.step, growth=entry.growth)  # fmt: skip
    if entry.state is None:
        return BlockRun(lam=np.array([lam0]), diverged=False, spikes=(), **common)
    zeros = np.zeros_like(Y)
    rescaled, lam, diverged, _ = _iterate(
        numeric, entry.state, (X, zeros), n=1.0, steps=steps, bound=stop.diverge_loss(1.0),
        lam_every=lam_every, first_step=entry.step, **walk,
    )  # fmt: skip
    L = np.asarray(rescaled)
    spikes = tuple({"start": a, "peak": p, "end": e} for a, p, e in loss_spikes(L))
    return BlockRun(lam=np.asarray(lam), diverged=diverged, spikes=spikes, rescaled_losses=L,
                    **common)  # fmt: skip
