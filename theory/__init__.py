"""theory/: derive the exact width-n update maps, prove closure, derive phase boundaries.

Example:
    >>> from catapultlab.theory import uv_model
    >>> m = uv_model()
    >>> [s.name for s in m.state], m.closed
    (['f', 'lam'], True)
"""

from __future__ import annotations

from catapultlab.theory._algebra import inner_symbol, pretty_inner
from catapultlab.theory._boundaries import LAM0, C, ScalarBoundaries, derive_scalar_boundaries
from catapultlab.theory._derive import GramDerivation, NotClosedError, derive_gram
from catapultlab.theory._model import LAM, F, Model, full_model, uv_model
from catapultlab.theory._project import Projection, project
from catapultlab.theory._render import parse_expr, report, to_json, to_latex, to_text
from catapultlab.theory._spec import ETA, WIDTH, ModelSpec
from catapultlab.theory._specs import deep_linear_spec, full_spec, uv_spec

__all__ = [
    "C",
    "ETA",
    "F",
    "LAM",
    "LAM0",
    "WIDTH",
    "GramDerivation",
    "Model",
    "ModelSpec",
    "NotClosedError",
    "Projection",
    "ScalarBoundaries",
    "deep_linear_spec",
    "derive_gram",
    "derive_scalar_boundaries",
    "full_model",
    "full_spec",
    "inner_symbol",
    "parse_expr",
    "pretty_inner",
    "project",
    "report",
    "to_json",
    "to_latex",
    "to_text",
    "uv_model",
    "uv_spec",
]
