"""Text, LaTeX and JSON renderings of a derived model (one report, three formats).

All three are written as a person writes the derivation (see
:mod:`catapultlab.theory._render_steps`): the residuals ``r_a = f_a - y_a``, the
gradient coefficients ``g_k``, the parameter step ``w' = w - eta sum_k g_k word``,
the Gram update entry by entry in ``⟨a, b⟩`` brackets, the observables' maps factored
through the residual, and a "where" block. Every expression parses back
(:func:`parse_expr`) to the engine's own maps.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from catapultlab.theory._boundaries import C
from catapultlab.theory._derive import inner_symbols_in
from catapultlab.theory._derive_model import scalar_unavailable
from catapultlab.theory._drift import sharpness_drift
from catapultlab.theory._model import Model
from catapultlab.theory._render_format import LATEX_NAMES, bracket, grouped, parse_text, text
from catapultlab.theory._render_sections import Section, provenance, sections
from catapultlab.theory._render_steps import readable_or_reason
from catapultlab.theory._spec import ETA
from catapultlab.theory._validity import validity

__all__ = ["report", "to_json", "to_text", "to_latex", "LATEX_NAMES", "parse_expr"]


def _derivation(model: Model) -> dict[str, Any] | None:
    d, _ = readable_or_reason(model)
    if d is None:
        return None
    vectors = {w: sp.Symbol(w) for w in model.gram.spec.vectors}
    steps = {
        w: vectors[w] - ETA * sp.Add(*(g * vectors[word[-1]] for g, word in terms))
        for w, terms in d.steps.items()
    }
    return {
        "outputs": {s.name: e for s, e in d.outputs.items()},
        "residuals": {s.name: e for s, e in d.residuals.items()},
        "gradient_coefficients": {s.name: e for s, e in d.coefficients.items()},
        "parameter_steps": steps,
        "gram_updates": {s.name: e for s, e in d.gram_updates.items()},
        "iterated_observables": {s.name: e for s, e in d.projection.items()},
        "factored_maps": {s.name: s + ch for s, ch in d.factored_changes.items()},
    }


def report(model: Model) -> dict[str, Any]:
    """The derivation results as sympy objects, keyed like the JSON output.

    Keys of earlier versions are kept (``maps`` is the engine's map of each state
    symbol); ``derivation`` holds the readable parts (expressions in the residuals
    ``r_a`` and gradient coefficients ``g_k``, whose definitions it also holds),
    ``inner_products`` the bracket form of each inner-product symbol, and
    ``provenance`` which model (or restriction of it) each quantity was derived on.
    A boundary that does not exist for the model is ``None``.
    """
    scalar = model.scalar
    scaling = model.scaling
    gram_symbols = set(model.gram.state)
    for e in model.maps.values():
        gram_symbols |= inner_symbols_in(e)
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
        "derivation": _derivation(model),
        "derivation_unavailable": readable_or_reason(model)[1] or None,
        "inner_products": {s.name: bracket(s) for s in sorted(gram_symbols, key=str)},
        "provenance": provenance(model),
        "validity": validity(model),
        "sharpness_drift": _drift(model),
    }
    if model.name == "uv":
        out["gram_state"] = [s.name for s in model.gram.state]
        out["gram_maps"] = {s.name: e for s, e in model.gram.maps.items()}
    return out


def _drift(model: Model) -> dict[str, Any]:
    """The small-eta sharpness drift (:func:`~catapultlab.theory._drift.sharpness_drift`)."""
    d = sharpness_drift(model)
    value = d.factored if d.factored is not None else d.drift.tolist()
    return {"eta_coefficient": value, "statement": d.statement}


def _jsonable(value: Any) -> Any:
    if isinstance(value, sp.Basic):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def to_json(model: Model) -> str:
    """One JSON object; every expression is a SymPy-parsable string (:func:`parse_expr`)."""
    from catapultlab.io import dumps

    return dumps(_jsonable(report(model)), indent=2, ensure_ascii=False)


def _section_text(sec: Section) -> list[str]:
    lines = [f"{sec.title}:"]
    for row in sec.rows:
        note = f"   ({row.note})" if row.note else ""
        lines.append(f"  {row.lhs} = {row.rhs}{note}")
    return lines


def to_text(model: Model) -> str:
    """A plain-text report for people; each right-hand side parses with :func:`parse_expr`."""
    r = report(model)
    source = r["provenance"]
    gram = ", ".join(bracket(s) for s in model.gram.state)
    lines = [f"model {r['model']}: {r['description']}"]
    if [s.name for s in model.gram.state] != r["state"]:
        lines.append(f"state: {', '.join(r['state'])}")
        lines.append(f"Gram state (closes exactly): {gram}")
    else:
        lines.append(f"state: the Gram matrix {gram} (JSON names {', '.join(r['state'])})")
    for sec in sections(model):
        lines += _section_text(sec)
    lines.append(f"closed: {str(r['closed']).lower()}")
    lines.append("observables (f, Theta) in the Gram state:")
    lines += [f"  {k} = {grouped(v)[0]}" for k, v in r["observables"].items()]
    for k, miss in r["observable_closure"].items():
        lines.append(
            f"  {k}' closes in the observables: "
            + ("yes" if not miss else f"no, needs {', '.join(miss)}")
        )
    if r["fixed_points"]:
        lines.append(f"scalar (f, lam) analysis of {source['scalar']}:")
        fps = "; ".join(
            ", ".join(f"{k} = {text(v)}" for k, v in fp.items()) for fp in r["fixed_points"]
        )
        lines.append(f"  fixed points (lam free where absent): {fps}")
        mults = ", ".join(text(m) for m in r["multipliers_at_label"])
        lines.append(f"  multipliers at f = y: {mults}")
        growth = text(r["large_f_growth_of_lam"])
        lines.append(f"  leading growth of lam' - lam as |f| -> oo: {growth} * f**2")
    else:
        why = scalar_unavailable(model.state, model.spec) or "no large-|f| growth edge found"
        lines.append(f"scalar (f, lam) analysis: none ({why})")
    lines.append("range of validity:")
    lines += [f"  {k}: {v}" for k, v in r["validity"].items()]
    lines.append(f"small-eta sharpness drift: {r['sharpness_drift']['statement']}")
    lines.append("notes:")
    lines += [f"  - {note}" for note in r["notes"]]
    return "\n".join(lines)


def latex_blocks(model: Model) -> list[tuple[str, list[str]]]:
    """``(title, align rows)`` for each section; a row is ``lhs &= rhs && note``, rows joined by line breaks."""
    out = []
    for sec in sections(model):
        rows = []
        for row in sec.rows:
            note = f" && {row.note_latex}" if row.note_latex else ""
            rows.append(f"{row.lhs_tex} &= {row.rhs_tex}{note}")
        out.append((sec.title, [r + " \\\\" for r in rows[:-1]] + rows[-1:]))
    return out


def to_latex(model: Model) -> str:
    """A LaTeX fragment: one commented ``align`` environment per section."""
    lines = [f"% catapultlab derive {model.name}: {model.description}"]
    for title, rows in latex_blocks(model):
        lines += [f"% {title}", r"\begin{align}", *rows, r"\end{align}"]
    lines.append(
        f"% closed: {str(model.closed).lower()}; state: {', '.join(map(str, model.state))}"
    )
    return "\n".join(lines)


def parse_expr(source: str, model: Model) -> sp.Expr:
    """Parse a JSON or text expression back with the model's own symbols.

    Inner products may be written by name (``u1_v``) or in brackets (``⟨u1, v⟩``); the
    residuals and gradient coefficients parse to the symbols of
    :func:`~catapultlab.theory._render_steps.readable_derivation`.
    """
    symbols = set(model.state) | set(model.params)
    for e in model.maps.values():
        symbols |= e.free_symbols
    symbols |= {C, sp.Symbol("lam0", positive=True), *model.hyper}
    names = {s.name: s for s in symbols}
    d, _ = readable_or_reason(model)
    if d is not None:
        names |= d.symbols
    return parse_text(source, names)
