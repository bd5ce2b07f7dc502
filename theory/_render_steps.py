"""A derived model written as a person writes it, each part checked against the derived maps.

From a :class:`~catapultlab.theory.Model` this builds, without typing in any formula:

* the residuals ``r_a = f_a - y_a`` (``f_a`` in inner products);
* the gradient coefficients ``g_k``: every parameter step of
  :attr:`GramDerivation.vector_steps` is ``w' = w - eta * sum_k g_k word_k``, and the
  distinct ``g_k`` (functions of the residuals, data and ``n``) get one name each;
* the Gram update entry by entry, ``<a', b'> = <a, b> + eta (...) + eta^2 (...)``, in
  the inner products and the ``g_k``;
* for a model iterated in projected observables (uv: ``f, lam``), each map factored
  through the residual, ``f' = f + factor_terms(f' - f)``.

Every part is substituted back and compared with the engine's own maps (exact
polynomial identity); a part that does not match raises instead of being shown.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from catapultlab.records import short_repr
from catapultlab.theory._algebra import VecExpr, inner, symbol_words, vec, vec_add, vec_scale
from catapultlab.theory._model import Model
from catapultlab.theory._spec import ETA

__all__ = ["NoReadableFormError", "ReadableDerivation", "readable_derivation", "readable_or_reason"]


class NoReadableFormError(ValueError):
    """The model's step cannot be written as ``w' = w - eta sum g word`` that reproduces it."""


@dataclass(frozen=True)
class ReadableDerivation:
    """The parts of a derivation a person writes down (all SymPy, all checked).

    Attributes:
        model: the model's name.
        outputs: output symbol ``f_a`` -> its definition in inner products.
        residuals: residual symbol ``r_a`` -> ``f_a - y_a``.
        coefficients: gradient coefficient ``g_k`` -> in residuals, data and ``n``.
        steps: vector name -> ``((g_k, word), ...)``: ``w' = w - eta sum_k g_k word``.
        gram_updates: inner-product symbol -> its new value in inner products, ``g_k``, eta.
        projection: the iterated observables (when the state is not the Gram state) ->
            their definitions in inner products.
        factored_changes: each iterated observable's change ``s' - s``, factored through
            the residuals (``s' = s + change``).
    """

    __repr__ = short_repr

    model: str
    outputs: dict[sp.Symbol, sp.Expr]
    residuals: dict[sp.Symbol, sp.Expr]
    coefficients: dict[sp.Symbol, sp.Expr]
    steps: dict[str, tuple[tuple[sp.Symbol, tuple[str, ...]], ...]]
    gram_updates: dict[sp.Symbol, sp.Expr]
    projection: dict[sp.Symbol, sp.Expr]
    factored_changes: dict[sp.Symbol, sp.Expr]

    @property
    def symbols(self) -> dict[str, sp.Symbol]:
        """The names this derivation introduces (residuals, coefficients, outputs)."""
        return {s.name: s for s in (*self.residuals, *self.coefficients, *self.outputs)}

    def in_inner_products(self, expr: sp.Expr) -> sp.Expr:
        """Substitute the ``g_k`` and ``r_a`` definitions (and outputs) back into ``expr``."""
        expr = expr.xreplace(self.coefficients).xreplace(self.residuals)
        return expr.xreplace(self.outputs)


def _suffix(label: sp.Symbol) -> str:
    return label.name[1:] if label.name.startswith("y") else f"_{label.name}"


def _output_symbols(model: Model) -> tuple[sp.Symbol, ...]:
    by_value = {v: k for k, v in model.projection.definitions.items()}
    out = []
    for a, f in enumerate(model.gram.outputs):
        name = "f" if len(model.gram.outputs) == 1 else f"f_{a + 1}"
        out.append(by_value.get(f, sp.Symbol(name, real=True)))
    return tuple(out)


def _check(ok: bool, what: str, model: str) -> None:
    if not ok:
        raise NoReadableFormError(f"{what} of model {model} does not reproduce the derived map")


def _coefficients(
    model: Model, label_sub: dict[sp.Symbol, sp.Expr]
) -> tuple[dict[sp.Symbol, sp.Expr], dict[str, tuple[tuple[sp.Symbol, tuple[str, ...]], ...]]]:
    seen: dict[sp.Expr, sp.Symbol] = {}
    steps: dict[str, tuple[tuple[sp.Symbol, tuple[str, ...]], ...]] = {}
    raw: list[sp.Expr] = []
    for w in model.gram.spec.vectors:
        for coef in model.gram.vector_steps[w].values():
            raw.append(sp.expand(sp.simplify((coef / -ETA).xreplace(label_sub))))
    several = len(set(raw)) > 1
    k = 0
    for w in model.gram.spec.vectors:
        terms = []
        for word, _ in model.gram.vector_steps[w].items():
            g = raw[k]
            k += 1
            if g not in seen:
                name = f"g_{len(seen) + 1}" if several else "g"
                seen[g] = sp.Symbol(name, real=True)
            terms.append((seen[g], word))
        steps[w] = tuple(terms)
    return {s: g for g, s in seen.items()}, steps


def _stepped(steps: dict[str, tuple[tuple[sp.Symbol, tuple[str, ...]], ...]]) -> dict:
    out: dict[str, VecExpr] = {}
    for w, terms in steps.items():
        out[w] = vec_add(vec(w), *(vec_scale(-ETA * g, vec(word)) for g, word in terms))
    return out


def readable_derivation(model: Model) -> ReadableDerivation:
    """The derivation of ``model`` in residuals, gradient coefficients and inner products.

    Args:
        model: a derived model whose parameters are vectors (no matrices).

    Returns:
        The checked parts; see :class:`ReadableDerivation`.

    Raises:
        NoReadableFormError: the model has matrix parameters, or a part written this way does
            not reproduce the engine's map (e.g. a step rule with more state than plain GD).

    Example:
        >>> from catapultlab.theory import uv_model
        >>> d = readable_derivation(uv_model())
        >>> d.residuals, d.coefficients
        ({r: f - y}, {g: r/sqrt(n)})
    """
    known = model.__dict__.get("_readable")  # kept with the model (not pickled)
    if known is None:
        known = model.__dict__["_readable"] = _readable(model)
    return known


def _readable(model: Model) -> ReadableDerivation:
    gram = model.gram
    rule = gram.spec.step
    if rule.has_velocity or rule.weight_decay:
        raise NoReadableFormError(
            f"the residual/step form is written for plain GD; under {rule.label} the exact "
            "Gram-state maps are shown"
        )
    if gram.spec.matrices:
        raise NoReadableFormError(
            f"model {model.name!r} has matrix parameters; no vector-step form"
        )
    f_syms = _output_symbols(model)
    outputs = dict(zip(f_syms, gram.outputs, strict=True))
    labels = tuple(gram.spec.targets)
    r_syms = tuple(sp.Symbol(f"r{_suffix(y)}", real=True) for y in labels)
    residuals = {r: f - y for r, f, y in zip(r_syms, f_syms, labels, strict=True)}
    label_sub = {y: f - r for y, f, r in zip(labels, gram.outputs, r_syms, strict=True)}
    coefficients, steps = _coefficients(model, label_sub)
    for w, terms in steps.items():
        for (g, _word), coef in zip(terms, gram.vector_steps[w].values(), strict=True):
            back = (
                (-ETA * g)
                .xreplace(coefficients)
                .xreplace({r: f - y for r, f, y in zip(r_syms, gram.outputs, labels, strict=True)})
            )
            _check(sp.expand(back - coef) == 0, f"the step of {w}", model.name)
    stepped = _stepped(steps)
    updates: dict[sp.Symbol, sp.Expr] = {}
    for s in gram.state:
        a, b = symbol_words(s)
        new = sp.expand(inner(stepped[a[-1]], stepped[b[-1]]))
        updates[s] = new
        back = new.xreplace(coefficients).xreplace(
            {r: f - y for r, f, y in zip(r_syms, gram.outputs, labels, strict=True)}
        )
        _check(sp.expand(back - gram.maps[s]) == 0, f"the update of {s}", model.name)
    projection: dict[sp.Symbol, sp.Expr] = {}
    factored_changes: dict[sp.Symbol, sp.Expr] = {}
    if tuple(model.state) != tuple(gram.state):
        to_r = {y: f - r for y, f, r in zip(labels, f_syms, r_syms, strict=True)}
        for s in model.state:
            projection[s] = model.projection.definitions[s]
            change = sp.factor_terms(sp.expand(model.maps[s].xreplace(to_r) - s))
            factored_changes[s] = change
            back = (s + change).xreplace(residuals)
            _check(sp.expand(back - model.maps[s]) == 0, f"the factored map of {s}", model.name)
    return ReadableDerivation(
        model=model.name,
        outputs=outputs,
        residuals=residuals,
        coefficients=coefficients,
        steps=steps,
        gram_updates=updates,
        projection=projection,
        factored_changes=factored_changes,
    )


def readable_or_reason(model: Model) -> tuple[ReadableDerivation | None, str]:
    """:func:`readable_derivation`, or ``None`` and the reason it does not exist."""
    try:
        return readable_derivation(model), ""
    except NoReadableFormError as exc:
        return None, str(exc)
