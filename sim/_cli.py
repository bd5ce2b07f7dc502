"""Command line of the sim layer: ``sweep``, ``simulate`` and ``bench``.

Heavy imports happen inside the commands. Bad input raises
:class:`catapultlab.CatapultError`; the top-level ``catapultlab`` entry point turns
it (and click's own usage errors) into one stderr line and exit status 2.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from catapultlab import CatapultError
from catapultlab.batches import SAMPLING
from catapultlab.checks import check_full_model_size, check_int, check_seed
from catapultlab.sim._data_files import UserData, data_line, read_user_data, unfittable_note
from catapultlab.sim._options import FINITE, INPUTS, POSITIVE, SAMPLES

__all__ = ["COMMANDS", "sweep", "simulate", "bench"]

from catapultlab.theory import (
    NotClosedError,
    check_schedule,
    model_options,
    resolve_model,
    schedule_options,
)

_INPUTS, _SAMPLES = INPUTS, SAMPLES


NO_USER_DATA = UserData()


def _user_data(
    choice: tuple[Any, Any, Any], x_file: str | None, labels_file: str | None, block: bool
) -> Any:
    """Read ``--x`` / ``--labels`` (checked before any compute); a BlockSpec needs --block."""
    source = choice[0]
    if not block and not isinstance(source, str) and not hasattr(source, "step"):
        raise CatapultError(f"{source.name!r} is a BlockSpec: it runs with --block")
    has_data = source == "full" or bool(getattr(source, "data", ())) or block
    return read_user_data(x_file, labels_file, has_data)


def _float(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise CatapultError(f"{name} must be a number, got {text!r}") from exc


_X_FILE = click.option(
    "--x",
    "x_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="inputs, one sample per row (m x d; .npy, CSV or whitespace): sets d and m.",
)
_LABELS_FILE = click.option(
    "--labels",
    "labels_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="one label per sample (.npy, CSV or whitespace); replaces --y.",
)

_DATA_SEED = click.option(
    "--data-seed",
    type=int,
    default=0,
    show_default=True,
    callback=lambda ctx, param, value: check_seed(value, "--data-seed"),
    help="seed of the default inputs (models with data); --seed is the trajectories' seed.",
)


def _setup(
    choice: tuple[Any, Any, Any],
    y: float,
    inputs: int,
    samples: int,
    seed: int,
    schedule: Any = None,
    labels_scaled: bool = False,
    user: UserData = NO_USER_DATA,
) -> Any:
    from catapultlab.sim._setup import make_setup

    source, step, hyper = choice
    inputs, samples = user.sizes(inputs, samples)
    if source == "full":
        check_full_model_size(inputs, samples)
    return make_setup(
        source,
        y=y if user.labels is None else tuple(float(v) for v in user.labels),
        x=user.x,
        inputs=inputs,
        samples=samples,
        data_seed=seed,
        step=step,
        hyper=hyper,
        schedule=schedule,
        labels_scaled=labels_scaled,
    )


_Y_SCALED = click.option(
    "--y-scaled",
    is_flag=True,
    help="--y is the label on the outputs' nonlinear scale, y~ = y / n^(b_f) (for uv: "
    "y / sqrt(n)); it stays fixed as n grows (--n inf included). Without it y is fixed "
    "and y~ -> 0.",
)


def _check_outputs(out: str | None, figure: str | None, *, netcdf: bool) -> None:
    """Refuse unusable ``--out`` / ``--figure`` paths before any work."""
    from catapultlab.checks import check_figure_path, check_output_file, check_parts_path

    if out:
        check_output_file(out, netcdf=netcdf)
        if netcdf:  # a sweep result: its resume sidecar sits beside it
            check_parts_path(out)
    if figure:
        check_figure_path(figure)


@contextmanager
def _resumable(out: str | None) -> Iterator[None]:
    """Lock ``out`` against a second sweep, clean a crashed run's debris, catch Ctrl-C.

    Ctrl-C becomes one line that says what was kept for a resume and exit status 130
    (``SystemExit``: the top-level handler would add a second line).
    """
    if not out:
        try:
            yield
        except KeyboardInterrupt:
            click.echo("catapultlab: interrupted; nothing kept (no --out to resume)", err=True)
            raise SystemExit(130) from None
        return
    from catapultlab.sim._parts import sweep_lock
    from catapultlab.sim._sweep import clean_output_tmp, kept_parts

    folder = Path(f"{out}.parts")
    with sweep_lock(folder):
        clean_output_tmp(out)
        try:
            yield
        except KeyboardInterrupt:
            click.echo(
                f"catapultlab: interrupted; kept {kept_parts(out)} finished chunks in "
                f"{folder}: run the same command again to resume",
                err=True,
            )
            raise SystemExit(130) from None


@click.command()
@model_options
@click.option("--c", "c_range", default=None, help="control parameters c = eta lam0: A:B:STEP.")
@click.option(
    "--eta",
    "eta_range",
    default=None,
    help="fixed learning rates A:B:STEP instead of --c (for models whose lam0 stays random "
    "at order one: c = eta lam0 would sort trajectories by their init).",
)
@click.option(
    "--n",
    "widths",
    required=True,
    help="widths N1,N2,...; inf for the infinite-width limit (the model's limit map and "
    "the limit law of its init).",
)
@click.option(
    "--y",
    "labels",
    default="1.0",
    show_default=True,
    help="label, or Y1,Y2,... for a c x y diagram (one sweep per label).",
)
@click.option(
    "--ensemble", type=int, default=1000, show_default=True, help="trajectories per cell."
)
@click.option("--steps", type=int, default=1000, show_default=True, help="step budget.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--dtype", type=click.Choice(["float64", "float32"]), default="float64", show_default=True
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="netCDF file (written atomically; re-running resumes).",
)
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON.")
@click.option(
    "--figure", type=click.Path(dir_okay=False), default=None, help="phase diagram PNG/PDF."
)
@click.option("--workers", type=int, default=None, help="run on a local dask cluster.")
@click.option("--scheduler", type=str, default=None, help="dask scheduler address.")
@click.option(
    "--chunk",
    type=int,
    default=65536,
    show_default=True,
    help="trajectories per chunk task (whole seed blocks).",
)
@click.option(
    "--backend",
    type=click.Choice(["kernel", "numpy"]),
    default="kernel",
    show_default=True,
    help="generated Numba kernel or the pure NumPy path.",
)
@_INPUTS
@_SAMPLES
@_DATA_SEED
@_X_FILE
@_LABELS_FILE
@schedule_options
@_Y_SCALED
@click.option(
    "--block", is_flag=True, help="full model at any size through its block map (--json only)."
)
@click.option(
    "--batch",
    "batch_text",
    default=None,
    help="with --block: SGD batch sizes B1,B2,... (full: full batch); one sweep over c per B.",
)
@click.option(
    "--sampling",
    type=click.Choice(SAMPLING),
    default="shuffle",
    show_default=True,
    help="SGD batches (catapultlab.batches; validate --sampling means the same).",
)
def sweep(
    model: str | None,
    spec_ref: str | None,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float | None,
    c_range: str | None,
    eta_range: str | None,
    widths: str,
    labels: str,
    ensemble: int,
    steps: int,
    seed: int,
    dtype: str,
    out: str | None,
    as_json: bool,
    figure: str | None,
    workers: int | None,
    scheduler: str | None,
    chunk: int,
    backend: str,
    inputs: int,
    samples: int,
    data_seed: int,
    x_file: str | None,
    labels_file: str | None,
    warmup: int | None,
    schedule_text: str | None,
    y_scaled: bool,
    **block: Any,
) -> None:
    """Phase fractions, boundaries and scaling fits over a (c, n) grid (or (c, n, y))."""
    from catapultlab.io import dumps
    from catapultlab.sim._sweep_config import SweepConfig
    from catapultlab.sim._ysweep import parse_labels

    ys = parse_labels(labels)
    grid, grid_text = _grid_choice(c_range, eta_range)
    c, n = _check_sweep(
        grid_text, widths, ensemble, steps, seed, dtype, len(ys), chunk, workers, grid
    )
    if scheduler is not None and workers is not None:
        raise CatapultError("give --scheduler or --workers, not both")
    _check_outputs(out, figure, netcdf=True)
    schedule = check_schedule(warmup, schedule_text, steps)
    _check_limit_schedule(n, schedule)
    choice = resolve_model(model, spec_ref, momentum, nesterov, weight_decay)
    user = _sweep_user_data(choice, x_file, labels_file, block, ys)
    if block["block"] or block["batch_text"] is not None:
        return _sweep_block(choice, locals() | block, c, n, ys, schedule, grid)
    setups = [_setup(choice, y, inputs, samples, data_seed, schedule, y_scaled, user) for y in ys]
    _check_setups(setups, n, grid)
    cfgs = [
        SweepConfig(
            setup, c, n, ensemble, steps, seed=seed, dtype=dtype, backend=backend, grid=grid
        )
        for setup in setups
    ]
    progress = (not as_json) and sys.stderr.isatty()
    with _resumable(out):
        results = _run_sweeps(cfgs, chunk, out, progress, workers, scheduler)
        ds, doc = _sweep_outputs(results, ys, out)
    _describe_limit(doc, setups, ys)
    if figure:
        _sweep_figure(ds, ys, figure, setups[0].numeric)
    _note_unresolved(doc["cells"], steps, grid)
    if grid == "eta":
        doc["grid"] = "eta"  # the cells' and boundaries' c values are learning rates
    if as_json:
        click.echo(dumps(doc))
        return
    from catapultlab.sim._sweep_json import boundary_table

    if setups[0].data.x:
        click.echo(data_line(setups[0], user, data_seed))
    click.echo(boundary_table(doc["boundaries"], c_grid=c, label=ys[0], grid=grid))
    if out:
        click.echo(f"wrote {out}")


def _sweep_user_data(
    choice: Any, x_file: str | None, labels_file: str | None, block: dict[str, Any], ys: Any
) -> Any:
    """``sweep``'s --x/--labels, checked (one label per sample, not a c x y diagram)."""
    user = _user_data(
        choice, x_file, labels_file, block["block"] or block["batch_text"] is not None
    )
    if user.labels is not None and len(ys) > 1:
        raise CatapultError("--labels gives one label per sample; a c x y diagram takes --y")
    return user


def _check_setups(setups: list[Any], n: Any, grid: str) -> None:
    """Before the sweep: the unfittable-labels note, the n = inf law's checks, lam0 spread."""
    note = unfittable_note(setups[0])
    if note:
        click.echo(f"catapultlab: note: {note}", err=True)
    if float("inf") in n:
        from catapultlab.sim._limit import check_limit

        for setup in setups:
            check_limit(setup)
    if grid == "c":
        _warn_random_lam0(setups[0], n)


def _check_limit_schedule(n: Any, schedule: Any) -> None:
    """Schedules are refused at ``--n inf`` (the limit law starts at the center)."""
    if float("inf") in n and schedule.kind != "constant":
        from catapultlab.sim._limit import NO_SCHEDULE_AT_INFINITY

        raise CatapultError(NO_SCHEDULE_AT_INFINITY)


def _sweep_block(
    choice: Any, kw: dict[str, Any], c: Any, n: Any, ys: Any, schedule: Any, grid: str
) -> None:
    """``sweep full --block [--batch B1,B2]``: the block map's (c, B) sweep as JSON."""
    from catapultlab.io import dumps
    from catapultlab.sim._cli_block import block_sweep, check_block_request, parse_batches

    samples = kw["user"].sizes(kw["inputs"], kw["samples"])[1]
    batches = parse_batches(kw["batch_text"], samples, kw["sampling"])
    check_block_request(choice, None, samples, False, schedule)
    if grid != "c" or len(ys) != 1:
        raise CatapultError("--block sweeps take --c and one --y (no --eta grid)")
    doc = block_sweep(
        choice, inputs=kw["inputs"], samples=kw["samples"], y=ys[0], data_seed=kw["data_seed"],
        widths=n, c=c, batches=batches, ensemble=kw["ensemble"], steps=kw["steps"],
        seed=kw["seed"], user=kw["user"],
    )  # fmt: skip
    _block_outputs(doc, kw["out"], kw["figure"])
    click.echo(dumps(doc))


def _block_outputs(doc: dict[str, Any], out: str | None, figure: str | None) -> None:
    """``--out`` (netCDF over n, batch, c) and ``--figure`` of a block sweep."""
    from catapultlab.sim._block_sweep_out import block_sweep_dataset, block_sweep_figure

    if out:
        from catapultlab.io import write_netcdf

        write_netcdf(block_sweep_dataset(doc), out)
    if figure:
        block_sweep_figure(doc, figure)


def _grid_choice(c_range: str | None, eta_range: str | None) -> tuple[str, str]:
    """``("c", text)`` or ``("eta", text)``: exactly one of ``--c`` and ``--eta``."""
    if (c_range is None) == (eta_range is None):
        raise CatapultError("give --c (c = eta lam0) or --eta (fixed learning rates), one of them")
    return ("c", c_range) if c_range is not None else ("eta", eta_range)  # type: ignore[return-value]


RANDOM_LAM0_SPREAD = 0.05
"""``sweep --c`` warns when ``lam0``'s relative spread exceeds this and does not shrink with n."""


def _warn_random_lam0(setup: Any, widths: tuple[float, ...]) -> None:
    """One stderr line when ``lam0`` stays random at order one as n grows (use ``--eta``).

    The spread of ``lam0`` over the init is measured at the largest finite width and at 100
    times it (Bartlett draws: the cost does not depend on n); a model whose NTK
    concentrates has its spread fall about tenfold.
    """
    import numpy as np

    from catapultlab.sim._init import initial_state

    finite = [w for w in widths if w != float("inf")]
    if not finite:
        return
    spread = []
    for n in (max(finite), 100 * max(finite)):
        lam0 = initial_state(setup, int(n), 2000, seed=12345).lam0
        spread.append(float(np.std(lam0) / np.mean(np.abs(lam0))))
    if spread[0] > RANDOM_LAM0_SPREAD and spread[1] > 0.5 * spread[0]:
        click.echo(
            f"catapultlab: warning: lam0 of {setup.name!r} stays random as n grows (relative "
            f"spread {spread[0]:.2f} at n = {max(finite):g}, {spread[1]:.2f} at 100x): c = eta "
            "lam0 then sorts trajectories by their init; --eta sweeps a fixed learning rate",
            err=True,
        )


def _check_sweep(
    c_range: str,
    widths: str,
    ensemble: int,
    steps: int,
    seed: int,
    dtype: str,
    labels: int,
    chunk: int,
    workers: int | None,
    grid: str = "c",
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """The c grid and widths of a sweep request, every number checked before any work."""
    from catapultlab.sim._grid import parse_c_range, parse_widths
    from catapultlab.sim._requests import check_sweep_request

    c = parse_c_range(c_range, f"--{grid}")
    n = parse_widths(widths)
    check_sweep_request(
        c=c, n=n, ensemble=ensemble, steps=steps, seed=seed, dtype=dtype, labels=labels
    )
    check_int("--chunk", chunk, lo=1)
    if workers is not None:
        check_int("--workers", workers, lo=1)
    return c, n


def _run_sweeps(
    cfgs: list[Any],
    chunk: int,
    out: str | None,
    progress: bool,
    workers: int | None,
    scheduler: str | None,
) -> list[Any]:
    """Every sweep's result, here or on a dask cluster, resuming from ``out``'s parts."""
    from catapultlab.sim._sweep import parts_dir_for, sweep_result

    def run_all(runner: Any = None) -> list[Any]:
        return [
            sweep_result(
                cfg,
                chunk=chunk,
                runner=runner,
                parts_dir=parts_dir_for(out, cfg) if out else None,
                progress=progress,
            )
            for cfg in cfgs
        ]

    if workers is None and scheduler is None:
        return run_all()
    from catapultlab.sim._dask import dask_client, dask_runner

    with dask_client(scheduler=scheduler, workers=workers) as client:
        return run_all(dask_runner(client))


def _sweep_outputs(results: list[Any], ys: tuple[float, ...], out: str | None) -> tuple[Any, Any]:
    """The result to write (one sweep, or stacked over ``y``), its JSON; written to ``out``."""
    from catapultlab.io import write_netcdf
    from catapultlab.sim._sweep import remove_parts
    from catapultlab.sim._sweep_json import sweep_to_json

    if len(ys) == 1:  # written and reported without importing xarray
        ds, doc = results[0], sweep_to_json(results[0])
    else:
        from catapultlab.sim._ysweep import stack_over_y, stacked_to_json

        datasets = [r.to_dataset() for r in results]
        ds, doc = stack_over_y(datasets, ys), stacked_to_json(datasets, ys)
    if out:
        write_netcdf(ds, out)
        remove_parts(out)
    return ds, doc


def _describe_limit(doc: dict[str, Any], setups: list[Any], ys: tuple[float, ...]) -> None:
    """Each ``n = inf`` cell's JSON says what its law is (:func:`catapultlab.sim.limit_law`)."""
    cells = [cell for cell in doc["cells"] if cell["n"] == "inf"]
    if not cells:
        return
    from catapultlab.sim._limit import limit_law

    by_y = dict(zip(ys, setups, strict=True))
    for cell in cells:
        cell["limit"] = limit_law(by_y[cell.get("y", ys[0])], cell["c"])


def _sweep_figure(ds: Any, ys: tuple[float, ...], figure: str, numeric: Any) -> None:
    """The phase diagram over (c, n), or over (c, y) for several labels."""
    if len(ys) == 1:
        from catapultlab.sim._figures import phase_diagram

        phase_diagram(ds.to_dataset(), figure, model=numeric)
    else:
        from catapultlab.sim._ysweep import phase_diagram_cy

        phase_diagram_cy(ds, figure, model=numeric)


UNRESOLVED_NOTE = 0.01
"""Above this unresolved fraction in some cell, ``sweep`` says so on stderr."""


def _note_unresolved(cells: list[dict[str, Any]], steps: int, grid: str = "c") -> None:
    """One stderr line when some cell has many trajectories still running at ``--steps``.

    Their outcomes are unknown, so the cell's quartiles (of the converged runs) leave
    them out: typically the slowest to converge after a catapult, at the smallest
    ``eta * lam_final``.
    """
    worst = max(cells, key=lambda r: r["p_unresolved"], default=None)
    if worst is None or not worst["p_unresolved"] > UNRESOLVED_NOTE:
        return
    where = ", ".join(
        f"{grid if k == 'c' else k} = "
        f"{worst[k] if isinstance(worst[k], str) else format(worst[k], 'g')}"
        for k in ("y", "c", "n")
        if k in worst
    )
    click.echo(
        f"catapultlab: note: up to {100 * worst['p_unresolved']:.1f}% of a cell's trajectories "
        f"are unresolved after {steps} steps ({where}); the quartiles cover the converged "
        "ones only: raise --steps to resolve them",
        err=True,
    )


@click.command()
@model_options
@click.option("--c", "c", type=float, required=True, help="c = eta lam0.")
@click.option("--n", "n", type=float, required=True, help="width.")
@click.option("--y", default=1.0, show_default=True, **FINITE)
@click.option("--f0", default=None, help="explicit initial output (uv).", **FINITE)
@click.option("--lam0", default=None, help="explicit initial NTK (uv).", **POSITIVE)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--steps", type=int, required=True)
@click.option("--exact", is_flag=True, help="parameter-space GD on explicit width-n vectors.")
@click.option("--ensemble", type=int, default=1, show_default=True)
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64")
@click.option("--json", "as_json", is_flag=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="JSON output file.")
@click.option(
    "--figure",
    type=click.Path(dir_okay=False),
    default=None,
    help="f_t and lam_t curves (PNG/PDF).",
)
@_INPUTS
@_SAMPLES
@_DATA_SEED
@_X_FILE
@_LABELS_FILE
@schedule_options
@click.option(
    "--block",
    is_flag=True,
    help="full model at any --inputs/--samples through its block map (Gram blocks U^T U, "
    "U^T v, v^T v; no symbolic size limit).",
)
@click.option("--batch", type=int, default=None, help="SGD batch size (with --block).")
@click.option(
    "--sampling",
    type=click.Choice(SAMPLING),
    default="shuffle",
    show_default=True,
    help="SGD batches (catapultlab.batches; validate --sampling means the same).",
)
def simulate(
    model: str | None,
    spec_ref: str | None,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float | None,
    c: float,
    n: float,
    y: float,
    f0: float | None,
    lam0: float | None,
    seed: int,
    steps: int,
    exact: bool,
    ensemble: int,
    dtype: str,
    as_json: bool,
    out: str | None,
    figure: str | None,
    inputs: int,
    samples: int,
    data_seed: int,
    x_file: str | None,
    labels_file: str | None,
    warmup: int | None,
    schedule_text: str | None,
    **block: Any,
) -> None:
    """Iterate one trajectory (or a few) and print f_t, lam_t and the loss, step 0 first."""
    from catapultlab.sim._requests import check_simulate_request
    from catapultlab.sim._trajectory import simulate_trajectories, trajectory_to_json

    check_simulate_request(
        c=c, n=n, steps=steps, ensemble=ensemble, seed=seed, dtype=dtype, exact=exact,
        infinite=bool(block["block"] or block["batch"] is not None),
    )  # fmt: skip
    _check_outputs(out, figure, netcdf=False)
    schedule = check_schedule(warmup, schedule_text, steps)
    choice = resolve_model(model, spec_ref, momentum, nesterov, weight_decay)
    user = _user_data(choice, x_file, labels_file, block["block"] or block["batch"] is not None)
    if block["block"] or block["batch"] is not None:
        return _simulate_block(choice, locals() | block, schedule)
    try:
        setup = _setup(choice, y, inputs, samples, data_seed, schedule, user=user)
    except NotClosedError as exc:
        if not exact or schedule.kind != "constant":
            raise CatapultError(f"{exc}; simulate --exact runs it in parameter space") from None
        from catapultlab.sim._trajectory import exact_spec_trajectory

        setup = None  # no closed map: the exact parameter-space simulator runs the spec
        trajectory = exact_spec_trajectory(
            choice, c=c, n=n, steps=steps, seed=seed, y=y, ensemble=ensemble
        )
    if setup is not None:
        trajectory = simulate_trajectories(
            setup,
            c=c,
            n=n,
            steps=steps,
            seed=seed,
            f0=f0,
            lam0=lam0,
            exact=exact,
            ensemble=ensemble,
            dtype=dtype,
        )
    if figure:
        from catapultlab.sim._figures import trajectory_figure

        trajectory_figure(trajectory, figure)
    if setup is not None and setup.data.x and not as_json and not out:
        click.echo(data_line(setup, user, data_seed))
    _emit(trajectory_to_json(trajectory), out, as_json)


def _emit(doc: dict[str, Any], out: str | None, as_json: bool) -> None:
    """Write ``simulate``'s JSON to ``out``; print it (``as_json``) or its one-line summary."""
    from catapultlab.io import atomic_write_text, dumps

    text = dumps(doc)
    if out:
        atomic_write_text(out, text + "\n")
    if as_json:
        click.echo(text)
    elif not out:
        click.echo(
            f"phase {doc['phase']}, steps {doc['steps_taken']}, peak loss "
            f"{_number(doc['peak_loss'], '.6g')} at step {doc['t_peak']}, eta*lam_final "
            f"{_number(doc['eta_lam_final'])}"
        )


def _simulate_block(choice: Any, kw: dict[str, Any], schedule: Any) -> None:
    """``simulate full --block [--batch B]``: print (and write) the block-map runs' JSON."""
    from catapultlab.batches import BatchRule
    from catapultlab.io import atomic_write_text, dumps
    from catapultlab.sim._cli_block import block_trajectories, check_block_request

    if kw["figure"]:
        raise CatapultError("--figure is not drawn for --block runs yet; use --json")
    rule = None if kw["batch"] is None else BatchRule(kw["batch"], kw["sampling"])
    samples = kw["user"].sizes(kw["inputs"], kw["samples"])[1]
    check_block_request(choice, rule, samples, kw["exact"], schedule)
    doc = block_trajectories(
        choice, inputs=kw["inputs"], samples=kw["samples"], y=kw["y"],
        data_seed=kw["data_seed"], n=kw["n"], c=kw["c"], steps=kw["steps"],
        seed=kw["seed"], ensemble=kw["ensemble"], batch=rule, user=kw["user"],
    )  # fmt: skip
    text = dumps(doc)
    if kw["out"]:
        atomic_write_text(kw["out"], text + "\n")
    if kw["as_json"] or not kw["out"]:
        click.echo(text if kw["as_json"] else _block_summary(doc))


def _block_summary(doc: dict[str, Any]) -> str:
    lines = []
    for r in doc["runs"]:
        loss = [v for v in r.get("rescaled_loss") or r["loss"] if v is not None]
        state = "diverged" if r["diverged"] else f"loss {loss[0]:.4g} -> {loss[-1]:.4g}"
        if "growth" in r and not r.get("rescaled_loss"):
            state = f"lazy (the linear phase does not grow: gamma {r['growth']:.3g} per step)"
        elif "growth" in r:
            peak = "" if r["diverged"] else f", peak {max(loss):.4g}"
            state = (f"grows (gamma {r['growth']:.3g} per step), enters at step "
                     f"{r['entry_step']}; rescaled orbit {state}{peak}")  # fmt: skip
        lines.append(f"{r['batch']}: {state}, {len(r['spikes'])} spike(s), lam0 {r['lam0']:.4g}")
    return "\n".join(lines)


def _number(value: float | None, spec: str = "") -> str:
    """A number of the JSON record for the one-line summary (``None`` there: not finite)."""
    return "not finite" if value is None else format(value, spec)


@click.command()
@click.option("--trajectories", type=float, default=1e7, show_default=True)
@click.option("--steps", type=int, default=1000, show_default=True)
@click.option("--n", "n", type=float, default=1000.0, show_default=True)
@click.option(
    "--baseline-trajectories",
    type=float,
    default=None,
    help="subsample for the NumPy and JAX baselines (default min(N, 2e5)).",
)
@click.option(
    "--sweep-ensemble",
    type=float,
    default=1e6,
    show_default=True,
    help="trajectories per cell of the whole-sweep rows (sweep uv --c 3.0:3.9:0.9 --n 1e6); "
    "0 skips them.",
)
@click.option(
    "--dynamics-ensemble",
    type=float,
    default=2000,
    show_default=True,
    help="trajectories per cell of the --n inf rows (sweep uv --momentum 0.5 --n inf vs "
    "--n 1e8); with the bifurcation rows (attractors/s). 0 skips them.",
)
@click.option("--json", "as_json", is_flag=True)
def bench(
    trajectories: float,
    steps: int,
    n: float,
    baseline_trajectories: float | None,
    sweep_ensemble: float,
    dynamics_ensemble: float,
    as_json: bool,
) -> None:
    """Time the kernel against NumPy and JAX, a whole sweep, and the dynamics commands.

    The dynamics rows: bifurcation attractors/s and sweep --n inf against --n 1e8.
    """
    from catapultlab.io import dumps
    from catapultlab.sim._bench import format_sweep_table, format_table, run_bench, sweep_rows
    from catapultlab.sim._bench_dynamics import dynamics_rows, format_dynamics_table
    from catapultlab.sim._requests import check_bench_request

    for flag, value in (
        ("--sweep-ensemble", sweep_ensemble),
        ("--dynamics-ensemble", dynamics_ensemble),
    ):
        if not (value == 0 or (math.isfinite(value) and value >= 1 and value == int(value))):
            raise CatapultError(f"{flag} must be 0 or an integer >= 1, got {value!r}")

    base = check_bench_request(
        trajectories=trajectories, steps=steps, n=n, baseline=baseline_trajectories
    )
    rows = run_bench(int(trajectories), steps, n=n, baseline=base)
    sweep = sweep_rows(int(sweep_ensemble), steps) if sweep_ensemble else []
    dynamics = dynamics_rows(ensemble=int(dynamics_ensemble)) if dynamics_ensemble else []
    if as_json:
        click.echo(dumps(rows + sweep + dynamics))
    else:
        click.echo(format_table(rows))
        if sweep:
            click.echo("\n" + format_sweep_table(sweep))
        if dynamics:
            click.echo("\n" + format_dynamics_table(dynamics))


from catapultlab.sim._cli_derive import derive  # noqa: E402
from catapultlab.sim._cli_dynamics import bifurcation_cmd  # noqa: E402 - after the helpers it uses

COMMANDS = (derive, sweep, simulate, bench, bifurcation_cmd)
