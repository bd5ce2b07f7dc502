"""The sweep CLI's xarray-free result: same Dataset, same netCDF encoding as xarray's."""

import numpy as np
import pytest
import xarray as xr
from scipy.io import netcdf_file

from catapultlab.io import write_netcdf
from catapultlab.sim import SweepConfig, make_setup, sweep_to_json
from catapultlab.sim._sweep import sweep_result


@pytest.mark.parametrize(
    "c, n", [((3.0, 4.5), (100,)), ((1.0, 2.5, 3.0, 4.5), (100, 1000))], ids=["no fit", "fits"]
)
def test_result_writes_what_xarray_writes(tmp_path, c, n):
    setup = make_setup("uv", y=1.0)
    cfg = SweepConfig(setup=setup, c=c, n=n, ensemble=256, steps=300)
    result = sweep_result(cfg)
    ds = result.to_dataset()
    assert sweep_to_json(result) == sweep_to_json(ds)
    write_netcdf(result, tmp_path / "plain.nc")
    write_netcdf(ds, tmp_path / "xarray.nc")
    with (
        xr.open_dataset(tmp_path / "plain.nc") as a,
        xr.open_dataset(tmp_path / "xarray.nc") as b,
    ):
        xr.testing.assert_identical(a.load(), b.load())
    fa = netcdf_file(tmp_path / "plain.nc", mmap=False)
    fb = netcdf_file(tmp_path / "xarray.nc", mmap=False)
    assert fa.dimensions == fb.dimensions and fa.version_byte == fb.version_byte
    assert set(fa.variables) == set(fb.variables)
    for name, vb in fb.variables.items():
        va = fa.variables[name]
        assert (va.typecode(), va.dimensions) == (vb.typecode(), vb.dimensions), name
        assert va._attributes.keys() == vb._attributes.keys(), name
        for key, value in vb._attributes.items():
            np.testing.assert_array_equal(va._attributes[key], value)
            assert type(va._attributes[key]) is type(value), (name, key)
    assert {k: type(v) for k, v in fa._attributes.items()} == {
        k: type(v) for k, v in fb._attributes.items()
    }


@pytest.mark.parametrize(
    ("c", "n"), [((1.0, 3.0, 5.0), (64, 256)), ((3.0, 3.5), (64, 128, 256))], ids=["no-fit", "fits"]
)
def test_own_netcdf3_encoder_writes_scipys_bytes(c, n, tmp_path):
    """The package's encoder gives byte for byte what SciPy's netcdf_file(version=2) writes."""
    from scipy.io import netcdf_file

    from catapultlab._netcdf import _attr, encode_netcdf3
    from catapultlab.io import cf_attributes

    result = cf_attributes(
        sweep_result(SweepConfig(make_setup("uv", y=1.0), c, n, ensemble=300, steps=300)).copy()
    )
    sizes = {}
    for var in result.variables.values():
        sizes.update(zip(var.dims, var.values.shape, strict=True))
    path = tmp_path / "scipy.nc"
    with netcdf_file(path, "w", version=2) as f:
        for dim, size in sizes.items():
            f.createDimension(dim, size)
        for name, var in result.variables.items():
            values = var.values.astype(np.int32) if var.values.dtype == np.int64 else var.values
            out = f.createVariable(name, values.dtype, var.dims)
            for key, value in var.attrs.items():
                setattr(out, key, _attr(value))
            if values.dtype.kind == "f":
                out._FillValue = np.float64(np.nan).astype(values.dtype)
            if values.size:
                out[...] = values
        for key, value in result.attrs.items():
            setattr(f, key, _attr(value))
    assert encode_netcdf3(result) == path.read_bytes()
