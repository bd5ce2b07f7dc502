"""Readers of user data files (``--data-dir``) that check everything and name the file.

* idx (MNIST): magic ``00 00 08 <ndim>`` (unsigned bytes), the expected number of
  dimensions (3 for images, 1 for labels), and a payload of exactly the declared size;
* CIFAR-10 python pickles: a dict with ``b"data"`` of shape ``(N, 3072)`` and ``N``
  ``b"labels"``;
* labels: integers in ``[0, 10)``, as many as there are images;
* a truncated or corrupt gzip / pickle file is reported, never read partially.
"""

from __future__ import annotations

import gzip
import pickle
import zlib
from pathlib import Path

import numpy as np

from catapultlab import CatapultError

__all__ = ["NUM_CLASSES", "check_labels", "check_pair", "read_cifar_batch", "read_idx"]

NUM_CLASSES = 10
"""Classes of MNIST and CIFAR-10: labels must lie in ``[0, NUM_CLASSES)``."""


def _bytes(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            return fh.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise CatapultError(f"{path}: truncated or corrupt gzip file ({exc})") from None
    except OSError as exc:
        raise CatapultError(f"{path}: cannot read ({exc.strerror or exc})") from None


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An idx file of unsigned bytes with ``ndim`` dimensions, checked."""
    raw = _bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise CatapultError(
            f"{path}: not an idx file of unsigned bytes (magic {raw[:4].hex() or 'missing'}, "
            "expected 000008xx)"
        )
    if raw[3] != ndim:
        raise CatapultError(f"{path}: has {raw[3]} dimensions, expected {ndim}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CatapultError(f"{path}: truncated idx header")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise CatapultError(
            f"{path}: idx payload is {len(raw) - header} bytes, the header declares "
            f"{expected - header} (shape {tuple(dims)})"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def check_labels(path: Path, labels: np.ndarray) -> None:
    """Labels must be integers in ``[0, NUM_CLASSES)``."""
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise CatapultError(
            f"{path}: labels must lie in [0, {NUM_CLASSES}), found {int(labels.min())}.."
            f"{int(labels.max())}"
        )


def check_pair(images: Path, labels: Path, n_images: int, n_labels: int) -> None:
    """As many labels as images."""
    if n_images != n_labels:
        raise CatapultError(f"{images} has {n_images} images but {labels} has {n_labels} labels")


def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: ``(N, 32*32*3)`` float64 HWC inputs and ``N`` labels."""
    try:
        with open(path, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError) as exc:
        raise CatapultError(f"{path}: truncated or corrupt pickle ({exc})") from None
    except OSError as exc:
        raise CatapultError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise CatapultError(f"{path}: not a CIFAR-10 batch (needs b'data' and b'labels')")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"])
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise CatapultError(f"{path}: data has shape {data.shape}, expected (N, 3072)")
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise CatapultError(f"{path}: labels must be a list of integers")
    check_pair(path, path, len(data), len(labels))
    check_labels(path, labels)
    x = data.astype(np.float64).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return x.reshape(len(x), -1), labels.astype(np.int64)
