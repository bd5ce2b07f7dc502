"""Sealed files: the one integrity scheme of every cache entry and resume part.

A sealed file is a first line ``# catapultlab sha256=<hex digest of the rest>`` followed
by the payload (any bytes: JSON, a pickle, an npz archive, Python source). The line is a
Python comment, so a sealed kernel module imports as it is. A file whose content does not
match its seal (truncated, emptied, edited, written by something else) is never read as
data: :func:`read_sealed` reports it on one stderr line, removes it and returns ``None``,
so the caller rebuilds it. Files are written through the one atomic writer.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from catapultlab._atomic import atomic_write_bytes

__all__ = ["SEAL", "seal", "unseal", "read_sealed", "write_sealed"]

SEAL = b"# catapultlab sha256="
"""First bytes of every sealed file."""


def seal(payload: bytes) -> bytes:
    """``payload`` behind its seal line.

    Example:
        >>> unseal(seal(b"x = 1"))
        b'x = 1'
    """
    return SEAL + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload


def unseal(data: bytes) -> bytes | None:
    """The payload of sealed ``data``, or ``None`` when the seal does not match."""
    head, sep, payload = data.partition(b"\n")
    if not sep or not head.startswith(SEAL):
        return None
    if head[len(SEAL) :] != hashlib.sha256(payload).hexdigest().encode():
        return None
    return payload


def write_sealed(path: str | os.PathLike[str], payload: bytes) -> None:
    """Write ``payload`` sealed to ``path``, atomically.

    Raises:
        CatapultError: the file cannot be written (one line naming it); nothing is left.
    """
    atomic_write_bytes(path, seal(payload))


def read_sealed(path: str | os.PathLike[str], what: str = "file") -> bytes | None:
    """The payload of the sealed file ``path``; ``None`` if it is missing or fails its seal.

    A file that fails is reported on one stderr line naming ``what`` and the file, and
    removed, so that the caller rebuilds it.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        print(
            f"catapultlab: {what} {p.name} is unreadable ({exc.strerror}); rebuilt", file=sys.stderr
        )
        return None
    payload = unseal(data)
    if payload is None:
        print(
            f"catapultlab: {what} {p.name} failed its content check; removed and rebuilt",
            file=sys.stderr,
        )
        p.unlink(missing_ok=True)
    return payload
