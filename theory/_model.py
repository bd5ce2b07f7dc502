"""One object per model: symbols, state, maps, closure proof and boundaries, derived once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property

import numpy as np
import sympy as sp

from catapultlab.theory._algebra import symbol_words
from catapultlab.theory._boundaries import LAM0, ScalarBoundaries, derive_scalar_boundaries
from catapultlab.theory._derive import GramDerivation, derive_gram
from catapultlab.theory._project import Projection, project
from catapultlab.theory._spec import ETA, WIDTH
from catapultlab.theory._specs import Y, full_spec, uv_spec

__all__ = ["Model", "uv_model", "full_model", "F", "LAM"]

F = sp.Symbol("f", real=True)
"""The network output (uv model)."""

LAM = sp.Symbol("lam", real=True)
"""The NTK (a scalar for one sample)."""


@dataclass(frozen=True)
class Model:
    """A derived model: what theory/ hands to sim/, validate/, the docs and the CLI.

    Attributes:
        name: model name.
        description: one line for people.
        gram: the exact Gram-state derivation (parameter-level GD lifted to inner products).
        state: the state the model is iterated in (``(f, lam)`` for uv, the Gram state for full).
        params: the other symbols of the maps, in a fixed order (``eta, n``, labels, data).
        maps: new value of each state symbol.
        loss: the loss in ``state`` and ``params``.
        ntk: the NTK matrix in ``state`` and ``params``; ``lam`` is its top eigenvalue.
        outputs: ``f_a`` in ``state`` and ``params``.
        projection: the (f, Theta) projection and which parts of it close.
        boundaries: ``{"lazy_catapult": eta, "catapult_divergent": eta}`` in ``lam0``.
        scalar: the full scalar boundary derivation (fixed points, scaling, catapult time).
        notes: what was proved and how, in words.
    """

    name: str
    description: str
    gram: GramDerivation
    state: tuple[sp.Symbol, ...]
    params: tuple[sp.Symbol, ...]
    maps: dict[sp.Symbol, sp.Expr]
    loss: sp.Expr
    ntk: sp.Matrix
    outputs: tuple[sp.Expr, ...]
    projection: Projection
    boundaries: dict[str, sp.Expr]
    scalar: ScalarBoundaries
    notes: tuple[str, ...] = field(default=())

    @property
    def closed(self) -> bool:
        """The state map closes (proved when the model was derived)."""
        allowed = set(self.state) | set(self.params)
        return all(e.free_symbols <= allowed for e in self.maps.values())

    @property
    def labels(self) -> tuple[sp.Symbol, ...]:
        """Label symbols, in order."""
        return tuple(self.gram.spec.targets)

    @property
    def data(self) -> tuple[sp.Symbol, ...]:
        """Input-data symbols, in order (row-major ``x_a_i``)."""
        return tuple(self.gram.spec.data)

    @property
    def residual_multiplier(self) -> sp.Expr | None:
        """Multiplier of the linearised residual map at zero residual, for one-sample models.

        ``d r'/d r = 1 - eta Theta`` at ``r = 0`` (derived: for uv it is the Jacobian entry
        at the fixed point ``f = y``; for ``full`` it is checked symbolically). A run has
        converged to a *stable* fixed point only where ``|multiplier| < 1``. ``None`` when
        Theta is a matrix (its top eigenvalue has no closed form in the state).
        """
        if self.ntk.shape != (1, 1):
            return None
        return 1 - ETA * self.ntk[0, 0]

    # -- numeric functions (one source of truth for sim/ and validate/) -------------------

    @cached_property
    def numeric_map(self) -> Callable[..., tuple[float, ...]]:
        """``numeric_map(*state, *params) -> new state`` (NumPy, lambdified from ``maps``)."""
        exprs = [self.maps[s] for s in self.state]
        return sp.lambdify(self.state + self.params, exprs, modules="numpy", cse=True)

    @cached_property
    def numeric_loss(self) -> Callable[..., float]:
        """``numeric_loss(*state, *params) -> loss`` (NumPy)."""
        return sp.lambdify(self.state + self.params, self.loss, modules="numpy", cse=True)

    @cached_property
    def numeric_mu2(self) -> Callable[..., float] | None:
        """``numeric_mu2(*state, *params)``: squared residual multiplier (``None`` without one)."""
        mu = self.residual_multiplier
        if mu is None:
            return None
        return sp.lambdify(self.state + self.params, mu**2, modules="numpy")

    @cached_property
    def numeric_observables(self) -> Callable[..., tuple[list[float], list[list[float]]]]:
        """``numeric_observables(*state, *params) -> (f, ntk)`` (NumPy)."""
        return sp.lambdify(
            self.state + self.params, (list(self.outputs), self.ntk.tolist()), modules="numpy"
        )

    def _param_values(self, eta: float, n: float, x: np.ndarray | None, y: object) -> list:
        x_vals = [] if not self.data else list(np.asarray(x, dtype=float).reshape(-1))
        y_vals = list(np.atleast_1d(np.asarray(y, dtype=float)))
        values = {ETA: eta, WIDTH: n}
        values.update(zip(self.labels, y_vals, strict=True))
        values.update(zip(self.data, x_vals, strict=True))
        return [values[p] for p in self.params]

    def step(
        self,
        state: np.ndarray,
        *,
        eta: float,
        n: float,
        y: object = 0.0,
        x: np.ndarray | None = None,
    ) -> np.ndarray:
        """One exact GD step of the state, in float64.

        Args:
            state: current state, in the order of :attr:`state`.
            eta: learning rate.
            n: width.
            y: label(s), one per sample.
            x: inputs ``(m, d)`` (full model only).

        Returns:
            The next state.

        Example:
            >>> m = uv_model()
            >>> m.step(np.array([0.5, 2.0]), eta=0.1, n=100.0, y=0.0).round(6).tolist()
            [0.400012, 1.99905]
        """
        out = self.numeric_map(*np.asarray(state, dtype=float), *self._param_values(eta, n, x, y))
        return np.asarray(out, dtype=float)

    def observe(
        self, state: np.ndarray, *, n: float, x: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The outputs ``f`` (m,) and the NTK ``(1/m) J J^T`` (m, m) of a state."""
        m = len(self.outputs)
        values = self._param_values(0.0, n, x, np.zeros(m))
        f, ntk = self.numeric_observables(*np.asarray(state, dtype=float), *values)
        return np.asarray(f, dtype=float).reshape(m), np.asarray(ntk, dtype=float).reshape(m, m)

    @cached_property
    def _gram_to_state(self) -> Callable[..., list[float]]:
        gram = list(self.gram.state)
        if tuple(self.state) == tuple(gram):
            exprs = gram
        else:  # the state is a projection of the Gram state (uv: f, lam)
            exprs = [self.projection.definitions[s] for s in self.state]
        return sp.lambdify(gram + [WIDTH], exprs, modules="numpy")

    def state_from_gram(self, gram: np.ndarray, n: float) -> np.ndarray:
        """The state of Gram matrices of the parameter vectors (in ``gram.spec.vectors`` order).

        Args:
            gram: ``(..., p, p)`` matrices of raw inner products ``w_i . w_j``.
            n: the width.

        Returns:
            The state, shape ``(S, ...)``, through the model's own observable definitions.
        """
        gram = np.asarray(gram, dtype=float)
        names = self.gram.spec.vectors
        values = []
        for s in self.gram.state:
            a, b = symbol_words(s)
            values.append(gram[..., names.index(a[-1]), names.index(b[-1])])
        out = self._gram_to_state(*values, float(n))
        shape = gram.shape[:-2]
        return np.stack([np.broadcast_to(np.asarray(v, dtype=float), shape) for v in out])

    def gram_from_params(self, U: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The exact state of real parameters (full model: ``U`` (n, d), ``v`` (n,)).

        For the uv model pass ``U = u[:, None]``; the state is then ``(f, lam)``.
        """
        U = np.asarray(U, dtype=float)
        W = np.column_stack([U.reshape(U.shape[0], -1), np.asarray(v, dtype=float)])
        return self.state_from_gram(W.T @ W, W.shape[0])


def _uv_model() -> Model:
    gram = derive_gram(uv_spec())
    proj = project(gram, {F: gram.outputs[0], LAM: gram.ntk[0, 0]})
    if not proj.closed:  # pragma: no cover - a failed proof is a bug in the engine
        raise RuntimeError(f"uv projection onto (f, lam) does not close: {proj.missing}")
    maps = {F: proj.maps[F], LAM: proj.maps[LAM]}
    scalar = derive_scalar_boundaries(maps[F], maps[LAM], f=F, lam=LAM, eta=ETA, n=WIDTH, y=Y)
    notes = (
        "The Gram state (u.u, u.v, v.v) closes exactly at every width n.",
        "Its projection onto (f, lam) closes by itself: the leftover Gram coordinate cancels.",
        f"With f = n^({scalar.scaling_exponent}) g and y = n^({scalar.scaling_exponent}) ytilde "
        "the maps do not depend on n: the boundaries in c = eta lam0 are width-independent, and "
        "n enters only through g0 = f0/sqrt(n) and ytilde = y/sqrt(n).",
    )
    return Model(
        name="uv",
        description=gram.spec.description,
        gram=gram,
        state=(F, LAM),
        params=(ETA, WIDTH, Y),
        maps=maps,
        loss=(F - Y) ** 2 / 2,
        ntk=sp.Matrix([[LAM]]),
        outputs=(F,),
        projection=proj,
        boundaries={
            "lazy_catapult": scalar.lazy_catapult,
            "catapult_divergent": scalar.catapult_divergent,
        },
        scalar=scalar,
        notes=notes,
    )


@cache
def uv_model() -> Model:
    """The uv model, derived once (cached).

    Example:
        >>> m = uv_model()
        >>> m.boundaries["lazy_catapult"], m.boundaries["catapult_divergent"]
        (2/lam0, 4/lam0)
    """
    return _uv_model()


def _linear_residual_jacobian_check(gram: GramDerivation, points: int = 2) -> bool:
    """Check d f'_a / d r_b = -eta Theta_ab at zero residual (r = f - y).

    Both sides are polynomials; they are compared exactly at random rational points,
    the derivative taken as the t-coefficient along ``y = f(state) - t e_b``.
    """
    import random

    from catapultlab.theory._project import _random_point

    spec = gram.spec
    rng = random.Random(1)
    t = sp.Symbol("t")
    symbols = sorted(set(gram.state) | set(spec.data) | {ETA, WIDTH}, key=str)
    for _ in range(points):
        point = _random_point(symbols, rng)
        fit = [f.xreplace(point) for f in gram.outputs]
        for b in range(spec.samples):
            labels = {y: fit[a] - (t if a == b else 0) for a, y in enumerate(spec.targets)}
            new_state = {s: e.xreplace(point).xreplace(labels) for s, e in gram.maps.items()}
            for a, f in enumerate(gram.outputs):
                slope = sp.Poly(f.xreplace(new_state).xreplace(point), t).coeff_monomial(t)
                if slope + (ETA * gram.ntk[a, b]).xreplace(point) != 0:
                    return False
    return True


@cache
def full_model(inputs: int, samples: int) -> Model:
    """The two-layer linear model with ``inputs`` = d and ``samples`` = m, derived once.

    Args:
        inputs: input dimension d >= 1.
        samples: number of training samples m >= 1.

    Returns:
        The model; its state is the Gram matrix of ``(u_1 .. u_d, v)``.

    Example:
        >>> m = full_model(2, 2)
        >>> [s.name for s in m.state]
        ['v_v', 'u1_v', 'u2_v', 'u1_u1', 'u1_u2', 'u2_u2']
    """
    from catapultlab._checks import check_full_model_size

    check_full_model_size(inputs, samples)
    spec = full_spec(inputs, samples)
    gram = derive_gram(spec)
    f_syms = [sp.Symbol(f"f_{a + 1}", real=True) for a in range(samples)]
    t_syms = {
        (a, b): sp.Symbol(f"ntk_{a + 1}_{b + 1}", real=True)
        for a in range(samples)
        for b in range(a, samples)
    }
    definitions = dict(zip(f_syms, gram.outputs, strict=True))
    definitions |= {s: gram.ntk[a, b] for (a, b), s in t_syms.items()}
    proj = project(gram, definitions)
    if not _linear_residual_jacobian_check(gram):  # pragma: no cover
        raise RuntimeError("linearised residual map is not I - eta Theta")
    # the catapult/divergent edge is derived on the model's scalar restriction d = m = 1
    scalar = _uv_like_restriction()
    f_closed = all(not proj.missing[s] for s in f_syms)
    t_closed = all(not proj.missing[s] for s in t_syms.values())
    needs = sorted({s.name for s in t_syms.values() for s in proj.missing[s]})
    notes = (
        f"The Gram state of (u_1..u_{inputs}, v) ({len(gram.state)} inner products) closes "
        "exactly at every width n.",
        f"Projected onto (f, Theta): the f-update {'closes' if f_closed else 'does not close'} "
        f"in (f, Theta); the Theta-update {'closes' if t_closed else 'does not close'}"
        + (f" (it still needs {', '.join(needs)})." if needs else "."),
        "Linearised at zero residual, d r'/d r = I - eta Theta (checked symbolically), so the "
        "lazy/catapult edge is eta = 2/lam0 with lam0 the top eigenvalue of Theta.",
        "The catapult/divergent edge is derived on the scalar restriction d = m = 1.",
    )
    return Model(
        name="full",
        description=spec.description,
        gram=gram,
        state=gram.state,
        params=(ETA, WIDTH) + tuple(spec.targets) + tuple(spec.data),
        maps=dict(gram.maps),
        loss=spec.loss(),
        ntk=gram.ntk,
        outputs=gram.outputs,
        projection=proj,
        boundaries={
            "lazy_catapult": 2 / LAM0,
            "catapult_divergent": scalar.catapult_divergent,
        },
        scalar=scalar,
        notes=notes,
    )


def _uv_like_restriction() -> ScalarBoundaries:
    gram = derive_gram(full_spec(1, 1))
    (x,) = gram.spec.data
    (y,) = gram.spec.targets
    proj = project(gram, {F: gram.outputs[0], LAM: gram.ntk[0, 0]})
    fmap = proj.maps[F].subs(x, 1).subs(y, Y)
    lmap = proj.maps[LAM].subs(x, 1).subs(y, Y)
    return derive_scalar_boundaries(fmap, lmap, f=F, lam=LAM, eta=ETA, n=WIDTH, y=Y)
