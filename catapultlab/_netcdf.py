"""The one netCDF writer, and a dataset of plain arrays that needs no xarray.

:func:`write_netcdf` writes every netCDF file catapultlab makes (sweeps, validate runs,
scans, the report's data): the CF ``long_name``/``units`` of :mod:`catapultlab.io`, the
classic netCDF 64-bit-offset format (netCDF3, which every netCDF reader opens) and the one
atomic writer, so a file is at its path complete or not at all.

It takes an :class:`xarray.Dataset` (encoded by xarray's own scipy backend) or a
:class:`PlainDataset`: variables with dimensions and attributes, coordinates and global
attributes held as NumPy arrays. Importing xarray (and pandas) costs about a second of
every ``catapultlab sweep`` start, so the sweep command builds a PlainDataset and this
module encodes it the way xarray's scipy backend does (float variables with
``_FillValue = NaN``; 64-bit integers as int32; integer attributes as int32; a
zero-length dimension as the record dimension), through SciPy's public
:class:`scipy.io.netcdf_file`; ``xarray.open_dataset`` reads back the same Dataset either
way (tested). netCDF3 has no 64-bit integers: integer variables read back as int32.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Variable", "PlainDataset", "write_netcdf"]


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
class PlainDataset:
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

    def copy(self) -> PlainDataset:
        """A copy with its own attribute dictionaries (values shared)."""
        return PlainDataset(
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


def write_netcdf(data: Any, path: str | PathLike[str]) -> None:
    """Write ``data`` (a :class:`PlainDataset` or an xarray Dataset) to ``path``.

    The one netCDF writer (see the module docstring): CF attributes are added where the
    table knows a variable (attributes already set are kept), the file is netCDF3 and it
    appears at ``path`` atomically; the parent directory is created.

    Raises:
        CatapultError: the file cannot be written (one line naming it).
    """
    from catapultlab._atomic import atomic_write
    from catapultlab._cf import cf_attributes

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = cf_attributes(data.copy())
    if isinstance(data, PlainDataset):
        atomic_write(target, lambda tmp: _write_plain(data, tmp))
    else:
        atomic_write(
            target, lambda tmp: data.to_netcdf(tmp, engine="scipy", format="NETCDF3_64BIT")
        )


def _write_plain(result: PlainDataset, path: Path) -> None:
    """Encode ``result`` as xarray's scipy backend would (not atomic: see the caller).

    Raises:
        TypeError: a variable of a dtype netCDF3 cannot hold.
    """
    from scipy.io import netcdf_file

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
