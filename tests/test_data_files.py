"""Per-sample data on the CLI (--x, --labels), distinct default inputs, honest notes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

from catapultlab import CatapultError
from catapultlab._cli import main
from catapultlab.sim import default_inputs, make_setup, simulate_trajectories

X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y = np.array([1.0, -1.0, 0.5])


@pytest.fixture
def files(tmp_path):
    np.savetxt(tmp_path / "x.csv", X, delimiter=",")
    np.save(tmp_path / "y.npy", Y)
    (tmp_path / "y2.txt").write_text("1\n2\n")
    (tmp_path / "bad.csv").write_text("1,a\n2,3\n")
    (tmp_path / "nan.txt").write_text("1\nnan\n0\n")
    return tmp_path


def test_the_cli_runs_the_users_data(files, capsys):
    args = ["simulate", "full", "--c", "2.5", "--n", "256", "--steps", "60", "--json"]
    assert main([*args, "--x", str(files / "x.csv"), "--labels", str(files / "y.npy")]) == 0
    doc = json.loads(capsys.readouterr().out)
    setup = make_setup("full", x=X, y=tuple(Y), inputs=2, samples=3)
    ref = simulate_trajectories(setup, c=2.5, n=256, steps=60)
    np.testing.assert_array_equal(np.asarray(doc["loss"], float), ref.loss)
    text_args = [*args[:-1], "--x", str(files / "x.csv"), "--labels", str(files / "y.npy")]
    assert main(text_args) == 0
    out = capsys.readouterr().out
    assert "data: m = 3 samples, d = 2 inputs from" in out and "y = 1, -1, 0.5" in out


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--x", "{d}/x.csv", "--labels", "{d}/y2.txt"], "2 labels and --x 3 samples"),
        (["--x", "{d}/missing.csv"], "no such file"),
        (["--x", "{d}/bad.csv"], "not a numeric table"),
        (["--labels", "{d}/nan.txt"], "finite"),
    ],
)
def test_bad_data_files_are_refused_in_one_line(files, capsys, extra, needle):
    args = ["sweep", "full", "--c", "1:2:1", "--n", "16", "--steps", "10", "--ensemble", "4"]
    assert main(args + [e.format(d=files) for e in extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_a_model_without_inputs_refuses_x(files, capsys):
    args = ["simulate", "uv", "--c", "2", "--n", "16", "--steps", "5", "--x", str(files / "x.csv")]
    assert main(args) == 2
    assert "no inputs" in capsys.readouterr().err


def test_default_inputs_are_distinct_samples():
    for d, m in ((1, 2), (1, 8), (2, 5), (3, 3)):
        x = default_inputs(m, d, 0)
        assert len({tuple(r) for r in x.round(12)}) == m, (d, m)
        assert np.mean(np.sum(x**2, axis=1)) == pytest.approx(d)


def test_unfittable_labels_get_one_note(files, capsys):
    args = ["sweep", "full", "--c", "1:2:1", "--n", "16", "--steps", "50", "--ensemble", "4"]
    assert main([*args, "--x", str(files / "x.csv"), "--labels", str(files / "y.npy")]) == 0
    err = capsys.readouterr().err
    assert err.count("cannot be fitted") == 1
    np.savetxt(files / "fits.txt", X @ np.array([0.3, -0.2]))  # labels in the inputs' span
    assert main([*args, "--x", str(files / "x.csv"), "--labels", str(files / "fits.txt")]) == 0
    assert "cannot be fitted" not in capsys.readouterr().err


def test_a_bias_declared_as_data_is_refused():
    from catapultlab.theory import WIDTH, ModelSpec, derive, dot

    y, b = sp.Symbol("y", real=True), sp.Symbol("b", real=True)
    spec = ModelSpec("biased", ("u", "v"), (dot("u", "v") / sp.sqrt(WIDTH) + b,), (y,), (b,))
    with pytest.raises(CatapultError, match="bias"):
        derive(spec)


def test_full_means_one_model_in_every_command():
    from catapultlab.sim import COMMANDS
    from catapultlab.theory import FULL_DEFAULT_SIZE

    commands = {command.name: command for command in COMMANDS}
    for name in ("derive", "simulate", "sweep"):
        params = {p.name: p.default for p in commands[name].params}
        assert (params["inputs"], params["samples"]) == FULL_DEFAULT_SIZE, name
