"""Every file catapultlab writes goes through here: one atomic writer, one netCDF writer, one JSON encoder.

* :func:`atomic_write` (and its text/bytes forms): a file appears at its final path
  complete or not at all; on any error, Ctrl-C included, the temporary file is removed.
* :func:`write_netcdf`: netCDF3 with CF ``long_name``/``units`` attributes from one table
  (:func:`describe`), from an xarray Dataset or a :class:`PlainDataset`.
* :func:`dumps`: strict JSON (non-finite numbers as ``null``, NumPy values as numbers).
* :func:`write_sealed` / :func:`read_sealed`: files behind a content hash (cache entries,
  resume parts): a damaged one is reported on one line and rebuilt, never read as data.

Names load on first use, so importing this module costs only what a caller uses.

Example:
    >>> import numpy as np
    >>> from catapultlab.io import dumps
    >>> dumps({"c": np.float64(2.5), "edge": float("nan")})
    '{"c": 2.5, "edge": null}'
"""

from __future__ import annotations

from catapultlab.lazy import attach

__all__ = [
    "QUANTITIES",
    "TMP_PREFIX",
    "remove_stale_temps",
    "temp_pattern",
    "PlainDataset",
    "Variable",
    "atomic_path",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_text",
    "cf_attributes",
    "describe",
    "dumps",
    "jsonable",
    "read_sealed",
    "seal",
    "unseal",
    "write_netcdf",
    "write_sealed",
]

_WHERE = {
    "_atomic": (
        "TMP_PREFIX",
        "atomic_path",
        "atomic_write",
        "atomic_write_bytes",
        "atomic_write_text",
        "remove_stale_temps",
        "temp_pattern",
    ),
    "_cf": ("QUANTITIES", "cf_attributes", "describe"),
    "_jsonio": ("dumps", "jsonable"),
    "_netcdf": ("PlainDataset", "Variable", "write_netcdf"),
    "_sealed": ("read_sealed", "seal", "unseal", "write_sealed"),
}
__getattr__, __dir__ = attach(__name__, _WHERE, base="catapultlab")
