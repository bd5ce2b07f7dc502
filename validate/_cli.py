"""The ``catapultlab validate`` command (a learning-rate sweep on a real network).

Heavy imports (JAX, xarray, matplotlib) happen inside the command. Bad input
raises :class:`catapultlab.CatapultError`, which the top-level CLI prints as one
line with exit status 2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from catapultlab import CatapultError
from catapultlab.batches import SAMPLING
from catapultlab.theory import check_schedule, schedule_options

if TYPE_CHECKING:
    from catapultlab.validate._sweep import SweepConfig

__all__ = ["COMMANDS", "scan_cmd", "validate_cmd"]


def _batch(value: str) -> int | None:
    if value == "full":
        return None
    try:
        k = int(value)
    except ValueError:
        raise CatapultError(f"bad --batch {value!r}; use 'full' or a positive integer") from None
    if k < 1:
        raise CatapultError(f"batch size must be at least 1, got {k}")
    return k


_SHARED = [
    click.option("--arch", default="mlp", show_default=True, help="mlp, cnn or resnet."),
    click.option("--act", default="relu", show_default=True, help="linear, relu, tanh or gelu."),
    click.option(
        "--dataset",
        default="digits",
        show_default=True,
        help="digits, mnist1d, fashion_mnist, teacher, mnist or cifar10.",
    ),
    click.option(
        "--c",
        "c_range",
        default="0.5:16",
        show_default=True,
        help="Grid of c = eta*lambda0 as A:B[:STEP] (8 points without STEP).",
    ),
    click.option(
        "--steps", default=200, show_default=True, type=int, help="Training steps T per run."
    ),
    click.option("--seed", default=0, show_default=True, type=int),
    click.option(
        "--batch", default="full", show_default=True, help="'full' (GD) or a minibatch size (SGD)."
    ),
    click.option(
        "--own-model-runs",
        type=int,
        default=None,
        help="inits per c of the network's own model (the full model of its data at its "
        "width, block map); default 8 for a linear one-hidden-layer MLP, else 0 (then the "
        "linear model of the same data is shown as a reference when N > 0).",
    ),
    click.option(
        "--sampling",
        default="shuffle",
        show_default=True,
        type=click.Choice(SAMPLING),
        help="SGD batches: epoch shuffles (a data loader's, last partial batch dropped), "
        "or each step's batch drawn without / with replacement (catapultlab.batches).",
    ),
    click.option("--train-size", default=256, show_default=True, type=int),
    click.option("--test-size", default=512, show_default=True, type=int),
    click.option("--dtype", default="float32", show_default=True, help="float32 or float64."),
    click.option(
        "--param", default="ntk", show_default=True, help="ntk or standard parametrisation."
    ),
    click.option(
        "--bisect", default=3, show_default=True, type=int, help="Bisection steps per boundary."
    ),
    click.option(
        "--sharpness",
        default="ntk",
        show_default=True,
        help="ntk: track lambda_t; hessian: also the loss-Hessian sharpness S_t (and denser late steps).",
    ),
    click.option(
        "--optimizer",
        default="gd",
        show_default=True,
        help="gd, momentum, nesterov or adam (optax).",
    ),
    click.option(
        "--momentum",
        default=None,
        type=float,
        help="Momentum beta (heavy ball / Nesterov) or Adam's beta1; default 0.9 (0 for gd).",
    ),
    click.option(
        "--weight-decay", default=0.0, show_default=True, type=float, help="Weight decay K."
    ),
    click.option(
        "--weight-decay-mode",
        default="decoupled",
        show_default=True,
        help="decoupled (AdamW-style, added after the optimizer) or l2 (K/2 |theta|^2 in the loss).",
    ),
    click.option(
        "--data-dir", default=None, help="Directory with MNIST idx or CIFAR-10 pickle files."
    ),
    click.option(
        "--init-scale",
        default=1.0,
        show_default=True,
        type=float,
        help="Multiply every initial parameter by this (a small init sharpens progressively).",
    ),
    click.option(
        "--late-window",
        default=16,
        show_default=True,
        type=int,
        help="Last steps with lambda_t measured every step: the late-time period and eta*lambda band.",
    ),
    click.option("--out", default=None, help="Write the results as netCDF to this file."),
    click.option("--figure", default=None, help="Write the sweep figure (e.g. PNG) to this file."),
    click.option(
        "--json", "as_json", is_flag=True, help="Print one JSON object instead of a table."
    ),
]


def _config(depth: int, width: int, **kw: Any) -> SweepConfig:
    """Check the shared options (one line per error, before any compute) and build the config."""
    from catapultlab.validate._data import DATASETS
    from catapultlab.validate._nets import ACTIVATIONS, ARCHITECTURES
    from catapultlab.validate._precision import DTYPES
    from catapultlab.validate._sweep import SweepConfig, c_grid

    arch, act, dataset = kw["arch"], kw["act"], kw["dataset"].replace("-", "_")
    if arch not in ARCHITECTURES:
        raise CatapultError(
            f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}"
        )
    if act not in ACTIVATIONS:
        raise CatapultError(f"unknown activation {act!r}; choose one of {', '.join(ACTIVATIONS)}")
    if dataset not in DATASETS:
        raise CatapultError(
            f"unknown dataset {kw['dataset']!r}; choose one of {', '.join(DATASETS)}"
        )
    if depth < 1 or width < 1:
        raise CatapultError(f"depth and width must be at least 1, got depth={depth}, width={width}")
    if kw["dtype"] not in DTYPES:
        raise CatapultError(f"unknown dtype {kw['dtype']!r}; choose float32 or float64")
    if kw["param"] not in ("ntk", "standard"):
        raise CatapultError(f"unknown parametrisation {kw['param']!r}; choose ntk or standard")
    if kw["bisect"] < 0:
        raise CatapultError(f"--bisect must be non-negative, got {kw['bisect']}")
    if kw["sharpness"] not in ("ntk", "hessian"):
        raise CatapultError(f"unknown --sharpness {kw['sharpness']!r}; choose ntk or hessian")
    cfg = SweepConfig(
        arch=arch,
        act=act,
        depth=depth,
        width=width,
        dataset=dataset,
        c_values=c_grid(kw["c_range"]),
        steps=kw["steps"],
        seed=kw["seed"],
        batch_size=_batch(kw["batch"]),
        sampling=kw["sampling"],
        own_model_runs=kw["own_model_runs"],
        train_size=kw["train_size"],
        test_size=kw["test_size"],
        dtype=kw["dtype"],
        param=kw["param"],
        data_dir=kw["data_dir"],
        bisect=kw["bisect"],
        sharpness=kw["sharpness"],
        late_count=25 if kw["sharpness"] == "hessian" else 0,
        optimizer=kw["optimizer"],
        momentum=kw["momentum"],
        weight_decay=kw["weight_decay"],
        weight_decay_mode=kw["weight_decay_mode"],
        schedule=check_schedule(kw["warmup"], kw["schedule_text"], kw["steps"]).label,
        late_window=min(kw["late_window"], kw["steps"]),  # a short run: its whole length
        init_scale=kw["init_scale"],
    )
    if not kw["init_scale"] > 0:
        raise CatapultError(f"--init-scale must be > 0, got {kw['init_scale']}")
    if kw["late_window"] < 0:
        raise CatapultError(f"--late-window must be >= 0, got {kw['late_window']}")
    cfg.optimizer_config()  # bad optimizer settings fail here, before any compute
    from catapultlab.validate._budget import check_sweep_config

    check_sweep_config(cfg)
    return cfg


def _shared_options(f: Callable) -> Callable:
    """The options validate and scan share (everything but depth and width)."""
    for option in reversed(_SHARED):
        f = option(f)
    return schedule_options(f)


@click.command("validate")
@click.option(
    "--depth", default=3, show_default=True, type=int, help="Hidden layers / conv layers / blocks."
)
@click.option("--width", default=512, show_default=True, type=int, help="Hidden width or channels.")
@_shared_options
def validate_cmd(
    depth: int, width: int, out: str | None, figure: str | None, as_json: bool, **kw: Any
) -> None:
    """Sweep c = eta*lambda0 on a real network; report phases, c_loss, c_sharp, c_max."""
    cfg = _config(depth, width, **kw)
    from catapultlab.checks import check_figure_path, check_output_file

    if out:
        check_output_file(out, netcdf=True)
    if figure:
        check_figure_path(figure)
    from catapultlab.validate._report import comparison_table, sweep_to_dict, write_netcdf
    from catapultlab.validate._sweep import run_sweep

    res = run_sweep(cfg)
    if out:
        write_netcdf(res, out)
    if figure:
        from catapultlab.validate._figure import plot_sweep

        plot_sweep(res, figure)
    if as_json:
        from catapultlab.io import dumps

        click.echo(dumps(sweep_to_dict(res)))
        return
    click.echo(
        f"{res.network} on {cfg.dataset}: lambda0 = {res.lam0:.6g} "
        f"(residual {res.lam0_residual:.1e}), L0 = {res.loss0:.4g}"
    )
    click.echo(
        f"{'c':>8} {'phase':>10} {'final loss':>11} {'max L/L0':>9} "
        f"{'eta*lam_T':>9} {'test acc':>8}"
    )
    for r in res.runs:
        el = "-" if r.eta_ntk_final is None else f"{r.eta_ntk_final:.3f}"
        ta = "-" if r.test_acc is None else f"{r.test_acc:.4f}"
        click.echo(
            f"{r.c:8.4g} {r.phase:>10} {r.final_loss:11.4g} {r.max_loss_ratio:9.3g} {el:>9} {ta:>8}"
        )
    from catapultlab.stats import CONVENTION

    click.echo(f"{CONVENTION} s.e. of a boundary bracketed to width w: w/sqrt(12).")
    for name, b in (("c_loss", res.c_loss), ("c_sharp", res.c_sharp), ("c_max", res.c_max)):
        click.echo(f"{name} = {b.describe(cfg.c_values)}")
    sr = res.sharpness_reduction
    if sr is not None:
        flag = "yes" if sr > cfg.sharp_tol else "no"
        click.echo(f"sharpness reduction below c_loss: {flag} (largest early drop {100 * sr:.1f}%)")
    for row in comparison_table(res):
        click.echo(_comparison_line(row))


def _comparison_line(row: Any) -> str:
    """One comparison row for people: prediction, measurement with its s.e., verdict."""
    if row.measured is None:
        measured = "none on this grid"
    elif row.uncertainty:
        measured = f"{row.measured:.4g} ± {row.uncertainty:.2g}"
    else:
        measured = f"{row.measured:.4g}"
    predicted = "none" if row.predicted is None else f"{row.relation or '~'} {row.predicted:.4g}"
    verdict = "" if row.agrees is None else f" [{'agrees' if row.agrees else 'disagrees'}]"
    return f"{row.quantity}: predicted {predicted}, measured {measured}{verdict} ({row.source})"


def _int_list(value: str, name: str) -> tuple[int, ...]:
    try:
        vals = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise CatapultError(f"bad --{name} {value!r}; expected integers like 1,2,4") from None
    if min(vals) < 1:
        raise CatapultError(f"--{name} values must be at least 1, got {value!r}")
    if len(set(vals)) != len(vals):  # a repeated value would be trained twice and fitted twice
        raise CatapultError(f"--{name} repeats a value: {value!r}")
    return vals


@click.command("scan")
@click.option("--depth", "depths", default="1,2,4,8", show_default=True, help="Depths D1,D2,...")
@click.option("--width", "widths", default="64,128,256,512", show_default=True, help="W1,W2,...")
@_shared_options
def scan_cmd(
    depths: str, widths: str, out: str | None, figure: str | None, as_json: bool, **kw: Any
) -> None:
    """Sweep c per (depth, width) cell; report lambda0, c_loss, c_sharp, c_max and c_max fits."""
    ds, ws = _int_list(depths, "depth"), _int_list(widths, "width")
    cfg = _config(ds[0], ws[0], **kw)
    from catapultlab.checks import check_figure_path, check_output_file

    if out:
        check_output_file(out, netcdf=True)
    if figure:
        check_figure_path(figure)
    from catapultlab.validate._scan import fit_c_max, plot_scan, run_scan, scan_to_xarray

    res = run_scan(cfg, ds, ws, progress=_cell_echo(len(ds) * len(ws)))
    data = scan_to_xarray(res)
    if out:
        from catapultlab.io import write_netcdf

        write_netcdf(data, out)
    if figure:
        plot_scan(res, figure)
    fits = {k: None if f is None else f.__dict__ for k, f in fit_c_max(res).items()}
    if as_json:
        cells = [
            {
                "depth": d,
                "width": w,
                "lam0": r.lam0,
                **{
                    f"{n}{suffix}": getattr(getattr(r, n), key)
                    for n in ("c_loss", "c_sharp", "c_max")
                    for suffix, key in (
                        ("", "value"),
                        ("_bracket", "uncertainty"),
                        ("_side", "side"),
                    )
                },
                "sharpness_reduction": r.sharpness_reduction,
            }
            for d, row in zip(ds, res.cells, strict=True)
            for w, r in zip(ws, row, strict=True)
        ]
        from catapultlab.io import dumps

        click.echo(dumps({"cells": cells, "fits": fits}))
        return
    click.echo(
        f"{'depth':>5} {'width':>5} {'lambda0':>9}  c_loss / c_sharp / c_max (+- bracket width)"
    )
    for d, row in zip(ds, res.cells, strict=True):
        for w, r in zip(ws, row, strict=True):
            parts = [getattr(r, n).describe(cfg.c_values) for n in ("c_loss", "c_sharp", "c_max")]
            click.echo(f"{d:5d} {w:5d} {r.lam0:9.4g}  " + " | ".join(parts))
    from catapultlab.io import dumps

    click.echo(f"c_max fits: {dumps(fits)}")


def _cell_echo(total: int) -> Callable[[str], None]:
    """Progress of a scan on stderr, only on a terminal."""
    import sys

    count = [0]

    def echo(label: str) -> None:
        count[0] += 1
        if sys.stderr.isatty():
            click.echo(f"[cell {count[0]}/{total}] {label}", err=True)

    return echo


COMMANDS: tuple[click.Command, ...] = (validate_cmd, scan_cmd)
