"""``catapultlab derive MODEL``: print the derived maps, closure and boundaries."""

from __future__ import annotations

import click

from catapultlab import CatapultError
from catapultlab.theory._model_cli import model_options

__all__ = ["COMMANDS", "derive"]

FORMATS = ("text", "latex", "json")


@click.command()
@model_options
@click.option(
    "--inputs", "-d", type=int, default=1, show_default=True, help="full: input dimension d."
)
@click.option(
    "--samples", "-m", type=int, default=1, show_default=True, help="full: number of samples m."
)
@click.option("--format", "fmt", default="text", show_default=True, help="text, latex or json.")
def derive(
    model: str | None,
    spec_ref: str | None,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float | None,
    inputs: int,
    samples: int,
    fmt: str,
) -> None:
    """Derive MODEL's exact width-n maps, prove closure, derive its phase boundaries.

    MODEL is ``uv`` (scalar input, one sample, label y) or ``full`` (d inputs, m samples);
    ``--spec FILE.py:FUNC`` derives your own declaration instead. With ``--momentum`` /
    ``--weight-decay`` the boundaries are also given as numbers (``edges``, in c).
    """
    import json

    from catapultlab.io import dumps
    from catapultlab.theory._builtins import builtin_model, check_builtin
    from catapultlab.theory._cache import derive as derive_model
    from catapultlab.theory._model_cli import resolve_model
    from catapultlab.theory._render import to_json, to_latex, to_text
    from catapultlab.theory._steprule import StepRule

    source, step, hyper = resolve_model(model, spec_ref, momentum, nesterov, weight_decay)
    if fmt not in FORMATS:
        raise CatapultError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if inputs < 1 or samples < 1:
        raise CatapultError(f"--inputs and --samples must be >= 1, got {inputs} and {samples}")
    if isinstance(source, str):
        check_builtin(source, inputs, samples)
        derived = builtin_model(source, step, inputs=inputs, samples=samples)
    else:
        derived = derive_model(source.with_step(StepRule(step.kind, step.weight_decay)))
    values = dict(hyper)
    edges = derived.edges(beta=values.get("beta", 0.0), kappa=values.get("kappa", 0.0))
    if fmt == "json":
        doc = json.loads(to_json(derived))
        doc["edges"] = {"values": values, "c": edges}
        click.echo(dumps(doc, indent=2))
        return
    click.echo({"text": to_text, "latex": to_latex}[fmt](derived))
    if fmt == "text":
        shown = ", ".join(f"{k} = {v:g}" for k, v in values.items()) or "no step-rule values"
        click.echo(f"edges in c = eta*lam0 at {shown}:")
        for name, c in edges.items():
            click.echo(f"  {name}: {'none' if c is None else f'{c:.6g}'}")


COMMANDS = (derive,)
