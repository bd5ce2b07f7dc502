"""Generate Numba kernel source from a closed model's sympy maps.

The maps are never retyped: :func:`kernel_source` walks ``model.maps`` and
``model.loss``, hoists every sub-expression that depends only on the shared
parameters (``n``, labels, data) out of the loops, runs common-sub-expression
elimination on the rest and prints plain arithmetic with typed constants, so that
the float32 kernel never silently promotes to float64.

The kernel (one per dtype, in the same generated file) runs blocks of trajectories
in ``prange``; inside a block, ``lanes`` trajectories step together in an inner
loop that LLVM vectorises (no ``fastmath``: every lane does the same IEEE
operations, so results are bit-identical whatever lane, block or thread a
trajectory lands on). ``error_model="numpy"`` drops Python's zero-division checks
from the loops (the maps only divide by shared parameters, hoisted out of the loops,
so no result changes). A lane whose run is over is *frozen* (its state stops
changing, so it never wanders into subnormal numbers) and, every ``check_every``
steps, frozen lanes are listed (branch-free), written out with a branch-free phase
code and refilled from the block's queue of pending trajectories; once the queue
is empty, live lanes are compacted to the front so the vector loop never computes
idle lanes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sympy as sp

from catapultlab._phases import phase_code_source

__all__ = ["KernelSpec", "kernel_source", "kernel_spec", "GENERATOR_VERSION"]

GENERATOR_VERSION = "11"
"""Bump when the template changes: it is part of the cache key."""


@dataclass(frozen=True)
class KernelSpec:
    """What a generated kernel computes, in printable form.

    Attributes:
        state: names of the state variables, in the model's order.
        shared: names of the shared parameters (everything but ``eta``), in order.
        hoisted: ``(name, code)`` float64 assignments over shared parameters only.
        body: ``(name, code)`` per-lane assignments (common sub-expressions).
        new_state: code of the next value of each state variable.
        loss: code of the loss of the current state.
        loss_body: per-lane assignments the loss needs.
        stable: code of ``mu2``, the squared residual multiplier (``"zero"`` if none): a
            run counts as converged only where ``loss <= conv_loss`` and ``mu2 < 1``.
        stable_body: per-lane assignments ``mu2`` needs.
        key: a hash of everything above (the cache key).
    """

    state: tuple[str, ...]
    shared: tuple[str, ...]
    hoisted: tuple[tuple[str, str], ...]
    body: tuple[tuple[str, str], ...]
    new_state: tuple[str, ...]
    loss_body: tuple[tuple[str, str], ...]
    loss: str
    key: str
    stable: str = "zero"
    stable_body: tuple[tuple[str, str], ...] = ()


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
    reps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("c"), optimizations="basic")
    body = []
    for sym, expr in reps:
        names[sym] = sym.name
        body.append((sym.name, typed(expr)))
    new_state = tuple(typed(e) for e in reduced)
    lreps, (lred,) = sp.cse([loss_h], symbols=sp.numbered_symbols("l"))
    loss_body = []
    for sym, expr in lreps:
        names[sym] = sym.name
        loss_body.append((sym.name, typed(expr)))
    loss_code = typed(lred)
    stable_body: list[tuple[str, str]] = []
    stable_code = "zero"
    if stable_h is not None:
        sreps, (sred,) = sp.cse([stable_h], symbols=sp.numbered_symbols("m"))
        for sym, expr in sreps:
            names[sym] = sym.name
            stable_body.append((sym.name, typed(expr)))
        stable_code = typed(sred)
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
            GENERATOR_VERSION,
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
    )


def _indent(lines: list[str], k: int) -> str:
    pad = " " * k
    return "\n".join(pad + line for line in lines)


_TEMPLATE = """\
\"\"\"Generated by catapultlab.sim._codegen (version {version}); do not edit. Key {key}.\"\"\"
import numpy as np
import numba as nb
from numba import prange

DT = np.{dtype}


@nb.njit(parallel=True, cache=True, nogil=True, boundscheck=False, error_model="numpy"{fastmath})
def run(state0, eta, shared, conv_loss, div_loss, rise_tol, max_steps, lanes, unused,
        block_size, out_state, out_peak, out_tpeak, out_steps, out_phase):
    \"\"\"Run every trajectory to its stop; see catapultlab.sim._codegen.\"\"\"
    B = eta.shape[0]
    if B == 0:
        return
{unpack_shared}
{hoisted}
    convL = DT(conv_loss)
    divL = DT(div_loss)
    rtol = DT(rise_tol)
    Tmax = DT(max_steps)
    one = DT(1.0)
    zero = DT(0.0)
    nblocks = (B + block_size - 1) // block_size
    for blk in prange(nblocks):
        lo = blk * block_size
        hi = min(B, lo + block_size)
        L = min(lanes, hi - lo)
{alloc}
        et_a = np.empty(L, DT)
        pk_a = np.empty(L, DT)
        tp_a = np.empty(L, DT)
        tt_a = np.empty(L, DT)
        dn_a = np.zeros(L, DT)
        l0_a = np.empty(L, DT)
        idx = np.empty(L, np.int64)
        dl = np.empty(L, np.int64)
        nxt = lo
        for i in range(L):
            j = nxt
            nxt += 1
{load_lane}
        nact = L
        while nact > 0:
            nd = 0
            for i in range(nact):
{read_lane}
                et = et_a[i]
                t = tt_a[i]
                pk = pk_a[i]
                tp = tp_a[i]
{steps}
{write_lane}
                tt_a[i] = t
                pk_a[i] = pk
                tp_a[i] = tp
                dn_a[i] = zero if live else one
            for i in range(nact):
                if dn_a[i] != zero:
                    nd += 1
            if nd == 0 or (nd * 16 < nact and nxt < hi):
                continue
            m = 0
            for i in range(nact):  # the finished lanes, listed without a branch
                dl[m] = i
                m += 0 if dn_a[i] == zero else 1
            for q in range(m):
                i = dl[q]
{read_lane_scan}
                et = et_a[i]
{loss_scan}
                j = idx[i]
{store_out}
                out_peak[j] = pk_a[i]
                out_tpeak[j] = np.int64(tp_a[i])
                out_steps[j] = np.int64(tt_a[i])
                dv = np.int64(not (loss <= divL))
                cv = np.int64((loss <= convL) & (mu2 < one))
                rs = np.int64(pk_a[i] > l0_a[i])
                out_phase[j] = np.int8({phase_code})
            take = min(m, hi - nxt)
            for q in range(take):
                i = dl[q]
                j = nxt + q
{load_lane_scan}
            nxt += take
            if take < m:  # queue empty: compact the live lanes to the front
                k = 0
                for i in range(nact):
                    if dn_a[i] == zero:
{move_last}
                        et_a[k] = et_a[i]
                        pk_a[k] = pk_a[i]
                        tp_a[k] = tp_a[i]
                        tt_a[k] = tt_a[i]
                        dn_a[k] = dn_a[i]
                        l0_a[k] = l0_a[i]
                        idx[k] = idx[i]
                        k += 1
                nact = k
"""


_MAP_TEMPLATE = """\


@nb.njit(parallel=True, cache=True, nogil=True, boundscheck=False, error_model="numpy"{fastmath})
def run_map(state0, eta, shared, steps, lanes, out_state):
    \"\"\"The map alone, ``steps`` times per trajectory: no loss, stopping or peak (bench ceiling).\"\"\"
    B = eta.shape[0]
    if B == 0:
        return
{unpack_shared}
{hoisted}
    nblocks = (B + lanes - 1) // lanes
    for blk in prange(nblocks):
        lo = blk * lanes
        L = min(B, lo + lanes) - lo
{alloc}
        et_a = np.empty(L, DT)
        for i in range(L):
{load}
            et_a[i] = DT(eta[lo + i])
        for _ in range(steps):
            for i in range(L):
{read}
                et = et_a[i]
{body}
{write}
        for i in range(L):
{store}
"""


def _loss_lines(spec: KernelSpec) -> list[str]:
    lines = [f"{n} = {c}" for n, c in spec.loss_body] + [f"loss = {spec.loss}"]
    lines += [f"{n} = {c}" for n, c in spec.stable_body] + [f"mu2 = {spec.stable}"]
    return lines


def _check_lines() -> list[str]:
    return [
        "live = ((loss > convL) | (mu2 >= one)) & (loss <= divL) & (t < Tmax)",
        "up = loss > pk",
        "pk = loss if up else pk",
        "tp = t if up else tp",
    ]


def _step_lines(spec: KernelSpec) -> list[str]:
    lines = _loss_lines(spec) + _check_lines()
    lines += [f"{n} = {c}" for n, c in spec.body]
    lines += [f"n{q} = {code}" for q, code in enumerate(spec.new_state)]
    lines += [f"{s} = n{q} if live else {s}" for q, s in enumerate(spec.state)]
    lines += ["t = t + one if live else t"]
    return lines


def _load_lane(spec: KernelSpec, k: int) -> str:
    lines = [f"{s}_a[i] = DT(state0[{q}, j])" for q, s in enumerate(spec.state)]
    lines += [f"{s} = {s}_a[i]" for s in spec.state]
    lines += ["et_a[i] = DT(eta[j])", "et = et_a[i]"]
    lines += _loss_lines(spec)
    lines += [
        "pk_a[i] = loss",
        "tp_a[i] = zero",
        "tt_a[i] = zero",
        "dn_a[i] = zero",
        "l0_a[i] = loss * (one + rtol)",
        "idx[i] = j",
    ]
    return _indent(lines, k)


def kernel_source(spec: KernelSpec, dtype: str, *, unroll: int = 8, contract: bool = False) -> str:
    """Python source of the kernel module for ``dtype`` (``"float64"`` or ``"float32"``).

    The module defines ``run`` (the ensemble kernel) and ``run_map`` (the bare map with
    no stopping, loss or peak: the ceiling ``catapultlab bench`` compares against).

    Args:
        spec: the printable kernel pieces.
        dtype: ``"float64"`` or ``"float32"``.
        unroll: steps done per lane between loads and stores (state stays in registers).
        contract: allow fused multiply-add (changes results at the rounding level).
    """
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be float64 or float32, got {dtype!r}")
    unpack = []
    for i, p in enumerate(spec.shared):
        unpack += [f"{p}_64 = shared[{i}]", f"{p} = DT({p}_64)"]
    hoisted = []
    for name, code in spec.hoisted:
        base = name[: -len("_64")]
        hoisted.append(f"{name} = {code}")
        hoisted.append(f"{base} = DT({name})")
    alloc = [f"{s}_a = np.empty(L, DT)" for s in spec.state]
    read = [f"{s} = {s}_a[i]" for s in spec.state]
    write = [f"{s}_a[i] = {s}" for s in spec.state]
    store = [f"out_state[{q}, j] = {s}_a[i]" for q, s in enumerate(spec.state)]
    move = [f"{s}_a[k] = {s}_a[i]" for s in spec.state]
    steps = []
    for _ in range(unroll):
        steps += _step_lines(spec)
    steps += _loss_lines(spec) + _check_lines()
    map_only = _MAP_TEMPLATE.format(
        fastmath=", fastmath={'contract'}" if contract else "",
        unpack_shared=_indent(unpack, 4) if unpack else "    pass",
        hoisted=_indent(hoisted, 4) if hoisted else "    pass",
        alloc=_indent(alloc, 8),
        load=_indent([f"{s}_a[i] = DT(state0[{q}, lo + i])" for q, s in enumerate(spec.state)], 12),
        read=_indent(read, 16),
        body=_indent(
            [f"{n} = {c}" for n, c in spec.body]
            + [f"n{q} = {code}" for q, code in enumerate(spec.new_state)],
            16,
        ),
        write=_indent([f"{s}_a[i] = n{q}" for q, s in enumerate(spec.state)], 16),
        store=_indent([f"out_state[{q}, lo + i] = {s}_a[i]" for q, s in enumerate(spec.state)], 12),
    )
    source = _TEMPLATE.format(
        version=GENERATOR_VERSION,
        key=spec.key,
        dtype=dtype,
        fastmath=", fastmath={'contract'}" if contract else "",
        unpack_shared=_indent(unpack, 4) if unpack else "    pass",
        hoisted=_indent(hoisted, 4) if hoisted else "    pass",
        alloc=_indent(alloc, 8),
        load_lane=_load_lane(spec, 12),
        read_lane=_indent(read, 16),
        steps=_indent(steps, 16),
        write_lane=_indent(write, 16),
        read_lane_scan=_indent(read, 16),
        loss_scan=_indent(_loss_lines(spec), 16),
        store_out=_indent(store, 16),
        load_lane_scan=_load_lane(spec, 16),
        phase_code=phase_code_source("dv", "cv", "rs"),
        move_last=_indent(move, 24),
    )
    return source + map_only
