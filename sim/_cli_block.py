"""``simulate full --block``: the full model at any size through its block map, GD or SGD.

The data are the full model's default inputs (:func:`catapultlab.sim._setup.default_inputs`,
rows drawn from ``--data-seed``) with every label ``--y``; ``--batch B --sampling RULE``
draw SGD batches by the one rule of :mod:`catapultlab.batches`. One trajectory per
``--seed`` (``--ensemble`` of them), each reported with its full-batch loss, ``lambda_t``,
divergence, and its loss spikes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.sim._block_sweep_out import PER_C

__all__ = ["block_sweep", "block_trajectories", "check_block_request", "parse_batches"]


def check_block_request(choice: Any, batch: Any, samples: int, exact: bool, schedule: Any) -> None:
    """Refuse what the block path does not run, in one line, before any compute."""
    from catapultlab.theory import BlockSpec

    if choice[0] != "full" and not isinstance(choice[0], BlockSpec):
        raise CatapultError(
            "--block runs the full model or a --spec returning a BlockSpec (matrices on the inputs)"
        )
    if exact or schedule.kind != "constant":
        raise CatapultError("--block conflicts with --exact and with learning-rate schedules")
    if batch is not None:
        batch.check(samples)


def block_trajectories(
    choice: Any,
    *,
    inputs: int,
    samples: int,
    y: float,
    data_seed: int,
    n: float,
    c: float,
    steps: int,
    seed: int,
    ensemble: int,
    batch: Any,
    user: Any = None,
) -> dict[str, Any]:
    """Run ``ensemble`` block-map trajectories; the JSON document of ``simulate --block``.

    At ``n = inf`` (the limit law, :mod:`catapultlab.sim._block_limit`) each run's ``loss``
    is the kernel regime's, and ``rescaled_loss``, ``growth`` and ``entry_step`` describe
    the rescaled orbit from its entry.
    """
    from catapultlab.sim._block_run import check_block_memory, run_block
    from catapultlab.theory import StepRule

    rule = StepRule(choice[1].kind, choice[1].weight_decay)
    numeric, hyper = block_numeric_of(choice), choice[2]
    X, Y = block_data(inputs, samples, y, data_seed, user)
    samples, inputs = X.shape
    check_block_memory(numeric, samples, inputs, 1)
    runs = []
    for k in range(int(ensemble)):
        r = run_block(
            numeric, X, Y, n=n, c=c, steps=steps, batch=batch, seed=seed + k, **dict(hyper)
        )
        runs.append(_run_json(r))
    from catapultlab.sim._limit import width_label

    return {
        "model": f"{numeric.name} (block map)",
        "inputs": inputs,
        "samples": samples,
        "outputs": 1,
        "n": width_label(n),
        "c": c,
        "step_rule": rule.label,
        "batch": runs[0]["batch"],
        "runs": runs,
    }


def _run_json(r: Any) -> dict[str, Any]:
    def clean(values: np.ndarray) -> list[float | None]:
        return [float(v) if np.isfinite(v) else None for v in values]

    doc = {
        "eta": r.eta,
        "lam0": r.lam0,
        "batch": r.batch,
        "diverged": r.diverged,
        "loss_rose": r.rose,
        "loss": clean(r.losses),
        "lam": clean(r.lam),
        "spikes": list(r.spikes),
    }
    if r.rescaled_losses is not None or np.isfinite(r.growth):  # n = inf: the limit law's
        rescaled = r.rescaled_losses if r.rescaled_losses is not None else np.zeros(0)
        doc |= {"growth": float(r.growth), "entry_step": r.entry_step,
                "rescaled_loss": clean(rescaled)}  # fmt: skip
    return doc


def block_numeric_of(choice: Any) -> Any:
    """The printed block map of the chosen model: ``full`` or a declared BlockSpec."""
    from catapultlab.theory import StepRule, block_map, full_block_map

    source, step, _ = choice
    rule = StepRule(step.kind, step.weight_decay)
    bm = full_block_map(rule) if source == "full" else block_map(source, rule)
    return bm.numeric()


def block_data(
    inputs: int, samples: int, y: float, data_seed: int, user: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, Y)`` of a block run: ``--x``/``--labels`` where given, else the defaults."""
    from catapultlab.sim._setup import default_inputs

    x = getattr(user, "x", None)
    labels = getattr(user, "labels", None)
    if x is None:
        m = samples if labels is None else labels.size
        x = default_inputs(m, inputs, data_seed)
    Y = np.full((x.shape[0], 1), float(y)) if labels is None else labels.reshape(-1, 1)
    return np.asarray(x, dtype=float), np.asarray(Y, dtype=float)


def parse_batches(text: str | None, samples: int, sampling: str = "shuffle") -> list[Any]:
    """``--batch B1,B2,...`` (``full`` for full-batch GD) as batch rules, checked against m."""
    from catapultlab.batches import BatchRule

    if text is None:
        return [None]
    out: list[Any] = []
    for part in text.split(","):
        if part.strip() == "full":
            out.append(None)
            continue
        try:
            size = int(part)
        except ValueError:
            raise CatapultError(f"bad --batch {text!r}; use B1,B2,... or full") from None
        out.append(BatchRule(size, sampling))
    for rule in out:
        if rule is not None:
            rule.check(samples)
    return out


def block_sweep(
    choice: Any,
    *,
    inputs: int,
    samples: int,
    y: float,
    data_seed: int,
    widths: tuple[float, ...],
    c: tuple[float, ...],
    batches: list[Any],
    ensemble: int,
    steps: int,
    seed: int,
    user: Any = None,
) -> dict[str, Any]:
    """``sweep full --block``: per (n, B) the outcome fractions over c and c_loss, c_max."""
    from catapultlab.sim._block_edges import block_edges
    from catapultlab.sim._block_run import check_block_memory
    from catapultlab.sim._limit import width_label

    numeric, hyper = block_numeric_of(choice), choice[2]
    X, Y = block_data(inputs, samples, y, data_seed, user)
    samples, inputs = X.shape
    check_block_memory(numeric, samples, inputs, 1)
    cells, bounds = [], []
    for n in widths:
        for rule in batches:
            e = block_edges(numeric, X, Y, n=n, c=np.asarray(c), runs=ensemble, steps=steps,
                            batch=rule, seed=seed, **dict(hyper))  # fmt: skip
            for i, ci in enumerate(e.c):
                cells.append(
                    {"n": width_label(n), "batch": e.batch, "c": float(ci)}
                    | {k: _finite(getattr(e, k)[i]) for k in PER_C}
                )
            edges = [("c_loss", e.c_loss), ("c_max", e.c_max)]
            edges += [] if e.c_grow is None else [("c_grow", e.c_grow)]
            bounds.append(
                {"n": width_label(n), "batch": e.batch}
                | {k: [_finite(v) for v in (b.estimate, b.low, b.high)] for k, b in edges}
            )
    return {
        "model": f"{numeric.name} (block map)",
        "inputs": inputs,
        "samples": samples,
        "ensemble": ensemble,
        "steps": steps,
        "cells": cells,
        "boundaries": bounds,
    }


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
