"""Phase definitions: re-exported from the neutral :mod:`catapultlab._phases`."""

from __future__ import annotations

from catapultlab._phases import PHASE_NAMES, Phase, classify_losses

__all__ = ["Phase", "classify_losses", "PHASE_NAMES"]
