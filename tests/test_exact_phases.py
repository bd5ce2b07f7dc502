"""The exact parameter-space simulator as a phase classifier, for closed and unclosed models.

References: the closed uv map's phases at c values where every run has the same outcome,
and the BLAS thread limit seen from inside a run (threadpoolctl).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from catapultlab._cli import main
from catapultlab.phases import Phase
from catapultlab.sim import exact_phases, make_setup, run_ensemble
from catapultlab.theory import deep_linear_spec, uv_spec


@pytest.mark.parametrize("c", [1.0, 3.0, 5.0])
def test_exact_phases_agree_with_the_map(c):
    exact = exact_phases(uv_spec(), c=c, n=256, steps=2000, ensemble=8, y=0.0)
    mapped = run_ensemble(make_setup("uv", y=0.0), c=c, n=256, ensemble=256, steps=2000)
    expected = np.bincount(mapped.phase, minlength=len(Phase)).argmax()
    assert np.mean(mapped.phase == expected) > 0.97
    assert np.all(exact.phase == expected)
    np.testing.assert_allclose(exact.eta * exact.lam0, c, rtol=1e-12)


def test_blas_runs_on_one_thread(monkeypatch):
    import threadpoolctl

    import catapultlab.sim._exact_phases as module

    seen = []
    original = module.run_exact_spec

    def spy(*args, **kw):
        seen.extend(
            p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"
        )
        return original(*args, **kw)

    monkeypatch.setattr(module, "run_exact_spec", spy)
    exact_phases(deep_linear_spec(), c=1.0, n=16, steps=5)
    assert seen and set(seen) == {1}


def test_unclosed_model_simulates_exactly_from_the_cli(tmp_path, capsys):
    spec = tmp_path / "deep.py"
    spec.write_text("from catapultlab.theory import deep_linear_spec as deep\n")
    args = ["simulate", "--spec", f"{spec}:deep", "--c", "5", "--n", "64", "--steps", "500"]
    assert main([*args, "--y", "0", "--exact", "--ensemble", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["phase"] == "divergent" and doc["ensemble"]["divergent"] == 1.0
    assert main([*args, "--y", "0"]) == 2  # without --exact: one line that says what to do
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "simulate --exact" in err[0]
