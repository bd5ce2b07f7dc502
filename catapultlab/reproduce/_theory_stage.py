"""Stage a: derive the uv model and a small full model; write LaTeX, JSON and text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sympy as sp

from catapultlab.io import atomic_write_text
from catapultlab.reproduce._common import Number

__all__ = ["run_theory", "derived_predictions"]


def derived_predictions() -> dict[str, float]:
    """Numbers the theory layer predicts, computed from the derived uv model.

    Keys: ``c_lazy_catapult`` and ``c_catapult_divergent`` (boundaries times
    ``lambda_0``), ``peak_loss_exponent`` (``2 a`` for the width scaling ``f = n^a g``),
    ``lazy_dlam_exponent`` (largest power of ``n`` in ``lambda' - lambda`` at fixed
    ``f``), and ``tpeak_slope(c)`` is returned by :func:`tpeak_slope`.
    """
    from catapultlab.theory import LAM, LAM0, WIDTH, uv_model

    m = uv_model()
    b = {k: float(sp.simplify(v * LAM0)) for k, v in m.boundaries.items()}
    a = m.scaling.output_exponent
    dlam = sp.expand(m.maps[LAM] - LAM)
    exps = {sp.powsimp(t, force=True).as_coeff_exponent(WIDTH)[1] for t in sp.Add.make_args(dlam)}
    return {
        "c_lazy_catapult": b["lazy_catapult"],
        "c_catapult_divergent": b["catapult_divergent"],
        "peak_loss_exponent": float(2 * a),
        "lazy_dlam_exponent": float(max(exps)),
    }


def tpeak_slope(c: float) -> float:
    """``d t_catapult / d ln n`` at ``c``, from the derived leading-order catapult time."""
    from catapultlab.theory import WIDTH, C, uv_model

    t = uv_model().catapult_time
    return float(sp.diff(t, WIDTH).subs(C, c) * WIDTH)


def run_theory(cfg: dict[str, Any], out: Path, echo: Any) -> dict[str, Any]:
    """Derive, write ``theory/*.tex|json|txt`` and return the stage result."""
    from catapultlab.theory import full_model, to_json, to_latex, to_text, uv_model

    d = out / "theory"
    d.mkdir(parents=True, exist_ok=True)
    sec = cfg["theory"]
    models = [("uv", lambda: uv_model())]
    dm = (sec["full_inputs"], sec["full_samples"])
    models.append((f"full_d{dm[0]}_m{dm[1]}", lambda: full_model(*dm)))
    files = []
    for name, make in models:
        echo(f"  deriving {name} ...")
        m = make()
        for ext, render in (("tex", to_latex), ("json", to_json), ("txt", to_text)):
            atomic_write_text(d / f"{name}.{ext}", render(m) + "\n")
            files.append(f"theory/{name}.{ext}")
    p = derived_predictions()
    src = "derived by catapultlab.theory (uv model)"
    numbers = [
        Number.make(
            "theory.c_lazy_catapult",
            "derived lazy/catapult boundary c",
            p["c_lazy_catapult"],
            source=src,
        ),
        Number.make(
            "theory.c_catapult_divergent",
            "derived catapult/divergent boundary c",
            p["c_catapult_divergent"],
            source=src,
        ),
        Number.make(
            "theory.peak_loss_exponent",
            "derived exponent of n in the peak loss",
            p["peak_loss_exponent"],
            source=src,
        ),
        Number.make(
            "theory.lazy_dlam_exponent",
            "derived exponent of n in lambda' - lambda",
            p["lazy_dlam_exponent"],
            source=src,
        ),
    ]
    return {
        "files": files,
        "figures": [],
        "numbers": [x.to_dict() for x in numbers],
        "latex": {name: f"theory/{name}.tex" for name, _ in models},
    }
