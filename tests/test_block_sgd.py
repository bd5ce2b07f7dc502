"""SGD as random compositions of per-batch block maps (issue 22, item 2).

References: parameter-space SGD on explicit matrices with the textbook gradient and the
same batches; the Wishart law of the initial blocks; the sampling rules' own invariants.
"""

from __future__ import annotations

import numpy as np
import pytest

from catapultlab import CatapultError
from catapultlab.batches import SAMPLING, BatchRule
from catapultlab.phases import loss_spikes
from catapultlab.sim import block_init, run_block, top_ntk_pairs
from catapultlab.theory import full_block_map


@pytest.mark.parametrize("sampling", SAMPLING)
def test_batches_replay_and_follow_their_rule(sampling):
    rule, m = BatchRule(8, sampling), 30
    steps = [rule.indices(m, seed=3, step=t) for t in range(12)]
    assert all(b.shape == (8,) and b.min() >= 0 and b.max() < m for b in steps)
    # counter-based: a step's batch does not depend on the draws before it
    assert np.array_equal(rule.indices(m, seed=3, step=7), steps[7])
    assert not np.array_equal(rule.indices(m, seed=4, step=7), steps[7])
    if sampling == "shuffle":  # 3 batches per epoch, disjoint within it
        for e in range(4):
            epoch = np.concatenate(steps[3 * e : 3 * e + 3])
            assert len(set(epoch.tolist())) == 24
    if sampling == "without-replacement":
        assert all(len(set(b.tolist())) == 8 for b in steps)


def test_with_replacement_repeats_at_the_birthday_rate():
    rule, m, B, T = BatchRule(16, "with-replacement"), 64, 16, 4000
    repeats = np.mean([len(set(rule.indices(m, seed=0, step=t).tolist())) < B for t in range(T)])
    expected = 1 - np.prod(1 - np.arange(B) / m)  # P(some sample drawn twice)
    assert abs(repeats - expected) < 4 * np.sqrt(expected * (1 - expected) / T)


@pytest.mark.parametrize(
    ("kw", "needle"),
    [(dict(size=0), "at least 1"), (dict(size=4, sampling="loader"), "unknown --sampling")],
)
def test_bad_batch_rules_are_one_line(kw, needle):
    with pytest.raises(CatapultError, match=needle):
        BatchRule(**kw)
    with pytest.raises(CatapultError, match="larger than the 10 training samples"):
        BatchRule(16).check(10)


def test_initial_blocks_follow_the_wishart_law():
    nb = full_block_map().numeric()
    rng = np.random.default_rng(0)
    n, d, draws = 200, 3, 3000
    states = [block_init(nb, n, d, rng) for _ in range(draws)]
    c = np.array([s["B_v_v"] for s in states])
    a01 = np.array([s["B_U_U"][0, 1] for s in states])
    b0 = np.array([s["B_U_v"][0, 0] for s in states])
    se = 4 * np.sqrt(2 * n / draws)  # Var of a diagonal entry is 2n, off-diagonal n
    assert abs(c.mean() - n) < se and abs(a01.mean()) < se and abs(b0.mean()) < se
    assert abs(c.var() / (2 * n) - 1) < 0.15 and abs(a01.var() / n - 1) < 0.15


def _parameter_sgd(P, X, Y, eta, rule, seed, steps):
    """Explicit matrices, the textbook gradient on each step's batch: full-batch losses."""
    U, v = P["U"].copy(), P["v"].copy()
    n, d = U.shape
    out = []
    for t in range(steps + 1):
        R = X @ U.T @ v / np.sqrt(n * d) - Y
        out.append(float((R**2).sum()) / (2 * X.shape[0]))
        if t == steps:
            break
        idx = np.arange(X.shape[0]) if rule is None else rule.indices(X.shape[0], seed=seed, step=t)
        Rb = R[idx]
        g = X[idx].T @ Rb / (len(idx) * np.sqrt(n * d))
        U, v = U - eta * v @ g.T, v - eta * U @ g
    return np.array(out)


@pytest.mark.parametrize("rule", [None, BatchRule(8, "shuffle"), BatchRule(5, "with-replacement")])
def test_block_sgd_equals_parameter_space_sgd(rule):
    rng = np.random.default_rng(2)
    n, d, m = 400, 6, 24
    P = {"U": rng.standard_normal((n, d)), "v": rng.standard_normal((n, 1))}
    X, Y = rng.standard_normal((m, d)), rng.standard_normal((m, 1))
    nb = full_block_map().numeric()
    run = run_block(nb, X, Y, n=n, c=2.8, steps=40, batch=rule, seed=5, init=nb.blocks_from(P))
    ref = _parameter_sgd(P, X, Y, run.eta, rule, 5, 40)
    np.testing.assert_allclose(run.losses, ref, rtol=1e-10)
    assert run.lam.shape == run.losses.shape and run.lam[0] * run.eta == pytest.approx(2.8)
    assert [(s["start"], s["peak"], s["end"]) for s in run.spikes] == loss_spikes(ref)
    for s in run.spikes:
        assert all(
            0 <= a <= b <= 1 + 1e-12
            for a, b in zip(s["top_overlap"], s["top_overlap"][1:], strict=False)
        )


def test_a_full_batch_catapult_spike_lies_in_the_top_ntk_direction():
    """GD at c = 3: one spike; what it adds to the residual lies in the NTK directions that
    are unstable at the start (eta lam_i > 2), and eta lambda after it is below 2."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((40, 10)), rng.standard_normal((40, 1))
    nb = full_block_map().numeric()
    run = run_block(nb, X, Y, n=2048, c=3.0, steps=200, seed=0)
    assert len(run.spikes) == 1 and not run.diverged and run.rose
    (spike,) = run.spikes
    init = block_init(nb, 2048, 10, np.random.default_rng([0, 0]))  # run_block's stream
    lam = top_ntk_pairs(nb, init, X, 2048, 4)[0]
    unstable = int(np.sum(run.eta * lam > 2))
    assert 1 <= unstable < 4 and spike["top_overlap"][unstable - 1] > 0.99
    assert spike["eta_lam_before"] == pytest.approx(3.0, rel=0.05)
    assert spike["eta_lam_after"] < 2.0


def test_block_edges_of_one_sample_recover_the_uv_edges():
    """d = m = k = 1 with x = 1 is the uv model: c_loss near 2 and c_max near 4 (its
    derived edges), with CIs that contain them at n = 4096."""
    from catapultlab.sim import block_edges

    nb = full_block_map().numeric()
    c = np.array([1.5, 1.75, 2.25, 2.75, 3.25, 3.75, 4.25, 4.75])
    X, Y = np.ones((1, 1)), np.zeros((1, 1))
    e = block_edges(nb, X, Y, n=4096, c=c, runs=16, steps=300, seed=0)
    assert e.c_loss.low <= 2.0 <= e.c_loss.high and e.c_max.low <= 4.0 <= e.c_max.high
    assert e.p_divergent[c < 3.9].max() == 0 and e.p_divergent[c > 4.1].min() == 1
    below = c < 2
    np.testing.assert_allclose(e.eta_lam_final[below], c[below], rtol=0.02)  # lazy: lam stays
    assert np.all(e.eta_lam_final[(c > 2.1) & (c < 3.9)] < 2.0)  # catapult: eta lam ends < 2


def test_a_block_map_too_large_for_memory_is_refused_with_the_estimate(monkeypatch):
    from catapultlab.sim._block_run import block_memory

    nb = full_block_map().numeric()
    need = block_memory(nb, 100, 50_000, 1)
    assert need > 8 * 8 * 50_000**2  # the d x d blocks dominate
    monkeypatch.setenv("CATAPULTLAB_MEMORY_LIMIT", str(2**30))
    X, Y = np.zeros((100, 50_000)), np.zeros((100, 1))
    with pytest.raises(CatapultError, match=r"d = 50000, m = 100, k = 1 needs about .* GiB"):
        run_block(nb, X, Y, n=1000, c=1.0, steps=1)


def test_a_block_sweep_writes_netcdf_and_a_figure(tmp_path, capsys):
    import json

    import xarray as xr

    from catapultlab._cli import main

    out, fig = tmp_path / "b.nc", tmp_path / "b.svg"
    args = ["sweep", "full", "--block", "--batch", "full,4", "--inputs", "3", "--samples",
            "12", "--n", "64", "--c", "1:4:1", "--steps", "60", "--ensemble", "3",
            "--out", str(out), "--figure", str(fig)]  # fmt: skip
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    with xr.open_dataset(out, engine="scipy") as ds:
        assert dict(ds.sizes) == {"n": 1, "batch": 2, "c": 4}
        assert ds["batch"].values.tolist() == [12, 4]  # full batch is all m samples
        assert json.loads(ds.attrs["batch_labels"]) == ["full", "B=4,shuffle"]
        for cell in doc["cells"]:
            i = ["full", "B=4,shuffle"].index(cell["batch"])
            got = float(ds["p_rise"].sel(c=cell["c"]).values[0, i])
            assert got == cell["p_rise"]
        for b in doc["boundaries"]:
            i = ["full", "B=4,shuffle"].index(b["batch"])
            est = b["c_max"][0]
            assert (est is None and np.isnan(ds["c_max"].values[0, i])) or (
                ds["c_max"].values[0, i] == est
            )
    assert b"<svg" in fig.read_bytes()[:2000]
