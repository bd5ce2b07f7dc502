"""Late-time dynamics: attractors, periodic orbits, period-doubling onsets, closed forms.

References: the exact 2-cycle and onsets the theory derives (checked at 50 digits against
the map), Feigenbaum's universal constant for the ratio of successive onsets, and
finite-difference Jacobians of the iterated map for the multipliers.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from catapultlab._cli import main
from catapultlab.sim import (
    bifurcation,
    late_attractors,
    make_setup,
    multipliers,
    newton_orbit,
    period_onsets,
)
from catapultlab.sim._onsets import orbit_points
from catapultlab.theory import ETA_HAT, scalar_dynamics, uv_model

FEIGENBAUM_DELTA = 4.669201609102990  # the universal constant of period doubling
START = np.array([0.01, 0.3])  # a small init (f0, lam0): progressive sharpening to the edge


@pytest.fixture(scope="module")
def uv():
    return make_setup("uv", y=1.0)


@pytest.fixture(scope="module")
def exact():
    return scalar_dynamics(uv_model())


def test_closed_forms_of_the_uv_map(exact) -> None:
    assert exact.period_two == 1 and sp.simplify(exact.period_four - (sp.sqrt(5) - 1)) == 0
    assert exact.neutral == 1  # the line of minima f = y
    (cycle,) = [c for c in exact.cycles if c.attractor]
    # the cycle maps onto itself under the normalised map, at 50 digits, at several eta_hat
    for k in (sp.Rational(11, 10), sp.Rational(6, 5)):
        points = [
            (1 + s / ETA_HAT, e / ETA_HAT)
            for s, e in zip(cycle.residual, cycle.eta_lam, strict=True)
        ]
        for (p1, l1), (p2, l2) in zip(points, points[::-1], strict=True):
            image = [
                m.subs({sp.Symbol("phi", real=True): p1, sp.Symbol("ell", real=True): l1})
                for m in exact.maps.values()
            ]
            assert abs(sp.N((image[0] - p2).subs(ETA_HAT, k), 50)) < 1e-40
            assert abs(sp.N((image[1] - l2).subs(ETA_HAT, k), 50)) < 1e-40


@pytest.mark.parametrize("eta_hat", [0.8, 1.1, 1.2, 1.25])
def test_late_attractors_match_the_exact_cycle(uv, exact, eta_hat) -> None:
    (a,) = late_attractors(uv, np.array([eta_hat]), n=1.0, state0=START)
    (cycle,) = [c for c in exact.cycles if c.attractor]
    if eta_hat < exact.period_two:
        assert a.period == 1 and a.eta_lam[0] < 2.0  # a fixed point below the edge
    elif eta_hat < float(exact.period_four):
        expected = sorted(float(e.subs(ETA_HAT, eta_hat)) for e in cycle.eta_lam)
        assert a.period == 2
        np.testing.assert_allclose(a.eta_lam, expected, rtol=1e-9)
    else:
        assert a.period == 4
    assert a.lyapunov < 1e-3


def test_newton_orbit_and_multipliers(uv) -> None:
    (a,) = late_attractors(uv, np.array([1.1]), n=1.0, state0=START)
    x = newton_orbit(uv, np.array(a.state) + 1e-3, 1.1, 1.0, 2)
    np.testing.assert_allclose(orbit_points(uv, x, 1.1, 1.0, 3)[-1], x, rtol=1e-12)

    def twice(z):
        return orbit_points(uv, z, 1.1, 1.0, 3)[-1]

    h = 1e-6
    fd = np.column_stack([(twice(x + h * e) - twice(x - h * e)) / (2 * h) for e in np.eye(2)])
    np.testing.assert_allclose(
        np.sort(multipliers(uv, x, 1.1, 1.0, 2).real),
        np.sort(np.linalg.eigvals(fd).real),
        atol=1e-6,
    )


def test_onsets_match_the_closed_form_and_feigenbaum(uv, exact) -> None:
    (a,) = late_attractors(uv, np.array([1.1]), n=1.0, state0=START)
    onsets = period_onsets(
        uv, np.array(a.state), eta=1.1, eta_max=1.31, n=1.0, period=2, max_period=64
    )
    assert [o.period for o in onsets] == [4, 8, 16, 32, 64]
    assert abs(onsets[0].eta - float(exact.period_four)) < 1e-10
    e = [o.eta for o in onsets]
    deltas = [(e[i] - e[i - 1]) / (e[i + 1] - e[i]) for i in range(1, len(e) - 1)]
    assert abs(deltas[-1] - FEIGENBAUM_DELTA) < 2e-3 * FEIGENBAUM_DELTA
    assert abs(deltas[-1] - FEIGENBAUM_DELTA) < abs(deltas[0] - FEIGENBAUM_DELTA)


def test_bifurcation_scan_finds_period_two_at_the_flattest_minimum(uv, exact) -> None:
    res = bifurcation(
        uv, np.arange(0.8, 1.3, 0.01), n=1.0, state0=START, transient=5000, max_period=4
    )
    two, four = res.onsets[:2]
    # extrapolated from the fixed points a 5000-step transient reaches on a 0.01 grid: each
    # sits a little off the flattest minimum, so the estimate is good to about 1e-5
    assert two.period == 2 and abs(two.eta - float(exact.period_two)) < 1e-5
    assert two.neutral == 1 and four.period == 4


def test_bifurcation_cli_json_and_one_line_refusals(capsys, tmp_path) -> None:
    fig = tmp_path / "b.png"
    args = ["bifurcation", "uv", "--y", "1", "--n", "4", "--eta", "1.8:2.6:0.05"]
    assert main([*args, "--f0", "0.01", "--lam0", "0.3", "--json", "--figure", str(fig)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [o["period"] for o in doc["onsets"]][:2] == [2, 4]
    assert abs(doc["onsets"][1]["eta"] - doc["closed_forms"]["period_4"]["eta"]) < 1e-9
    assert fig.stat().st_size > 0
    for bad, needle in [
        (["--eta", "50:60:5"], "no attractor on this eta grid"),
        (["--eta", "1:2:0.5", "--f0", "0.1"], "both --f0 and --lam0"),
        (["--eta", "1:2:0.5", "--max-period", "12"], "power of two"),
        (["--eta", "2:1:0.5"], "--eta"),
    ]:
        assert main(["bifurcation", "uv", "--y", "1", "--n", "4", *bad]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err


def test_warmup_in_the_attractor_scan_follows_the_schedule():
    from catapultlab.phases import StopRule
    from catapultlab.sim import run_pure
    from catapultlab.sim._orbits import iterate_orbits
    from catapultlab.theory import Schedule

    schedule = Schedule("warmup", 50)
    setup = make_setup("uv", y=1.0, schedule=schedule)
    eta = np.array([1.1, 1.25])
    state, dead = iterate_orbits(setup, START, eta, 1.0, 80, 1e12)
    rec = run_pure(
        setup.numeric,
        np.repeat(START[:, None], 2, axis=1),
        eta,
        setup.shared(1.0),
        n=1.0,
        stop=StopRule(converge_loss=0.0),
        max_steps=80,
        record=True,
        schedule=schedule,
    )
    np.testing.assert_allclose(state, rec.states[80], rtol=1e-12)
    assert not dead.any()
    # a warmup that converges at small rates can park the run on a minimum too sharp for
    # the target rate (the residual rounds to 0): that orbit is reported as unstable
    found = late_attractors(setup, np.array([1.0]), n=1.0, state0=START, transient=2000)
    assert found[0].period == 1 and found[0].stable is False


def test_bifurcation_refuses_a_warmup_longer_than_the_transient(capsys):
    args = ["bifurcation", "uv", "--eta", "1:2:0.5", "--f0", "0.01", "--lam0", "0.3"]
    assert main([*args, "--transient", "100", "--warmup", "500"]) == 2
    assert "longer than --transient 100" in capsys.readouterr().err


def test_scalar_dynamics_of_a_sum_of_inner_products_has_no_reach_bound() -> None:
    """f = (u.v + v.w)/sqrt(2n): the PSD bound is derived only for one inner product; the
    rest (normalised map, multipliers, neutral direction) still is."""
    from pathlib import Path

    from catapultlab.theory import derive, load_spec

    d = scalar_dynamics(derive(load_spec(f"{Path(__file__).parent}/golden/spec_uvw.py:uvw")))
    assert d is not None and d.reachable is None and d.period_two is None
    assert d.neutral == 1 and len(d.multipliers) == 2


def test_scalar_dynamics_come_back_from_the_disk_cache(monkeypatch, tmp_path):
    """Solved once per model content and code version, then read back from disk; a fresh
    solution is returned as stored, so printed forms never depend on the cache."""
    import uuid
    from types import SimpleNamespace

    import sympy as sp

    from catapultlab.cache import cache_folder
    from catapultlab.theory import _cycles

    x = sp.Symbol("x")
    factored = sp.Mul(9, x - 5, evaluate=False)  # SymPy rebuilds it as 9*x - 45
    solved = []
    monkeypatch.setattr(_cycles, "_solve_dynamics", lambda m: solved.append(m) or (factored,))
    model = SimpleNamespace(key=f"test-{uuid.uuid4().hex}")
    from catapultlab.cache import cache_root

    monkeypatch.setenv("CATAPULTLAB_CACHE_DIR", str(tmp_path))
    cache_root.cache_clear()  # the root is resolved once per process
    monkeypatch.setattr(_cycles, "_DYNAMICS", {})
    monkeypatch.setenv("CATAPULTLAB_NO_MODEL_CACHE", "1")
    fresh = _cycles._cached_dynamics(model)
    monkeypatch.delenv("CATAPULTLAB_NO_MODEL_CACHE")
    first = _cycles._cached_dynamics(model)
    _cycles._DYNAMICS.clear()  # this test's own dict (monkeypatched above)
    again = _cycles._cached_dynamics(model)
    assert len(solved) == 2  # the uncached call and the first cached one; then the disk
    assert str(fresh[0]) == str(first[0]) == str(again[0]) == "9*x - 45"
    try:
        assert len(list(cache_folder("dynamics").glob("*.pkl"))) == 1
        assert cache_folder("dynamics").parent == tmp_path
    finally:
        monkeypatch.undo()
        cache_root.cache_clear()
