"""`catapultlab reproduce`: the pipeline's wiring on a tiny run (fast), the quick preset (slow).

The fast run shifts the theory (a uv model whose edges and exponents are not the derived
ones) and checks that every predicted number of the report, and every grid written in
units of the edges, follows it: nothing in the report is typed in.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

FIGURES = (
    "uv_phase_diagram",
    "uv_single_runs",
    "uv_c_divergent_finite_width",
    "uv_scaling",
    "relu_mlp_sweep",
    "linear_mlp_sweep",
    "test_accuracy_vs_c",
    "linear_network_vs_map",
)
CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")


def _run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "catapultlab._cli",
        "reproduce",
        "--quick",
        "--out",
        str(out),
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reproduce") / "quick"
    proc = _run(out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="session")
def numbers(quick: Path) -> dict[str, dict]:
    return {n["key"]: n for n in json.loads((quick / "numbers.json").read_text())["numbers"]}


def _open(path: Path):
    import xarray as xr

    return xr.open_dataset(path, engine="scipy")


@pytest.mark.slow
def test_every_figure_and_file_exists(quick: Path) -> None:
    for name in FIGURES:
        for ext in ("png", "pdf", "svg"):
            f = quick / "figures" / f"{name}.{ext}"
            assert f.is_file() and f.stat().st_size > 1000, f
    for rel in ("report.md", "report.html", "numbers.json", "config.json", "data/numbers.nc"):
        assert (quick / rel).is_file(), rel
    for rel in ("theory/uv.tex", "theory/uv.json", "theory/full_d2_m2.tex"):
        assert (quick / rel).is_file(), rel
    from catapultlab.theory import check_latex

    for tex in (quick / "theory").glob("*.tex"):
        check_latex(tex.read_text())  # every derivation the report prints is valid LaTeX
    md = (quick / "report.md").read_text()
    for name in FIGURES:
        assert f"figures/{name}.png" in md
        m = re.search(rf"figures/{name}\.pdf`; data: `([^`]+)`", md)
        assert m and (quick / m.group(1)).is_file(), name


@pytest.mark.slow
def test_config_records_versions_and_preset(quick: Path) -> None:
    cfg = json.loads((quick / "config.json").read_text())
    assert cfg["config"]["preset"] == "quick"
    assert cfg["versions"]["numpy"] and cfg["versions"]["catapultlab"]


def _table(md: str) -> dict[str, list[str]]:
    rows = {}
    for line in md.splitlines():
        if line.startswith("| ") and "." in line.split("|")[1]:
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[cells[0]] = cells
    return rows


@pytest.mark.slow
def test_report_numbers_equal_the_data_files(quick: Path, numbers: dict[str, dict]) -> None:
    from catapultlab.reproduce._report import number_cells

    rows = _table((quick / "report.md").read_text())
    assert set(rows) == set(numbers)
    for key, n in numbers.items():
        assert rows[key] == number_cells(n), key
        if n["measured"] is not None:  # the printed value is the stored one, to 4 digits
            assert math.isclose(float(rows[key][2]), n["measured"], rel_tol=1e-3, abs_tol=1e-300)
    nc = _open(quick / "data" / "numbers.nc")
    for key, n in numbers.items():
        v = float(nc["measured"].sel(key=key))
        assert (math.isnan(v) and n["measured"] is None) or v == n["measured"], key
    # the report's numbers are the ones stored beside each figure's data
    checks = {
        "sim.c_catapult_largest_n": ("uv_phase_diagram", lambda d: float(d["c_catapult"][-1])),
        "sim.c_divergent_largest_n": ("uv_phase_diagram", lambda d: float(d["c_divergent"][-1])),
        "sim.peak_loss_exponent": ("uv_scaling", lambda d: d.attrs["peak_exponent"]),
        "sim.tpeak_slope": ("uv_scaling", lambda d: d.attrs["tpeak_slope"]),
        "sim.c_divergent_y_extrapolated": (
            "uv_c_divergent_finite_width",
            lambda d: d.attrs["extrapolated_c_divergent"],
        ),
        "validate.relu.lam0": ("relu_sweep", lambda d: d.attrs["lam0"]),
        "validate.linear.lam0": ("linear_sweep", lambda d: d.attrs["lam0"]),
        "validate.linear_map.max_rel_deviation": (
            "linear_network_vs_map",
            lambda d: float(d["max_rel_deviation"].max()),
        ),
    }
    for key, (name, get) in checks.items():
        with _open(quick / "data" / f"{name}.nc") as d:
            assert math.isclose(get(d), numbers[key]["measured"], rel_tol=1e-12), key


@pytest.mark.slow
def test_rerun_reuses_every_stage(quick: Path) -> None:
    proc = _run(quick)
    assert proc.returncode == 0, proc.stderr
    for stage in ("theory", "sim", "validate"):
        assert re.search(rf"{stage}: cached", proc.stdout), proc.stdout


def test_a_code_change_invalidates_every_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cached stages are keyed on the package source too: new code never shows old numbers."""
    import catapultlab.cache as cache
    from catapultlab.reproduce import _config

    cfg = _config.preset("quick")
    before = {s: _config.stage_hash(cfg, s) for s in ("theory", "sim", "validate")}
    assert cache.code_version() == cache.code_version()  # deterministic
    monkeypatch.setattr(cache, "code_version", lambda: "edited-source")
    after = {s: _config.stage_hash(cfg, s) for s in before}
    assert all(before[s] != after[s] for s in before)


def _chromium() -> str | None:
    for c in CHROMIUM:
        p = shutil.which(c)
        if p:
            return p
    return None


@pytest.mark.slow
@pytest.mark.browser
def test_report_html_images_load_in_chromium(quick: Path, tmp_path: Path) -> None:
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium is not installed")
    html = (quick / "report.html").read_text()
    assert 'src="figures/' not in html  # self-contained
    probe = (
        "<script>window.addEventListener('load', () => {const imgs = [...document.images];"
        "const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;"
        "document.body.setAttribute('data-images', imgs.length + '/' + ok);});</script>"
    )
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", probe + "</body>"))
    cmd = [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
        page.as_uri(),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r'data-images="(\d+)/(\d+)"', proc.stdout)
    assert m, proc.stdout[-2000:] + proc.stderr[-2000:]
    total, ok = int(m.group(1)), int(m.group(2))
    assert total == len(FIGURES) and ok == total


@pytest.mark.slow
def test_linear_network_follows_the_exact_map(numbers: dict[str, dict]) -> None:
    n = numbers["validate.linear_map.max_rel_deviation"]
    assert (n["predicted"], n["relation"]) == (0.0, "=")
    assert n["measured"] < n["tolerance"] and n["agrees"] is True


# -- a tiny run under a shifted theory (fast) ---------------------------------------------

SHIFTED_EDGES = {"lazy_catapult": 2.5, "loss_rises": 2.25, "catapult_divergent": 4.5}
SHIFTED = {"peak_loss_exponent": 1.5, "ntk_drift_exponent": -0.75, "catapult_time_slope": 0.5}


class ShiftedModel:
    """A derived model whose edges and exponents say something else (the theory "changed")."""

    def __init__(self, model) -> None:
        self._model = model

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def edges(self, **hyper):
        return {**self._model.edges(**hyper), **SHIFTED_EDGES}

    def predict(self, quantity: str, **hyper):
        p = self._model.predict(quantity, **hyper)
        return p._replace(value=self.edges(**hyper)[p.edge])

    @property
    def peak_loss_exponent(self) -> float:
        return SHIFTED["peak_loss_exponent"]

    @property
    def ntk_drift_exponent(self) -> float:
        return SHIFTED["ntk_drift_exponent"]

    def catapult_time_slope(self, c: float, **hyper) -> float:
        return SHIFTED["catapult_time_slope"]


def _tiny_preset() -> dict:
    """The quick preset, cut down; grids stay in units of the edges."""
    from catapultlab.reproduce._config import preset
    from catapultlab.reproduce._edge_units import spaced, times

    cfg = preset("quick")
    cfg["preset"] = "tiny"
    cfg["sim"].update(
        diagram_c=spaced("catapult_divergent", 0.0625, 1.25, 9),
        diagram_n=[16, 64],
        ensemble=8,
        steps=300,
        bootstrap=20,
        single_n=64,
        single_steps=30,
        finite_c=spaced("catapult_divergent", 0.75, 1.25, 9),
        finite_n=[4, 16, 64, 256],
        finite_ensemble=8,
        collapse_n=[64, 256, 1024],
        scaling_n=[100, 1000, 10000],
        scaling_ensemble=8,
    )
    for net in ("relu", "linear"):
        cfg["validate"][net].update(c_values=times("lazy_catapult", [0.5, 1.5, 2.0, 3.0]))
    cfg["validate"]["linear_map"].update(steps=5)
    return cfg


def _planted_sweep(sc):
    """A sweep result without training: lazy below c = 3, catapults to 4.5, divergent above."""
    from catapultlab.validate import Boundary, RunSummary, SweepResult

    def run(c: float) -> RunSummary:
        phase = "lazy" if c < 3 else "catapult" if c <= 4.5 else "divergent"
        return RunSummary(
            c=c, eta=c, phase=phase, final_loss=0.01, max_loss_ratio=1.0, lam_final=1.0,
            min_lam_ratio=1.0, train_acc=0.9, test_acc=0.5 + c / 20, steps_done=10,
            rose=c >= 3, sharp_drop=False, sharp_rise=False, min_early_lam_ratio=1.0,
            max_early_lam_ratio=1.0, eta_ntk_final=1.8 if phase == "catapult" else None,
        )  # fmt: skip

    def trajectory(c: float) -> SimpleNamespace:
        steps, measured = np.arange(sc.steps + 1), np.arange(0, sc.steps + 1, 10)
        loss = np.exp(-steps / (10 * c))
        return SimpleNamespace(
            loss=loss, train_acc=1 - loss, measure_steps=measured, lam=np.full(measured.size, 1.0),
            lam_residual=np.zeros(measured.size), test_acc=np.full(measured.size, 0.5),
        )  # fmt: skip

    return SweepResult(
        config=sc, network=f"planted {sc.act}", lam0=1.0, lam0_residual=0.0, loss0=1.0,
        runs=tuple(run(c) for c in sc.c_values),
        trajectories=tuple(trajectory(c) for c in sc.c_values),
        c_loss=Boundary(3.0, 0.5), c_max=Boundary(4.5, 0.5, lower=True),
        c_sharp=Boundary(None, None, "above"),
    )  # fmt: skip


def _exact_map(x, y, *, width, c, steps, seed):
    f = np.ones((steps + 1, len(y)))
    lam = np.linspace(1.0, 0.5, steps + 1)
    return SimpleNamespace(f_net=f, f_map=f.copy(), lam_net=lam, lam_map=lam.copy())


@pytest.fixture(scope="module")
def shifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``reproduce`` of the tiny preset under the shifted theory (networks planted)."""
    import catapultlab.theory
    from catapultlab.reproduce import _config, reproduce

    real = catapultlab.theory.uv_model
    out = tmp_path_factory.mktemp("reproduce") / "shifted"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(catapultlab.theory, "uv_model", lambda *step: ShiftedModel(real(*step)))
        mp.setattr("catapultlab.validate.run_sweep", _planted_sweep)
        mp.setattr("catapultlab.validate.compare_linear_network_with_map", _exact_map)
        mp.setitem(_config.PRESETS, "tiny", _tiny_preset())
        reproduce(out, preset_name="tiny", echo=lambda line: None)
        second = reproduce(out, preset_name="tiny", echo=lambda line: None)
    assert second["cached"] == ["theory", "sim", "validate"]
    return out


def _numbers_of(out: Path) -> dict[str, dict]:
    return {n["key"]: n for n in json.loads((out / "numbers.json").read_text())["numbers"]}


def test_predictions_come_from_the_theory(shifted: Path) -> None:
    n = _numbers_of(shifted)
    lazy, rises, divergent = (
        SHIFTED_EDGES[k] for k in ("lazy_catapult", "loss_rises", "catapult_divergent")
    )
    assert n["theory.c_lazy_catapult"]["measured"] == lazy
    assert n["theory.c_catapult_divergent"]["measured"] == divergent
    assert n["theory.peak_loss_exponent"]["measured"] == SHIFTED["peak_loss_exponent"]
    assert n["theory.lazy_dlam_exponent"]["measured"] == SHIFTED["ntk_drift_exponent"]
    expected = {
        "sim.c_catapult_largest_n": (rises, "="),
        "sim.c_divergent_largest_n": (divergent, "="),
        "sim.max_eta_lam_final_catapult": (lazy, "<="),
        "sim.single_lazy_eta_lam_final": (lazy, "<="),
        "sim.single_catapult_eta_lam_final": (lazy, "<="),
        "sim.c_divergent_y_extrapolated": (divergent, "="),
        "sim.peak_loss_exponent": (SHIFTED["peak_loss_exponent"], "="),
        "sim.tpeak_slope": (SHIFTED["catapult_time_slope"], "="),
        "sim.lazy_lam_drift_exponent": (SHIFTED["ntk_drift_exponent"], "="),
        "validate.linear_map.max_rel_deviation": (0.0, "="),
    }
    for net in ("relu", "linear"):
        expected |= {
            f"validate.{net}.c_loss": (rises, "="),  # the loss-rises edge, not the lazy one
            f"validate.{net}.c_max": (divergent, "="),
            f"validate.{net}.max_eta_lam_final_catapult": (lazy, "<="),
            f"validate.{net}.c_best_test_acc": (lazy, ">"),
        }
    for key, (predicted, relation) in expected.items():
        assert (n[key]["predicted"], n[key]["relation"]) == (predicted, relation), key
    # planted: c_loss bracket [2.5, 3.0] holds the shifted loss-rises edge only if it moved
    assert n["validate.relu.c_loss"]["agrees"] is False
    assert n["validate.relu.c_max"]["agrees"] is True  # bracket [4.5, 5.0]
    assert n["validate.linear_map.max_rel_deviation"]["agrees"] is True


def test_grids_are_in_units_of_the_edges(shifted: Path) -> None:
    run = json.loads((shifted / "config.json").read_text())["run_config"]
    lazy, divergent = SHIFTED_EDGES["lazy_catapult"], SHIFTED_EDGES["catapult_divergent"]
    assert run["sim"]["single_c"] == {
        "lazy": 0.75 * lazy,
        "catapult": 0.75 * divergent,
        "divergent": 1.125 * divergent,
    }
    assert run["sim"]["diagram_c"][-1] == 1.25 * divergent
    assert run["validate"]["relu"]["c_values"] == [0.5 * lazy, 1.5 * lazy, 2.0 * lazy, 3.0 * lazy]
    assert run["validate"]["linear_map"]["c"] == [0.5 * lazy, 0.75 * divergent]


def test_tiny_run_writes_every_figure_and_table(shifted: Path) -> None:
    from catapultlab.reproduce._report import number_cells

    numbers = _numbers_of(shifted)
    md = (shifted / "report.md").read_text()
    rows = _table(md)
    assert set(rows) == set(numbers)
    assert all(rows[k] == number_cells(n) for k, n in numbers.items())
    for name in FIGURES:
        assert (shifted / "figures" / f"{name}.png").is_file(), name
        m = re.search(rf"figures/{name}\.pdf`; data: `([^`]+)`", md)
        assert m and (shifted / m.group(1)).is_file(), name
    assert "= within 1e-08" in rows["validate.linear_map.max_rel_deviation"]
