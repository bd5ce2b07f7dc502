"""Learning-rate sweeps: phases and critical values of ``c = eta lambda_0``.

Protocol: build the network and data, initialise once (seeded), measure
``lambda_0`` (matrix-free, full training set) and ``L_0``; run one training per
``c`` on the grid (same initialisation and, for SGD, the same batch order), each
with ``eta = c / lambda_0``; then refine three boundaries by bisection between
neighbouring grid points (``bisect`` extra runs each; every bracket is finally
re-read from all the runs, so one boundary's bisection also narrows the others):

* ``c_loss``: smallest ``c`` whose loss ever exceeds ``L_0 (1 + rise_tol)``;
* ``c_sharp`` (Kalra & Barkeshli 2023): smallest ``c`` whose ``lambda_t`` ever rises
  above ``lambda_0 (1 + sharp_tol)`` (default 5%) at a measured step
  ``t <= sharp_window`` (default 50; early training only, because over a long run
  ``lambda`` can grow at any ``c`` -- progressive sharpening);
* ``c_max``: largest ``c`` that does not diverge within ``T`` steps.

Collapsed runs (an outcome of validate only, beside the shared phases): a run that
did not diverge but whose final ``lambda`` is at most ``collapse_tol * lambda_0``
(default ``1e-3``) has a dead network -- for a ReLU net without biases every
hidden unit is off, ``f = 0`` and the loss sits at ``|y|^2 / 2`` (below ``L_0``
when the initial outputs were large). The loss-only phase rule would call it a
catapult (its loss rose, then ended below ``L_0``), but nothing was catapulted:
such runs get ``phase="collapsed"`` and are left out of every catapult statistic.
They still count as "did not diverge" for ``c_max``.

Kalra & Barkeshli's *sharpness-reduction* phase (``lambda`` falls for ``c < c_loss``)
is measured as ``SweepResult.sharpness_reduction``: the largest early relative drop
``1 - min lambda_t / lambda_0`` over the runs below ``c_loss`` (flagged when above
``sharp_tol``).

Each reported boundary comes with the width of its final bracket as uncertainty.
A boundary the grid does not bracket has ``value=None`` and ``side="below"`` (the
criterion already holds at the smallest ``c``) or ``side="above"`` (it never holds).

Phase thresholds passed to :func:`catapultlab.phases.classify_losses`:
``diverge_loss = diverge_factor * L_0`` (default ``1e5 L_0``; non-finite losses also
count), ``converge_loss = L_0`` (converged = final loss below the initial loss),
``rise_tol = 1e-3`` for full-batch GD and ``5e-2`` for SGD (minibatch noise moves
the full-batch loss a little).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from catapultlab import CatapultError
from catapultlab.batches import BatchRule
from catapultlab.checks import range_count
from catapultlab.phases import PHASE_NAMES, Phase, classify_losses, is_collapsed, return_periods
from catapultlab.records import short_repr
from catapultlab.theory import Schedule
from catapultlab.validate._budget import (
    check_memory_budget,
    check_sweep_config,
    check_sweep_memory,
)
from catapultlab.validate._optim import OptimizerConfig
from catapultlab.validate._own_init import own_init_edges
from catapultlab.validate._own_model import INF_N, is_own_model, own_model_edges
from catapultlab.validate._train import SHARPNESS, TrainResult

__all__ = [
    "OUTCOMES",
    "SweepConfig",
    "RunSummary",
    "Boundary",
    "SweepResult",
    "run_sweep",
    "c_grid",
]

OUTCOMES: tuple[str, ...] = PHASE_NAMES
"""Run outcomes in code order: the shared phases (``collapsed`` among them: a dead network)."""


@dataclass(frozen=True)
class SweepConfig:
    """Everything that defines a sweep (stored as attributes of the results)."""

    __repr__ = short_repr

    arch: str = "mlp"
    act: str = "relu"
    depth: int = 3
    width: int = 512
    dataset: str = "digits"
    c_values: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0)
    steps: int = 200
    seed: int = 0
    batch_size: int | None = None
    train_size: int | None = 256
    test_size: int | None = 512
    dtype: str = "float32"
    param: str = "ntk"
    data_dir: str | None = None
    bisect: int = 3
    diverge_factor: float = 1e5
    rise_tol: float | None = None
    sharp_tol: float = 0.05
    sharp_window: int = 50
    collapse_tol: float = 1e-3
    measure_count: int = 16
    late_count: int = 0
    sharpness: str = "ntk"
    optimizer: str = "gd"
    momentum: float | None = None
    weight_decay: float = 0.0
    weight_decay_mode: str = "decoupled"
    schedule: str = "constant"
    late_window: int = 16
    init_scale: float = 1.0
    sampling: str = "shuffle"
    own_model_runs: int | None = None

    def optimizer_config(self) -> OptimizerConfig:
        """The optimizer of every run (raises :class:`CatapultError` on bad settings)."""
        return OptimizerConfig(
            name=self.optimizer,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            weight_decay_mode=self.weight_decay_mode,
        )

    def max_runs(self) -> int:
        """Most runs the sweep makes: the grid plus every bisection step of three boundaries."""
        return len(self.c_values) + 3 * self.bisect

    @property
    def effective_rise_tol(self) -> float:
        """``rise_tol`` or its default (1e-3 for GD, 5e-2 for SGD)."""
        if self.rise_tol is not None:
            return self.rise_tol
        return 1e-3 if self.batch_size is None else 5e-2


@dataclass(frozen=True)
class RunSummary:
    """Scalar summary of one run at one ``c``."""

    __repr__ = short_repr

    c: float
    eta: float
    phase: str
    final_loss: float
    max_loss_ratio: float
    lam_final: float | None
    min_lam_ratio: float
    train_acc: float | None
    test_acc: float | None
    steps_done: int
    rose: bool
    sharp_drop: bool
    sharp_rise: bool
    min_early_lam_ratio: float
    max_early_lam_ratio: float
    eta_ntk: tuple[tuple[int, float], ...] = ()
    eta_hessian: tuple[tuple[int, float], ...] | None = None
    eta_precond: tuple[tuple[int, float], ...] | None = None
    eta_ntk_final: float | None = None
    eta_hessian_final: float | None = None
    eta_precond_final: float | None = None
    loss_period: int | None = None
    lam_period: int | None = None
    eta_lam_band: tuple[float, float] | None = None


@dataclass(frozen=True)
class Boundary:
    """A critical ``c`` with the width of its final bracket.

    ``value`` is ``None`` when the grid does not bracket it; ``side`` then says
    whether it lies ``"below"`` the smallest or ``"above"`` the largest grid ``c``.
    ``lower`` says which end of the bracket ``value`` is (``c_max``: the largest run
    that did not diverge, the lower end; ``c_loss``: the first run whose loss rose).
    """

    __repr__ = short_repr

    value: float | None
    uncertainty: float | None
    side: str | None = None
    lower: bool = False

    @property
    def bracket(self) -> tuple[float, float] | None:
        """The final bracket ``(lo, hi)`` the boundary lies in (``None`` off the grid)."""
        if self.value is None or self.uncertainty is None:
            return None
        if self.lower:
            return self.value, self.value + self.uncertainty
        return self.value - self.uncertainty, self.value

    def describe(self, grid: tuple[float, ...]) -> str:
        """``"v +- u"`` (u the bracket width) or the out-of-grid side with the grid edge."""
        if self.value is not None:
            from catapultlab.stats import bracket_se

            se = bracket_se(self.uncertainty)
            return f"{self.value:.4g} ± {se:.2g} (one s.e.; bracket width {self.uncertainty:.2g})"
        if self.side == "below":
            return f"below the grid (< {min(grid):.4g})"
        return f"above the grid (> {max(grid):.4g})"


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep; ``runs`` and ``trajectories`` are sorted by ``c``."""

    __repr__ = short_repr

    config: SweepConfig
    network: str
    lam0: float
    lam0_residual: float
    loss0: float
    runs: tuple[RunSummary, ...]
    trajectories: tuple[TrainResult, ...] = field(repr=False)
    c_loss: Boundary
    c_sharp: Boundary
    c_max: Boundary
    sharpness_reduction: float | None = None
    own_model: Any = field(default=None, repr=False)
    own_model_inf: Any = field(default=None, repr=False)
    own_init: Any = field(default=None, repr=False)

    def _repr_html_(self) -> str:
        """Runs and the prediction-beside-measurement rows, as tables (for a notebook)."""
        from catapultlab.records import html_table
        from catapultlab.validate._report import comparison_table

        caption = f"{self.network} on {self.config.dataset}: lam0 = {self.lam0:.4g}"
        runs = [
            [r.c, r.phase, r.final_loss, r.max_loss_ratio, r.lam_final, r.test_acc]
            for r in self.runs
        ]
        heads = ["c", "phase", "final loss", "max loss / L0", "lam final", "test acc"]
        rows = [
            [c.key, c.measured, c.ci_low, c.ci_high, c.predicted, c.agrees]
            for c in comparison_table(self)
        ]
        compare = ["key", "measured", "CI low", "CI high", "predicted", "agrees"]
        return html_table(caption, heads, runs) + html_table("comparison", compare, rows)


def c_grid(spec: str) -> tuple[float, ...]:
    """Parse ``A:B[:STEP]`` into an increasing grid (default: 8 evenly spaced points).

    Raises:
        CatapultError: malformed, empty or reversed range, non-positive values.
    """
    parts = spec.split(":")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise CatapultError(f"bad --c range {spec!r}; expected A:B or A:B:STEP") from None
    if len(nums) not in (2, 3):
        raise CatapultError(f"bad --c range {spec!r}; expected A:B or A:B:STEP")
    a, b = nums[0], nums[1]
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0:
        raise CatapultError(f"bad --c range {spec!r}; c values must be positive and finite")
    if b <= a:
        raise CatapultError(f"empty or reversed --c range {spec!r}; need A < B")
    if len(nums) == 2:
        return tuple(float(v) for v in np.linspace(a, b, 8))
    count = range_count(a, b, nums[2], "--c")
    step = nums[2]
    return tuple(float(a + i * step) for i in range(count))


def _summarise(
    c: float, res: TrainResult, lam0: float, loss0: float, cfg: SweepConfig
) -> RunSummary:
    phase = classify_losses(
        res.loss,
        converge_loss=loss0,
        diverge_loss=cfg.diverge_factor * loss0,
        rise_tol=cfg.effective_rise_tol,
    )
    finite = np.isfinite(res.loss)
    lam_ok = res.lam[np.isfinite(res.lam)]
    done = phase != Phase.DIVERGENT
    lam_final = float(lam_ok[-1]) if done and lam_ok.size else None
    early = res.lam[(res.measure_steps <= cfg.sharp_window) & np.isfinite(res.lam)]
    series = _eta_series(res, done)
    collapsed = lam_final is not None and bool(is_collapsed(lam0, lam_final, cfg.collapse_tol))
    late = _late_time(res, cfg.steps, cfg.late_window) if done else {}
    return RunSummary(
        c=c,
        eta=res.eta,
        phase="collapsed" if collapsed else phase.name.lower(),
        final_loss=float(res.loss[-1]),
        max_loss_ratio=float(np.max(res.loss[finite]) / loss0) if finite.any() else float("inf"),
        lam_final=lam_final,
        min_lam_ratio=float(np.min(lam_ok) / lam0) if lam_ok.size else float("nan"),
        train_acc=float(res.train_acc[-1]) if done else None,
        test_acc=float(res.test_acc[-1]) if done and res.test_acc.size else None,
        steps_done=int(res.loss.size - 1),
        rose=bool(
            phase == Phase.DIVERGENT or np.any(res.loss[1:] > loss0 * (1 + cfg.effective_rise_tol))
        ),
        sharp_drop=bool(np.any(early < lam0 * (1 - cfg.sharp_tol))),
        sharp_rise=bool(np.any(early > lam0 * (1 + cfg.sharp_tol))),
        min_early_lam_ratio=float(np.min(early) / lam0) if early.size else float("nan"),
        max_early_lam_ratio=float(np.max(early) / lam0) if early.size else float("nan"),
        **series,
        **late,
    )


LATE_RTOL = 1e-3
"""A real network's loss or sharpness "returns" when it comes back within 0.1%."""

LATE_MAX_PERIOD = 8
"""The longest late-time period looked for in a real network's window."""


def _late_time(res: TrainResult, steps: int, window: int) -> dict[str, Any]:
    """The late-time period of the loss and of ``lambda_t``, and the band of ``eta lambda_t``.

    Read off the last ``window`` steps of a finished run by the phase module's one rule
    (:func:`catapultlab.phases.return_periods`): 1 settled, k a period-k oscillation, 0
    neither (aperiodic, or still drifting by more than :data:`LATE_RTOL` a step).
    """
    if window < 2 or res.loss.size - 1 < steps:
        return {}
    loss = res.loss[-window:][:, None, None]
    late = res.measure_steps > steps - window
    lam = res.lam[late]
    out: dict[str, Any] = {
        "loss_period": int(return_periods(loss, LATE_RTOL, LATE_MAX_PERIOD)[0]),
    }
    if lam.size >= 2 and np.all(np.isfinite(lam)):
        out["lam_period"] = int(return_periods(lam[:, None, None], LATE_RTOL, LATE_MAX_PERIOD)[0])
        out["eta_lam_band"] = (float(res.eta * lam.min()), float(res.eta * lam.max()))
    return out


def _eta_series(res: TrainResult, done: bool) -> dict:
    """``eta * lambda_t``, ``eta * S_t`` (and Adam's preconditioned) as ``[step, value]`` lists."""
    out: dict = {}
    for key, vals in (
        ("ntk", res.lam),
        ("hessian", res.sharpness),
        ("precond", res.precond_sharpness),
    ):
        if key != "ntk" and vals.size == 0:
            continue
        pairs = tuple(
            (int(t), float(res.eta * v))
            for t, v in zip(res.measure_steps, vals, strict=True)
            if np.isfinite(v)
        )
        out[f"eta_{key}"] = pairs
        out[f"eta_{key}_final"] = pairs[-1][1] if done and pairs else None
    return out


def _first_true(
    runs: dict[float, RunSummary],
    pred: Callable[[RunSummary], bool],
    run: Callable[[float], RunSummary],
    iters: int,
) -> tuple[float, float] | str:
    """Bracket ``[lo, hi]`` around the first ``c`` with ``pred``, refined by bisection.

    Returns ``"above"`` when no grid ``c`` satisfies ``pred`` and ``"below"`` when the
    smallest one already does.
    """
    cs = sorted(runs)
    hits = [c for c in cs if pred(runs[c])]
    if not hits:
        return "above"
    hi = hits[0]
    below = [c for c in cs if c < hi]
    if not below:
        return "below"
    lo = below[-1]
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if pred(runs[mid] if mid in runs else run(mid)):
            hi = mid
        else:
            lo = mid
    return lo, hi


BOUNDARY_TESTS: tuple[Callable[[RunSummary], bool], ...] = (
    lambda r: r.phase == "divergent",  # c_max: the first divergent c, bracketed from below
    lambda r: r.rose,  # c_loss: the first c whose loss rose above L0
    lambda r: r.sharp_rise,  # c_sharp
)
"""The run tests whose first ``c`` defines ``c_max``, ``c_loss`` and ``c_sharp``, in order."""


def bisected_brackets(
    runs: dict[float, RunSummary],
    tests: tuple[Callable[[RunSummary], bool], ...],
    run: Callable[[float], RunSummary],
    iters: int,
) -> list[tuple[float, float] | str]:
    """Bisect each test's bracket in turn, then re-bracket every test from all the runs.

    Runs added while bisecting one boundary often lie inside another's bracket (the
    ``c_loss`` bisection lands next to ``c_max``), so each bracket is finally the
    tightest that the whole set of runs gives, never one left from before those runs.
    """
    for test in tests:
        _first_true(runs, test, run, iters)
    return [_first_true(runs, test, run, 0) for test in tests]


def _check_lambda0(lam0: float, cfg: SweepConfig) -> None:
    """Refuse a network whose NTK at initialisation is zero or not finite (no ``eta = c/lam0``)."""
    if not (np.isfinite(lam0) and lam0 > 0):
        raise CatapultError(
            f"the NTK at initialisation has top eigenvalue {lam0:.3g} (width {cfg.width}, "
            f"seed {cfg.seed}): no parameter moves the outputs, so eta = c / lambda0 is "
            "undefined; use a larger --width or another --seed"
        )


def run_sweep(cfg: SweepConfig, progress: bool | None = None) -> SweepResult:
    """Run a sweep (see the module docstring for the protocol and thresholds).

    Args:
        cfg: the sweep configuration.
        progress: show runs done / at most total and the current ``c`` on stderr;
            ``None`` (default): only when stderr is a terminal.

    Returns:
        The sweep result.

    Raises:
        CatapultError: bad configuration (unknown names, sizes below 1, empty grid).
    """
    _check_run(cfg)
    from catapultlab.validate._data import load_dataset
    from catapultlab.validate._nets import make_network
    from catapultlab.validate._precision import precision

    data = load_dataset(
        cfg.dataset,
        train_size=cfg.train_size,
        test_size=cfg.test_size,
        seed=cfg.seed,
        data_dir=cfg.data_dir,
    )
    net = make_network(
        cfg.arch,
        image_shape=data.image_shape,
        outputs=data.num_classes,
        depth=cfg.depth,
        width=cfg.width,
        act=cfg.act,
        param=cfg.param,
    )
    with precision(cfg.dtype) as dtype:
        start = _initial(net, data, cfg, dtype)
        runner = _Runner(net, data, cfg, start, _progress_bar(cfg.max_runs(), progress))
        for c in cfg.c_values:
            runner(float(c))
        b_max, b_loss, b_sharp = bisected_brackets(runner.runs, BOUNDARY_TESTS, runner, cfg.bisect)
        runner.bar.close()
    runs, cs = runner.runs, sorted(runner.runs)
    return SweepResult(
        config=cfg,
        network=net.name,
        lam0=start.eig0.value,
        lam0_residual=start.eig0.residual,
        loss0=start.loss0,
        runs=tuple(runs[c] for c in cs),
        trajectories=tuple(runner.trajectories[c] for c in cs),
        c_loss=_boundary(b_loss, lower=False),
        c_sharp=_boundary(b_sharp, lower=False),
        c_max=_boundary(b_max, lower=True),
        sharpness_reduction=_sharpness_reduction(runs, b_loss),
        own_model=own_model_edges(cfg, data),
        own_model_inf=own_model_edges(cfg, data, INF_N) if is_own_model(cfg) else None,
        own_init=own_init_edges(cfg, data, start.params0, start.loss0, list(runs)),
    )


def _check_run(cfg: SweepConfig) -> None:
    """Refuse a configuration that cannot run (names, sizes, grid, memory), before any work."""
    check_sweep_config(cfg)
    if not cfg.c_values:
        raise CatapultError("empty c grid")
    if cfg.steps < 1:
        raise CatapultError(f"steps must be at least 1, got {cfg.steps}")
    if cfg.batch_size is not None and cfg.batch_size < 1:
        raise CatapultError(f"batch size must be at least 1, got {cfg.batch_size}")
    if cfg.batch_size is not None:
        rule = BatchRule(cfg.batch_size, cfg.sampling)  # one line for an unknown rule
        if cfg.train_size is not None:
            rule.check(cfg.train_size)
    if cfg.sharpness not in SHARPNESS:
        raise CatapultError(f"unknown sharpness {cfg.sharpness!r}; choose ntk or hessian")
    if cfg.own_model_runs is not None and cfg.own_model_runs < 0:
        raise CatapultError(f"--own-model-runs must be >= 0, got {cfg.own_model_runs}")
    if not (np.isfinite(cfg.init_scale) and cfg.init_scale > 0):
        raise CatapultError(f"init scale must be > 0, got {cfg.init_scale}")
    cfg.optimizer_config()
    check_sweep_memory(cfg)


class _Start(NamedTuple):
    """The shared initialisation of every run: parameters, inputs, ``lambda_0``, ``L_0``."""

    params0: Any
    eig0: Any
    loss0: float


def _initial(net: Any, data: Any, cfg: SweepConfig, dtype: Any) -> _Start:
    """Initialise once (seeded) and measure ``lambda_0`` and ``L_0`` on the training set."""
    import jax
    import jax.numpy as jnp

    from catapultlab.validate._ntk import top_ntk_eigenvalue
    from catapultlab.validate._train import mse_loss

    check_memory_budget(net, *data.x_train.shape, dtype)
    params0 = net.init(jax.random.PRNGKey(cfg.seed), dtype)
    if cfg.init_scale != 1.0:  # a small init: every parameter scaled (progressive sharpening)
        params0 = jax.tree_util.tree_map(lambda p: p * cfg.init_scale, params0)
    x = jnp.asarray(data.x_train, dtype)
    eig0 = top_ntk_eigenvalue(net.apply, params0, x)
    _check_lambda0(eig0.value, cfg)
    loss0 = float(mse_loss(net.apply(params0, x), jnp.asarray(data.y_train, dtype)))
    return _Start(params0, eig0, loss0)


class _Runner:
    """Trains one run per ``c`` from the shared start; keeps every run's trajectory and summary."""

    def __init__(self, net: Any, data: Any, cfg: SweepConfig, start: _Start, bar: Any) -> None:
        self.net, self.data, self.cfg, self.start, self.bar = net, data, cfg, start, bar
        self.trajectories: dict[float, TrainResult] = {}
        self.runs: dict[float, RunSummary] = {}

    def __call__(self, c: float) -> RunSummary:
        from catapultlab.validate._train import train

        cfg, start = self.cfg, self.start
        self.bar.set_postfix_str(f"c={c:.4g}")
        res = train(
            self.net,
            start.params0,
            self.data,
            eta=c / start.eig0.value,
            steps=cfg.steps,
            batch_size=cfg.batch_size,
            sampling=cfg.sampling,
            seed=cfg.seed,
            diverge_loss=cfg.diverge_factor * start.loss0,
            measure_count=cfg.measure_count,
            late_count=cfg.late_count,
            optimizer=cfg.optimizer_config(),
            sharpness=cfg.sharpness,
            ntk_block=start.eig0.block,
            schedule=Schedule.parse(schedule=cfg.schedule),
            late_window=cfg.late_window,
        )
        self.trajectories[c] = res
        self.runs[c] = _summarise(c, res, start.eig0.value, start.loss0, cfg)
        self.bar.update(1)
        return self.runs[c]


def _boundary(b: tuple[float, float] | str, lower: bool) -> Boundary:
    """A boundary from its final bracket (or the side of the grid it lies beyond)."""
    if isinstance(b, str):
        return Boundary(None, None, b)
    return Boundary(b[0] if lower else b[1], b[1] - b[0], lower=lower)


def _progress_bar(total: int, show: bool | None) -> Any:
    """Progress bar (tqdm) over runs (total = grid + all possible bisection runs), off unless a TTY."""
    import sys

    from tqdm.auto import tqdm

    enabled = sys.stderr.isatty() if show is None else show
    return tqdm(total=total, desc="validate runs", unit="run", disable=not enabled, leave=False)


def _sharpness_reduction(
    runs: dict[float, RunSummary], b_loss: tuple[float, float] | str
) -> float | None:
    """Largest early relative drop of ``lambda`` over the runs below ``c_loss``."""
    if b_loss == "below":
        return None
    below = [r for r in runs.values() if not r.rose and (b_loss == "above" or r.c < b_loss[1])]
    drops = [1.0 - r.min_early_lam_ratio for r in below if np.isfinite(r.min_early_lam_ratio)]
    return max(drops) if drops else None
