"""Growth of the Gram state is bounded by size, and a derivation by time (with its size)."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from catapultlab import CatapultError
from catapultlab.theory import WIDTH, DerivationTimeoutError, ModelSpec, derive, dot


def _chain(k: int) -> ModelSpec:
    y = sp.Symbol("y", real=True)
    names = tuple(f"w{i}" for i in range(1, k + 1))
    f = sum(dot(names[i], names[i + 1]) for i in range(k - 1)) / sp.sqrt((k - 1) * WIDTH)
    return ModelSpec(f"chain{k}", names, (f,), (y,))


def test_a_chain_of_vectors_closes_however_many_rounds_it_needs():
    from catapultlab.theory import derive_gram

    gram = derive_gram(_chain(8))  # refused as "no closed state" with a 2-round cap
    assert gram.rounds == 3 and len(gram.state) == 8 * 9 // 2


def test_a_derivation_past_its_budget_is_refused_with_its_size(monkeypatch):
    y = sp.Symbol("y", real=True)
    names = tuple(f"w{i}" for i in range(1, 7))
    s = sum(dot(a, b) for i, a in enumerate(names) for b in names[i:])
    spec = ModelSpec("cube6", names, (s**3 / WIDTH**3,), (y,))
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("the budget's SIGALRM needs the main thread (the derivation would run)")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    monkeypatch.setenv("CATAPULTLAB_DERIVE_BUDGET", "5")
    monkeypatch.setenv("CATAPULTLAB_NO_MODEL_CACHE", "1")
    start = time.monotonic()
    with pytest.raises(DerivationTimeoutError, match="1771 monomials in 21 inner products"):
        derive(spec)
    assert time.monotonic() - start < 20  # stopped near its budget, not after minutes
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # the timer is cleared


@pytest.mark.parametrize("value", ["abc", "-1", "inf", "nan"])
def test_a_bad_budget_is_one_line(monkeypatch, value):
    from catapultlab.theory import derive_budget_s

    monkeypatch.setenv("CATAPULTLAB_DERIVE_BUDGET", value)
    with pytest.raises(CatapultError, match="CATAPULTLAB_DERIVE_BUDGET"):
        derive_budget_s()


def test_the_alarm_defers_inside_a_gc_callback():
    """An exception raised in a gc callback is only printed, so the alarm waits for the next."""
    import gc
    import sys

    from catapultlab.theory._budget import _in_gc_callback

    seen = []

    def callback(phase, info):
        seen.append(_in_gc_callback(sys._getframe()))

    gc.callbacks.append(callback)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(callback)
    assert seen and all(seen)
    assert not _in_gc_callback(sys._getframe())
