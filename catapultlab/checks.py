"""Small validators shared by the CLI and the Python API: bad input fails before any compute.

Every check raises :class:`~catapultlab.CatapultError` with one line that names the
input, the value given and the limit. The limits (documented in ``docs/limits.md``):

* widths: integers ``1 <= n < 2**53`` (beyond, float64 cannot hold every integer);
* seeds: integers ``0 <= seed < 2**32``;
* step budgets: ``1 <= steps <= 2**53`` (float64), ``< 2**24`` for float32 kernels
  (a float32 step counter is exact only below 2**24);
* grids: at most :data:`MAX_GRID_POINTS` values per axis and :data:`MAX_CELLS` cells;
* memory: an estimate above :func:`memory_limit` (half the machine's RAM, or
  ``$CATAPULTLAB_MEMORY_LIMIT`` bytes) is refused with the estimate.
* output paths: a result file needs an existing, writable directory and must not be a
  directory; a netCDF result never overwrites a file that is not netCDF; a figure needs a
  supported extension; a sweep's resume sidecar ``<out>.parts`` must be a directory if it
  exists; an output directory must not be a file and must be creatable.
"""

from __future__ import annotations

import math
import os
from numbers import Integral, Real
from pathlib import Path

from catapultlab._errors import CatapultError

__all__ = [
    "FIGURE_FORMATS",
    "check_figure_path",
    "check_output_dir",
    "check_output_file",
    "check_parts_path",
    "FLOAT32_MAX_STEPS",
    "MAX_CELLS",
    "MAX_GRID_POINTS",
    "MAX_STEPS",
    "MAX_WIDTH",
    "SEED_LIMIT",
    "check_cells",
    "check_full_model_size",
    "check_int",
    "check_memory",
    "check_numba_threads",
    "check_positive",
    "check_seed",
    "check_steps",
    "check_width",
    "memory_limit",
    "range_count",
]

MAX_WIDTH = 2**53
"""Widths must be below this (exclusive): float64 represents every integer below it."""

SEED_LIMIT = 2**32
"""Seeds must be in ``[0, SEED_LIMIT)``."""

MAX_STEPS = 2**53
"""Largest step budget (float64 kernels)."""

FLOAT32_MAX_STEPS = 2**24
"""float32 step budgets must be below this (exclusive)."""

MAX_GRID_POINTS = 10**5
"""Most values one range (``A:B:STEP``) may expand to."""

MAX_CELLS = 10**6
"""Most grid cells (c values x widths x labels) one sweep may have."""

MEMORY_ENV = "CATAPULTLAB_MEMORY_LIMIT"
"""Environment variable overriding :func:`memory_limit` (bytes, e.g. ``8e9``)."""


def _is_integral(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, Integral):
        return True
    return isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer()


def check_int(
    name: str, value: object, *, lo: int = 1, hi: int | None = None, limit: str = ""
) -> int:
    """``value`` as an int in ``[lo, hi)``; integral floats such as ``1e6`` are accepted.

    Example:
        >>> check_int("--ensemble", 1e3)
        1000
    """
    if not _is_integral(value):
        raise CatapultError(f"{name} must be an integer, got {value!r}")
    k = int(value)  # type: ignore[call-overload]
    if k < lo:
        raise CatapultError(f"{name} must be >= {lo}, got {k}")
    if hi is not None and k >= hi:
        raise CatapultError(f"{name} must be < {limit or hi}, got {value!r}")
    return k


def check_width(value: object, name: str = "width n", *, infinite: bool = False) -> float:
    """A width: an integer ``1 <= n < 2**53`` (or ``inf`` where ``infinite``: the limit).

    Example:
        >>> check_width(1e6), check_width(float("inf"), infinite=True)
        (1000000, inf)
    """
    if infinite and isinstance(value, float) and value == float("inf"):
        return value
    return check_int(name, value, lo=1, hi=MAX_WIDTH, limit="2^53 (exact integers in float64)")


def check_seed(value: object, name: str = "seed") -> int:
    """A seed: an integer ``0 <= seed < 2**32``."""
    return check_int(name, value, lo=0, hi=SEED_LIMIT, limit="2^32")


def check_steps(value: object, dtype: str = "float64", name: str = "step count") -> int:
    """A step budget: ``1 <= steps <= 2**53``, below ``2**24`` for float32."""
    if dtype == "float32":
        return check_int(
            name, value, lo=1, hi=FLOAT32_MAX_STEPS, limit="2^24 with float32 (exact step counts)"
        )
    return check_int(name, value, lo=1, hi=MAX_STEPS + 1, limit="2^53 + 1")


def check_positive(name: str, value: object) -> float:
    """A finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise CatapultError(f"{name} must be a finite number > 0, got {value!r}")
    if float(value) <= 0:
        raise CatapultError(f"{name} must be > 0, got {value!r}")
    return float(value)


def range_count(a: float, b: float, step: float, name: str) -> int:
    """Number of values of the inclusive range ``a:b:step`` (checked, before expanding it).

    Example:
        >>> range_count(1.0, 2.0, 0.25, "--c")
        5
    """
    for what, v in (("start", a), ("end", b), ("step", step)):
        if not math.isfinite(v):
            raise CatapultError(f"{name} range {what} must be finite, got {v!r}")
    if step <= 0:
        raise CatapultError(f"{name} range step must be > 0, got {step!r}")
    if b < a:
        raise CatapultError(f"{name} range is reversed: end {b!r} < start {a!r}")
    count = math.floor((b - a) / step + 1e-9) + 1
    if count > MAX_GRID_POINTS:
        raise CatapultError(
            f"{name} range {a!r}:{b!r}:{step!r} asks for {count:.4g} values; the limit is "
            f"{MAX_GRID_POINTS} per axis"
        )
    return count


def check_cells(*axes: int) -> int:
    """The number of grid cells (product of axis lengths), at most :data:`MAX_CELLS`."""
    cells = math.prod(axes)
    if cells > MAX_CELLS:
        shape = " x ".join(str(a) for a in axes)
        raise CatapultError(
            f"the grid has {cells} cells ({shape}); the limit is {MAX_CELLS} cells per sweep"
        )
    return cells


def memory_limit() -> int:
    """Bytes a run may plan to use: ``$CATAPULTLAB_MEMORY_LIMIT`` or half the RAM."""
    text = os.environ.get(MEMORY_ENV)
    if text:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and value >= 1):
            raise CatapultError(f"{MEMORY_ENV} must be a positive number of bytes, got {text!r}")
        return int(value)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def check_numba_threads() -> None:
    """Refuse a ``$NUMBA_NUM_THREADS`` that is not a positive integer (before Numba reads it).

    Numba fails on ``0`` with an error that names no variable, and ignores an unparsable
    value with a traceback-shaped warning.
    """
    text = os.environ.get("NUMBA_NUM_THREADS")
    if text is None:
        return
    if not (text.strip().isdigit() and int(text) >= 1):
        raise CatapultError(f"NUMBA_NUM_THREADS must be a positive integer, got {text!r}")


def _gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB"


def check_memory(nbytes: float, what: str) -> None:
    """Refuse a run whose memory estimate ``nbytes`` exceeds :func:`memory_limit`."""
    limit = memory_limit()
    source = f"{MEMORY_ENV}" if os.environ.get(MEMORY_ENV) else f"half the RAM; set {MEMORY_ENV}"
    if nbytes > limit:
        raise CatapultError(
            f"{what} needs about {_gib(nbytes)} of memory, more than the {_gib(limit)} "
            f"allowed ({source})"
        )


def existing_ancestor(path: Path) -> Path:
    """The nearest existing directory at or above ``path``."""
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


MAX_FULL_INPUTS = 4
"""Largest input dimension d of the symbolic full-model derivation."""

MAX_FULL_SAMPLES = 8
"""Largest sample count m of the symbolic full-model derivation."""


def check_full_model_size(inputs: object, samples: object) -> tuple[int, int]:
    """Sizes of the symbolic ``full`` model: ``1 <= d <= 4`` and ``1 <= m <= 8``.

    The derivation's cost grows steeply with d (``full_model`` on a shared 2-core
    machine: d = 4, m = 6 about 16 s; d = 4, m = 8 about 26 s; d = 6, m = 4 over 5
    minutes), so larger sizes are refused instead of running for hours.
    """
    d = check_int("--inputs", inputs, lo=1)
    m = check_int("--samples", samples, lo=1)
    if d > MAX_FULL_INPUTS or m > MAX_FULL_SAMPLES:
        raise CatapultError(
            f"full model with d = {d} inputs and m = {m} samples is too large to derive "
            f"symbolically (d = 6, m = 4 already takes over 5 minutes; the limit is "
            f"d <= {MAX_FULL_INPUTS}, m <= {MAX_FULL_SAMPLES})"
        )
    return d, m


# -- output paths ---------------------------------------------------------------------

FIGURE_FORMATS = ("png", "pdf", "svg", "eps", "ps", "jpg", "jpeg")
"""Figure file extensions the writers accept (matplotlib formats)."""

_NETCDF_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF")


def _writable_dir(directory: Path, what: str, path: Path) -> None:
    if not directory.is_dir():
        raise CatapultError(f"{what} {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CatapultError(f"{what} {path}: directory {directory} is not writable")


def check_output_file(
    path: str | os.PathLike[str], *, what: str = "--out", netcdf: bool = False
) -> Path:
    """Check a result file path before the work that produces it.

    Args:
        path: the file to be written (replaced atomically).
        what: how the path is named in messages (the option).
        netcdf: the file is netCDF: an existing non-netCDF file is never overwritten.

    Returns:
        The path.

    Raises:
        CatapultError: the path is a directory, its directory is missing or read-only,
            or (``netcdf``) an existing file there is not netCDF.
    """
    p = Path(path)
    if p.is_dir():
        raise CatapultError(f"{what} {p} is a directory; give a file name")
    _writable_dir(p.parent if str(p.parent) else Path("."), what, p)
    if p.exists() and not p.is_file():
        raise CatapultError(f"{what} {p} exists and is not a regular file")
    if netcdf and p.is_file() and p.stat().st_size > 0:
        with open(p, "rb") as fh:
            magic = fh.read(4)
        if magic not in _NETCDF_MAGIC:
            raise CatapultError(
                f"{what} {p} exists and is not a netCDF file; refusing to overwrite it"
            )
    return p


def check_figure_path(path: str | os.PathLike[str], *, what: str = "--figure") -> Path:
    """Check a figure path: supported extension, writable directory, not a directory."""
    p = Path(path)
    ext = p.suffix.lower().lstrip(".")
    if ext not in FIGURE_FORMATS:
        raise CatapultError(
            f"{what} {p}: unsupported figure extension {p.suffix or '(none)'!r}; use one of "
            + ", ".join(f".{f}" for f in FIGURE_FORMATS)
        )
    return check_output_file(p, what=what)


def check_parts_path(out: str | os.PathLike[str], *, what: str = "--out") -> Path:
    """Check the resume sidecar ``<out>.parts`` of a sweep result (a directory or absent)."""
    parts = Path(f"{os.fspath(out)}.parts")
    if parts.exists() and not parts.is_dir():
        raise CatapultError(
            f"{what} {out}: its resume directory {parts} exists and is not a directory"
        )
    return parts


def check_output_dir(path: str | os.PathLike[str], *, what: str = "--out") -> Path:
    """Check an output directory: not a file, and it or its nearest ancestor writable."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CatapultError(f"{what} {p} exists and is not a directory")
    base = existing_ancestor(p)
    if not base.is_dir():
        raise CatapultError(f"{what} {p}: {base} is not a directory")
    if not os.access(base, os.W_OK | os.X_OK):
        raise CatapultError(f"{what} {p}: directory {base} is not writable")
    return p
