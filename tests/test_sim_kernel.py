import numpy as np
import pytest

from catapultlab.phases import StopRule
from catapultlab.sim import (
    gaussian_params,
    initial_state,
    make_setup,
    run_exact,
    run_kernel,
    run_pure,
)
from catapultlab.sim._init import top_ntk
from catapultlab.sim._testing import assert_close


@pytest.fixture(scope="module")
def uv():
    return make_setup("uv", y=1.0)


@pytest.fixture(scope="module")
def full():
    return make_setup("full", y=1.0, inputs=2, samples=2)


def _batch(setup, n, size, seed=0, lo=0.5, hi=4.5):
    rng = np.random.default_rng(seed)
    init = initial_state(setup, n, size, rng)
    return init.state, rng.uniform(lo, hi, size) / init.lam0


@pytest.mark.parametrize("n", [16, 1000, 10_000])
def test_uv_map_equals_parameter_space_gd(uv, n):
    rng = np.random.default_rng(n)
    for c in (1.5, 3.0):
        W = gaussian_params(uv, n, rng)
        st = uv.numeric.state_from_gram((W @ W.T)[None], n)
        eta = c / top_ntk(uv, st, n)[0]
        ex = run_exact(uv, W, eta=eta, steps=40)
        pr = run_pure(
            uv.numeric,
            st,
            np.array([eta]),
            uv.shared(n),
            n=n,
            stop=StopRule(converge_loss=0.0),
            max_steps=40,
            record=True,
        )
        scale = np.abs(ex.states).max(axis=0)
        np.testing.assert_allclose(ex.states / scale, pr.states[:, :, 0] / scale, atol=1e-9)


def test_full_map_equals_parameter_space_gd(full):
    n = 2000
    rng = np.random.default_rng(3)
    W = gaussian_params(full, n, rng)
    st = full.numeric.state_from_gram((W @ W.T)[None], n)
    eta = 3.0 / top_ntk(full, st, n)[0]
    ex = run_exact(full, W, eta=eta, steps=40)
    pr = run_pure(
        full.numeric,
        st,
        np.array([eta]),
        full.shared(n),
        n=n,
        stop=StopRule(converge_loss=0.0),
        max_steps=40,
        record=True,
    )
    scale = np.abs(ex.states).max()
    np.testing.assert_allclose(ex.states / scale, pr.states[:, :, 0] / scale, atol=1e-10)


def _compare(setup, n, dtype, size=3000, steps=400):
    state, eta = _batch(setup, n, size)
    stop = StopRule()
    kw = dict(
        converge_loss=stop.converge_loss,
        diverge_loss=stop.diverge_loss(n),
        rise_tol=0.0,
        max_steps=steps,
        dtype=dtype,
    )
    k = run_kernel(setup.numeric, state, eta, setup.shared(n), **kw)
    p = run_pure(
        setup.numeric, state, eta, setup.shared(n), n=n, stop=stop, max_steps=steps, dtype=dtype
    ).run
    agree = k.phase == p.phase
    assert agree.mean() > (0.999 if dtype == "float64" else 0.99)
    finite = agree & (k.phase != 2)
    same = finite & (k.steps == p.steps)
    assert same.sum() >= 0.95 * finite.sum()
    assert_close(k.state[:, same], p.state[:, same], dtype)
    assert_close(k.peak[same], p.peak[same], dtype)
    np.testing.assert_array_equal(k.t_peak[same], p.t_peak[same])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_uv_kernel_equals_pure_path(uv, dtype):
    _compare(uv, 256, dtype)


def test_full_kernel_equals_pure_path(full):
    _compare(full, 256, "float64", size=600, steps=300)


def test_kernel_independent_of_lanes_and_blocks(uv):
    import numba

    state, eta = _batch(uv, 64, 5000, seed=1)
    stop = StopRule()
    kw = dict(
        converge_loss=stop.converge_loss,
        diverge_loss=stop.diverge_loss(64),
        rise_tol=0.0,
        max_steps=300,
    )
    ref = run_kernel(uv.numeric, state, eta, uv.shared(64), **kw)
    old = numba.get_num_threads()
    try:
        for lanes, block, threads in [(8, 8, 1), (64, 999, 2), (256, 5000, 1), (37, 100, 2)]:
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            got = run_kernel(
                uv.numeric, state, eta, uv.shared(64), lanes=lanes, block_size=block, **kw
            )
            for name in ("state", "peak", "t_peak", "steps", "phase"):
                np.testing.assert_array_equal(getattr(got, name), getattr(ref, name))
    finally:
        numba.set_num_threads(old)


def test_unstable_near_fixed_point_is_not_converged() -> None:
    """A tiny loss at eta*lam = 3.9 is not convergence: the residual multiplier is -2.9.

    Kernel and pure path agree: the run leaves f = y, catapults, and ends with eta*lam < 2.
    """
    from catapultlab.phases import StopRule
    from catapultlab.sim import run_kernel, run_pure
    from catapultlab.theory import uv_model

    model = uv_model().numeric()
    n, y = 1000.0, 0.0
    state0 = np.array([[y + 1e-6, y + 1e-6], [1.0, 1.0]])
    eta = np.array([3.9, 1.5])  # unstable, stable
    stop = StopRule()
    kw = dict(
        converge_loss=stop.converge_loss,
        diverge_loss=stop.diverge_loss(n),
        rise_tol=stop.rise_tol,
        max_steps=2000,
    )
    k = run_kernel(model, state0, eta, np.array([n, y]), **kw)
    p = run_pure(model, state0, eta, np.array([n, y]), n=n, stop=stop, max_steps=2000).run
    np.testing.assert_array_equal(k.phase, p.phase)
    np.testing.assert_array_equal(k.steps, p.steps)
    assert k.steps[1] == 0 and k.phase[1] == 0  # stable: converged (lazy) at once
    assert k.steps[0] > 0 and k.phase[0] == 1  # unstable: leaves, rises, converges
    assert eta[0] * k.state[1, 0] < 2.0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bare_map_equals_the_kernel_without_stopping(uv, dtype):
    """``run_map`` (the bench ceiling) computes the kernel's very arithmetic, bit for bit."""
    from catapultlab.sim import run_map

    state, eta = _batch(uv, 100, 700, seed=3)
    eta = 0.2 / state[1]  # c = 0.2: slow convergence, every number stays normal
    k = run_kernel(
        uv.numeric,
        state,
        eta,
        uv.shared(100),
        converge_loss=-1.0,
        diverge_loss=np.inf,
        rise_tol=0.0,
        max_steps=37,
        dtype=dtype,
    )
    assert (k.steps == 37).all()
    bare = run_map(uv.numeric, state, eta, uv.shared(100), steps=37, dtype=dtype, lanes=64)
    np.testing.assert_array_equal(bare, k.state)


def test_kernel_tag_follows_the_generator_source(monkeypatch):
    """An edit to the code generator (not only a version bump) names a new kernel file."""
    import catapultlab.sim._kernel as kernel
    from catapultlab.theory import uv_model

    numeric = uv_model().numeric()
    before = kernel.kernel_tag(numeric, "float64")
    monkeypatch.setattr(kernel, "_generator_hash", lambda: "edited-template")
    after = kernel.kernel_tag(numeric, "float64")
    assert before != after
    assert kernel.kernel_tag(numeric, "float32") not in (before, after)
