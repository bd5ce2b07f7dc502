"""Run the stages with caching and write the report."""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catapultlab import CatapultError
from catapultlab.checks import check_output_dir
from catapultlab.io import atomic_write_text
from catapultlab.reproduce._config import PRESETS, preset, run_config, stage_hash

__all__ = ["STAGES", "reproduce", "package_versions"]

STAGES: tuple[str, ...] = ("theory", "sim", "validate")

PACKAGES = (
    "catapultlab",
    "numpy",
    "scipy",
    "sympy",
    "numba",
    "jax",
    "jaxlib",
    "xarray",
    "matplotlib",
    "scikit-learn",
)


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages the run uses."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for p in PACKAGES:
        try:
            out[p] = version(p)
        except PackageNotFoundError:
            out[p] = None
    return out


def _runner(stage: str) -> Callable[..., dict[str, Any]]:
    if stage == "theory":
        from catapultlab.reproduce._theory_stage import run_theory

        return run_theory
    if stage == "sim":
        from catapultlab.reproduce._sim_stage import run_sim

        return run_sim
    from catapultlab.reproduce._validate_stage import run_validate

    return run_validate


def _cached(out: Path, stage: str, h: str) -> dict[str, Any] | None:
    marker = out / ".stages" / f"{stage}.json"
    if not marker.is_file():
        return None
    try:
        done = json.loads(marker.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # a torn marker reruns its stage
    if not isinstance(done, dict) or done.get("hash") != h or "result" not in done:
        return None
    result = done["result"]
    needed = list(result.get("files", []))
    needed += [
        f"figures/{f['name']}.{ext}" for f in result.get("figures", []) for ext in ("png", "pdf")
    ]
    if not all((out / p).is_file() for p in needed):
        return None
    return result


def _run_or_reuse(
    stage: str,
    label: str,
    cfg: dict[str, Any],
    run_cfg: Callable[[], dict[str, Any]],
    out: Path,
    force: bool,
    echo: Callable[[str], None],
) -> tuple[dict[str, Any], float | None]:
    """One stage's result: reused from its cache marker, or run; and its run time."""
    h = stage_hash(cfg, stage)
    hit = None if force else _cached(out, stage, h)
    if hit is not None:
        echo(f"{label}: cached (config hash {h}), skipped")
        return hit, None
    echo(f"{label}: running ...")
    t0 = time.perf_counter()
    result = _runner(stage)(run_cfg(), out, echo)
    seconds = time.perf_counter() - t0
    result["seconds"] = seconds
    marker = out / ".stages" / f"{stage}.json"
    atomic_write_text(marker, json.dumps({"hash": h, "result": result}, indent=1))
    echo(f"{label}: done in {seconds:.1f} s")
    return result, seconds


def reproduce(
    out: str | os.PathLike[str],
    *,
    preset_name: str = "default",
    force: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run (or reuse) every stage and write the report into ``out``.

    Args:
        out: output directory (created).
        preset_name: ``quick``, ``default`` or ``full``.
        force: rerun every stage even when its cache marker matches.
        echo: where progress lines go.

    Returns:
        ``{"numbers": [...], "figures": [...], "timings": {...}, "cached": [...]}``.
    """
    from catapultlab.reproduce._report import write_report

    if preset_name not in PRESETS:
        raise CatapultError(f"unknown preset {preset_name!r}; choose one of {', '.join(PRESETS)}")
    out = check_output_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / ".stages").mkdir(exist_ok=True)
    cfg = preset(preset_name)
    run_cfg = functools.cache(lambda: run_config(cfg))  # c values from the derived edges
    results: dict[str, dict[str, Any]] = {}
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    for i, stage in enumerate(STAGES):
        label = f"[{i + 1}/{len(STAGES) + 1}] {stage}"
        results[stage], seconds = _run_or_reuse(stage, label, cfg, run_cfg, out, force, echo)
        if seconds is not None:
            timings[stage] = seconds
    echo(f"[{len(STAGES) + 1}/{len(STAGES) + 1}] report: writing ...")
    config = {
        "config": cfg,
        "run_config": run_cfg(),
        "stage_hashes": {s: stage_hash(cfg, s) for s in STAGES},
        "versions": package_versions(),
    }
    atomic_write_text(out / "config.json", json.dumps(config, indent=2) + "\n")
    summary = write_report(out, cfg, results, config)
    elapsed = time.perf_counter() - t_all
    echo(f"report: {out / 'report.md'} and {out / 'report.html'} ({elapsed:.1f} s)")
    cached = [s for s in STAGES if s not in timings]
    return summary | {"timings": timings, "cached": cached}
