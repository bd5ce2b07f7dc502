"""`catapultlab reproduce --quick` end to end: files, numbers, caching, the HTML in a browser."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_every_figure_and_file_exists(quick: Path) -> None:
    for name in FIGURES:
        for ext in ("png", "pdf"):
            f = quick / "figures" / f"{name}.{ext}"
            assert f.is_file() and f.stat().st_size > 1000, f
    for rel in ("report.md", "report.html", "numbers.json", "config.json", "data/numbers.nc"):
        assert (quick / rel).is_file(), rel
    for rel in ("theory/uv.tex", "theory/uv.json", "theory/full_d2_m2.tex"):
        assert (quick / rel).is_file(), rel
    md = (quick / "report.md").read_text()
    for name in FIGURES:
        assert f"figures/{name}.png" in md
        m = re.search(rf"figures/{name}\.pdf`; data: `([^`]+)`", md)
        assert m and (quick / m.group(1)).is_file(), name


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


def test_predictions_come_from_the_theory(numbers: dict[str, dict]) -> None:
    assert numbers["theory.c_lazy_catapult"]["measured"] == 2.0
    assert numbers["theory.c_catapult_divergent"]["measured"] == 4.0
    assert numbers["sim.c_catapult_largest_n"]["predicted"] == 2.0
    assert numbers["validate.linear_map.max_rel_deviation"]["measured"] < 1e-8


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
