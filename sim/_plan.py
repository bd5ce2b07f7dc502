"""What the simulator needs of a derived model, as plain data: a warm run needs no SymPy.

A :class:`SimPlan` is read off a derived :class:`catapultlab.theory.Model`: the names
of its state, parameters, labels, data and step-rule symbols, its step-rule flags, its
serialised declaration, the generated source of its kernel modules (both dtypes), and
the source of the NumPy functions SymPy's ``lambdify`` made for it (Gram matrices to
state, state to outputs and NTK). The plan is a function of the Model only; it holds no
number the Model does not define.

Plans are cached as ``<user cache>/plans/<name>.json``: a first line
``sha256=<hex digest of the rest>``, then the JSON. ``m_<model key>_<restriction>_<code
hash>`` names the plan of a derived model; ``r_<request hash>`` the plan of a built-in
model asked for by name (``uv``, ``full`` with its sizes, and a step rule), so that a
warm ``catapultlab sweep uv`` neither builds the declaration nor derives it. The code
hash covers the theory layer and the sim files that generate the artefacts
(:data:`CODE_FILES`): any change there derives the plan anew. A file that fails its
hash or does not parse is reported on one stderr line and rebuilt, never used. Set
``CATAPULTLAB_NO_MODEL_CACHE=1`` to rebuild every time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import os
import sys
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from catapultlab._atomic import atomic_write_text
from catapultlab.theory import StepKind

__all__ = [
    "SimPlan",
    "CODE_FILES",
    "code_hash",
    "plan_from_model",
    "plan_of_model",
    "builtin_plan",
    "plan_for_config",
    "plan_dir",
    "numerics",
]

CODE_FILES = (
    "catapultlab.sim._codegen",
    "catapultlab.sim._kernel",
    "catapultlab.sim._plan",
    "catapultlab._phases",
)
"""Modules whose code shapes a plan (with every module of ``catapultlab.theory``); named
as modules, so their files are found in a source checkout and an installed package alike."""

_HEADER = "sha256="


@dataclass(frozen=True)
class SimPlan:
    """The numeric artefacts of a derived model (see the module docstring).

    Attributes:
        key: the model's content key (:attr:`Model.key`).
        name: model name (a label).
        step: the step rule.
        state: state symbol names, in order.
        params: parameter names (``eta`` first).
        labels: label names.
        data: input-data names (row-major).
        hyper: step-rule symbol names (``beta``, ``kappa``).
        outputs: number of outputs m.
        vectors: parameter vector names of the Gram lift.
        gram_index: per Gram-state entry, the ``(i, j)`` vector pair, or ``None`` for a
            velocity (zero at init).
        spec: the serialised declaration.
        restriction: the serialised restriction it was derived with, or ``None``.
        numeric_source: Python source of the NumPy functions: ``gram_to_state``,
            ``observables``, the map ``step``, ``loss``, ``mu2`` (where the model has a
            residual multiplier) and the boundaries' ``edges_closed``,
            ``recursion_matrix``, ``stability_edge``.
        namespace: names that source uses -> NumPy attribute names.
        edge_kinds: ``(boundary, kind)`` of each boundary
            (:data:`catapultlab.theory._edges_numeric.EDGE_KINDS`).
        kernels: ``(dtype, module tag, module source)`` of the generated kernels.
    """

    key: str
    name: str
    step: StepKind
    state: tuple[str, ...]
    params: tuple[str, ...]
    labels: tuple[str, ...]
    data: tuple[str, ...]
    hyper: tuple[str, ...]
    outputs: int
    vectors: tuple[str, ...]
    gram_index: tuple[tuple[int, int] | None, ...]
    spec: dict[str, Any]
    restriction: dict[str, Any] | None
    numeric_source: str
    namespace: tuple[tuple[str, str], ...]
    edge_kinds: tuple[tuple[str, str], ...] = ()
    kernels: tuple[tuple[str, str, str], ...] = ()

    def to_json(self) -> str:
        """The plan as JSON text."""
        doc = {f.name: getattr(self, f.name) for f in fields(self)}
        doc["step"] = [self.step.kind, self.step.weight_decay]
        return json.dumps(doc, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> SimPlan:
        """Inverse of :meth:`to_json`."""
        doc = json.loads(text)
        doc["step"] = StepKind(*doc["step"])
        doc["gram_index"] = tuple(None if g is None else tuple(g) for g in doc["gram_index"])
        for name in ("state", "params", "labels", "data", "hyper", "vectors"):
            doc[name] = tuple(doc[name])
        doc["namespace"] = tuple(tuple(p) for p in doc["namespace"])
        doc["edge_kinds"] = tuple(tuple(p) for p in doc["edge_kinds"])
        doc["kernels"] = tuple(tuple(k) for k in doc["kernels"])
        return SimPlan(**doc)

    def kernel(self, dtype: str) -> tuple[str, str] | None:
        """``(tag, source)`` of the kernel module for ``dtype``, if the plan holds it."""
        for d, tag, source in self.kernels:
            if d == dtype:
                return tag, source
        return None

    def state_from_gram(self, gram: np.ndarray, n: float) -> np.ndarray:
        """The state ``(S, ...)`` of Gram matrices ``(..., p, p)`` (``Model.state_from_gram``)."""
        gram = np.asarray(gram, dtype=float)
        shape = gram.shape[:-2]
        values = [np.zeros(shape) if g is None else gram[..., g[0], g[1]] for g in self.gram_index]
        out = numerics(self).gram_to_state(*values, float(n))
        state = np.empty((len(out), *shape))
        for row, v in zip(state, out, strict=True):
            row[...] = v  # broadcasts a constant entry
        return state

    def observables(self, *args: Any) -> Any:
        """``(outputs, ntk)`` of ``(*state, *params)`` (``Model.numeric_observables``)."""
        return numerics(self).observables(*args)

    @property
    def numeric_map(self) -> Any:
        """``numeric_map(*state, *params) -> new state`` (``Model.numeric_map``)."""
        return numerics(self).step

    @property
    def numeric_loss(self) -> Any:
        """``numeric_loss(*state, *params)`` (``Model.numeric_loss``)."""
        return numerics(self).loss

    @property
    def numeric_mu2(self) -> Any:
        """Squared residual multiplier, or ``None`` (``Model.numeric_mu2``)."""
        return numerics(self).mu2

    def edges(self, *, beta: float = 0.0, kappa: float = 0.0, lam0: float = 1.0) -> dict:
        """The boundaries as values of ``c = eta lam0`` (``Model.edges``, same code)."""
        from catapultlab.theory import EdgeFunctions, edges_c

        num = numerics(self)
        functions = EdgeFunctions(
            self.edge_kinds, num.edges_closed, num.recursion_matrix, num.stability_edge
        )
        return edges_c(functions, beta=beta, kappa=kappa, lam0=lam0)


class _Numerics(NamedTuple):
    gram_to_state: Any
    observables: Any
    step: Any
    loss: Any
    mu2: Any
    edges_closed: Any
    recursion_matrix: Any
    stability_edge: Any


_NUMERICS: dict[int, tuple[SimPlan, _Numerics]] = {}


def numerics(plan: SimPlan) -> _Numerics:
    """The plan's NumPy functions, compiled from their source once per plan."""
    known = _NUMERICS.get(id(plan))
    if known is None or known[0] is not plan:
        ns: dict[str, Any] = {k: getattr(np, v) for k, v in plan.namespace}
        exec(compile(plan.numeric_source, f"<catapultlab plan {plan.key}>", "exec"), ns)  # noqa: S102
        funcs = _Numerics(*(ns.get(name) for name in _Numerics._fields))
        known = _NUMERICS[id(plan)] = (plan, funcs)
    return known[1]


# -- building a plan from a Model (SymPy) -------------------------------------------------


def _numpy_name(obj: Any, name: str) -> str:
    if getattr(np, name, None) is obj:
        return name
    for attr in dir(np):
        if getattr(np, attr, None) is obj:
            return attr
    raise ValueError(f"lambdified code uses {name!r}, which is not a NumPy attribute")


def _function_source(func: Any, name: str) -> tuple[str, dict[str, str]]:
    """Source of a lambdified function renamed to ``name``, and the NumPy names it uses."""
    source = inspect.getsource(func)
    head = f"def {func.__name__}("
    if not source.startswith(head):
        raise ValueError(f"unexpected lambdified source: {source[:60]!r}")
    names = {
        n: _numpy_name(func.__globals__[n], n)
        for n in func.__code__.co_names
        if n in func.__globals__
    }
    return f"def {name}(" + source[len(head) :], names


def _gram_index(model: Any) -> tuple[tuple[int, int] | None, ...]:
    from catapultlab.theory._algebra import symbol_words

    names = model.gram.spec.vectors
    out: list[tuple[int, int] | None] = []
    for s in model.gram.state:
        a, b = symbol_words(s)
        if a[-1] not in names or b[-1] not in names:
            out.append(None)
        else:
            out.append((names.index(a[-1]), names.index(b[-1])))
    return tuple(out)


def plan_from_model(
    model: Any, *, restriction: dict[str, Any] | None = None, kernels: bool = True
) -> SimPlan:
    """Read the plan off a derived Model (SymPy).

    Args:
        model: a closed :class:`catapultlab.theory.Model`.
        restriction: the serialised restriction it was derived with.
        kernels: also generate the kernel module sources (both dtypes).
    """
    from catapultlab.sim._kernel import DTYPES, kernel_artefact
    from catapultlab.theory._serialize import spec_to_json

    edges = model.numeric_edges
    functions = {
        "gram_to_state": model._gram_to_state,
        "observables": model.numeric_observables,
        "step": model.numeric_map,
        "loss": model.numeric_loss,
        "mu2": model.numeric_mu2,
        "edges_closed": edges.closed,
        "recursion_matrix": edges.matrix,
        "stability_edge": edges.stability_edge,
    }
    sources, names = [], {}
    for name, func in functions.items():
        if func is not None:
            src, used = _function_source(func, name)
            sources.append(src)
            names |= used
    built = []
    if kernels:
        for dtype in DTYPES:
            tag, source = kernel_artefact(model, dtype)
            built.append((dtype, tag, source()))
    step = model.step_rule
    return SimPlan(
        key=model.key,
        name=model.name,
        step=StepKind(step.kind, step.weight_decay),
        state=tuple(str(s) for s in model.state),
        params=tuple(p.name for p in model.params),
        labels=tuple(s.name for s in model.labels),
        data=tuple(s.name for s in model.data),
        hyper=tuple(s.name for s in model.hyper),
        outputs=len(model.outputs),
        vectors=tuple(model.gram.spec.vectors),
        gram_index=_gram_index(model),
        spec=spec_to_json(model.spec),
        restriction=restriction,
        numeric_source="\n\n".join(sources),
        namespace=tuple(sorted(names.items())),
        edge_kinds=edges.kinds,
        kernels=tuple(built),
    )


_BY_MODEL: dict[int, tuple[Any, SimPlan]] = {}


def plan_of_model(model: Any) -> SimPlan:
    """The plan of a Model object held in memory (no kernels: those come from the Model)."""
    known = _BY_MODEL.get(id(model))
    if known is None or known[0] is not model:
        known = _BY_MODEL[id(model)] = (model, plan_from_model(model, kernels=False))
    return known[1]


# -- the on-disk cache --------------------------------------------------------------------


def _module_file(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin)


@cache
def code_hash() -> str:
    """Hash of the theory layer's and the plan-making sim files' source."""
    h = hashlib.sha256()
    theory = importlib.util.find_spec("catapultlab.theory")
    assert theory is not None and theory.submodule_search_locations
    folder = Path(next(iter(theory.submodule_search_locations)))
    files = sorted(folder.glob("*.py")) + [_module_file(name) for name in CODE_FILES]
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def plan_dir() -> Path | None:
    """Where plans are stored (``None``: caching is off or the folder is unusable)."""
    if os.environ.get("CATAPULTLAB_NO_MODEL_CACHE"):
        return None
    from catapultlab._cache import cache_root

    path = cache_root() / "plans"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def load_plan(name: str) -> SimPlan | None:
    """The cached plan ``name``, or ``None`` (missing, or failed its check: one line)."""
    folder = plan_dir()
    path = None if folder is None else folder / f"{name}.json"
    if path is None or not path.exists():
        return None
    try:
        head, _, body = path.read_text().partition("\n")
    except (OSError, UnicodeDecodeError):
        head, body = "", ""
    problem = None
    if head != _HEADER + _digest(body):
        problem = "content does not match its hash"
    else:
        try:
            return SimPlan.from_json(body)
        except (ValueError, TypeError, KeyError):
            problem = "unreadable"
    print(
        f"catapultlab: cached plan {path.name} failed its check ({problem}); rebuilt",
        file=sys.stderr,
    )
    return None


def store_plan(name: str, plan: SimPlan) -> None:
    """Write plan ``name`` atomically (nothing when caching is off or impossible)."""
    folder = plan_dir()
    if folder is None:
        return
    body = plan.to_json()
    try:
        atomic_write_text(folder / f"{name}.json", f"{_HEADER}{_digest(body)}\n{body}")
    except OSError:
        pass


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_plan_name(key: str, restriction: dict[str, Any] | None) -> str:
    """File stem of the plan of model ``key`` derived under ``restriction``."""
    return f"m_{key}_{_short(json.dumps(restriction, sort_keys=True))}_{code_hash()}"


def _derived_plan(model: Any, restriction: dict[str, Any] | None) -> SimPlan:
    """The plan of a model derived from its declaration (cached by its key)."""
    name = model_plan_name(model.key, restriction)
    plan = load_plan(name)
    if plan is None or plan.spec != _spec_json(model):
        plan = plan_from_model(model, restriction=restriction)
        store_plan(name, plan)
    return replace(plan, name=model.name) if plan.name != model.name else plan


def _spec_json(model: Any) -> dict[str, Any]:
    from catapultlab.theory._serialize import spec_to_json

    return spec_to_json(model.spec)


def builtin_plan(
    name: str, step: StepKind, *, inputs: int = 0, samples: int = 0
) -> tuple[SimPlan, Any]:
    """The plan of a built-in model, and the Model when it had to be derived (else ``None``).

    Args:
        name: ``"uv"`` or ``"full"``.
        step: the step rule.
        inputs: input dimension (``"full"``).
        samples: sample count (``"full"``).
    """
    sizes = {"inputs": int(inputs), "samples": int(samples)} if name == "full" else {}
    request = {"model": name, **sizes, "step": [step.kind, step.weight_decay], "code": code_hash()}
    stem = f"r_{_short(json.dumps(request, sort_keys=True))}"
    plan = load_plan(stem)
    if plan is not None:
        return plan, None
    model, restriction = _derive_builtin(name, step, inputs, samples)
    plan = _derived_plan(model, restriction)
    store_plan(stem, plan)
    return plan, model


def _derive_builtin(name: str, step: StepKind, inputs: int, samples: int) -> tuple[Any, Any]:
    from catapultlab.theory._cache import derive
    from catapultlab.theory._serialize import spec_to_json
    from catapultlab.theory._specs import full_spec, full_unit_spec, uv_spec
    from catapultlab.theory._steprule import StepRule

    rule = StepRule(step.kind, step.weight_decay)
    if name == "uv":
        return derive(uv_spec(rule)), None
    restriction = full_unit_spec()
    spec = full_spec(int(inputs), int(samples), step=rule)
    return derive(spec, restriction=restriction), spec_to_json(restriction)


def plan_for_config(config: dict[str, Any]) -> tuple[SimPlan, Any]:
    """The plan of a :attr:`Setup.config`, and the Model when it had to be derived.

    The cached plan is used only when its declaration equals the recorded one.

    Raises:
        CatapultError: the rebuilt model's content hash differs from the recorded one.
    """
    from catapultlab._errors import CatapultError

    restriction = config.get("restriction")
    plan = load_plan(model_plan_name(str(config["key"]), restriction))
    if plan is not None and plan.spec == config["spec"] and plan.restriction == restriction:
        return plan, None
    from catapultlab.theory._cache import derive
    from catapultlab.theory._serialize import spec_from_json

    model = derive(
        spec_from_json(config["spec"]),
        restriction=None if restriction is None else spec_from_json(restriction),
    )
    if model.key != config["key"]:
        raise CatapultError(
            f"model {config['model']!r}: its declaration hashes to {model.key}, the "
            f"recorded run to {config['key']} (another catapultlab version?)"
        )
    return _derived_plan(model, restriction), model
