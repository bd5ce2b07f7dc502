"""What a generated kernel computes, as printable pieces: the SymPy half of code generation.

The maps are never retyped: :func:`kernel_spec` walks a closed model's maps, loss and
squared residual multiplier, hoists every sub-expression that depends only on the shared
parameters (``n``, labels, data, step-rule values) out of the loops, rewrites each map in
its cheapest increment form, runs common-sub-expression elimination on the rest and
prints plain arithmetic with typed constants (``DT(...)``), so that a float32 kernel never
silently promotes to float64. The result, a :class:`KernelSpec`, is plain text: part of a
model's :class:`~catapultlab.theory.NumericModel`, turned into loops by the simulator's
templates (:mod:`catapultlab.sim._codegen`) without SymPy.
"""

from __future__ import annotations

import hashlib

import sympy as sp

from catapultlab.theory._numeric import KernelSpec

__all__ = ["kernel_spec"]


class _Printer:
    """Print polynomial / sqrt expressions as typed Python arithmetic for Numba."""

    def __init__(self, names: dict[sp.Symbol, str], typed: bool) -> None:
        self.names = names
        self.typed = typed

    def num(self, value: sp.Expr) -> str:
        text = repr(float(value))
        return f"DT({text})" if self.typed else text

    def __call__(self, e: sp.Expr) -> str:  # noqa: C901 - a small dispatcher
        if isinstance(e, sp.Symbol):
            return self.names[e]
        if e.is_Number:
            return self.num(e)
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self(a) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            coef, factors = e.as_coeff_mul()
            parts = [self(f) for f in factors]
            if coef != 1:
                parts.insert(0, self.num(coef))
            return "(" + " * ".join(parts) + ")"
        if isinstance(e, sp.Pow):
            base, ex = e.args
            b = self(base)
            if ex.is_Integer:
                k = int(ex)
                prod = " * ".join([b] * abs(k))
                return f"({prod})" if k > 0 else f"({self.num(1)} / ({prod}))"
            if ex == sp.Rational(1, 2):
                return f"np.sqrt({b})"
            if ex == -sp.Rational(1, 2):
                return f"({self.num(1)} / np.sqrt({b}))"
            if ex.is_Rational:
                return f"({b} ** {self.num(ex)})"
        raise TypeError(f"cannot generate kernel code for {type(e).__name__}: {e}")


def _hoist(e: sp.Expr, shared: frozenset[sp.Symbol], table: dict[sp.Expr, sp.Symbol]) -> sp.Expr:
    """Replace maximal shared-only products and sums by symbols recorded in ``table``."""
    if e.is_Atom:
        return e
    if e.free_symbols and e.free_symbols <= shared and not isinstance(e, sp.Symbol):
        if e not in table:
            table[e] = sp.Symbol(f"h{len(table)}")
        return table[e]
    if isinstance(e, sp.Mul | sp.Add):
        inside = [a for a in e.args if a.free_symbols and a.free_symbols <= shared]
        rest = [a for a in e.args if not (a.free_symbols and a.free_symbols <= shared)]
        if len(inside) >= 1 and (len(inside) > 1 or not isinstance(inside[0], sp.Symbol)):
            grouped = _hoist(e.func(*inside), shared, table)
            return e.func(grouped, *(_hoist(a, shared, table) for a in rest))
        return e.func(*(_hoist(a, shared, table) for a in e.args))
    return e.func(*(_hoist(a, shared, table) for a in e.args))


def _fewest_ops(e: sp.Expr, depth: int = 0) -> sp.Expr:
    """A form of ``e`` with fewer operations: factor, or collect in one symbol, recursively.

    A greedy search over ``factor`` and ``collect`` (coefficients simplified the same
    way, ``depth`` levels down), keeping whichever form has the fewest operations. For
    the uv map increment ``-eta r (n lam - eta f r) / n`` (``r = f - y``) it finds the
    nested form that the expanded polynomial hides: 13 operations instead of 20 for
    both maps after CSE.
    """
    if e.is_Atom:
        return e
    if not isinstance(e, sp.Add):
        return e.func(*(_fewest_ops(a, depth) for a in e.args))
    candidates = [e]
    factored = sp.factor(e) if sp.count_ops(e) <= 200 else e
    if not isinstance(factored, sp.Add):
        candidates.append(_fewest_ops(factored, depth))
    if depth < 3 and sp.count_ops(e) <= 60 and len(e.free_symbols) <= 6:
        for s in sorted(e.free_symbols, key=str):
            parts = sp.collect(e, s, evaluate=False)
            if len(parts) > 1 or (len(parts) == 1 and next(iter(parts)) != 1):
                candidates.append(
                    sp.Add(*(k * _fewest_ops(v, depth + 1) for k, v in parts.items()))
                )
    return min(candidates, key=sp.count_ops)


def _cheapest(s: sp.Symbol, expr: sp.Expr, max_ops: int = 200) -> sp.Expr:
    """``expr`` or ``s + (expr - s)`` rewritten with fewer operations, whichever is cheaper.

    The increment form is usually both cheaper and more accurate near a fixed point
    (it is proportional to the residual); large expressions are left alone because
    multivariate factoring gets slow.
    """
    if sp.count_ops(expr) > max_ops:
        return expr
    rewritten = s + _fewest_ops(sp.expand(expr - s))
    return rewritten if sp.count_ops(rewritten) < sp.count_ops(expr) else expr


def _printed(
    exprs: list[sp.Expr], prefix: str, typed: _Printer, optimizations: str | None = None
) -> tuple[list[tuple[str, str]], tuple[str, ...]]:
    """Common sub-expressions ``(name, code)`` named ``<prefix>0, ...`` and the reduced codes.

    The names are added to the printer's table, so later pieces may use them.
    """
    reps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols(prefix), optimizations=optimizations)
    body = []
    for sym, expr in reps:
        typed.names[sym] = sym.name
        body.append((sym.name, typed(expr)))
    return body, tuple(typed(e) for e in reduced)


def kernel_spec(
    state: tuple[sp.Symbol, ...],
    params: tuple[sp.Symbol, ...],
    maps: dict[sp.Symbol, sp.Expr],
    loss: sp.Expr,
    stable: sp.Expr | None = None,
) -> KernelSpec:
    """Turn a closed model's maps and loss into printable kernel pieces.

    Args:
        state: state symbols.
        params: parameter symbols; the first must be the learning rate ``eta``
            (per trajectory), the others are shared by every trajectory of a call.
        maps: next value of each state symbol.
        loss: the loss in the state and parameters.
        stable: the squared residual multiplier ``mu^2`` (``None``: no stability test).

    Returns:
        The kernel spec, with a content hash as ``key``.
    """
    if params[0].name != "eta":
        raise ValueError("the first parameter must be eta")
    shared_syms = params[1:]
    names: dict[sp.Symbol, str] = {s: f"s{i}" for i, s in enumerate(state)}
    names[params[0]] = "et"
    names |= {p: f"p{i}" for i, p in enumerate(shared_syms)}
    table: dict[sp.Expr, sp.Symbol] = {}
    shared = frozenset(shared_syms)
    exprs = [_hoist(_cheapest(s, maps[s]), shared, table) for s in state]
    loss_h = _hoist(_fewest_ops(sp.expand(loss)), shared, table)
    stable_h = None if stable is None else _hoist(_fewest_ops(sp.expand(stable)), shared, table)
    names64 = {p: f"{names[p]}_64" for p in shared_syms}
    hoisted_printer = _Printer(names64, typed=False)
    hoisted: list[tuple[str, str]] = []
    for expr, sym in table.items():
        names[sym] = f"{sym.name}"
        hoisted.append((f"{sym.name}_64", hoisted_printer(expr)))
    typed = _Printer(names, typed=True)
    body, new_state = _printed(exprs, "c", typed, optimizations="basic")
    loss_body, (loss_code,) = _printed([loss_h], "l", typed)
    stable_body: list[tuple[str, str]] = []
    stable_code = "zero"
    if stable_h is not None:
        stable_body, (stable_code,) = _printed([stable_h], "m", typed)
    text = repr(
        (
            tuple(names[s] for s in state),
            hoisted,
            body,
            new_state,
            loss_body,
            loss_code,
            stable_body,
            stable_code,
        )
    )
    key = hashlib.sha256(text.encode()).hexdigest()[:20]
    return KernelSpec(
        state=tuple(names[s] for s in state),
        shared=tuple(names[p] for p in shared_syms),
        hoisted=tuple(hoisted),
        body=tuple(body),
        new_state=new_state,
        loss_body=tuple(loss_body),
        loss=loss_code,
        key=key,
        stable=stable_code,
        stable_body=tuple(stable_body),
        ops=int(sum(sp.count_ops(e) for e in maps.values())),
    )
