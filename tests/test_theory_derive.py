"""derive(spec): step rules, boundaries, scaling and bad declarations, against references."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from catapultlab import CatapultError
from catapultlab.sim import make_setup, run_ensemble
from catapultlab.theory import (
    BETA,
    LAM0,
    WIDTH,
    ModelSpec,
    NotClosedError,
    StepRule,
    derive,
    dot,
    uv_model,
    uv_spec,
)
from catapultlab.theory._derive_model import spec_key

Y = sp.Symbol("y", real=True)


def _numeric_edge(rule: StepRule, beta: float) -> float:
    """Stability edge of the rule on L = h d^2/2 from finite-difference Jacobians (numpy)."""

    def radius(c: float) -> float:
        h, eta = 1.0, c

        def step(x: np.ndarray) -> np.ndarray:
            d, tr = rule.update(x[0], x[1], h * x[0], eta, beta=beta, kappa=0.0)
            return np.array([d, tr])

        J = np.column_stack([step(e) for e in np.eye(2)])  # the step is linear
        return float(np.max(np.abs(np.linalg.eigvals(J))))

    lo, hi = 1e-3, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if radius(mid) < 1 else (lo, mid)
    return hi


@pytest.mark.parametrize("kind", ["momentum", "nesterov"])
@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_stability_edge_matches_an_independent_numeric_recursion(kind: str, beta: float) -> None:
    model = uv_model(StepRule(kind))
    derived = model.edges(beta=beta)["lazy_catapult"]
    assert derived == pytest.approx(_numeric_edge(StepRule(kind), beta), rel=1e-9)


def test_heavy_ball_edge_is_two_plus_two_beta_and_differs_from_loss_rises() -> None:
    model = uv_model(StepRule("momentum"))
    assert sp.simplify(model.boundaries["lazy_catapult"] * LAM0 - (2 + 2 * BETA)) == 0
    edges = model.edges(beta=0.9)
    assert edges["loss_rises"] < 2.0 < edges["lazy_catapult"]


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_loss_rises_edge_against_the_linear_recursion_iterated(beta: float) -> None:
    """Below the edge no |delta_t| exceeds |delta_0|; just above it one does."""
    model = uv_model(StepRule("momentum"))
    c_rise = model.edges(beta=beta)["loss_rises"]

    def peak(c: float) -> float:
        d, tr, out = 1.0, 0.0, 0.0
        for _ in range(3000):
            tr = beta * tr + c * d
            d = d - tr
            out = max(out, abs(d))
        return out

    assert peak(c_rise * (1 - 1e-4)) <= 1.0 + 1e-9
    assert peak(c_rise * (1 + 1e-4)) > 1.0


def test_plain_gd_results_unchanged() -> None:
    m = uv_model()
    assert m.edges() == {"lazy_catapult": 2.0, "loss_rises": 2.0, "catapult_divergent": 4.0}
    assert m.scaling.output_exponent == sp.Rational(1, 2)
    assert m.state == tuple(sp.Symbol(s, real=True) for s in ("f", "lam"))


def test_other_normalisation_gets_its_own_scaling_and_catapult_time() -> None:
    """f = u.v / n: init f ~ n^(-1/2), nonlinear scale n^0, lam0 ~ 1/n (derived, not uv's)."""
    spec = ModelSpec("uv_over_n", ("u", "v"), (dot("u", "v") / WIDTH,), (Y,))
    model = derive(spec)
    s = model.scaling
    assert s.output_exponent == 0 and s.output_init_exponent == -sp.Rational(1, 2)
    assert s.eta_exponent == 1
    c = 3.0
    t_star = model.catapult_time.subs(sp.Symbol("c", positive=True), c)
    # simulated peak times at two widths move by the derived difference (within one step)
    peaks = []
    for n in (10**4, 10**6):
        out = run_ensemble(make_setup(model, y=0.0), c=c, n=n, ensemble=400, steps=400, seed=1)
        peaks.append(float(np.median(out.t_peak)))
    predicted = float(t_star.subs(WIDTH, 10**6) - t_star.subs(WIDTH, 10**4))
    assert abs((peaks[1] - peaks[0]) - predicted) <= 1.0
    assert predicted == pytest.approx(np.log(100) / (2 * np.log(2)))


def test_user_model_named_uv_is_its_own_model() -> None:
    """Identity is the content hash: a user model called "uv" never runs the built-in."""
    mine = ModelSpec("uv", ("u", "v"), (dot("u", "v") / WIDTH,), (Y,))
    assert spec_key(mine) != spec_key(uv_spec())
    setup = make_setup(mine, y=0.0)
    out = run_ensemble(setup, c=1.0, n=1000, ensemble=16, steps=50, seed=0)
    assert np.all(out.lam0 < 0.01)  # (|u|^2 + |v|^2) / n^2 ~ 2 / n, not ~ 2


def test_setup_config_rebuilds_the_same_model() -> None:
    from catapultlab.sim import Setup

    setup = make_setup("uv", y=0.0, step=StepRule("momentum"), hyper=(("beta", 0.5),))
    again = Setup.from_config(setup.to_config())
    assert again == setup
    assert again.numeric.key == setup.derived().key and again.hyper == setup.hyper


@pytest.mark.parametrize(
    ("outputs", "kind", "needle"),
    [
        ((dot("u", "w") / sp.sqrt(WIDTH),), CatapultError, "undeclared parameter"),
        ((sp.tanh(dot("u", "v") / sp.sqrt(WIDTH)),), NotClosedError, "tanh"),
        ((sp.Integer(3),), CatapultError, "does not depend on the parameters"),
        ((dot("u", "v") + sp.Symbol("q"),), CatapultError, "q"),
        (("u.v",), CatapultError, "build outputs with dot"),
        ((sp.nan * dot("u", "v"),), CatapultError, "non-finite"),
    ],
)
def test_bad_declarations_get_one_clear_error(outputs: tuple, kind: type, needle: str) -> None:
    spec = ModelSpec("bad", ("u", "v"), outputs, (Y,))
    with pytest.raises(kind, match=needle) as info:
        derive(spec)
    assert "\n" not in str(info.value)


def test_deep_linear_has_no_closed_state() -> None:
    from catapultlab.theory import deep_linear_spec

    with pytest.raises(NotClosedError, match="no closed state"):
        derive(deep_linear_spec())


def test_momentum_catapult_needs_a_drop_of_the_ntk() -> None:
    """beta = 0.5, c = 2.2 < 2 + 2 beta: the loss rises at step 1 but the run stays lazy."""
    setup = make_setup("uv", y=0.0, step=StepRule("momentum"), hyper=(("beta", 0.5),))
    out = run_ensemble(setup, c=2.2, n=10**6, ensemble=64, steps=3000, seed=0)
    assert np.all(out.rose)
    assert np.all(out.phase == 0)
    out = run_ensemble(setup, c=3.5, n=10**4, ensemble=64, steps=3000, seed=0)
    assert np.mean(out.phase == 1) > 0.9  # above the edge: catapults (lam falls below 3/eta)
    assert np.all(out.eta_lam_final[out.phase == 1] < 3.0 + 1e-6)


@pytest.mark.parametrize(
    "rule",
    [StepRule("gd", "l2"), StepRule("momentum", "l2"), StepRule("momentum", "decoupled")],
    ids=lambda r: r.label,
)
def test_weight_decay_edges_match_the_numeric_rule(rule: StepRule) -> None:
    beta, kappa, lam0 = 0.6, 0.3, 1.5
    model = uv_model(rule)
    derived = model.edges(beta=beta, kappa=kappa, lam0=lam0)["lazy_catapult"]

    def radius(c: float) -> float:
        eta = c / lam0

        def step(x: np.ndarray) -> np.ndarray:
            d, tr = rule.update(x[0], x[1], lam0 * x[0], eta, beta=beta, kappa=kappa)
            return np.array([d, tr])

        k = 2 if rule.has_velocity else 1  # plain GD has no velocity coordinate
        J = np.column_stack([step(e)[:k] for e in np.eye(2)[:k]])
        return float(np.max(np.abs(np.linalg.eigvals(J))))

    lo, hi = 1e-3, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if radius(mid) < 1 else (lo, mid)
    assert derived == pytest.approx(hi, rel=1e-9)


def test_exact_jacobian_equals_sympy_jacobian() -> None:
    """theory._exact.jacobian_at (sparse-polynomial path) against SymPy's symbolic Jacobian."""
    import random

    from catapultlab.theory._exact import jacobian_at, random_point

    x, y, z = sp.symbols("x y z")
    exprs = [
        (x * y - sp.Rational(3, 7) * z) ** 3 * (x + 2),
        sp.sqrt(2) * (x + sp.sqrt(3) * y) ** 2 * z,  # algebraic coefficients: exact path
        sp.Integer(5),
    ]
    reference = sp.Matrix(exprs).jacobian([x, y, z])
    for seed in range(3):
        at = random_point([x, y, z], random.Random(seed))
        at[z] = sp.Integer(0) if seed == 2 else at[z]  # a zero coordinate (velocities at rest)
        got = jacobian_at(exprs, [x, y, z], at)
        assert (got - reference.xreplace(at)).applyfunc(sp.expand) == sp.zeros(3, 3)


def test_float_coefficients_are_the_rationals_they_print_as() -> None:
    """0.5 u.v / sqrt(n) is the model (1/2) u.v / sqrt(n): same content key, same edges."""
    floats = ModelSpec("f", ("u", "v"), (0.5 * dot("u", "v") / sp.sqrt(WIDTH),), (Y,))
    exact = ModelSpec("f", ("u", "v"), (sp.Rational(1, 2) * dot("u", "v") / sp.sqrt(WIDTH),), (Y,))
    assert floats.outputs == exact.outputs
    assert derive(floats).edges() == derive(exact).edges()
