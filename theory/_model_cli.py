"""Model selection on the command line, shared by ``derive``, ``simulate`` and ``sweep``.

``MODEL`` is a built-in name (``uv``, ``full``) or ``--spec FILE.py:FUNC`` names a
function returning a :class:`catapultlab.theory.ModelSpec`. ``--momentum B``
(``--nesterov``) and ``--weight-decay K`` set the step rule of either.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from catapultlab import CatapultError
from catapultlab.theory._builtins import BUILTIN
from catapultlab.theory._stepkind import StepKind, step_from_flags

__all__ = ["model_options", "load_spec", "resolve_model"]


def model_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``MODEL``, ``--spec``, ``--momentum``, ``--nesterov``, ``--weight-decay``."""
    options = [
        click.argument("model", required=False),
        click.option(
            "--spec",
            "spec_ref",
            default=None,
            help="your own model: FILE.py:FUNC, FUNC() returning a ModelSpec (instead of MODEL).",
        ),
        click.option(
            "--momentum",
            type=float,
            default=None,
            help="heavy-ball momentum beta in [0, 1) (optax/PyTorch convention).",
        ),
        click.option("--nesterov", is_flag=True, help="Nesterov momentum (with --momentum)."),
        click.option(
            "--weight-decay",
            type=float,
            default=None,
            help="L2 weight decay kappa (added to the gradient).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@contextlib.contextmanager
def _isolated(what: str) -> Iterator[None]:
    """Run a user's code apart from the command's output.

    What it prints goes to stderr (stdout carries the JSON), an exception or a
    ``sys.exit`` becomes one line (a spec that exits must not end the command with
    status 0 and no output).
    """
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except CatapultError:
        raise
    except (Exception, SystemExit) as err:  # noqa: BLE001 - a user's file: one line
        kind = "called sys.exit" if isinstance(err, SystemExit) else type(err).__name__
        raise CatapultError(f"--spec: {what} failed: {kind}: {err}") from None


def load_spec(reference: str) -> Any:
    """Import ``FILE.py:FUNC`` and call it; it must return a ModelSpec (or a BlockSpec).

    Raises:
        CatapultError: a missing file or function, an import error, or another return type.
    """
    from catapultlab.theory._block import BlockSpec
    from catapultlab.theory._spec import ModelSpec  # a user's spec: SymPy is needed anyway

    path_text, sep, name = reference.rpartition(":")
    if not sep or not path_text or not name:
        raise CatapultError(f"--spec must be FILE.py:FUNC, got {reference!r}")
    path = Path(path_text)
    if not path.is_file():
        raise CatapultError(f"--spec: no such file {path}")
    module_spec = importlib.util.spec_from_file_location(f"_catapultlab_spec_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise CatapultError(f"--spec: cannot import {path}")
    module = importlib.util.module_from_spec(module_spec)
    with _isolated(f"importing {path}"):
        module_spec.loader.exec_module(module)
    func = getattr(module, name, None)
    if not callable(func):
        raise CatapultError(f"--spec: {path} has no function {name!r}")
    with _isolated(f"{name}()"):
        spec = func()
    if not isinstance(spec, ModelSpec | BlockSpec):
        raise CatapultError(
            f"--spec: {name}() returned {type(spec).__name__}, not a ModelSpec or a BlockSpec"
        )
    return spec


def resolve_model(
    model: str | None,
    spec_ref: str | None,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float | None,
) -> tuple[Any, StepKind, tuple[tuple[str, float], ...]]:
    """The model source (a built-in name or a ModelSpec), the step rule and its values.

    The step rule comes from the flags (:func:`step_from_flags`); a spec file's own step
    rule stands unless flags override it. A built-in name costs no SymPy import.

    Args:
        model: a built-in model name, or ``None`` with ``spec_ref``.
        spec_ref: ``FILE.py:FUNC`` of a declaration.
        momentum: ``--momentum``.
        nesterov: ``--nesterov``.
        weight_decay: ``--weight-decay``.

    Raises:
        CatapultError: neither or both of MODEL and --spec, an unknown name, bad values.
    """
    if (model is None) == (spec_ref is None):
        raise CatapultError("give a MODEL (uv or full) or --spec FILE.py:FUNC, not both")
    if model is not None and model not in BUILTIN:
        raise CatapultError(
            f"unknown model {model!r}; choose one of {', '.join(BUILTIN)} or --spec FILE.py:FUNC"
        )
    step, hyper = step_from_flags(momentum, nesterov, weight_decay)
    if model is not None:
        return model, step, hyper
    source = load_spec(spec_ref)  # type: ignore[arg-type]
    if not hasattr(source, "step"):  # a BlockSpec: its step rule comes from the flags
        return source, step, hyper
    if step.kind == "gd" and not step.weight_decay:
        own = source.step  # a spec file's own step rule stands unless flags override it
        if own.has_velocity or own.weight_decay:
            raise CatapultError(
                f"{source.name!r} declares the step rule {own.label}: give its values with "
                "--momentum/--weight-decay"
            )
        step = StepKind(own.kind, own.weight_decay)
    return source, step, hyper
