"""The ``catapultlab validate`` command (a learning-rate sweep on a real network).

Heavy imports (JAX, xarray, matplotlib) happen inside the command. Bad input
raises :class:`catapultlab.CatapultError`, which the top-level CLI prints as one
line with exit status 2.
"""

from __future__ import annotations

import json

import click

from catapultlab._errors import CatapultError

__all__ = ["COMMANDS", "validate_cmd"]


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


@click.command("validate")
@click.option("--arch", default="mlp", show_default=True, help="mlp, cnn or resnet.")
@click.option("--act", default="relu", show_default=True, help="linear, relu, tanh or gelu.")
@click.option(
    "--depth", default=3, show_default=True, type=int, help="Hidden layers / conv layers / blocks."
)
@click.option("--width", default=512, show_default=True, type=int, help="Hidden width or channels.")
@click.option(
    "--dataset",
    default="digits",
    show_default=True,
    help="digits, mnist1d, fashion_mnist, teacher, mnist or cifar10.",
)
@click.option(
    "--c",
    "c_range",
    default="0.5:16",
    show_default=True,
    help="Grid of c = eta*lambda0 as A:B[:STEP] (8 points without STEP).",
)
@click.option("--steps", default=200, show_default=True, type=int, help="Training steps T per run.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--batch", default="full", show_default=True, help="'full' (GD) or a minibatch size (SGD)."
)
@click.option("--train-size", default=256, show_default=True, type=int)
@click.option("--test-size", default=512, show_default=True, type=int)
@click.option("--dtype", default="float32", show_default=True, help="float32 or float64.")
@click.option("--param", default="ntk", show_default=True, help="ntk or standard parametrisation.")
@click.option(
    "--bisect", default=3, show_default=True, type=int, help="Bisection steps per boundary."
)
@click.option(
    "--sharpness",
    default="ntk",
    show_default=True,
    help="ntk: track lambda_t; hessian: also the loss-Hessian sharpness S_t (and denser late steps).",
)
@click.option(
    "--optimizer", default="gd", show_default=True, help="gd, momentum, nesterov or adam (optax)."
)
@click.option(
    "--momentum",
    default=None,
    type=float,
    help="Momentum beta (heavy ball / Nesterov) or Adam's beta1; default 0.9 (0 for gd).",
)
@click.option("--weight-decay", default=0.0, show_default=True, type=float, help="Weight decay K.")
@click.option(
    "--weight-decay-mode",
    default="decoupled",
    show_default=True,
    help="decoupled (AdamW-style, added after the optimizer) or l2 (K/2 |theta|^2 in the loss).",
)
@click.option("--data-dir", default=None, help="Directory with MNIST idx or CIFAR-10 pickle files.")
@click.option("--out", default=None, help="Write the results as netCDF to this file.")
@click.option("--figure", default=None, help="Write the sweep figure (e.g. PNG) to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def validate_cmd(
    arch: str,
    act: str,
    depth: int,
    width: int,
    dataset: str,
    c_range: str,
    steps: int,
    seed: int,
    batch: str,
    train_size: int,
    test_size: int,
    dtype: str,
    param: str,
    bisect: int,
    sharpness: str,
    optimizer: str,
    momentum: float | None,
    weight_decay: float,
    weight_decay_mode: str,
    data_dir: str | None,
    out: str | None,
    figure: str | None,
    as_json: bool,
) -> None:
    """Sweep c = eta*lambda0 on a real network; report phases, c_loss, c_sharp, c_max."""
    from catapultlab.validate._data import DATASETS
    from catapultlab.validate._nets import ACTIVATIONS, ARCHITECTURES
    from catapultlab.validate._precision import DTYPES
    from catapultlab.validate._sweep import SweepConfig, c_grid

    if arch not in ARCHITECTURES:
        raise CatapultError(
            f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}"
        )
    if act not in ACTIVATIONS:
        raise CatapultError(f"unknown activation {act!r}; choose one of {', '.join(ACTIVATIONS)}")
    if dataset.replace("-", "_") not in DATASETS:
        raise CatapultError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if depth < 1 or width < 1:
        raise CatapultError(f"depth and width must be at least 1, got depth={depth}, width={width}")
    if dtype not in DTYPES:
        raise CatapultError(f"unknown dtype {dtype!r}; choose float32 or float64")
    if param not in ("ntk", "standard"):
        raise CatapultError(f"unknown parametrisation {param!r}; choose ntk or standard")
    if bisect < 0:
        raise CatapultError(f"--bisect must be non-negative, got {bisect}")
    if sharpness not in ("ntk", "hessian"):
        raise CatapultError(f"unknown --sharpness {sharpness!r}; choose ntk or hessian")
    cfg = SweepConfig(
        arch=arch,
        act=act,
        depth=depth,
        width=width,
        dataset=dataset.replace("-", "_"),
        c_values=c_grid(c_range),
        steps=steps,
        seed=seed,
        batch_size=_batch(batch),
        train_size=train_size,
        test_size=test_size,
        dtype=dtype,
        param=param,
        data_dir=data_dir,
        bisect=bisect,
        sharpness=sharpness,
        late_count=25 if sharpness == "hessian" else 0,
        optimizer=optimizer,
        momentum=momentum,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
    )
    cfg.optimizer_config()  # bad optimizer settings fail here, before any compute
    from catapultlab.validate._report import comparison_table, sweep_to_dict, write_netcdf
    from catapultlab.validate._sweep import run_sweep

    res = run_sweep(cfg)
    if out:
        write_netcdf(res, out)
    if figure:
        from catapultlab.validate._figure import plot_sweep

        plot_sweep(res, figure)
    if as_json:
        click.echo(json.dumps(sweep_to_dict(res)))
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
    for name, b in (("c_loss", res.c_loss), ("c_sharp", res.c_sharp), ("c_max", res.c_max)):
        val = "not found on grid" if b.value is None else f"{b.value:.4g} +- {b.uncertainty:.2g}"
        click.echo(f"{name} = {val}")
    for row in comparison_table(res):
        click.echo(
            f"{row.quantity}: predicted {row.predicted}, measured {row.measured} ({row.notes})"
        )


COMMANDS: tuple[click.Command, ...] = (validate_cmd,)
