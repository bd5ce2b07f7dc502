"""One phase definition: kernel, pure path, simulate (map and exact GD) and validate agree."""

from __future__ import annotations

import numpy as np
import pytest

import catapultlab.phases as phases
from catapultlab.sim import make_setup, run_ensemble, simulate_trajectories
from catapultlab.theory import StepRule


@pytest.mark.parametrize("c", [1.0, 3.0, 4.6])
@pytest.mark.parametrize("rule", [StepRule(), StepRule("momentum")], ids=lambda r: r.label)
def test_every_path_classifies_alike(c: float, rule: StepRule) -> None:
    hyper = (("beta", 0.5),) if rule.has_velocity else ()
    setup = make_setup("uv", y=0.0, step=rule, hyper=hyper)
    n, steps, seed = 256, 3000, 4
    kernel = run_ensemble(setup, c=c, n=n, ensemble=1, steps=steps, seed=seed)
    pure = run_ensemble(setup, c=c, n=n, ensemble=1, steps=steps, seed=seed, backend="numpy")
    mapped = simulate_trajectories(setup, c=c, n=n, steps=steps, seed=seed)
    exact = simulate_trajectories(setup, c=c, n=n, steps=min(steps, 400), seed=seed, exact=True)
    names = phases.PHASE_NAMES
    assert names[kernel.phase[0]] == names[pure.phase[0]] == mapped.phase
    # exact GD starts from the map's own initial state (same seed, same draws)
    assert exact.lam0 == pytest.approx(mapped.lam0, rel=1e-12)
    assert exact.f[0, 0] == pytest.approx(mapped.f[0, 0], rel=1e-9, abs=1e-12)
    if mapped.steps_taken <= 400:
        assert exact.phase == mapped.phase
    # and the shared rule, applied to the recorded losses, says the same (GD: loss only)
    if not rule.has_velocity:
        loss = np.where(np.isfinite(mapped.loss), mapped.loss, np.inf)
        got = phases.classify_losses(
            loss,
            converge_loss=mapped.stop.converge_loss,
            diverge_loss=mapped.stop.diverge_loss(n),
        )
        assert names[got] == mapped.phase


def test_validate_and_sim_use_the_same_definition() -> None:
    import catapultlab.phases as sim_phases
    import catapultlab.validate._sweep as vs

    assert vs.classify_losses is phases.classify_losses is sim_phases.classify_losses
    assert sim_phases.Phase is phases.Phase


def test_kernel_phase_codes_come_from_the_enum() -> None:
    from catapultlab.sim import kernel_source
    from catapultlab.theory import uv_model

    src = kernel_source(uv_model().numeric().kernel, "float64")
    assert phases.phase_code_source("dv", "cv", "rs") in src


def test_data_seed_is_separate_and_default_inputs_are_well_conditioned() -> None:
    a = make_setup("full", inputs=2, samples=2, data_seed=0)
    b = make_setup("full", inputs=2, samples=2, data_seed=1)
    assert a.x != b.x
    X = np.array(a.x)
    assert np.allclose(X @ X.T, 2 * np.eye(2))
    out = run_ensemble(a, c=1.5, n=256, ensemble=200, steps=2000, seed=0)
    assert np.mean(out.phase == phases.Phase.UNRESOLVED) < 0.05


def test_momentum_zero_has_the_phases_of_plain_gd():
    """--momentum 0 is GD step for step: the same phase fractions (the NTK-drop test of
    momentum catapults applies only where beta != 0)."""
    from catapultlab.sim import SweepConfig, make_setup, run_sweep
    from catapultlab.theory import step_from_flags

    fractions = []
    for momentum in (None, 0.0):
        step, hyper = step_from_flags(momentum=momentum)
        setup = make_setup("uv", y=0.0, step=step, hyper=hyper)
        ds = run_sweep(SweepConfig(setup, (1.5, 2.5, 3.5), (1024,), 400, 2000))
        fractions.append(
            {k: ds[k].values.tolist() for k in ("p_lazy", "p_catapult", "p_divergent")}
        )
    assert fractions[0] == fractions[1]
    assert fractions[0]["p_catapult"][1] == [1.0]  # c = 2.5 (one width): every run catapults
