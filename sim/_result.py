"""A sweep result as plain arrays, written to netCDF without xarray (the CLI's warm path).

:class:`SweepArrays` holds what :func:`catapultlab.sim.run_sweep` puts in its
:class:`xarray.Dataset` (variables with dimensions and attributes, coordinates, global
attributes); :meth:`SweepArrays.to_dataset` makes that Dataset. Importing xarray (and
pandas) costs about a second of every ``catapultlab sweep`` start, so the command
reads its JSON from the result directly and writes the file with :func:`write_netcdf3`,
which encodes it the way xarray's scipy backend does (netCDF3 64-bit offset; float
variables with ``_FillValue = NaN``; integer attributes as int32; a zero-length
dimension as the record dimension), so that ``xarray.open_dataset`` reads back the same
Dataset either way (tested).
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Variable", "SweepArrays", "write_netcdf3"]


class Variable(NamedTuple):
    """One variable: dimension names, values and attributes."""

    dims: tuple[str, ...]
    values: np.ndarray
    attrs: dict[str, Any]

    @property
    def dtype(self) -> np.dtype:
        """The values' dtype."""
        return self.values.dtype


@dataclass
class SweepArrays:
    """Data variables, coordinates (1-D, named by their dimension) and global attributes."""

    data: dict[str, Variable]
    coords: dict[str, Variable]
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def variables(self) -> dict[str, Variable]:
        """Data variables, then coordinates (as ``xarray.Dataset.variables`` names them)."""
        return {**self.data, **self.coords}

    def __getitem__(self, name: str) -> Variable:
        return self.variables[name]

    def __contains__(self, name: object) -> bool:
        return name in self.data or name in self.coords

    def copy(self) -> SweepArrays:
        """A copy with its own attribute dictionaries (values shared)."""
        return SweepArrays(
            {k: Variable(v.dims, v.values, copy.deepcopy(v.attrs)) for k, v in self.data.items()},
            {k: Variable(v.dims, v.values, copy.deepcopy(v.attrs)) for k, v in self.coords.items()},
            copy.deepcopy(self.attrs),
        )

    def to_dataset(self) -> Any:
        """The :class:`xarray.Dataset` of this result."""
        import xarray as xr

        return xr.Dataset(
            {k: (v.dims, v.values, v.attrs) for k, v in self.data.items()},
            coords={k: (v.dims, v.values, v.attrs) for k, v in self.coords.items()},
            attrs=self.attrs,
        )


def _attr(value: Any) -> Any:
    """An attribute value as xarray's netCDF3 encoding stores it."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool | np.bool_):
        raise TypeError("netCDF3 has no boolean attributes")
    if isinstance(value, int | np.integer):
        return np.int32(value)
    if isinstance(value, float | np.floating):
        return np.float64(value)
    arr = np.asarray(value)
    return arr.astype(np.int32) if arr.dtype.kind in "iu" else arr


def _netcdf_file() -> Any:
    """SciPy's ``netcdf_file`` class without running ``scipy/io/__init__``.

    ``import scipy.io`` imports its MATLAB reader and with it ``scipy.sparse`` (about a
    second of a warm start). The netCDF module itself needs only NumPy and the standard
    library, so unless ``scipy.io`` is imported already its file is loaded on its own
    (same code, another module name); any problem falls back to the plain import.
    """
    loaded = sys.modules.get("scipy.io._netcdf")
    if loaded is not None:
        return loaded.netcdf_file
    name = "catapultlab._scipy_netcdf"
    if name not in sys.modules:
        try:
            scipy_spec = importlib.util.find_spec("scipy")
            assert scipy_spec is not None and scipy_spec.origin is not None
            path = Path(scipy_spec.origin).parent / "io" / "_netcdf.py"
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.netcdf_file  # noqa: B018 - the class must be there
        except Exception:  # noqa: BLE001 - another SciPy layout: the ordinary import
            from scipy.io import netcdf_file

            return netcdf_file
        sys.modules[name] = module
    return sys.modules[name].netcdf_file


def write_netcdf3(result: SweepArrays, path: str | PathLike[str]) -> None:
    """Write ``result`` to ``path`` as xarray's scipy backend would (not atomic: see caller).

    Raises:
        TypeError: a variable of a dtype netCDF3 cannot hold.
    """
    netcdf_file = _netcdf_file()
    sizes: dict[str, int] = {}
    for var in result.variables.values():
        sizes.update(zip(var.dims, var.values.shape, strict=True))
    with netcdf_file(path, "w", version=2) as f:
        for dim, size in sizes.items():
            f.createDimension(dim, size)
        for name, var in result.variables.items():
            values = var.values
            if values.dtype.kind == "i" and values.dtype.itemsize > 4:
                values = values.astype(np.int32)
            if values.dtype.kind not in "fi" or values.dtype.itemsize > 8:
                raise TypeError(f"variable {name!r}: netCDF3 cannot hold dtype {values.dtype}")
            out = f.createVariable(name, values.dtype, var.dims)
            for key, value in var.attrs.items():
                setattr(out, key, _attr(value))
            if values.dtype.kind == "f":
                out._FillValue = np.float64(np.nan).astype(values.dtype)
            if values.size:
                out[...] = values
        for key, value in result.attrs.items():
            setattr(f, key, _attr(value))
