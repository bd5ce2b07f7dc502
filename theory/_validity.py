"""The regime each derived edge and the catapult time hold in, stated from the model's scaling.

The edges and the catapult time are derived about the init's fixed point and the
linear phase that leaves it. They hold as ``n -> oo`` with the labels below the
outputs' nonlinear scale, ``y / n^(b_f) -> 0`` (``b_f`` from the derived width scaling).
At a fixed ``y~ = y / n^(b_f)`` the label itself sits on the nonlinear scale and the
divergence edge moves (``derive`` gives ``c_div(y~)``): ``f = <u, v> / n`` at ``y = 1`` is
uv at ``y~ = 1``, which diverges near ``c = 2.47``, not 4.
"""

from __future__ import annotations

from typing import Any

__all__ = ["validity"]

_WHAT = {
    "lazy_catapult": "linear stability of the init, where the NTK stays at lam0",
    "loss_rises": "the linear phase about the init",
    "catapult_divergent": "the large-|f| growth of the scalar map, entered from the init",
}


def validity(model: Any) -> dict[str, str]:
    """Per boundary (and ``catapult_time``), the regime it holds in.

    Example:
        >>> from catapultlab.theory import uv_model
        >>> validity(uv_model())["catapult_divergent"].split(";")[0]
        'the large-|f| growth of the scalar map, entered from the init: n -> oo with y / n^(1/2) -> 0'
    """
    scaling = model.scaling
    if scaling is None or not scaling.exists:
        why = "no width scaling" if scaling is None else scaling.reason
        regime = f"the width-n maps only ({why}: no infinite-width regime)"
    else:
        regime = f"n -> oo with y / n^({scaling.output_exponent}) -> 0"
    out = {}
    for name, value in model.boundaries.items():
        if value is None:
            continue
        out[name] = f"{_WHAT.get(name, 'derived about the init')}: {regime}"
    if "catapult_divergent" in out and scaling is not None and scaling.exists:
        out["catapult_divergent"] += (
            f"; at fixed y~ = y / n^({scaling.output_exponent}) the edge moves with y~ "
            "(derive's c_div(y~))"
        )
    if model.catapult_time is not None:
        start = "" if scaling is None else f" from f ~ n^({scaling.output_init_exponent})"
        out["catapult_time"] = f"leading order in log n at fixed c, linear growth{start}: {regime}"
    return out
