"""The validate command: bad input gives one clear line and a non-zero exit."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from catapultlab import CatapultError
from catapultlab.validate._cli import COMMANDS, validate_cmd

BAD = [
    (["--arch", "transformer"], "architecture"),
    (["--act", "swish"], "activation"),
    (["--dataset", "imagenet"], "dataset"),
    (["--width", "0"], "width"),
    (["--depth", "0"], "depth"),
    (["--c", "5:2"], "reversed"),
    (["--c", "3:3"], "reversed"),
    (["--c", "1:4:-1"], "step must be > 0"),
    (["--dataset", "mnist", "--data-dir", "/nonexistent/dir"], "does not exist"),
    (["--dataset", "cifar10"], "--data-dir"),
    (["--sharpness", "fisher"], "sharpness"),
    (["--optimizer", "lion"], "optimizer"),
    (["--momentum", "0.5"], "--momentum"),
    (["--optimizer", "momentum", "--momentum", "1.0"], "momentum"),
    (["--weight-decay", "-1"], "weight decay"),
    (["--weight-decay-mode", "l1"], "weight-decay mode"),
]


def test_registered():
    assert COMMANDS[0] is validate_cmd and validate_cmd.name == "validate"
    assert [c.name for c in COMMANDS] == ["validate", "scan"]


@pytest.mark.parametrize(("args", "word"), BAD)
def test_bad_input_raises_one_line(args, word):
    res = CliRunner().invoke(validate_cmd, args, standalone_mode=False)
    assert isinstance(res.exception, CatapultError)
    msg = str(res.exception)
    assert word in msg and "\n" not in msg


@pytest.mark.parametrize(("args", "word"), BAD[:3])
def test_top_level_cli_exit_2(args, word, capsys):
    from catapultlab._cli import main

    assert main(["validate", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and word in err[0]


def test_tiny_run_json():
    res = CliRunner().invoke(
        validate_cmd,
        [
            "--width",
            "32",
            "--depth",
            "1",
            "--c",
            "1:30:29",
            "--steps",
            "20",
            "--train-size",
            "64",
            "--test-size",
            "64",
            "--bisect",
            "0",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert set(d) >= {"lam0", "c_loss", "c_sharp", "c_max", "runs", "comparison"}
    assert [r["c"] for r in d["runs"]] == [1.0, 30.0]
    assert d["runs"][0]["phase"] == "lazy" and d["runs"][1]["phase"] == "divergent"


def test_tiny_hessian_run_json_fields():
    args = "--width 16 --depth 1 --c 1:30:29 --steps 12 --train-size 32 --test-size 32"
    args += " --bisect 0 --sharpness hessian --param standard --act tanh --json"
    res = CliRunner().invoke(validate_cmd, args.split())
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    lazy, div = d["runs"]
    assert div["phase"] == "divergent" and div["eta_hessian_final"] is None
    for key in ("eta_hessian", "eta_ntk"):
        steps = [s for s, _ in lazy[key]]
        assert steps[0] == 0 and steps[-1] == 12 and steps == sorted(set(steps))
        assert lazy[f"{key}_final"] == pytest.approx(lazy[key][-1][1])
    # at step 0 eta*lambda_0 = c by construction; the Hessian is another operator
    assert lazy["eta_ntk"][0][1] == pytest.approx(1.0, rel=1e-3)
    assert lazy["eta_hessian"][0][1] > 0
