"""The LaTeX of every derivation (derive --format latex, the docs, the report) is valid.

No TeX runs in CI, so :func:`catapultlab.theory.check_latex` checks the rules a LaTeX run
enforces (balanced environments and braces, escaped ``\\text``, known commands, no
internal names printed as letters) and parses every row as math.
"""

from __future__ import annotations

import pytest
import sympy as sp

from catapultlab.theory import (
    WIDTH,
    ModelSpec,
    StepRule,
    check_latex,
    derive,
    dot,
    full_model,
    latex_blocks,
    to_latex,
    uv_model,
)


def _user_spec(step: str = "gd") -> ModelSpec:
    y = sp.Symbol("y", real=True)
    f = (dot("win", "wout") + dot("wout", "wmid")) / sp.sqrt(2 * WIDTH)
    return ModelSpec("my_model_v2", ("win", "wout", "wmid"), (f,), (y,)).with_step(StepRule(step))


MODELS = {
    "uv": lambda: uv_model(),
    "uv momentum": lambda: uv_model(StepRule("momentum")),
    "uv nesterov": lambda: uv_model(StepRule("nesterov")),
    "uv weight decay": lambda: uv_model(StepRule("gd", "l2")),
    "full 2x2": lambda: full_model(2, 2),
    "full 1x2 momentum": lambda: full_model(1, 2, StepRule("momentum")),
    "user spec with underscores": lambda: derive(_user_spec()),
    "user spec, momentum": lambda: derive(_user_spec("momentum")),
}


SLOW = {"user spec, momentum", "full 1x2 momentum", "uv nesterov", "uv weight decay"}
"""Cold derivations of 5-15 s each (run with -m slow); the default suite keeps one per kind."""


@pytest.mark.parametrize(
    "name", [pytest.param(k, marks=pytest.mark.slow) if k in SLOW else k for k in MODELS]
)
def test_every_derivation_is_valid_latex(name):
    model = MODELS[name]()
    source = to_latex(model)
    check_latex(source)
    math = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
    assert "tilde" not in math.replace(r"\tilde", "")  # no internal name as letters
    docs = "\n".join(
        "\n".join([r"\begin{aligned}", *rows, r"\end{aligned}"]).replace("aligned", "align")
        for _, rows in latex_blocks(model)
    )
    check_latex(docs)  # the docs' derivation pages print these blocks


def test_a_user_spec_name_with_underscores_is_escaped():
    source = to_latex(derive(_user_spec()))
    assert r"my\_model\_v2" in source and r"\text{model my_model" not in source


@pytest.mark.parametrize(
    ("source", "needle"),
    [
        ("\\begin{align}\nx &= 1 && \\text{model uv_mf}\n\\end{align}", "unescaped '_'"),
        ("\\begin{align}\nx &= etatilde\n\\end{align}", "bare word 'etatilde'"),
        ("\\begin{align}\nx &= \\frac{1}{2\n\\end{align}", "unbalanced"),
        ("\\begin{align}\nx &= \\foo{1}\n\\end{align}", "unknown command"),
        ("\\begin{align}\nx &= 1", "never closed"),
        ("\\begin{tabular}\nx &= 1\n\\end{tabular}", "unknown environment"),
        ("\\begin{align}\nx &= 1\n\\end{aligned}", "does not close"),
        ("\\begin{align}\nx &= \\frac{1}\n\\end{align}", "does not parse"),
    ],
)
def test_the_checker_rejects_what_latex_rejects(source, needle):
    with pytest.raises(ValueError, match=needle):
        check_latex(source)


def test_scaled_section_defines_every_symbol_it_prints():
    text_lines = to_latex(uv_model()).split("lose n")[1].split("\\end{align}")[0]
    lhs = {line.split("&=")[0].strip() for line in text_lines.splitlines() if "&=" in line}
    for symbol in (r"\tilde{f}", r"\tilde{y}", r"\tilde{r}"):
        assert symbol in lhs, (symbol, lhs)
