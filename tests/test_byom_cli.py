"""A user's own spec file through derive -> sweep -> figure, with no edit to catapultlab."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from catapultlab._cli import main

SPEC = """
import sympy as sp
from catapultlab.theory import ModelSpec, WIDTH, dot

def three_vectors():
    y = sp.Symbol("y", real=True)
    f = (dot("u", "v") + dot("v", "w")) / sp.sqrt(2 * WIDTH)
    return ModelSpec("uvw", ("u", "v", "w"), (f,), (y,), description="f = (u.v + v.w)/sqrt(2n)")

def not_a_spec():
    return 3

def tanh_model():
    y = sp.Symbol("y", real=True)
    return ModelSpec("t", ("u", "v"), (sp.tanh(dot("u", "v") / sp.sqrt(WIDTH)),), (y,))
"""


@pytest.fixture()
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "mymodel.py"
    path.write_text(SPEC)
    return path


def test_spec_file_derive_sweep_figure(
    spec_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = f"{spec_file}:three_vectors"
    assert main(["derive", "--spec", ref, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "uvw" and doc["edges"]["c"]["lazy_catapult"] == pytest.approx(2.0)
    fig = tmp_path / "phases.png"
    args = ["sweep", "--spec", ref, "--c", "1:5:1", "--n", "64", "--y", "0", "--ensemble", "200"]
    assert main(args + ["--steps", "500", "--json", "--figure", str(fig)]) == 0
    sweep = json.loads(capsys.readouterr().out)
    assert sweep["config"]["setup"]["model"] == "uvw" and fig.stat().st_size > 1000
    assert main(["derive", "--spec", ref, "--momentum", "0.5", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["edges"]["c"]["lazy_catapult"] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("func", "needle"),
    [
        ("not_a_spec", "returned int, not a ModelSpec"),
        ("missing", "has no function"),
        ("tanh_model", "tanh"),
    ],
)
def test_bad_spec_files_get_one_line(spec_file: Path, func: str, needle: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "catapultlab._cli", "derive", "--spec", f"{spec_file}:{func}"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
