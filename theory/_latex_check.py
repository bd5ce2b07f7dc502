r"""A strict check of the LaTeX that ``derive --format latex``, the docs and the report print.

No TeX is installed where catapultlab runs its tests, so this checks what a LaTeX run
would reject, by rule:

* environments ``\begin{align}`` ... ``\end{align}`` are balanced and known;
* braces balance on every row;
* ``\text{...}`` holds no unescaped ``_ ^ & % # $`` (LaTeX stops on ``\text{uv_mf}``);
* every command outside ``\text`` is a known LaTeX/amsmath command;
* no bare word of three or more letters stands in math (an internal name such as
  ``etatilde`` printed as letters instead of ``\tilde{\eta}``);
* every row, with its alignment marks removed, parses as math (matplotlib's mathtext).
"""

from __future__ import annotations

import re

__all__ = ["check_latex"]

_ENVIRONMENTS = {"align", "align*", "equation", "equation*", "aligned", "cases"}
_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi "
    "Sigma Phi Psi Omega ell"
)
_COMMANDS = set(_GREEK.split()) | set(
    (
        "frac dfrac tfrac sqrt left right langle rangle tilde hat bar vec dot ddot text mathrm "
        "mathbf mathcal operatorname log ln exp sin cos tan max min sup inf lim sum prod quad "
        "qquad cdot cdots ldots dots times pm mp le ge leq geq neq ne approx sim to infty "
        "partial nabla in notin subset cup cap mid lvert rvert lVert rVert big Big bigl bigr "
        "Bigl Bigr begin end top intercal prime"
    ).split()
)
_BARE_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")


def check_latex(source: str) -> None:
    r"""Raise ``ValueError`` naming the first line LaTeX would reject (see the module).

    Example:
        >>> check_latex("\\begin{align}\nf' &= f - \\eta r && \\text{model uv}\n\\end{align}")
        >>> check_latex("\\begin{align}\nx &= 1 && \\text{model uv_mf}\n\\end{align}")
        Traceback (most recent call last):
        ...
        ValueError: line 2: unescaped '_' in \text{model uv_mf}
    """
    stack: list[str] = []
    for number, line in enumerate(source.splitlines(), start=1):
        body = re.sub(r"(?<!\\)%.*", "", line) if not line.lstrip().startswith("%") else ""
        if not body.strip():
            continue
        try:
            _check_environment(body, stack)
            if stack and not body.lstrip().startswith("\\begin"):
                _check_row(body)
        except ValueError as err:
            raise ValueError(f"line {number}: {err}") from None
    if stack:
        raise ValueError(f"\\begin{{{stack[-1]}}} is never closed")


def _check_environment(body: str, stack: list[str]) -> None:
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", body):
        if name not in _ENVIRONMENTS:
            raise ValueError(f"unknown environment {name!r}")
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise ValueError(f"\\end{{{name}}} does not close the open environment")


def _check_row(row: str) -> None:
    row = row.rstrip().removesuffix("\\\\")
    if row.strip().startswith("\\end"):
        return
    _check_braces(row)
    math = _check_text_blocks(row)
    for command in _COMMAND.findall(math):
        if command not in _COMMANDS:
            raise ValueError(f"unknown command \\{command} in {row.strip()!r}")
    bare = _BARE_WORD.search(math)
    if bare:
        raise ValueError(f"bare word {bare.group(0)!r} in math (an unmapped name?)")
    _parse(row)


def _check_braces(row: str) -> None:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", row):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            raise ValueError(f"unbalanced '}}' in {row.strip()!r}")
    if depth:
        raise ValueError(f"unbalanced '{{' in {row.strip()!r}")


def _check_text_blocks(row: str) -> str:
    r"""Check every ``\text{...}`` (and ``\mathrm``); return the row without them (the math)."""
    out, i = [], 0
    for m in re.finditer(r"\\(?:text|mathrm|operatorname)\{", row):
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(row[j], 0) if row[j - 1] != "\\" else 0
            j += 1
        inner = row[m.end() : j - 1]
        bad = re.search(r"(?<!\\)[_^&%#$]", inner)
        if bad:
            raise ValueError(f"unescaped {bad.group(0)!r} in {m.group(0)}{inner}}}")
        out.append(row[i : m.start()] + " x ")
        i = j
    return "".join(out) + row[i:]


def _parse(row: str) -> None:
    from matplotlib.mathtext import MathTextParser

    math = row.replace("&&", r"\quad ").replace("&", "")
    try:
        MathTextParser("path").parse(f"${math}$")
    except ValueError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else "parse error"
        raise ValueError(f"does not parse as math ({first}): {row.strip()!r}") from None
