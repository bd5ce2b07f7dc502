"""Which model to iterate, with its data: the shared parameters of every trajectory.

A :class:`Setup` is built from *any* derived :class:`catapultlab.theory.Model` (or a
declaration, or a built-in name) plus its labels, inputs and step-rule values. Its
:attr:`Setup.config` carries the serialised declaration and the model's content hash,
so a dask worker or a resumed run rebuilds exactly the same model: identity is the
hash, never the name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from catapultlab._errors import CatapultError
from catapultlab.sim._plan import SimPlan, builtin_plan, plan_for_config, plan_of_model
from catapultlab.theory import StepKind

__all__ = [
    "Setup",
    "make_setup",
    "setup_from_config",
    "MODELS",
    "step_rule_for",
    "step_choice",
    "default_inputs",
]

MODELS = ("uv", "full")
"""Built-in model names (any other model is passed as a Model or a ModelSpec)."""


@dataclass(frozen=True)
class Setup:
    """A closed model plus the constants shared by all its trajectories.

    Attributes:
        plan: what the simulator needs of the model as plain data
            (:class:`catapultlab.sim._plan.SimPlan`; cached, so a warm run needs no SymPy).
        y: one label per training sample.
        x: inputs, shape ``(m, d)`` (empty for models without data).
        name: model name (a label; the identity is ``plan.key``).
        inputs: input dimension d (1 for models without data).
        hyper: step-rule values, e.g. ``(("beta", 0.9),)``.
        restriction: serialised restriction declaration the model was derived with.
    """

    plan: SimPlan
    y: tuple[float, ...]
    x: tuple[tuple[float, ...], ...] = field(default=())
    name: str = "uv"
    inputs: int = 1
    hyper: tuple[tuple[str, float], ...] = field(default=())
    restriction: dict[str, Any] | None = None

    @cached_property
    def model(self) -> Any:
        """The derived :class:`catapultlab.theory.Model` (loaded or derived on first use)."""
        from catapultlab.theory._cache import derive
        from catapultlab.theory._serialize import spec_from_json

        r = self.restriction
        model = derive(
            spec_from_json(self.plan.spec), restriction=None if r is None else spec_from_json(r)
        )
        if model.key != self.plan.key:
            raise CatapultError(
                f"model {self.name!r}: its declaration hashes to {model.key}, its cached plan "
                f"to {self.plan.key}"
            )
        return model

    def kernel_module(self, dtype: str) -> Any:
        """The generated kernel module for ``dtype`` (from the plan, else from the Model)."""
        from catapultlab.sim import _kernel

        artefact = self.plan.kernel(dtype)
        if artefact is None:
            return _kernel._module(self.model, dtype)
        tag, source = artefact
        return _kernel.load_kernel_module(tag, lambda: source)

    @property
    def samples(self) -> int:
        """Number of training samples m."""
        return len(self.y)

    @property
    def beta(self) -> float:
        """The momentum value (0 without momentum)."""
        return float(dict(self.hyper).get("beta", 0.0))

    def shared(self, n: float) -> np.ndarray:
        """The shared parameter vector ``model.params[1:]`` at width ``n`` (float64)."""
        values = {"n": float(n)} | dict(self.hyper)
        values |= dict(zip(self.plan.labels, self.y, strict=True))
        flat = [v for row in self.x for v in row]
        values |= dict(zip(self.plan.data, flat, strict=True))
        return np.array([values[p] for p in self.plan.params[1:]], dtype=np.float64)

    @cached_property
    def config(self) -> dict[str, object]:
        """A JSON-able description (for result attributes, config hashes and workers)."""
        return {
            "model": self.name,
            "key": self.plan.key,
            "step_rule": self.plan.step.label,
            "spec": self.plan.spec,
            "restriction": self.restriction,
            "y": list(self.y),
            "x": [list(r) for r in self.x],
            "inputs": self.inputs,
            "samples": self.samples,
            "hyper": dict(self.hyper),
        }


def step_choice(
    momentum: float | None = None, nesterov: bool = False, weight_decay: float | None = None
) -> tuple[StepKind, tuple[tuple[str, float], ...]]:
    """The step rule (as plain data) and its values from the CLI flags; see :func:`step_rule_for`.

    Raises:
        CatapultError: as :func:`step_rule_for`.
    """
    if nesterov and momentum is None:
        raise CatapultError("--nesterov needs --momentum BETA")
    hyper: list[tuple[str, float]] = []
    kind = "gd"
    if momentum is not None:
        if not (np.isfinite(momentum) and 0.0 <= momentum < 1.0):
            raise CatapultError(f"--momentum must be in [0, 1), got {momentum!r}")
        kind = "nesterov" if nesterov else "momentum"
        hyper.append(("beta", float(momentum)))
    decay = None
    if weight_decay is not None:
        if not (np.isfinite(weight_decay) and weight_decay >= 0.0):
            raise CatapultError(
                f"--weight-decay must be a finite number >= 0, got {weight_decay!r}"
            )
        decay = "l2"
        hyper.append(("kappa", float(weight_decay)))
    return StepKind(kind, decay), tuple(hyper)


def step_rule_for(
    momentum: float | None = None, nesterov: bool = False, weight_decay: float | None = None
) -> tuple[Any, tuple[tuple[str, float], ...]]:
    """The step rule and its values from ``--momentum``, ``--nesterov``, ``--weight-decay``.

    Raises:
        CatapultError: a momentum outside ``[0, 1)``, ``--nesterov`` without a momentum,
            or a negative/non-finite weight decay.
    """
    from catapultlab.theory._steprule import StepRule

    step, hyper = step_choice(momentum, nesterov, weight_decay)
    return StepRule(step.kind, step.weight_decay), hyper


def default_inputs(samples: int, inputs: int, data_seed: int) -> np.ndarray:
    """Well-conditioned default inputs ``(m, d)``, each row of norm ``sqrt(d)``.

    For ``m <= d`` the rows are a random orthonormal set (times ``sqrt(d)``), so
    ``X X^T = d I`` and every NTK eigen-direction starts alike; for ``m > d`` the rows
    are random directions (then ``X X^T`` has rank ``d`` and the NTK has ``m - d`` zero
    eigenvalues: those residual directions cannot move, whatever the learning rate).

    Example:
        >>> x = default_inputs(2, 3, 0)
        >>> bool(np.allclose(x @ x.T, 3 * np.eye(2)))
        True
    """
    rng = np.random.default_rng(np.random.SeedSequence(data_seed, spawn_key=(7,)))
    if samples <= inputs:
        q, _ = np.linalg.qr(rng.standard_normal((inputs, samples)))
        return q.T * np.sqrt(inputs)
    x = rng.standard_normal((samples, inputs))
    return x * np.sqrt(inputs) / np.linalg.norm(x, axis=1, keepdims=True)


def _step_rule(step: Any) -> Any:
    """A :class:`StepRule` of a plain :class:`StepKind` (a StepRule or ``None`` stays)."""
    if type(step) is not StepKind:
        return step
    from catapultlab.theory import StepRule

    return StepRule(step.kind, step.weight_decay)


def _resolve(model: Any, inputs: int, samples: int, step: Any) -> tuple[SimPlan, Any]:
    """The plan of the model asked for, and the Model if one is at hand (else ``None``)."""
    if model == "uv" or model == "full":
        if model == "full" and (inputs < 1 or samples < 1):
            raise CatapultError("full model needs inputs >= 1 and samples >= 1")
        choice = StepKind() if step is None else StepKind(step.kind, step.weight_decay)
        return builtin_plan(model, choice, inputs=inputs, samples=samples)
    if isinstance(model, str):
        raise CatapultError(
            f"unknown model {model!r}; choose one of {', '.join(MODELS)} or pass --spec "
            "FILE.py:FUNC"
        )
    from catapultlab.theory._cache import derive
    from catapultlab.theory._model import Model

    step = _step_rule(step)
    if isinstance(model, Model):
        if step is not None and step != model.step_rule:
            model = derive(model.spec.with_step(step))
        return plan_of_model(model), model
    derived = derive(model if step is None else model.with_step(step))
    return plan_of_model(derived), derived


def make_setup(
    model: Any,
    *,
    y: float | tuple[float, ...] = 1.0,
    inputs: int = 2,
    samples: int = 2,
    x: np.ndarray | None = None,
    data_seed: int = 0,
    step: Any = None,
    hyper: tuple[tuple[str, float], ...] = (),
) -> Setup:
    """Build a :class:`Setup` from a Model, a ModelSpec or a built-in name.

    Args:
        model: a :class:`catapultlab.theory.Model`, a :class:`ModelSpec`, ``"uv"`` or
            ``"full"``.
        y: label(s); a scalar is used for every sample.
        inputs: input dimension d (``"full"`` only).
        samples: number of samples m (``"full"`` only).
        x: inputs ``(m, d)`` for models with data; default rows drawn N(0, I_d) from
            ``data_seed`` and rescaled to norm sqrt(d).
        data_seed: seed of the default inputs.
        step: a :class:`StepRule` overriding the declaration's (see :func:`step_rule_for`).
        hyper: values of the step rule's symbols, e.g. ``(("beta", 0.9),)``.

    Returns:
        The setup.

    Raises:
        CatapultError: unknown model, bad sizes, missing or extra step-rule values, or a
            weight-decay model (its loss does not vanish at the fixed point, so the
            simulator's convergence rule does not apply).

    Example:
        >>> from catapultlab.theory import StepRule
        >>> s = make_setup("uv", y=0.0, step=StepRule("momentum"), hyper=(("beta", 0.5),))
        >>> s.model.step_rule.label, s.beta, len(s.model.state)
        ('momentum', 0.5, 10)
    """
    plan, derived = _resolve(model, inputs, samples, step)
    if plan.step.weight_decay:
        raise CatapultError(
            "the simulator needs a zero-loss fixed point; with weight decay the loss does not "
            "vanish there: derive the model, or run the exact parameter-space simulator"
        )
    needed = set(plan.hyper)
    given = dict(hyper)
    if set(given) != needed:
        missing = sorted(needed - set(given))
        extra = sorted(set(given) - needed)
        raise CatapultError(
            f"model {plan.name!r} ({plan.step.label}) needs values for "
            f"{', '.join(sorted(needed)) or 'no step-rule parameters'}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; {', '.join(extra)} not used by this step rule" if extra else "")
        )
    m = plan.outputs
    ys = np.broadcast_to(np.asarray(y, dtype=float), (m,)) if np.ndim(y) == 0 else np.asarray(y)
    ys = np.asarray(ys, dtype=float).reshape(-1)
    if ys.size != m or not np.all(np.isfinite(ys)):
        raise CatapultError(f"model {plan.name!r} needs {m} finite label(s), got {y!r}")
    d = len(plan.data) // m if plan.data else 0
    rows: tuple[tuple[float, ...], ...] = ()
    if plan.data:
        if x is None:
            x = default_inputs(m, d, data_seed)
        x = np.asarray(x, dtype=float)
        if x.size != m * d or not np.all(np.isfinite(x)):
            raise CatapultError(f"inputs x must be {m} x {d} finite numbers, got shape {x.shape}")
        rows = tuple(tuple(float(v) for v in row) for row in x.reshape(m, d))
    setup = Setup(
        plan=plan,
        y=tuple(float(v) for v in ys),
        x=rows,
        name=model if isinstance(model, str) else plan.name,
        inputs=max(d, 1),
        hyper=tuple((k, float(v)) for k, v in sorted(given.items())),
        restriction=plan.restriction,
    )
    if derived is not None:
        setup.__dict__["model"] = derived  # the cached_property's slot: no second derivation
    if _derived_from_declaration(model):  # what setup_from_config would rebuild: reuse it
        _SETUPS.setdefault(json.dumps(setup.config, sort_keys=True), setup)
    return setup


def _derived_from_declaration(model: Any) -> bool:
    """Is the setup's model the one its declaration derives (not a Model object passed in)?"""
    if isinstance(model, str):
        return True
    from catapultlab.theory._model import Model

    return not isinstance(model, Model)


_SETUPS: dict[str, Setup] = {}


def setup_from_config(config: dict[str, Any]) -> Setup:
    """Rebuild (and cache) a :class:`Setup` from its ``config`` (for workers and resumes).

    Uses the cached plan of the recorded model key when its declaration matches; else
    derives the model from the recorded declaration.

    Raises:
        CatapultError: the rebuilt model's content hash differs from the recorded one.
    """
    key = json.dumps(config, sort_keys=True)
    if key not in _SETUPS:
        plan, model = plan_for_config(config)
        x = config["x"]
        setup = Setup(
            plan=plan,
            y=tuple(float(v) for v in config["y"]),  # type: ignore[union-attr]
            x=tuple(tuple(float(v) for v in row) for row in x),  # type: ignore[union-attr]
            name=str(config["model"]),
            inputs=int(config["inputs"]),  # type: ignore[arg-type]
            hyper=tuple((k, float(v)) for k, v in sorted(dict(config["hyper"]).items())),  # type: ignore[arg-type]
            restriction=config.get("restriction"),  # type: ignore[arg-type]
        )
        if model is not None:
            setup.__dict__["model"] = model
        _SETUPS[key] = setup
    return _SETUPS[key]
