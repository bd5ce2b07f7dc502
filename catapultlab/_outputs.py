"""Output paths checked before any work starts: one line naming the path and the problem.

A result file needs an existing, writable directory; it must not be a directory itself;
a netCDF result never overwrites an existing file that is not netCDF; a figure needs a
supported extension; a sweep's resume sidecar ``<out>.parts`` must be a directory if it
exists. Output directories (``reproduce --out``) must not be files and must be creatable.
"""

from __future__ import annotations

import os
from pathlib import Path

from catapultlab._checks import existing_ancestor
from catapultlab._errors import CatapultError

__all__ = [
    "FIGURE_FORMATS",
    "check_figure_path",
    "check_output_dir",
    "check_output_file",
    "check_parts_path",
]

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
