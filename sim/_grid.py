"""The c grid and the widths of a sweep, parsed from the command line's text."""

from __future__ import annotations

import math

from catapultlab import CatapultError
from catapultlab.checks import MAX_GRID_POINTS, check_width, range_count
from catapultlab.sim._ensemble import (
    validate_common,
)

__all__ = ["parse_c_range", "parse_widths"]


def parse_c_range(text: str, name: str = "--c") -> tuple[float, ...]:
    """Parse ``A:B:STEP`` (inclusive) or a comma list into c values (or ``--eta`` values).

    Example:
        >>> parse_c_range("1:2:0.5")
        (1.0, 1.5, 2.0)
    """
    parts = text.split(":") if ":" in text else [v for v in text.split(",") if v.strip()]
    try:
        nums = [float(v) for v in parts]
    except ValueError:
        raise CatapultError(f"cannot parse {name} {text!r}: expected A:B:STEP or a list") from None
    if ":" in text:
        if len(nums) != 3:
            raise CatapultError(f"{name} range {text!r} needs exactly A:B:STEP")
        a, b, step = nums
        k = range_count(a, b, step, name)
        nums = [float(round(a + i * step, 12)) for i in range(k)]
    if not nums:
        raise CatapultError(f"{name} range {text!r} is empty")
    if len(nums) > MAX_GRID_POINTS:
        raise CatapultError(f"{name} lists {len(nums)} values; the limit is {MAX_GRID_POINTS}")
    for c in nums:
        if not (math.isfinite(c) and c > 0):
            raise CatapultError(f"{name} values must be finite and > 0, got {c!r}")
        validate_common(c=c)
    if nums != sorted(set(nums)):
        raise CatapultError(f"{name} values must be increasing, got {text!r}")
    return tuple(nums)


def parse_widths(text: str) -> tuple[float, ...]:
    """Parse ``N1,N2,...`` (``1e6`` accepted; ``inf`` for the infinite-width limit).

    Each finite width is an integer below 2**53; ``inf`` sorts last.

    Example:
        >>> parse_widths("inf,1e4,100")
        (100, 10000, inf)
    """
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if part.lower() in ("inf", "infinity"):
            out.append(float("inf"))
            continue
        try:
            v = float(part)
        except ValueError as exc:
            raise CatapultError(f"width must be an integer >= 1 or inf, got {part!r}") from exc
        out.append(check_width(v))
    if not out:
        raise CatapultError("--n needs at least one width")
    return tuple(sorted(set(out)))
