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
        width=256,
        dataset="digits",
        c_values=(1.0, 6.0, 40.0),
        steps=120,
        seed=0,
        train_size=256,
        test_size=256,
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
    rows = comparison_table(sweep)
    assert [r.quantity.split()[0] for r in rows][:2] == ["lazy/catapult", "maximal"]
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
    plot_sweep(sweep, str(png))
    assert png.stat().st_size > 1000
