r"""How expressions are written for people: names, ⟨·,·⟩ brackets, tidy radicals.

Two printers share one set of conventions:

* text: SymPy's own syntax (``*``, ``**``, ``sqrt``) so that every line parses back
  with :func:`parse_text`, except that an inner-product symbol prints as
  ``⟨u1, v⟩`` instead of its internal name ``u1_v``;
* LaTeX: ``\langle u_{1}, v \rangle``, ``\lambda``, ``\eta``, ``r_{1}``, ``x_{12}``.

:func:`grouped` writes a sum with every term's numeric-and-width factor pulled
out and its radicals combined, e.g. ``sqrt(2)*r/(4*sqrt(n))`` as
``r/(2*sqrt(2*n))`` (``\frac{r}{2 \sqrt{2 n}}``).
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter, greek_letters_set
from sympy.printing.str import StrPrinter

from catapultlab.theory._algebra import inner_symbol, is_inner, symbol_words
from catapultlab.theory._spec import WIDTH

__all__ = [
    "LATEX_NAMES",
    "bracket",
    "latex",
    "latex_symbol",
    "tex_escape",
    "text",
    "grouped",
    "parse_text",
]

LATEX_NAMES = {
    "lam": r"\lambda",
    "lam0": r"\lambda_{0}",
    "eta": r"\eta",
    "beta": r"\beta",
    "kappa": r"\kappa",
}


def tex_escape(words: str) -> str:
    r"""Plain words for ``\text{...}``: LaTeX's special characters escaped.

    Example:
        >>> tex_escape("model uv_mf, 50% & more")
        'model uv\\_mf, 50\\% \\& more'
    """
    return re.sub(r"([_&%#$])", r"\\\1", words)


_BRACKET = re.compile(r"⟨\s*([^,⟩]+?)\s*,\s*([^⟩]+?)\s*⟩")


def bracket(s: sp.Symbol) -> str:
    """An inner-product symbol as ``⟨a, b⟩`` (a chain of matrices stays on the right).

    Example:
        >>> from catapultlab.theory import inner_symbol
        >>> bracket(inner_symbol(("u1",), ("v",)))
        '⟨u1, v⟩'
    """
    a, b = symbol_words(s)
    return f"⟨{' '.join(a)}, {' '.join(b)}⟩"


def _latex_word(word: tuple[str, ...]) -> str:
    return " ".join(_latex_name(w.replace("^T", "")) + ("^{T}" if "^T" in w else "") for w in word)


def _latex_name(name: str) -> str:
    r"""``u1 -> u_{1}``, ``ntk_1_2 -> \Theta_{12}``, ``lam -> \lambda``, ``etatilde -> \tilde{\eta}``."""
    if name in LATEX_NAMES:
        return LATEX_NAMES[name]
    if name.endswith("tilde") and len(name) > len("tilde"):
        return rf"\tilde{{{_latex_name(name[: -len('tilde')])}}}"
    head, *rest = name.split("_")
    m = re.fullmatch(r"([A-Za-z]+)(\d+)", head)
    if m and not rest:
        head, rest = m.group(1), [m.group(2)]
    head = {"ntk": r"\Theta", "vel": r"\nu"}.get(head, LATEX_NAMES.get(head, head))
    if head.lower() in greek_letters_set:
        head = "\\" + head
    elif len(head) > 1 and not head.startswith("\\"):
        head = rf"\mathrm{{{head}}}"  # a word of several letters is upright, not a product
    if not rest:
        return head
    sep = "" if all(len(r) == 1 for r in rest) else ","
    rest = [r if len(r) == 1 or r.isdigit() else _latex_name(r) for r in rest]
    return f"{head}_{{{sep.join(rest)}}}"


def latex_symbol(s: sp.Symbol) -> str:
    r"""The LaTeX name of a symbol (inner products as ``\langle a, b \rangle``)."""
    if is_inner(s):
        a, b = symbol_words(s)
        return rf"\langle {_latex_word(a)}, {_latex_word(b)} \rangle"
    return _latex_name(s.name)


class _Text(StrPrinter):
    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return bracket(expr) if is_inner(expr) else expr.name


class _Latex(LatexPrinter):
    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return latex_symbol(expr)

    def _print_Function(self, expr: sp.Expr, exp: str | None = None) -> str:
        r"""An undefined function ``c_loss_rises(beta)`` as ``c_{\text{loss rises}}(\beta)``."""
        name = type(expr).__name__
        if not isinstance(expr, AppliedUndef) or "_" not in name:
            return super()._print_Function(expr, exp)
        head, words = name.split("_", 1)
        args = ", ".join(self._print(a) for a in expr.args)
        body = rf"{_latex_name(head)}_{{\text{{{words.replace('_', ' ')}}}}}\left({args}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


def text(expr: sp.Expr, order: str | None = None) -> str:
    """One expression in the text convention (parses back with :func:`parse_text`)."""
    return _Text({"order": order}).doprint(expr)


def latex(expr: sp.Expr, order: str | None = None) -> str:
    """One expression in the LaTeX convention."""
    return _Latex({"order": order}).doprint(expr)


def parse_text(source: str, symbols: dict[str, sp.Symbol]) -> sp.Expr:
    """Parse a text-convention expression: ``⟨a, b⟩`` back to its inner-product symbol.

    Args:
        source: the expression as printed by :func:`text`.
        symbols: the model's symbols by name (others become plain symbols).

    Example:
        >>> from catapultlab.theory import inner_symbol
        >>> uv = inner_symbol(("u",), ("v",))
        >>> parse_text("⟨u, v⟩/sqrt(n)", {}) == uv / sp.sqrt(sp.Symbol("n"))
        True
    """
    names = dict(symbols)

    def sub(m: re.Match[str]) -> str:
        s = inner_symbol(tuple(m.group(1).split()), tuple(m.group(2).split()))
        names.setdefault(s.name, s)
        return s.name

    return sp.sympify(_BRACKET.sub(sub, source), locals=names)


# -- tidy radicals ---------------------------------------------------------------------


def _is_scale(factor: sp.Expr) -> bool:
    return factor.is_number or factor.free_symbols <= {WIDTH}


def _split(term: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """``term = scale * rest`` with ``scale`` a number times a power of ``n``."""
    scale, rest = sp.Integer(1), sp.Integer(1)
    for factor in sp.Mul.make_args(term):
        if _is_scale(factor):
            scale *= factor
        else:
            rest *= factor
    return scale, rest


def _root(integer: int, power: int) -> tuple[str, str, str, str]:
    """``sqrt(integer * n**power)`` as (text outside, text radicand, latex outside, radicand)."""
    a, out = int(integer), 1
    k = 2
    while k * k <= a:
        while a % (k * k) == 0:
            a //= k * k
            out *= k
        k += 1
    whole, half = divmod(power, 2)
    outside = [str(out)] if out != 1 else []
    if whole:
        outside.append("n" if whole == 1 else f"n**{whole}")
    inside = ([str(a)] if a != 1 else []) + (["n"] if half else [])
    lat_out = " ".join(x.replace("**", "^") for x in outside)
    return "*".join(outside), "*".join(inside), lat_out, " ".join(inside)


def _scale_parts(scale: sp.Expr) -> tuple[tuple[str, str], tuple[str, str]] | None:
    """(numerator, denominator) of a positive scale as (text, latex), radicals combined."""
    square = sp.powsimp(sp.expand(scale**2), force=True)
    coeff, power = square.as_coeff_exponent(WIDTH)
    if not (coeff.is_Rational and coeff > 0 and power.is_Integer):
        return None
    parts = []
    for integer, p in ((coeff.p, max(int(power), 0)), (coeff.q, max(-int(power), 0))):
        out_t, in_t, out_l, in_l = _root(integer, p)
        t = "*".join(x for x in (out_t, f"sqrt({in_t})" if in_t else "") if x) or "1"
        lat = " ".join(x for x in (out_l, rf"\sqrt{{{in_l}}}" if in_l else "") if x) or "1"
        parts.append((t, lat))
    return parts[0], parts[1]


def _group_text(scale: sp.Expr, rest: sp.Expr) -> tuple[str, str]:
    parts = _scale_parts(scale)
    if parts is None:
        return text(scale * rest), latex(scale * rest)
    (nt, nl), (dt, dl) = parts
    several = isinstance(rest, sp.Add)
    body_t, body_l = text(rest), latex(rest)
    if rest == 1:
        num_t, num_l = nt, nl
    elif nt == "1":
        num_t = f"({body_t})" if several and dt != "1" else body_t
        num_l = body_l
    else:
        num_t = f"{nt}*({body_t})" if several else f"{nt}*{body_t}"
        num_l = rf"{nl} \left({body_l}\right)" if several else f"{nl} {body_l}"
    if dt == "1":
        return num_t, num_l
    wrap = f"({dt})" if "*" in re.sub(r"sqrt\([^)]*\)", "", dt) else dt
    return f"{num_t}/{wrap}", rf"\frac{{{num_l}}}{{{dl}}}"


def grouped(expr: sp.Expr) -> tuple[str, str]:
    r"""A sum as (text, latex), each group of terms sharing a scale written once.

    Example:
        >>> r = sp.Symbol("r")
        >>> n = sp.Symbol("n", positive=True)
        >>> grouped(sp.sqrt(2) * r / (4 * sp.sqrt(n)))
        ('r/(2*sqrt(2*n))', '\\frac{r}{2 \\sqrt{2 n}}')
    """
    groups: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        scale, rest = _split(term)
        sign = -1 if scale.could_extract_minus_sign() else 1
        key = sign * scale
        groups[key] = groups.get(key, sp.Integer(0)) + sign * rest
    # terms that depend on n first, then by size of the group
    order = sorted(groups, key=lambda s: (not s.has(WIDTH), -len(sp.Add.make_args(groups[s]))))
    out_t: list[str] = []
    out_l: list[str] = []
    for key in order:
        rest = groups[key]
        negative = rest.could_extract_minus_sign() and not isinstance(rest, sp.Add)
        t, lat = _group_text(key, -rest if negative else rest)
        if out_t:
            out_t.append(("- " if negative else "+ ") + t)
            out_l.append(("- " if negative else "+ ") + lat)
        else:
            out_t.append(("-" if negative else "") + t)
            out_l.append(("-" if negative else "") + lat)
    return " ".join(out_t) or "0", " ".join(out_l) or "0"
