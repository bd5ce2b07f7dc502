"""Write report.md, report.html (self-contained), numbers.json and data/numbers.nc.

Both reports are rendered from one list of blocks, and every number in them is
``fmt(numbers.json[...])``: nothing is typed in.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from catapultlab.io import atomic_write_text
from catapultlab.reproduce._common import fmt, write_nc
from catapultlab.stats import CONVENTION, PLUS_MINUS

__all__ = ["write_report", "TABLE_COLUMNS", "number_cells", "tex_sections"]

TABLE_COLUMNS = (
    "key",
    "quantity",
    "measured",
    PLUS_MINUS,
    "95% interval",
    "predicted",
    "test",
    "agrees",
    "prediction from",
)


def number_cells(n: dict[str, Any]) -> list[str]:
    """The table cells of one number (a ``Comparison.to_dict`` row), in :data:`TABLE_COLUMNS` order.

    The test cell names a stated tolerance (``= within 1e-08``).
    """
    ci = (
        ""
        if n["ci_low"] is None or n["ci_high"] is None
        else f"[{fmt(n['ci_low'])}, {fmt(n['ci_high'])}]"
    )
    tolerance = n.get("tolerance")
    test = n["relation"] + (f" within {fmt(tolerance)}" if n["relation"] and tolerance else "")
    return [
        n["key"],
        n["quantity"],
        fmt(n["measured"]),
        "" if n["uncertainty"] is None else fmt(n["uncertainty"]),
        ci,
        "" if n["predicted"] is None else fmt(n["predicted"]),
        test,
        "" if n["agrees"] is None else fmt(n["agrees"]),
        n["source"],
    ]


def tex_sections(tex: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    r"""The ``(title, [(lhs, rhs, note), ...])`` sections of a ``catapultlab derive`` LaTeX file.

    Example:
        >>> tex_sections("% maps\n\\begin{align}\nf' &= f - r && \\text{uv}\n\\end{align}")
        [('maps', [("f'", 'f - r', '\\text{uv}')])]
    """
    out: list[tuple[str, list[tuple[str, str, str]]]] = []
    title = ""
    for line in tex.splitlines():
        if line.startswith("% "):
            title = line[2:]
        elif line == r"\begin{align}":
            out.append((title, []))
        elif "&=" in line and out:
            lhs, rest = line.removesuffix(r" \\").split("&=", 1)
            rhs, _, note = rest.partition("&&")
            out[-1][1].append((lhs.strip(), rhs.strip(), note.strip()))
    return out


def _mathml(tex: str) -> str:
    from latex2mathml.converter import convert

    return convert(tex)


def _numbers_nc(numbers: list[dict[str, Any]], out: Path) -> None:
    import xarray as xr

    def arr(k: str) -> np.ndarray:
        return np.array([np.nan if n.get(k) is None else float(n[k]) for n in numbers])

    ds = xr.Dataset(
        {
            k: (("key",), arr(k))
            for k in ("measured", "uncertainty", "ci_low", "ci_high", "predicted", "tolerance")
        }
        | {
            "agrees": (
                ("key",),
                np.array(
                    [-1 if n["agrees"] is None else int(n["agrees"]) for n in numbers], np.int8
                ),
            ),
            "quantity": (("key",), np.array([n["quantity"] for n in numbers])),
        },
        coords={"key": np.array([n["key"] for n in numbers])},
        attrs={"agrees_codes": "-1 not compared, 0 no, 1 yes"},
    )
    write_nc(ds, out, "numbers")


def _blocks(
    cfg: dict[str, Any], results: dict[str, Any], numbers: list[dict[str, Any]], out: Path
) -> list[tuple]:
    b: list[tuple] = [("h1", f"catapultlab reproduce ({cfg['preset']})")]
    b.append(
        (
            "p",
            "Lazy, catapult and divergent learning-rate phases of gradient descent (Lewkowycz et al. 2020), derived, simulated and measured in one run. Every number below was computed in this run; the same values are in numbers.json and data/numbers.nc. The exact configuration and package versions are in config.json.",
        )
    )
    b.append(("h2", "Predicted vs measured"))
    b.append(
        (
            "p",
            f"{CONVENTION} The standard error is the bootstrap one over ensemble members combined with the grid resolution dc / sqrt(12) for the uv model, the bootstrap over trajectories for the t_peak fit, and bracket width / sqrt(12) for the network sweeps. Test '=' agrees when the prediction lies in the interval, within 2 s.e. or within a stated tolerance (an exact prediction checked to round-off); '<=' allows 2 s.e. (or the tolerance) and '>' compares directly.",
        )
    )
    b.append(("table", list(TABLE_COLUMNS), [number_cells(n) for n in numbers]))
    b.append(("h2", "Derivation (catapultlab.theory)"))
    b.append(
        (
            "p",
            "Derived by catapultlab.theory in this run (the same derivation as catapultlab derive; LaTeX source in theory/*.tex). The note beside a value names the model it belongs to, and the restriction it was derived on if any.",
        )
    )
    for name, path in results["theory"]["latex"].items():
        b.append(("h3", name))
        for title, rows in tex_sections((out / path).read_text()):
            b.append(("math", title, rows))
    titles = {"sim": "Simulation of the uv model", "validate": "Real networks"}
    for stage in ("sim", "validate"):
        b.append(("h2", titles[stage]))
        for f in results[stage]["figures"]:
            b.append(("fig", f["name"], f["caption"], f["data"]))
        if results[stage].get("skipped"):
            b.append(("p", f"Not run in the {cfg['preset']} preset: " + results[stage]["skipped"]))
    b.append(("h2", "Stage run times"))
    b.append(
        (
            "table",
            ["stage", "seconds (when last computed)"],
            [[s, fmt(results[s].get("seconds"))] for s in results],
        )
    )
    return b


def _md(blocks: list[tuple]) -> str:
    lines: list[str] = []
    for blk in blocks:
        kind = blk[0]
        if kind in ("h1", "h2", "h3"):
            lines += ["#" * int(kind[1]) + " " + blk[1], ""]
        elif kind == "p":
            lines += [blk[1], ""]
        elif kind == "math":
            _, title, rows = blk
            lines += [f"*{title}*", "", "$$", r"\begin{aligned}"]
            body = [f"{lhs} &= {rhs}" + (f" && {note}" if note else "") for lhs, rhs, note in rows]
            lines += [r + r" \\" for r in body[:-1]] + body[-1:]
            lines += [r"\end{aligned}", "$$", ""]
        elif kind == "table":
            head, rows = blk[1], blk[2]
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "---|" * len(head))
            for r in rows:
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
            lines.append("")
        elif kind == "fig":
            _, name, caption, data = blk
            lines += [
                f"![{name}](figures/{name}.png)",
                "",
                f"*{caption}* PDF: `figures/{name}.pdf`; data: `{data}`.",
                "",
            ]
    return "\n".join(lines)


def _html(blocks: list[tuple], out: Path) -> str:
    e = html.escape
    body: list[str] = []
    for blk in blocks:
        kind = blk[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{e(blk[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{e(blk[1])}</p>")
        elif kind == "math":
            _, title, rows = blk
            cells = "".join(
                f"<tr><td class='lhs'>{_mathml(lhs)}</td><td>{_mathml('= ' + rhs)}</td>"
                f"<td class='note'>{_mathml(note) if note else ''}</td></tr>"
                for lhs, rhs, note in rows
            )
            body.append(f"<p class='eqtitle'>{e(title)}</p><table class='eq'>{cells}</table>")
        elif kind == "table":
            head = "".join(f"<th>{e(h)}</th>" for h in blk[1])
            rows = "".join(
                "<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in blk[2]
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif kind == "fig":
            _, name, caption, data = blk
            b64 = base64.b64encode((out / "figures" / f"{name}.png").read_bytes()).decode()
            body.append(
                f'<figure id="{e(name)}"><img alt="{e(name)}" src="data:image/png;base64,{b64}">'
                f"<figcaption>{e(caption)} Data: <code>{e(data)}</code>.</figcaption></figure>"
            )
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px}"
        "img{max-width:100%}pre{background:#f5f5f5;padding:.5em;overflow-x:auto;font-size:12px}"
        "table.eq{border:none;font-size:16px;margin:.2em 0 1em 1em}table.eq td{border:none;padding:2px 4px}"
        "table.eq math{math-style:normal}table.eq td.lhs{text-align:right}table.eq td.note{color:#555;font-size:13px;padding-left:2em}"
        ".eqtitle{font-style:italic;margin-bottom:0}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>catapultlab reproduce</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(
    out: Path, cfg: dict[str, Any], results: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    """Write every report file; return ``{"numbers": [...], "figures": [...]}``."""
    numbers = [n for s in ("theory", "sim", "validate") for n in results[s]["numbers"]]
    figures = [f for s in ("theory", "sim", "validate") for f in results[s]["figures"]]
    atomic_write_text(out / "numbers.json", json.dumps({"numbers": numbers}, indent=1) + "\n")
    _numbers_nc(numbers, out)
    blocks = _blocks(cfg, results, numbers, out)
    atomic_write_text(out / "report.md", _md(blocks))
    atomic_write_text(out / "report.html", _html(blocks, out))
    return {"numbers": numbers, "figures": figures}
