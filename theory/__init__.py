"""theory/: derive the exact width-n update maps, prove closure, derive phase boundaries.

Example:
    >>> from catapultlab.theory import uv_model
    >>> m = uv_model()
    >>> [s.name for s in m.state], m.closed
    (['f', 'lam'], True)
"""

from __future__ import annotations

from catapultlab.lazy import attach

__all__ = [
    "COMMANDS",
    "BETA",
    "C",
    "ENGINE_VERSION",
    "KAPPA",
    "Scaling",
    "BUILTIN",
    "COMPARED_WITH",
    "ETA_HAT",
    "ScalarDynamics",
    "TwoCycle",
    "scalar_dynamics",
    "Prediction",
    "KernelSpec",
    "NumericModel",
    "StepKind",
    "StepRule",
    "builtin_model",
    "builtin_numeric",
    "builtin_spec",
    "load_spec",
    "model_options",
    "resolve_model",
    "spec_from_json",
    "spec_to_json",
    "numeric_from_declaration",
    "step_from_flags",
    "EdgeFunctions",
    "edges_c",
    "derive",
    "derive_uncached",
    "dot",
    "full_unit_spec",
    "spec_key",
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
    "ReadableDerivation",
    "ScalarBoundaries",
    "deep_linear_spec",
    "derive_gram",
    "derive_scalar_boundaries",
    "full_model",
    "full_spec",
    "inner_symbol",
    "inner_symbols_in",
    "symbol_words",
    "parse_expr",
    "pretty_inner",
    "project",
    "readable_derivation",
    "report",
    "to_json",
    "to_latex",
    "to_text",
    "uv_model",
    "uv_spec",
]

# public names load lazily: the CLI imports this package without paying for sympy
_WHERE = {
    "_cli": ("COMMANDS",),
    "_algebra": (
        "dot",
        "inner_symbol",
        "inner_symbols_in",
        "symbol_words",
        "pretty_inner",
    ),
    "_cache": ("derive",),
    "_derive_model": (
        "ENGINE_VERSION",
        "derive_uncached",
        "spec_key",
    ),
    "_scaling": ("Scaling",),
    "_stepkind": ("StepKind", "step_from_flags"),
    "_numeric": ("KernelSpec", "NumericModel"),
    "_numeric_cache": ("builtin_numeric", "numeric_from_declaration"),
    "_builtins": ("BUILTIN", "builtin_model", "builtin_spec"),
    "_predictions": ("COMPARED_WITH", "Prediction"),
    "_cycles": ("ETA_HAT", "ScalarDynamics", "TwoCycle", "scalar_dynamics"),
    "_model_cli": ("load_spec", "model_options", "resolve_model"),
    "_serialize": ("spec_from_json", "spec_to_json"),
    "_edges_numeric": ("EdgeFunctions", "edges_c"),
    "_steprule": (
        "BETA",
        "KAPPA",
        "StepRule",
    ),
    "_boundaries": (
        "LAM0",
        "C",
        "ScalarBoundaries",
        "derive_scalar_boundaries",
    ),
    "_derive": (
        "GramDerivation",
        "NotClosedError",
        "derive_gram",
        "inner_symbols_in",
    ),
    "_model": (
        "LAM",
        "F",
        "Model",
        "full_model",
        "uv_model",
    ),
    "_project": (
        "Projection",
        "project",
    ),
    "_render": (
        "parse_expr",
        "report",
        "to_json",
        "to_latex",
        "to_text",
    ),
    "_render_steps": (
        "ReadableDerivation",
        "readable_derivation",
    ),
    "_spec": (
        "ETA",
        "WIDTH",
        "ModelSpec",
    ),
    "_specs": (
        "deep_linear_spec",
        "full_spec",
        "full_unit_spec",
        "uv_spec",
    ),
}
__getattr__, __dir__ = attach(__name__, _WHERE)
