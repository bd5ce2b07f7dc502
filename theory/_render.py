"""Text, LaTeX and JSON renderings of a derived model (one report, three formats)."""

from __future__ import annotations

import json
from typing import Any

import sympy as sp

from catapultlab.theory._boundaries import C
from catapultlab.theory._model import Model

__all__ = ["report", "to_json", "to_text", "to_latex", "LATEX_NAMES", "parse_expr"]

LATEX_NAMES = {"lam": r"\lambda", "lam0": r"\lambda_{0}", "eta": r"\eta", "ytilde": r"\tilde{y}"}


def _latex_names(exprs: list[sp.Expr]) -> dict[sp.Symbol, str]:
    names: dict[sp.Symbol, str] = {}
    for e in exprs:
        for s in e.free_symbols:
            if s.name in LATEX_NAMES:
                names[s] = LATEX_NAMES[s.name]
            elif "_" in s.name:
                head, *rest = s.name.split("_")
                names[s] = f"{head}_{{{','.join(rest)}}}"
    return names


def report(model: Model) -> dict[str, Any]:
    """The derivation results as sympy objects, keyed like the JSON output."""
    scalar = model.scalar
    scaling = model.scaling
    out: dict[str, Any] = {
        "model": model.name,
        "description": model.description,
        "key": model.key,
        "step_rule": model.step_rule.label,
        "state": [s.name for s in model.state],
        "maps": {s.name: model.maps[s] for s in model.state},
        "closed": model.closed,
        "boundaries": dict(model.boundaries),
        "boundary_notes": dict(model.boundary_notes),
        "observables": {s.name: e for s, e in model.projection.definitions.items()},
        "observable_closure": {
            s.name: [m.name for m in miss] for s, miss in model.projection.missing.items()
        },
        "fixed_points": []
        if scalar is None
        else [{k.name: v for k, v in fp.items()} for fp in scalar.fixed_points],
        "multipliers_at_label": [] if scalar is None else list(scalar.multipliers),
        "large_f_growth_of_lam": None if scalar is None else scalar.large_f_growth,
        "width_scaling_exponent": scaling.output_exponent if scaling.exists else None,
        "state_scaling_exponents": {s.name: e for s, e in scaling.exponents.items()},
        "scaling_note": scaling.reason or None,
        "scaled_maps": dict(scaling.scaled_maps),
        "catapult_time": model.catapult_time,
        "notes": list(model.notes),
    }
    if model.name == "uv":
        out["gram_state"] = [s.name for s in model.gram.state]
        out["gram_maps"] = {s.name: e for s, e in model.gram.maps.items()}
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, sp.Basic):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(model: Model) -> str:
    """One JSON object; every expression is a SymPy-parsable string."""
    return json.dumps(_jsonable(report(model)), indent=2)


def to_text(model: Model) -> str:
    """A plain-text report for people."""
    r = report(model)
    lines = [f"model: {r['model']}  ({r['description']})", f"state: {', '.join(r['state'])}"]
    lines.append("exact one-step maps (width n kept symbolic):")
    lines += [f"  {k}' = {v}" for k, v in r["maps"].items()]
    lines.append(f"closed: {str(r['closed']).lower()}")
    lines.append("observables:")
    lines += [f"  {k} = {v}" for k, v in r["observables"].items()]
    for k, miss in r["observable_closure"].items():
        lines.append(
            f"  {k}' closes in the observables: "
            + ("yes" if not miss else f"no, needs {', '.join(miss)}")
        )
    lines.append("phase boundaries (learning rate):")
    for k, v in r["boundaries"].items():
        how = r["boundary_notes"].get(k, "")
        if v is None:
            lines.append(f"  {k}: none   [{how}]")
            continue
        c = sp.simplify(v * sp.Symbol("lam0", positive=True))
        lines.append(f"  {k}: eta = {v}   (c = eta*lam0 = {c})   [{how}]")
    if r["fixed_points"]:
        fps = "; ".join(", ".join(f"{k} = {v}" for k, v in fp.items()) for fp in r["fixed_points"])
        lines.append(f"fixed points of the scalar map (lam free where absent): {fps}")
        lines.append(f"multipliers at f = y: {', '.join(map(str, r['multipliers_at_label']))}")
    if r["large_f_growth_of_lam"] is not None:
        lines.append(
            f"leading growth of lam' - lam as |f| -> oo: {r['large_f_growth_of_lam']} * f**2"
        )
    if r["width_scaling_exponent"] is not None:
        lines.append(
            f"with f = n**({r['width_scaling_exponent']}) g, y = n**({r['width_scaling_exponent']}) ytilde, the maps lose n:"
        )
        lines += [f"  {k}' = {v}" for k, v in r["scaled_maps"].items()]
    lines.append(f"leading-order catapult time (steps, c = eta*lam0): {r['catapult_time']}")
    lines.append("notes:")
    lines += [f"  - {note}" for note in r["notes"]]
    return "\n".join(lines)


def to_latex(model: Model) -> str:
    """A LaTeX fragment (align environments) with the same content."""
    r = report(model)
    bounds = [v for v in r["boundaries"].values() if v is not None]
    exprs = list(r["maps"].values()) + bounds + list(r["scaled_maps"].values())
    exprs += [r["catapult_time"]] if r["catapult_time"] is not None else []
    names = _latex_names(exprs)

    def tex(e: sp.Expr) -> str:
        return sp.latex(e, symbol_names=names)

    def sym(name: str) -> str:
        return LATEX_NAMES.get(name, name)

    lines = [f"% catapultlab derive {r['model']}: {r['description']}", r"\begin{align}"]
    lines += [f"{sym(k)}' &= {tex(v)} \\\\" for k, v in r["maps"].items()]
    lines.append(r"\end{align}")
    lines.append(r"\begin{align}")
    for k, v in r["boundaries"].items():
        label = k.replace("_", r"\_")
        value = r"\text{none}" if v is None else tex(v)
        lines.append(rf"\eta_{{\mathrm{{{label}}}}} &= {value} \\")
    lines.append(r"\end{align}")
    if r["scaled_maps"]:
        lines.append(r"\begin{align}")
        lines += [f"{sym(k)}' &= {tex(v)} \\\\" for k, v in r["scaled_maps"].items()]
        lines.append(r"\end{align}")
    if r["catapult_time"] is not None:
        lines.append(
            rf"\begin{{equation}} t_{{\mathrm{{catapult}}}} = {tex(r['catapult_time'])} "
            r"\end{equation}"
        )
    lines.append(rf"% closed: {str(r['closed']).lower()}; state: {', '.join(r['state'])}")
    return "\n".join(lines)


def parse_expr(text: str, model: Model) -> sp.Expr:
    """Parse a JSON expression string back with the model's own symbols."""
    symbols = set(model.state) | set(model.params)
    for e in model.maps.values():
        symbols |= e.free_symbols
    symbols |= {C, sp.Symbol("lam0", positive=True), *model.hyper}
    return sp.sympify(text, locals={s.name: s for s in symbols})
