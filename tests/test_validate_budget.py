"""Memory-infeasible sizes are refused with the estimate before any data is read."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import catapultlab.validate._data as data_mod
from catapultlab import CatapultError
from catapultlab.validate import SweepConfig, load_dataset, run_scan, run_sweep
from catapultlab.validate._budget import estimate_bytes
from catapultlab.validate._cli import scan_cmd, validate_cmd
from catapultlab.validate._data import nominal_shape
from catapultlab.validate._nets import make_network


@pytest.fixture
def no_data(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the dataset was read before the memory check")

    monkeypatch.setattr(data_mod, "load_dataset", refuse)
    monkeypatch.setattr(data_mod, "_raw", refuse)


def test_sweep_refused_before_dataset_load(no_data):
    with pytest.raises(CatapultError, match=r"needs about [0-9.]+ GiB"):
        run_sweep(SweepConfig(width=100000, depth=3))


def test_scan_refuses_any_infeasible_cell_up_front(no_data, monkeypatch):
    import catapultlab.validate._scan as scan_mod

    def no_cell(cfg, *a, **k):
        raise AssertionError("a cell ran before every cell was checked")

    monkeypatch.setattr(scan_mod, "run_sweep", no_cell)
    with pytest.raises(CatapultError, match="width=100000"):
        run_scan(SweepConfig(), depths=(1, 2), widths=(64, 100000))


@pytest.mark.parametrize("cmd", [validate_cmd, scan_cmd])
def test_cli_refuses_with_estimate(no_data, cmd):
    res = CliRunner().invoke(cmd, ["--width", "100000"], standalone_mode=False)
    assert isinstance(res.exception, CatapultError)
    assert "needs about" in str(res.exception) and "GiB" in str(res.exception)


@pytest.mark.parametrize(("name", "size"), [("digits", 256), ("digits", None), ("teacher", 300)])
def test_nominal_shape_matches_loaded_data(name, size):
    samples, shape, classes = nominal_shape(name, size)
    d = load_dataset(name, train_size=size)
    assert (samples, shape, classes) == (d.x_train.shape[0], d.image_shape, d.num_classes)
    net = make_network("mlp", image_shape=shape, outputs=classes, depth=2, width=32)
    import jax.numpy as jnp

    assert estimate_bytes(net, samples, d.x_train.shape[1], jnp.float32) > 0


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--out", "{tmp}", "is a directory"),
        ("--out", "{tmp}/plain/scan.nc", "plain"),
        ("--figure", "{tmp}/scan.xyz", "unsupported figure extension"),
    ],
)
def test_scan_refuses_bad_output_paths_before_training(no_data, tmp_path, option, value, reason):
    (tmp_path / "plain").write_text("a file, not a folder")
    args = ["--depth", "1", "--width", "8", option, value.format(tmp=tmp_path)]
    res = CliRunner().invoke(scan_cmd, args, standalone_mode=False)
    assert isinstance(res.exception, CatapultError), res.output
    assert reason in str(res.exception)
