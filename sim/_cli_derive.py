"""``catapultlab derive MODEL``: the derived maps, closure and boundaries, and the boundary sets.

The symbolic part is theory's report (:func:`catapultlab.theory.to_text`, ``to_json``,
``to_latex``). The command lives in sim because it adds what only iterating the model's
limit map gives (:mod:`catapultlab.sim._boundary_sets`): the divergence boundary as a set
of c at infinite width, with the method and its resolution, and ``c_div(y~)`` with the
label on the nonlinear scale. The loss-rises edge is given as intervals of c
(:func:`catapultlab.theory._edges_numeric.loss_rise_intervals`, theory's own).
"""

from __future__ import annotations

from typing import Any

import click

from catapultlab import CatapultError
from catapultlab.theory import FULL_DEFAULT_SIZE, model_options

__all__ = ["derive"]

FORMATS = ("text", "latex", "json")


@click.command()
@model_options
@click.option(
    "--inputs",
    "-d",
    type=int,
    default=FULL_DEFAULT_SIZE[0],
    show_default=True,
    help="full: input dimension d.",
)
@click.option(
    "--samples",
    "-m",
    type=int,
    default=FULL_DEFAULT_SIZE[1],
    show_default=True,
    help="full: number of samples m.",
)
@click.option("--format", "fmt", default="text", show_default=True, help="text, latex or json.")
@click.option(
    "--c-max",
    type=float,
    default=None,
    help="upper end of the c grid of the divergence set (default: twice the stability "
    "edge plus 2).",
)
@click.option("--symbolic-only", is_flag=True, help="skip the boundary sets (no map is iterated).")
def derive(
    model: str | None,
    spec_ref: str | None,
    momentum: float | None,
    nesterov: bool,
    weight_decay: float | None,
    inputs: int,
    samples: int,
    fmt: str,
    c_max: float | None,
    symbolic_only: bool,
) -> None:
    """Derive MODEL's exact width-n maps, prove closure, derive its phase boundaries.

    MODEL is ``uv`` (scalar input, one sample, label y) or ``full`` (d inputs, m samples);
    ``--spec FILE.py:FUNC`` derives your own declaration instead. With ``--momentum`` /
    ``--weight-decay`` the boundaries are also given as numbers (``edges``, in c), the
    loss-rises edge as intervals of c, and the divergence boundary as a set of c from the
    model's infinite-width law (with ``c_div(y~)`` for labels on the nonlinear scale).
    """
    import json

    from catapultlab.io import dumps
    from catapultlab.theory import (
        StepRule,
        builtin_model,
        derive,
        resolve_model,
        to_json,
        to_latex,
        to_text,
    )

    source, step, hyper = resolve_model(model, spec_ref, momentum, nesterov, weight_decay)
    if not isinstance(source, str) and not hasattr(source, "step"):
        raise CatapultError(
            f"{source.name!r} is a BlockSpec: simulate or sweep it with --block "
            "(derive and bifurcation take a ModelSpec)"
        )
    if fmt not in FORMATS:
        raise CatapultError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if inputs < 1 or samples < 1:
        raise CatapultError(f"--inputs and --samples must be >= 1, got {inputs} and {samples}")
    if c_max is not None and not (c_max > 0 and c_max < 1e3):
        raise CatapultError(f"--c-max must lie in (0, 1000), got {c_max!r}")
    if isinstance(source, str):
        from catapultlab.theory import check_builtin

        check_builtin(source, inputs, samples)
        derived = builtin_model(source, step, inputs=inputs, samples=samples)
    else:
        derived = derive(source.with_step(StepRule(step.kind, step.weight_decay)))
    values = dict(hyper)
    if "kappa" in values:  # weight decay's edges depend on kappa / lam0: say which lam0
        values["lam0"] = LAM0_ASSUMED
    edges = derived.edges(
        beta=values.get("beta", 0.0), kappa=values.get("kappa", 0.0), lam0=LAM0_ASSUMED
    )
    sets = _boundary_sets(derived, hyper, edges, c_max, symbolic_only)
    methods = {k: "none" if v is None else "closed form" for k, v in edges.items()}
    first = sets.get("divergence", {}).get("first_divergent")
    if edges.get("catapult_divergent") is None and first is not None:
        edges["catapult_divergent"] = first  # the set's first point, never "none"
        methods["catapult_divergent"] = "infinite-width law (first c of the divergence set)"
    if fmt == "json":
        doc = json.loads(to_json(derived))
        doc["edges"] = {"values": values, "c": edges, "methods": methods} | sets
        click.echo(dumps(doc, indent=2))
        return
    click.echo({"text": to_text, "latex": to_latex}[fmt](derived))
    if fmt == "text":
        shown = ", ".join(f"{k} = {v:g}" for k, v in values.items()) or "no step-rule values"
        click.echo(f"edges in c = eta*lam0 at {shown}:")
        for name, c in edges.items():
            how = "" if methods[name] in ("none", "closed form") else f"   ({methods[name]})"
            click.echo(f"  {name}: {'none' if c is None else f'{c:.6g}'}{how}")
        click.echo(boundary_sets_text(sets))


LABELS_ON_SCALE = (0.01, 0.1, 0.3, 1.0, 3.0)

LAM0_ASSUMED = 1.0
"""The initial NTK eigenvalue derive's numeric edges assume (they depend on it only
through ``kappa / lam0`` under weight decay; printed beside them)."""
"""The y~ = y / n^(b_f) of derive's c_div(y~) table."""


def _boundary_sets(
    derived: Any,
    hyper: tuple[tuple[str, float], ...],
    edges: dict[str, float | None],
    c_max: float | None,
    symbolic_only: bool,
) -> dict[str, Any]:
    """``loss_rises_intervals``, ``divergence`` and ``divergence_vs_label`` (see the module)."""
    from catapultlab.theory import loss_rise_intervals

    values = dict(hyper)
    beta, kappa = values.get("beta", 0.0), values.get("kappa", 0.0)
    out: dict[str, Any] = {
        "loss_rises_intervals": loss_rise_intervals(derived.edge_functions, beta=beta, kappa=kappa)
    }
    if symbolic_only or not derived.closed:
        return out
    from catapultlab.sim import divergence_set, divergence_vs_label
    from catapultlab.sim._setup import make_setup

    setup = make_setup(derived, y=0.0, hyper=hyper)
    if not setup.numeric.limit.exists:
        out["divergence"] = {"none": f"no infinite-width law: {setup.numeric.limit.reason}"}
        return out
    top = c_max or 2.0 * float(edges.get("lazy_catapult") or 2.0) + 2.0
    closed = edges.get("catapult_divergent")
    if closed is not None:
        top = max(top, 1.5 * closed)
    out["divergence"] = divergence_set(setup, c_max=top)
    if closed is not None:
        first = out["divergence"]["first_divergent"]
        ok = first is not None and abs(first - closed) <= out["divergence"]["resolution"] + 1e-9
        out["divergence"]["closed_form"] = {"c": closed, "agrees": ok}
    out["divergence_vs_label"] = divergence_vs_label(setup, LABELS_ON_SCALE, c_max=top)
    return out


def _interval(lo: float | None, hi: float | None) -> str:
    left = "(-oo" if lo is None else f"[{lo:.4g}"
    return f"{left}, {'oo)' if hi is None else f'{hi:.4g})'}"


def boundary_sets_text(sets: dict[str, Any]) -> str:
    """The boundary sets for people (the lines ``derive`` prints after the edges)."""
    lines = [
        "loss rises for c in " + " U ".join(_interval(*i) for i in sets["loss_rises_intervals"])
    ]
    div = sets.get("divergence")
    if div is None:
        return "\n".join(lines)
    if "none" in div:
        return "\n".join([*lines, f"divergence set: none ({div['none']})"])
    lines.append(f"divergence set ({div['regime']}):")
    for row in div["intervals"]:
        p = row["p_divergent"]
        if p == "between":
            lo, hi = row["p_range"]
            p = f"between 0 and 1 ({lo:.3g} to {hi:.3g})"
        lines.append(f"  c in {_interval(*row['c'])}: p_divergent {p}")
    lines.append(f"  method: {div['method']}")
    if "closed_form" in div:
        cf = div["closed_form"]
        verdict = "agrees" if cf["agrees"] else "DISAGREES"
        lines.append(f"  closed form c = {cf['c']:g}: {verdict} with the set")
    rows = ", ".join(
        f"y~ = {r['ytilde']:g}: "
        + ("none" if r["c_divergent"] is None else f"{r['c_divergent']:.4g}")
        for r in sets["divergence_vs_label"]
    )
    lines.append(f"c_div(y~) at n = inf with y~ = y / n^(b_f) fixed: {rows}")
    return "\n".join(lines)
