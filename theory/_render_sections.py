"""The derivation of a model as titled sections of equations, shared by text, LaTeX and HTML.

Each :class:`Row` is one equation in two notations (text and LaTeX) plus a note
that says where its value comes from (the model, or the restriction it was derived
on). :func:`sections` builds them from the :class:`ReadableDerivation` and the
model's own boundaries and scalar analysis; nothing is typed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from catapultlab.theory._boundaries import LAM0
from catapultlab.theory._model import Model
from catapultlab.theory._render_format import grouped, latex, latex_symbol, tex_escape, text
from catapultlab.theory._render_steps import ReadableDerivation, readable_or_reason
from catapultlab.theory._spec import ETA, VELOCITY_PREFIX, WIDTH

__all__ = ["Row", "Section", "sections", "provenance", "factored_text"]


@dataclass(frozen=True)
class Row:
    """One equation: ``lhs = rhs`` in text and LaTeX, and a note (may be empty)."""

    lhs: str
    rhs: str
    lhs_tex: str
    rhs_tex: str
    note: str = ""
    note_tex: str = ""

    @property
    def note_latex(self) -> str:
        r"""The note in LaTeX (``\text{...}`` unless a LaTeX form was given)."""
        if self.note_tex or not self.note:
            return self.note_tex
        return rf"\text{{{tex_escape(self.note)}}}"


@dataclass(frozen=True)
class Section:
    """A titled block of equations."""

    title: str
    rows: tuple[Row, ...]


def _restriction(model: Model) -> str | None:
    for note in list(model.boundary_notes.values()) + list(model.notes):
        m = re.search(r"restriction ([^:.;]+?)(?: of the \w+ model)?[:.;]", note)
        if m:
            return m.group(1).strip().removesuffix(", x = 1")
    return None


def boundary_words(key: str) -> str:
    """A boundary's name in words: ``lazy_catapult -> lazy/catapult``, ``loss_rises -> loss rises``.

    Example:
        >>> boundary_words("catapult_divergent"), boundary_words("loss_rises")
        ('catapult/divergent', 'loss rises')
    """
    from catapultlab.phases import PHASE_NAMES

    parts = key.split("_")
    return "/".join(parts) if all(p in PHASE_NAMES for p in parts) else " ".join(parts)


def provenance(model: Model) -> dict[str, str]:
    """Where each derived quantity comes from: ``"model NAME"`` or its restriction.

    Keys: every boundary of ``model.boundaries`` and ``"scalar"`` (fixed points,
    multipliers, width scaling, catapult time). A model iterated in ``(f, lam)`` has
    its scalar analysis on its own maps; any other model's comes from the scalar
    restriction its notes name, and so does a boundary whose note names one.

    Example:
        >>> from catapultlab.theory import full_model
        >>> provenance(full_model(1, 2))["catapult_divergent"]
        'model full, derived on its restriction d = m = 1'
    """
    own = f"model {model.name}"
    scalar_own = {s.name for s in model.state} == {"f", "lam"}
    where = _restriction(model)
    restricted = own if where is None else f"{own}, derived on its restriction {where}"
    out = {"scalar": own if scalar_own else restricted}
    for key in model.boundaries:
        said = model.boundary_notes.get(key, "").startswith("from the restriction")
        out[key] = restricted if (said and not scalar_own) else own
    return out


def _sum_by_eta(expr: sp.Expr) -> tuple[sp.Expr, list[tuple[int, sp.Expr]]]:
    """``expr = base + sum_k eta^k c_k``: the base and ``(k, c_k)`` with ``c_k`` factored."""
    parts = sp.collect(sp.expand(expr), ETA, evaluate=False)
    base = parts.pop(sp.Integer(1), sp.Integer(0))
    out = []
    for power, coef in parts.items():
        k = int(sp.degree(power, ETA))
        out.append((k, sp.factor_terms(coef)))
    return base, sorted(out)


def _signed(first: str, terms: list[tuple[bool, str]]) -> str:
    return " ".join([first] + [("- " if neg else "+ ") + t for neg, t in terms])


def _eta_series(expr: sp.Expr) -> tuple[str, str]:
    base, series = _sum_by_eta(expr)
    t_terms, l_terms = [], []
    for k, coef in series:
        neg = coef.could_extract_minus_sign()
        c = -coef if neg else coef
        t_terms.append((neg, text(ETA**k * c, order=None)))
        l_terms.append((neg, latex(ETA**k * c, order=None)))
    return _signed(text(base, order=None), t_terms), _signed(latex(base, order=None), l_terms)


def _ordered_sum(add: sp.Expr) -> tuple[str, str, bool]:
    """An Add in increasing powers of eta, leading term positive; (text, latex, negated)."""
    terms = sorted(sp.Add.make_args(add), key=lambda t: (sp.degree(t, ETA), str(t)))
    negated = terms[0].could_extract_minus_sign()
    if negated:
        terms = [-t for t in terms]
    t_parts, l_parts = [], []
    for i, term in enumerate(terms):
        neg = term.could_extract_minus_sign()
        body = -term if neg else term
        sign = ("-" if neg else "") if i == 0 else ("- " if neg else "+ ")
        t_parts.append(sign + text(body, order=None))
        l_parts.append(sign + latex(body, order=None))
    return " ".join(t_parts), " ".join(l_parts), negated


def factored_text(state: sp.Symbol, change: sp.Expr) -> tuple[str, str]:
    """``state + change`` with the change's sum factor in increasing powers of eta.

    Example:
        >>> f, lam, r = sp.symbols("f lam r")
        >>> eta, n = sp.symbols("eta n", positive=True)
        >>> factored_text(f, eta * r * (eta * f * r / n - lam))[0]
        'f - eta*r*(lam - eta*f*r/n)'
    """
    adds = [a for a in sp.Mul.make_args(change) if isinstance(a, sp.Add)]
    if len(adds) != 1:
        neg = change.could_extract_minus_sign()
        body = -change if neg else change
        sign = " - " if neg else " + "
        return text(state) + sign + text(body, order=None), (
            latex(state) + sign + latex(body, order=None)
        )
    add = adds[0]
    outside = sp.Mul(*(a for a in sp.Mul.make_args(change) if a is not add))
    sum_t, sum_l, negated = _ordered_sum(add)
    if outside.could_extract_minus_sign():
        outside, negated = -outside, not negated
    num, den = sp.fraction(outside)
    num_t = text(num, order=None)
    num_l = latex(num, order=None)
    body_t = f"({sum_t})" if num == 1 else f"{num_t}*({sum_t})"
    body_l = rf"\left({sum_l}\right)" if num == 1 else rf"{num_l} \left({sum_l}\right)"
    if den != 1:
        den_t = text(den, order=None)
        body_t += f"/{den_t}" if den.is_Symbol or den.is_Integer else f"/({den_t})"
        body_l = rf"\frac{{{body_l}}}{{{latex(den, order=None)}}}"
    sign = " - " if negated else " + "
    return text(state) + sign + body_t, latex_symbol(state) + sign + body_l


def _row(lhs: sp.Expr | str, rhs: tuple[str, str], note: str = "", prime: bool = False) -> Row:
    if isinstance(lhs, str):
        lt, ll = lhs, lhs
    else:
        lt, ll = text(lhs), latex_symbol(lhs) if lhs.is_Symbol else latex(lhs)
    if prime:
        lt, ll = lt + "'", ll + "'"
    return Row(lt, rhs[0], ll, rhs[1], note)


def _vector_tex(name: str) -> str:
    return latex_symbol(sp.Symbol(name))


def _step_rows(d: ReadableDerivation) -> list[Row]:
    rows = []
    for w, terms in d.steps.items():
        terms = sorted(terms, key=lambda t: t[0].name)
        t = " + ".join(f"{g.name}*{word[-1]}" for g, word in terms)
        lat = " + ".join(f"{latex(g)} {_vector_tex(word[-1])}" for g, word in terms)
        if len(terms) > 1:
            t, lat = f"eta*({t})", rf"\eta \left({lat}\right)"
        else:
            t, lat = f"eta*{t}", rf"\eta {lat}"
        rows.append(Row(f"{w}'", f"{w} - {t}", f"{_vector_tex(w)}'", f"{_vector_tex(w)} - {lat}"))
    return rows


def _where_rows(d: ReadableDerivation, model: Model) -> list[Row]:
    rows = []
    iterated = set(model.state)
    for f, expr in d.outputs.items():
        if f not in iterated:
            rows.append(_row(f, grouped(expr)))
    for r, expr in d.residuals.items():
        rows.append(_row(r, (text(expr), latex(expr))))
    for g, expr in d.coefficients.items():
        rows.append(_row(g, grouped(expr), "gradient coefficient"))
    return rows


def _scaled_rows(model: Model) -> list[Row]:
    """The n-free maps in the rescaled variables, then a definition of every new symbol."""
    scaled = model.scaling.scaled_maps if model.scaling is not None else {}
    rows = []
    ft, yt = sp.Symbol("ftilde", real=True), sp.Symbol("ytilde", real=True)
    rt = sp.Symbol("rtilde", real=True)
    used: set[sp.Symbol] = set()
    for name, expr in scaled.items():
        free = {x.name: x for x in expr.free_symbols}
        used |= expr.free_symbols
        s = free.get(name, sp.Symbol(name, real=True))
        yt, fv = free.get("ytilde", yt), free.get("ftilde", ft)
        change = sp.factor_terms(sp.expand(expr.xreplace({yt: fv - rt}) - s))
        if sp.expand((s + change).xreplace({rt: fv - yt}) - expr) != 0:  # pragma: no cover
            rows.append(_row(s, (text(expr), latex(expr)), prime=True))
            continue
        used.add(rt)
        rows.append(_row(s, factored_text(s, change), prime=True))
    return rows + _tilde_definitions(model, used)


def _tilde_definitions(model: Model, used: set[sp.Symbol]) -> list[Row]:
    """``ftilde = f / n^a``, ``ytilde``, ``etatilde``, ``rtilde``...: each rescaled symbol used."""
    powers = {s.name: e for s, e in model.scaling.exponents.items()}
    powers.update(f=model.scaling.output_exponent, y=model.scaling.output_exponent)
    powers.update(eta=model.scaling.eta_exponent)
    rows = []
    for sym in sorted(used, key=lambda x: (x.name == "rtilde", x.name)):
        base = sym.name.removesuffix("tilde")
        if sym.name == "rtilde":
            rows.append(Row("rtilde", "ftilde - ytilde", r"\tilde{r}", r"\tilde{f} - \tilde{y}"))
        elif base != sym.name and base in powers:
            plain = sp.Symbol(base, real=True) / WIDTH ** powers[base]
            rows.append(_row(sym, (text(plain), latex(plain)), "rescaled variable"))
        elif base != sym.name and base == "kappa":
            lam_p = next((e for s, e in model.scaling.exponents.items() if s.name == "lam"), 0)
            plain = sp.Symbol("kappa", real=True) / WIDTH**lam_p
            rows.append(_row(sym, (text(plain), latex(plain)), "rescaled weight decay"))
    return rows


def _boundary_rows(model: Model, source: dict[str, str]) -> list[Row]:
    rows = []
    for key, value in model.boundaries.items():
        lhs, lhs_tex = f"eta_{key}", rf"\eta_{{\text{{{tex_escape(boundary_words(key))}}}}}"
        how = model.boundary_notes.get(key, "")
        if value is None:
            note = f"does not exist for this model ({how})" if how else "does not exist"
            rows.append(Row(lhs, "None", lhs_tex, r"\text{--}", note))
            continue
        c = sp.simplify(value * LAM0)
        note = f"c = eta*lam0 = {text(c)}; {source[key]}"
        note_tex = rf"c = \eta \lambda_{{0}} = {latex(c)};\ \text{{{tex_escape(source[key])}}}"
        rows.append(Row(lhs, text(value), lhs_tex, latex(value), note, note_tex))
    return rows


def sections(model: Model) -> list[Section]:
    """The derivation of ``model`` as titled sections (steps, maps, where, boundaries...)."""
    d, reason = readable_or_reason(model)
    source = provenance(model)
    own = f"model {model.name}"
    if d is None:
        maps = tuple(
            _row(s, (text(model.maps[s]), latex(model.maps[s])), prime=True) for s in model.state
        )
        title = f"exact one-step maps of {own} (the step form is not shown: {reason})"
        return [Section(title, maps + _velocity_rows(model)), *_tail(model, source, own)]
    out = [Section("parameter step (gradient descent, learning rate eta)", tuple(_step_rows(d)))]
    gram_rows = tuple(_row(s, _eta_series(expr), prime=True) for s, expr in d.gram_updates.items())
    if d.factored_changes:
        out.append(Section("Gram update (exact, every width n)", gram_rows))
        out.append(
            Section(
                "iterated observables",
                tuple(_row(s, grouped(e)) for s, e in d.projection.items()),
            )
        )
        maps = tuple(
            _row(s, factored_text(s, ch), prime=True) for s, ch in d.factored_changes.items()
        )
        out.append(Section(f"exact one-step maps of {own} (width n kept symbolic)", maps))
    else:
        out.append(Section(f"exact one-step maps of {own}: the Gram update", gram_rows))
    out.append(Section("where", tuple(_where_rows(d, model))))
    return out + _tail(model, source, own)


def _velocity_rows(model: Model) -> tuple[Row, ...]:
    """Define each velocity the maps print (``vel_u``: the step rule's buffer for ``u``)."""
    if not model.spec.step.has_velocity:
        return ()
    rows = []
    for name in (*model.spec.vectors, *model.spec.matrices):
        vel = latex_symbol(sp.Symbol(f"{VELOCITY_PREFIX}{name}"))
        words = f"velocity of {name}: the step rule's buffer, sum of past beta-weighted gradients"
        rows.append(Row(f"{VELOCITY_PREFIX}{name}", words, vel, rf"\text{{{tex_escape(words)}}}"))
    return tuple(rows)


def _tail(model: Model, source: dict[str, str], own: str) -> list[Section]:
    out = []
    out.append(
        Section(f"phase boundaries of {own} (learning rate)", tuple(_boundary_rows(model, source)))
    )
    scaled = _scaled_rows(model)
    if scaled:
        a = model.scaling.output_exponent
        rest = ", ".join(
            f"{s.name} ~ n^({e})" for s, e in model.scaling.exponents.items() if s.name != "f"
        )
        title = (
            f"with f = n^({a}) ftilde, y = n^({a}) ytilde ({rest}) the maps lose n "
            f"({source['scalar']})"
        )
        out.append(Section(title, tuple(scaled)))
    t = model.catapult_time
    if t is not None:
        out.append(
            Section(
                "leading-order catapult time (steps, c = eta lam0)",
                (
                    Row(
                        "t_catapult",
                        text(t),
                        r"t_{\text{catapult}}",
                        latex(t),
                        f"model {model.name}",
                    ),
                ),
            )
        )
    return out
