"""One object per model: symbols, state, maps, closure proof and boundaries, derived once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

import numpy as np
import sympy as sp

from catapultlab.theory._algebra import symbol_words
from catapultlab.theory._boundaries import ScalarBoundaries
from catapultlab.theory._derive import GramDerivation
from catapultlab.theory._edges_numeric import EdgeFunctions, edges_c
from catapultlab.theory._project import Projection
from catapultlab.theory._spec import ETA, WIDTH
from catapultlab.theory._specs import full_spec, full_unit_spec, uv_spec

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
        boundaries: learning rates in ``lam0`` (and ``beta``, ``kappa``):
            ``"lazy_catapult"`` (linear-stability edge), ``"loss_rises"`` (the loss first
            exceeds its initial value) and ``"catapult_divergent"`` (large-|f| growth edge);
            ``None`` where the model has none (``boundary_notes`` says why).
        scalar: the scalar (f, lam) derivation (fixed points, multipliers, growth), or
            ``None`` where no scalar map closes.
        notes: what was proved and how, in words.
        boundary_notes: how each boundary was obtained (derived, from a restriction, none).
        scaling: the derived width scaling (:class:`catapultlab.theory.Scaling`).
        catapult_time: leading-order steps of the catapult's growth phase, in ``n, c``
            (and ``beta``), or ``None``.
        linear: the step rule's linear recursion.
        key: the content hash of the declaration (the model's identity).
        restriction: the smaller declaration whose growth edge stands in for this
            model's, or ``None``.
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
    scalar: ScalarBoundaries | None
    notes: tuple[str, ...] = field(default=())
    boundary_notes: dict[str, str] = field(default_factory=dict)
    scaling: Any = None
    catapult_time: sp.Expr | None = None
    linear: Any = None
    key: str = ""
    restriction: Any = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the derivation, not its compiled functions (rebuilt on demand)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __repr__(self) -> str:
        return (
            f"Model({self.name!r}, key={self.key!r}, step={self.step_rule.label!r}, "
            f"state={[s.name for s in self.state]})"
        )

    def _repr_latex_(self) -> str:
        """The maps and the phase boundaries, typeset (a notebook shows this)."""
        from catapultlab.theory._render import latex_blocks
        from catapultlab.theory._render_format import tex_escape

        rows = []
        for title, block in latex_blocks(self):
            if title.startswith(("exact one-step maps", "where", "phase boundaries")):
                rows.append(rf"&\text{{{tex_escape(title)}}} \\")
                rows += [r if r.endswith("\\\\") else r + r" \\" for r in block]
        return "$$\\begin{aligned}\n" + "\n".join(rows) + "\n\\end{aligned}$$"

    def numeric(self) -> Any:
        """The model as a :class:`~catapultlab.theory.NumericModel`: plain data and printed code.

        What :mod:`catapultlab.sim` and :mod:`catapultlab.validate` run; built once per model
        (kept in the one on-disk cache, keyed by the model's content).

        Example:
            >>> uv_model().numeric().state
            ('f', 'lam')
        """
        known = self.__dict__.get("_numeric")
        if known is None:
            from catapultlab.theory._numeric_cache import numeric_of

            known = self.__dict__["_numeric"] = numeric_of(self)
        return known

    @cached_property
    def _functions(self) -> dict[str, Any]:
        """The printed NumPy functions of :meth:`numeric`, without its kernel (no codegen)."""
        from catapultlab.theory._numeric import compile_functions
        from catapultlab.theory._numeric_build import printed_functions

        source, imports, _ = printed_functions(self)
        return compile_functions(source, imports, f"model {self.key}")

    @property
    def width_limit(self) -> Any:
        """The infinite-width limit (:class:`~catapultlab.theory.WidthLimit`), derived once.

        Example:
            >>> uv_model().width_limit.label_exponent
            0.5
        """
        from catapultlab.theory._limit import width_limit_of

        return width_limit_of(self)[0]

    @property
    def spec(self) -> Any:
        """The declaration this model was derived from."""
        return self.gram.spec

    @property
    def step_rule(self) -> Any:
        """The step rule of the declaration."""
        return self.gram.spec.step

    @property
    def hyper(self) -> tuple[sp.Symbol, ...]:
        """Step-rule symbols among the params (``beta``, ``kappa``)."""
        return tuple(self.gram.spec.step.symbols)

    def edges(self, *, beta: float = 0.0, kappa: float = 0.0, lam0: float = 1.0) -> dict:
        """The boundaries as values of ``c = eta lam0`` at numeric ``beta``, ``kappa``.

        Args:
            beta: momentum (for momentum/Nesterov models).
            kappa: weight decay (for weight-decay models).
            lam0: the initial NTK eigenvalue (enters with weight decay only).

        Returns:
            ``{name: c or None}`` for every boundary.

        Example:
            >>> uv_model().edges()
            {'lazy_catapult': 2.0, 'loss_rises': 2.0, 'catapult_divergent': 4.0}
        """
        return edges_c(self.edge_functions, beta=beta, kappa=kappa, lam0=lam0)

    def predict(
        self, quantity: str, *, beta: float = 0.0, kappa: float = 0.0, lam0: float = 1.0
    ) -> Any:
        """What this model predicts for a measured quantity (one table for every layer).

        Args:
            quantity: a measured boundary or outcome
                (:data:`catapultlab.theory.COMPARED_WITH`: ``c_loss``, ``c_max``, ...).
            beta: momentum value.
            kappa: weight-decay value.
            lam0: the initial NTK eigenvalue (enters with weight decay only).

        Returns:
            A :class:`~catapultlab.theory.Prediction` (edge, value in ``c``, relation, source).

        Example:
            >>> p = uv_model().predict("c_max")
            >>> p.edge, p.value, p.relation
            ('catapult_divergent', 4.0, '=')
        """
        from catapultlab.theory._predictions import prediction

        edges = self.edges(beta=beta, kappa=kappa, lam0=lam0)
        return prediction(quantity, edges, self.boundary_notes, self.name)

    @property
    def peak_loss_exponent(self) -> float | None:
        """Exponent ``b`` of the catapult's peak loss ``~ n^b``: twice the output's width exponent.

        Example:
            >>> uv_model().peak_loss_exponent
            1.0
        """
        if self.scaling is None or not self.scaling.exists:
            return None
        return float(2 * self.scaling.output_exponent)

    @property
    def ntk_drift_exponent(self) -> float | None:
        """Largest power of ``n`` in the NTK's one-step change ``lam' - lam`` at fixed ``f``.

        ``None`` for a model iterated in its Gram state (no scalar ``lam`` in the state).

        Example:
            >>> uv_model().ntk_drift_exponent
            -1.0
        """
        if LAM not in self.maps:
            return None
        drift = sp.expand(self.maps[LAM] - LAM)
        powers = {
            sp.powsimp(t, force=True).as_coeff_exponent(WIDTH)[1] for t in sp.Add.make_args(drift)
        }
        return float(max(powers))

    def catapult_time_slope(self, c: float, *, beta: float = 0.0) -> float | None:
        """``d t_catapult / d ln n`` at ``c``, from the derived leading-order catapult time.

        Example:
            >>> round(uv_model().catapult_time_slope(3.0), 6)
            0.721348
        """
        from catapultlab.theory._boundaries import C
        from catapultlab.theory._steprule import BETA

        t = self.catapult_time
        if t is None:
            return None
        slope = sp.diff(t, WIDTH).subs({C: c, BETA: beta}) * WIDTH
        return float(sp.simplify(slope))

    @property
    def edge_functions(self) -> EdgeFunctions:
        """The boundaries as NumPy functions (the printed functions of :meth:`numeric`).

        Each closed-form boundary ``eta`` becomes ``c = eta lam0`` in ``(beta, kappa,
        lam0)``; the loss-rise edge without a closed form is left to the step rule's
        recursion (its companion matrix and stability edge).
        """
        f = self._functions
        kinds = tuple(
            (name, "none" if eta is None else "loss_rise" if eta.atoms(sp.Function) else "closed")
            for name, eta in self.boundaries.items()
        )
        return EdgeFunctions(
            kinds, f["edges_closed"], f.get("recursion_matrix"), f.get("stability_edge")
        )

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
        if self.linear is not None and self.gram.spec.step.has_velocity:
            # stable iff eta lam below the rule's edge (derived): the ratio plays mu's role
            return ETA * self.ntk[0, 0] / self.linear.stability_edge
        return 1 - ETA * self.ntk[0, 0]

    # -- numbers (the printed functions of numeric(); one source of truth) ----------------

    def _param_values(
        self, eta: float, n: float, x: np.ndarray | None, y: object, hyper: dict | None = None
    ) -> list:
        x_vals = [] if not self.data else list(np.asarray(x, dtype=float).reshape(-1))
        m = len(self.outputs)
        y_vals = list(np.broadcast_to(np.asarray(y, dtype=float), (m,)).reshape(-1))
        values = {ETA: eta, WIDTH: n}
        values.update({s: float((hyper or {}).get(s.name, 0.0)) for s in self.hyper})
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
        beta: float = 0.0,
        kappa: float = 0.0,
    ) -> np.ndarray:
        """One exact step of the state under the model's step rule, in float64.

        Args:
            state: current state, in the order of :attr:`state`.
            eta: learning rate.
            n: width.
            y: label(s), one per sample.
            x: inputs ``(m, d)`` (models with data).
            beta: momentum value (momentum/Nesterov models).
            kappa: weight-decay value (weight-decay models).

        Returns:
            The next state.

        Example:
            >>> m = uv_model()
            >>> m.step(np.array([0.5, 2.0]), eta=0.1, n=100.0, y=0.0).round(6).tolist()
            [0.400012, 1.99905]
        """
        values = self._param_values(eta, n, x, y, {"beta": beta, "kappa": kappa})
        out = self._functions["step"](*np.asarray(state, dtype=float), *values)
        return np.asarray(out, dtype=float)

    def observe(
        self, state: np.ndarray, *, n: float, x: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The outputs ``f`` (m,) and the NTK ``(1/m) J J^T`` (m, m) of a state."""
        m = len(self.outputs)
        values = self._param_values(0.0, n, x, np.zeros(m))
        f, ntk = self._functions["observables"](*np.asarray(state, dtype=float), *values)
        return np.asarray(f, dtype=float).reshape(m), np.asarray(ntk, dtype=float).reshape(m, m)

    def state_from_gram(self, gram: np.ndarray, n: float) -> np.ndarray:
        """The state of Gram matrices of the parameter vectors (in ``gram.spec.vectors`` order).

        Args:
            gram: ``(..., p, p)`` matrices of raw inner products ``w_i . w_j``.
            n: the width.

        Velocities (momentum traces) start at zero.

        Returns:
            The state, shape ``(S, ...)``, through the model's own observable definitions.
        """
        gram = np.asarray(gram, dtype=float)
        names = self.gram.spec.vectors
        values = []
        for s in self.gram.state:
            a, b = symbol_words(s)
            if a[-1] not in names or b[-1] not in names:  # a velocity: zero at init
                values.append(np.zeros(gram.shape[:-2]))
                continue
            values.append(gram[..., names.index(a[-1]), names.index(b[-1])])
        out = self._functions["gram_to_state"](*values, float(n))
        shape = gram.shape[:-2]
        return np.stack([np.broadcast_to(np.asarray(v, dtype=float), shape) for v in out])

    def state_from_inner(self, values: np.ndarray, n: float) -> np.ndarray:
        """The state from the values of the Gram-state inner products (``gram.state`` order).

        Args:
            values: ``(G,)`` inner products, velocities included.
            n: the width.

        Returns:
            ``(S,)`` state.
        """
        out = self._functions["gram_to_state"](*np.asarray(values, dtype=float), float(n))
        return np.array([float(v) for v in out])

    def gram_from_params(self, U: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The exact state of real parameters (full model: ``U`` (n, d), ``v`` (n,)).

        For the uv model pass ``U = u[:, None]``; the state is then ``(f, lam)``.
        """
        U = np.asarray(U, dtype=float)
        W = np.column_stack([U.reshape(U.shape[0], -1), np.asarray(v, dtype=float)])
        return self.state_from_gram(W.T @ W, W.shape[0])


@cache
def uv_model(step: Any = None) -> Model:
    """The uv model, derived once (cached): ``derive(uv_spec(step))``.

    Args:
        step: the step rule (:class:`catapultlab.theory.StepRule`; plain GD by default).

    Example:
        >>> m = uv_model()
        >>> m.boundaries["lazy_catapult"], m.boundaries["catapult_divergent"]
        (2/lam0, 4/lam0)
    """
    from catapultlab.theory._cache import derive

    return derive(uv_spec(step))


@cache
def full_model(inputs: int, samples: int, step: Any = None) -> Model:
    """The two-layer linear model with ``inputs`` = d and ``samples`` = m, derived once.

    Args:
        inputs: input dimension d >= 1.
        samples: number of training samples m >= 1.
        step: the step rule (plain GD by default).

    Returns:
        The model; its state is the Gram matrix of ``(u_1 .. u_d, v)``.

    Example:
        >>> m = full_model(2, 2)
        >>> [s.name for s in m.state]
        ['v_v', 'u1_v', 'u2_v', 'u1_u1', 'u1_u2', 'u2_u2']
    """
    from catapultlab.checks import check_full_model_size
    from catapultlab.theory._cache import derive

    check_full_model_size(inputs, samples)

    return derive(full_spec(inputs, samples, step=step), restriction=full_unit_spec())
