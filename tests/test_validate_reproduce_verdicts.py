"""Reproduce's validate rows give no verdict when the nets are too small to have trained."""

from __future__ import annotations

from types import SimpleNamespace

from catapultlab.reproduce._common import Number
from catapultlab.reproduce._validate_stage import _inconclusive, _verdict


def _res(final_loss: float) -> SimpleNamespace:
    run = SimpleNamespace(c=0.5, final_loss=final_loss)
    return SimpleNamespace(runs=(run,), loss0=1.0, config=SimpleNamespace(steps=40))


def test_untrained_sweep_gives_no_verdict():
    why = _inconclusive(_res(0.6))
    assert why.startswith("not conclusive at this size") and "0.6 L0" in why
    n = Number.make("k", "q", 3.0, predicted=2.0, uncertainty=0.1, **_verdict(why)("=", "src"))
    assert n.agrees is None and n.source.startswith("not conclusive")


def test_trained_sweep_keeps_the_verdict():
    why = _inconclusive(_res(0.01))
    assert why == ""
    n = Number.make("k", "q", 3.0, predicted=2.0, uncertainty=0.1, **_verdict(why)("=", "src"))
    assert n.agrees is False and n.source == "src"
