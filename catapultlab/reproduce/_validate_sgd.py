"""Validate section on SGD catapults: real networks and the block map with the same batches.

* Step by step: the linear MLP and the full model's block map trained with SGD on the
  same batch sequence (:mod:`catapultlab.batches`), float64; the largest deviation of the
  outputs and of ``lambda_t`` (the map is exact: the deviation is rounding).
* Spike counts against the batch size ``B`` (a spike: the full-batch loss above twice its
  running minimum, :func:`catapultlab.phases.loss_spikes`) for the block map of the data,
  the linear MLP and a ReLU MLP, each over several inits, with bootstrap CIs; whether the
  count rises as ``B`` falls (Zhu et al., arXiv 2306.04815), and whether the map's count
  and the linear network's agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from catapultlab import plotting
from catapultlab.reproduce._common import Figure, Section, new_figure, save_figure, write_nc
from catapultlab.stats import Comparison

__all__ = ["sgd_section"]

WHO = ("map", "linear", "relu")
"""The three spike counters: the block map, the linear MLP, the ReLU MLP."""


def _data(cfg: dict[str, Any], sec: dict[str, Any]) -> Any:
    from catapultlab.validate import load_dataset

    return load_dataset(
        cfg["validate"]["dataset"], train_size=sec["train_size"], test_size=sec["test_size"],
        seed=cfg["seed"],
    )  # fmt: skip


def _step_by_step(cfg: dict[str, Any], sec: dict[str, Any], data: Any) -> Comparison:
    from catapultlab.batches import BatchRule
    from catapultlab.validate import compare_linear_network_with_map

    res = compare_linear_network_with_map(
        data.x_train, data.y_train[:, 0], width=sec["step_width"], c=sec["c"],
        steps=sec["step_steps"], seed=cfg["seed"], batch=BatchRule(sec["step_batch"]),
    )  # fmt: skip
    scale = max(float(np.abs(res.f_net).max()), 1.0)
    dev = max(
        float(np.abs(res.f_net - res.f_map).max()) / scale,
        float(np.max(np.abs(res.lam_net - res.lam_map) / np.abs(res.lam_net))),
    )
    return Comparison.make(
        "validate.sgd.step_by_step_deviation",
        f"linear MLP vs block map under SGD (B = {sec['step_batch']}, same batches): "
        "largest relative deviation of f and lambda_t",
        dev,
        predicted=0.0,
        relation="<=",
        tolerance=1e-8,
        source=f"the block map is exact; float64 rounding ({len(res.lam_net)} steps, "
        f"width {sec['step_width']}, first output)",
    )


def _map_counts(sec: dict[str, Any], data: Any, B: int, seeds: int) -> list[int]:
    from catapultlab.batches import BatchRule
    from catapultlab.sim import run_block
    from catapultlab.theory import full_block_map

    numeric = full_block_map().numeric()
    rule = BatchRule(B) if B < data.x_train.shape[0] else None
    return [
        len(run_block(numeric, data.x_train, data.y_train, n=sec["width"], c=sec["c"],
                      steps=sec["steps"], batch=rule, seed=k, lam_every=0,
                      spike_details=False).spikes)
        for k in range(seeds)
    ]  # fmt: skip


def _net_counts(sec: dict[str, Any], data: Any, act: str, B: int, seeds: int) -> list[int]:
    import jax
    import jax.numpy as jnp

    from catapultlab.phases import loss_spikes
    from catapultlab.validate import mlp, top_ntk_eigenvalue, train

    net = mlp(inputs=data.x_train.shape[1], outputs=data.y_train.shape[1], depth=1,
              width=sec["width"], act=act)  # fmt: skip
    x = jnp.asarray(data.x_train, jnp.float32)
    out = []
    for k in range(seeds):
        params = net.init(jax.random.PRNGKey(k), jnp.float32)
        eta = sec["c"] / float(top_ntk_eigenvalue(net.apply, params, x).value)
        res = train(net, params, data, eta=eta, steps=sec["steps"], batch_size=B, seed=k,
                    measure_count=2)  # fmt: skip
        out.append(len(loss_spikes(res.loss)))
    return out


def _mean_ci(counts: list[int], seed: int) -> tuple[float, float, float]:
    a = np.asarray(counts, dtype=float)
    rng = np.random.default_rng(seed)
    boots = rng.choice(a, (2000, a.size)).mean(axis=1)
    return float(a.mean()), float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))


def _counts(cfg: dict[str, Any], sec: dict[str, Any], data: Any) -> np.ndarray:
    """``(who, B, 3)``: mean spikes per run and its 95 % bootstrap CI."""
    out = np.zeros((len(WHO), len(sec["batches"]), 3))
    for j, B in enumerate(sec["batches"]):
        runs = {"map": _map_counts(sec, data, B, sec["seeds"])}
        for act in ("linear", "relu"):
            runs[act] = _net_counts(sec, data, act, B, sec["seeds"])
        for i, who in enumerate(WHO):
            out[i, j] = _mean_ci(runs[who], cfg["seed"])
    return out


def _rows(sec: dict[str, Any], counts: np.ndarray) -> list[Comparison]:
    rows = []
    Bs = sec["batches"]
    for i, who in enumerate(WHO):
        for j, B in enumerate(Bs):
            mean, lo, hi = counts[i, j]
            rows.append(Comparison.make(
                f"validate.sgd.spikes_{who}_B{B}", f"{who}: loss spikes per run at B = {B}",
                mean, ci_low=lo, ci_high=hi,
                source=f"{sec['seeds']} inits, c = {sec['c']}, {sec['steps']} steps, 95% "
                "bootstrap CI",
            ))  # fmt: skip
        rows.append(Comparison.make(
            f"validate.sgd.spikes_rise_as_B_falls_{who}",
            f"{who}: spikes at B = {Bs[0]} minus spikes at B = {Bs[-1]}",
            float(counts[i, 0, 0] - counts[i, -1, 0]), predicted=0.0, relation=">",
            source="Zhu et al. (arXiv 2306.04815): smaller batches give more spikes",
        ))  # fmt: skip
    for j, B in enumerate(Bs):
        se = float(np.hypot(*(counts[i, j, 2] - counts[i, j, 1] for i in (0, 1)))) / 3.92
        rows.append(Comparison.make(
            f"validate.sgd.spikes_linear_vs_map_B{B}",
            f"linear MLP spikes at B = {B} against its block map's", float(counts[1, j, 0]),
            uncertainty=se, predicted=float(counts[0, j, 0]), relation="=",
            source="the map of the same data at the network's width; s.e. from both CIs",
        ))  # fmt: skip
    return rows


@plotting.styled
def _draw(sec: dict[str, Any], counts: np.ndarray, out: Path) -> None:
    fig, ax = new_figure(1, 1, (6, 4))
    ax = ax[0, 0]
    Bs = np.asarray(sec["batches"], dtype=float)
    for i, who in enumerate(WHO):
        mean, lo, hi = counts[i].T
        ax.errorbar(Bs * (1 + 0.04 * (i - 1)), mean, yerr=[mean - lo, hi - mean], fmt="o-",
                    capsize=3, label={"map": "block map (linear model of the data)",
                                      "linear": "linear MLP", "relu": "ReLU MLP"}[who])  # fmt: skip
    ax.set(xscale="log", xlabel="batch size $B$", ylabel="loss spikes per run (95% CI)")
    ax.set_xticks(Bs, [f"{b:g}" for b in Bs])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    save_figure(fig, out, "sgd_spikes")


def sgd_section(cfg: dict[str, Any], out: Path) -> Section:
    """Step-by-step SGD agreement and spike counts against B (module docstring)."""
    import xarray as xr

    sec = cfg["validate"]["sgd"]
    data = _data(cfg, sec)
    counts = _counts(cfg, sec, data)
    ds = xr.Dataset(
        {"spikes": (("who", "batch", "stat"), counts)},
        coords={"who": list(WHO), "batch": sec["batches"], "stat": ["mean", "ci_low", "ci_high"]},
        attrs={"c": sec["c"], "steps": sec["steps"], "seeds": sec["seeds"], "width": sec["width"]},
    )
    written = write_nc(ds, out, "sgd_spikes")
    _draw(sec, counts, out)
    caption = (
        f"Loss spikes per run against the batch size at c = {sec['c']} ({sec['seeds']} inits, "
        f"{sec['steps']} steps, width {sec['width']}, {cfg['validate']['dataset']}): the block "
        "map of the data, the linear MLP (the same model) and a ReLU MLP (no closed model)."
    )
    rows = [_step_by_step(cfg, sec, data), *_rows(sec, counts)]
    return Section(rows, [Figure("sgd_spikes", caption, written)])
