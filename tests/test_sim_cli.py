import json

import numpy as np
import pytest

from catapultlab._cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "args",
    [
        ["sweep", "uv", "--c", "0:2:0.5", "--n", "16"],
        ["sweep", "uv", "--c", "nan:2:0.5", "--n", "16"],
        ["sweep", "uv", "--c", "3:2:0.5", "--n", "16"],
        ["sweep", "uv", "--c", "1:2:0.5", "--n", "0"],
        ["sweep", "uv", "--c", "1:2:0.5", "--n", "16", "--steps", "1.5"],
        ["sweep", "uv", "--c", "1:2:0.5", "--n", "16", "--ensemble", "0"],
        ["sweep", "nosuch", "--c", "1:2:0.5", "--n", "16"],
        ["sweep", "uv", "--c", "1:2:0.5", "--n", "16", "--y", "1,1"],
        ["sweep", "uv", "--c", "1:2:0.5", "--n", "16", "--y", "0,nan"],
        ["simulate", "uv", "--c", "-1", "--n", "16", "--steps", "10"],
        ["simulate", "uv", "--c", "2", "--n", "16", "--steps", "10", "--f0", "9", "--lam0", "2"],
        ["simulate", "uv", "--c", "2", "--n", "0.5", "--steps", "10"],
        [
            "simulate",
            "uv",
            "--c",
            "2",
            "--n",
            "16",
            "--steps",
            "9",
            "--f0",
            "9",
            "--lam0",
            "2",
            "--exact",
        ],
        ["simulate", "uv", "--c", "2", "--n", "16", "--steps", "9", "--f0", "1", "--exact"],
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("catapultlab: error:")


def test_simulate_json(capsys):
    code, out, err = run(
        capsys, "simulate", "uv", "--c", "3", "--n", "256", "--steps", "300", "--json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["phase"] == "catapult"
    assert len(doc["f"]) == len(doc["lam"]) == len(doc["loss"]) == doc["steps_taken"] + 1
    assert doc["eta_lam_final"] < 2


def test_simulate_exact_json(capsys):
    code, out, _ = run(
        capsys, "simulate", "uv", "--c", "1.5", "--n", "200", "--steps", "50", "--exact", "--json"
    )
    assert code == 0 and json.loads(out)["phase"] == "lazy"


@pytest.mark.parametrize("c", [1.5, 3.0, 4.5])
def test_simulate_exact_from_explicit_state_follows_the_map(capsys, c):
    """Vectors built for (f0, lam0) follow the closed (f, lam) map in every phase."""
    common = ["--c", str(c), "--n", "64", "--steps", "200", "--f0", "0.7", "--lam0", "1.8"]
    code, out, err = run(capsys, "simulate", "uv", *common, "--json")
    assert code == 0, err
    mapped = json.loads(out)
    code, out, err = run(capsys, "simulate", "uv", *common, "--exact", "--json")
    assert code == 0, err
    exact = json.loads(out)
    assert exact["phase"] == mapped["phase"]
    assert exact["steps_taken"] == mapped["steps_taken"]
    k = min(40, mapped["steps_taken"] + 1)  # before divergence blows both up
    np.testing.assert_allclose(exact["f"][:k], mapped["f"][:k], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(exact["lam"][:k], mapped["lam"][:k], rtol=1e-6)


def test_simulate_draws_the_sweep_initial_states(capsys):
    """``simulate --seed S`` trajectory 0 is trajectory 0 of an ensemble with seed S."""
    from catapultlab.sim import make_setup, run_ensemble

    code, out, _ = run(
        capsys,
        "simulate",
        "uv",
        "--c",
        "3",
        "--n",
        "100",
        "--steps",
        "300",
        "--seed",
        "7",
        "--json",
    )
    doc = json.loads(out)
    ens = run_ensemble(make_setup("uv", y=1.0), c=3.0, n=100, ensemble=4, steps=300, seed=7)
    assert doc["lam0"] == ens.lam0[0]
    assert doc["steps_taken"] == ens.steps[0]


def test_sweep_json_and_netcdf(capsys, tmp_path):
    out_nc = tmp_path / "s.nc"
    code, out, err = run(
        capsys,
        "sweep",
        "uv",
        "--c",
        "1:4.4:0.5",
        "--n",
        "16,64",
        "--ensemble",
        "300",
        "--steps",
        "500",
        "--json",
        "--out",
        str(out_nc),
        "--figure",
        str(tmp_path / "p.png"),
    )
    assert code == 0, err
    doc = json.loads(out)
    assert {"cells", "boundaries", "fits", "config"} <= set(doc)
    assert len(doc["cells"]) == 7 * 2
    assert doc["boundaries"][0]["c_divergent"] is None or doc["boundaries"][0]["c_divergent"] > 3
    import xarray as xr

    ds = xr.open_dataset(out_nc, engine="scipy")
    assert ds["p_divergent"].shape == (7, 2)
    ds.close()
    assert (tmp_path / "p.png").stat().st_size > 0
    assert not (tmp_path / "s.nc.parts").exists()


def test_sweep_over_labels_stacks_single_sweeps(capsys, tmp_path):
    """A c x y sweep: each y slice is exactly the single-y sweep; file, figure and JSON agree."""
    import xarray as xr

    common = ["--c", "3.6:4.2:0.2", "--n", "64", "--ensemble", "300", "--steps", "500", "--json"]
    code, out, err = run(
        capsys,
        "sweep",
        "uv",
        *common,
        "--y",
        "0,2",
        "--out",
        str(tmp_path / "cy.nc"),
        "--figure",
        str(tmp_path / "cy.png"),
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["config"]["y_values"] == [0.0, 2.0]
    assert [b["y"] for b in doc["boundaries"]] == [0.0, 2.0]
    code, out, err = run(capsys, "sweep", "uv", *common, "--y", "2")
    single = json.loads(out)
    assert [{k: v for k, v in row.items() if k != "y"} for row in doc["cells"][4:]] == single[
        "cells"
    ]
    ds = xr.open_dataset(tmp_path / "cy.nc", engine="scipy")
    assert ds["p_divergent"].dims == ("y", "c", "n")
    np.testing.assert_array_equal(ds["y"].values, [0.0, 2.0])
    assert (tmp_path / "cy.png").stat().st_size > 0


@pytest.mark.parametrize(("steps", "noted"), [(4, True), (1000, False)])
def test_sweep_says_when_many_trajectories_are_unresolved(capsys, steps, noted):
    args = ["sweep", "uv", "--c", "3.5", "--n", "1e4", "--ensemble", "200", "--steps"]
    assert main([*args, str(steps), "--json"]) == 0
    captured = capsys.readouterr()
    cells = json.loads(captured.out)["cells"]
    assert (cells[0]["p_unresolved"] > 0.01) == noted
    lines = captured.err.strip().splitlines()
    if noted:
        assert lines == [
            f"catapultlab: note: up to {100 * cells[0]['p_unresolved']:.1f}% of a cell's "
            f"trajectories are unresolved after {steps} steps (c = 3.5, n = 10000); the "
            "quartiles cover the converged ones only: raise --steps to resolve them"
        ]
    else:
        assert lines == []
