"""mkdocs hook: generate the derivation pages from catapultlab.theory's own output.

Nothing on these pages is typed by hand: at every build the uv model and a small
full model are derived, and their LaTeX, text and JSON renderings are written into
``derivations/uv.md`` and ``derivations/full.md`` (generated files, not in git).
"""

from __future__ import annotations

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

PAGES = {"uv": ("uv", None), "full": ("full", (2, 2))}


def _page(kind: str, dims: tuple[int, int] | None) -> str:
    from catapultlab.theory import full_model, to_json, to_latex, to_text, uv_model

    model = uv_model() if dims is None else full_model(*dims)
    title = "uv model" if dims is None else f"full model, d = {dims[0]}, m = {dims[1]}"
    cli = (
        "catapultlab derive uv"
        if dims is None
        else f"catapultlab derive full -d {dims[0]} -m {dims[1]}"
    )
    return "\n".join(
        [
            f"# Derivation: {title}",
            "",
            f"Generated at docs build time from `catapultlab.theory` (the same output as `{cli}`).",
            f"{model.description}.",
            "",
            "## Summary",
            "",
            "```text",
            to_text(model),
            "```",
            "",
            "## LaTeX",
            "",
            "```latex",
            to_latex(model),
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
    )


def on_files(files, config):  # noqa: D103 - mkdocs hook signature
    for kind, (_, dims) in PAGES.items():
        files.append(File.generated(config, f"derivations/{kind}.md", content=_page(kind, dims)))
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


@event_priority(100)  # before mkdocstrings creates its python handler
def on_config(config):  # noqa: D103 - mkdocs hook signature
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
