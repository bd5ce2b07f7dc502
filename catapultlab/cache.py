"""The one on-disk cache of catapultlab: derived models, numeric models and kernels.

Nothing is ever written inside the installed package. The root is
``$CATAPULTLAB_CACHE_DIR`` when set, else the platform's user cache directory
(``platformdirs.user_cache_dir("catapultlab")``, ``~/.cache/catapultlab`` on Linux). Where
that path cannot be used (read-only HOME, a file in the way, no permission) the cache
falls back to a per-user temporary directory with a one-line warning on stderr.

Every entry is a sealed file (:func:`catapultlab.io.write_sealed`: a content hash on its
first line, written atomically) at ``<root>/<kind>/<name>``; an entry that fails its seal
is reported on one line, removed and rebuilt, never used. Entry names carry the content
they were made from and :func:`code_version`: the hash of the package's own source and
the versions of SymPy, NumPy and Numba, so an upgrade or an edit never serves a stale
entry. Set ``CATAPULTLAB_NO_MODEL_CACHE=1`` to rebuild models every time.

Compiled code (generated kernels, the Gram sampler) lives in ``<root>/kernels`` as sealed
Python modules; Numba caches what it compiles from them beside them (``__pycache__``), or
under ``$NUMBA_CACHE_DIR`` when the user sets it. The package never sets that variable.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path

__all__ = [
    "CACHE_ENV",
    "NO_CACHE_ENV",
    "cache_root",
    "cache_folder",
    "code_version",
    "read_entry",
    "write_entry",
]

CACHE_ENV = "CATAPULTLAB_CACHE_DIR"
"""Environment variable that overrides the cache root."""

NO_CACHE_ENV = "CATAPULTLAB_NO_MODEL_CACHE"
"""Set (to anything) to derive models and their numeric records anew every time."""

VERSIONED = ("sympy", "numpy", "numba")
"""Libraries whose versions are part of every cache key."""

SOURCE_PACKAGES = ("catapultlab", "catapultlab.theory", "catapultlab.sim", "catapultlab.validate")
"""Packages whose source files make up :func:`code_version` (the layers are mapped folders)."""


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


@functools.cache
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


def cache_folder(kind: str) -> Path | None:
    """The folder of one kind of entry (``"models"``, ``"kernels"``...), created.

    Returns:
        The folder, or ``None`` when it cannot be used (then nothing is cached). A file
        in the folder's place is reported on one line and replaced by the folder.
    """
    path = cache_root() / kind
    if path.exists() and not path.is_dir():
        print(f"catapultlab: cache entry {path} is not a folder; replaced by one", file=sys.stderr)
        try:
            path.unlink()
        except OSError:
            return None
    return None if _usable(path) is not None else path


def _package_files() -> list[tuple[str, Path]]:
    files = []
    for name in SOURCE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        base = Path(next(iter(spec.submodule_search_locations)))
        pattern = "*.py" if name != "catapultlab" else "**/*.py"
        files += [(f"{name}/{p.relative_to(base)}", p) for p in sorted(base.glob(pattern))]
    return files


def _library_version(name: str) -> str:
    """The installed version of a library, read off its ``.dist-info`` folder name.

    ``importlib.metadata`` would do the same at the cost of importing ``email`` and
    ``zipfile`` (about 30 ms of every start); it is the fallback for other layouts.
    """
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        site = Path(next(iter(spec.submodule_search_locations))).parent
        found = sorted(site.glob(f"{name}-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len(name) + 1 : -len(".dist-info")]
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


@functools.cache
def code_version() -> str:
    """Hash of the package's source files and the versions of SymPy, NumPy and Numba.

    Part of every cache key, of the resume parts' folder names and of ``reproduce``'s
    stage hashes: any code change or library upgrade recomputes instead of presenting
    what another version made.
    """
    h = hashlib.sha256()
    for lib in VERSIONED:
        h.update(f"{lib}={_library_version(lib)}\0".encode())
    for rel, path in _package_files():
        h.update(rel.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def read_entry(kind: str, name: str) -> bytes | None:
    """The payload of cache entry ``<kind>/<name>``, or ``None`` (missing, or failed its seal)."""
    from catapultlab._sealed import read_sealed

    folder = cache_folder(kind)
    return None if folder is None else read_sealed(folder / name, what=f"cached {kind[:-1]}")


def write_entry(kind: str, name: str, payload: bytes) -> Path | None:
    """Store ``payload`` as cache entry ``<kind>/<name>`` (nothing when the folder is unusable).

    Returns:
        The entry's path, or ``None`` when it could not be written.
    """
    from catapultlab import CatapultError
    from catapultlab._sealed import write_sealed

    folder = cache_folder(kind)
    if folder is None:
        return None
    try:
        write_sealed(folder / name, payload)
    except CatapultError:
        return None
    return folder / name
