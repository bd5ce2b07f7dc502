"""The scaled-up script runs end to end at --tiny size."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "validate_gpu_scale.py"


def test_tiny(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("validate_gpu_scale", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--tiny", "--out", str(tmp_path)]) == 0
    lines = [json.loads(s) for s in capsys.readouterr().out.strip().splitlines()]
    assert [d["name"] for d in lines] == ["fc_relu", "cnn_relu"]
    for d in lines:
        assert d["lam0"] > 0
        for ext in ("nc", "png", "json"):
            assert (tmp_path / f"{d['name']}.{ext}").stat().st_size > 0
    full = mod.configs(False, 0)
    assert full["fc_relu"].width == 2048 and full["fc_relu"].depth == 3
    assert full["fc_relu"].dataset == "fashion_mnist"
