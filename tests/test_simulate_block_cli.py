"""``simulate full --block [--batch B --sampling RULE]``: the block map from the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from catapultlab._cli import main
from catapultlab.batches import BatchRule
from catapultlab.sim import default_inputs, run_block
from catapultlab.theory import full_block_map

ARGS = ["simulate", "full", "--inputs", "12", "--samples", "40", "--n", "512", "--c", "2.5",
        "--steps", "60", "--y", "0.5", "--data-seed", "3", "--seed", "7", "--json"]  # fmt: skip


@pytest.mark.parametrize("extra", [["--block"], ["--batch", "8", "--sampling", "with-replacement"]])
def test_cli_runs_are_the_api_runs(capsys, extra):
    assert main([*ARGS, *extra]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["inputs"], doc["samples"], doc["model"]) == (12, 40, "full (block map)")
    batch = BatchRule(8, "with-replacement") if "--batch" in extra else None
    X = default_inputs(40, 12, 3)
    ref = run_block(full_block_map().numeric(), X, np.full((40, 1), 0.5), n=512, c=2.5,
                    steps=60, batch=batch, seed=7)  # fmt: skip
    (run,) = doc["runs"]
    # same draws and batches; BLAS may sum in another order inside the CLI (rounding only,
    # grown by a diverging run to ~1e-12 relative at a loss of 3e14)
    np.testing.assert_allclose(np.array(run["loss"], dtype=float), ref.losses, rtol=1e-9)
    assert run["batch"] == ref.batch and run["eta"] == pytest.approx(ref.eta, rel=1e-12)
    assert len(run["spikes"]) == len(ref.spikes)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--batch", "41"], "larger than the 40 training samples"),
        (["--batch", "0"], "at least 1"),
        (["--block", "--exact"], "conflicts with --exact"),
        (["--block", "--warmup", "5"], "schedules"),
        (["--block", "--inputs", "200000"], "needs about"),
    ],
)
def test_block_refusals_are_one_line(capsys, extra, needle):
    assert main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_block_is_for_the_full_model(capsys):
    assert main(["simulate", "uv", "--block", "--n", "64", "--c", "1", "--steps", "5"]) == 2
    assert "the full model or a --spec returning a BlockSpec" in capsys.readouterr().err


def test_block_sweep_over_c_and_batch_sizes(capsys):
    args = ["sweep", "full", "--block", "--inputs", "12", "--samples", "40", "--n", "512",
            "--c", "1:7:1.5", "--batch", "full,8", "--sampling", "without-replacement",
            "--ensemble", "4", "--steps", "80", "--y", "0.5"]  # fmt: skip
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [b["batch"] for b in doc["boundaries"]] == ["full", "B=8,without-replacement"]
    assert len(doc["cells"]) == 2 * 5
    full = [cell for cell in doc["cells"] if cell["batch"] == "full"]
    assert full[0]["p_divergent"] == 0 and full[-1]["p_divergent"] == 1  # c = 1 and c = 7
    for bad, needle in [(["--batch", "41"], "larger than"), (["--eta", "1:2:1"], "--c")]:
        if "--eta" in bad:
            args2 = [a for a in args if a not in ("--c", "1:7:1.5")] + bad
        else:
            args2 = [*args, *bad]
        assert main(args2) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and needle in err[0], err


def test_a_declared_block_spec_runs_from_the_cli(tmp_path, capsys):
    """--spec FILE:FUNC returning a BlockSpec (two input matrices, one readout)."""
    from catapultlab.theory import StepRule, block_map
    from catapultlab.theory._model_cli import load_spec

    path = tmp_path / "two_path.py"
    path.write_text(
        "import sympy as sp\n"
        "from catapultlab.theory import BLOCK_DATA, DIM_IN, OUTPUTS, WIDTH_N, BlockSpec\n"
        "def two_path():\n"
        "    return BlockSpec('two_path', (('U', DIM_IN), ('W', DIM_IN), ('v', OUTPUTS)),\n"
        "        lambda U, W, v: BLOCK_DATA * (U.T + W.T) * v / sp.sqrt(2 * WIDTH_N * DIM_IN))\n"
    )
    ref_spec = f"{path}:two_path"
    args = ["simulate", "--spec", ref_spec, "--block", "--inputs", "6", "--samples", "15",
            "--n", "256", "--c", "2.5", "--steps", "40", "--data-seed", "1", "--seed", "2",
            "--json"]  # fmt: skip
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["model"] == "two_path (block map)"
    numeric = block_map(load_spec(ref_spec), StepRule()).numeric()
    ref = run_block(numeric, default_inputs(15, 6, 1), np.ones((15, 1)), n=256, c=2.5,
                    steps=40, seed=2)  # fmt: skip
    np.testing.assert_allclose(np.array(doc["runs"][0]["loss"], float), ref.losses, rtol=1e-9)
    assert main(["simulate", "--spec", ref_spec, "--c", "2", "--n", "10", "--steps", "5"]) == 2
    assert "runs with --block" in capsys.readouterr().err
