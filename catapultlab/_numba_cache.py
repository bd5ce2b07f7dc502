"""Numba's on-disk cache under catapultlab's cache root, with a content hash per file.

Numba trusts its cache files: a truncated index or data file raises
``UnpicklingError`` on every later run, and an edited one is loaded as is. For files
under ``<cache root>/numba`` (see :mod:`catapultlab._cache`) each index (``.nbi``) and
data file (``.nbc``) gets a ``.sha256`` sidecar when Numba writes it; on load, a file
whose content does not match (or that cannot be unpickled) is treated as a cache miss
with a one-line notice, so Numba recompiles and rewrites it. A file with no sidecar
(written before this check existed) is a silent miss. Numba's cache files elsewhere are
left to Numba.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from catapultlab._atomic import atomic_write_text

__all__ = ["harden_numba_cache"]


_REPORTED: set[str] = set()
"""Files already reported this process (an index is read twice per compile)."""


def _ours(path: str) -> bool:
    root = os.environ.get("NUMBA_CACHE_DIR")
    if not root:
        return False
    from catapultlab._cache import cache_root

    if Path(root).resolve() != (cache_root() / "numba").resolve():
        return False  # the user's own NUMBA_CACHE_DIR: Numba's rules
    return Path(path).resolve().is_relative_to(Path(root).resolve())


def _sidecar(path: str) -> Path:
    return Path(path + ".sha256")


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _seal(path: str) -> None:
    if _ours(path):
        atomic_write_text(_sidecar(path), _digest(path))


def _intact(path: str) -> bool:
    """Whether ``path`` (one of ours, present) matches its sidecar; says so when not."""
    side = _sidecar(path)
    if not side.is_file():
        return False
    if side.read_text().strip() == _digest(path):
        return True
    if path in _REPORTED:
        return False
    _REPORTED.add(path)
    print(
        f"catapultlab: Numba cache file {Path(path).name} failed its content check; recompiling",
        file=sys.stderr,
    )
    return False


def harden_numba_cache() -> None:
    """Install the checks on Numba's index/data cache files (idempotent)."""
    from numba.core import caching

    cls: Any = caching.IndexDataCacheFile
    if getattr(cls, "_catapultlab_checked", False):
        return
    load_index, save_index = cls._load_index, cls._save_index
    load_data, save_data = cls._load_data, cls._save_data

    def _load_index(self: Any) -> dict:
        path = self._index_path
        if not _ours(path) or not os.path.exists(path):
            return load_index(self)
        if not _intact(path):
            return {}
        try:
            return load_index(self)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return {}

    def _save_index(self: Any, overloads: dict) -> None:
        save_index(self, overloads)
        _seal(self._index_path)

    def _load_data(self: Any, name: str) -> Any:
        path = self._data_path(name)
        if not _ours(path):
            return load_data(self, name)
        if not os.path.exists(path):
            raise FileNotFoundError(path)  # Numba's own "index refers to a removed file"
        if not _intact(path):
            return None
        try:
            return load_data(self, name)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None

    def _save_data(self: Any, name: str, data: Any) -> None:
        save_data(self, name, data)
        _seal(self._data_path(name))

    cls._load_index, cls._save_index = _load_index, _save_index
    cls._load_data, cls._save_data = _load_data, _save_data
    cls._catapultlab_checked = True
