"""The printed numeric record of a :class:`~catapultlab.theory.BlockMap` (no SymPy at run time).

Every matrix product chain is printed in the cheapest order for the data's sizes (the
classic matrix-chain dynamic programme, with ``d`` and ``m`` taken large and a column
of width 1 as 1): ``X^T X b`` becomes ``X.T @ (X @ b)``, an ``O(m d)`` product, never
the ``O(m d^2)`` Gram matrix ``X^T X``. The source compiles with NumPy or ``jax.numpy``
(:func:`catapultlab.theory.compile_functions`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._block import (
    DIM_IN,
    ETA,
    OUTPUTS,
    PROBE,
    SAMPLES,
    BlockMap,
    flatten_product,
)
from catapultlab.theory._block import N as WIDTH
from catapultlab.theory._numeric import compile_functions

__all__ = ["BlockNumeric", "block_numeric"]

_SIZE = {1: 1, DIM_IN: 1000, SAMPLES: 1000, OUTPUTS: 10}
"""Sizes the chain order is optimised for (large data, a few outputs, a column is 1)."""


def _dim(x: Any) -> int:
    return _SIZE.get(x, 1000)


def _chain(
    factors: list[str], shapes: list[tuple[Any, Any]], temps: dict[str, str], outer: bool = False
) -> Any:
    """``factors`` multiplied in the cheapest order; each product a temporary in ``temps``.

    ``temps`` (``{"a @ b": "t3"}``) is shared by every chain of a function, so a common
    product is computed once. ``outer``: when the last product is a column times a row,
    return its two sides ``(column, row)`` instead (see :func:`_expr_text`).
    """
    k = len(factors)
    dims = [_dim(shapes[0][0])] + [_dim(s[1]) for s in shapes]
    cost = [[0.0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(2, k + 1):
        for i in range(k - length + 1):
            j = i + length - 1
            cost[i][j] = float("inf")
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def text(i: int, j: int) -> str:
        if i == j:
            return factors[i]
        product = f"{text(i, split[i][j])} @ {text(split[i][j] + 1, j)}"
        return temps.setdefault(product, f"t{len(temps)}")

    if outer and k > 1 and dims[split[0][k - 1] + 1] == 1:
        return text(0, split[0][k - 1]), text(split[0][k - 1] + 1, k - 1)
    return text(0, k - 1)


def _factor_text(f: Any, printer: Any) -> str:
    if isinstance(f, sp.Transpose):
        return f"{f.arg.name}.T"
    return f.name


def _expr_text(expr: Any, printer: Any, scalar: bool, temps: dict[str, str]) -> str:
    """A sum of ``coefficient * chain`` terms; ``scalar``: a 1 x 1 result read as a number.

    The terms of a matrix that are outer products (a column times a row, as the ``d x d``
    block's are) are summed by one product ``[c_1 a_1 ... c_k a_k] @ [b_1; ...; b_k]``,
    one pass over the ``d x d`` result instead of ``k``.
    """
    terms = expr.args if isinstance(expr, sp.MatAdd) else (expr,)
    out, columns, rows = [], [], []
    for term in terms:
        numbers, factors = flatten_product(term)
        factors = [f for f in factors if not isinstance(f, sp.Identity)]
        coeff = printer.doprint(numbers)
        if not factors:
            out.append(f"({coeff})")
            continue
        names, shapes = [_factor_text(f, printer) for f in factors], [f.shape for f in factors]
        chain = _chain(names, shapes, temps, outer=not scalar)
        if isinstance(chain, tuple):
            columns.append(f"({coeff}) * {chain[0]}")
            rows.append(chain[1])
        else:
            out.append(f"({coeff}) * {chain}[0, 0]" if scalar else f"({coeff}) * {chain}")
    if len(columns) == 1:
        out.append(f"{columns[0]} @ {rows[0]}")
    elif columns:
        out.append(
            f"concatenate([{', '.join(columns)}], axis=1) @ concatenate([{', '.join(rows)}], axis=0)"
        )
    return " + ".join(out)


@dataclass(frozen=True)
class BlockNumeric:
    """A block map as printed functions of the blocks, the data and the step values.

    Attributes:
        name: the model's name.
        step: the step rule's label.
        blocks: block names in state order, with ``"scalar"``, ``"column"`` or ``"matrix"``.
        pairs: ``(block, a, b)``: the block is ``Z_a^T Z_b``.
        factors: ``(name, "d" or "k")``: each width-``n`` factor and its column count.
        hyper: names of the step rule's values (``beta``, ``kappa``).
        source: printed ``step``, ``output``, ``ntk_vector`` and ``loss``.
        imports: ``(name, module)`` pairs the source uses.
        key: content hash of the source.
    """

    __repr__ = short_repr

    name: str
    step: str
    blocks: tuple[tuple[str, str], ...]
    pairs: tuple[tuple[str, str, str], ...]
    factors: tuple[tuple[str, str], ...]
    hyper: tuple[str, ...]
    source: str
    imports: tuple[tuple[str, str], ...]
    key: str
    _compiled: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def functions(self, array_module: str = "numpy") -> dict[str, Any]:
        """The compiled functions (cached per array module)."""
        if array_module not in self._compiled:
            label = f"block map {self.key}"
            self._compiled[array_module] = compile_functions(
                self.source, self.imports, label, array_module=array_module
            )
        return self._compiled[array_module]

    def _args(self, state: dict[str, Any], X: Any, n: float) -> list[Any]:
        blocks = [state[name] for name, _ in self.blocks]
        return [*blocks, X, float(n), *X.shape[::-1], self.outputs(state)]

    def outputs(self, state: dict[str, Any]) -> int:
        """``k``, the number of outputs (the side of a readout's ``V^T V`` block)."""
        readout = next(name for name, kind in self.factors if kind == "k")
        return int(np.shape(state[f"B_{readout}_{readout}"])[-1])

    def step_once(
        self, state: dict[str, Any], X: Any, Y: Any, *, eta: float, n: float, **hyper: float
    ) -> dict[str, Any]:
        """The blocks after one step at learning rate ``eta`` (step values by name)."""
        values = [float(hyper[h]) for h in self.hyper]
        new = self.functions()["step"](*self._args(state, X, n), Y, float(eta), *values)
        return dict(zip((name for name, _ in self.blocks), new, strict=True))

    def output(self, state: dict[str, Any], X: Any, n: float) -> Any:
        """``F``, the outputs on the ``m`` samples (``m x k``)."""
        return self.functions()["output"](*self._args(state, X, n))

    def ntk_vector(self, state: dict[str, Any], X: Any, n: float, w: Any) -> Any:
        """``Theta w`` for ``w`` of shape ``(m, k)``, without forming ``Theta``."""
        return self.functions()["ntk_vector"](*self._args(state, X, n), w)

    def ntk(self, state: dict[str, Any], X: Any, n: float) -> np.ndarray:
        """``Theta = J J^T / m`` over all ``m k`` outputs (sample-major), dense.

        The derived operator applied to each basis array: for small ``m k`` (else use
        :meth:`ntk_vector` in an eigensolver).
        """
        m, k = X.shape[0], self.outputs(state)
        basis = np.eye(m * k).reshape(m * k, m, k)
        return np.stack([np.asarray(self.ntk_vector(state, X, n, e)).reshape(-1) for e in basis])

    def loss(self, state: dict[str, Any], X: Any, Y: Any, n: float) -> float:
        """``|F - Y|^2 / (2m)`` (the trace of the printed ``R^T R / 2m``)."""
        return float(np.trace(self.functions()["loss"](*self._args(state, X, n), Y)))

    def top_ntk(self, state: dict[str, Any], X: Any, n: float) -> float:
        """The largest eigenvalue of :meth:`ntk`."""
        return float(np.linalg.eigvalsh(self.ntk(state, X, n))[-1])

    def blocks_from(self, matrices: dict[str, np.ndarray]) -> dict[str, Any]:
        """The blocks of explicit width-``n`` matrices (columns as ``(n, 1)`` arrays)."""
        out: dict[str, Any] = {}
        for (name, kind), (_, a, b) in zip(self.blocks, self.pairs, strict=True):
            value = matrices[a].T @ matrices[b]
            out[name] = float(value[0, 0]) if kind == "scalar" else value
        return out


def _split(name: str, matrices: Any) -> tuple[str, str, str]:
    """``B_<a>_<b>`` with underscores inside the names (``vel_U``): the matching split."""
    body = name[2:]
    for a in matrices:
        if body.startswith(a + "_") and body[len(a) + 1 :] in matrices:
            return "B", a, body[len(a) + 1 :]
    raise KeyError(name)


def _kind(block: Any) -> str:
    if not getattr(block, "is_Matrix", False):
        return "scalar"
    return "column" if block.shape[1] == 1 else "matrix"


def block_numeric(bm: BlockMap) -> BlockNumeric:
    """Print a :class:`BlockMap` (see the module docstring)."""
    from catapultlab.theory._printer import _printer

    X, Y = bm.data
    hyper = tuple(s.name for s in bm.step.symbols)
    head = [b.name for b in bm.blocks] + [X.name, WIDTH.name, DIM_IN.name, SAMPLES.name]
    head.append(OUTPUTS.name)
    printer = _printer()
    kinds = [_kind(b) for b in bm.blocks]
    lines: list[str] = []

    def function(name: str, args: list[str], exprs: list[tuple[Any, bool]]) -> None:
        temps: dict[str, str] = {}
        body = [_expr_text(e, printer, one, temps) for e, one in exprs]
        lines.append(f"def {name}({', '.join(args)}):")
        lines.extend(f"    {var} = {product}" for product, var in temps.items())
        lines.append(
            f"    return [{', '.join(body)}]" if len(body) > 1 else f"    return {body[0]}"
        )

    maps = [(e, k == "scalar") for e, k in zip(bm.maps, kinds, strict=True)]
    function("step", [*head, Y.name, ETA.name, *hyper], maps)
    function("output", head, [(bm.output, False)])
    function("ntk_vector", [*head, PROBE.name], [(bm.ntk_vector, False)])
    function("loss", [*head, Y.name], [(bm.loss, False)])
    source = "\n".join(lines)
    names = [name for name, _ in bm.matrices]
    return BlockNumeric(
        name=bm.name,
        step=bm.step.label,
        blocks=tuple((b.name, k) for b, k in zip(bm.blocks, kinds, strict=True)),
        pairs=tuple((b.name, *_split(b.name, names)[1:]) for b in bm.blocks),
        factors=tuple((name, "d" if cols == DIM_IN else "k") for name, cols in bm.matrices),
        hyper=hyper,
        source=source,
        imports=tuple(sorted(set(_used(printer)) | {("concatenate", "numpy")})),
        key=hashlib.sha256(source.encode()).hexdigest()[:16],
    )


def _used(printer: Any) -> list[tuple[str, str]]:
    return [(n, m) for m, names in printer.module_imports.items() for n in names]
