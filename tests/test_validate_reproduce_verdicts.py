"""Reproduce's validate rows give no verdict when the nets are too small to have trained."""

from __future__ import annotations

from types import SimpleNamespace

from catapultlab.reproduce._verdicts import inconclusive, rekeyed, without_verdict
from catapultlab.stats import Comparison


def _res(final_loss: float) -> SimpleNamespace:
    run = SimpleNamespace(c=0.5, final_loss=final_loss)
    return SimpleNamespace(runs=(run,), loss0=1.0, config=SimpleNamespace(steps=40))


def _row() -> Comparison:
    return Comparison.make(
        "validate.c_loss", "c_loss", 3.0, predicted=2.0, uncertainty=0.1, relation="=", source="src"
    )


def test_untrained_sweep_gives_no_verdict():
    why = inconclusive(_res(0.6))
    assert why.startswith("not conclusive at this size") and "0.6 L0" in why
    n = without_verdict(_row(), why)
    assert n.agrees is None and n.relation == "" and n.source.startswith("not conclusive")
    assert (n.measured, n.predicted, n.uncertainty) == (3.0, 2.0, 0.1)


def test_trained_sweep_keeps_the_verdict():
    why = inconclusive(_res(0.01))
    assert why == ""
    n = without_verdict(_row(), why)
    assert n.agrees is False and n.source == "src" and n.relation == "="


def test_rekeyed_row_keeps_numbers_and_verdict():
    n = rekeyed(_row(), "validate.relu.c_loss", "ReLU MLP c_loss", "a note")
    assert (n.key, n.quantity, n.source) == (
        "validate.relu.c_loss",
        "ReLU MLP c_loss",
        "src; a note",
    )
    assert (n.measured, n.predicted, n.agrees) == (3.0, 2.0, False)
