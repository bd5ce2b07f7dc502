"""report.md / report.html show the derivations typeset (MathML, no scripts) and one ± convention."""

from __future__ import annotations

import json
from pathlib import Path

from catapultlab.reproduce._report import TABLE_COLUMNS, _html, _md, tex_sections, write_report
from catapultlab.stats import CONVENTION, PLUS_MINUS, Comparison
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


def _rows() -> list[dict]:
    return [
        Comparison.make(
            "sim.c", "a boundary", 2.06, uncertainty=0.036, ci_low=2.0, ci_high=2.125,
            predicted=2.0, relation="=", source="theory",
        ).to_dict(),
        Comparison.make(
            "validate.exact", "a deviation", 3e-15, predicted=0.0, relation="=",
            tolerance=1e-8, source="round-off",
        ).to_dict(),
    ]  # fmt: skip


def test_report_shows_each_number_under_one_convention(tmp_path: Path) -> None:
    """numbers.json rows land in the table: s.e. under ±, the interval, the stated tolerance."""
    rows = _rows()
    empty = {"numbers": [], "figures": []}
    results = {"theory": empty | {"latex": {}}, "sim": {"numbers": rows[:1], "figures": []}}
    results["validate"] = {"numbers": rows[1:], "figures": [], "skipped": ""}
    write_report(tmp_path, {"preset": "test"}, results, {})
    assert json.loads((tmp_path / "numbers.json").read_text())["numbers"] == rows
    md = (tmp_path / "report.md").read_text()
    assert CONVENTION in md and CONVENTION in (tmp_path / "report.html").read_text()
    head = next(line for line in md.splitlines() if line.startswith("| key"))
    columns = [c.strip() for c in head.strip("|").split("|")]
    assert columns == list(TABLE_COLUMNS)
    table = {
        cells[0]: dict(zip(columns, cells, strict=True))
        for line in md.splitlines()
        if line.startswith("| sim.") or line.startswith("| validate.")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    assert table["sim.c"][PLUS_MINUS] == "0.036" and table["sim.c"]["95% interval"] == "[2, 2.125]"
    assert (table["sim.c"]["test"], table["sim.c"]["agrees"]) == ("=", "yes")
    exact = table["validate.exact"]
    assert (exact[PLUS_MINUS], exact["test"], exact["agrees"]) == ("", "= within 1e-08", "yes")
