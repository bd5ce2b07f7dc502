"""Resume parts of a sweep: checksummed files, keyed by configuration and code, under a lock.

Finished chunks of a sweep with ``--out X`` are kept in ``X.parts/<config
hash>-<code hash>/``: the config hash covers everything that determines the
numbers (:meth:`SweepConfig.key`), the code hash every source file of the
installed package (:func:`catapultlab.cache.code_version`), so a
resume never mixes parts of two configurations or two versions of the code.
Each part is a sealed file (:func:`catapultlab.io.write_sealed`: the SHA-256 of its
payload on its first line, written atomically): a truncated or edited part fails the
check, is reported in one line, removed and recomputed, never read as data.
Temporary files a crash left behind are removed by the next run, which holds an
exclusive lock (``X.parts/.lock``, :func:`fcntl.flock`: released by the kernel
if the process dies) so that a second sweep to the same ``--out`` is refused.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.io import TMP_PREFIX

__all__ = ["code_version", "write_part", "read_part", "sweep_lock", "clean_tmp"]


def code_version() -> str:
    """Hash of the package source and library versions (:func:`catapultlab.cache.code_version`)."""
    from catapultlab.cache import code_version

    return code_version()


def write_part(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` as a sealed file (:func:`catapultlab.io.write_sealed`).

    Raises:
        CatapultError: the file cannot be written (a full disk, no permission); neither
            the temporary file nor anything at ``path`` is left.
    """
    from catapultlab.io import write_sealed

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    write_sealed(path, buf.getvalue())


def read_part(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a part, or None (one line on stderr) if it fails its seal.

    A part that fails is removed so that it is recomputed.
    """
    from catapultlab.io import read_sealed

    payload = read_sealed(path, what="part")
    if payload is None:
        return None
    try:
        with np.load(io.BytesIO(payload)) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError):  # a writer bug, not a torn file
        print(f"catapultlab: part {path.name} is unreadable; removed and rebuilt", file=sys.stderr)
        path.unlink(missing_ok=True)
        return None


def clean_tmp(folder: Path) -> int:
    """Remove the temporary files a crashed run left in ``folder``; how many."""
    stale = [p for p in folder.glob(f"{TMP_PREFIX}*") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


@contextmanager
def sweep_lock(folder: Path) -> Iterator[Any]:
    """Hold an exclusive lock on ``folder/.lock``; refuse with one line if another run holds it."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / ".lock"
    fh = open(lock, "a+")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise CatapultError(
                f"another sweep is writing to {folder} (lock {lock} is held); "
                "wait for it or use another --out"
            ) from exc
        yield fh
    finally:
        fh.close()
