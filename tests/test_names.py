"""One name per quantity across JSON, netCDF and the report; CF attributes on every variable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from catapultlab._cli import main
from catapultlab.io import describe
from catapultlab.phases import PHASE_NAMES
from catapultlab.reproduce._report import TABLE_COLUMNS, _numbers_nc
from catapultlab.stats import CONVENTION, PLUS_MINUS
from catapultlab.validate import OUTCOMES


def _assert_cf(ds: xr.Dataset) -> None:
    for name in ds.variables:
        var = ds[name]
        assert var.attrs.get("long_name"), f"{name} has no long_name"
        if var.dtype.kind in "biuf":
            assert var.attrs.get("units") == "1", f"{name} has no units"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, xr.Dataset, str]:
    import contextlib
    import io

    out = tmp_path_factory.mktemp("sweep") / "s.nc"
    args = ["sweep", "uv", "--c", "1.5:4.5:1", "--n", "100,1000", "--ensemble", "64"]
    args += ["--steps", "300", "--out", str(out)]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main([*args, "--json"]) == 0
    doc = json.loads(buf.getvalue())
    table = io.StringIO()
    with contextlib.redirect_stdout(table):
        assert main(args) == 0
    return doc, xr.open_dataset(out), table.getvalue()


def test_sweep_json_and_netcdf_share_names(sweep) -> None:
    doc, ds, _ = sweep
    keys = {k for k in doc["cells"][0] if k.startswith("p_")}
    assert keys == {f"p_{p}" for p in (*PHASE_NAMES, "rise")}
    for row in doc["cells"]:
        i = list(ds["c"].values).index(row["c"])
        j = list(ds["n"].values).index(row["n"])
        for k in keys:
            assert row[k] == float(ds[k].values[i, j]), k
    for b in doc["boundaries"]:
        j = list(ds["n"].values).index(b["n"])
        stored = [[lo, hi] for lo, hi in ds["divergent_intervals"].values[j] if lo == lo]
        as_json = [[v if np.isfinite(v) else None for v in row] for row in stored]
        assert b["divergent_intervals"] == as_json
        for k, v in b.items():
            if k in ("n", "divergent_intervals") or k.endswith("_ci"):
                continue
            assert k in ds.variables, k
            j = list(ds["n"].values).index(b["n"])
            stored = ds[k].values[j]
            assert (v is None and np.isnan(stored)) or v == pytest.approx(float(stored)), k


def test_sweep_netcdf_has_cf_attributes(sweep) -> None:
    _assert_cf(sweep[1])


def test_tables_state_one_uncertainty_convention(sweep) -> None:
    table = sweep[2]
    assert CONVENTION in table and PLUS_MINUS in table.splitlines()[1]
    assert PLUS_MINUS in TABLE_COLUMNS


def test_numbers_nc_has_cf_attributes(tmp_path: Path) -> None:
    numbers = [
        dict(
            key="a.b",
            quantity="q",
            measured=1.0,
            uncertainty=0.1,
            ci_low=0.8,
            ci_high=1.2,
            predicted=1.0,
            agrees=True,
        )
    ]
    _numbers_nc(numbers, tmp_path)
    _assert_cf(xr.open_dataset(tmp_path / "data" / "numbers.nc"))


def test_validate_outputs_share_names_and_store_numbers(tmp_path: Path, capsys) -> None:
    out = tmp_path / "v.nc"
    args = ["validate", "--width", "8", "--depth", "1", "--steps", "3", "--c", "1:2"]
    args += ["--train-size", "16", "--test-size", "16", "--bisect", "0"]
    assert main([*args, "--json", "--out", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    ds = xr.open_dataset(out)
    _assert_cf(ds)
    stored = json.loads(ds.attrs["config"])
    assert stored == doc["config"]
    assert isinstance(stored["width"], int) and isinstance(stored["diverge_factor"], float)
    assert all(isinstance(c, float) for c in stored["c_values"])
    for name in ("c_loss", "c_sharp", "c_max"):
        assert not isinstance(ds.attrs[name], str)  # a number (NaN when not found)
    # validate's outcomes: the four phases, then its own "collapsed" (a dead network)
    assert list(ds["phase"].attrs["flag_meanings"].split()) == list(OUTCOMES)
    assert list(OUTCOMES[: len(PHASE_NAMES)]) == list(PHASE_NAMES)


def test_every_described_name_is_known() -> None:
    assert describe("p_divergent") and describe("p_diverge") is None
