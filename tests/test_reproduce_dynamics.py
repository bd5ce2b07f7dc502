"""The reproduce sections on late-time dynamics and warmup, at a tiny size (plumbing).

The map's first period doubling sits beside its closed form (eta = 1 at y = n = 1); the
rows, figures and data files exist; warmup leaves the map's largest trainable c where it is.
"""

from __future__ import annotations

import copy

import pytest

from catapultlab.reproduce._config import preset, run_config
from catapultlab.reproduce._validate_dynamics import late_time_section, warmup_section


def _cfg():
    cfg = run_config(copy.deepcopy(preset("default")))
    cfg["validate"]["late_time"].update(
        map_c=[0.24, 0.36, 31], transient=2000, width=8, steps=40, late_window=8,
        net_c=[0.5, 1.5], train_size=32, test_size=32,
    )  # fmt: skip
    cfg["validate"]["warmup"].update(
        T=[1, 100], c=[3.0, 5.0, 8.0, 20.0, 40.0], map_ensemble=128, steps=1000, width=8,
        net_steps=120, train_size=32, test_size=32, bisect=0,
    )  # fmt: skip
    return cfg


def _dirs(tmp_path):
    for sub in ("figures", "data"):
        (tmp_path / sub).mkdir()
    return tmp_path


def test_late_time_section(tmp_path):
    out = _dirs(tmp_path)
    sec = late_time_section(_cfg(), out)
    by = {r.key: r for r in sec.numbers}
    onset = by["validate.late_time.map_period_two_eta"]
    assert onset.predicted == 1.0 and onset.agrees is True
    assert (out / "figures" / "late_time_bifurcation.png").is_file()
    assert (out / "data" / "late_time_bifurcation.nc").is_file()


def test_warmup_section(tmp_path):
    sec = warmup_section(_cfg(), _dirs(tmp_path))
    by = {r.key: r for r in sec.numbers}
    short, long = by["validate.warmup.map_c_max_T1"], by["validate.warmup.map_c_max_T100"]
    assert short.measured is not None and 3.0 < short.measured < 5.0
    # the map's one mode converges during warmup and regrows at the target: no shift
    assert long.measured is not None and abs(long.measured - short.measured) < 1.0
    assert "validate.warmup.net_c_max_T100" in by


@pytest.mark.slow
def test_sgd_section(tmp_path):
    """Plumbing at a tiny size: the step-by-step SGD row agrees (the map is exact), every
    count row and the figure and data files exist."""
    from catapultlab.reproduce._validate_sgd import sgd_section

    cfg = _cfg()
    cfg["validate"]["sgd"].update(
        width=32, steps=30, seeds=2, batches=[8, 32], train_size=32, test_size=16,
        step_width=32, step_batch=8, step_steps=8,
    )  # fmt: skip
    out = _dirs(tmp_path)
    sec = sgd_section(cfg, out)
    by = {r.key: r for r in sec.numbers}
    assert by["validate.sgd.step_by_step_deviation"].agrees is True
    for who in ("map", "linear", "relu"):
        for B in (8, 32):
            row = by[f"validate.sgd.spikes_{who}_B{B}"]
            assert row.ci_low <= row.measured <= row.ci_high
        assert f"validate.sgd.spikes_rise_as_B_falls_{who}" in by
    assert (out / "figures" / "sgd_spikes.png").is_file()
    assert (out / "data" / "sgd_spikes.nc").is_file()
