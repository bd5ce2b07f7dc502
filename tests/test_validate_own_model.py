"""validate sets a linear network's edges beside its own model (issue 22, item 3)."""

from __future__ import annotations

import json

import pytest

from catapultlab._cli import main

TINY = ["--width", "64", "--c", "1:6:1", "--steps", "40", "--train-size", "48",
        "--test-size", "16", "--bisect", "2", "--json"]  # fmt: skip


def _run(capsys, *args):
    assert main(["validate", *args, *TINY]) == 0
    doc = json.loads(capsys.readouterr().out)
    return doc, {r["key"]: r for r in doc["comparison"]}


def test_own_model_runs_default_to_eight_for_the_linear_network_only():
    from catapultlab.validate import SweepConfig
    from catapultlab.validate._own_model import own_model_runs

    assert own_model_runs(SweepConfig(act="linear", depth=1)) == 8
    assert own_model_runs(SweepConfig(act="relu", depth=1)) == 0
    assert own_model_runs(SweepConfig(act="relu", own_model_runs=3)) == 3


def test_linear_network_is_compared_with_its_own_model(capsys):
    doc, rows = _run(capsys, "--act", "linear", "--depth", "1", "--own-model-runs", "4")
    own = doc["own_model"]
    assert own["runs"] == 4 and own["n"] == 64 and own["batch"] == "full"
    assert len(own["c"]) == len(own["p_divergent"]) == 25
    assert own["p_divergent"][0] == 0 and own["p_divergent"][-1] == 1
    for key in ("validate.c_loss.own_model", "validate.c_max.own_model"):
        row = rows[key]
        assert row["predicted"] is not None and row["uncertainty"] > 0
        assert "full model of this data at n = 64" in row["source"]
    # the measured network boundaries sit inside what its own model predicts, while the
    # uv restriction's 2 and 4 do not describe this network (48 samples, 10 outputs)
    assert (
        rows["validate.c_max.own_model"]["agrees"] and rows["validate.c_loss.own_model"]["agrees"]
    )
    assert rows["validate.c_max"]["predicted"] == 4.0 and not rows["validate.c_max"]["agrees"]
    # infinite width: the same model's n = inf law, and eta*lambda_final rows
    assert doc["own_model_inf"]["n"] == "inf" and doc["own_model_inf"]["runs"] == 4
    for tag in ("own_model", "own_model_inf"):
        final = rows[f"validate.eta_lam_final.{tag}"]
        catapults = [r for r in doc["runs"] if r["phase"] == "catapult"]
        if catapults:
            assert final["measured"] == max(r["eta_ntk_final"] for r in catapults)
            if final["predicted"] is None:  # beyond this model's c_max (the n = inf one here)
                assert "every run of the map diverges" in final["source"]
            else:
                assert 0 < final["predicted"] < 2.2
        else:
            assert final["measured"] is None and "no catapult run" in final["source"]
    # at n = inf the model of the same data has the uv edges back: the network's 4 and 5.4
    # are finite-width values (n = 64 here), which its own width-64 model reproduces
    assert abs(rows["validate.c_max.own_model_inf"]["predicted"] - 4.0) < 0.3
    assert abs(rows["validate.c_loss.own_model_inf"]["predicted"] - 2.0) < 0.3
    _own_init_reproduces_the_network(doc, rows)


def _own_init_reproduces_the_network(doc, rows):
    """The map from the network's own init, at its c values, brackets what it measured."""
    own = doc["own_init"]
    assert own["c"] == sorted(r["c"] for r in doc["runs"])
    by_c = {r["c"]: r for r in doc["runs"]}
    assert own["diverged"] == [by_c[c]["phase"] == "divergent" for c in own["c"]]
    assert own["rose"] == [by_c[c]["rose"] for c in own["c"]]
    for which in ("c_loss", "c_max"):
        lo, hi = own[which]
        assert doc[which] == (hi if which == "c_loss" else lo)
        assert rows[f"validate.{which}.own_init"]["agrees"]
    final = rows["validate.eta_lam_final.own_init"]
    assert abs(final["measured"] - final["predicted"]) < 1e-4 * final["measured"]


@pytest.mark.slow  # the shared batches are checked step by step in test_validate_linear_map
def test_sgd_network_is_its_own_init_map_with_the_same_batches(capsys):
    """Under SGD the map fed the network's batch sequence reproduces its run (issue 22)."""
    doc, rows = _run(capsys, "--act", "linear", "--depth", "1", "--batch", "16",
                     "--own-model-runs", "2")  # fmt: skip
    assert doc["own_init"]["batch"] == "B=16,shuffle"
    _own_init_reproduces_the_network(doc, rows)


@pytest.mark.slow  # the row itself is in the validate contract golden (a ReLU sweep)
def test_relu_network_says_it_has_no_closed_model(capsys):
    doc, rows = _run(capsys, "--depth", "1")
    assert doc["own_model"] is None
    assert "no closed model for a relu network" in rows["validate.own_model"]["source"]
    doc, rows = _run(capsys, "--depth", "1", "--own-model-runs", "2")
    assert doc["own_model"]["runs"] == 2
    assert "REFERENCE ONLY" in rows["validate.c_max.linear_reference"]["source"]


def test_bad_own_model_runs_is_one_line(capsys):
    assert main(["validate", "--own-model-runs", "-1", *TINY]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--own-model-runs" in err[0]
