"""Lazy public APIs: a package names its exports, they are imported on first use.

This keeps ``import catapultlab.<layer>._cli`` (and so the CLI) free of sympy,
numba and jax until a command actually needs them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, where: Mapping[str, Sequence[str]], *, base: str | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Args:
        package: the package's (or public module's) ``__name__``.
        where: private submodule name (``"_model"``) -> the public names it defines.
        base: the package those submodules live in (default ``package`` itself; a public
            module such as ``catapultlab.io`` names its parent package).

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package's ``__init__``.
    """
    module_of = {name: mod for mod, names in where.items() for name in names}

    def getattr_(name: str) -> Any:
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{base or package}.{module_of[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(module_of))

    return getattr_, dir_
