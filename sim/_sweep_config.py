"""Everything that determines a sweep's numbers: :class:`SweepConfig`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from catapultlab.phases import StopRule
from catapultlab.records import short_repr
from catapultlab.sim._ensemble import SEED_BLOCK
from catapultlab.sim._setup import Setup

__all__ = ["SweepConfig"]


@dataclass(frozen=True)
class SweepConfig:
    """Everything that determines a sweep's numbers.

    Attributes:
        setup: the model and its data.
        c: control parameters (increasing).
        n: widths (increasing).
        ensemble: trajectories per cell.
        steps: step budget.
        seed: master seed.
        dtype: kernel precision.
        stop: thresholds.
        backend: ``"kernel"`` or ``"numpy"``.
        bootstrap: bootstrap resamples for the boundary CIs.
        grid: ``"c"`` (the grid holds ``c = eta lam0``) or ``"eta"`` (a fixed learning
            rate: for models whose ``lam0`` stays random at order one, where ``c`` would
            sort trajectories by their init).
    """

    __repr__ = short_repr

    setup: Setup
    c: tuple[float, ...]
    n: tuple[int, ...]
    ensemble: int
    steps: int
    seed: int = 0
    dtype: str = "float64"
    stop: StopRule = field(default_factory=StopRule)
    backend: str = "kernel"
    bootstrap: int = 200
    grid: str = "c"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (the setup as :meth:`Setup.to_config`)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["setup"] = self.setup.to_config()
        d["stop"] = asdict(self.stop)
        d["c"] = list(self.c)
        d["n"] = list(self.n)
        d["seed_block"] = SEED_BLOCK
        if self.grid == "c":  # the default: absent, so configs of c sweeps keep their hash
            del d["grid"]
        return d

    def key(self) -> str:
        """Hash of the config (names the resume sidecar)."""
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]
