"""Offline datasets with fixed train/test splits, one-hot targets, standardised inputs.

Available names (see :data:`DATASETS`):

* ``digits``: scikit-learn ``load_digits`` (8x8 images, 10 classes); fixed split
  from a ``RandomState(0)`` permutation, 1437 train / 360 test.
* ``mnist1d``: ``mnist1d.data.make_dataset(get_dataset_args())`` generated locally
  (never downloaded; length-40 signals, 10 classes, its own 4000/1000 split);
  cached in memory because generation takes seconds.
* ``fashion_mnist``: the Debian package ``dataset-fashion-mnist`` (idx files under
  ``/usr/share/datasets/fashion-mnist``), 60000/10000.
* ``teacher``: synthetic teacher-student set, ``x ~ N(0, I_20)``, labels are the
  argmax of a fixed random one-hidden-layer tanh teacher (10 classes), 2000/1000.
* ``mnist`` / ``cifar10``: user files in ``data_dir`` (MNIST idx files, optionally
  gzipped; CIFAR-10 python pickles, ``cifar-10-batches-py``).

Subsetting: ``train_size`` / ``test_size`` take a seeded random subset of the
fixed split. Standardisation: every input feature is z-scored with the mean and
standard deviation of the (subset) training inputs; constant features are
centred only. Inputs are returned flattened, ``(m, H*W*C)``, with
``image_shape = (H, W, C)`` for convolutional networks.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from catapultlab import CatapultError
from catapultlab.checks import check_seed
from catapultlab.records import short_repr
from catapultlab.validate._userdata import check_labels, check_pair, read_cifar_batch, read_idx

__all__ = [
    "DATASETS",
    "DATASET_SHAPES",
    "Dataset",
    "check_train_size",
    "load_dataset",
    "nominal_shape",
    "FASHION_MNIST_DIRS",
]

DATASETS: tuple[str, ...] = ("digits", "mnist1d", "fashion_mnist", "teacher", "mnist", "cifar10")

DATASET_SHAPES: dict[str, tuple[int, tuple[int, int, int], int]] = {
    "digits": (1438, (8, 8, 1), 10),
    "mnist1d": (4000, (1, 40, 1), 10),
    "fashion_mnist": (60000, (28, 28, 1), 10),
    "teacher": (2000, (1, 20, 1), 10),
    "mnist": (60000, (28, 28, 1), 10),
    "cifar10": (50000, (32, 32, 3), 10),
}
"""Nominal ``(training samples, image_shape, classes)`` of each full training split.

Used to size a run before any file is read (the memory check); user files for
``mnist`` / ``cifar10`` are checked again with their real sizes once loaded.
"""


def nominal_shape(name: str, train_size: int | None) -> tuple[int, tuple[int, int, int], int]:
    """``(samples, image_shape, classes)`` of a training set, without loading it.

    Example:
        >>> nominal_shape("digits", 256)
        (256, (8, 8, 1), 10)

    Raises:
        CatapultError: unknown dataset name.
    """
    key = name.replace("-", "_")
    if key not in DATASET_SHAPES:
        raise CatapultError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    full, shape, classes = DATASET_SHAPES[key]
    return (full if train_size is None else min(train_size, full)), shape, classes


FASHION_MNIST_DIRS: tuple[str, ...] = (
    "/usr/share/datasets/fashion-mnist",
    "/usr/share/dataset-fashion-mnist",
)


@dataclass(frozen=True)
class Dataset:
    """A classification dataset ready for training.

    Attributes:
        name: dataset name.
        x_train: ``(m, D)`` standardised float64 inputs.
        y_train: ``(m, k)`` one-hot float64 targets.
        x_test: ``(m_test, D)`` inputs, standardised with the training statistics.
        y_test: ``(m_test, k)`` one-hot targets.
        image_shape: ``(H, W, C)`` with ``H * W * C == D``.
    """

    __repr__ = short_repr

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int, int]

    @property
    def num_classes(self) -> int:
        """Number of classes ``k``."""
        return int(self.y_train.shape[1])


_Raw = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int]]


@functools.lru_cache(maxsize=1)
def _digits() -> _Raw:
    from sklearn.datasets import load_digits

    data = load_digits()
    perm = np.random.RandomState(0).permutation(len(data.target))
    x, y = data.data[perm].astype(np.float64), data.target[perm].astype(np.int64)
    cut = int(round(0.8 * len(y)))
    return x[:cut], y[:cut], x[cut:], y[cut:], (8, 8, 1)


@functools.lru_cache(maxsize=1)
def _mnist1d() -> _Raw:
    from mnist1d.data import get_dataset_args, make_dataset

    state = np.random.get_state()  # make_dataset reseeds numpy's global RNG
    try:
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(state)
    x, xt = np.asarray(d["x"], np.float64), np.asarray(d["x_test"], np.float64)
    return (
        x,
        np.asarray(d["y"], np.int64),
        xt,
        np.asarray(d["y_test"], np.int64),
        (1, x.shape[1], 1),
    )


def _find(directory: Path, stem: str) -> Path | None:
    for name in (
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (directory / name).is_file():
            return directory / name
    return None


def _idx_set(directory: Path, what: str) -> _Raw:
    stems = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    paths = [_find(directory, s) for s in stems]
    if any(p is None for p in paths):
        missing = [s for s, p in zip(stems, paths, strict=True) if p is None]
        raise CatapultError(f"{what}: idx file(s) {', '.join(missing)} not found in {directory}")
    xi, yi, xt, yt = (read_idx(p, nd) for p, nd in zip(paths, (3, 1, 3, 1), strict=True))  # type: ignore[arg-type]
    for images, labels, x_, y_ in ((paths[0], paths[1], xi, yi), (paths[2], paths[3], xt, yt)):
        check_pair(images, labels, len(x_), len(y_))  # type: ignore[arg-type]
        check_labels(labels, y_)  # type: ignore[arg-type]
    if xi.shape[1:] != xt.shape[1:]:
        raise CatapultError(
            f"{paths[0]} has images of shape {xi.shape[1:]} but {paths[2]} has {xt.shape[1:]}"
        )
    h, w = xi.shape[1:]
    return (
        xi.reshape(len(xi), -1).astype(np.float64),
        yi.astype(np.int64),
        xt.reshape(len(xt), -1).astype(np.float64),
        yt.astype(np.int64),
        (h, w, 1),
    )


@functools.lru_cache(maxsize=1)
def _fashion() -> _Raw:
    for d in FASHION_MNIST_DIRS:
        if Path(d).is_dir():
            return _idx_set(Path(d), "fashion_mnist")
    raise CatapultError(
        "fashion_mnist not found (looked in "
        + ", ".join(FASHION_MNIST_DIRS)
        + "); install the Debian package dataset-fashion-mnist"
    )


@functools.lru_cache(maxsize=1)
def _teacher() -> _Raw:
    rng = np.random.RandomState(0)
    d, hidden, k = 20, 64, 10
    w1, w2 = rng.randn(hidden, d), rng.randn(k, hidden)
    x = rng.randn(3000, d)
    y = np.argmax(np.tanh(x @ w1.T / np.sqrt(d)) @ w2.T, axis=1)
    return x[:2000], y[:2000], x[2000:], y[2000:], (1, d, 1)


def _cifar(directory: Path) -> _Raw:
    base = directory / "cifar-10-batches-py"
    base = base if base.is_dir() else directory
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if not (base / n).is_file()]
    if missing:
        raise CatapultError(f"cifar10: batch file(s) {', '.join(missing)} not found in {base}")

    parts = [read_cifar_batch(base / n) for n in names[:-1]]
    xt, yt = read_cifar_batch(base / names[-1])
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        xt,
        yt,
        (32, 32, 3),
    )


def _raw(name: str, data_dir: str | os.PathLike | None) -> _Raw:
    if name == "digits":
        return _digits()
    if name == "mnist1d":
        return _mnist1d()
    if name == "fashion_mnist":
        return _fashion()
    if name == "teacher":
        return _teacher()
    if name not in ("mnist", "cifar10"):
        raise CatapultError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if data_dir is None:
        raise CatapultError(f"dataset {name} needs --data-dir pointing at its files")
    directory = Path(data_dir)
    if not directory.is_dir():
        raise CatapultError(f"data directory {directory} does not exist")
    return _idx_set(directory, "mnist") if name == "mnist" else _cifar(directory)


def check_train_size(size: int | None) -> None:
    """Refuse a training set too small to standardise (one sample z-scores to all zeros)."""
    if size == 1:
        raise CatapultError(
            "train size must be at least 2: inputs are standardised over the training set, "
            "so a single sample would become all zeros, got 1"
        )


def _subset(n: int, size: int | None, rng: np.random.RandomState, what: str) -> np.ndarray:
    if size is None:
        return np.arange(n)
    if size < 1:
        raise CatapultError(f"{what} must be at least 1, got {size}")
    return np.sort(rng.choice(n, size=min(size, n), replace=False))


def load_dataset(
    name: str,
    *,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    data_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Load a dataset by name, subset it and standardise its inputs.

    Args:
        name: one of :data:`DATASETS` (``fashion-mnist`` is accepted for ``fashion_mnist``).
        train_size: number of training samples (seeded subset); ``None`` keeps all.
        test_size: number of test samples (seeded subset); ``None`` keeps all.
        seed: seed of the subset choice.
        data_dir: directory of user files for ``mnist`` / ``cifar10``.

    Returns:
        The dataset.

    Raises:
        CatapultError: unknown name, missing files or package, bad sizes.
    """
    name = name.replace("-", "_")
    check_seed(seed)
    check_train_size(train_size)
    x, y, xt, yt, shape = _raw(name, data_dir)
    rng = np.random.RandomState(seed)
    i, j = (
        _subset(len(y), train_size, rng, "train size"),
        _subset(len(yt), test_size, rng, "test size"),
    )
    x, y, xt, yt = x[i], y[i], xt[j], yt[j]
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    k = int(max(y.max(), yt.max())) + 1
    eye = np.eye(k)
    return Dataset(
        name=name,
        x_train=(x - mean) / std,
        y_train=eye[y],
        x_test=(xt - mean) / std,
        y_test=eye[yt],
        image_shape=shape,
    )
