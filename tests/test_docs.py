"""The docs build with `mkdocs build --strict`, typeset and offline; the examples run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    assert mkdocs is not None, "mkdocs is part of the test extra: pip install -e '.[test]'"
    out = tmp_path_factory.mktemp("docs") / "site"
    proc = subprocess.run(
        [mkdocs, "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _html(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text()


def test_derivation_pages_are_typeset_maths(site: Path) -> None:
    for page in ("derivations/uv", "derivations/full"):
        html = _html(site, page)
        maths = re.findall(r'<div class="arithmatex">(.*?)</div>', html, flags=re.S)
        assert len(maths) >= 5, page  # steps, Gram update, maps, where, boundaries...
        assert all(r"\begin{aligned}" in m for m in maths)
        assert r"\langle" in html and "u1_{u1}" not in html
    uv = _html(site, "derivations/uv")
    assert "catapult/divergent" in uv and r"\eta r \left(\lambda" in uv


def test_mathjax_is_served_from_the_site(site: Path) -> None:
    js = site / "js" / "mathjax" / "tex-svg.js"
    assert js.stat().st_size > 100_000
    for page in site.rglob("*.html"):
        scripts = re.findall(r'<script[^>]+src="([^"]+)"', page.read_text())
        assert not [s for s in scripts if re.match(r"(https?:)?//", s)], page
        stylesheets = re.findall(r'<link[^>]+href="(https?://[^"]+)"', page.read_text())
        assert not [s for s in stylesheets if "fonts" in s], page


def test_api_reference_is_the_public_api(site: Path) -> None:
    import catapultlab.sim
    import catapultlab.theory
    import catapultlab.validate

    for layer, pkg in (
        ("theory", catapultlab.theory),
        ("sim", catapultlab.sim),
        ("validate", catapultlab.validate),
    ):
        html = _html(site, f"api/{layer}")
        headings = set(re.findall(r'id="catapultlab\.[a-z_.]+\.([A-Za-z_0-9]+)"', html))
        assert set(pkg.__all__) <= headings, set(pkg.__all__) - headings
        assert not re.search(r"__\w+__", html), layer
        assert not re.search(r"/(work|tmp|root|home)/", html), layer
    theory = _html(site, "api/theory")
    for name in ("ModelSpec", "inner_symbol", "derive_gram", "project", "derive_scalar_boundaries"):
        assert f'id="catapultlab.theory.{name}"' in theory, name
    assert "Declare a model" in theory


def test_python_api_page(site: Path) -> None:
    assert "compare_linear_network_with_map" in _html(site, "python-api")


def test_dynamics_page_is_generated_from_the_code(site: Path) -> None:
    """The closed forms, onsets, sets and tables are on the page, typeset, and consistent:
    the numeric period-4 onset equals its closed form; δ approaches Feigenbaum's."""
    html = _html(site, "dynamics")
    maths = re.findall(r'<div class="arithmatex">(.*?)</div>', html, flags=re.S)
    assert len(maths) >= 3 and all(r"\begin{aligned}" in m for m in maths)
    assert r"\sqrt{5}" in html and r"\hat\eta" in html
    onsets = dict(re.findall(r"<td>(\d+)</td>\s*<td>(\d\.\d{12})</td>", html))
    assert set(onsets) >= {"2", "4", "8", "16"}
    assert abs(float(onsets["4"]) - (5**0.5 - 1)) < 1e-10
    deltas = [float(d) for d in re.findall(r"<td>\d+, \d+, \d+</td>\s*<td>(\d\.\d{4})</td>", html)]
    assert len(deltas) >= 2 and abs(deltas[-1] - 4.6692) < abs(deltas[0] - 4.6692) < 0.1
    assert "between" in html and "unstable manifold" in html
    assert (site / "img" / "generated" / "bifurcation_uv.png").stat().st_size > 10_000


def test_readme_examples_run_and_its_commands_parse(capsys) -> None:
    """README opens with a quick start: its Python runs, its commands are valid CLI."""
    import re
    import shlex

    from catapultlab._cli import cli

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    (python,) = re.findall(r"```python\n(.*?)```", readme, re.S)
    exec(compile(python, "README.md", "exec"), {})
    assert "2*(beta + 1)/lam0" in capsys.readouterr().out
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        for line in block.strip().splitlines():
            args = shlex.split(line.split("&&")[-1].strip())
            if args[0].endswith("catapultlab"):
                name = args[1]
                command = cli.commands.get(name)
                assert command is not None, line
                command.make_context(name, args[2:])  # raises on an unknown option
