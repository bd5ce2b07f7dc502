"""The docs build with `mkdocs build --strict`; the examples run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_docs_build_strict(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    assert mkdocs is not None, "mkdocs is part of the test extra: pip install -e '.[test]'"
    site = tmp_path / "site"
    proc = subprocess.run(
        [mkdocs, "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    uv = (site / "derivations" / "uv" / "index.html").read_text()
    assert "lambda_catapult" in uv or "catapult_divergent" in uv
    assert (site / "api" / "theory" / "index.html").is_file()
    api = (site / "python-api" / "index.html").read_text()
    assert "compare_linear_network_with_map" in api


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip()
