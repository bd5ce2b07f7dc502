"""Which model to iterate, with its data: the shared parameters of every trajectory."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from catapultlab._errors import CatapultError

__all__ = ["Setup", "make_setup", "MODELS"]

MODELS = ("uv", "full")
"""Model names the simulator knows."""


@dataclass(frozen=True)
class Setup:
    """A closed model plus the constants shared by all its trajectories.

    Attributes:
        model: the derived :class:`catapultlab.theory.Model` (closed maps).
        y: one label per training sample.
        x: inputs, shape ``(m, d)`` (empty for the uv model).
        name: model name (``"uv"`` or ``"full"``).
        inputs: input dimension d (1 for uv).
    """

    model: Any
    y: tuple[float, ...]
    x: tuple[tuple[float, ...], ...] = field(default=())
    name: str = "uv"
    inputs: int = 1

    @property
    def samples(self) -> int:
        """Number of training samples m."""
        return len(self.y)

    def shared(self, n: float) -> np.ndarray:
        """The shared parameter vector ``model.params[1:]`` at width ``n`` (float64)."""
        values = {"n": float(n)}
        values |= {s.name: v for s, v in zip(self.model.labels, self.y, strict=True)}
        flat = [v for row in self.x for v in row]
        values |= {s.name: v for s, v in zip(self.model.data, flat, strict=True)}
        return np.array([values[p.name] for p in self.model.params[1:]], dtype=np.float64)

    @cached_property
    def config(self) -> dict[str, object]:
        """A JSON-able description (for result attributes and config hashes)."""
        return {
            "model": self.name,
            "y": list(self.y),
            "x": [list(r) for r in self.x],
            "inputs": self.inputs,
            "samples": self.samples,
        }


def make_setup(
    name: str,
    *,
    y: float | tuple[float, ...] = 1.0,
    inputs: int = 2,
    samples: int = 2,
    x: np.ndarray | None = None,
    data_seed: int = 0,
) -> Setup:
    """Build a :class:`Setup` by model name.

    Args:
        name: ``"uv"`` or ``"full"``.
        y: label (uv) or labels (full; a scalar is used for every sample).
        inputs: input dimension d (full only).
        samples: number of samples m (full only).
        x: inputs ``(m, d)``; default (full) rows drawn N(0, I_d) from ``data_seed``
            and rescaled to norm sqrt(d).
        data_seed: seed of the default inputs.

    Returns:
        The setup.

    Raises:
        CatapultError: unknown model or bad sizes.
    """
    from catapultlab.theory._model import full_model, uv_model

    if name == "uv":
        yv = float(np.atleast_1d(np.asarray(y, dtype=float))[0])
        if not np.isfinite(yv):
            raise CatapultError(f"label y must be finite, got {y!r}")
        return Setup(model=uv_model(), y=(yv,), name="uv")
    if name == "full":
        if inputs < 1 or samples < 1:
            raise CatapultError("full model needs inputs >= 1 and samples >= 1")
        model = full_model(int(inputs), int(samples))
        ys = np.broadcast_to(np.asarray(y, dtype=float), (samples,))
        if x is None:
            rng = np.random.default_rng(np.random.SeedSequence(data_seed, spawn_key=(7,)))
            x = rng.standard_normal((samples, inputs))
            x *= np.sqrt(inputs) / np.linalg.norm(x, axis=1, keepdims=True)
        x = np.asarray(x, dtype=float).reshape(samples, inputs)
        return Setup(
            model=model,
            y=tuple(float(v) for v in ys),
            x=tuple(tuple(float(v) for v in row) for row in x),
            name="full",
            inputs=int(inputs),
        )
    raise CatapultError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
