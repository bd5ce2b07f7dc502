"""Output formats and the derive CLI: every printed expression parses back to the derived maps."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import sympy as sp
from sympy.parsing.latex import parse_latex

from catapultlab._cli import main
from catapultlab.theory import (
    ETA,
    full_model,
    inner_symbol,
    parse_expr,
    to_json,
    to_latex,
    to_text,
    uv_model,
)
from catapultlab.theory._render_steps import readable_derivation

MODELS = [
    ("uv", uv_model),
    ("full22", lambda: full_model(2, 2)),
    ("full13", lambda: full_model(1, 3)),
]
LATEX_WORDS = {"eta": "eta", "lambda": "lam", "lambda_{0}": "lam0"}


def _plain(expr: sp.Expr) -> sp.Expr:
    return expr.xreplace({s: sp.Symbol(s.name) for s in expr.free_symbols})


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.expand(_plain(a) - _plain(b)) == 0


def _text_rows(out: str) -> dict[str, dict[str, str]]:
    """``{section title: {lhs: rhs}}`` of a text report (indented ``lhs = rhs`` rows)."""
    rows: dict[str, dict[str, str]] = {}
    title = ""
    for line in out.splitlines():
        if not line.startswith(" ") and line.endswith(":"):
            title = line[:-1]
            rows[title] = {}
        elif line.startswith("  ") and " = " in line and title:
            lhs, rhs = line.strip().split(" = ", 1)
            rows[title][lhs] = re.sub(r"\s{3}\(.*\)$", "", rhs)
    return rows


def _section(rows: dict[str, dict[str, str]], start: str) -> dict[str, str]:
    return next(v for k, v in rows.items() if k.startswith(start))


def _check_rows(model, parse) -> None:
    """The step, Gram update, where block, maps and boundaries parse to the engine's own."""
    d = readable_derivation(model)
    rows = parse(model)
    where = {k: v for k, v in rows["where"].items()}
    names = {s.name: s for s in (*d.residuals, *d.coefficients, *d.outputs)}
    defs = {names[k]: v for k, v in where.items()}
    for s, expr in d.outputs.items():
        if s in defs:
            assert _same(defs[s], expr)
    for r, expr in d.residuals.items():
        assert _same(defs[r], expr)
    back = {**{g: defs[g] for g in d.coefficients}, **{r: defs[r] for r in d.residuals}}

    def inner_products(e: sp.Expr) -> sp.Expr:
        e = _plain(e).xreplace({_plain(k): _plain(v) for k, v in back.items()})
        e = e.xreplace({_plain(k): _plain(v) for k, v in back.items() if k in d.residuals})
        return e.xreplace({_plain(k): _plain(v) for k, v in d.outputs.items()})

    for name, rhs in rows["step"].items():
        w = name.rstrip("'")
        for word, coef in model.gram.vector_steps[w].items():
            got = sp.diff(_plain(rhs), sp.Symbol(word[-1]))
            assert _same(inner_products(got), coef), name
    gram = {s: e for s, e in rows["gram"].items()}
    assert len(gram) == len(model.gram.state)
    for s in model.gram.state:
        assert _same(inner_products(gram[s]), model.gram.maps[s]), s
    if model.state != model.gram.state:
        for s in model.state:
            got = _plain(rows["maps"][s]).xreplace(
                {_plain(r): _plain(e) for r, e in d.residuals.items()}
            )
            assert _same(got, model.maps[s]), s
    for key, value in model.boundaries.items():
        assert sp.simplify(_plain(rows["boundaries"][key]) - _plain(value)) == 0, key


def _from_text(model) -> dict[str, dict[str, sp.Expr]]:
    rows = _text_rows(to_text(model))
    d = readable_derivation(model)
    gram_title = next(k for k in rows if "Gram update" in k)
    by_bracket = {s: rows[gram_title][f"{_bracket(s)}'"] for s in model.gram.state}
    out = {
        "step": {k: parse_expr(v, model) for k, v in _section(rows, "parameter step").items()},
        "gram": {s: parse_expr(v, model) for s, v in by_bracket.items()},
        "where": {k: parse_expr(v, model) for k, v in rows["where"].items()},
        "boundaries": {
            k.removeprefix("eta_"): parse_expr(v, model)
            for k, v in _section(rows, "phase boundaries").items()
        },
    }
    if d.factored_changes:
        maps = _section(rows, "exact one-step maps")
        out["maps"] = {s: parse_expr(maps[f"{s.name}'"], model) for s in model.state}
    return out


def _bracket(s: sp.Symbol) -> str:
    from catapultlab.theory._render_format import bracket

    return bracket(s)


def _parse_tex(tex: str, model) -> sp.Expr:
    """parse_latex with ``\\langle a, b \\rangle`` read back as the inner-product symbol."""
    brackets: dict[str, sp.Symbol] = {}

    def sub(m: re.Match[str]) -> str:
        words = [re.sub(r"([a-z])_\{(\d+)\}", r"\1\2", w.strip()) for w in m.groups()]
        key = f"q_{{{len(brackets)}}}"
        brackets[key] = inner_symbol((words[0],), (words[1],))
        return key

    tex = re.sub(r"\\langle (.+?), (.+?) \\rangle", sub, tex)
    # parse_latex reads "g (a + b)" as a call of a function g: make the product explicit
    tex = re.sub(r"([a-z](?:_\{\d+\})?) \\left\(", r"\1 \\cdot \\left(", tex)
    expr = parse_latex(tex)
    names = {}
    for s in expr.free_symbols:
        if s.name in brackets:
            names[s] = sp.Symbol(brackets[s.name].name)
            continue
        name = LATEX_WORDS.get(s.name, s.name)
        vector = re.sub(r"_\{(\d+)\}$", r"\1", name)
        if vector in model.gram.spec.vectors:
            names[s] = sp.Symbol(vector)
            continue
        m = re.fullmatch(r"([a-z]+)_\{(\d+)\}", name)
        if m:
            name = m.group(1) + "".join(f"_{c}" for c in m.group(2))
        names[s] = sp.Symbol(name)
    return expr.xreplace(names)


def _from_latex(model) -> dict[str, dict[str, sp.Expr]]:
    blocks: dict[str, dict[str, str]] = {}
    title = ""
    for line in to_latex(model).splitlines():
        if line.startswith("% "):
            title = line[2:]
        elif "&=" in line:
            lhs, rhs = line.split("&=")
            blocks.setdefault(title, {})[lhs.strip()] = rhs.split("&&")[0].strip().rstrip("\\ ")
    d = readable_derivation(model)
    gram_title = next(k for k in blocks if "Gram update" in k)
    gram = {}
    for lhs, rhs in blocks[gram_title].items():
        assert lhs.startswith(r"\langle ") and lhs.endswith(r" \rangle'"), lhs  # renders as <a, b>'
        gram[_plain(_parse_tex(lhs[:-1], model)).name] = _parse_tex(rhs, model)
    step = {}
    for lhs, rhs in _section(blocks, "parameter step").items():
        step[re.sub(r"_\{(\d+)\}", r"\1", lhs)] = _parse_tex(rhs, model)
    out = {
        "step": step,
        "gram": {s: gram[s.name] for s in model.gram.state},
        "where": {
            str(_parse_tex(k, model)): _parse_tex(v, model) for k, v in blocks["where"].items()
        },
        "boundaries": {},
    }
    for lhs, rhs in _section(blocks, "phase boundaries").items():
        key = re.search(r"\\text\{([^}]+)\}", lhs).group(1).replace("/", "_").replace(" ", "_")
        out["boundaries"][key] = _parse_tex(rhs, model)
    if d.factored_changes:
        maps = _section(blocks, "exact one-step maps")
        out["maps"] = {s: _parse_tex(maps[_tex_lhs(s)], model) for s in model.state}
    return out


def _tex_lhs(s: sp.Symbol) -> str:
    from catapultlab.theory._render_format import latex_symbol

    return latex_symbol(s) + "'"


@pytest.mark.parametrize("make", [m for _, m in MODELS], ids=[k for k, _ in MODELS])
def test_text_parses_back_to_the_derived_maps(make) -> None:
    _check_rows(make(), _from_text)


@pytest.mark.parametrize("make", [m for _, m in MODELS], ids=[k for k, _ in MODELS])
def test_latex_parses_back_to_the_derived_maps(make) -> None:
    _check_rows(make(), _from_latex)


def test_uv_maps_are_factored_through_the_residual() -> None:
    rows = _text_rows(to_text(uv_model()))
    maps = _section(rows, "exact one-step maps")
    # one factor of eta*r in each change: f' = f - eta r (...), lam' = lam -/+ eta r (...)/n
    for name, rhs in maps.items():
        assert re.match(rf"{name[:-1]} [-+] eta\*r\*\(", rhs), rhs
    assert rows["where"]["r"] == "f - y"


def test_full_output_is_short_and_radicals_are_tidy() -> None:
    out = to_text(full_model(2, 2))
    assert "sqrt(2)" not in out and "sqrt(2*n)" in out
    derivation = out.split("parameter step")[1].split("observables (f, Theta)")[0]
    assert "u1_u1" not in derivation and "⟨u1, u1⟩" in derivation
    rows = [ln for ln in out.splitlines() if ln.startswith("  ⟨")]
    assert rows and max(map(len, rows)) < 200
    tex = to_latex(full_model(2, 2))
    assert max(len(ln) for ln in tex.splitlines()) < 400
    assert r"\sqrt{2 n}" in tex and "u1_{u1}" not in tex


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


@pytest.mark.parametrize("make", [m for _, m in MODELS], ids=[k for k, _ in MODELS])
def test_json_derivation_reproduces_the_maps(make) -> None:
    model = make()
    der = json.loads(to_json(model))["derivation"]

    def part(name: str) -> dict[str, sp.Expr]:
        return {k: _plain(parse_expr(v, model)) for k, v in der[name].items()}

    defs = {sp.Symbol(k): v for k, v in (part("gradient_coefficients") | part("residuals")).items()}
    outs = {sp.Symbol(k): v for k, v in part("outputs").items()}

    def back(e: sp.Expr) -> sp.Expr:
        return e.xreplace(defs).xreplace(defs).xreplace(outs)

    gram = part("gram_updates")
    assert set(gram) == {s.name for s in model.gram.state}
    for s in model.gram.state:
        assert _same(back(gram[s.name]), model.gram.maps[s]), s
    for name, e in part("factored_maps").items():
        s = next(x for x in model.state if x.name == name)
        assert _same(e.xreplace(defs), model.maps[s])
    for w, step in part("parameter_steps").items():
        for word, coef in model.gram.vector_steps[w].items():
            assert _same(back(sp.diff(step, sp.Symbol(word[-1]))), coef)


def test_each_quantity_names_its_model_and_restriction() -> None:
    full = to_text(full_model(2, 2))
    bounds = _section(_text_rows(full), "phase boundaries")
    lines = {ln.split(" = ")[0].strip(): ln for ln in full.splitlines() if "eta_" in ln}
    assert "d = m = 1" in lines["eta_catapult_divergent"]
    assert (
        "d = m = 1" not in lines["eta_lazy_catapult"] and "model full" in lines["eta_lazy_catapult"]
    )
    assert set(bounds) == {f"eta_{k}" for k in full_model(2, 2).boundaries}
    data = json.loads(to_json(full_model(2, 2)))
    assert "d = m = 1" in data["provenance"]["catapult_divergent"]
    assert "d = m = 1" in data["provenance"]["scalar"]
    assert json.loads(to_json(uv_model()))["provenance"]["scalar"] == "model uv"


def test_a_boundary_that_does_not_exist_is_said_so() -> None:
    model = uv_model()
    missing = dataclasses.replace(model, boundaries={**model.boundaries, "loss_rises": None})
    text = to_text(missing)
    line = next(ln for ln in text.splitlines() if "eta_loss_rises" in ln)
    assert "does not exist for this model" in line
    assert json.loads(to_json(missing))["boundaries"]["loss_rises"] is None
    assert r"\eta_{\text{loss rises}}" in to_latex(missing)


def test_cli_derive_uv_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", "uv", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"model", "state", "maps", "closed", "boundaries", "derivation"}
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


def test_a_step_that_does_not_reproduce_the_map_is_not_shown_as_one() -> None:
    model = uv_model()
    gram = dataclasses.replace(model.gram, maps={s: e + ETA**3 for s, e in model.gram.maps.items()})
    odd = dataclasses.replace(model, gram=gram)
    text = to_text(odd)
    assert "the step form is not shown" in text and "parameter step" not in text
    maps = _section(_text_rows(text), "exact one-step maps")
    for s in odd.state:  # the engine's own maps instead, still parsing back
        assert _same(parse_expr(maps[f"{s.name}'"], odd), odd.maps[s])
    data = json.loads(to_json(odd))
    assert data["derivation"] is None and "does not reproduce" in data["derivation_unavailable"]
    assert json.loads(to_json(model))["derivation_unavailable"] is None
