"""The declared models: ``uv``, ``full`` (d inputs, m samples) and a deep linear net."""

from __future__ import annotations

import sympy as sp

from catapultlab import CatapultError
from catapultlab.theory._algebra import inner_symbol
from catapultlab.theory._spec import WIDTH, ModelSpec
from catapultlab.theory._steprule import StepRule

__all__ = [
    "uv_spec",
    "full_spec",
    "full_unit_spec",
    "deep_linear_spec",
    "data_symbols",
    "label_symbols",
]

Y = sp.Symbol("y", real=True)


def uv_spec(step: StepRule | None = None) -> ModelSpec:
    """The uv model: ``f = v.u / sqrt(n)``, one sample ``(x, y) = (1, y)``.

    Args:
        step: the step rule (plain GD by default).
    """
    f = inner_symbol(("u",), ("v",)) / sp.sqrt(WIDTH)
    return ModelSpec(
        name="uv",
        vectors=("u", "v"),
        outputs=(f,),
        targets=(Y,),
        description="f = v.u / sqrt(n), u, v in R^n, one sample (x, y) = (1, y)",
        step=step or StepRule(),
    )


def data_symbols(inputs: int, samples: int) -> sp.Matrix:
    """The ``m x d`` matrix of input symbols ``x_a_i``."""
    return sp.Matrix(samples, inputs, lambda a, i: sp.Symbol(f"x_{a + 1}_{i + 1}", real=True))


def label_symbols(samples: int) -> tuple[sp.Symbol, ...]:
    """The label symbols ``y_a``."""
    return tuple(sp.Symbol(f"y_{a + 1}", real=True) for a in range(samples))


def full_spec(inputs: int, samples: int, step: StepRule | None = None) -> ModelSpec:
    """Two-layer linear net ``f(x) = v^T U x / sqrt(n d)``, ``U = [u_1 .. u_d]``, m samples.

    Args:
        inputs: input dimension d >= 1.
        samples: number of training samples m >= 1.
        step: the step rule (plain GD by default).
    """
    if not isinstance(inputs, int) or inputs < 1:
        raise CatapultError(f"--inputs must be an integer >= 1, got {inputs!r}")
    if not isinstance(samples, int) or samples < 1:
        raise CatapultError(f"--samples must be an integer >= 1, got {samples!r}")
    X = data_symbols(inputs, samples)
    us = tuple(f"u{i + 1}" for i in range(inputs))
    scale = sp.sqrt(WIDTH * inputs)
    outputs = tuple(
        sp.Add(*(X[a, i] * inner_symbol(("v",), (us[i],)) for i in range(inputs))) / scale
        for a in range(samples)
    )
    return ModelSpec(
        name="full",
        vectors=us + ("v",),
        outputs=outputs,
        targets=label_symbols(samples),
        data=tuple(X),
        description=f"f(x) = v^T U x / sqrt(n d), U in R^(n x {inputs}), v in R^n, "
        f"{samples} samples",
        step=step or StepRule(),
    )


def full_unit_spec(step: StepRule | None = None) -> ModelSpec:
    """The full model's scalar restriction: ``d = m = 1`` with the input ``x = 1``.

    Its large-|f| growth edge stands in for the full model's (marked as such).
    """
    spec = full_spec(1, 1, step=step)
    (x,) = spec.data
    return ModelSpec(
        name="full_d1_m1",
        vectors=spec.vectors,
        outputs=tuple(f.subs(x, 1) for f in spec.outputs),
        targets=spec.targets,
        description="d = m = 1, x = 1 of the full model",
        step=spec.step,
    )


def deep_linear_spec() -> ModelSpec:
    """Three-layer linear net ``f = v^T W u / n`` with a width-n x width-n matrix W.

    GD moves ``u`` along ``W^T v`` and ``v`` along ``W u``, and ``W`` by ``v u^T``, so
    the words ``W u, W^T v, W W^T v, ...`` keep appearing: no finite Gram state closes.
    """
    f = inner_symbol(("v",), ("W", "u")) / WIDTH
    return ModelSpec(
        name="deep_linear",
        vectors=("u", "v"),
        matrices=("W",),
        outputs=(f,),
        targets=(Y,),
        description="f = v^T W u / n, u, v in R^n, W in R^(n x n), one sample",
    )
