"""Learning-rate sweeps: phases and critical values of ``c = eta lambda_0``.

Protocol: build the network and data, initialise once (seeded), measure
``lambda_0`` (matrix-free, full training set) and ``L_0``; run one training per
``c`` on the grid (same initialisation and, for SGD, the same batch order), each
with ``eta = c / lambda_0``; then refine three boundaries by bisection between
neighbouring grid points (``bisect`` extra runs each):

* ``c_loss``: smallest ``c`` whose loss ever exceeds ``L_0 (1 + rise_tol)``;
* ``c_sharp``: smallest ``c`` whose ``lambda_t`` falls below ``lambda_0 (1 - sharp_tol)``
  (default 5%) at a measured step ``t <= sharp_window`` (default 20; early
  training only, because over a whole run a finite-width kernel drifts at any
  ``c``) -- sharpness *reduction* as in Kalra & Barkeshli 2023. (A rise of
  ``lambda_t`` above ``lambda_0`` is no criterion: ``lambda`` can grow under GD at
  any ``c`` -- progressive sharpening);
* ``c_max``: largest ``c`` that does not diverge within ``T`` steps.

Each reported boundary comes with the width of its final bracket as uncertainty;
a boundary not bracketed by the grid is ``None``.

Phase thresholds passed to :func:`catapultlab.sim._phases.classify_losses`:
``diverge_loss = diverge_factor * L_0`` (default ``1e5 L_0``; non-finite losses also
count), ``converge_loss = L_0`` (converged = final loss below the initial loss),
``rise_tol = 1e-3`` for full-batch GD and ``5e-2`` for SGD (minibatch noise moves
the full-batch loss a little).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from catapultlab._checks import range_count
from catapultlab._errors import CatapultError
from catapultlab._progress import progress
from catapultlab.sim._phases import Phase, classify_losses
from catapultlab.validate._budget import check_memory_budget, check_sweep_config
from catapultlab.validate._train import TrainResult

__all__ = ["SweepConfig", "RunSummary", "Boundary", "SweepResult", "run_sweep", "c_grid"]


@dataclass(frozen=True)
class SweepConfig:
    """Everything that defines a sweep (stored as attributes of the results)."""

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
    sharp_window: int = 20
    measure_count: int = 25

    @property
    def effective_rise_tol(self) -> float:
        """``rise_tol`` or its default (1e-3 for GD, 5e-2 for SGD)."""
        if self.rise_tol is not None:
            return self.rise_tol
        return 1e-3 if self.batch_size is None else 5e-2


@dataclass(frozen=True)
class RunSummary:
    """Scalar summary of one run at one ``c``."""

    c: float
    eta: float
    phase: str
    final_loss: float
    max_loss_ratio: float
    lam_final: float | None
    eta_lam_final: float | None
    min_lam_ratio: float
    train_acc: float | None
    test_acc: float | None
    steps_done: int
    rose: bool
    sharp_drop: bool


@dataclass(frozen=True)
class Boundary:
    """A critical ``c`` with the width of its final bracket (``None`` if not found)."""

    value: float | None
    uncertainty: float | None


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep; ``runs`` and ``trajectories`` are sorted by ``c``."""

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
    return RunSummary(
        c=c,
        eta=res.eta,
        phase=phase.name.lower(),
        final_loss=float(res.loss[-1]),
        max_loss_ratio=float(np.max(res.loss[finite]) / loss0) if finite.any() else float("inf"),
        lam_final=lam_final,
        eta_lam_final=None if lam_final is None else res.eta * lam_final,
        min_lam_ratio=float(np.min(lam_ok) / lam0) if lam_ok.size else float("nan"),
        train_acc=float(res.train_acc[-1]) if done else None,
        test_acc=float(res.test_acc[-1]) if done and res.test_acc.size else None,
        steps_done=int(res.loss.size - 1),
        rose=bool(
            phase == Phase.DIVERGENT or np.any(res.loss[1:] > loss0 * (1 + cfg.effective_rise_tol))
        ),
        sharp_drop=bool(np.any(early < lam0 * (1 - cfg.sharp_tol))),
    )


def _first_true(
    runs: dict[float, RunSummary],
    pred: Callable[[RunSummary], bool],
    run: Callable[[float], RunSummary],
    iters: int,
) -> tuple[float, float] | None:
    """Bracket ``[lo, hi]`` around the first ``c`` with ``pred``, refined by bisection."""
    cs = sorted(runs)
    hits = [c for c in cs if pred(runs[c])]
    if not hits:
        return None
    hi = hits[0]
    below = [c for c in cs if c < hi]
    if not below:
        return None
    lo = below[-1]
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if pred(runs[mid] if mid in runs else run(mid)):
            hi = mid
        else:
            lo = mid
    return lo, hi


def _counted(run: Callable[[float], RunSummary], bar: object) -> Callable[[float], RunSummary]:
    """``run`` that advances a progress bar (at most its total) after each training run."""

    def counted(c: float) -> RunSummary:
        out = run(c)
        if bar.n < bar.total:  # type: ignore[attr-defined]
            bar.update(1)  # type: ignore[attr-defined]
        return out

    return counted


def run_sweep(cfg: SweepConfig) -> SweepResult:
    """Run a sweep (see the module docstring for the protocol and thresholds).

    Args:
        cfg: the sweep configuration.

    Returns:
        The sweep result.

    Raises:
        CatapultError: bad configuration (unknown names, sizes below 1, empty grid).
    """
    check_sweep_config(cfg)
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
        import jax
        import jax.numpy as jnp

        from catapultlab.validate._ntk import top_ntk_eigenvalue
        from catapultlab.validate._train import mse_loss, train

        check_memory_budget(net, *data.x_train.shape, dtype)
        params0 = net.init(jax.random.PRNGKey(cfg.seed), dtype)
        x = jnp.asarray(data.x_train, dtype)
        eig0 = top_ntk_eigenvalue(net.apply, params0, x)
        loss0 = float(mse_loss(net.apply(params0, x), jnp.asarray(data.y_train, dtype)))
        trajectories: dict[float, TrainResult] = {}
        runs: dict[float, RunSummary] = {}

        def run(c: float) -> RunSummary:
            res = train(
                net,
                params0,
                data,
                eta=c / eig0.value,
                steps=cfg.steps,
                batch_size=cfg.batch_size,
                seed=cfg.seed,
                diverge_loss=cfg.diverge_factor * loss0,
                measure_count=cfg.measure_count,
            )
            trajectories[c] = res
            runs[c] = _summarise(c, res, eig0.value, loss0, cfg)
            return runs[c]

        bar = progress(total=len(cfg.c_values) + 3 * cfg.bisect, desc=net.name, leave=False)
        timed = _counted(run, bar)
        for c in cfg.c_values:
            timed(float(c))
        b_max = _first_true(runs, lambda r: r.phase == "divergent", timed, cfg.bisect)
        b_loss = _first_true(runs, lambda r: r.rose, timed, cfg.bisect)
        b_sharp = _first_true(runs, lambda r: r.sharp_drop, timed, cfg.bisect)
        bar.close()

    def boundary(b: tuple[float, float] | None, lower: bool) -> Boundary:
        if b is None:
            return Boundary(None, None)
        return Boundary(b[0] if lower else b[1], b[1] - b[0])

    cs = sorted(runs)
    return SweepResult(
        config=cfg,
        network=net.name,
        lam0=eig0.value,
        lam0_residual=eig0.residual,
        loss0=loss0,
        runs=tuple(runs[c] for c in cs),
        trajectories=tuple(trajectories[c] for c in cs),
        c_loss=boundary(b_loss, lower=False),
        c_sharp=boundary(b_sharp, lower=False),
        c_max=boundary(b_max, lower=True),
    )
