"""report.md / report.html show the derivations typeset (MathML, no scripts) and one ± convention."""

from __future__ import annotations

import re
from pathlib import Path

from catapultlab.reproduce._report import TABLE_COLUMNS, _html, _md, tex_sections
from catapultlab.stats import CONVENTION, PLUS_MINUS
from catapultlab.theory import full_model, to_latex, uv_model


def _blocks() -> list[tuple]:
    blocks: list[tuple] = []
    for model in (uv_model(), full_model(2, 2)):
        for title, rows in tex_sections(to_latex(model)):
            blocks.append(("math", title, rows))
    return blocks


def test_tex_sections_read_every_equation_back() -> None:
    tex = to_latex(uv_model())
    sections = tex_sections(tex)
    assert sum(len(rows) for _, rows in sections) == tex.count("&=")
    maps = next(rows for title, rows in sections if title.startswith("exact one-step maps"))
    assert [lhs for lhs, _, _ in maps] == ["f'", r"\lambda'"]


def test_html_derivation_is_mathml_without_scripts() -> None:
    blocks = _blocks()
    html = _html(blocks, Path("."))
    rows = sum(len(b[2]) for b in blocks)
    assert html.count("<math") >= 2 * rows  # lhs and rhs of every equation
    assert "<script" not in html and "\\langle" not in html  # typeset, not LaTeX source
    assert "&#x027E8;" in html  # the ⟨ of an inner product


def test_markdown_derivation_is_display_maths() -> None:
    md = _md(_blocks())
    assert md.count("$$") == 2 * len(_blocks())
    assert r"\langle u_{1}, v \rangle'" in md


def test_one_uncertainty_convention() -> None:
    assert PLUS_MINUS in TABLE_COLUMNS
    assert "standard error" in CONVENTION and "95%" in CONVENTION
    assert re.search(r"±", PLUS_MINUS)
