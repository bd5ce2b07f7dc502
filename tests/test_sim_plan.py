"""The cached SimPlan: same numbers as the Model it is read off, checked on load, keyed by
content, and a warm run that imports neither SymPy, xarray nor dask."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from catapultlab.sim import _plan
from catapultlab.sim._plan import (
    builtin_plan,
    model_plan_name,
    plan_for_config,
    plan_from_model,
)
from catapultlab.sim._setup import make_setup
from catapultlab.theory import StepKind


@pytest.fixture
def plans(tmp_path, monkeypatch):
    """Plans in a fresh folder (models and kernels stay in the shared cache)."""
    monkeypatch.setattr(_plan, "plan_dir", lambda: tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "name, kw",
    [
        ("uv", {}),
        ("uv", {"step": StepKind("momentum"), "hyper": (("beta", 0.5),)}),
        ("full", {"inputs": 2, "samples": 2}),
    ],
)
def test_plan_numerics_equal_the_models(name, kw):
    setup = make_setup(name, y=1.0, **kw)
    model = setup.model
    plan = plan_from_model(model, kernels=False)
    p = len(plan.vectors)
    rng = np.random.default_rng(5)
    W = rng.standard_normal((64, 300, p))
    G = np.einsum("bki,bkj->bij", W, W)
    np.testing.assert_array_equal(plan.state_from_gram(G, 300.0), model.state_from_gram(G, 300.0))
    state = model.state_from_gram(G, 300.0)
    args = (*state, 0.1, *setup.shared(300.0))
    f_plan, ntk_plan = plan.observables(*args)
    f_model, ntk_model = model.numeric_observables(*args)
    np.testing.assert_array_equal(np.asarray(f_plan, float), np.asarray(f_model, float))
    np.testing.assert_array_equal(
        np.broadcast_arrays(*np.asarray(ntk_plan, dtype=object).ravel()),
        np.broadcast_arrays(*np.asarray(ntk_model, dtype=object).ravel()),
    )
    assert plan.state == tuple(str(s) for s in model.state)
    assert plan.params == tuple(s.name for s in model.params)
    np.testing.assert_array_equal(plan.numeric_map(*args), model.numeric_map(*args))
    np.testing.assert_array_equal(plan.numeric_loss(*args), model.numeric_loss(*args))
    assert (plan.numeric_mu2 is None) == (model.numeric_mu2 is None)
    if model.numeric_mu2 is not None:
        np.testing.assert_array_equal(plan.numeric_mu2(*args), model.numeric_mu2(*args))
    for beta in (0.0, 0.5, 0.9) if setup.plan.hyper else (0.0,):
        assert plan.edges(beta=beta) == model.edges(beta=beta)


def test_builtin_plan_cold_then_warm(plans):
    cold, model = builtin_plan("uv", StepKind())
    assert model is not None and cold.key == model.key
    names = sorted(p.name for p in plans.iterdir())
    assert len(names) == 2 and names[0].startswith("m_") and names[1].startswith("r_")
    warm, again = builtin_plan("uv", StepKind())
    assert again is None and warm == cold
    assert {d for d, _, _ in warm.kernels} == {"float64", "float32"}


def _corrupt(path, how):
    text = path.read_text()
    if how == "truncated":
        path.write_text(text[: len(text) // 2])
    elif how == "edited":
        path.write_text(text.replace('"uv"', '"vu"', 1))
    elif how == "empty":
        path.write_text("")
    elif how == "valid hash, bad JSON":
        body = '{"key": 1}'
        path.write_text(f"sha256={_plan._digest(body)}\n{body}")


@pytest.mark.parametrize("how", ["truncated", "edited", "empty", "valid hash, bad JSON"])
def test_corrupt_plan_is_rebuilt_with_one_line(plans, how, capsys):
    first, _ = builtin_plan("uv", StepKind())
    (request,) = plans.glob("r_*.json")
    intact = request.read_text()
    _corrupt(request, how)
    capsys.readouterr()
    again, model = builtin_plan("uv", StepKind())
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and request.name in err[0] and "rebuilt" in err[0]
    assert model is not None and again == first
    assert request.read_text() == intact


def test_plan_names_and_keys_change_with_the_model(plans):
    gd, _ = builtin_plan("uv", StepKind())
    mom, _ = builtin_plan("uv", StepKind("momentum"))
    nes, _ = builtin_plan("uv", StepKind("nesterov"))
    assert len({gd.key, mom.key, nes.key}) == 3
    assert len({gd.kernel("float64")[0], mom.kernel("float64")[0], nes.kernel("float64")[0]}) == 3
    assert len(list(plans.glob("r_*.json"))) == 3
    assert model_plan_name(gd.key, None) != model_plan_name(gd.key, {"vectors": ["u"]})
    assert _plan.code_hash() in model_plan_name(gd.key, None)


def test_plan_of_another_declaration_is_not_used(plans):
    setup = make_setup("uv", y=1.0)
    config = setup.config
    stem = model_plan_name(str(config["key"]), None)
    plan, _ = plan_for_config(config)  # written now
    doc = json.loads((plans / f"{stem}.json").read_text().partition("\n")[2])
    doc["spec"] = {**doc["spec"], "outputs": ["0"]}
    body = json.dumps(doc, sort_keys=True)
    (plans / f"{stem}.json").write_text(f"sha256={_plan._digest(body)}\n{body}")
    again, model = plan_for_config(config)
    assert model is not None and again.spec == config["spec"] and again == plan


_WARM = """
import sys
from catapultlab.sim import SweepConfig, make_setup, write_netcdf
from catapultlab.sim._sweep import sweep_result
s = make_setup("uv", y=1.0)
cfg = SweepConfig(setup=s.config, c=(3.0, 4.5), n=(100,), ensemble=64, steps=200)
write_netcdf(sweep_result(cfg), sys.argv[1])
heavy = {"sympy", "dask", "distributed", "xarray", "pandas"}
print(",".join(sorted(heavy & set(sys.modules))) or "none")
"""


def test_warm_sweep_imports_no_sympy_dask_or_xarray(tmp_path):
    subprocess.run([sys.executable, "-c", _WARM, str(tmp_path / "a.nc")], check=True)  # warm up
    out = subprocess.run(
        [sys.executable, "-c", _WARM, str(tmp_path / "b.nc")],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    assert out.stdout.strip() == "none"
    import xarray as xr

    with xr.open_dataset(tmp_path / "a.nc") as a, xr.open_dataset(tmp_path / "b.nc") as b:
        xr.testing.assert_identical(a.load(), b.load())


_WARM_SIMULATE = """
import sys
from catapultlab._cli import main
main(["simulate", "uv", "--c", "2.5", "--n", "300", "--steps", "300", "--ensemble", "40",
      "--momentum", "0.5", "--json", "--out", sys.argv[1]])
print(",".join(sorted({"sympy", "xarray"} & set(sys.modules))) or "none", file=sys.stderr)
"""


def test_warm_simulate_imports_no_sympy_and_says_the_same(tmp_path):
    """A warm ``simulate`` (trajectory, ensemble, derived edges) runs off the cached plan."""
    runs = [
        subprocess.run(
            [sys.executable, "-c", _WARM_SIMULATE, str(tmp_path / f"{k}.json")],
            check=True,
            capture_output=True,
            text=True,
        )
        for k in range(2)
    ]
    assert runs[1].stderr.strip().splitlines()[-1] == "none"
    first, second = (json.loads((tmp_path / f"{k}.json").read_text()) for k in range(2))
    assert first == second
    setup = make_setup("uv", step=StepKind("momentum"), hyper=(("beta", 0.5),))
    assert second["edges_c"] == setup.model.edges(beta=0.5)
