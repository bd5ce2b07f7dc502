"""Which model to iterate, with its data: ``Setup(numeric, data)``, shared by every trajectory.

A :class:`Setup` is a model's :class:`~catapultlab.theory.NumericModel` (plain data and
printed code) plus its :class:`Data`: labels, inputs and step-rule values. Everything in
the simulator takes a Setup (or its numeric model); nothing asks what kind of object it
was handed. :func:`make_setup` builds one from a derived Model (that very Model's numeric
record is what runs), a declaration or a built-in name.

Dictionaries exist only at the boundary of a resumed run or a result file:
:meth:`Setup.to_config` is the JSON-able description (written into every result) and
:meth:`Setup.from_config` rebuilds the Setup from it; the identity of the model is its
content hash, never its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from catapultlab import CatapultError
from catapultlab.records import short_repr
from catapultlab.theory import BUILTIN, NumericModel, Schedule, StepKind, builtin_numeric

__all__ = ["Data", "Setup", "make_setup", "default_inputs", "MODELS"]

MODELS = BUILTIN
"""Built-in model names (any other model is passed as a Model or a ModelSpec)."""


@dataclass(frozen=True)
class Data:
    """The constants every trajectory of a setup shares.

    Attributes:
        y: one label per training sample.
        x: inputs, ``m`` rows of ``d`` numbers (empty for models without data).
        hyper: step-rule values, e.g. ``(("beta", 0.9),)``, sorted by name.
        schedule: the learning-rate schedule (``c = eta lam0`` is always the target).
        labels_scaled: the labels are given on the outputs' nonlinear scale,
            ``y~ = y / n^(b_f)`` (``--y-scaled``): at width ``n`` the label is
            ``y~ n^(b_f)``, and ``y~`` stays fixed as ``n -> oo``. Otherwise ``y`` is fixed
            and ``y~ -> 0`` (for ``b_f > 0``).
    """

    __repr__ = short_repr

    y: tuple[float, ...]
    x: tuple[tuple[float, ...], ...] = ()
    hyper: tuple[tuple[str, float], ...] = ()
    schedule: Schedule = field(default_factory=Schedule)
    labels_scaled: bool = False


@dataclass(frozen=True)
class Setup:
    """A closed model's numeric record and the constants shared by all its trajectories.

    Attributes:
        numeric: the model (:class:`catapultlab.theory.NumericModel`).
        data: labels, inputs and step-rule values.
        name: model name as asked for (``"uv"``, ``"full"`` or the declaration's name).
        inputs: input dimension d (1 for models without data).
        model: the derived :class:`catapultlab.theory.Model` it came from, when one was at
            hand (kept in this process only; the exact parameter-space path needs it).
    """

    __repr__ = short_repr

    numeric: NumericModel
    data: Data
    name: str = "uv"
    inputs: int = 1
    model: Any = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the SymPy model (a worker needs the numeric record only)."""
        return {k: v for k, v in self.__dict__.items() if k != "model"}

    @property
    def y(self) -> tuple[float, ...]:
        """The labels."""
        return self.data.y

    @property
    def x(self) -> tuple[tuple[float, ...], ...]:
        """The inputs."""
        return self.data.x

    @property
    def hyper(self) -> tuple[tuple[str, float], ...]:
        """The step-rule values."""
        return self.data.hyper

    @property
    def samples(self) -> int:
        """Number of training samples m."""
        return len(self.data.y)

    @property
    def beta(self) -> float:
        """The momentum value (0 without momentum)."""
        return float(dict(self.data.hyper).get("beta", 0.0))

    def shared(self, n: float) -> np.ndarray:
        """The shared parameter vector ``numeric.params[1:]`` at width ``n`` (float64).

        At ``n = inf`` these are the parameters of the limit map (the map at ``n = 1`` in
        the rescaled variables, :class:`~catapultlab.theory.WidthLimit`), with the limit
        of the labels (:attr:`Data.labels_scaled`); :func:`catapultlab.sim.check_limit`
        says whether there is one.
        """
        values = {"n": 1.0 if np.isinf(n) else float(n)} | dict(self.data.hyper)
        values |= dict(zip(self.numeric.labels, self.labels_at(n), strict=True))
        flat = [v for row in self.data.x for v in row]
        values |= dict(zip(self.numeric.data, flat, strict=True))
        return np.array([values[p] for p in self.numeric.params[1:]], dtype=np.float64)

    def labels_at(self, n: float) -> tuple[float, ...]:
        """The labels at width ``n`` (their rescaled limit at ``n = inf``).

        With :attr:`Data.labels_scaled` the label at width ``n`` is ``y~ n^(b_f)``; without
        it ``y`` is fixed, so at ``n = inf`` the rescaled label ``y n^(-b_f)`` is 0 (for
        ``b_f > 0``) or ``y`` (for ``b_f = 0``).
        """
        b_f = self.numeric.limit.label_exponent
        if np.isinf(n):
            return self.data.y if self.data.labels_scaled or b_f == 0 else (0.0,) * self.samples
        if self.data.labels_scaled:
            return tuple(v * float(n) ** b_f for v in self.data.y)
        return self.data.y

    def derived(self) -> Any:
        """The SymPy :class:`~catapultlab.theory.Model` (the one given, else derived again)."""
        if self.model is not None:
            return self.model
        from catapultlab.theory import derive, spec_from_json

        r = self.numeric.restriction
        model = derive(
            spec_from_json(self.numeric.spec),
            restriction=None if r is None else spec_from_json(r),
        )
        if model.key != self.numeric.key:
            raise CatapultError(
                f"model {self.name!r}: its declaration hashes to {model.key}, its numeric "
                f"record to {self.numeric.key}"
            )
        return model

    @property
    def schedule(self) -> Schedule:
        """The learning-rate schedule."""
        return self.data.schedule

    def to_config(self) -> dict[str, Any]:
        """A JSON-able description (result attributes, config hashes, resumes).

        A schedule other than a constant rate adds a ``"schedule"`` key (``warmup:T``),
        labels on the nonlinear scale ``"labels": "scaled"``.
        """
        extra = {} if self.schedule.kind == "constant" else {"schedule": self.schedule.label}
        extra |= {"labels": "scaled"} if self.data.labels_scaled else {}
        return extra | {
            "model": self.name,
            "key": self.numeric.key,
            "step_rule": self.numeric.step.label,
            "spec": self.numeric.spec,
            "restriction": self.numeric.restriction,
            "y": list(self.data.y),
            "x": [list(r) for r in self.data.x],
            "inputs": self.inputs,
            "samples": self.samples,
            "hyper": dict(self.data.hyper),
        }

    @staticmethod
    def from_config(config: dict[str, Any]) -> Setup:
        """Rebuild a Setup from :meth:`to_config` (the cached numeric record when it matches).

        Raises:
            CatapultError: the recorded declaration hashes to another model key.
        """
        from catapultlab.theory import numeric_from_declaration

        numeric = numeric_from_declaration(
            config["spec"], config.get("restriction"), str(config["key"])
        )
        data = Data(
            y=tuple(float(v) for v in config["y"]),
            x=tuple(tuple(float(v) for v in row) for row in config["x"]),
            hyper=tuple((k, float(v)) for k, v in sorted(dict(config["hyper"]).items())),
            schedule=Schedule.parse(schedule=config.get("schedule")),
            labels_scaled=config.get("labels") == "scaled",
        )
        return Setup(numeric, data, name=str(config["model"]), inputs=int(config["inputs"]))


def default_inputs(samples: int, inputs: int, data_seed: int) -> np.ndarray:
    """Well-conditioned, distinct default inputs ``(m, d)``, of mean squared row norm ``d``.

    For ``m <= d`` the rows are a random orthonormal set (times ``sqrt(d)``), so
    ``X X^T = d I`` and every NTK eigen-direction starts alike. For ``m > d`` the rows
    are Gaussian draws scaled together so that their mean squared norm is ``d`` (then
    ``X X^T`` has rank ``d`` and the NTK has ``m - d`` zero eigenvalues: those residual
    directions cannot move, whatever the learning rate). The rows are not scaled one by
    one: at ``d = 1`` that would make every input +1 or -1, and samples would repeat.

    Example:
        >>> x = default_inputs(2, 3, 0)
        >>> bool(np.allclose(x @ x.T, 3 * np.eye(2)))
        True
        >>> len(set(default_inputs(4, 1, 0)[:, 0].round(12)))  # d = 1: four distinct inputs
        4
    """
    rng = np.random.default_rng(np.random.SeedSequence(data_seed, spawn_key=(7,)))
    if samples <= inputs:
        q, _ = np.linalg.qr(rng.standard_normal((inputs, samples)))
        return q.T * np.sqrt(inputs)
    x = rng.standard_normal((samples, inputs))
    return x * np.sqrt(inputs * samples) / np.linalg.norm(x)


def _resolve(model: Any, inputs: int, samples: int, step: Any) -> tuple[NumericModel, Any]:
    """The numeric record of the model asked for, and the derived Model when one is at hand."""
    if isinstance(model, str):
        choice = StepKind() if step is None else StepKind(step.kind, step.weight_decay)
        return builtin_numeric(model, choice, inputs=inputs, samples=samples), None
    from catapultlab.theory import Model, StepRule, derive

    rule = None if step is None else StepRule(step.kind, step.weight_decay)
    if isinstance(model, Model):
        if rule is not None and rule != model.step_rule:
            model = derive(model.spec.with_step(rule), restriction=model.restriction)
        return model.numeric(), model
    derived = derive(model if rule is None else model.with_step(rule))
    return derived.numeric(), derived


def _check_hyper(numeric: NumericModel, given: dict[str, float]) -> None:
    needed = set(numeric.hyper)
    if set(given) != needed:
        missing = sorted(needed - set(given))
        extra = sorted(set(given) - needed)
        raise CatapultError(
            f"model {numeric.name!r} ({numeric.step.label}) needs values for "
            f"{', '.join(sorted(needed)) or 'no step-rule parameters'}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; {', '.join(extra)} not used by this step rule" if extra else "")
        )


def _data(
    numeric: NumericModel, y: Any, x: np.ndarray | None, data_seed: int, hyper: dict[str, float]
) -> tuple[Data, int]:
    """The setup's constants from the labels, inputs and values given (checked)."""
    m = numeric.outputs
    ys = np.broadcast_to(np.asarray(y, dtype=float), (m,)) if np.ndim(y) == 0 else np.asarray(y)
    ys = np.asarray(ys, dtype=float).reshape(-1)
    if ys.size != m or not np.all(np.isfinite(ys)):
        raise CatapultError(f"model {numeric.name!r} needs {m} finite label(s), got {y!r}")
    d = len(numeric.data) // m if numeric.data else 0
    rows: tuple[tuple[float, ...], ...] = ()
    if numeric.data:
        if x is None:
            x = default_inputs(m, d, data_seed)
        x = np.asarray(x, dtype=float)
        if x.size != m * d or not np.all(np.isfinite(x)):
            raise CatapultError(f"inputs x must be {m} x {d} finite numbers, got shape {x.shape}")
        rows = tuple(tuple(float(v) for v in row) for row in x.reshape(m, d))
    data = Data(
        y=tuple(float(v) for v in ys),
        x=rows,
        hyper=tuple((k, float(v)) for k, v in sorted(hyper.items())),
    )
    return data, max(d, 1)


def make_setup(
    model: Any,
    *,
    y: float | tuple[float, ...] = 1.0,
    inputs: int = 2,
    samples: int = 2,
    x: np.ndarray | None = None,
    data_seed: int = 0,
    step: StepKind | None = None,
    hyper: tuple[tuple[str, float], ...] = (),
    schedule: Schedule | None = None,
    labels_scaled: bool = False,
) -> Setup:
    """Build a :class:`Setup` from a Model, a ModelSpec or a built-in name.

    Args:
        model: a :class:`catapultlab.theory.Model` (its own numeric record runs), a
            :class:`~catapultlab.theory.ModelSpec`, ``"uv"`` or ``"full"``.
        y: label(s); a scalar is used for every sample.
        inputs: input dimension d (``"full"`` only).
        samples: number of samples m (``"full"`` only).
        x: inputs ``(m, d)`` for models with data; default rows drawn N(0, I_d) from
            ``data_seed``, distinct, of mean squared norm d (:func:`default_inputs`).
        data_seed: seed of the default inputs.
        step: a step rule overriding the declaration's
            (:func:`catapultlab.theory.step_from_flags`).
        hyper: values of the step rule's symbols, e.g. ``(("beta", 0.9),)``.
        schedule: a learning-rate schedule (:class:`catapultlab.theory.Schedule`).
        labels_scaled: ``y`` is the label on the nonlinear scale, ``y~`` (see :class:`Data`).

    Returns:
        The setup.

    Raises:
        CatapultError: unknown model, bad sizes, or missing or extra step-rule values.

    Example:
        >>> from catapultlab.theory import StepKind
        >>> s = make_setup("uv", y=0.0, step=StepKind("momentum"), hyper=(("beta", 0.5),))
        >>> s.numeric.step.label, s.beta, len(s.numeric.state)
        ('momentum', 0.5, 10)
    """
    numeric, derived = _resolve(model, inputs, samples, step)
    given = dict(hyper)
    _check_hyper(numeric, given)
    data, d = _data(numeric, y, x, data_seed, given)
    if schedule is not None:
        data = replace(data, schedule=schedule)
    if labels_scaled:
        if not numeric.limit.exists:
            raise CatapultError(
                f"--y-scaled needs the outputs' nonlinear scale, and {numeric.name!r} has no "
                f"width limit: {numeric.limit.reason}"
            )
        data = replace(data, labels_scaled=True)
    name = model if isinstance(model, str) else numeric.name
    return Setup(numeric, data, name=name, inputs=d, model=derived)
