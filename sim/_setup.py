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

__all__ = [
    "Setup",
    "make_setup",
    "setup_from_config",
    "MODELS",
    "step_rule_for",
    "default_inputs",
]

MODELS = ("uv", "full")
"""Built-in model names (any other model is passed as a Model or a ModelSpec)."""


@dataclass(frozen=True)
class Setup:
    """A closed model plus the constants shared by all its trajectories.

    Attributes:
        model: the derived :class:`catapultlab.theory.Model` (closed maps).
        y: one label per training sample.
        x: inputs, shape ``(m, d)`` (empty for models without data).
        name: model name (a label; the identity is ``model.key``).
        inputs: input dimension d (1 for models without data).
        hyper: step-rule values, e.g. ``(("beta", 0.9),)``.
        restriction: serialised restriction declaration the model was derived with.
    """

    model: Any
    y: tuple[float, ...]
    x: tuple[tuple[float, ...], ...] = field(default=())
    name: str = "uv"
    inputs: int = 1
    hyper: tuple[tuple[str, float], ...] = field(default=())
    restriction: dict[str, Any] | None = None

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
        values |= {s.name: v for s, v in zip(self.model.labels, self.y, strict=True)}
        flat = [v for row in self.x for v in row]
        values |= {s.name: v for s, v in zip(self.model.data, flat, strict=True)}
        return np.array([values[p.name] for p in self.model.params[1:]], dtype=np.float64)

    @cached_property
    def config(self) -> dict[str, object]:
        """A JSON-able description (for result attributes, config hashes and workers)."""
        from catapultlab.theory._serialize import spec_to_json

        return {
            "model": self.name,
            "key": self.model.key,
            "step_rule": self.model.step_rule.label,
            "spec": spec_to_json(self.model.spec),
            "restriction": self.restriction,
            "y": list(self.y),
            "x": [list(r) for r in self.x],
            "inputs": self.inputs,
            "samples": self.samples,
            "hyper": dict(self.hyper),
        }


def step_rule_for(
    momentum: float | None = None, nesterov: bool = False, weight_decay: float | None = None
) -> tuple[Any, tuple[tuple[str, float], ...]]:
    """The step rule and its values from ``--momentum``, ``--nesterov``, ``--weight-decay``.

    Raises:
        CatapultError: a momentum outside ``[0, 1)``, ``--nesterov`` without a momentum,
            or a negative/non-finite weight decay.
    """
    from catapultlab.theory._steprule import StepRule

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
    return StepRule(kind, decay), tuple(hyper)


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


def _resolve(model: Any, inputs: int, samples: int, step: Any) -> tuple[Any, dict | None]:
    from catapultlab.theory._cache import derive
    from catapultlab.theory._model import Model
    from catapultlab.theory._serialize import spec_to_json
    from catapultlab.theory._spec import ModelSpec
    from catapultlab.theory._specs import full_spec, full_unit_spec, uv_spec

    if isinstance(model, Model):
        if step is not None and step != model.step_rule:
            return derive(model.spec.with_step(step)), None
        return model, None
    if isinstance(model, ModelSpec):
        return derive(model if step is None else model.with_step(step)), None
    if model == "uv":
        return derive(uv_spec(step)), None
    if model == "full":
        if inputs < 1 or samples < 1:
            raise CatapultError("full model needs inputs >= 1 and samples >= 1")
        restriction = full_unit_spec()
        spec = full_spec(int(inputs), int(samples), step=step)
        return derive(spec, restriction=restriction), spec_to_json(restriction)
    raise CatapultError(
        f"unknown model {model!r}; choose one of {', '.join(MODELS)} or pass --spec FILE.py:FUNC"
    )


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
    derived, restriction = _resolve(model, inputs, samples, step)
    if derived.step_rule.weight_decay:
        raise CatapultError(
            "the simulator needs a zero-loss fixed point; with weight decay the loss does not "
            "vanish there: derive the model, or run the exact parameter-space simulator"
        )
    needed = {s.name for s in derived.hyper}
    given = dict(hyper)
    if set(given) != needed:
        missing = sorted(needed - set(given))
        extra = sorted(set(given) - needed)
        raise CatapultError(
            f"model {derived.name!r} ({derived.step_rule.label}) needs values for "
            f"{', '.join(sorted(needed)) or 'no step-rule parameters'}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; {', '.join(extra)} not used by this step rule" if extra else "")
        )
    m = len(derived.outputs)
    ys = np.broadcast_to(np.asarray(y, dtype=float), (m,)) if np.ndim(y) == 0 else np.asarray(y)
    ys = np.asarray(ys, dtype=float).reshape(-1)
    if ys.size != m or not np.all(np.isfinite(ys)):
        raise CatapultError(f"model {derived.name!r} needs {m} finite label(s), got {y!r}")
    d = len(derived.data) // m if derived.data else 0
    rows: tuple[tuple[float, ...], ...] = ()
    if derived.data:
        if x is None:
            x = default_inputs(m, d, data_seed)
        x = np.asarray(x, dtype=float)
        if x.size != m * d or not np.all(np.isfinite(x)):
            raise CatapultError(f"inputs x must be {m} x {d} finite numbers, got shape {x.shape}")
        rows = tuple(tuple(float(v) for v in row) for row in x.reshape(m, d))
    name = model if isinstance(model, str) else derived.name
    return Setup(
        model=derived,
        y=tuple(float(v) for v in ys),
        x=rows,
        name=name,
        inputs=max(d, 1),
        hyper=tuple((k, float(v)) for k, v in sorted(given.items())),
        restriction=restriction,
    )


_SETUPS: dict[str, Setup] = {}


def setup_from_config(config: dict[str, Any]) -> Setup:
    """Rebuild (and cache) a :class:`Setup` from its ``config`` (for workers and resumes).

    Raises:
        CatapultError: the rebuilt model's content hash differs from the recorded one.
    """
    from catapultlab.theory._cache import derive
    from catapultlab.theory._serialize import spec_from_json

    key = json.dumps(config, sort_keys=True)
    if key not in _SETUPS:
        spec = spec_from_json(config["spec"])  # type: ignore[arg-type]
        restriction = config.get("restriction")
        model = derive(
            spec, restriction=None if restriction is None else spec_from_json(restriction)
        )
        if model.key != config["key"]:
            raise CatapultError(
                f"model {config['model']!r}: its declaration hashes to {model.key}, the "
                f"recorded run to {config['key']} (another catapultlab version?)"
            )
        x = np.asarray(config["x"], dtype=float) if config["x"] else None
        setup = make_setup(
            model,
            y=tuple(config["y"]),  # type: ignore[arg-type]
            x=x,
            hyper=tuple(dict(config["hyper"]).items()),  # type: ignore[arg-type]
        )
        _SETUPS[key] = Setup(
            model=setup.model,
            y=setup.y,
            x=setup.x,
            name=str(config["model"]),
            inputs=int(config["inputs"]),  # type: ignore[arg-type]
            hyper=setup.hyper,
            restriction=restriction,  # type: ignore[arg-type]
        )
    return _SETUPS[key]
