"""The one error type that the CLI turns into a single clear line."""

from __future__ import annotations

__all__ = ["CatapultError"]


class CatapultError(ValueError):
    """Bad input or an impossible request; the CLI prints its message on one line."""
