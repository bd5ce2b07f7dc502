"""``catapultlab bifurcation``: late-time attractors over a grid of ``eta``, period doublings.

Heavy imports happen inside the command; bad input is refused with one line before any
compute (the top-level entry point turns :class:`catapultlab.CatapultError` into it).
"""

from __future__ import annotations

from typing import Any

import click

from catapultlab import CatapultError
from catapultlab.sim._options import FINITE, INPUTS, POSITIVE, SAMPLES
from catapultlab.theory import check_schedule, model_options, resolve_model, schedule_options

__all__ = ["bifurcation_cmd"]


def _initial_state(setup: Any, n: float, f0: float | None, lam0: float | None, seed: int) -> Any:
    """An explicit ``(f0, lam0)`` (models iterated in ``(f, lam)``) or the Gaussian init."""
    import numpy as np

    from catapultlab.sim._init import check_reachable, sample_gram_streams

    if (f0 is None) != (lam0 is None):
        raise CatapultError("give both --f0 and --lam0, or neither")
    if f0 is not None:
        if setup.numeric.state != ("f", "lam"):
            raise CatapultError(
                f"--f0/--lam0 need a model iterated in (f, lam); {setup.name!r} is iterated "
                f"in its Gram state ({len(setup.numeric.state)} inner products): use --seed"
            )
        check_reachable(float(f0), float(lam0), n)  # type: ignore[arg-type]
        return np.array([float(f0), float(lam0)])
    gram = sample_gram_streams(len(setup.numeric.vectors), int(n), 1, seed, 0)
    return setup.numeric.state_from_gram(gram, n)[:, 0]


def _check(eta_range: str, n: float, transient: int, max_period: int) -> Any:
    """The eta grid, every number checked before any compute."""
    import numpy as np

    from catapultlab.checks import check_int, check_width
    from catapultlab.sim._grid import parse_c_range

    grid = parse_c_range(eta_range, "--eta")
    check_width(n)
    check_int("--transient", transient, lo=1)
    k = check_int("--max-period", max_period, lo=1)
    if k & (k - 1):
        raise CatapultError(f"--max-period must be a power of two, got {k}")
    return np.asarray(grid, dtype=float)


@click.command("bifurcation")
@model_options
@click.option("--y", default=1.0, show_default=True, help="label (every sample).", **FINITE)
@click.option("--n", "n", type=float, default=1.0, show_default=True, help="width.")
@click.option("--eta", "eta_range", required=True, help="learning rates A:B:STEP or a list.")
@click.option("--f0", default=None, help="explicit initial output (f, lam models).", **FINITE)
@click.option("--lam0", default=None, help="explicit initial NTK (f, lam models).", **POSITIVE)
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the Gaussian init.")
@click.option("--transient", type=int, default=20000, show_default=True)
@click.option("--max-period", type=int, default=16, show_default=True)
@INPUTS
@SAMPLES
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON.")
@click.option("--figure", type=click.Path(dir_okay=False), default=None, help="PNG/PDF/SVG.")
@schedule_options
def bifurcation_cmd(
    model: str | None,
    spec_ref: str | None,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float | None,
    y: float,
    n: float,
    eta_range: str,
    f0: float | None,
    lam0: float | None,
    seed: int,
    transient: int,
    max_period: int,
    inputs: int,
    samples: int,
    as_json: bool,
    figure: str | None,
    warmup: int | None,
    schedule_text: str | None,
) -> None:
    """Late-time attractors over an eta grid, period-doubling onsets and Feigenbaum's delta.

    With ``--warmup T`` (or ``--schedule KIND:T``) the transient starts with the schedule
    (``eta`` is the target): warmup changes which attractor is reached, not the map's
    orbits, so the onsets are those of the map at each ``eta``.
    """
    from catapultlab.checks import check_figure_path, check_seed

    eta = _check(eta_range, n, transient, max_period)
    schedule = check_schedule(warmup, schedule_text, transient, "--transient")
    check_seed(seed)
    if figure:
        check_figure_path(figure)
    from catapultlab.sim._bifurcation import bifurcation, bifurcation_to_json
    from catapultlab.sim._setup import make_setup

    source, step, hyper = resolve_model(model, spec_ref, momentum, nesterov, weight_decay)
    if not isinstance(source, str) and not hasattr(source, "step"):
        raise CatapultError(
            f"{source.name!r} is a BlockSpec: simulate or sweep it with --block "
            "(derive and bifurcation take a ModelSpec)"
        )
    setup = make_setup(
        source, y=y, inputs=inputs, samples=samples, step=step, hyper=hyper, schedule=schedule
    )
    state0 = _initial_state(setup, n, f0, lam0, seed)
    result = bifurcation(setup, eta, n=n, state0=state0, transient=transient, max_period=max_period)
    if figure:
        from catapultlab.sim._figures import bifurcation_figure

        bifurcation_figure(result, figure)
    from catapultlab.sim._bifurcation import closed_forms

    doc = bifurcation_to_json(result, closed_forms(setup.derived(), setup.y, n))
    if as_json:
        from catapultlab.io import dumps

        click.echo(dumps(doc))
        return
    _print(doc)


def _print(doc: dict[str, Any]) -> None:
    """The onsets and Feigenbaum ratios for people."""
    periods = [a["period"] for a in doc["attractors"]]
    click.echo(
        f"{len(periods)} learning rates: {periods.count(None)} divergent, "
        f"{periods.count(0)} aperiodic, "
        f"{sum(1 for p in periods if p not in (None, 0))} periodic"
    )
    for o in doc["onsets"]:
        click.echo(f"period {o['period']:>4} from eta = {o['eta']:.12g} (± {o['eta_error']:.1g})")
    for f in doc["feigenbaum"]:
        click.echo(f"delta over periods {f['periods']}: {f['delta']:.6g}")
    if doc["onset_note"]:
        click.echo(f"note: {doc['onset_note']}")
    exact = doc["closed_forms"]
    if exact:
        click.echo(f"exact (eta_hat = {exact['eta_hat']}):")
        for p in ("period_2", "period_4"):
            click.echo(
                f"  {p.replace('_', ' ')} from eta_hat = {exact[p]['eta_hat']} "
                f"(eta = {exact[p]['eta']:.12g})"
            )
        if exact["two_cycle"]:
            click.echo(f"  2-cycle eta*lambda: {', '.join(exact['two_cycle']['eta_lam'])}")
