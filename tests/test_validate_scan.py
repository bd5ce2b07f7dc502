"""A tiny depth x width scan equals the per-cell sweeps; out-of-grid sides are labelled."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from click.testing import CliRunner

from catapultlab.validate._scan import fit_c_max, run_scan, scan_to_xarray
from catapultlab.validate._sweep import SweepConfig, run_sweep

BASE = SweepConfig(
    arch="mlp",
    act="relu",
    dataset="digits",
    c_values=(1.0, 8.0, 60.0),
    steps=15,
    train_size=48,
    test_size=32,
    bisect=1,
    measure_count=6,
)


@pytest.fixture(scope="module")
def scan():
    return run_scan(BASE, (1, 2), (8,))


def test_scan_cells_equal_single_sweeps(scan):
    ds = scan_to_xarray(scan)
    assert ds["c_max"].dims == ("depth", "width")
    for d in (1, 2):
        for w in (8,):
            single = run_sweep(dataclasses.replace(BASE, depth=d, width=w))
            cell = ds.sel(depth=d, width=w)
            assert float(cell["lam0"]) == pytest.approx(single.lam0, rel=1e-6)
            for name in ("c_loss", "c_sharp", "c_max"):
                b = getattr(single, name)
                side = {None: 0, "below": -1, "above": 1}[b.side]
                assert int(cell[f"{name}_side"]) == side
                if b.value is None:
                    assert np.isnan(float(cell[name]))
                else:
                    assert float(cell[name]) == pytest.approx(b.value)


def test_outputs_with_out_of_grid_cells(scan, tmp_path):
    from catapultlab.validate._scan import plot_scan
    from catapultlab.validate._sweep import Boundary

    first = dataclasses.replace(scan.cells[0][0], c_sharp=Boundary(None, None, "below"))
    last = dataclasses.replace(scan.cells[1][0], c_max=Boundary(None, None, "above"))
    marked = dataclasses.replace(scan, cells=((first,), (last,)))
    fig = plot_scan(marked, str(tmp_path / "scan.png"))
    assert (tmp_path / "scan.png").stat().st_size > 1000
    assert marked._repr_html_().count("grid</td>") == 2
    out_of_grid = [t for ax in fig.axes for t in ax.texts if t.get_text().endswith("grid")]
    assert {t.get_text() for t in out_of_grid} == {"below grid", "above grid"}
    assert all(t.get_color() == "k" for t in out_of_grid)  # legible on a blank cell
    ds = scan_to_xarray(marked)
    assert int(ds["c_sharp_side"].sel(depth=1, width=8)) == -1
    assert int(ds["c_max_side"].sel(depth=2, width=8)) == 1
    assert np.isnan(float(ds["c_max"].sel(depth=2, width=8)))
    ds.to_netcdf(tmp_path / "scan.nc", engine="scipy")


def test_fit_recovers_a_planted_power_law(scan):
    from catapultlab.validate._sweep import Boundary

    depths, widths = (1, 2, 4), (8, 16, 32)
    cell = scan.cells[0][0]
    rows = tuple(
        tuple(
            dataclasses.replace(cell, c_max=Boundary(3.0 * d**0.5 * w**-0.25, 0.1)) for w in widths
        )
        for d in depths
    )
    planted = dataclasses.replace(scan, depths=depths, widths=widths, cells=rows)
    fits = fit_c_max(planted)
    assert fits["depth_width"].exponents == pytest.approx((0.5, -0.25), abs=1e-9)
    assert fits["depth_width"].intercept == pytest.approx(np.log(3.0))


def test_scan_cli_json_and_bad_input():
    from catapultlab import CatapultError
    from catapultlab.validate._cli import scan_cmd

    bad = CliRunner().invoke(scan_cmd, ["--depth", "1,x"], standalone_mode=False)
    assert isinstance(bad.exception, CatapultError) and "--depth" in str(bad.exception)
    args = "--depth 1 --width 8 --c 1:2:1 --steps 5 --train-size 32 --test-size 16 --bisect 0"
    res = CliRunner().invoke(scan_cmd, [*args.split(), "--json"])
    assert res.exit_code == 0, res.output
    (cell,) = json.loads(res.output)["cells"]
    assert cell["c_max"] is None and cell["c_max_side"] == "above"
