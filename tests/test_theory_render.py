"""Output formats and the derive CLI."""

from __future__ import annotations

import json

import pytest
import sympy as sp
from sympy.parsing.latex import parse_latex

from catapultlab._cli import main
from catapultlab.theory import full_model, parse_expr, to_json, to_latex, uv_model

NAMES = {"eta": "eta", "lambda": "lam", "lambda_{0}": "lam0", "f": "f", "n": "n", "y": "y"}


def _by_name(expr: sp.Expr) -> sp.Expr:
    return expr.xreplace({s: sp.Symbol(NAMES.get(s.name, s.name)) for s in expr.free_symbols})


def _plain(expr: sp.Expr) -> sp.Expr:
    return expr.xreplace({s: sp.Symbol(s.name) for s in expr.free_symbols})


def test_json_parses_back_to_the_same_expressions() -> None:
    model = uv_model()
    data = json.loads(to_json(model))
    assert data["model"] == "uv" and data["closed"] is True
    assert data["state"] == ["f", "lam"]
    for name, text in data["maps"].items():
        sym = next(s for s in model.state if s.name == name)
        assert sp.expand(parse_expr(text, model) - model.maps[sym]) == 0
        assert set(map(str, sp.sympify(text).free_symbols)) <= {"f", "lam", "eta", "n", "y"}
    for key, text in data["boundaries"].items():
        assert sp.simplify(parse_expr(text, model) - model.boundaries[key]) == 0


def test_latex_parses_back_to_the_same_expressions() -> None:
    model = uv_model()
    lines = [ln for ln in to_latex(model).splitlines() if "&=" in ln]
    maps: dict[str, str] = {}
    for ln in lines:  # the first block holds the maps; later blocks reuse the names
        maps.setdefault(ln.split("&=")[0].strip(), ln.split("&=")[1].rstrip("\\ ").strip())
    assert sp.expand(_by_name(parse_latex(maps["f'"])) - _plain(model.maps[model.state[0]])) == 0
    assert (
        sp.expand(_by_name(parse_latex(maps[r"\lambda'"])) - _plain(model.maps[model.state[1]]))
        == 0
    )
    lazy = next(v for k, v in maps.items() if "lazy" in k)
    assert sp.simplify(_by_name(parse_latex(lazy)) - _plain(model.boundaries["lazy_catapult"])) == 0


def test_cli_derive_uv_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "uv", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"model", "state", "maps", "closed", "boundaries"}
    assert set(data["maps"]) == {"f", "lam"}
    assert set(data["boundaries"]) == {"lazy_catapult", "loss_rises", "catapult_divergent"}


def test_cli_derive_full_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "full", "--inputs", "2", "--samples", "2", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "full" and data["closed"] is True
    assert data["state"] == [s.name for s in full_model(2, 2).state]
    assert set(data["maps"]) == set(data["state"])
    for text in data["maps"].values():
        sp.sympify(text)


@pytest.mark.parametrize(
    "argv",
    [
        ["derive", "nope"],
        ["derive", "full", "--inputs", "0"],
        ["derive", "full", "--samples", "-1"],
        ["derive", "uv", "--format", "xml"],
        ["derive", "full", "--inputs", "two"],
    ],
)
def test_cli_bad_input_is_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("catapultlab: error:")
