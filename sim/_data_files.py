"""Per-sample data from files (``--x FILE``, ``--labels FILE``) and the line that shows it.

Inputs are an ``m x d`` matrix and labels ``m`` numbers, in a ``.npy`` file or a text
file (CSV or whitespace separated, one sample per row). Without ``--x`` a model with data
uses :func:`~catapultlab.sim._setup.default_inputs`; without ``--labels`` every sample
has the label ``--y``. Each file is read and checked before any compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr

__all__ = ["UserData", "data_line", "read_user_data", "unfittable_note"]


@dataclass(frozen=True)
class UserData:
    """The inputs and labels a user gave on the command line (``None``: the default)."""

    __repr__ = short_repr

    x: np.ndarray | None = None
    labels: np.ndarray | None = None
    x_path: str | None = None
    labels_path: str | None = None

    def sizes(self, inputs: int, samples: int) -> tuple[int, int]:
        """``(d, m)``: the file's shape where ``--x`` was given, else the options'."""
        if self.x is not None:
            return int(self.x.shape[1]), int(self.x.shape[0])
        if self.labels is not None:
            return inputs, int(self.labels.size)
        return inputs, samples


def _read(path: str, what: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise CatapultError(f"{what} {path}: no such file")
    try:
        values = np.load(p) if p.suffix == ".npy" else np.loadtxt(p, delimiter=_sep(p), ndmin=2)
    except (ValueError, OSError, EOFError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CatapultError(f"{what} {path}: not a numeric table ({first})") from None
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise CatapultError(f"{what} {path}: the file holds no numbers")
    if not np.all(np.isfinite(values)):
        raise CatapultError(f"{what} {path}: every value must be finite")
    return values


def _sep(p: Path) -> str | None:
    head = p.read_text(encoding="utf-8", errors="replace")[:4096]
    return "," if "," in head else None


def read_user_data(x_path: str | None, labels_path: str | None, has_data: bool) -> UserData:
    """Read and check ``--x`` (``m x d``) and ``--labels`` (``m`` values).

    Raises:
        CatapultError: a missing or non-numeric file, non-finite values, inputs for a model
            without data, or files that disagree on the number of samples.
    """
    x = labels = None
    if x_path is not None:
        if not has_data:
            raise CatapultError("--x: this model has no inputs (uv has none; use full or a spec)")
        x = _read(x_path, "--x")
        x = x.reshape(-1, 1) if x.ndim == 1 else x
        if x.ndim != 2:
            raise CatapultError(f"--x {x_path}: expected an m x d table, got shape {x.shape}")
    if labels_path is not None:
        labels = _read(labels_path, "--labels")
        if labels.ndim > 1 and min(labels.shape) != 1:
            raise CatapultError(
                f"--labels {labels_path}: expected one label per sample, got shape {labels.shape}"
            )
        labels = labels.reshape(-1)
    if x is not None and labels is not None and labels.size != x.shape[0]:
        raise CatapultError(
            f"--labels gives {labels.size} labels and --x {x.shape[0]} samples; give one per sample"
        )
    return UserData(x, labels, x_path, labels_path)


def data_line(setup: object, user: UserData, data_seed: int) -> str:
    """One line saying which inputs and labels ran (shown in the text output)."""
    data = getattr(setup, "data", None)
    y = np.asarray(getattr(data, "y", ()), dtype=float).reshape(-1)
    labels = ", ".join(f"{v:g}" for v in y[:6]) + (", ..." if y.size > 6 else "")
    x = getattr(data, "x", None)
    if x is None or np.asarray(x).size == 0:
        return f"data: no inputs; labels y = {labels}"
    x = np.asarray(x)
    where = (
        f"from {user.x_path}"
        if user.x_path
        else f"default (seed {data_seed}: distinct Gaussian rows, mean squared norm d)"
    )
    rows = "; ".join(" ".join(f"{v:.3g}" for v in row) for row in x[:4])
    more = "; ..." if x.shape[0] > 4 else ""
    return f"data: m = {x.shape[0]} samples, d = {x.shape[1]} inputs {where}: x = [{rows}{more}]; y = {labels}"


def unfittable_note(setup: object) -> str | None:
    """One line when the labels lie outside the span of the inputs (the loss floor is > 0).

    For a model whose outputs are linear in the inputs (the full model), the part of ``y``
    outside the column space of ``X`` never moves, so no run converges to zero loss; the
    phase rule then judges convergence on the state (:mod:`catapultlab.phases`).
    """
    data = getattr(setup, "data", None)
    x = getattr(data, "x", None)
    if getattr(setup, "name", "") != "full" or x is None:
        return None
    X = np.asarray(x, dtype=float)
    y = np.asarray(data.y, dtype=float).reshape(-1)
    if X.shape[0] <= np.linalg.matrix_rank(X) or y.size != X.shape[0]:
        return None
    rest = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    floor = float(rest @ rest) / (2 * y.size)
    if floor <= 1e-12 * max(1.0, float(y @ y)):
        return None
    return (
        f"the labels cannot be fitted: with m = {X.shape[0]} samples and inputs of rank "
        f"{np.linalg.matrix_rank(X)}, part of y lies outside the inputs' span, so the loss "
        f"cannot fall below {floor:.4g}; a run counts as converged when its state stops "
        "moving (catapultlab.phases), not when its loss reaches 0"
    )
