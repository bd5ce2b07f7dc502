"""The embedded configurations of ``catapultlab reproduce`` (quick, default, full).

Every value the pipeline uses is here; ``config.json`` in the output directory
records the exact dictionary (plus package versions, and ``run_config``: the same with
every learning rate resolved), and each stage's cache
marker stores a hash of its own section and of the package source, so that editing
one section reruns only that stage and any code change reruns them all.

Learning rates are written in units of the derived edges
(:mod:`catapultlab.reproduce._edge_units`): ``times(LAZY, 0.75)`` is three quarters of
the lazy/catapult edge, ``spaced(DIVERGENT, 0.75, 1.25, 41)`` a grid across the
catapult/divergent edge. :func:`run_config` resolves them from the derived model when a
run starts (with the uv edges 2 and 4 they are the grids the study has always used).
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from catapultlab.reproduce._edge_units import resolved, spaced, times
from catapultlab.reproduce._predictions import DIVERGENT, LAZY, edges

__all__ = ["PRESETS", "preset", "run_config", "stage_hash"]

_QUICK: dict[str, Any] = {
    "preset": "quick",
    "seed": 0,
    "theory": {"full_inputs": 2, "full_samples": 2},
    "sim": {
        # uv phase diagram, label y = 0
        "diagram_c": spaced(DIVERGENT, 0.0625, 1.25, 39),
        "diagram_n": [16, 64, 256, 1024, 4096],
        "diagram_y": 0.0,
        "ensemble": 64,
        "steps": 1500,
        "bootstrap": 200,
        # one trajectory per phase
        "single_n": 1024,
        # lazy at 3/4 of the lazy edge (|1 - c| = 0.5 at edge 2: decays over ~30 steps;
        # half the edge would converge in one step), a catapult whose spike is visible, a
        # divergent run (clipped in the plot)
        "single_c": {
            "lazy": times(LAZY, 0.75),
            "catapult": times(DIVERGENT, 0.75),
            "divergent": times(DIVERGENT, 1.125),
        },
        "single_steps": 60,
        # finite-width divergent boundary for y != 0
        "finite_y": 1.0,
        "finite_c": spaced(DIVERGENT, 0.75, 1.25, 41),
        "finite_n": [4, 8, 16, 64, 256, 1024],
        "finite_ensemble": 64,
        # label collapse: c_divergent at fixed y / sqrt(n) (y = ytilde sqrt(n) per width)
        "collapse_ytilde": 0.125,
        "collapse_n": [64, 256, 1024, 4096],
        # peak loss and t_peak vs n at fixed catapult c
        "scaling_c": times(DIVERGENT, 0.75),
        "scaling_n": [100, 316, 1000, 3162, 10000, 31623, 100000],
        "scaling_ensemble": 64,
        "lazy_c": times(LAZY, 0.5),
    },
    "validate": {
        "dataset": "digits",
        # network grids: multiples of the lazy edge (c / c_lazy = eta / eta_critical)
        "relu": {
            "depth": 1,
            "width": 64,
            "c_values": times(LAZY, [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0]),
            "steps": 40,
            "train_size": 128,
            "test_size": 256,
            "bisect": 1,
            "measure_count": 8,
        },
        "linear": {
            "depth": 1,
            "width": 64,
            "c_values": times(LAZY, [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0]),
            "steps": 40,
            "train_size": 128,
            "test_size": 256,
            "bisect": 1,
            "measure_count": 8,
        },
        "linear_map": {
            "width": 64,
            "samples": 2,
            "inputs": 2,
            "c": [times(LAZY, 0.5), times(DIVERGENT, 0.75)],
            "steps": 30,
        },
    },
}

_DEFAULT: dict[str, Any] = copy.deepcopy(_QUICK)
_DEFAULT["preset"] = "default"
_DEFAULT["sim"].update(
    diagram_c=spaced(DIVERGENT, 0.025, 1.25, 99),
    diagram_n=[16, 64, 256, 1024, 4096, 16384, 65536],
    ensemble=256,
    steps=4000,
    bootstrap=500,
    single_n=4096,
    single_steps=80,
    finite_c=spaced(DIVERGENT, 0.75, 1.25, 101),
    finite_n=[4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384],
    finite_ensemble=256,
    collapse_n=[64, 256, 1024, 4096, 16384, 65536],
    scaling_n=[100, 316, 1000, 3162, 10000, 31623, 100000, 316228, 1000000],
    scaling_ensemble=256,
)
_DEFAULT["validate"]["relu"].update(
    depth=2,
    width=256,
    c_values=times(LAZY, [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]),
    steps=120,
    train_size=256,
    test_size=360,
    bisect=2,
    measure_count=16,
)
_DEFAULT["validate"]["linear"].update(
    width=256,
    c_values=times(LAZY, [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]),
    steps=120,
    train_size=256,
    test_size=360,
    bisect=3,
    measure_count=16,
)
_DEFAULT["validate"]["linear_map"].update(
    width=256, c=[times(LAZY, 0.5), times(DIVERGENT, 0.75), times(DIVERGENT, 0.95)], steps=60
)
# sections the quick preset leaves out (its nets are too small for them, and it must stay
# fast); a section with "conclusive": False would print its numbers without verdicts
_DEFAULT["validate"]["eos"] = {  # docs/eos.md's configuration, 800 instead of 3000 steps
    "conclusive": True,
    "param": "standard",
    "act": "tanh",
    "depth": 2,
    "width": 128,
    "c_values": times(LAZY, [0.5, 0.95]),
    "steps": 800,
    "train_size": 512,
    "test_size": 360,
    "bisect": 0,
    "measure_count": 12,
    "late_count": 20,
}
_DEFAULT["validate"]["momentum"] = {
    "conclusive": True,
    "betas": [0.5, 0.9],
    "act": "relu",
    "depth": 2,
    "width": 128,
    "c_values": times(LAZY, [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]),
    "steps": 100,
    "train_size": 256,
    "test_size": 360,
    "bisect": 2,
    "measure_count": 10,
}
_DEFAULT["validate"]["scan"] = {
    "conclusive": True,
    "depths": [1, 2],
    "widths": [64, 128],
    "c_values": times(LAZY, [0.5, 2.5, 4.5, 6.5, 8.5, 10.5, 12.5, 16.5]),
    "steps": 60,
    "train_size": 256,
    "test_size": 360,
    "bisect": 1,
    "measure_count": 8,
}

_DEFAULT["validate"]["late_time"] = {  # progressive sharpening to the edge, beside the map
    "map_f0": 0.01,
    "map_lam0": 0.3,
    "map_c": [0.03, 0.4, 186],  # c = eta lam0: eta from 0.1 to 1.33 (period 2 from eta = 1)
    "transient": 4000,
    "act": "linear",
    "depth": 1,
    "width": 32,
    "init_scale": 0.3,
    "net_c": [0.1, 0.4, 0.7, 1.0, 1.3, 1.6, 1.9, 2.2],
    "steps": 600,
    "late_window": 32,
    "train_size": 128,
    "test_size": 128,
}
_DEFAULT["validate"]["sgd"] = {  # SGD catapults: networks and the block map, same batches
    "c": 2.5,
    "width": 1024,
    "steps": 300,
    "seeds": 8,
    "batches": [16, 64, 256],  # 256 = the training set: full batch
    "train_size": 256,
    "test_size": 64,
    "step_width": 256,
    "step_batch": 32,
    "step_steps": 25,
}
_DEFAULT["validate"]["warmup"] = {  # largest trainable c under linear warmup
    "T": [1, 10, 100],
    "c": [2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 14.0, 20.0, 28.0, 40.0, 56.0, 80.0, 112.0],
    "map_n": 1024,
    "map_ensemble": 512,
    "steps": 3000,
    "act": "relu",
    "depth": 2,
    "width": 128,
    "net_steps": 300,
    "train_size": 256,
    "test_size": 128,
    "bisect": 2,
}

_FULL: dict[str, Any] = copy.deepcopy(_DEFAULT)
_FULL["preset"] = "full"
_FULL["theory"].update(full_inputs=3, full_samples=3)
_FULL["sim"].update(
    diagram_c=spaced(DIVERGENT, 0.0125, 1.25, 199),
    diagram_n=[16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
    ensemble=2048,
    steps=20000,
    bootstrap=1000,
    finite_c=spaced(DIVERGENT, 0.75, 1.25, 201),
    finite_ensemble=2048,
    scaling_ensemble=2048,
)
_FULL["validate"]["relu"].update(
    depth=3,
    width=2048,
    c_values=times(
        LAZY, [0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 12.0, 16.0]
    ),
    steps=500,
    train_size=None,
    test_size=None,
    bisect=4,
    measure_count=40,
)
_FULL["validate"]["linear"].update(
    width=2048, steps=500, train_size=None, test_size=None, bisect=4, measure_count=40
)
_FULL["validate"]["linear_map"].update(width=2048, samples=3, inputs=3, steps=100)
_FULL["validate"]["eos"].update(steps=3000, late_count=40)  # docs/eos.md's full run

PRESETS: dict[str, dict[str, Any]] = {"quick": _QUICK, "default": _DEFAULT, "full": _FULL}


def preset(name: str) -> dict[str, Any]:
    """A deep copy of the named configuration (``quick``, ``default`` or ``full``)."""
    return copy.deepcopy(PRESETS[name])


def run_config(config: dict[str, Any]) -> dict[str, Any]:
    """The configuration a run uses: every learning rate in ``c``, from the derived edges.

    The stage hash is of the declared configuration (:func:`stage_hash`); the edges come
    from the code, which the hash covers too.
    """
    return resolved(config, edges())


def stage_hash(config: dict[str, Any], stage: str) -> str:
    """Hash of what a stage depends on: its own section, the seed and the code."""
    from catapultlab.cache import code_version

    part = {"seed": config["seed"], stage: config.get(stage), "code": code_version()}
    return hashlib.sha256(json.dumps(part, sort_keys=True).encode()).hexdigest()[:16]
