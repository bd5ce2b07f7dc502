"""The built-in models by name: ``uv`` and ``full``, declared in one place.

``full`` is derived with its ``d = m = 1`` restriction (:func:`full_unit_spec`), whose
large-``|f|`` growth edge stands in for the full model's (marked as such in its notes).
"""

from __future__ import annotations

from typing import Any

from catapultlab import CatapultError
from catapultlab.theory._stepkind import StepKind

__all__ = ["BUILTIN", "FULL_DEFAULT_SIZE", "builtin_spec", "builtin_model", "check_builtin"]

BUILTIN = ("uv", "full")
"""Names of the built-in models."""

FULL_DEFAULT_SIZE = (2, 2)
"""``(d, m)`` of ``full`` when a command is given no ``--inputs``/``--samples`` (every
command: derive, simulate, sweep, so that one name means one model)."""


def check_builtin(name: str, inputs: int = 0, samples: int = 0) -> None:
    """Refuse an unknown built-in name or bad ``full`` sizes (one line)."""
    if name not in BUILTIN:
        raise CatapultError(
            f"unknown model {name!r}; choose one of {', '.join(BUILTIN)} or pass --spec "
            "FILE.py:FUNC"
        )
    if name == "full":
        from catapultlab.checks import check_full_model_size

        if inputs < 1 or samples < 1:
            raise CatapultError("full model needs inputs >= 1 and samples >= 1")
        check_full_model_size(inputs, samples)


def builtin_spec(
    name: str, step: StepKind | None = None, *, inputs: int = 0, samples: int = 0
) -> tuple[Any, Any]:
    """The declaration of a built-in model, and the restriction it is derived with.

    Args:
        name: ``"uv"`` or ``"full"``.
        step: the step rule (plain GD by default).
        inputs: input dimension d (``"full"``).
        samples: sample count m (``"full"``).

    Returns:
        ``(spec, restriction)``; the restriction is ``None`` for ``uv``.

    Example:
        >>> spec, restriction = builtin_spec("full", inputs=2, samples=1)
        >>> spec.vectors, restriction.name
        (('u1', 'u2', 'v'), 'full_d1_m1')
    """
    from catapultlab.theory._specs import full_spec, full_unit_spec, uv_spec
    from catapultlab.theory._steprule import StepRule

    check_builtin(name, inputs, samples)
    rule = StepRule() if step is None else StepRule(step.kind, step.weight_decay)
    if name == "uv":
        return uv_spec(rule), None
    return full_spec(int(inputs), int(samples), step=rule), full_unit_spec()


def builtin_model(
    name: str, step: StepKind | None = None, *, inputs: int = 0, samples: int = 0
) -> Any:
    """The derived built-in model (:func:`builtin_spec`, through the model cache)."""
    from catapultlab.theory._cache import derive

    spec, restriction = builtin_spec(name, step, inputs=inputs, samples=samples)
    return derive(spec, restriction=restriction)
