"""Stage a: derive the uv model and a small full model; write LaTeX, JSON and text.

The stage's numbers are what the derived uv model predicts (its edges in ``c``, the
peak-loss exponent and the NTK's drift exponent), read off the one model every other
stage compares with (:mod:`catapultlab.reproduce._predictions`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from catapultlab.io import atomic_write_text
from catapultlab.reproduce._common import Section, stage_result
from catapultlab.reproduce._predictions import DIVERGENT, LAZY, edges, theory_model
from catapultlab.stats import Comparison

__all__ = ["run_theory", "derived_numbers"]

SOURCE = "derived by catapultlab.theory (uv model)"


def derived_numbers() -> list[Comparison]:
    """The uv model's derived edges and exponents, as report rows without a measurement."""
    model, edge = theory_model(), edges()
    rows = (
        ("c_lazy_catapult", "derived lazy/catapult boundary c", edge[LAZY]),
        ("c_catapult_divergent", "derived catapult/divergent boundary c", edge[DIVERGENT]),
        ("peak_loss_exponent", "derived exponent of n in the peak loss", model.peak_loss_exponent),
        (
            "lazy_dlam_exponent",
            "derived exponent of n in lambda' - lambda",
            model.ntk_drift_exponent,
        ),
    )
    return [Comparison.make(f"theory.{k}", words, v, source=SOURCE) for k, words, v in rows]


def _render(name: str, model: Any, directory: Path) -> list[str]:
    """Write ``<name>.tex|json|txt`` of a derived model; their paths below the output."""
    from catapultlab.theory import to_json, to_latex, to_text

    files = []
    for ext, render in (("tex", to_latex), ("json", to_json), ("txt", to_text)):
        atomic_write_text(directory / f"{name}.{ext}", render(model) + "\n")
        files.append(f"theory/{name}.{ext}")
    return files


def run_theory(cfg: dict[str, Any], out: Path, echo: Any) -> dict[str, Any]:
    """Derive, write ``theory/*.tex|json|txt`` and return the stage result."""
    from catapultlab.theory import full_model

    d = out / "theory"
    d.mkdir(parents=True, exist_ok=True)
    sec = cfg["theory"]
    dm = (sec["full_inputs"], sec["full_samples"])
    models = {"uv": theory_model, f"full_d{dm[0]}_m{dm[1]}": lambda: full_model(*dm)}
    files = []
    for name, make in models.items():
        echo(f"  deriving {name} ...")
        files += _render(name, make(), d)
    result = stage_result([Section(derived_numbers(), [])])
    return result | {"files": files, "latex": {name: f"theory/{name}.tex" for name in models}}
