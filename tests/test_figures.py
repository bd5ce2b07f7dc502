"""Every figure the package makes: drawn, sized, labelled and saved as a paper needs.

Each figure function takes ``ax=`` (drawing into the caller's axes, making no figure),
returns its figure, writes PNG at >= 200 dpi and vector PDF/SVG, labels its axes in
mathtext and names in its legend every outcome it draws.
"""

from __future__ import annotations

import numpy as np
import pytest

from catapultlab import plotting
from catapultlab.sim import (
    SweepConfig,
    bifurcation,
    bifurcation_figure,
    make_setup,
    phase_diagram,
    run_sweep,
    simulate_trajectories,
    trajectory_figure,
)
from catapultlab.theory import uv_model


@pytest.fixture(scope="module")
def sweep_ds():
    cfg = SweepConfig(
        setup=make_setup("uv", y=0.0), c=(1.0, 2.5, 4.5), n=(64, 256), ensemble=60, steps=400
    )
    return run_sweep(cfg)


def _legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    assert legend is not None, "the axes has no legend"
    return [t.get_text() for t in legend.get_texts()]


def _png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_phase_diagram_names_every_outcome_and_theory_line(sweep_ds, tmp_path):
    paths = [tmp_path / f"pd.{ext}" for ext in ("png", "pdf", "svg")]
    fig = phase_diagram(sweep_ds, paths, model=uv_model())
    (ax,) = fig.axes
    assert ax.get_xlabel() == r"$c = \eta\lambda_0$" and "$n$" in ax.get_ylabel()
    texts = _legend_texts(ax)
    drawn = [k for k in plotting.PHASE_COLORS if f"p_{k}" in sweep_ds and sweep_ds[f"p_{k}"].max()]
    assert "divergent" in drawn and "lazy" in drawn
    for k in drawn:
        assert plotting.PHASE_LABELS[k] in texts, (k, texts)
    edges = uv_model().edges()
    assert any(f"$c = {edges['catapult_divergent']:.4g}$" in t for t in texts), texts
    theory = [line for line in ax.get_lines() if line.get_label().startswith("theory")]
    assert len({str(line.get_linestyle()) for line in theory}) == len(theory) >= 2
    width, height = _png_size(paths[0])
    assert width >= 7.0 * plotting.PNG_DPI * 0.9 and height >= 3.0 * plotting.PNG_DPI * 0.5
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in paths[2].read_bytes()[:2000]


def test_figures_draw_into_the_callers_axes(sweep_ds):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    assert phase_diagram(sweep_ds, ax=ax) is fig
    assert len(fig.axes) == 1 and ax.get_xlabel() == r"$c = \eta\lambda_0$"
    three = Figure().subplots(3, 1)
    with pytest.raises(ValueError, match="3 panels"):
        trajectory_figure(_trajectory(), ax=three[:2])


def _trajectory():
    return simulate_trajectories(make_setup("uv", y=1.0), c=3.0, n=1024, steps=300)


def test_trajectory_figure_has_a_log_step_axis(tmp_path):
    fig = trajectory_figure(_trajectory(), tmp_path / "t.png", figsize=(4, 4))
    assert [a.get_xscale() for a in fig.axes] == ["log"] * 3
    assert fig.axes[1].get_ylabel() == r"$\eta\lambda_t$"
    assert any("stability edge" in t for t in _legend_texts(fig.axes[1]))
    width, _ = _png_size(tmp_path / "t.png")
    assert width >= 4 * plotting.PNG_DPI * 0.8


@pytest.mark.slow  # test_dynamics draws it through the CLI in the default suite
def test_bifurcation_figure_labels_onsets_and_edge(tmp_path):
    setup = make_setup("uv", y=1.0)
    res = bifurcation(
        setup, np.arange(0.9, 1.3, 0.02), n=1.0, state0=np.array([0.01, 0.3]), transient=3000
    )
    fig = bifurcation_figure(res, tmp_path / "b.svg", dpi=300)
    (ax,) = fig.axes
    texts = _legend_texts(ax)
    assert any(t.startswith("onset of period") for t in texts)
    assert any("edge of stability" in t for t in texts) and "attractor" in texts
    assert ax.get_xlabel() == r"learning rate $\eta$"
    assert b"<svg" in (tmp_path / "b.svg").read_bytes()[:2000]


def test_style_is_applied_and_overridable(sweep_ds):
    fig = phase_diagram(sweep_ds)
    assert fig.axes[0].xaxis.label.get_fontsize() == plotting.STYLE["axes.labelsize"]
    fig = phase_diagram(sweep_ds, rc={"axes.labelsize": 14.0})
    assert fig.axes[0].xaxis.label.get_fontsize() == 14.0


def test_the_library_never_switches_backend():
    import importlib
    import pathlib
    import re

    switch = re.compile(
        r"matplotlib\.use\(|import matplotlib\.pyplot|from matplotlib import pyplot"
    )
    hits = []
    for layer in ("catapultlab", "catapultlab.theory", "catapultlab.sim", "catapultlab.validate"):
        root = pathlib.Path(importlib.import_module(layer).__file__).parent
        hits += [p for p in root.rglob("*.py") if switch.search(p.read_text(encoding="utf-8"))]
    assert hits == []


def test_scaling_figure_names_each_c_in_both_panels(tmp_path):
    from catapultlab.sim import scaling_figure

    cfg = SweepConfig(
        setup=make_setup("uv", y=0.0), c=(2.5, 3.0), n=(64, 256, 1024), ensemble=100, steps=2000
    )
    fig = scaling_figure(run_sweep(cfg), tmp_path / "s.pdf")
    for ax in fig.axes:
        texts = _legend_texts(ax)
        assert any("$c = 2.5$" in t for t in texts) and any("$c = 3$" in t for t in texts)
    assert fig.axes[0].get_xscale() == "log" and fig.axes[1].get_xlabel() == r"$\ln n$"
