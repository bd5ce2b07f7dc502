"""Grids of ``c`` written in units of the derived edges, resolved when a run starts.

The presets never type a learning rate near an edge: a value is a multiple of one of
the uv model's derived edges (:meth:`catapultlab.theory.Model.edges`), so the grids
follow the theory. ``times(edge, k)`` is ``k`` times the edge (``k`` a number or a
list), ``spaced(edge, start, stop, count)`` is ``numpy.linspace`` between two multiples;
:func:`resolved` turns a whole configuration into plain numbers.

Example:
    >>> resolved({"c": times("lazy_catapult", [0.5, 1.5]), "steps": 10},
    ...          {"lazy_catapult": 2.0})
    {'c': [1.0, 3.0], 'steps': 10}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from catapultlab import CatapultError

__all__ = ["resolved", "spaced", "times"]


def times(edge: str, multiple: float | list[float]) -> dict[str, Any]:
    """``multiple`` times the derived ``edge`` (one value, or one per entry of a list)."""
    return {"edge": edge, "times": multiple}


def spaced(edge: str, start: float, stop: float, count: int) -> dict[str, Any]:
    """``count`` evenly spaced values from ``start`` to ``stop`` times the derived ``edge``."""
    return {"edge": edge, "linspace": [start, stop, count]}


def _in_c(spec: dict[str, Any], edges: Mapping[str, float | None]) -> float | list[float]:
    """The ``c`` value(s) of one edge-unit entry."""
    unit = edges.get(spec["edge"])
    if unit is None:
        raise CatapultError(f"the model has no {spec['edge']} edge to measure c in")
    if "linspace" in spec:
        start, stop, count = spec["linspace"]
        return [float(v) for v in np.linspace(unit * start, unit * stop, int(count))]
    k = spec["times"]
    return [unit * float(x) for x in k] if isinstance(k, list) else unit * float(k)


def resolved(config: Any, edges: Mapping[str, float | None]) -> Any:
    """A copy of ``config`` with every edge-unit entry replaced by its ``c`` value(s).

    Args:
        config: a configuration (nested dicts and lists); edge-unit entries are the
            dicts :func:`times` and :func:`spaced` make.
        edges: the derived edges in ``c`` (``Model.edges()``).

    Raises:
        CatapultError: an entry names an edge the model does not have.
    """
    if isinstance(config, dict):
        if "edge" in config:
            return _in_c(config, edges)
        return {k: resolved(v, edges) for k, v in config.items()}
    if isinstance(config, list):
        return [resolved(v, edges) for v in config]
    return config
