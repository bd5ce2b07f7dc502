"""The one user cache directory of catapultlab (generated kernels and Numba's own cache).

Nothing is ever written inside the installed package: the root is
``$CATAPULTLAB_CACHE_DIR`` when set, else the platform's user cache directory
(``platformdirs.user_cache_dir("catapultlab")``, ``~/.cache/catapultlab`` on Linux).
Where that path cannot be used (read-only HOME, a file in the way, no permission) the
cache falls back to a per-user temporary directory with a one-line warning on stderr.

``NUMBA_CACHE_DIR`` is pointed at ``<root>/numba`` (unless the user set it) when the
package is imported, before any of its ``cache=True`` modules import Numba, so that
Numba never writes ``__pycache__`` files beside the package's sources.
"""

from __future__ import annotations

import os
import sys
import tempfile
from functools import cache
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_root", "configure_numba_cache"]

CACHE_ENV = "CATAPULTLAB_CACHE_DIR"
"""Environment variable that overrides the cache root."""


def _usable(path: Path) -> str | None:
    """``None`` when ``path`` is (or can be made) a writable directory, else why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return exc.strerror or str(exc)
    if not path.is_dir():
        return "not a directory"
    if not os.access(path, os.W_OK | os.X_OK):
        return "not writable"
    return None


def _default_root() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("catapultlab", appauthor=False))


@cache
def cache_root() -> Path:
    """The cache root directory (created; a temporary fallback when unusable).

    Returns:
        A writable directory.
    """
    chosen = os.environ.get(CACHE_ENV)
    root = Path(chosen).expanduser() if chosen else _default_root()
    problem = _usable(root)
    if problem is None:
        return root
    fallback = Path(tempfile.gettempdir()) / f"catapultlab-cache-{os.getuid()}"
    if _usable(fallback) is not None:
        fallback = Path(tempfile.mkdtemp(prefix="catapultlab-cache-"))
    print(
        f"catapultlab: warning: cache directory {root} is unusable ({problem}); using "
        f"{fallback} for this run (set {CACHE_ENV} to a writable directory)",
        file=sys.stderr,
    )
    return fallback


def configure_numba_cache() -> None:
    """Point Numba's on-disk cache at ``<root>/numba`` unless ``NUMBA_CACHE_DIR`` is set.

    Works whether or not Numba is already imported (its config is updated too).
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    target = str(cache_root() / "numba")
    os.environ["NUMBA_CACHE_DIR"] = target
    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        numba_config.CACHE_DIR = target  # type: ignore[attr-defined]
