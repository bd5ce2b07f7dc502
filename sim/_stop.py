"""Stopping thresholds: re-exported from the neutral :mod:`catapultlab._phases`."""

from __future__ import annotations

from catapultlab._phases import StopRule

__all__ = ["StopRule"]
