"""A testing kit for your own models: strategies, reference checks and invariants.

Every check compares a derived :class:`catapultlab.theory.Model` against an
independent reference and raises ``AssertionError`` with the worst discrepancy:

* :func:`check_map_against_gd` -- the derived map against exact parameter-space
  steps (:func:`catapultlab.sim.run_exact_spec`) under the declared step rule, at
  random widths and Gaussian states;
* :func:`check_kernel_against_pure` -- the generated Numba kernel against the pure
  NumPy path (same phases and step counts, states to float tolerance);
* :func:`check_invariants` -- the map keeps realisable states realisable (the Gram
  matrix stays positive semi-definite), and commutes with the symmetries the
  declaration has (exchanges of parameter vectors, sign flips with the labels).

:func:`reachable_states` is a hypothesis strategy of realisable states of any model.

Example:
    >>> from catapultlab.theory import uv_spec
    >>> check_map_against_gd(uv_spec(), trials=2, steps=5).worst < 1e-9
    True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from catapultlab.records import short_repr

__all__ = [
    "Symmetry",
    "CheckResult",
    "check_invariants",
    "check_kernel_against_pure",
    "check_map_against_gd",
    "gram_values",
    "reachable_states",
    "symmetries",
]


def _model(model_or_spec: Any) -> Any:
    from catapultlab.theory import Model, derive

    return model_or_spec if isinstance(model_or_spec, Model) else derive(model_or_spec)


def _all_vectors(model: Any) -> list[str]:
    return list(model.spec.vectors) + list(model.spec.velocities)


def gram_values(model: Any, vectors: dict[str, np.ndarray]) -> np.ndarray:
    """The Gram-state inner products (``model.gram.state`` order) of explicit vectors."""
    from catapultlab.theory import symbol_words

    out = []
    for s in model.gram.state:
        a, b = symbol_words(s)
        out.append(float(vectors[a[-1]] @ vectors[b[-1]]))
    return np.array(out)


def _random_vectors(model: Any, n: int, rng: np.random.Generator, velocity: float) -> dict:
    vecs = {w: rng.standard_normal(n) for w in model.spec.vectors}
    vecs |= {w: velocity * rng.standard_normal(n) for w in model.spec.velocities}
    return vecs


def _hyper(model: Any, beta: float, kappa: float) -> dict[str, float]:
    return {s.name: {"beta": beta, "kappa": kappa}[s.name] for s in model.hyper}


def check_map_against_gd(
    model_or_spec: Any,
    *,
    trials: int = 5,
    steps: int = 10,
    max_width: int = 300,
    beta: float = 0.5,
    kappa: float = 0.05,
    c_range: tuple[float, float] = (0.5, 3.5),
    seed: int = 0,
    rtol: float = 1e-8,
) -> CheckResult:
    """The derived map against exact parameter-space steps under the declared rule.

    Args:
        model_or_spec: a Model or a ModelSpec (derived if needed).
        trials: random (width, state, label, learning rate) draws.
        steps: steps per trial.
        max_width: widths are drawn in ``[1, max_width]``.
        beta: momentum value (if the rule has one).
        kappa: weight-decay value (if the rule has one).
        c_range: ``c = eta lam0`` is drawn uniformly here.
        seed: random seed.
        rtol: allowed relative error (float64, a few steps).

    Returns:
        A :class:`CheckResult`: the states compared and the largest relative error seen.

    Raises:
        AssertionError: the map and parameter-space GD disagree by more than ``rtol``.
    """
    from catapultlab.sim import run_exact_spec

    model = _model(model_or_spec)
    spec = model.spec
    rng = np.random.default_rng(seed)
    hyper = _hyper(model, beta, kappa)
    worst, cases = 0.0, 0
    for _ in range(trials):
        n = int(rng.integers(1, max_width + 1))
        P = {w: rng.standard_normal(n) for w in spec.vectors}
        y = rng.standard_normal(len(spec.outputs))
        x = rng.standard_normal(len(spec.data)) if spec.data else None
        G = gram_values(model, P | {w: np.zeros(n) for w in spec.velocities})
        state = model.state_from_inner(G, n)
        _, ntk = model.observe(state, n=n, x=x)
        eta = float(rng.uniform(*c_range)) / float(np.linalg.eigvalsh(ntk)[-1])
        run = run_exact_spec(
            spec, P, eta=eta, steps=steps, y=y, x=x, observe=tuple(model.gram.state), **hyper
        )
        for t in range(steps + 1):
            ref = model.state_from_inner(run.observed[t], n)
            scale = max(1.0, float(np.max(np.abs(ref))))
            err = float(np.max(np.abs(state - ref))) / scale
            if not np.isfinite(scale) or scale > 1e12:
                break
            worst, cases = max(worst, err), cases + 1
            assert err <= rtol, (
                f"{model.name}: map and parameter-space {spec.step.label} differ by {err:.3g} "
                f"(relative) at step {t}, n = {n}"
            )
            state = model.step(state, eta=eta, n=n, y=y, x=x, **hyper)
    what = f"map vs parameter-space {spec.step.label} (relative error of the state)"
    return CheckResult(what, model.name, cases, worst, rtol)


def check_kernel_against_pure(
    model: Any,
    *,
    c: float = 3.0,
    n: int = 256,
    y: float = 0.0,
    ensemble: int = 64,
    steps: int = 500,
    beta: float = 0.5,
    seed: int = 0,
    dtype: str = "float64",
) -> CheckResult:
    """The generated kernel against the pure NumPy path on the same initial states.

    Returns:
        A :class:`CheckResult`: runs compared and the largest relative gap of final states.

    Raises:
        AssertionError: different phases or step counts, or final states apart by more
            than the dtype's tolerance.
    """
    from catapultlab.sim import make_setup, run_ensemble

    model = _model(model)
    hyper = tuple(_hyper(model, beta, 0.0).items())
    setup = make_setup(model, y=y, hyper=hyper)
    kw = dict(c=c, n=n, ensemble=ensemble, steps=steps, seed=seed, dtype=dtype, keep_state=True)
    kern = run_ensemble(setup, backend="kernel", **kw)  # type: ignore[arg-type]
    pure = run_ensemble(setup, backend="numpy", **kw)  # type: ignore[arg-type]
    assert np.array_equal(kern.phase, pure.phase), f"{model.name}: phases differ"
    assert np.array_equal(kern.steps, pure.steps), f"{model.name}: step counts differ"
    tol = 1e-9 if dtype == "float64" else 1e-3
    a, b = kern.state, pure.state
    ok = np.isfinite(a) & np.isfinite(b)
    scale = np.maximum(1.0, np.abs(b))
    gap = (np.abs(a - b) / scale)[ok]
    worst = float(gap.max()) if gap.size else 0.0
    assert worst <= tol, f"{model.name}: final states differ by {worst:.3g} (relative)"
    what = f"Numba kernel vs pure NumPy ({dtype}; phases and step counts equal)"
    return CheckResult(what, model.name, int(kern.phase.size), worst, tol)


@dataclass(frozen=True)
class CheckResult:
    """What a check compared and how far apart the two sides were.

    Attributes:
        check: what was compared, in words.
        model: the model's name.
        cases: how many states (or runs) were compared.
        worst: the largest relative difference seen.
        tolerance: the largest allowed.
    """

    __repr__ = short_repr

    check: str
    model: str
    cases: int
    worst: float
    tolerance: float

    @property
    def passed(self) -> bool:
        """Did every case agree within the tolerance?"""
        return self.worst <= self.tolerance

    def __float__(self) -> float:
        return self.worst


@dataclass(frozen=True)
class Symmetry:
    """A symmetry of a declaration.

    Attributes:
        name: e.g. ``"swap u<->v"`` or ``"flip u, y -> -y"``.
        perm: vector name -> image name (velocities follow their parameter).
        signs: vector name -> +1 or -1.
        label_sign: +1, or -1 where the outputs change sign.
    """

    __repr__ = short_repr

    name: str
    perm: dict[str, str]
    signs: dict[str, int]
    label_sign: int


def symmetries(model: Any) -> list[Symmetry]:
    """Exchanges of two parameter vectors and sign flips of one that the declaration has.

    A map ``w -> pi(w)`` (or ``w -> -w``) is a symmetry where it leaves every output
    unchanged (or flips all outputs, together with the labels).
    """
    from catapultlab.theory import inner_symbol, inner_symbols_in, symbol_words

    spec = model.spec
    if spec.matrices or spec.data:
        return []
    found = []
    names = list(spec.vectors)
    candidates: list[tuple[str, dict[str, str], dict[str, int]]] = []
    for a, b in itertools.combinations(names, 2):
        perm = {w: w for w in names} | {a: b, b: a}
        candidates.append((f"swap {a}<->{b}", perm, dict.fromkeys(names, 1)))
    for a in names:
        candidates.append((f"flip {a}", {w: w for w in names}, dict.fromkeys(names, 1) | {a: -1}))
    for name, perm, signs in candidates:
        images = []
        for f in spec.outputs:
            sub = {}
            for s in inner_symbols_in(sp.sympify(f)):
                u, v = symbol_words(s)
                sub[s] = signs[u[-1]] * signs[v[-1]] * inner_symbol((perm[u[-1]],), (perm[v[-1]],))
            images.append(sp.expand(sp.sympify(f).xreplace(sub)))
        outs = [sp.expand(f) for f in spec.outputs]
        for sign in (1, -1):
            if all(sp.expand(i - sign * o) == 0 for i, o in zip(images, outs, strict=True)):
                found.append(Symmetry(name, perm, signs, sign))
                break
    return found


def _act(model: Any, sym: Symmetry, vecs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for w in model.spec.vectors:
        out[sym.perm[w]] = sym.signs[w] * vecs[w]
        if model.spec.velocities:
            out["vel_" + sym.perm[w]] = sym.signs[w] * vecs["vel_" + w]
    return out


def _psd(model: Any, values: np.ndarray) -> float:
    """Smallest eigenvalue of the Gram matrix of all vectors, relative to its scale."""
    from catapultlab.theory import symbol_words

    names = _all_vectors(model)
    G = np.zeros((len(names), len(names)))
    for s, v in zip(model.gram.state, values, strict=True):
        a, b = symbol_words(s)
        i, j = names.index(a[-1]), names.index(b[-1])
        G[i, j] = G[j, i] = v
    w = np.linalg.eigvalsh(G)
    return float(w[0] / max(1.0, abs(w[-1])))


def check_invariants(
    model: Any, *, trials: int = 10, seed: int = 0, beta: float = 0.5, kappa: float = 0.05
) -> list[Symmetry]:
    """Realisable states stay realisable, and the map commutes with the declaration's symmetries.

    Works on the Gram state (the state every model has): from random vectors (velocities
    included), one map step must give a positive semi-definite Gram matrix, and for each
    symmetry ``sigma``, ``map(sigma x) = sigma map(x)`` (labels flipped where it flips
    the outputs).

    Returns:
        The symmetries found (and checked).

    Raises:
        AssertionError: an invariant fails.
    """
    model = _model(model)
    spec = model.spec
    gmaps = [model.gram.maps[s] for s in model.gram.state]
    args = list(model.gram.state) + list(model.params)
    fmap = sp.lambdify(args, gmaps, modules="numpy")
    rng = np.random.default_rng(seed)
    found = symmetries(model)
    hyper = _hyper(model, beta, kappa)
    for _ in range(trials):
        n = int(rng.integers(2, 200))
        vecs = _random_vectors(model, n, rng, velocity=0.3)
        y = rng.standard_normal(len(spec.outputs))
        x = rng.standard_normal(len(spec.data)) if spec.data else None
        eta = float(rng.uniform(0.01, 1.0))
        params = model._param_values(eta, n, x, y, hyper)
        G = gram_values(model, vecs)
        new = np.array(fmap(*G, *params), dtype=float)
        assert _psd(model, new) > -1e-10, f"{model.name}: the map left the PSD cone"
        for sym in found:
            y_sym = sym.label_sign * y
            G_sym = gram_values(model, _act(model, sym, vecs))
            lhs = np.array(fmap(*G_sym, *model._param_values(eta, n, x, y_sym, hyper)))
            # sigma applied to the new state: the same action on the Gram entries
            rhs = _act_on_gram(model, sym, new)
            scale = max(1.0, float(np.max(np.abs(rhs))))
            assert np.max(np.abs(lhs - rhs)) <= 1e-9 * scale, f"{model.name}: {sym.name} fails"
    return found


def _act_on_gram(model: Any, sym: Symmetry, values: np.ndarray) -> np.ndarray:
    from catapultlab.theory import symbol_words

    def image(name: str) -> tuple[str, int]:
        base = name.removeprefix("vel_")
        target = sym.perm[base]
        return (("vel_" + target) if name.startswith("vel_") else target), sym.signs[base]

    lookup = {}
    for s, v in zip(model.gram.state, values, strict=True):
        a, b = symbol_words(s)
        (ia, sa), (ib, sb) = image(a[-1]), image(b[-1])
        lookup[frozenset((ia, ib)) if ia != ib else frozenset((ia,))] = sa * sb * v
    out = []
    for s in model.gram.state:
        a, b = symbol_words(s)
        key = frozenset((a[-1], b[-1])) if a[-1] != b[-1] else frozenset((a[-1],))
        out.append(lookup[key])
    return np.array(out)


def reachable_states(model: Any, *, max_width: int = 10**6) -> Any:
    """Hypothesis strategy of ``(state, n)``: the state of real Gaussian vectors at width n.

    The Gram matrix is drawn from the exact Wishart law (any width, O(1) cost), with
    velocities drawn as further vectors for models that have them; the state is read
    off through the model's own observable definitions, so it is realisable by
    construction.
    """
    from hypothesis import strategies as st

    from catapultlab.sim import sample_gram

    model = _model(model)
    p = len(_all_vectors(model))
    names = _all_vectors(model)

    def draw(draw_value: Any) -> tuple[np.ndarray, int]:
        n = draw_value(st.integers(1, max_width))
        seed = draw_value(st.integers(0, 2**32 - 1))
        scale = draw_value(st.floats(0.05, 2.0))
        G = sample_gram(p, n, 1, np.random.default_rng(seed))[0]
        k = len(model.spec.vectors)
        G[k:, :] *= scale
        G[:, k:] *= scale
        from catapultlab.theory import symbol_words

        values = []
        for s in model.gram.state:
            a, b = symbol_words(s)
            values.append(G[names.index(a[-1]), names.index(b[-1])])
        return model.state_from_inner(np.array(values), n), n

    draw.__name__ = draw.__qualname__ = f"reachable_states_of_{model.name}"  # its repr
    return st.composite(draw)()
