"""Generated kernel modules on disk: content-hashed, verified on load, pruned by age and size.

Each module starts with a header line ``# catapultlab-kernel sha256=<hex>`` holding the
SHA-256 of the rest of the file. A file whose content does not match (truncated,
emptied, edited) is regenerated with a one-line notice on stderr, never imported.
Modules not used for :data:`MAX_AGE_DAYS` days are removed, and the oldest go first
while the kernels and their Numba cache files together exceed :data:`MAX_BYTES`.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from catapultlab._atomic import atomic_write_text
from catapultlab._cache import cache_root
from catapultlab._numba_cache import harden_numba_cache

__all__ = ["MAX_AGE_DAYS", "MAX_BYTES", "kernel_dir", "kernel_file", "prune_kernels"]

MAX_AGE_DAYS = 30
"""Kernel modules unused for this many days are pruned."""

MAX_BYTES = 512 * 2**20
"""Size cap of the kernel modules plus their Numba cache files."""

_HEADER = "# catapultlab-kernel sha256="


def kernel_dir() -> Path:
    """The directory generated kernel modules are written to (created)."""
    path = cache_root() / "kernels"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _problem(path: Path) -> str | None:
    """``None`` when ``path`` holds a complete, unmodified module, else what is wrong."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return f"unreadable ({exc.__class__.__name__})"
    head, sep, body = text.partition("\n")
    if not text:
        return "empty"
    if not head.startswith(_HEADER) or not sep:
        return "no content hash"
    if head[len(_HEADER) :] != _digest(body):
        return "content does not match its hash"
    return None


def kernel_file(tag: str, source: Callable[[], str]) -> Path:
    """The verified module file of kernel ``tag``, written from ``source()`` when needed.

    Args:
        tag: file stem suffix (model hash, dtype, options).
        source: generates the module's source (called only when the file is missing
            or fails its content check).

    Returns:
        The path of a module whose content matches its stored hash.
    """
    harden_numba_cache()  # and so are Numba's compiled objects of the module
    path = kernel_dir() / f"k_{tag}.py"
    problem = _problem(path) if path.exists() else None
    if path.exists() and problem is None:
        os.utime(path)  # age counts from the last use
        return path
    if problem is not None:
        print(
            f"catapultlab: cached kernel {path.name} failed its check ({problem}); regenerated",
            file=sys.stderr,
        )
    body = source()
    atomic_write_text(path, f"{_HEADER}{_digest(body)}\n{body}")
    prune_kernels(keep=path)
    return path


def _companions(kernel: Path) -> list[Path]:
    """Numba's cache files of a kernel module (index and data, any subdirectory)."""
    numba_dir = Path(os.environ.get("NUMBA_CACHE_DIR") or cache_root() / "numba")
    stem = kernel.stem
    found = list(kernel.parent.glob(f"__pycache__/{stem}.*"))
    if numba_dir.is_dir():
        found += numba_dir.glob(f"*/{stem}.*")
    return found


def _size(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


def prune_kernels(
    *, keep: Path | None = None, max_age_days: float = MAX_AGE_DAYS, max_bytes: int = MAX_BYTES
) -> list[Path]:
    """Remove old kernel modules (and their Numba cache files).

    Args:
        keep: a module never removed (the one just written).
        max_age_days: remove modules whose last use is older than this.
        max_bytes: then remove the oldest until the rest fits in this many bytes.

    Returns:
        The removed module files.
    """
    now = time.time()
    entries = []
    for path in kernel_dir().glob("k_*.py"):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        files = [path, *_companions(path)]
        entries.append((mtime, path, files, _size(files)))
    entries.sort(key=lambda e: e[0])
    total = sum(e[3] for e in entries)
    removed = []
    for mtime, path, files, size in entries:
        too_old = now - mtime > max_age_days * 86400
        if path == keep or not (too_old or total > max_bytes):
            continue
        for f in files:
            f.unlink(missing_ok=True)
        total -= size
        removed.append(path)
    return removed
