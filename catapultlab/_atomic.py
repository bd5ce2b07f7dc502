"""The one atomic file write used by every writer (results, figures, caches, reports).

A file appears at its final path complete or not at all: the content goes to a temporary
file in the same directory (``.tmp_<stem>_XXXX<suffix>``, so writers that infer a format
from the suffix still work), is flushed to disk, given the mode a plain ``open`` would
give (``0o666`` minus the umask) and moved over the target with :func:`os.replace`. On
any error, Ctrl-C included, the temporary file is removed and the target is untouched;
an ``OSError`` becomes one :class:`~catapultlab.CatapultError` line naming the path. A
process killed outright (SIGKILL) cannot clean up: the next write of the same target
removes such leftovers once they are :data:`STALE_AFTER_S` old, and a sweep, which holds
its output's lock, removes them at once.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from catapultlab._errors import CatapultError

__all__ = [
    "STALE_AFTER_S",
    "TMP_PREFIX",
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "remove_stale_temps",
    "temp_pattern",
    "umask",
]

TMP_PREFIX = ".tmp_"
"""First characters of every temporary file (``.tmp_<stem>_XXXX<suffix>``)."""

STALE_AFTER_S = 3600.0
"""A temporary file of a target untouched this long was left by a killed writer."""


def temp_pattern(path: str | os.PathLike[str]) -> str:
    """The glob of ``path``'s temporary files, as :func:`atomic_path` names them.

    Example:
        >>> temp_pattern("out/sweep.nc")
        '.tmp_sweep_*.nc'
    """
    final = Path(path)
    return f"{TMP_PREFIX}{final.stem}_*{final.suffix}"


def remove_stale_temps(path: str | os.PathLike[str], older_than: float = STALE_AFTER_S) -> int:
    """Remove temporary files of ``path`` a killed writer left (idle ``older_than`` seconds).

    ``older_than=0`` removes every one: only for a caller that holds the target's lock.
    Returns how many were removed.
    """
    import time

    final = Path(path)
    now, removed = time.time(), 0
    try:
        for p in final.parent.glob(temp_pattern(final)):
            with contextlib.suppress(OSError):
                if now - p.stat().st_mtime >= older_than:
                    p.unlink()
                    removed += 1
    except OSError:
        return removed
    return removed


def umask() -> int:
    """The process umask (read without changing it where ``/proc`` allows)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    Args:
        path: the final file (its directory must exist).

    Yields:
        The temporary file's path (same directory and suffix as ``path``).

    Raises:
        CatapultError: the write failed with an ``OSError`` (full disk, permissions);
            nothing is left at ``path`` or beside it.
    """
    final = Path(path)
    remove_stale_temps(final)  # what a writer killed mid-write (SIGKILL) left behind
    try:
        fd, name = tempfile.mkstemp(
            dir=final.parent, prefix=f"{TMP_PREFIX}{final.stem}_", suffix=final.suffix
        )
    except OSError as exc:
        raise CatapultError(f"cannot write {final}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, final)
    except OSError as exc:
        raise CatapultError(f"cannot write {final}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(final.parent)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` to produce the file, then move it to ``path`` atomically."""
    with atomic_path(path) as tmp:
        write(tmp)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
