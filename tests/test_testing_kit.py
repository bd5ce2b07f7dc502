"""The public testing kit, run on the project's own models (uv, full, momentum, Nesterov)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

from catapultlab.testing import (
    check_invariants,
    check_kernel_against_pure,
    check_map_against_gd,
    reachable_states,
)
from catapultlab.theory import WIDTH, ModelSpec, StepRule, derive, dot, full_spec, uv_model, uv_spec

RULES = [StepRule(), StepRule("momentum"), StepRule("nesterov"), StepRule("gd", "l2")]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.label)
def test_uv_map_against_parameter_space_steps(rule: StepRule) -> None:
    res = check_map_against_gd(uv_spec(rule), trials=4, steps=8)
    assert res.worst < 1e-8 and res.passed and res.cases >= 4 and len(repr(res)) < 200


def test_full_map_against_parameter_space_steps() -> None:
    assert check_map_against_gd(full_spec(2, 2), trials=3, steps=6).worst < 1e-8
    assert check_map_against_gd(full_spec(2, 2, StepRule("momentum")), trials=2, steps=6).passed


def test_a_wrong_map_is_caught() -> None:
    """The check can fail: perturb one map term and it must raise."""
    import dataclasses

    model = uv_model()
    f, lam = model.state
    bad = dataclasses.replace(model, maps={f: model.maps[f] * 1.001, lam: model.maps[lam]})
    with pytest.raises(AssertionError, match="differ"):
        check_map_against_gd(bad, trials=2, steps=4)


@pytest.mark.parametrize("rule", [StepRule(), StepRule("momentum")], ids=lambda r: r.label)
def test_kernel_against_pure(rule: StepRule) -> None:
    res = check_kernel_against_pure(uv_model(rule), c=3.0, n=512, ensemble=32, steps=600)
    assert res.cases == 32 and res.passed and 0.0 <= res.worst <= res.tolerance


def test_invariants_and_symmetries_found() -> None:
    names = {s.name for s in check_invariants(uv_model(), trials=5)}
    assert names == {"swap u<->v", "flip u", "flip v"}
    spec = ModelSpec(
        "uvw",
        ("u", "v", "w"),
        ((dot("u", "v") + dot("v", "w")) / sp.sqrt(WIDTH),),
        (sp.Symbol("y", real=True),),
    )
    found = {
        s.name for s in check_invariants(derive(spec.with_step(StepRule("momentum"))), trials=5)
    }
    assert "swap u<->w" in found and "swap u<->v" not in found


@settings(max_examples=25, deadline=None)
@given(reachable_states(uv_model(), max_width=10**8))
def test_reachable_states_satisfy_the_uv_bound(draw: tuple[np.ndarray, int]) -> None:
    (f, lam), n = draw
    assert abs(f) <= np.sqrt(n) * lam / 2 * (1 + 1e-12)
