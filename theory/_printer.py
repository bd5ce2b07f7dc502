"""SymPy expressions printed as the source of plain NumPy functions (no SymPy to run them).

:func:`function_source` prints one function the way :func:`sympy.lambdify` builds it
(SymPy's public :class:`~sympy.printing.numpy.NumPyPrinter`, the same settings, optional
common sub-expression elimination), so the printed function computes exactly what the
lambdified one does, operation for operation. The source is kept as text in the
:class:`~catapultlab.theory.NumericModel` and compiled (without SymPy) by
:func:`catapultlab.theory._numeric.compile_functions`; nothing is read back from a live
function object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from catapultlab.theory._numeric import ALLOWED_MODULES

__all__ = ["PrintedFunction", "function_source"]


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
