"""The reproduce sections beyond plain GD (edge of stability, momentum, depth x width).

Training is replaced by planted sweep results, so the test checks the plumbing fast:
numbers sit beside the derived edges of ``predicted_edges``, verdicts follow the
relation, a non-conclusive section prints no verdict, and figures and data exist. The
network rows are validate's comparison table re-keyed: ``c_loss`` beside the loss-rises
edge (not the lazy one).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from catapultlab.reproduce import _validate_breadth as sections
from catapultlab.reproduce._config import preset, run_config
from catapultlab.reproduce._validate_nets import network_rows
from catapultlab.validate import Boundary, RunSummary, SweepResult, predicted_edges


def _run(c: float, final_loss: float, hessian=None) -> RunSummary:
    return RunSummary(
        c=c, eta=c, phase="lazy", final_loss=final_loss, max_loss_ratio=1.0, lam_final=1.0,
        min_lam_ratio=1.0, train_acc=0.9, test_acc=0.9, steps_done=10, rose=False,
        sharp_drop=False, sharp_rise=False, min_early_lam_ratio=1.0, max_early_lam_ratio=1.0,
        eta_ntk=tuple((t, c) for t, _ in (hessian or [(0, 0.0)])), eta_hessian=hessian,
    )  # fmt: skip


def _result(cfg, runs, c_loss, c_max) -> SweepResult:
    return SweepResult(
        config=cfg, network="planted", lam0=1.0, lam0_residual=0.0, loss0=1.0,
        runs=tuple(runs), trajectories=(), c_loss=c_loss, c_max=c_max,
        c_sharp=Boundary(None, None, "above"),
    )  # fmt: skip


@pytest.fixture
def cfg():
    c = run_config(copy.deepcopy(preset("default")))
    c["validate"]["eos"].update(steps=100)
    return c


def test_momentum_numbers_beside_derived_edges(cfg, tmp_path, monkeypatch):
    planted = {0.5: (3.5, 9.0), 0.9: (3.5, 8.0)}

    def fake(sc):
        c_loss, c_max = planted[sc.momentum]
        runs = [_run(1.0, 0.01), _run(24.0, 1e9)]
        return _result(sc, runs, Boundary(c_loss, 0.5), Boundary(c_max, 0.5))

    monkeypatch.setattr("catapultlab.validate.run_sweep", fake)
    numbers, figures = sections.momentum_section(cfg, tmp_path)
    by = {n.key: n for n in numbers}
    assert [n.key for n in numbers] == [
        f"validate.momentum_{b:g}.{k}" for b in planted for k in ("c_loss", "c_max")
    ]
    for beta, (c_loss, c_max) in planted.items():
        edges = predicted_edges("momentum", beta)
        loss, top = (
            by[f"validate.momentum_{beta:g}.c_loss"],
            by[f"validate.momentum_{beta:g}.c_max"],
        )
        assert (loss.measured, loss.predicted) == (c_loss, edges["loss_rises"])
        assert (top.measured, top.predicted) == (c_max, edges["lazy_catapult"])
        assert top.relation == ">" and top.agrees is (c_max > edges["lazy_catapult"])
        # c_loss bracket [c - 0.5, c]: the derived loss-rises edge (2.0, 1.13) lies below it
        assert loss.relation == "=" and loss.agrees is False
    assert (tmp_path / figures[0].data).is_file()
    assert (tmp_path / "figures" / "momentum_edges.png").is_file()

    cfg["validate"]["momentum"]["conclusive"] = False
    numbers, _ = sections.momentum_section(cfg, tmp_path)
    assert all(n.agrees is None and n.relation == "" for n in numbers)
    assert all(n.source.startswith("not conclusive") for n in numbers)


def test_eos_number_is_the_late_sharpness(cfg, tmp_path, monkeypatch):
    late = [(t, 2.0 + 0.02 * np.sin(t)) for t in range(75, 101, 5)]
    series = [(0, 1.0), (10, 1.5), (50, 1.9), *late]

    def fake(sc):
        assert sc.sharpness == "hessian" and sc.param == "standard"
        return _result(
            sc,
            [_run(1.0, 0.01, [(t, 0.6 * v) for t, v in series]), _run(1.9, 0.01, series)],
            Boundary(None, None, "above"),
            Boundary(None, None, "above"),
        )

    monkeypatch.setattr("catapultlab.validate.run_sweep", fake)
    (n,), (fig,) = sections.eos_section(cfg, tmp_path)
    vals = [v for _, v in late]
    assert n.measured == pytest.approx(np.mean(vals))
    assert (n.ci_low, n.ci_high) == (min(vals), max(vals))
    assert n.predicted == predicted_edges("gd")["lazy_catapult"] and n.agrees is True
    assert (tmp_path / fig.data).is_file()


def test_quick_preset_leaves_the_sections_out():
    v = preset("quick")["validate"]
    assert not {"eos", "momentum", "scan"} & set(v)
    assert {"eos", "momentum", "scan"} <= set(preset("default")["validate"])


def test_network_rows_are_validates_comparison_rekeyed(cfg, monkeypatch):
    """c_loss is compared with the loss-rises edge, as validate does (here apart from the lazy one)."""
    import catapultlab.theory
    from catapultlab.validate import SweepConfig, comparison_table

    real = catapultlab.theory.uv_model

    class Apart:
        def __init__(self, model):
            self._model = model

        def __getattr__(self, name):
            return getattr(self._model, name)

        def edges(self, **hyper):
            return {**self._model.edges(**hyper), "loss_rises": 2.75}

        def predict(self, quantity, **hyper):
            p = self._model.predict(quantity, **hyper)
            return p._replace(value=self.edges(**hyper)[p.edge])

    monkeypatch.setattr(catapultlab.theory, "uv_model", lambda *step: Apart(real(*step)))
    sc = SweepConfig(c_values=(1.0, 3.0, 4.0))
    runs = [_run(1.0, 0.01), _run(3.0, 0.01), _run(4.0, 0.01)]
    res = _result(sc, runs, Boundary(3.0, 0.5), Boundary(4.0, 0.5, lower=True))
    rows = {r.key: r for r in network_rows(res, "relu", "ReLU MLP")}
    table = {r.key: r for r in comparison_table(res)}
    loss = rows["validate.relu.c_loss"]
    assert loss.predicted == 2.75 and loss.relation == "=" and loss.agrees is True
    assert (loss.ci_low, loss.ci_high) == (2.5, 3.0)
    assert rows["validate.relu.c_max"].predicted == table["validate.c_max"].predicted
    assert rows["validate.relu.c_best_test_acc"].relation == ">"
    assert set(rows) == {
        f"validate.relu.{k}"
        for k in ("lam0", "c_loss", "c_max", "max_eta_lam_final_catapult", "c_best_test_acc")
        + ("own_model", "best_test_acc")
    }

    untrained = _result(sc, [_run(1.0, 0.6), *runs[1:]], res.c_loss, res.c_max)
    rows = network_rows(untrained, "relu", "ReLU MLP")
    assert all(r.agrees is None and r.relation == "" for r in rows)
    assert rows[1].source.startswith("not conclusive") and rows[1].predicted == 2.75
