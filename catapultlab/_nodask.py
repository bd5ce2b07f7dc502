"""Build and write xarray Datasets without importing dask when dask is not in use.

xarray asks whether every array it wraps is a dask array (``array_type("dask")`` in
``as_compatible_data`` and ``is_dask_collection``), which imports ``dask.array``
(1-3 s), and ``to_netcdf`` asks
which dask scheduler is active, which imports ``distributed`` (1-2 s). When ``dask``
has not been imported in this process no array can be a dask array and no scheduler
can be active, so the answers are known: :func:`without_dask` gives them to xarray
for the duration of a block (xarray's own "dask unavailable" record, "not a dask
collection", and "no scheduler", which selects the same threading lock as the default scheduler), then
removes them again so a later ``import dask`` is seen. When dask is already imported,
or the xarray internals it relies on are absent, it does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["without_dask"]


def _no_scheduler(get: Any = None, collection: Any = None) -> None:
    return None


def _not_dask(x: object) -> bool:
    return False


@contextmanager
def without_dask() -> Iterator[None]:
    """A block in which xarray neither imports dask nor distributed (see module docstring)."""
    if "dask" in sys.modules:
        yield
        return
    try:
        from xarray.backends import locks, writers
        from xarray.core import utils as core_utils
        from xarray.namedarray import pycompat
        from xarray.namedarray import utils as named_utils

        cache = pycompat._cached_duck_array_modules
        absent = pycompat.DuckArrayModule.__new__(pycompat.DuckArrayModule)
        absent.module, absent.version, absent.type, absent.available = (
            None,
            pycompat.Version("0.0.0"),
            (),
            False,
        )
        saved = (locks.get_dask_scheduler, writers.get_dask_scheduler)
        collections = (named_utils.is_dask_collection, core_utils.is_dask_collection)
    except (ImportError, AttributeError):  # another xarray: let it import what it wants
        yield
        return
    had = "dask" in cache
    if not had:
        cache["dask"] = absent
    locks.get_dask_scheduler = writers.get_dask_scheduler = _no_scheduler
    named_utils.is_dask_collection = core_utils.is_dask_collection = _not_dask
    try:
        yield
    finally:
        locks.get_dask_scheduler, writers.get_dask_scheduler = saved
        named_utils.is_dask_collection, core_utils.is_dask_collection = collections
        if not had and cache.get("dask") is absent:
            del cache["dask"]
