"""Click options shared by the sim commands, each checked by the shared validators.

A value is checked when click parses it, so a bad one is refused in one line before any
model is built (``catapultlab.checks``).
"""

from __future__ import annotations

import math
from typing import Any

import click

from catapultlab import CatapultError
from catapultlab.checks import check_int, check_positive
from catapultlab.theory import FULL_DEFAULT_SIZE

__all__ = ["FINITE", "INPUTS", "POSITIVE", "SAMPLES", "check_finite", "finite_or_none"]


def check_finite(name: str, value: Any) -> float:
    """A finite real number (a label, an initial output)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CatapultError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def finite_or_none(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Click callback: ``None`` passes, anything else must be finite."""
    return None if value is None else check_finite(param.opts[0], value)


FINITE = {"type": float, "callback": finite_or_none}
"""Keyword arguments of a float option that must be finite."""


def _positive_or_none(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    return None if value is None else check_positive(param.opts[0], value)


POSITIVE = {"type": float, "callback": _positive_or_none}
"""Keyword arguments of a float option that must be finite and > 0 (an NTK eigenvalue)."""


def _at_least_one(ctx: click.Context, param: click.Parameter, value: Any) -> int:
    return check_int(param.opts[0], value, lo=1)


INPUTS = click.option(
    "--inputs",
    "-d",
    type=int,
    default=FULL_DEFAULT_SIZE[0],
    show_default=True,
    callback=_at_least_one,
    help="full model: input dimension d.",
)
SAMPLES = click.option(
    "--samples",
    "-m",
    type=int,
    default=FULL_DEFAULT_SIZE[1],
    show_default=True,
    callback=_at_least_one,
    help="full model: number of samples m.",
)
