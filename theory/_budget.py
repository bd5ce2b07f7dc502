"""A time budget for one derivation: a model too large to derive is refused, with its size.

The Gram state of a model of vectors is bounded by size (every inner product of its
vectors), but the SymPy work on it is not: all pairs of 6 vectors, cubed, spends over a
minute just expanding the Gram update. :func:`derivation_budget` bounds the time of
:func:`catapultlab.theory.derive` (on a cache miss): past the budget the derivation stops
and one line says where it stood and how large the model is, so a user knows whether to
wait (raise ``CATAPULTLAB_DERIVE_BUDGET``, seconds) or to declare a smaller model.

The budget uses ``SIGALRM``, so it applies on the main thread of a process that has no
other interval timer running (a CLI run, a notebook kernel); elsewhere derivations run
unbounded, as before.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from catapultlab import CatapultError

__all__ = [
    "DEFAULT_DERIVE_BUDGET_S",
    "DERIVE_BUDGET_ENV",
    "DerivationTimeoutError",
    "derivation_budget",
    "derive_budget_s",
    "stage",
]

DERIVE_BUDGET_ENV = "CATAPULTLAB_DERIVE_BUDGET"
"""Environment variable: seconds one derivation may take (0: no budget)."""

DEFAULT_DERIVE_BUDGET_S = 600.0
"""Seconds one derivation may take by default (the largest documented model, d = 4 and
m = 8, takes about 26 s)."""


class DerivationTimeoutError(CatapultError):
    """The derivation passed its time budget (the message says where and how large)."""


class _State:
    stage = "setup"
    started = 0.0
    done: list[tuple[str, float]] = []  # noqa: RUF012 - reset per derivation
    size = ""


_CURRENT = _State()


def derive_budget_s() -> float:
    """The budget in seconds (``CATAPULTLAB_DERIVE_BUDGET``, else the default).

    Raises:
        CatapultError: the variable is not a number >= 0.
    """
    text = os.environ.get(DERIVE_BUDGET_ENV, "").strip()
    if not text:
        return DEFAULT_DERIVE_BUDGET_S
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise CatapultError(f"{DERIVE_BUDGET_ENV} must be a number of seconds >= 0, got {text!r}")
    return value


def stage(name: str, size: str = "") -> None:
    """Mark the start of a stage of the running derivation (a no-op outside a budget)."""
    now = time.monotonic()
    _CURRENT.done.append((_CURRENT.stage, now - _CURRENT.started))
    _CURRENT.stage, _CURRENT.started = name, now
    if size:
        _CURRENT.size = size


def _in_gc_callback(frame: Any) -> bool:
    """Is the interrupted frame (or one of its callers) a registered ``gc`` callback?"""
    import gc

    codes = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def derivation_budget(model: str) -> Iterator[None]:
    """Bound the derivation of ``model`` by :func:`derive_budget_s` (see the module)."""
    seconds = derive_budget_s()
    usable = (
        seconds > 0
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    if not usable:
        yield
        return
    _CURRENT.stage, _CURRENT.started, _CURRENT.done, _CURRENT.size = (
        "setup",
        time.monotonic(),
        [],
        "",
    )

    def expire(signum: int, frame: object) -> None:
        if _in_gc_callback(frame):  # an exception there is only printed; the next alarm
            return  # (half a second on) lands in the derivation itself
        spent = ", ".join(f"{name} {t:.1f} s" for name, t in _CURRENT.done if t >= 0.05)
        raise DerivationTimeoutError(
            f"model {model!r}: the derivation passed its budget of {seconds:g} s in stage "
            f"'{_CURRENT.stage}' ({spent or 'earlier stages took no time'}); "
            f"{_CURRENT.size or 'size unknown'}. Declare a smaller model, or raise "
            f"{DERIVE_BUDGET_ENV} (seconds) to wait longer"
        )

    previous = signal.signal(signal.SIGALRM, expire)
    # repeat every half second: SymPy catches broad exceptions in places, so one raise can
    # be swallowed; the next one escapes (the timer is cleared once it has)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)
