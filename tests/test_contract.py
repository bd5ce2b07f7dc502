"""Contract: the commands of tests/golden/commands.py give the pinned outputs.

The references were written by ``tests/golden/make.py`` before the layers were
refactored (issue 20); a change of science or format must regenerate them on purpose.
Standard output is compared byte for byte; netCDF files by content (every variable,
coordinate, dtype and attribute: ``xarray.Dataset.identical``), since the container
format's bytes are the writer's business.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from catapultlab._cli import main

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))
from commands import COMMANDS  # noqa: E402

ROOT = GOLDEN.parent.parent


SLOW = {"derive_full_json", "derive_uv_decay_json"}
"""Goldens run with -m slow: derive full at d = m = 1 (the 2 x 2 golden covers the path) and
uv under weight decay (its edges are checked in test_theory_derive; the golden pins the text)."""


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in sorted(COMMANDS)]
)
def test_output_is_unchanged(name, capsys, tmp_path, monkeypatch):
    argv, kind = COMMANDS[name]
    monkeypatch.chdir(ROOT)
    out = tmp_path / f"{name}.nc"
    code = main([a.replace("{out}", str(out)) for a in argv])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    if kind == "stdout":
        expected = (GOLDEN / f"{name}.out").read_text()
        assert stdout == expected
        return
    import xarray as xr

    with xr.open_dataset(GOLDEN / f"{name}.nc") as ref, xr.open_dataset(out) as got:
        ref.load()
        got.load()
        assert got.identical(ref), f"{name}: netCDF content differs"
