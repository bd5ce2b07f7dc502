"""The command line's learning-rate schedule options, shared by simulate, sweep and bifurcation."""

from __future__ import annotations

from typing import Any

import click

from catapultlab import CatapultError

__all__ = ["check_schedule", "schedule_options"]


def schedule_options(func: Any) -> Any:
    """Add ``--warmup T`` and ``--schedule KIND:T`` (one learning-rate schedule)."""
    func = click.option(
        "--schedule",
        "schedule_text",
        default=None,
        help="learning-rate schedule KIND:T (warmup:100, cosine:500); c is the target eta.",
    )(func)
    return click.option(
        "--warmup",
        type=int,
        default=None,
        help="linear warmup over T steps: eta_t = eta min(1, (t+1)/T).",
    )(func)


def check_schedule(
    warmup: int | None, text: str | None, steps: int, budget: str = "--steps"
) -> Any:
    """The schedule of the flags; refused when it is longer than the step budget."""
    from catapultlab.theory import Schedule

    schedule = Schedule.parse(warmup=warmup, schedule=text)
    if schedule.length > steps:
        raise CatapultError(
            f"the {schedule.kind} schedule lasts {schedule.length} steps, longer than "
            f"{budget} {steps}: the target learning rate would never be reached"
        )
    return schedule
