import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from catapultlab import CatapultError
from catapultlab.phases import Phase, StopRule
from catapultlab.sim import (
    SweepConfig,
    initial_state,
    make_setup,
    parse_c_range,
    run_ensemble,
    run_pure,
    run_sweep,
    sample_gram,
)


@pytest.fixture(scope="module")
def uv():
    return make_setup("uv", y=1.0)


def test_wishart_init_matches_direct_sampling(uv):
    n, size = 50, 4000
    rng = np.random.default_rng(0)
    init = initial_state(uv, n, size, rng)
    U = rng.standard_normal((size, n))
    V = rng.standard_normal((size, n))
    f_direct = (U * V).sum(1) / np.sqrt(n)
    lam_direct = ((U**2).sum(1) + (V**2).sum(1)) / n
    assert stats.ks_2samp(init.state[0], f_direct).pvalue > 1e-3
    assert stats.ks_2samp(init.state[1], lam_direct).pvalue > 1e-3
    G = sample_gram(3, 2, 3000, rng)  # n < p path: rank-deficient Gram
    assert np.allclose(np.linalg.det(G), 0, atol=1e-8)


def test_huge_width_costs_nothing(uv):
    init = initial_state(uv, 10**12, 1000, np.random.default_rng(1))
    assert np.all(np.abs(init.state[1] - 2) < 1e-4)


def test_explicit_state_and_unreachable(uv):
    init = initial_state(uv, 100, 3, f0=1.0, lam0=2.0)
    assert init.state.shape == (2, 3)
    with pytest.raises(CatapultError, match="unreachable"):
        initial_state(uv, 100, 3, f0=11.0, lam0=2.0)


def test_chunk_and_backend_invariance(uv):
    kw = dict(c=3.8, n=64, ensemble=2500, steps=400, seed=5)
    a = run_ensemble(uv, chunk=10**6, **kw)
    b = run_ensemble(uv, chunk=1, **kw)
    for name in ("phase", "steps", "t_peak", "peak_loss", "eta_lam_final"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    c = run_ensemble(uv, backend="numpy", **kw)
    np.testing.assert_array_equal(a.phase, c.phase)


def test_dask_backend_identical(uv):
    from catapultlab.sim._dask import dask_client, dask_runner

    cfg = SweepConfig(
        setup=uv, c=(2.5, 3.9, 4.1), n=(16, 64), ensemble=1500, steps=300, bootstrap=20
    )
    local = run_sweep(cfg)
    with dask_client(workers=2) as client:
        remote = run_sweep(cfg, runner=dask_runner(client), chunk=1024)
    import xarray as xr

    xr.testing.assert_identical(local, remote)


def test_threaded_runner_equals_one_chunk_at_a_time(uv):
    """The default runner (chunks on several threads, one Numba thread each) changes nothing."""
    import xarray as xr

    from catapultlab.sim import local_runner
    from catapultlab.sim._kernel import concurrent_calls_safe

    cfg = SweepConfig(
        setup=uv, c=(2.5, 3.9, 4.1), n=(16, 64), ensemble=6000, steps=300, bootstrap=20
    )
    threaded = run_sweep(cfg, chunk=1024)  # 6 chunks per cell, several in flight at once
    if not concurrent_calls_safe():
        pytest.skip("Numba's threading layer here (workqueue) runs one chunk at a time")
    serial = run_sweep(cfg, chunk=1024, runner=local_runner)
    xr.testing.assert_identical(threaded, serial)


def test_phase_fractions_monotone_and_boundaries(uv):
    cfg = SweepConfig(
        setup=uv,
        c=parse_c_range("0.5:4.5:0.25"),
        n=(16, 256),
        ensemble=1024,
        steps=1000,
        bootstrap=50,
    )
    ds = run_sweep(cfg)
    p_div = ds["p_divergent"].values
    assert np.all(np.diff(p_div, axis=0) >= 0)
    assert np.all(ds["p_lazy"].values[ds["c"].values < 1.9] == 1)
    cdiv = ds["c_divergent"].values
    assert np.all((cdiv > 3.3) & (cdiv < 4.3))
    ccat = ds["c_loss_rises"].values
    assert np.all(np.abs(ccat - 2) < 0.3)
    lo, hi = ds["c_divergent_lo"].values, ds["c_divergent_hi"].values
    assert np.all(lo <= cdiv + 1e-12) and np.all(cdiv <= hi + 1e-12)


def test_boundary_outside_grid_is_null_with_a_flag(uv):
    from catapultlab.sim import sweep_to_json
    from catapultlab.stats import boundary

    # y = 1: every loss rises already at c = 3 (c_catapult below the grid); nothing
    # diverges up to c = 3.5 (c_divergent above it)
    cfg = SweepConfig(setup=uv, c=(3.0, 3.25, 3.5), n=(256,), ensemble=256, steps=500)
    ds = run_sweep(cfg)
    assert ds["p_rise"].values[0, 0] >= 0.5
    assert np.isnan(ds["c_loss_rises"].values[0])
    assert ds["c_loss_rises_below_grid"].values[0] == 1
    assert ds["c_loss_rises_above_grid"].values[0] == 0
    assert np.isnan(ds["c_divergent"].values[0])
    assert ds["c_divergent_above_grid"].values[0] == 1
    assert ds["c_divergent_below_grid"].values[0] == 0
    b = sweep_to_json(ds)["boundaries"][0]
    assert b["c_loss_rises"] is None and b["c_loss_rises_lo"] is None
    assert b["c_loss_rises_below_grid"] is True and b["c_loss_rises_above_grid"] is False
    assert {k: v for k, v in b.items() if k.startswith("c_catapult")} == {
        k.replace("c_loss_rises", "c_catapult"): v for k, v in b.items() if "c_loss_rises" in k
    }  # the deprecated alias, for one release
    assert np.array_equal(ds["c_catapult_below_grid"].values, ds["c_loss_rises_below_grid"].values)
    assert b["c_divergent"] is None and b["c_divergent_above_grid"] is True
    # directly: half already at the first grid point -> below; bracketed -> a value
    c = np.array([1.0, 2.0, 3.0])
    hits = np.zeros((3, 10), dtype=bool)
    hits[0, :5] = hits[1:, :] = True
    below = boundary(c, hits, resamples=50)
    assert np.isnan(below.estimate) and below.below_grid and not below.above_grid
    hits[0, :] = False
    hits[1, 5:] = False
    inside = boundary(c, hits, resamples=50)
    assert inside.estimate == 2.0 and not (inside.below_grid or inside.above_grid)
    assert inside.low <= 2.0 <= inside.high and inside.se > 0


def test_sweep_resume(uv, tmp_path):
    from catapultlab.sim._sweep import parts_dir_for

    cfg = SweepConfig(setup=uv, c=(1.0, 3.0), n=(16,), ensemble=2048, steps=200, bootstrap=10)
    out = tmp_path / "s.nc"
    parts = parts_dir_for(out, cfg)
    full = run_sweep(cfg, parts_dir=parts, chunk=1024)
    files = sorted(parts.glob("c*_n*.part"))
    assert len(files) == 4
    files[0].unlink()
    (parts / "reduced.part").unlink()  # else the finished reduction is reused as is
    calls = []

    def runner(tasks):
        from catapultlab.sim import local_runner

        calls.append(len(tasks))
        yield from local_runner(tasks)

    again = run_sweep(cfg, parts_dir=parts, chunk=1024, runner=runner)
    assert calls == [1]
    import xarray as xr

    xr.testing.assert_identical(full, again)


@settings(max_examples=40, deadline=None)
@given(
    g=st.floats(-0.99, 0.99),
    lam=st.floats(0.1, 10.0),
    c=st.floats(0.1, 4.5),
    y=st.floats(-2.0, 2.0),
    logn=st.integers(0, 6),
)
def test_reachable_invariant_preserved(g, lam, c, y, logn):
    n = 10.0**logn
    setup = make_setup("uv", y=y)
    f0 = g * np.sqrt(n) * lam / 2
    state = np.array([[f0], [lam]])
    rec = run_pure(
        setup.numeric,
        state,
        np.array([c / lam]),
        setup.shared(n),
        n=n,
        stop=StopRule(),
        max_steps=60,
        record=True,
    )
    f, la = rec.states[:, 0, 0], rec.states[:, 1, 0]
    ok = np.isfinite(f) & np.isfinite(la) & (rec.losses[:, 0] <= StopRule().diverge_loss(n))
    assert np.all(np.abs(f[ok]) <= np.sqrt(n) * la[ok] / 2 * (1 + 1e-9) + 1e-9)


def test_phase_codes_match_shared_definitions():
    """The kernel writes codes 0-3 branch-free; the late-time outcomes follow them."""
    from catapultlab.phases import PHASE_NAMES, phase_code_source

    assert [p.name.lower() for p in sorted(Phase)] == list(PHASE_NAMES)
    code = phase_code_source("dv", "cv", "rs")
    for dv, cv, rs, expected in [
        (1, 0, 0, "divergent"),
        (0, 1, 1, "catapult"),
        (0, 1, 0, "lazy"),
        (0, 0, 1, "unresolved"),
    ]:
        assert PHASE_NAMES[eval(code, {"dv": dv, "cv": cv, "rs": rs})] == expected


def test_divergent_boundary_depends_on_label_only_through_y_over_sqrt_n():
    """Theory's exponent a = 1/2: at fixed y / sqrt(n) the boundary does not move with n.

    At fixed y it does: c_divergent(y=1) rises from n = 64 to n = 1024 (towards 4).
    """
    c = tuple(np.round(np.arange(3.86, 4.021, 0.01), 2))

    def c_div(y, n):
        cfg = SweepConfig(
            setup=make_setup("uv", y=y), c=c, n=(n,), ensemble=2000, steps=1000, seed=3
        )
        ds = run_sweep(cfg)
        return float(ds["c_divergent"].values[0]), float(ds["c_divergent_se"].values[0])

    a, sa = c_div(1.0, 64)  # y / sqrt(n) = 1/8
    b, sb = c_div(4.0, 1024)  # y / sqrt(n) = 1/8
    w, sw = c_div(1.0, 1024)  # y / sqrt(n) = 1/32
    assert abs(a - b) < 3 * np.hypot(sa, sb)
    assert w - a > 3 * np.hypot(sa, sw)
