"""``derive_uncached(spec) -> Model``: the one way to turn a declaration into a derived model.

From any :class:`ModelSpec` (parameters, outputs, labels, data, step rule) it

1. checks the declaration (:func:`check_spec`) and lifts the parameter-level step to a
   closed Gram state (:func:`derive_gram`, raising :class:`NotClosedError` if none);
2. projects onto the observables (outputs ``f_a`` and the NTK ``Theta``); the state is
   ``(f, lam)`` (or ``f_a, ntk_a_b``) where that projection closes and the observables
   do not involve the data, else the Gram state;
3. derives the linear-stability edge from the step rule's recursion and *checks* that
   the model's own fixed-point linearisation contains it
   (:func:`linearisation_matches`); the loss-rises edge from the same recursion;
4. where a scalar ``(f, lam)`` map closes, derives its fixed points, multipliers and the
   large-``|f|`` growth edge (:func:`derive_scalar_boundaries`); a ``restriction`` spec
   (e.g. ``full`` at ``d = m = 1``) supplies that edge otherwise, and says so;
5. derives the width scaling (:func:`derive_scaling`) and, from it and the fastest
   linear multiplier, the catapult time;
6. hashes the content of the declaration (the model's identity; the name is a label).

Whatever does not exist is ``None`` with the reason in ``boundary_notes`` /
``scaling.reason``: nothing falls back to the uv answer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import sympy as sp

from catapultlab import CatapultError
from catapultlab.theory._algebra import is_inner, symbol_words
from catapultlab.theory._boundaries import LAM0, C, ScalarBoundaries, derive_scalar_boundaries
from catapultlab.theory._budget import stage
from catapultlab.theory._derive import GramDerivation, derive_gram
from catapultlab.theory._linear_check import linearisation_matches
from catapultlab.theory._model import LAM, F, Model
from catapultlab.theory._project import Projection, project
from catapultlab.theory._scaling import Scaling, derive_scaling
from catapultlab.theory._spec import ETA, VELOCITY_PREFIX, WIDTH, ModelSpec
from catapultlab.theory._specs_check import check_spec
from catapultlab.theory._steprule import (
    BETA,
    C_LIN,
    KAPPA,
    Q_DECAY,
    LinearRecursion,
    decay_stability_edge,
    linear_recursion,
)

__all__ = ["derive_uncached", "ENGINE_VERSION", "spec_key", "loss_rises_edge"]

ENGINE_VERSION = "2"
"""Bump when a derivation changes: part of every model's content hash."""


def loss_rises_edge(beta: sp.Expr) -> sp.Expr:
    """Placeholder ``c_loss_rises(beta)``: the loss-rises edge has no closed form in beta.

    :meth:`Model.edges` evaluates it from the step rule's recursion. (A function, not a
    module-level SymPy class: documentation tools inspect module attributes.)
    """
    return sp.Function("c_loss_rises")(beta)


def spec_key(spec: ModelSpec) -> str:
    """The content hash of a declaration (name and description excluded)."""
    content = {
        "engine": ENGINE_VERSION,
        "vectors": list(spec.vectors),
        "matrices": list(spec.matrices),
        "outputs": [sp.srepr(sp.sympify(f)) for f in spec.outputs],
        "targets": [sp.srepr(y) for y in spec.targets],
        "data": [sp.srepr(x) for x in spec.data],
        "step": spec.step.to_json(),
        "words": sorted(
            (s.name, symbol_words(s))
            for f in spec.outputs
            for s in sp.sympify(f).free_symbols
            if is_inner(s)
        ),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def _gram_init(gram: GramDerivation) -> dict[sp.Symbol, sp.Expr | None]:
    out: dict[sp.Symbol, sp.Expr | None] = {}
    for s in gram.state:
        a, b = symbol_words(s)
        if a[-1].startswith(VELOCITY_PREFIX) or b[-1].startswith(VELOCITY_PREFIX):
            out[s] = None
        elif a[-1] == b[-1] and len(b) == 1:
            out[s] = sp.Integer(1)
        else:
            out[s] = sp.Rational(1, 2)
    return out


def _observables(gram: GramDerivation) -> dict[sp.Symbol, sp.Expr]:
    m = gram.spec.samples
    if m == 1:
        return {F: gram.outputs[0], LAM: gram.ntk[0, 0]}
    defs = {sp.Symbol(f"f_{a + 1}", real=True): gram.outputs[a] for a in range(m)}
    for a in range(m):
        for b in range(a, m):
            defs[sp.Symbol(f"ntk_{a + 1}_{b + 1}", real=True)] = gram.ntk[a, b]
    return defs


def _state(gram: GramDerivation, proj: Projection):
    """State, maps, outputs, ntk and loss: observables where they close, else the Gram state."""
    spec = gram.spec
    m = spec.samples
    data_free = not any(set(spec.data) & e.free_symbols for e in proj.definitions.values())
    if proj.closed and proj.maps and data_free:
        obs = proj.observables
        state = obs
        maps = {s: proj.maps[s] for s in obs}
        if m == 1:
            outputs, ntk = (F,), sp.Matrix([[LAM]])
        else:
            outputs = obs[:m]
            ntk = sp.zeros(m, m)
            k = m
            for a in range(m):
                for b in range(a, m):
                    ntk[a, b] = ntk[b, a] = obs[k]
                    k += 1
        loss = sp.Rational(1, 2 * m) * sp.Add(
            *((f - y) ** 2 for f, y in zip(outputs, spec.targets, strict=True))
        )
        return state, maps, tuple(outputs), ntk, loss
    return gram.state, dict(gram.maps), gram.outputs, gram.ntk, spec.loss()


def _linear_edge(spec: ModelSpec, rec: LinearRecursion) -> sp.Expr:
    """The stability edge as a learning rate, in ``lam0`` (and ``beta``, ``kappa``)."""
    if not spec.step.weight_decay:
        return sp.simplify(rec.stability_edge / LAM0)
    edge = decay_stability_edge(spec.step).subs(Q_DECAY, KAPPA / LAM0)
    return sp.simplify(edge / LAM0)


def scalar_unavailable(state: tuple, spec: ModelSpec) -> str:
    """Why a model gets no scalar ``(f, lam)`` analysis (``""`` when it is attempted)."""
    if tuple(state) != (F, LAM):
        names = ", ".join(s.name for s in state)
        return f"the model is iterated in ({names}), not in one output f and one eigenvalue lam"
    if spec.step.has_velocity:
        return "the step rule carries velocities, so (f, lam) alone is not the state"
    if spec.step.weight_decay:
        return (
            "(f, lam) closes under weight decay, but the scalar analysis (fixed points, "
            "large-|f| growth edge) is derived for steps without weight decay only"
        )
    if spec.data:
        return "the scalar map depends on the data"
    return ""


def _scalar(state: tuple, maps: dict, spec: ModelSpec) -> tuple[ScalarBoundaries | None, str]:
    why = scalar_unavailable(state, spec)
    if why:
        return None, why
    (y,) = spec.targets
    try:
        return (
            derive_scalar_boundaries(maps[F], maps[LAM], f=F, lam=LAM, eta=ETA, n=WIDTH, y=y),
            "",
        )
    except (ValueError, NotImplementedError, sp.PolynomialError) as err:
        return None, f"the scalar map has no large-|f| growth edge ({err})"


def derive_uncached(spec: ModelSpec, *, restriction: ModelSpec | None = None) -> Model:
    """Derive a :class:`Model` from a declaration (see the module docstring).

    Args:
        spec: the declaration (its ``step`` is the step rule).
        restriction: a smaller declaration whose large-``|f|`` growth edge stands in
            where this model has no scalar map (marked as such in ``boundary_notes``).

    Returns:
        The derived model.

    Raises:
        CatapultError: a bad declaration (one line naming the problem).
        NotClosedError: no closed Gram state (names the missing inner products).

    Example:
        >>> from catapultlab.theory import uv_spec, StepRule
        >>> m = derive_uncached(uv_spec().with_step(StepRule("momentum")))
        >>> m.boundaries["lazy_catapult"]
        2*(beta + 1)/lam0
    """
    check_spec(spec)
    gram = derive_gram(spec)
    stage("projection on (f, Theta)")
    proj = project(gram, _observables(gram))
    state, maps, outputs, ntk, loss = _state(gram, proj)
    rec = linear_recursion(spec.step)
    bnotes: dict[str, str] = {}
    stage("stability edges")
    lazy, rises = _linear_edges(spec, gram, rec, bnotes)
    stage("growth edge")
    scalar, divergent = _growth_edge(state, maps, spec, restriction, lazy, bnotes)
    stage("width scaling")
    scaling = derive_scaling(
        state=tuple(state),
        maps=maps,
        outputs=outputs,
        ntk=ntk,
        labels=tuple(spec.targets),
        hyper=spec.step.symbols,
        definitions=proj.definitions,
        gram_init=_gram_init(gram),
    )
    t_catapult = _catapult_time(scaling, rec)
    if scalar is not None and scaling.exists:
        scalar = dataclasses.replace(
            scalar,
            scaling_exponent=scaling.output_exponent,
            scaled_maps=scaling.scaled_maps,
            catapult_time=t_catapult,
        )
    return Model(
        name=spec.name,
        description=spec.description,
        gram=gram,
        state=tuple(state),
        params=(ETA, WIDTH) + spec.step.symbols + tuple(spec.targets) + tuple(spec.data),
        maps=maps,
        loss=loss,
        ntk=ntk,
        outputs=tuple(outputs),
        projection=proj,
        boundaries={"lazy_catapult": lazy, "loss_rises": rises, "catapult_divergent": divergent},
        scalar=scalar,
        notes=tuple(_notes(spec, gram, proj, scaling)),
        boundary_notes=bnotes,
        scaling=scaling,
        catapult_time=t_catapult,
        linear=rec,
        key=spec_key(spec),
        restriction=restriction,
    )


def _linear_edges(
    spec: ModelSpec, gram: GramDerivation, rec: LinearRecursion, bnotes: dict[str, str]
) -> tuple[sp.Expr, sp.Expr]:
    """The linear-stability edge and the loss-rises edge, with how each was obtained."""
    lazy = _linear_edge(spec, rec)
    if spec.step.weight_decay:
        bnotes["lazy_catapult"] = (
            f"the {spec.step.label} recursion on a quadratic of curvature lam0 with decay kappa: "
            "leading order in kappa (the regularised fixed point has a residual of order kappa)"
        )
    elif linearisation_matches(gram, rec):
        bnotes["lazy_catapult"] = (
            "derived: the model's zero-residual linearisation contains the step rule's "
            "recursion at every NTK eigenvalue (checked exactly); edge at the top eigenvalue"
        )
    else:  # pragma: no cover - would be a new kind of model
        raise CatapultError(
            f"model {spec.name!r}: its linearisation does not match the {spec.step.label} "
            "recursion; no linear-stability edge is derived"
        )
    if spec.step.has_velocity:
        bnotes["loss_rises"] = (
            "the loss first exceeds L_0 in the linear (infinite-width) dynamics; no closed "
            "form in beta, evaluated per beta by Model.edges()"
        )
        return lazy, loss_rises_edge(BETA) / LAM0
    bnotes["loss_rises"] = "plain GD: the linear loss rises exactly past the stability edge"
    return lazy, lazy


def _growth_edge(
    state: tuple,
    maps: dict,
    spec: ModelSpec,
    restriction: ModelSpec | None,
    lazy: sp.Expr,
    bnotes: dict[str, str],
) -> tuple[ScalarBoundaries | None, sp.Expr | None]:
    """The scalar derivation and the large-``|f|`` growth edge (or a restriction's, or none)."""
    scalar, why = _scalar(state, maps, spec)
    if scalar is not None:
        bnotes["catapult_divergent"] = "derived: lam stops shrinking at large |f| (scalar map)"
        if sp.simplify(scalar.lazy_catapult - lazy) != 0:  # pragma: no cover
            raise CatapultError(f"model {spec.name!r}: the two stability derivations disagree")
        return scalar, scalar.catapult_divergent
    if restriction is not None:
        sub = derive_uncached(restriction.with_step(spec.step))
        bnotes["catapult_divergent"] = (
            f"from the restriction {restriction.description or restriction.name}: "
            + sub.boundary_notes.get("catapult_divergent", "")
        )
        return None, sub.boundaries.get("catapult_divergent")
    bnotes["catapult_divergent"] = f"none: {why}"
    return None, None


def _notes(spec: ModelSpec, gram: GramDerivation, proj: Projection, scaling: Scaling) -> list[str]:
    """What was proved and how, in words."""
    rule = spec.step.label if spec.step.kind != "gd" or spec.step.weight_decay else ""
    notes = [
        f"The Gram state ({len(gram.state)} inner products) closes exactly at every width n"
        + (f" under {rule}." if rule else ".")
    ]
    notes += _projection_notes(proj)
    if scaling.exists:
        notes.append(
            f"With the state rescaled by n^b ({_exponent_text(scaling)}) and labels by "
            f"n^({scaling.output_exponent}), the maps do not depend on n."
        )
    else:
        notes.append(f"No width rescaling: {scaling.reason}.")
    return notes


def _exponent_text(scaling: Scaling) -> str:
    return ", ".join(f"{s.name}: {e}" for s, e in scaling.exponents.items())


def _projection_notes(proj: Projection) -> list[str]:
    closes = [s.name for s, miss in proj.missing.items() if not miss]
    opens = {s.name: [m.name for m in miss] for s, miss in proj.missing.items() if miss}
    if not opens:
        return [f"The update of the observables ({', '.join(closes)}) closes in them alone."]
    needs = sorted({m for ms in opens.values() for m in ms})
    return [
        f"Observables whose update closes in the observables: {', '.join(closes) or 'none'}; "
        f"the others ({', '.join(opens)}) still need {', '.join(needs)}, so the model is "
        "iterated in the Gram state."
    ]


def _catapult_time(scaling: Scaling, rec: LinearRecursion) -> sp.Expr | None:
    """``(b_f - e_f) log n / log|z|`` with ``z`` the fastest linear multiplier at ``c``."""
    if not scaling.exists or scaling.output_init_exponent is None:
        return None
    gap = scaling.output_exponent - scaling.output_init_exponent
    if not gap > 0:
        return None
    z = sp.Symbol("z")
    roots = sp.solve(rec.charpoly, z)
    modulus = sp.Abs(roots[0]) if len(roots) == 1 else sp.Max(*(sp.Abs(r) for r in roots))
    t = gap * sp.log(WIDTH) / sp.log(modulus.subs(C_LIN, C))
    return sp.simplify(t) if len(roots) == 1 else t
