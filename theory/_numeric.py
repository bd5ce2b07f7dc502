"""A derived model as plain data and printed code: the one record the layers below theory run.

:meth:`catapultlab.theory.Model.numeric` turns a derived (SymPy) model into a
:class:`NumericModel`: the names of its state, parameters, labels, data and step-rule
symbols, its serialised declaration, the source of its NumPy functions printed by
theory's own printer (:mod:`catapultlab.theory._printer`: the map, the loss, the squared
residual multiplier, the observables, the Gram-to-state definitions and the boundaries'
functions) and the printed pieces of its kernel (:class:`KernelSpec`). The record holds no
number the Model does not define; it is frozen, picklable and JSON-able, and it imports
no SymPy, so a warm run of the simulator never loads SymPy. Its identity is the model's
content hash :attr:`NumericModel.key`.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import numpy as np

from catapultlab.records import short_repr
from catapultlab.theory._edges_numeric import EdgeFunctions, edges_c
from catapultlab.theory._limit_record import WidthLimit
from catapultlab.theory._stepkind import StepKind

__all__ = ["ALLOWED_MODULES", "KernelSpec", "NumericModel", "compile_functions"]

ALLOWED_MODULES = ("numpy", "functools", "math")
"""Modules printed code may take names from."""

FUNCTIONS = (
    "gram_to_state",
    "observables",
    "step",
    "loss",
    "jacobian",
    "mu2",
    "edges_closed",
    "recursion_matrix",
    "stability_edge",
    "limit_center",
    "limit_fluctuation",
)
"""The printed NumPy functions of a numeric model (``mu2``, the recursion and the width
limit's functions may be absent)."""


@dataclass(frozen=True)
class KernelSpec:
    """What a generated kernel computes, in printable form.

    Attributes:
        state: names of the state variables, in the model's order.
        shared: names of the shared parameters (everything but ``eta``), in order.
        hoisted: ``(name, code)`` float64 assignments over shared parameters only.
        body: ``(name, code)`` per-lane assignments (common sub-expressions).
        new_state: code of the next value of each state variable.
        loss: code of the loss of the current state.
        loss_body: per-lane assignments the loss needs.
        stable: code of ``mu2``, the squared residual multiplier (``"zero"`` if none): a
            run counts as converged only where ``loss <= conv_loss`` and ``mu2 < 1``.
        stable_body: per-lane assignments ``mu2`` needs.
        key: a hash of everything above (the cache key).
        ops: operation count of the maps (large maps are not unrolled).
    """

    __repr__ = short_repr

    state: tuple[str, ...]
    shared: tuple[str, ...]
    hoisted: tuple[tuple[str, str], ...]
    body: tuple[tuple[str, str], ...]
    new_state: tuple[str, ...]
    loss_body: tuple[tuple[str, str], ...]
    loss: str
    key: str
    stable: str = "zero"
    stable_body: tuple[tuple[str, str], ...] = ()
    ops: int = 0

    def to_json(self) -> dict:
        """JSON-able form (lists for tuples)."""
        return {
            "state": list(self.state),
            "shared": list(self.shared),
            "hoisted": [list(p) for p in self.hoisted],
            "body": [list(p) for p in self.body],
            "new_state": list(self.new_state),
            "loss_body": [list(p) for p in self.loss_body],
            "loss": self.loss,
            "key": self.key,
            "stable": self.stable,
            "stable_body": [list(p) for p in self.stable_body],
            "ops": self.ops,
        }

    @staticmethod
    def from_json(doc: dict) -> KernelSpec:
        """Inverse of :meth:`to_json`."""
        pairs = ("hoisted", "body", "loss_body", "stable_body")
        kw = {k: tuple(tuple(p) for p in doc[k]) if k in pairs else doc[k] for k in doc}
        kw["state"], kw["shared"] = tuple(doc["state"]), tuple(doc["shared"])
        kw["new_state"] = tuple(doc["new_state"])
        return KernelSpec(**kw)


@dataclass(frozen=True)
class NumericModel:
    """A derived model as plain data and printed NumPy code (see the module docstring).

    Attributes:
        key: the model's content key (:attr:`catapultlab.theory.Model.key`).
        name: model name (a label).
        step: the step rule's kind and weight decay.
        state: state symbol names, in order.
        params: parameter names (``eta`` first, then ``n``, step-rule symbols, labels, data).
        labels: label names.
        data: input-data names (row-major ``x_a_i``).
        hyper: step-rule symbol names (``beta``, ``kappa``).
        outputs: number of outputs m.
        vectors: parameter vector names of the Gram lift.
        gram_index: per Gram-state entry, the ``(i, j)`` vector pair, or ``None`` for a
            velocity (zero at init).
        spec: the serialised declaration.
        restriction: the serialised restriction it was derived with, or ``None``.
        source: the printed NumPy functions (:data:`FUNCTIONS`).
        imports: ``(name, module)`` pairs the source uses.
        edge_kinds: ``(boundary, kind)`` of each boundary
            (:data:`catapultlab.theory._edges_numeric.EDGE_KINDS`).
        kernel: the printed pieces of the generated kernel.
        limit: the infinite-width limit (:class:`~catapultlab.theory.WidthLimit`).
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
    source: str
    imports: tuple[tuple[str, str], ...]
    edge_kinds: tuple[tuple[str, str], ...]
    kernel: KernelSpec
    limit: WidthLimit = WidthLimit(reason="not derived")

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the record, not its compiled functions (compiled again on demand)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return (
            f"NumericModel({self.name!r}, key={self.key!r}, step={self.step.label!r}, "
            f"state={list(self.state)}, outputs={self.outputs})"
        )

    # -- the printed functions ----------------------------------------------------------

    @cached_property
    def functions(self) -> dict[str, Any]:
        """The printed functions, compiled once per record."""
        return compile_functions(self.source, self.imports, f"numeric model {self.key}")

    def functions_on(self, array_module: str) -> dict[str, Any]:
        """The printed functions compiled against another array module (``"jax.numpy"``)."""
        return compile_functions(
            self.source, self.imports, f"numeric model {self.key}", array_module=array_module
        )

    @property
    def map(self) -> Any:
        """``map(*state, *params) -> new state`` (lists of arrays or floats)."""
        return self.functions["step"]

    @property
    def loss(self) -> Any:
        """``loss(*state, *params)``."""
        return self.functions["loss"]

    @property
    def jacobian(self) -> Any:
        """``jacobian(*state, *params)``: ``d map_i / d state_j`` as nested lists."""
        return self.functions["jacobian"]

    @property
    def mu2(self) -> Any:
        """Squared residual multiplier ``mu2(*state, *params)``, or ``None`` (no stability test)."""
        return self.functions.get("mu2")

    @property
    def observables(self) -> Any:
        """``observables(*state, *params) -> (outputs, ntk)`` as nested lists."""
        return self.functions["observables"]

    @property
    def edge_functions(self) -> EdgeFunctions:
        """The boundaries as NumPy functions."""
        f = self.functions
        return EdgeFunctions(
            self.edge_kinds,
            f["edges_closed"],
            f.get("recursion_matrix"),
            f.get("stability_edge"),
        )

    def edges(self, *, beta: float = 0.0, kappa: float = 0.0, lam0: float = 1.0) -> dict:
        """The boundaries as values of ``c = eta lam0`` (:meth:`Model.edges`, same code)."""
        return edges_c(self.edge_functions, beta=beta, kappa=kappa, lam0=lam0)

    def predict(
        self,
        quantity: str,
        *,
        beta: float = 0.0,
        kappa: float = 0.0,
        lam0: float = 1.0,
        notes: dict[str, str] | None = None,
    ) -> Any:
        """What the model predicts for a measured quantity (:meth:`Model.predict`, same table)."""
        from catapultlab.theory._predictions import prediction

        edges = self.edges(beta=beta, kappa=kappa, lam0=lam0)
        return prediction(quantity, edges, notes or {}, self.name)

    def state_from_gram(self, gram: np.ndarray, n: float) -> np.ndarray:
        """The state ``(S, ...)`` of Gram matrices ``(..., p, p)`` of the parameter vectors.

        Velocities (momentum traces) start at zero.
        """
        gram = np.asarray(gram, dtype=float)
        shape = gram.shape[:-2]
        values = [np.zeros(shape) if g is None else gram[..., g[0], g[1]] for g in self.gram_index]
        out = self.functions["gram_to_state"](*values, float(n))
        state = np.empty((len(out), *shape))
        for row, v in zip(state, out, strict=True):
            row[...] = v  # broadcasts a constant entry
        return state

    def state_from_inner(self, values: np.ndarray, n: float) -> np.ndarray:
        """The state ``(S,)`` from the values of the Gram-state inner products, velocities included."""
        out = self.functions["gram_to_state"](*np.asarray(values, dtype=float), float(n))
        return np.array([float(v) for v in out])

    def top_ntk(self, state: np.ndarray, shared: np.ndarray) -> np.ndarray:
        """Top eigenvalue of the NTK of each state ``(S, B)`` -> ``(B,)``.

        Args:
            state: states ``(S, B)``.
            shared: the shared parameter values (``params[1:]``).
        """
        B = state.shape[1]
        _, ntk = self.observables(*state, 0.0, *shared)
        m = len(ntk)
        if m == 1:
            return np.broadcast_to(np.asarray(ntk[0][0], dtype=float), (B,)).copy()
        M = np.empty((B, m, m))
        for a in range(m):
            for b in range(m):
                M[:, a, b] = np.broadcast_to(np.asarray(ntk[a][b], dtype=float), (B,))
        return np.linalg.eigvalsh(M)[:, -1]

    # -- JSON -------------------------------------------------------------------------

    def to_json(self) -> str:
        """The record as JSON text (the cache's form)."""
        doc = {f.name: getattr(self, f.name) for f in fields(self)}
        doc["step"] = [self.step.kind, self.step.weight_decay]
        doc["kernel"] = self.kernel.to_json()
        doc["limit"] = self.limit.to_json()
        return json.dumps(doc, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> NumericModel:
        """Inverse of :meth:`to_json`."""
        doc = json.loads(text)
        doc["step"] = StepKind(*doc["step"])
        doc["gram_index"] = tuple(None if g is None else tuple(g) for g in doc["gram_index"])
        for name in ("state", "params", "labels", "data", "hyper", "vectors"):
            doc[name] = tuple(doc[name])
        for name in ("imports", "edge_kinds"):
            doc[name] = tuple(tuple(p) for p in doc[name])
        doc["kernel"] = KernelSpec.from_json(doc["kernel"])
        doc["limit"] = WidthLimit.from_json(doc["limit"])
        return NumericModel(**doc)


def compile_functions(
    source: str, imports: Sequence[Sequence[str]], label: str, *, array_module: str = "numpy"
) -> dict[str, Any]:
    """Compile printed functions: ``{name: function}`` of every ``def`` in ``source``.

    Args:
        source: the functions' source (from :func:`function_source`).
        imports: ``(name, module)`` pairs the bodies use (modules in :data:`ALLOWED_MODULES`).
        label: a name for tracebacks.
        array_module: the module NumPy's names are taken from (``"jax.numpy"`` gives the
            same functions on JAX arrays, traceable by ``jax.jit``).
    """
    namespace: dict[str, Any] = {}
    for name, module in imports:
        if module not in ALLOWED_MODULES:
            raise ValueError(f"printed code may not use {module!r}")
        source_module = array_module if module == "numpy" else module
        namespace[name] = getattr(importlib.import_module(source_module), name)
    before = set(namespace)
    exec(compile(source, f"<catapultlab {label}>", "exec"), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if k not in before and callable(v)}
