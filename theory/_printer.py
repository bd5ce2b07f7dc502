"""SymPy expressions printed as the source of plain NumPy functions (no SymPy to run them).

:func:`function_source` prints one function the way :func:`sympy.lambdify` builds it
(SymPy's public :class:`~sympy.printing.numpy.NumPyPrinter`, the same settings, optional
common sub-expression elimination), so the printed function computes exactly what the
lambdified one does, operation for operation. The source is kept as text in the
:class:`~catapultlab.theory.NumericModel` and compiled with :func:`compile_functions`;
nothing is read back from a live function object.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

__all__ = ["ALLOWED_MODULES", "PrintedFunction", "function_source", "compile_functions"]

ALLOWED_MODULES = ("numpy", "functools", "math")
"""Modules printed code may take names from."""


class PrintedFunction:
    """Source of one function and the ``(name, module)`` pairs its body uses."""

    def __init__(self, source: str, imports: tuple[tuple[str, str], ...]) -> None:
        self.source = source
        self.imports = imports


def _printer() -> NumPyPrinter:
    return NumPyPrinter(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {},
        }
    )


def function_source(
    name: str, args: Sequence[sp.Symbol], expr: Any, *, cse: bool = False
) -> PrintedFunction:
    """The source of ``def name(*args): return expr`` as NumPy code.

    Args:
        name: the function's name.
        args: its arguments (symbols whose names are Python identifiers).
        expr: an expression, or nested lists/tuples of them.
        cse: eliminate common sub-expressions first (``x0 = ...`` lines), as
            ``lambdify(..., cse=True)`` does.

    Returns:
        The printed function.

    Example:
        >>> x, y = sp.symbols("x y")
        >>> print(function_source("f", (x, y), [x * y + y, x * y], cse=True).source)
        def f(x, y):
            x0 = x*y
            return [x0 + y, x0]
    """
    for a in args:
        if not a.name.isidentifier():
            raise ValueError(f"argument {a.name!r} is not a Python identifier")
    printer = _printer()
    reps, body = sp.cse(expr, list=False) if cse else ([], expr)
    lines = [f"def {name}({', '.join(a.name for a in args)}):"]
    lines += [f"    {sym} = {printer.doprint(value)}" for sym, value in reps]
    lines.append(f"    return {printer.doprint(body)}")
    imports = []
    for module, names in sorted(printer.module_imports.items()):
        if module not in ALLOWED_MODULES:
            raise ValueError(f"printed code would need {module!r}")
        imports += [(n, module) for n in sorted(names)]
    return PrintedFunction("\n".join(lines), tuple(imports))


def compile_functions(
    source: str, imports: Sequence[Sequence[str]], label: str, *, array_module: str = "numpy"
) -> dict[str, Any]:
    """Compile printed functions: ``{name: function}`` of every ``def`` in ``source``.

    Args:
        source: the functions' source (from :func:`function_source`).
        imports: ``(name, module)`` pairs the bodies use (modules in :data:`ALLOWED_MODULES`).
        label: a name for tracebacks.
        array_module: the module NumPy's names are taken from (``"jax.numpy"`` gives the
            same functions on JAX arrays, traceable by ``jax.jit``).
    """
    namespace: dict[str, Any] = {}
    for name, module in imports:
        if module not in ALLOWED_MODULES:
            raise ValueError(f"printed code may not use {module!r}")
        source_module = array_module if module == "numpy" else module
        namespace[name] = getattr(importlib.import_module(source_module), name)
    before = set(namespace)
    exec(compile(source, f"<catapultlab {label}>", "exec"), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if k not in before and callable(v)}
