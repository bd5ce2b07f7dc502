"""Boundary sets: loss-rise intervals, the infinite-width divergence set, c_div(y~), drift.

References: the explicit heavy-ball recursion on a quadratic (loss-rise intervals), the
closed-form edge c = 4 of uv, Monte-Carlo ``--n inf`` ensembles and finite-width sweeps
with the label on the nonlinear scale (the sets), finite differences of the printed map
(the small-eta sharpness drift).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from catapultlab._cli import main
from catapultlab.phases import Phase
from catapultlab.sim import chunk_tasks, divergence_set, divergence_vs_label, make_setup, run_chunk
from catapultlab.theory import (
    ETA,
    builtin_model,
    loss_rise_intervals,
    sharpness_drift,
    step_from_flags,
    uv_model,
)


def _heavy_ball_rises(c: float, beta: float, steps: int = 3000) -> bool:
    """Does |x_t| exceed |x_0| for heavy ball on x^2/2 (curvature 1, step c)?"""
    prev, x = 1.0, 1.0
    for _ in range(steps):
        prev, x = x, x - c * x + beta * (x - prev)
        if abs(x) > 1.0 + 1e-13:
            return True
    return False


def test_heavy_ball_loss_rises_on_two_intervals():
    step, _ = step_from_flags(0.9, False, None)
    got = loss_rise_intervals(builtin_model("uv", step).edge_functions, beta=0.9)
    assert len(got) == 2 and got[1][1] is None
    (a, b), (d, _) = got
    for end in (a, b, d):  # each end is a switch of the explicit recursion
        assert _heavy_ball_rises(end + 1e-6, 0.9) != _heavy_ball_rises(end - 1e-6, 0.9)
    for c in np.linspace(0.05, 3.79, 75):
        inside = any(lo < c and (hi is None or c < hi) for lo, hi in got)
        assert inside == _heavy_ball_rises(c, 0.9), c


def test_divergence_set_agrees_with_the_closed_form():
    div = divergence_set(make_setup("uv", y=0.0), c_max=6.0, dc=0.02, phases=8)
    assert abs(div["first_divergent"] - 4.0) <= div["resolution"] + 1e-12
    assert [r["p_divergent"] for r in div["intervals"]] == ["0", "1"]


def _p_divergent(setup, c, n, ensemble):
    tasks = chunk_tasks(setup, c=c, n=n, ensemble=ensemble, steps=3000, seed=5)
    return float(np.mean(np.concatenate([run_chunk(t).phase for t in tasks]) == Phase.DIVERGENT))


def test_momentum_divergence_set_matches_the_sampled_law():
    step, hyper = step_from_flags(0.5, False, None)
    setup = make_setup("uv", y=0.0, step=step, hyper=hyper)
    div = divergence_set(setup, c_max=5.0, dc=0.05, phases=32)
    kinds = [r["p_divergent"] for r in div["intervals"]]
    assert kinds[0] == "0" and "between" in kinds and kinds[-1] == "1"
    for row in div["intervals"]:
        lo, hi = row["c"]
        if row["p_divergent"] != "between" or hi is None or hi - lo < 0.1:
            continue
        c = round((lo + hi) / 2 / 0.05) * 0.05
        p = _p_divergent(setup, c, np.inf, 4000)
        se = np.sqrt(max(p * (1 - p), 1e-4) / 4000)
        # quadrature over 32 phases x 2 signs against Monte Carlo over the same law
        assert row["p_range"][0] - 1 / 64 - 4 * se <= p <= row["p_range"][1] + 1 / 64 + 4 * se


def test_label_on_the_nonlinear_scale_moves_the_edge_as_finite_width_sweeps_do():
    (row,) = divergence_vs_label(make_setup("uv", y=0.0), (1.0,), c_max=4.0, dc=0.01)
    setup = make_setup("uv", y=1.0, labels_scaled=True)
    for n in (10**4, 10**6):
        below = _p_divergent(setup, row["c_divergent"] - 0.06, n, 1000)
        above = _p_divergent(setup, row["c_divergent"] + 0.06, n, 1000)
        assert below < 0.5 < above, (n, below, above)


@pytest.mark.parametrize(
    "flags", [(None, False, None), (0.5, False, None), (0.5, True, None), (None, False, 0.1)]
)
def test_sharpness_drift_against_finite_differences(flags):
    step, hyper = step_from_flags(*flags)
    model = builtin_model("uv", step) if flags != (None, False, None) else uv_model()
    drift = sharpness_drift(model)
    rng = np.random.default_rng(0)
    values = {s: rng.uniform(0.3, 1.2) for s in model.state}
    given = (0.0, 7.0, *dict(hyper).values(), 0.4)  # eta, n, step-rule values, y
    values |= dict(zip(model.params, given, strict=True))
    h = 1e-6
    ntk_after = model.ntk.xreplace(
        {s: model.maps[s].xreplace({**values, ETA: h}) for s in model.state}
    ).xreplace(values)
    measured = float((ntk_after[0, 0] - model.ntk[0, 0].xreplace(values)) / h)
    f = sp.Symbol("f", real=True)
    at = dict(values)
    if f not in at:
        at[f] = model.outputs[0].xreplace(values)
    predicted = float(drift.factored.xreplace(at))
    assert measured == pytest.approx(predicted, rel=1e-4, abs=1e-9)


def test_derive_never_says_none_for_a_closed_model(capsys):
    assert main(["derive", "uv", "--momentum", "0.5", "--format", "json", "--c-max", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    edges = doc["edges"]
    assert edges["c"]["catapult_divergent"] == edges["divergence"]["first_divergent"]
    assert edges["methods"]["catapult_divergent"].startswith("infinite-width law")
    assert doc["validity"]["lazy_catapult"].endswith("n -> oo with y / n^(1/2) -> 0")
