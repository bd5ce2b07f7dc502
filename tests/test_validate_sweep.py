"""ReLU MLP on digits: the CPU sweep sees lazy, catapult and divergent runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from catapultlab.validate import (
    SweepConfig,
    comparison_table,
    run_sweep,
    sweep_to_dict,
    sweep_to_xarray,
)


@pytest.fixture(scope="module")
def sweep():
    cfg = SweepConfig(
        arch="mlp",
        act="relu",
        depth=3,
        width=128,
        dataset="digits",
        c_values=(1.0, 6.0, 40.0),
        steps=120,
        seed=0,
        train_size=128,
        test_size=64,
        bisect=2,
        measure_count=16,
    )
    return run_sweep(cfg)


def test_phases_and_boundaries(sweep):
    by_c = {r.c: r for r in sweep.runs}
    assert by_c[1.0].phase == "lazy"
    assert by_c[40.0].phase == "divergent"
    assert sweep.c_loss.value is not None and sweep.c_max.value is not None
    assert 1.0 < sweep.c_loss.value <= sweep.c_max.value < 40.0
    between = [r for r in sweep.runs if sweep.c_loss.value <= r.c <= sweep.c_max.value]
    assert between
    for r in between:
        assert r.phase == "catapult"
        tr = sweep.trajectories[sweep.runs.index(r)]
        peak = int(np.argmax(tr.loss))
        assert (
            tr.loss[peak] > tr.loss[0] and tr.loss[-1] < tr.loss[0] and 0 < peak < tr.loss.size - 1
        )
        assert tr.lam[-1] < tr.lam[0] and tr.lam.min() < tr.lam[0]
    # lambda_0 recorded in the run equals the sweep's lambda_0 (same init)
    assert sweep.trajectories[0].lam[0] == pytest.approx(sweep.lam0, rel=1e-3)


def test_outputs(sweep, tmp_path):
    d = sweep_to_dict(sweep)
    json.dumps(d)
    assert d["lam0"] > 0 and len(d["runs"]) == len(sweep.runs)
    rows = {r.key: r for r in comparison_table(sweep)}
    assert list(rows)[:3] == ["validate.c_loss", "validate.c_max", "validate.eta_lam_final"]
    from catapultlab.theory import uv_model

    assert rows["validate.c_loss"].predicted == uv_model().predict("c_loss").value
    assert rows["validate.c_max"].predicted == uv_model().predict("c_max").value
    ds = sweep_to_xarray(sweep)
    assert ds.sizes["c"] == len(sweep.runs) and ds.sizes["step"] == 121
    path = tmp_path / "s.nc"
    import xarray as xr

    from catapultlab.validate import plot_sweep, write_netcdf

    write_netcdf(sweep, str(path))
    with xr.open_dataset(path) as back:
        np.testing.assert_allclose(back["loss"].values, ds["loss"].values)
        assert back.attrs["lam0"] == pytest.approx(sweep.lam0)
    png = tmp_path / "s.png"
    fig = plot_sweep(sweep, [png, tmp_path / "s.pdf"])
    assert png.stat().st_size > 1000 and (tmp_path / "s.pdf").read_bytes()[:5] == b"%PDF-"
    loss_ax, lam_ax, acc_ax = fig.axes
    assert acc_ax.get_xlabel() == r"$c = \eta\lambda_0$" and lam_ax.get_ylabel()[0] == "$"
    texts = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert all(any(f"({r.phase})" in t and f"{r.c:.3g}" in t for t in texts) for r in sweep.runs)
    from matplotlib.figure import Figure

    html = sweep._repr_html_()
    assert html.count("<tr>") == len(sweep.runs) + len(rows) + 2 and "validate.c_max" in html
    assert len(repr(sweep)) <= 200
    mine = Figure()
    assert plot_sweep(sweep, ax=mine.subplots(1, 3)) is mine and len(mine.axes) == 3


def _planted(c: float, phase: str, rose: bool = False):
    from catapultlab.validate import RunSummary

    return RunSummary(
        c=c, eta=c, phase=phase, final_loss=1.0, max_loss_ratio=1.0, lam_final=1.0,
        min_lam_ratio=1.0, train_acc=None, test_acc=None, steps_done=1, rose=rose,
        sharp_drop=False, sharp_rise=False, min_early_lam_ratio=1.0, max_early_lam_ratio=1.0,
    )  # fmt: skip


def test_every_bracket_uses_the_runs_of_every_bisection():
    """A planted network: divergent from c = 4, loss rises from c = 3.

    Bisecting c_max alone on (1, 30) with 3 steps leaves [1, 4.625]; the c_loss
    bisection then runs c = 2.8125, 3.71875 (a catapult) and 3.265625, which narrows
    c_max to [3.71875, 4.625] (the stale bracket reported c_max = 1).
    """
    from catapultlab.validate._sweep import BOUNDARY_TESTS, bisected_brackets

    def planted(c: float):
        phase = "divergent" if c >= 4.0 else ("catapult" if c >= 3.0 else "lazy")
        return _planted(c, phase, rose=c >= 3.0)

    calls: list[float] = []

    def run(c: float):
        calls.append(c)
        runs[c] = planted(c)
        return runs[c]

    runs = {c: planted(c) for c in (1.0, 30.0)}
    b_max, b_loss, b_sharp = bisected_brackets(runs, BOUNDARY_TESTS, run, 3)
    assert calls[:3] == [15.5, 8.25, 4.625]  # c_max's own bisection
    assert calls[3:] == [2.8125, 3.71875, 3.265625]  # c_loss's, inside c_max's bracket
    assert b_max == (3.71875, 4.625) and b_max[0] < 4.0 <= b_max[1]
    assert b_loss == (2.8125, 3.265625) and b_loss[0] < 3.0 <= b_loss[1]
    assert b_sharp == "above"


def test_comparison_line_without_a_measurement_says_so():
    from catapultlab.stats import Comparison
    from catapultlab.validate._cli import _comparison_line

    row = Comparison.make("validate.c_max", "c_max", None, predicted=4.0, relation="=")
    assert _comparison_line(row) == "c_max: predicted = 4, measured none on this grid ()"
    row = Comparison.make(
        "validate.c_loss",
        "c_loss",
        2.1234,
        uncertainty=0.25,
        predicted=2.0,
        relation="=",
        source="note",
    )
    assert _comparison_line(row) == "c_loss: predicted = 2, measured 2.123 ± 0.25 [agrees] (note)"
