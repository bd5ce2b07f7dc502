"""Infinite width: the derived limit (rescaled map, init law) and the ``--n inf`` outcome law.

References: the model's own Gram-to-state definition at a huge finite width (the limit
law's expansion), the model's map at width n rescaled by hand (the limit map), and
finite-n ensembles (the outcome law), with tolerances from the sample size and the
derived bound on the log-periodic phase law.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from catapultlab.phases import Phase, StopRule
from catapultlab.sim import (
    chunk_tasks,
    limit_law,
    limit_start,
    make_setup,
    phase_law_bound,
    run_chunk,
    run_kernel,
    sample_gram,
)
from catapultlab.theory import WIDTH, ModelSpec, derive, dot, step_from_flags

Y = sp.Symbol("y", real=True)


def _cubic():
    return ModelSpec(
        "cubic", ("u", "v"), (dot("u", "v") * dot("u", "u") / WIDTH ** sp.Rational(3, 2),), (Y,)
    )


def _setup(name: str, **kw):
    if name == "uv_momentum":
        step, hyper = step_from_flags(0.5, False, None)
        return make_setup("uv", step=step, hyper=hyper, **kw)
    if name == "cubic":
        return make_setup(derive(_cubic()), **kw)
    if name == "full":
        return make_setup("full", inputs=2, samples=2, **kw)
    return make_setup(name, **kw)


@pytest.mark.parametrize("name", ["uv", "uv_momentum", "cubic", "full"])
def test_limit_law_of_init_matches_the_definition_at_large_width(name):
    setup = _setup(name, y=0.0)
    numeric, limit = setup.numeric, setup.numeric.limit
    assert limit.exists, limit.reason
    n = 1e10
    rng = np.random.default_rng(0)
    G = sample_gram(len(numeric.vectors), int(n), 64, rng)
    state = numeric.state_from_gram(G, n)
    rescaled = state / n ** np.asarray(limit.state_exponents)[:, None]
    z = [(G[:, i, j] - n * (i == j)) / np.sqrt(n) for (i, j) in _pairs(numeric)]
    center = _rows(numeric.functions["limit_center"](*z), 64)
    fluct = _rows(numeric.functions["limit_fluctuation"](*z), 64)
    # the expansion's remainder is O(1/n); the first order term is O(1/sqrt(n)) = 1e-5
    np.testing.assert_allclose(rescaled, center + fluct / np.sqrt(n), atol=1e-8)
    assert np.abs(fluct).max() > 0.1


def _rows(values, size):
    return np.array([np.broadcast_to(np.asarray(v, dtype=float), (size,)) for v in values])


def _pairs(numeric):
    return [g for g in numeric.gram_index if g is not None]


@pytest.mark.parametrize("name", ["uv", "uv_momentum", "cubic"])
def test_limit_map_is_the_map_at_unit_width(name):
    setup = _setup(name, y=0.7)
    numeric, limit = setup.numeric, setup.numeric.limit
    rng = np.random.default_rng(1)
    S = len(numeric.state)
    x = rng.uniform(0.2, 1.0, (S, 5))
    eta = rng.uniform(0.1, 1.0, 5)
    b = np.asarray(limit.state_exponents)[:, None]
    y_tilde = 0.7
    one = numeric.map(*x, eta, *_shared(setup, 1.0, y_tilde))
    for n in (1e3, 1e9):
        big = numeric.map(
            *(x * n**b),
            eta * n**limit.eta_exponent,
            *_shared(setup, n, y_tilde * n**limit.label_exponent),
        )
        back = np.array(np.broadcast_arrays(*big)) / n**b
        np.testing.assert_allclose(back, np.array(np.broadcast_arrays(*one)), rtol=1e-9)


def _shared(setup, n, y):
    values = {"n": n, "y": y, "beta": setup.beta}
    return [values[p] for p in setup.numeric.params[1:]]


def test_models_without_a_limit_say_why():
    sq = ModelSpec("sq", ("u", "v"), ((dot("u", "v") / sp.sqrt(WIDTH)) ** 2,), (Y,))
    limit = derive(sq).width_limit
    assert not limit.exists and "grows with n" in limit.reason


def _p(setup, c, n, ensemble, seed=0, phase=Phase.DIVERGENT):
    tasks = chunk_tasks(setup, c=c, n=n, ensemble=ensemble, steps=5000, seed=seed)
    ph = np.concatenate([run_chunk(t).phase for t in tasks])
    return float(np.mean(ph == phase))


def test_uv_limit_law_has_the_closed_form_edge():
    setup = make_setup("uv", y=0.0)
    assert _p(setup, 3.95, np.inf, 1000) == 0.0
    assert _p(setup, 4.05, np.inf, 1000) == 1.0


@pytest.mark.parametrize("c", [4.3, 4.7])
def test_heavy_ball_limit_law_matches_large_finite_width(c):
    setup = _setup("uv_momentum", y=0.0)
    K = 6000
    p_inf = _p(setup, c, np.inf, K, seed=3)
    bound = limit_law(setup, c)["finite_n_bound"]
    assert 0 < bound < 0.05
    for n in (10**6, 10**12):
        p_n = _p(setup, c, n, K, seed=4)
        se = np.sqrt(p_inf * (1 - p_inf) / K + p_n * (1 - p_n) / K)
        assert abs(p_inf - p_n) <= 4 * se + bound, (n, p_inf, p_n)
    assert 0.3 < p_inf < 0.95  # the re-entrant window is a fraction, not 0 or 1


def test_entry_amplitude_is_converged():
    setup = _setup("uv_momentum", y=0.0)
    kw = dict(seed=0, first_block=0, sizes=(1024,), block=1024, stop=StopRule())
    a = limit_start(setup, 4.7, **kw)
    # |mu|^4 times closer to the center: the same phase on the unstable manifold
    shrink = np.abs(a.multiplier[0]) ** 4
    b = limit_start(setup, 4.7, amplitude=1e-6 / shrink, **kw)
    center = a.state - (a.state - b.state) * shrink / (shrink - 1)
    np.testing.assert_allclose(b.state - center, (a.state - center) / shrink, rtol=1e-6, atol=1e-18)
    divergent = []
    for s in (a, b):
        run = run_kernel(
            setup.numeric,
            s.state,
            s.eta,
            setup.shared(np.inf),
            converge_loss=s.converge_loss,
            diverge_loss=s.diverge_loss,
            rise_tol=0.0,
            max_steps=5000,
        )
        divergent.append(run.phase == Phase.DIVERGENT)
    # the orbits' outcomes agree (an O(A) truncation error flips a few near a boundary)
    assert np.mean(divergent[0] == divergent[1]) >= 0.99
    assert 0.5 < np.mean(divergent[0]) < 0.95


def test_labels_on_the_nonlinear_scale_are_the_model_whose_label_is_there():
    # f = u.v / n at y = 1 is uv at y / sqrt(n) = 1: the same limit map, the same orbits
    uvn = ModelSpec("uvn", ("u", "v"), (dot("u", "v") / WIDTH,), (Y,))
    a = make_setup(derive(uvn), y=1.0)
    b = make_setup("uv", y=1.0, labels_scaled=True)
    for c in (2.40, 2.45, 2.50, 2.55):
        assert _p(a, c, np.inf, 64) == _p(b, c, np.inf, 64)
    assert _p(b, 2.40, np.inf, 64) == 0.0 and _p(b, 2.55, np.inf, 64) == 1.0


def test_phase_law_bound_against_monte_carlo():
    # the density of frac(log|xi| / log|mu|) for Gaussian xi stays within the bound
    mu = -3.0
    rng = np.random.default_rng(0)
    phase = np.mod(np.log(np.abs(rng.standard_normal(2_000_000))) / np.log(3.0), 1.0)
    density, _ = np.histogram(phase, bins=8, range=(0, 1), density=True)
    assert np.abs(density - 1).max() <= phase_law_bound(mu) + 5 * np.sqrt(8 / 2e6)
    assert np.abs(density - 1).max() > 0.25 * phase_law_bound(mu)  # the bound is not loose by 4x


SQUARED = """
import sympy as sp
from catapultlab.theory import WIDTH, ModelSpec, dot


def squared():
    y = sp.Symbol("y", real=True)
    return ModelSpec("sq", ("u", "v"), ((dot("u", "v") / sp.sqrt(WIDTH)) ** 2,), (y,))
"""


def test_fixed_eta_sweeps_and_the_random_lam0_warning(capsys, tmp_path):
    import json

    from catapultlab._cli import main

    setup = make_setup("uv", y=0.0)
    tasks = chunk_tasks(setup, c=1.7, n=100, ensemble=50, steps=100, seed=0, grid="eta")
    out = run_chunk(tasks[0])
    assert np.all(out.eta == 1.7) and np.std(out.lam0) > 0
    args = ["sweep", "uv", "--y", "0", "--n", "1000", "--eta", "1,2.1", "--ensemble", "64"]
    assert main([*args, "--steps", "300", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["grid"] == "eta" and "warning" not in captured.err
    # (u.v / sqrt(n))^2: lam0 = 4 (u.v)^2 (|u|^2 + |v|^2) / n^3 stays random as n grows
    spec = tmp_path / "sq.py"
    spec.write_text(SQUARED)
    sq = ["sweep", "--spec", f"{spec}:squared", "--y", "0", "--n", "1000", "--ensemble", "64"]
    assert main([*sq, "--c", "1,2", "--steps", "100"]) == 0
    assert "stays random" in capsys.readouterr().err
    assert main([*sq, "--eta", "0.5,1", "--steps", "100"]) == 0
    assert "stays random" not in capsys.readouterr().err
