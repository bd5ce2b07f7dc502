"""The one netCDF writer, and a dataset of plain arrays that needs no xarray (nor SciPy).

:func:`write_netcdf` writes every netCDF file catapultlab makes (sweeps, validate runs,
scans, the report's data): the CF ``long_name``/``units`` of :mod:`catapultlab.io`, the
classic netCDF 64-bit-offset format (netCDF3, which every netCDF reader opens) and the one
atomic writer, so a file is at its path complete or not at all.

It takes an :class:`xarray.Dataset` (encoded by xarray's own scipy backend) or a
:class:`PlainDataset`: variables with dimensions and attributes, coordinates and global
attributes held as NumPy arrays. Importing xarray (and pandas) costs about a second of
every ``catapultlab sweep`` start, and ``scipy.io`` (with ``scipy.sparse``) tens of
milliseconds more, so the sweep command builds a PlainDataset and :func:`encode_netcdf3`
encodes it the way xarray's scipy backend does (float variables with
``_FillValue = NaN``; 64-bit integers as int32; integer attributes as int32; a
zero-length dimension as the record dimension), byte for byte what SciPy's
``netcdf_file`` writes; ``xarray.open_dataset`` reads back the same Dataset either way
(tested). netCDF3 has no 64-bit integers: integer variables read back as int32.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from catapultlab.records import short_repr

__all__ = ["Variable", "PlainDataset", "encode_netcdf3", "write_netcdf"]


class Variable(NamedTuple):
    """One variable: dimension names, values and attributes."""

    __repr__ = short_repr

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

    __repr__ = short_repr

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
    """Write ``result`` to ``path`` (not atomic: see the caller)."""
    path.write_bytes(encode_netcdf3(result))


# -- the classic netCDF format, 64-bit offset variant (CDF-2) -----------------------------
# Layout (Unidata, "The NetCDF Classic Format Specification"): magic, the number of
# records, the dimensions, the global attributes, the variables' headers (each with the
# byte offset of its data), then the data, big-endian, each variable padded to 4 bytes.
# The bytes equal those SciPy's ``netcdf_file(version=2)`` writes for the same content
# (tested), which is what xarray's scipy backend uses.

_ABSENT = b"\x00" * 8
_TAG = {"dimension": 10, "variable": 11, "attribute": 12}
_NC_TYPE = {("b", 1): 1, ("S", 1): 2, ("c", 1): 2, ("h", 2): 3, ("i", 4): 4, ("l", 4): 4}
_NC_TYPE |= {("f", 4): 5, ("d", 8): 6}
_FILL = {1: b"\x81", 2: b"\x00", 3: b"\x80\x01", 4: b"\x80\x00\x00\x01"}
_FILL |= {5: b"\x7c\xf0\x00\x00", 6: b"\x47\x9e\x00\x00\x00\x00\x00\x00"}


def _int32(value: int) -> bytes:
    return int(value).to_bytes(4, "big", signed=True)


def _name(text: str) -> bytes:
    raw = text.encode("latin1")
    return _int32(len(raw)) + raw + b"\x00" * (-len(raw) % 4)


def _attribute_values(value: Any) -> bytes:
    """``nc_type nelems values`` of one attribute (strings as chars, numbers big-endian)."""
    if isinstance(value, bytes):
        arr, nc_type = np.asarray(value, dtype="S"), 2
    else:
        arr = np.asarray(value)
        nc_type = _NC_TYPE[arr.dtype.char, arr.dtype.itemsize]
        arr = arr.astype(arr.dtype.newbyteorder(">"))
    nelems = arr.itemsize if arr.dtype.char == "S" else arr.size
    raw = arr.tobytes()
    return _int32(nc_type) + _int32(nelems) + raw + b"\x00" * (-len(raw) % 4)


def _attributes(attrs: dict[str, Any]) -> bytes:
    if not attrs:
        return _ABSENT
    out = _int32(_TAG["attribute"]) + _int32(len(attrs))
    for key, value in attrs.items():
        out += _name(key) + _attribute_values(value)
    return out


class _Var(NamedTuple):
    """One variable ready to write: its encoded attributes, type and big-endian data."""

    name: str
    dims: tuple[str, ...]
    attrs: dict[str, Any]
    nc_type: int
    data: bytes
    is_record: bool
    shape: tuple[int, ...]


def _variable(name: str, var: Variable, sizes: dict[str, int]) -> _Var:
    values = var.values
    if values.dtype.kind == "i" and values.dtype.itemsize > 4:
        values = values.astype(np.int32)
    if values.dtype.kind not in "fi" or values.dtype.itemsize > 8:
        raise TypeError(f"variable {name!r}: netCDF3 cannot hold dtype {values.dtype}")
    attrs = {k: _attr(v) for k, v in var.attrs.items()}
    if values.dtype.kind == "f":
        attrs["_FillValue"] = np.float64(np.nan).astype(values.dtype)
    shape = tuple(sizes[d] for d in var.dims)
    is_record = bool(shape) and shape[0] == 0
    data = b"" if is_record else values.astype(values.dtype.newbyteorder(">")).tobytes()
    nc_type = _NC_TYPE[values.dtype.char, values.dtype.itemsize]
    return _Var(name, var.dims, attrs, nc_type, data, is_record, shape)


def encode_netcdf3(result: PlainDataset) -> bytes:
    """The bytes of ``result`` as a netCDF3 file (64-bit offsets), as xarray's scipy backend.

    A zero-length dimension is the record dimension (and its variables hold no records).

    Raises:
        TypeError: a variable of a dtype netCDF3 cannot hold.
    """
    sizes: dict[str, int] = {}
    for var in result.variables.values():
        sizes.update(zip(var.dims, var.values.shape, strict=True))
    dim_ids = {d: i for i, d in enumerate(sizes)}
    variables = [_variable(k, v, sizes) for k, v in result.variables.items()]
    variables.sort(key=lambda v: (-1,) if v.is_record else v.shape, reverse=True)
    head = b"CDF\x02" + _int32(0)
    head += _ABSENT if not sizes else _int32(_TAG["dimension"]) + _int32(len(sizes))
    head += b"".join(_name(d) + _int32(n) for d, n in sizes.items())
    head += _attributes({k: _attr(v) for k, v in result.attrs.items()})
    headers, blocks = [], []
    for v in variables:
        pad = _FILL[v.nc_type] * ((-len(v.data) % 4) // len(_FILL[v.nc_type]))
        blocks.append(v.data + pad)
        ids = b"".join(_int32(dim_ids[d]) for d in v.dims)
        size = 0 if v.is_record else len(blocks[-1])
        headers.append(
            _name(v.name)
            + _int32(len(v.dims))
            + ids
            + _attributes(v.attrs)
            + _int32(v.nc_type)
            + _int32(size)
        )
    var_head = _ABSENT if not variables else _int32(_TAG["variable"]) + _int32(len(variables))
    offset = len(head) + len(var_head) + sum(len(h) + 8 for h in headers)
    for h, block in zip(headers, blocks, strict=True):
        var_head += h + offset.to_bytes(8, "big", signed=True)
        offset += len(block)
    return head + var_head + b"".join(blocks)
