"""Compiled modules: generated sources as sealed cache entries, imported once, guarded on first call.

Numba's on-disk cache (``cache=True``) needs a real source file, so every module the
simulator compiles (each generated kernel module, and the Gram sampler
:mod:`catapultlab.sim._rng`) is a sealed entry of the one cache
(:mod:`catapultlab.cache`: ``<cache>/kernels/k_<tag>.py``, its content hash on its first
line), named by a hash of its source: an edited generator or sampler gets a new file, and
a damaged file is reported on one line and rewritten, never imported. Numba keeps what it
compiles from these files beside them (``__pycache__``), or under ``$NUMBA_CACHE_DIR`` when
the user sets it; the package never sets it and never touches Numba's internals.

Numba trusts its own cache files: a truncated index or data file makes a compiled
function fail on every later run. So the first call of each compiled function in a
process is guarded: if it fails and Numba holds cache files of that module, they are
removed (one line says so), the module is imported afresh and the call is made once
more; any failure of that second call is raised as it is.

Modules not used for :data:`MAX_AGE_DAYS` days are removed, and the oldest go first while
the modules and their Numba cache files together exceed :data:`MAX_BYTES`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catapultlab import CatapultError
from catapultlab.cache import cache_folder, cache_root, read_entry, write_entry

__all__ = [
    "MAX_AGE_DAYS",
    "MAX_BYTES",
    "CompiledModule",
    "compiled_module",
    "kernel_dir",
    "prune_kernels",
    "sampler",
]

MAX_AGE_DAYS = 30
"""Kernel modules unused for this many days are pruned."""

MAX_BYTES = 512 * 2**20
"""Size cap of the kernel modules plus their Numba cache files."""

KIND = "kernels"
"""The cache folder of compiled modules."""


def kernel_dir() -> Path:
    """The folder compiled modules are written to (created).

    Raises:
        CatapultError: the cache folder cannot be used (compiled code needs a file).
    """
    folder = cache_folder(KIND)
    if folder is None:
        raise CatapultError(f"cannot write compiled kernels to {cache_root() / KIND}")
    return folder


def _module_file(tag: str, source: Callable[[], str]) -> Path:
    """The verified file of module ``tag``, written from ``source()`` when missing or damaged."""
    name = f"k_{tag}.py"
    if read_entry(KIND, name) is not None:
        path = kernel_dir() / name
        os.utime(path)  # age counts from the last use
        return path
    path = write_entry(KIND, name, source().encode())
    if path is None:
        raise CatapultError(f"cannot write compiled kernels to {cache_root() / KIND}")
    prune_kernels(keep=path)
    return path


def _import(path: Path, tag: str) -> Any:
    """Import (or import afresh) the module of ``path`` under its one name.

    The name must not change between imports: Numba's cached objects refer to it.
    """
    name = f"catapultlab_compiled_{tag}"
    sys.modules.pop(name, None)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _numba_files(path: Path) -> list[Path]:
    """Numba's cache files of a module (beside it, or under the user's ``$NUMBA_CACHE_DIR``)."""
    stem = path.stem
    found = list(path.parent.glob(f"__pycache__/{stem}.*"))
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user and Path(user).is_dir():
        found += Path(user).glob(f"*/{stem}.*")
    return [p for p in found if p.suffix in (".nbi", ".nbc")]


class CompiledModule:
    """A compiled module of the cache, imported once, whose functions are called guarded.

    Attributes:
        tag: the module's name in the cache (``k_<tag>.py``).
        path: its file.
    """

    def __init__(self, tag: str, source: Callable[[], str]) -> None:
        self.tag = tag
        self.path = _module_file(tag, source)
        self._module = _import(self.path, tag)
        self._checked: set[str] = set()
        self._lock = threading.Lock()

    def call(self, name: str, *args: Any) -> Any:
        """Call the compiled function ``name``; its first call here is guarded (module docs)."""
        if name in self._checked:
            return getattr(self._module, name)(*args)
        with self._lock:
            try:
                out = getattr(self._module, name)(*args)
            except Exception as exc:
                stale = _numba_files(self.path)
                if not stale:
                    raise
                for p in stale:
                    p.unlink(missing_ok=True)
                print(
                    f"catapultlab: Numba's cache of {self.path.name} could not be loaded "
                    f"({type(exc).__name__}); cleared it and recompiled",
                    file=sys.stderr,
                )
                self._module = _import(self.path, self.tag)
                out = getattr(self._module, name)(*args)
            self._checked.add(name)
            return out


_MODULES: dict[str, CompiledModule] = {}
_MODULES_LOCK = threading.Lock()


def compiled_module(tag: str, source: Callable[[], str]) -> CompiledModule:
    """The compiled module ``tag`` (written from ``source()`` when needed), once per process."""
    with _MODULES_LOCK:
        if tag not in _MODULES:
            _MODULES[tag] = CompiledModule(tag, source)
        return _MODULES[tag]


@functools.cache
def _sampler_source() -> tuple[str, str]:
    """The sampler's source and its module tag (a hash of the source)."""
    spec = importlib.util.find_spec("catapultlab.sim._rng")
    assert spec is not None and spec.origin is not None
    text = Path(spec.origin).read_text()
    return text, "rng_" + hashlib.sha256(text.encode()).hexdigest()[:20]


def sampler() -> CompiledModule:
    """The Gram sampler (:mod:`catapultlab.sim._rng`) compiled from its copy in the cache."""
    text, tag = _sampler_source()
    return compiled_module(tag, lambda: text)


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
    """Remove old compiled modules (and their Numba cache files).

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
        files = [path, *_numba_files(path)]
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
