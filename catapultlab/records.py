"""Short, readable ``repr`` for every public record (dataclass or NamedTuple).

A record's default ``repr`` prints every array and nested record in full: a
:class:`~catapultlab.sim.Bifurcation` ran to 11 000 characters, a trajectory to 2 500.
:func:`short_repr` prints the class name and each field in one short form instead:
numbers and short strings as they are, arrays as their shape and dtype, nested records
and long sequences by name and length. Records set ``__repr__ = short_repr``.

>>> from typing import NamedTuple
>>> import numpy as np
>>> class Run(NamedTuple):
...     c: float
...     loss: np.ndarray
...     model: str
...     __repr__ = short_repr
>>> Run(2.5, np.zeros((3, 100)), "uv")
Run(c=2.5, loss=<array 3x100 float64>, model='uv')
"""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["MAX_REPR", "html_table", "short_repr"]

MAX_REPR = 200
"""The longest ``repr`` of a record (fields past it are summarised as ``...``)."""


def short_repr(self: Any) -> str:
    """``ClassName(field=value, ...)`` with every value in a short form (see the module)."""
    if dataclasses.is_dataclass(self):
        names = [f.name for f in dataclasses.fields(self) if f.repr]
    else:
        names = list(getattr(self, "_fields", ()))
    head = f"{type(self).__name__}("
    parts: list[str] = []
    for name in names:
        part = f"{name}={_short(getattr(self, name, None))}"
        if len(head) + sum(len(p) + 2 for p in parts) + len(part) > MAX_REPR - 5:
            parts.append("...")
            break
        parts.append(part)
    return head + ", ".join(parts) + ")"


def _short(value: Any) -> str:
    import numpy as np

    if value is None or isinstance(value, bool | int | np.integer):
        return repr(value if not isinstance(value, np.integer) else int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, np.ndarray):
        shape = "x".join(str(s) for s in value.shape) or "scalar"
        return f"<array {shape} {value.dtype}>"
    if dataclasses.is_dataclass(value) or hasattr(value, "_fields"):
        return f"{type(value).__name__}(...)"
    if isinstance(value, tuple | list):
        if len(value) <= 4 and all(isinstance(v, int | float | str | bool) for v in value):
            return repr(type(value)(_plain(v) for v in value))
        return f"<{len(value)} items>"
    if isinstance(value, dict):
        return f"<dict of {len(value)}>"
    text = str(value)
    return text if len(text) <= 40 else f"<{type(value).__name__}>"


def _plain(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value


def html_table(caption: str, headers: list[str], rows: list[list[Any]]) -> str:
    """A small HTML table for a notebook's ``_repr_html_`` (cells escaped; floats as 4 s.f.).

    >>> html_table("runs", ["c", "phase"], [[2.5, "catapult"]]).count("<td>")
    2
    """
    import html

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return html.escape("" if v is None else str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
