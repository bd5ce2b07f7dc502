"""The layers, read off the import graph: theory -> sim -> validate -> reproduce.

Every import in the package (module level or inside a function) is checked:

* a module may import anything of its own package, private modules included;
* it may import from a *lower* layer only through that layer's public API: a module path
  with no ``_`` component below the package, and no ``_name`` imported from it;
* it may never import from a higher layer.

The layers, lowest first: the shared core (``catapultlab.phases``, ``.stats``, ``.io``,
``.checks``, ``.cache`` and their private helpers), ``catapultlab.theory``,
``catapultlab.sim``, ``catapultlab.validate``, ``catapultlab.reproduce``, and on top the
command-line entry (``catapultlab._cli``), the public testing kit and the examples.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FOLDERS = {
    "catapultlab": ROOT / "catapultlab",
    "catapultlab.theory": ROOT / "theory",
    "catapultlab.sim": ROOT / "sim",
    "catapultlab.validate": ROOT / "validate",
}

LAYERS = ["core", "catapultlab.theory", "catapultlab.sim", "catapultlab.validate"]
LAYERS += ["catapultlab.reproduce", "top"]

TOP = {"catapultlab._cli", "catapultlab.testing", "catapultlab.__main__"}


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            out[".".join([package, *parts])] = path
    for path in sorted((ROOT / "examples").glob("*.py")):
        out[f"examples.{path.stem}"] = path
    return out


def package_of(module: str) -> str:
    """The layer package a module belongs to (``core`` for the shared root modules)."""
    if module.startswith("examples.") or module in TOP:
        return "top"
    for package in ("catapultlab.theory", "catapultlab.sim", "catapultlab.validate"):
        if module == package or module.startswith(package + "."):
            return package
    if module == "catapultlab.reproduce" or module.startswith("catapultlab.reproduce."):
        return "catapultlab.reproduce"
    return "core"


def _private_below(module: str, package: str) -> bool:
    """Does ``module`` have a private component below its package?"""
    prefix = "catapultlab" if package == "core" else package
    rest = module[len(prefix) :].lstrip(".")
    return any(part.startswith("_") for part in rest.split(".") if part)


def _imports(path: Path, module: str) -> list[tuple[int, str, tuple[str, ...]]]:
    """``(line, module imported from, names)`` of every catapultlab import in a file."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("catapultlab"):
                    found.append((node.lineno, alias.name, ()))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("catapultlab"):
                found.append((node.lineno, node.module, tuple(a.name for a in node.names)))
    return found


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def violations() -> list[str]:
    """Every import that breaks the layer rules, as ``file:line: what``."""
    known = _modules()
    out = []
    for module, path in known.items():
        mine = package_of(module)
        for line, target, names in _imports(path, module):
            targets = [target]
            # ``from pkg import sub`` names a submodule: check it as a module
            targets += [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            plain = [n for n in names if f"{target}.{n}" not in known]
            for t in targets:
                theirs = package_of(t)
                where = f"{_shown(path)}:{line}"
                if theirs == mine:
                    continue
                if LAYERS.index(theirs) > LAYERS.index(mine):
                    out.append(f"{where}: {mine} imports the higher layer {t}")
                elif _private_below(t, theirs):
                    out.append(f"{where}: imports the private module {t}")
            if package_of(target) != mine and any(n.startswith("_") for n in plain):
                out.append(f"{_shown(path)}:{line}: imports private names {plain}")
    return out


def test_every_layer_imports_only_the_public_api_of_the_layers_below() -> None:
    found = violations()
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("catapultlab.sim._kernel", "catapultlab.sim"),
        ("catapultlab.phases", "core"),
        ("catapultlab._cli", "top"),
        ("catapultlab.reproduce._pipeline", "catapultlab.reproduce"),
    ],
)
def test_package_of(module: str, package: str) -> None:
    assert package_of(module) == package


def test_the_checker_sees_planted_crossings(tmp_path, monkeypatch) -> None:
    """A private crossing, private names and upward imports planted in sim are found."""
    planted = tmp_path / "sim"
    planted.mkdir()
    (planted / "_bad.py").write_text(
        "from catapultlab.theory._cache import derive\n"
        "from catapultlab.theory import _cache\n"
        "from catapultlab.io import _private_helper\n"
        "import catapultlab.validate\n"
        "def f():\n    from catapultlab.reproduce import reproduce\n"
    )
    monkeypatch.setitem(FOLDERS, "catapultlab.sim", planted)
    found = violations()
    assert any("private module catapultlab.theory._cache" in v for v in found)
    assert sum("_cache" in v for v in found) == 2
    assert any("private names ['_private_helper']" in v for v in found)
    assert any("higher layer catapultlab.validate" in v for v in found)
    assert any("higher layer catapultlab.reproduce" in v for v in found)


MAX_FUNCTION_LINES = 80
"""Issue 20: a longer function is a module waiting to be split."""


def test_no_function_is_longer_than_the_limit() -> None:
    import ast

    long = []
    for folder in ("theory", "sim", "validate", "catapultlab"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.name} ({lines})")
    assert not long, long
