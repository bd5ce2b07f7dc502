"""The block maps' n = inf law (issue 22): growth, kernel regime, entry, width limit, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from scipy import stats

from catapultlab import CatapultError
from catapultlab.batches import BatchRule
from catapultlab.phases import StopRule
from catapultlab.sim import (
    ENTRY_AMPLITUDE,
    block_center,
    block_edges,
    block_fluctuation,
    kernel_losses,
    limit_entry,
    run_block,
)
from catapultlab.theory import BLOCK_DATA, DIM_IN, OUTPUTS, WIDTH_N, BlockSpec, full_block_map


@pytest.fixture(scope="module")
def numeric():
    return full_block_map().numeric()


def _data(m: int, d: int, k: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, d)), rng.standard_normal((m, k))


def _flat(numeric, blocks):
    return np.concatenate([np.ravel(blocks[name]) for name, _ in numeric.blocks])


@pytest.mark.parametrize("d", [3, 14])  # 14: past the dense Jacobian, the walk decides
@pytest.mark.parametrize("c", [1.5, 2.5, 3.5])
def test_gd_growth_is_the_dominant_multiplier(numeric, d, c):
    """Under GD the linear phase grows by |1 - c| per step past c = 2, and not below it."""
    X, Y = _data(10, d, 2)
    r = run_block(numeric, X, Y, n=np.inf, c=c, steps=40, lam_every=0)
    expected = np.log(abs(1 - c))
    if c < 2:
        assert r.growth <= 1e-8 and not r.rose and r.rescaled_losses is None
        assert r.eta * r.lam[-1] == pytest.approx(c)  # the NTK stays frozen at n = inf
    else:
        assert r.growth == pytest.approx(expected, abs=1e-6) and r.rose  # forward differences


def test_kernel_regime_is_linearised_training_with_the_frozen_ntk(numeric):
    """kernel_losses against f' = f - eta (m/B) Theta[:, b] (f_b - y_b), Theta at the center."""
    m, d, k, B = 12, 4, 2, 4
    X, Y = _data(m, d, k)
    center = block_center(numeric, d, k)
    z_blocks = block_fluctuation(numeric, d, k, np.random.default_rng(3))
    theta = numeric.ntk(center, X, 1.0)  # sample-major over the m k outputs
    eta, rule = 1.7 / np.linalg.eigvalsh(theta)[-1], BatchRule(B, "shuffle")
    f = np.asarray(numeric.output(z_blocks, X, 1.0)).reshape(-1)  # the output is linear in z
    y, expected = Y.reshape(-1), []
    for t in range(31):
        expected.append(np.sum((f - y) ** 2) / (2 * m))
        rows = np.concatenate(
            [np.arange(i * k, (i + 1) * k) for i in rule.indices(m, seed=5, step=t)]
        )
        f = f - eta * (m / B) * theta[:, rows] @ (f[rows] - y[rows])
    got = kernel_losses(numeric, (X, Y), _flat(numeric, z_blocks), eta=eta, batch=rule, seed=5,
                        steps=30, hyper={})  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=1e-8)


def test_gd_entry_phase_is_uniform_in_log_amplitude(numeric):
    """The entry sits at A |mu|^phi with phi ~ U[0, 1) (the level uniform over log n)."""
    X, _ = _data(8, 3, 1)
    center, c = block_center(numeric, 3, 1), 3.0
    lam0 = np.linalg.eigvalsh(numeric.ntk(center, X, 1.0))[-1]
    phis = []
    for s in range(200):
        rng = np.random.default_rng(s)
        z = _flat(numeric, block_fluctuation(numeric, 3, 1, rng))
        e = limit_entry(numeric, X, center, z, eta=c / lam0, batch=None, seed=s, rng=rng,
                        hyper={})  # fmt: skip
        size = np.linalg.norm(_flat(numeric, e.state) - _flat(numeric, center))
        phis.append(np.log(size / ENTRY_AMPLITUDE) / np.log(abs(1 - c)))
    assert stats.kstest(phis, "uniform").pvalue > 1e-3


def _overlap(a, b):
    return a.low <= b.high and b.low <= a.high


@pytest.mark.parametrize(
    "batch", [None, pytest.param(BatchRule(8, "shuffle"), marks=pytest.mark.slow)]
)
def test_limit_law_is_the_large_width_limit(numeric, batch):
    """The n = inf law's c_loss and c_max against the same model at n = 1e8 (95% CIs meet)."""
    X, Y = _data(24, 6, 3)
    c = np.linspace(1.0, 5.0, 11) if batch is None else np.linspace(0.6, 5.0, 12)
    stop = StopRule(rise_tol=1e-3 if batch is None else 5e-2)
    kw = dict(c=c, runs=4, steps=150, batch=batch, stop=stop)
    limit = block_edges(numeric, X, Y, n=np.inf, **kw)
    wide = block_edges(numeric, X, Y, n=1e8, **kw)
    assert _overlap(limit.c_loss, wide.c_loss) and _overlap(limit.c_max, wide.c_max)
    if batch is None:  # the uv edges come back at infinite width
        assert limit.c_loss.low <= 2.0 <= limit.c_loss.high
        assert limit.c_max.low <= 4.0 <= limit.c_max.high


def test_a_block_model_without_the_rescaling_is_refused(numeric):
    """A mean-field output (1/n instead of 1/sqrt n) has no such limit: one line, no run."""
    from catapultlab.theory import block_map

    spec = BlockSpec(
        "mean_field",
        (("U", DIM_IN), ("v", OUTPUTS)),
        lambda U, v: BLOCK_DATA * U.T * v / (WIDTH_N * sp.sqrt(DIM_IN)),
    )
    X, Y = _data(6, 2, 1)
    with pytest.raises(CatapultError, match="does not commute with the rescaling"):
        run_block(block_map(spec).numeric(), X, Y, n=np.inf, c=3.0, steps=5)
    with pytest.raises(CatapultError, match="explicit init needs a finite n"):
        run_block(numeric, X, Y, n=np.inf, c=3.0, steps=5, init={})


def test_cli_runs_the_limit_law(capsys):
    from catapultlab._cli import main

    args = ["--inputs", "3", "--samples", "8", "--n", "inf", "--steps", "40"]
    assert main(["simulate", "full", "--block", "--c", "3", "--json", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    run = doc["runs"][0]
    assert doc["n"] == "inf" and run["growth"] == pytest.approx(np.log(2.0), abs=1e-6)
    assert run["loss_rose"] and run["rescaled_loss"][0] < 1e-10
    assert main(["sweep", "full", "--block", "--c", "1:5:1", "--ensemble", "2", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {b["n"] for b in doc["boundaries"]} == {"inf"}
    for cell in doc["cells"]:  # GD: the limit's growth is log|1 - c| past c = 2, none below
        expected = np.log(abs(1 - cell["c"])) if cell["c"] > 2 else 0.0
        assert cell["growth"] == pytest.approx(expected, abs=1e-6)
    lo, hi = doc["boundaries"][0]["c_grow"][1:]
    assert lo <= 2.0 <= hi


@pytest.mark.slow
def test_heavy_ball_limit_law_is_the_large_width_limit():
    """Heavy ball (beta = 0.5): growth from the linear edge 2 (1 + beta) = 3, CIs meet n = 1e8."""
    from catapultlab.theory import StepRule

    heavy = full_block_map(StepRule("momentum")).numeric()
    X, Y = _data(16, 4, 2)
    c = np.linspace(1.0, 9.0, 17)
    limit = block_edges(heavy, X, Y, n=np.inf, c=c, runs=4, steps=300, beta=0.5)
    wide = block_edges(heavy, X, Y, n=1e8, c=c, runs=4, steps=300, beta=0.5)
    assert _overlap(limit.c_loss, wide.c_loss) and _overlap(limit.c_max, wide.c_max)
    assert np.all(limit.growth[c <= 3.0] <= 1e-8) and np.all(limit.growth[c > 3.0] > 0)
