"""What a notebook shows: typeset models, short reprs, result tables, check records."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import numpy as np

from catapultlab.records import MAX_REPR, short_repr
from catapultlab.theory import StepRule, check_latex, uv_model

PUBLIC = (
    "catapultlab.theory",
    "catapultlab.sim",
    "catapultlab.validate",
    "catapultlab.phases",
    "catapultlab.stats",
    "catapultlab.io",
    "catapultlab.batches",
    "catapultlab.testing",
)


def _records():
    for name in PUBLIC:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            is_tuple = inspect.isclass(obj) and issubclass(obj, tuple) and hasattr(obj, "_fields")
            if inspect.isclass(obj) and (dataclasses.is_dataclass(obj) or is_tuple):
                yield f"{name}.{attr}", obj


def test_every_public_record_has_a_short_repr():
    long = [
        name
        for name, cls in _records()
        if cls.__repr__ is not short_repr and cls.__name__ not in ("Model", "NumericModel")
    ]
    assert long == []


def test_reprs_of_what_users_get_are_short():
    from catapultlab.sim import bifurcation, make_setup, simulate_trajectories

    setup = make_setup("uv", y=1.0)
    model = uv_model()
    things = [
        model,
        model.numeric(),
        model.spec,
        model.scaling,
        model.gram,
        setup,
        simulate_trajectories(setup, c=3.0, n=1024, steps=200),
        bifurcation(
            setup, np.arange(0.9, 1.1, 0.05), n=1.0, state0=np.array([0.01, 0.3]), transient=2000
        ),
    ]
    for thing in things:
        text = repr(thing)
        assert len(text) <= MAX_REPR and text.startswith(type(thing).__name__), text


def test_model_typesets_its_maps_and_edges():
    for model in (uv_model(), uv_model(StepRule("momentum"))):
        tex = model._repr_latex_()
        assert tex.startswith("$$") and tex.endswith("$$")
        assert r"\eta_{\text{lazy/catapult}}" in tex
        check_latex(tex.strip("$").replace("aligned", "align"))


def test_reachable_states_names_itself():
    from catapultlab.testing import reachable_states

    assert repr(reachable_states(uv_model())) == "reachable_states_of_uv()"
