"""``catapultlab derive MODEL``: print the derived maps, closure and boundaries."""

from __future__ import annotations

import click

from catapultlab._checks import check_full_model_size
from catapultlab._errors import CatapultError

__all__ = ["derive"]

MODELS = ("uv", "full")
FORMATS = ("text", "latex", "json")


@click.command()
@click.argument("model")
@click.option(
    "--inputs", "-d", type=int, default=1, show_default=True, help="full: input dimension d."
)
@click.option(
    "--samples", "-m", type=int, default=1, show_default=True, help="full: number of samples m."
)
@click.option("--format", "fmt", default="text", show_default=True, help="text, latex or json.")
def derive(model: str, inputs: int, samples: int, fmt: str) -> None:
    """Derive MODEL's exact width-n maps, prove closure, derive its phase boundaries.

    MODEL is ``uv`` (scalar input, one sample, label y) or ``full`` (d inputs, m samples).
    """
    from catapultlab.theory._model import full_model, uv_model
    from catapultlab.theory._render import to_json, to_latex, to_text

    if model not in MODELS:
        raise CatapultError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    if fmt not in FORMATS:
        raise CatapultError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if model == "full":
        check_full_model_size(inputs, samples)
    derived = uv_model() if model == "uv" else full_model(inputs, samples)
    render = {"text": to_text, "latex": to_latex, "json": to_json}[fmt]
    click.echo(render(derived))
