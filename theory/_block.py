"""Exact width-n maps in Gram *blocks*: the data's size is data, not symbols.

A model whose parameters are width-``n`` matrices acting on the inputs (the two-layer
linear net ``f(x) = v^T U x / sqrt(n d)``, ``U`` of shape ``(n, d)``) is derived here once,
with SymPy matrix expressions, for every ``d`` and ``m``:

1. the output ``F = X U^T v / sqrt(n d)`` (``m x 1``) and the loss
   ``L = |F - Y|^2 / (2m)`` are matrix expressions in the parameter matrices and the
   data ``X`` (``m x d``), ``Y`` (``m x 1``);
2. the gradients come from SymPy's matrix calculus, and the declared step rule
   (:meth:`catapultlab.theory.StepRule.update`, the same rule the scalar engine and the
   exact simulator apply) moves the parameters and their velocities;
3. each new Gram block ``Z_k'^T Z_l'`` is expanded and every product of two width-``n``
   factors ``Z_a^T Z_b`` is replaced by its block symbol. The map *closes* when no
   width-``n`` factor is left, which is checked, not assumed;
4. the NTK ``Theta = J J^T / m`` (the toolkit's normalisation) is derived the same way,
   from the JVP of the VJP: ``Theta w`` is the change of ``F`` along the gradient of
   ``w^T F``, and ``Theta`` is read off the terms, each ending in ``w``.

The blocks are ``d x d``, ``d x 1`` and ``1 x 1`` matrices, so a step costs a few matrix
products of the data's size, at any width. :meth:`BlockMap.numeric` prints the map with
the package's own printer (no SymPy at run time; the same source runs on NumPy or JAX).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._steprule import BETA, KAPPA, StepRule

__all__ = [
    "BLOCK_DATA",
    "DIM_IN",
    "FULL_BLOCK_SPEC",
    "OUTPUTS",
    "SAMPLES",
    "WIDTH_N",
    "BlockMap",
    "BlockSpec",
    "NotClosedBlockError",
    "block_map",
    "full_block_map",
]

N = sp.Symbol("n", positive=True)
DIM_IN = sp.Symbol("d", positive=True, integer=True)
"""The input dimension ``d`` (a number at run time)."""
SAMPLES = sp.Symbol("m", positive=True, integer=True)
"""The number of samples ``m`` (a number at run time)."""
ETA = sp.Symbol("eta", positive=True)
OUTPUTS = sp.Symbol("k", positive=True, integer=True)
"""The number of outputs ``k`` (a number at run time: the labels' columns)."""
PROBE = sp.MatrixSymbol("w", SAMPLES, OUTPUTS)
"""The ``m x k`` array ``Theta`` acts on in :attr:`BlockMap.ntk_vector`."""


class NotClosedBlockError(ValueError):
    """A block map left a width-``n`` factor: the Gram blocks do not close."""


@dataclass(frozen=True)
class BlockMap:
    """The exact map of a matrix-parameter model in its Gram blocks (module docstring).

    Attributes:
        name: the model's name.
        step: the step rule.
        matrices: the width-``n`` factors, parameters then velocities, ``(name, columns)``.
        blocks: the block symbols in state order (``Z_a^T Z_b`` for ``a <= b``).
        maps: the new value of each block, in blocks, data, ``eta``, the step values, ``n``.
        output: ``F`` (``m x 1``) in blocks and data.
        loss: ``R^T R / 2m`` (``k x k``; the loss is its trace).
        ntk_vector: ``Theta w`` for the probe ``w`` (:data:`PROBE`, ``m x k``): the NTK of
            all ``m k`` outputs, ``J J^T / m``, as an operator (matrix-free eigensolvers).
    """

    __repr__ = short_repr

    name: str
    step: StepRule
    matrices: tuple[tuple[str, Any], ...]
    blocks: tuple[sp.MatrixSymbol, ...]
    maps: tuple[sp.MatrixExpr, ...]
    output: sp.MatrixExpr
    loss: sp.MatrixExpr
    ntk_vector: sp.MatrixExpr

    @property
    def data(self) -> tuple[sp.MatrixSymbol, sp.MatrixSymbol]:
        """``X`` (``m x d``) and ``Y`` (``m x k``)."""
        return _X, _Y

    def numeric(self) -> Any:
        """The printed NumPy record (:class:`catapultlab.theory.BlockNumeric`)."""
        from catapultlab.theory._block_numeric import block_numeric

        return block_numeric(self)


_X = sp.MatrixSymbol("X", SAMPLES, DIM_IN)
_Y = sp.MatrixSymbol("Y", SAMPLES, OUTPUTS)
BLOCK_DATA = _X
"""The inputs ``X`` (``m x d``) a :class:`BlockSpec`'s output is written in."""
WIDTH_N = N
"""The width ``n`` (a :class:`BlockSpec`'s output scales with it)."""


@dataclass(frozen=True)
class BlockSpec:
    """A declaration of a model whose width-``n`` parameters are matrices on the inputs.

    Attributes:
        name: the model's name.
        params: ``(name, columns)`` of each width-``n`` parameter matrix, in order;
            ``columns`` is :data:`DIM_IN` (acts on the inputs, ``n x d``) or
            :data:`OUTPUTS` (a readout, ``n x k``). Names are identifiers without ``_``.
        output: ``F`` (``m x k``) from the parameter matrices, in that order: a SymPy
            matrix expression in them, :data:`BLOCK_DATA` and :data:`WIDTH_N`.
        description: one line for people.

    The loss is the mean squared error ``|F - Y|^2 / 2m``; the derivation
    (:func:`block_map`) checks that the Gram blocks of the parameters close.

    Example:
        >>> two_path = BlockSpec(
        ...     "two_path", (("U", DIM_IN), ("W", DIM_IN), ("v", OUTPUTS)),
        ...     lambda U, W, v: BLOCK_DATA * (U.T + W.T) * v / sp.sqrt(2 * WIDTH_N * DIM_IN))
        >>> [b.name for b in block_map(two_path).blocks][:3]
        ['B_U_U', 'B_U_W', 'B_U_v']
    """

    __repr__ = short_repr

    name: str
    params: tuple[tuple[str, Any], ...]
    output: Any
    description: str = ""

    def key(self) -> str:
        """The content of the declaration: its parameters and its printed output."""
        mats = [sp.MatrixSymbol(name, N, cols) for name, cols in self.params]
        return f"{self.name}|{self.params}|{sp.srepr(self.output(*mats))}"


def _check_block_spec(spec: BlockSpec) -> None:
    from catapultlab import CatapultError

    if not spec.params:
        raise CatapultError(f"block model {spec.name!r} declares no parameter matrices")
    for name, cols in spec.params:
        if not name.isidentifier() or "_" in name:
            raise CatapultError(f"parameter name {name!r} must be an identifier without '_'")
        if cols not in (DIM_IN, OUTPUTS):
            raise CatapultError(
                f"parameter {name!r} of {spec.name!r}: columns must be DIM_IN (n x d) or "
                f"OUTPUTS (n x k), got {cols}"
            )
    mats = [sp.MatrixSymbol(name, N, cols) for name, cols in spec.params]
    F = spec.output(*mats)
    if getattr(F, "shape", None) != (SAMPLES, OUTPUTS):
        raise CatapultError(
            f"the output of {spec.name!r} must be an m x k matrix expression, got shape "
            f"{getattr(F, 'shape', None)}"
        )


def _block_name(a: str, b: str) -> str:
    return f"B_{a}_{b}"


class _Blocks:
    """The width-``n`` factors and the substitution of their products by block symbols."""

    def __init__(self, factors: list[tuple[str, Any]]) -> None:
        self.factors = {name: sp.MatrixSymbol(name, N, cols) for name, cols in factors}
        self.order = [name for name, _ in factors]
        self.symbols: dict[tuple[str, str], Any] = {}
        for i, a in enumerate(self.order):
            for b in self.order[i:]:
                rows, cols = self.factors[a].shape[1], self.factors[b].shape[1]
                name = _block_name(a, b)
                one = rows == 1 and cols == 1  # a 1 x 1 block is a scalar
                self.symbols[a, b] = (
                    sp.Symbol(name, real=True) if one else sp.MatrixSymbol(name, rows, cols)
                )

    def product(self, a: str, b: str) -> Any:
        """``Z_a^T Z_b`` as a block symbol (transposed when stored the other way round)."""
        if (a, b) in self.symbols:
            return self.symbols[a, b]
        other = self.symbols[b, a]
        return other if isinstance(other, sp.Symbol) else other.T

    def _name(self, factor: Any) -> tuple[str, bool] | None:
        """``(name, transposed)`` of a width-n factor, or ``None``."""
        if isinstance(factor, sp.Transpose) and factor.arg.name in self.factors:
            return factor.arg.name, True
        if isinstance(factor, sp.MatrixSymbol) and factor.name in self.factors:
            return factor.name, False
        return None

    def substitute(self, expr: sp.MatrixExpr) -> sp.MatrixExpr:
        """Replace every ``Z_a^T Z_b`` in the expanded ``expr``; raise if any ``Z`` is left."""
        terms = sp.expand(expr)
        terms = terms.args if isinstance(terms, sp.MatAdd) else (terms,)
        out = []
        for term in terms:
            coeff, factors = flatten_product(term)
            new, i = [], 0
            while i < len(factors):
                here = self._name(factors[i])
                there = self._name(factors[i + 1]) if i + 1 < len(factors) else None
                if here and there and here[1] and not there[1]:
                    new.append(self.product(here[0], there[0]))
                    i += 2
                    continue
                if here:
                    raise NotClosedBlockError(
                        f"a width-n factor {factors[i]} is left in the block map: the Gram "
                        "blocks of this model do not close"
                    )
                new.append(factors[i])
                i += 1
            scalars = [f for f in new if not getattr(f, "is_Matrix", False)]
            mats = [f for f in new if getattr(f, "is_Matrix", False)]
            factor = coeff * sp.Mul(*scalars)
            out.append(factor * sp.MatMul(*mats).doit() if mats else factor)
        if getattr(expr, "shape", None) == (1, 1):  # a scalar block: a 1 x 1 matrix sum
            out = [t if getattr(t, "is_Matrix", False) else t * sp.Identity(1) for t in out]
        return sp.MatAdd(*out).doit() if len(out) > 1 else out[0]


def flatten_product(term: Any) -> tuple[Any, list[Any]]:
    """``(scalar coefficient, [matrix factors in order])`` of one term of an expanded sum."""
    if isinstance(term, (sp.MatMul, sp.Mul)):
        coeff, factors = sp.S.One, []
        for arg in term.args:
            c, f = flatten_product(arg)
            coeff, factors = coeff * c, factors + f
        return coeff, factors
    if getattr(term, "is_Matrix", False):
        return sp.S.One, [term]
    return term, []


def _step(step: StepRule, blocks: _Blocks, grads: dict[str, sp.MatrixExpr]) -> dict[str, Any]:
    """Every width-n factor's new value (parameters, then velocities)."""
    new: dict[str, Any] = {}
    for name, grad in grads.items():
        theta = blocks.factors[name]
        trace = blocks.factors.get(f"vel_{name}", sp.ZeroMatrix(*theta.shape))
        new[name], new_trace = step.update(theta, trace, grad, ETA, beta=BETA, kappa=KAPPA)
        if step.has_velocity:
            new[f"vel_{name}"] = new_trace
    return new


def _ntk(output: Any, params: tuple[sp.MatrixSymbol, ...], blocks: _Blocks) -> Any:
    """``Theta w``, ``Theta = J J^T / m``, from ``Theta w = d/de F(theta + e grad(tr w^T F))``.

    ``output`` builds ``F`` from the parameter matrices; ``F`` is at most quadratic in
    them, so the derivative at ``e = 0`` is the part linear in ``e``.
    """
    probe, back = _hide_radicals(sp.Trace(PROBE.T * output(*params)))
    e = sp.Symbol("e_probe")
    moved = sp.expand(output(*(Z + e * sp.diff(probe, Z).xreplace(back) for Z in params)))
    terms = moved.args if isinstance(moved, sp.MatAdd) else (moved,)
    linear = [t for t in terms if sp.Poly(flatten_product(t)[0], e).degree() == 1]
    return blocks.substitute(sp.MatAdd(*linear).subs(e, 1) / SAMPLES)


def _full_output(U: sp.MatrixSymbol, v: sp.MatrixSymbol) -> sp.MatrixExpr:
    return _X * U.T * v / sp.sqrt(N * DIM_IN)


FULL_BLOCK_SPEC = BlockSpec(
    "full",
    (("U", DIM_IN), ("v", OUTPUTS)),
    _full_output,
    "f(x) = V^T U x / sqrt(n d): the two-layer linear net, U n x d, V n x k",
)
"""The full model as a block declaration (the two-layer linear net)."""

_DERIVED: dict[tuple[str, Any], BlockMap] = {}


def _hide_radicals(expr: Any) -> tuple[Any, dict[Any, Any]]:
    """``expr`` with numeric radicals (``sqrt(2)``) as symbols, and the way back."""
    radicals = {p for p in expr.atoms(sp.Pow) if p.is_number}
    hidden = {r: sp.Dummy(f"r{i}", positive=True) for i, r in enumerate(sorted(radicals, key=str))}
    return expr.xreplace(hidden), {v: k for k, v in hidden.items()}


def block_map(spec: BlockSpec, step: StepRule | None = None) -> BlockMap:
    """Derive a declared block model's exact map in Gram blocks, at any ``d``, ``m``, ``k``.

    Derived once per content (:meth:`BlockSpec.key`) and step rule in a process.

    Raises:
        CatapultError: a bad declaration (names, shapes).
        NotClosedBlockError: a width-``n`` factor is left: the blocks do not close.
    """
    step = step or StepRule()
    _check_block_spec(spec)
    key = (spec.key(), step)
    if key in _DERIVED:
        return _DERIVED[key]
    factors: list[tuple[str, Any]] = list(spec.params)
    if step.has_velocity:
        factors += [(f"vel_{name}", cols) for name, cols in spec.params]
    blocks = _Blocks(factors)
    params = tuple(blocks.factors[name] for name, _ in spec.params)
    F = spec.output(*params)
    R = F - _Y
    loss = R.T * R / (2 * SAMPLES)
    hidden, back = _hide_radicals(sp.Trace(loss))  # SymPy's matrix calculus takes no sqrt(2)
    grads = {
        name: sp.diff(hidden, Z).xreplace(back)
        for (name, _), Z in zip(spec.params, params, strict=True)
    }
    new = _step(step, blocks, grads)
    maps = tuple(blocks.substitute(new[a].T * new[b]) for (a, b) in blocks.symbols)
    _DERIVED[key] = BlockMap(
        name=spec.name,
        step=step,
        matrices=tuple(factors),
        blocks=tuple(blocks.symbols.values()),
        maps=maps,
        output=blocks.substitute(F),
        ntk_vector=_ntk(spec.output, params, blocks),
        loss=blocks.substitute(sp.expand(loss)),
    )
    return _DERIVED[key]


@functools.lru_cache(maxsize=16)
def full_block_map(step: StepRule | None = None) -> BlockMap:
    """The two-layer linear net ``f(x) = V^T U x / sqrt(n d)`` at any ``d``, ``m`` and ``k``.

    ``U`` is ``n x d``, ``V`` is ``n x k`` (named ``v``; ``k = 1`` is the paper's model):
    :func:`block_map` of :data:`FULL_BLOCK_SPEC`.

    Args:
        step: the step rule (plain GD by default; heavy ball, Nesterov, weight decay).

    Returns:
        The derived block map.

    Raises:
        NotClosedBlockError: never for this model (the check runs on every derivation).

    Example:
        >>> bm = full_block_map()
        >>> [b.name for b in bm.blocks]
        ['B_U_U', 'B_U_v', 'B_v_v']
        >>> bm.output
        (1/(sqrt(d)*sqrt(n)))*X*B_U_v
    """
    return block_map(FULL_BLOCK_SPEC, step)
