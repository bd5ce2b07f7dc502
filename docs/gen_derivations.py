"""mkdocs hook: the derivation pages, typeset, from catapultlab.theory's own output.

Nothing on these pages is typed by hand: at every build the uv model and a small
full model are derived, and each section of the derivation (steps, Gram update,
maps, where block, boundaries) becomes a display equation typeset by MathJax,
followed by the text and JSON forms (generated files, not in git).

MathJax is served from the site itself: its ``tex-svg.js`` (one file, fonts
included) is copied from the ``django-static-mathjax`` package (a test/docs
dependency) into ``js/mathjax/``, so neither building nor viewing the docs
fetches anything from the network.
"""

from __future__ import annotations

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

PAGES = {"uv": None, "full": (2, 2)}
MATHJAX = "js/mathjax/tex-svg.js"


def _page(dims: tuple[int, int] | None) -> str:
    from catapultlab.theory import full_model, latex_blocks, to_json, to_text, uv_model

    model = uv_model() if dims is None else full_model(*dims)
    title = "uv model" if dims is None else f"full model, d = {dims[0]}, m = {dims[1]}"
    cli = (
        "catapultlab derive uv"
        if dims is None
        else (f"catapultlab derive full -d {dims[0]} -m {dims[1]}")
    )
    lines = [
        f"# Derivation: {title}",
        "",
        f"Generated at docs build time from `catapultlab.theory`: the same derivation as "
        f"`{cli}` (add `--format latex` or `--format json`). Model: {model.description}.",
        "",
        "Every line is derived, not typed: the parameter step is the engine's exact "
        "gradient step, the Gram update is checked term by term against the derived map, "
        "and the maps are factored through the residual. The note beside a value says "
        "which model it belongs to, and the restriction it was derived on if any.",
        "",
    ]
    for heading, rows in latex_blocks(model):
        lines += [f"## {heading[0].upper()}{heading[1:]}", "", "$$", r"\begin{aligned}"]
        lines += rows
        lines += [r"\end{aligned}", "$$", ""]
    lines += [
        "## Text form",
        "",
        "```text",
        to_text(model),
        "```",
        "",
        "## JSON",
        "",
        "Every expression is a SymPy-parsable string (`catapultlab.theory.parse_expr`).",
        "",
        "```json",
        to_json(model),
        "```",
        "",
    ]
    return "\n".join(lines)


def _mathjax() -> bytes:
    from importlib.resources import files

    return (files("mathjax") / "static" / "mathjax" / "es5" / "tex-svg.js").read_bytes()


def on_files(files, config):  # noqa: D103 - mkdocs hook signature
    for kind, dims in PAGES.items():
        files.append(File.generated(config, f"derivations/{kind}.md", content=_page(dims)))
    files.append(File.generated(config, MATHJAX, content=_mathjax()))
    return files


def _source_tree() -> str:
    """A directory where ``catapultlab/{theory,sim,validate}`` sit where griffe looks.

    The package maps ``catapultlab.theory`` to ``theory/`` (and so on) through
    ``package-dir``; griffe's static finder only sees ``catapultlab/``. This links
    the real files into one tree (rebuilt at every build) for mkdocstrings.
    """
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    tree = Path(tempfile.mkdtemp(prefix="catapultlab-docs-"))
    pkg = tree / "catapultlab"
    pkg.mkdir()
    for entry in (root / "catapultlab").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    for layer in ("theory", "sim", "validate"):
        (pkg / layer).symlink_to(root / layer)
    return str(tree)


def _examples_sections() -> None:
    """Read a Google-style ``Example:`` section like ``Examples:`` (code, not Markdown).

    The package's docstrings say ``Example:`` (the tests run them as doctests); griffe
    only knows the plural and would render the outputs as Markdown, where a printed
    Python list reads as a reference link.
    """
    from griffe import DocstringSectionKind
    from griffe._internal.docstrings import google

    google._section_kind.setdefault("example", DocstringSectionKind.examples)


def _preimport() -> None:
    """Import every public layer's modules now: griffe imports with ``sys.path`` set to the
    source tree only, where a standard-library module not yet loaded (``hashlib``) fails."""
    import importlib
    import pkgutil

    for package in ("catapultlab.theory", "catapultlab.sim", "catapultlab.reproduce"):
        pkg = importlib.import_module(package)
        for info in pkgutil.iter_modules(pkg.__path__):
            importlib.import_module(f"{package}.{info.name}")
    importlib.import_module("catapultlab.testing")


@event_priority(100)  # before mkdocstrings creates its python handler
def on_config(config):  # noqa: D103 - mkdocs hook signature
    _examples_sections()
    _preimport()
    plugin = config.plugins["mkdocstrings"]
    python = plugin.config["handlers"].setdefault("python", {})
    python["paths"] = [_source_tree()]
    return config


def on_page_markdown(markdown, page, config, files):  # noqa: D103 - mkdocs hook signature
    """Inline ``# include: examples/x.py`` lines with the file (the examples the tests run)."""
    import re
    from pathlib import Path

    root = Path(config["config_file_path"]).parent

    def inline(m):
        return (root / m.group(1)).read_text().rstrip()

    return re.sub(r"^# include: (examples/\S+\.py)$", inline, markdown, flags=re.M)
