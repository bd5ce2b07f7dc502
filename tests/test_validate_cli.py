"""The validate command: bad input gives one clear line and a non-zero exit."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from catapultlab._errors import CatapultError
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
]


def test_registered():
    assert COMMANDS == (validate_cmd,) and validate_cmd.name == "validate"


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
