"""The examples run, and the tutorial page shows its example verbatim (a file of its own so
that the test workers can split it from the docs build)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip()


def test_tutorial_page_shows_the_executed_example() -> None:
    """docs/your-model.md shows examples/your_own_model.py verbatim (which test_example_runs runs)."""
    page = (ROOT / "docs" / "your-model.md").read_text()
    code = (ROOT / "examples" / "your_own_model.py").read_text()
    assert f"```python\n{code}```" in page
