"""Every class of bad input is refused with one line and a non-zero exit, before any compute.

One table for the CLI (in-process ``main``), one for the Python API. Compute entry
points (model setup, the bench workload, NTK / training, the reproduce stages, the
symbolic derivation) are replaced by a sentinel that fails the test if reached.
"""

import gzip
import pickle
import struct

import numpy as np
import pytest

from catapultlab import CatapultError
from catapultlab._cli import main


class ComputeStartedError(AssertionError):
    pass


def _sentinel(*a, **k):
    raise ComputeStartedError("compute started before the input was refused")


@pytest.fixture
def no_compute(monkeypatch):
    import catapultlab.reproduce._pipeline as pipeline
    import catapultlab.sim._bench as bench
    import catapultlab.sim._setup as setup
    import catapultlab.theory._derive_model as model
    import catapultlab.validate._ntk as ntk
    import catapultlab.validate._train as train

    monkeypatch.setattr(setup, "make_setup", _sentinel)
    monkeypatch.setattr(bench, "workload", _sentinel)
    monkeypatch.setattr(ntk, "top_ntk_eigenvalue", _sentinel)
    monkeypatch.setattr(train, "train", _sentinel)
    monkeypatch.setattr(pipeline, "_runner", _sentinel)
    monkeypatch.setattr(model, "derive_gram", _sentinel)  # the derivation never starts


def _idx(dims, data=None, magic=b"\x00\x00\x08"):
    data = np.zeros(dims, np.uint8) if data is None else np.asarray(data, np.uint8)
    head = magic + bytes([len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return head + data.tobytes()


def _mnist_dir(tmp_path, break_=None):
    d = tmp_path / "mnist"
    d.mkdir()
    files = {
        "train-images-idx3-ubyte": _idx((3, 4, 4)),
        "train-labels-idx1-ubyte": _idx((3,), [1, 2, 3]),
        "t10k-images-idx3-ubyte": _idx((2, 4, 4)),
        "t10k-labels-idx1-ubyte": _idx((2,), [0, 9]),
    }
    if break_ == "magic":
        files["train-images-idx3-ubyte"] = _idx((3, 4, 4), magic=b"\x08\x00\x00")
    elif break_ == "counts":
        files["train-labels-idx1-ubyte"] = _idx((2,), [1, 2])
    elif break_ == "labels":
        files["train-labels-idx1-ubyte"] = _idx((3,), [255, 255, 255])
    elif break_ == "shape":
        files["t10k-images-idx3-ubyte"] = _idx((32,))
    for name, raw in files.items():
        if break_ == "gzip" and name == "train-labels-idx1-ubyte":
            (d / (name + ".gz")).write_bytes(gzip.compress(raw)[:-6])
        else:
            (d / name).write_bytes(raw)
    return d


def _cifar_dir(tmp_path, break_):
    d = tmp_path / "cifar"
    d.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = np.zeros((2, 3072 if break_ != "shape" else 100), np.uint8)
        raw = pickle.dumps({b"data": data, b"labels": [0, 1]})
        (d / name).write_bytes(raw[: len(raw) // 2] if break_ == "pickle" else raw)
    return d


def _cases(tmp_path):
    nc = ["sweep", "uv", "--c", "1:2:1", "--n", "10"]
    sim = ["simulate", "uv", "--c", "3", "--n", "10", "--steps", "10"]
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not netcdf")
    parts_file = tmp_path / "r.nc.parts"
    parts_file.write_text("x")
    return [
        # numbers past what the code can represent
        (["sweep", "uv", "--c", "1:2:1", "--n", "1e19"], "2^53"),
        (["sweep", "uv", "--c", "1:2:1", "--n", "1e30"], "2^53"),
        (["sweep", "uv", "--c", "1:2:1", "--n", str(2**53)], "2^53"),
        (["simulate", "uv", "--c", "3", "--n", "1e30", "--steps", "10"], "2^53"),
        (["simulate", "uv", "--c", "3", "--n", "nan", "--steps", "10"], "integer"),
        ([*sim[:-1], str(10**12)], "needs about"),
        ([*sim, "--ensemble", str(10**12)], "needs about"),
        ([*nc, "--ensemble", str(10**12)], "one sweep runs"),
        ([*nc, "--ensemble", "0"], ">= 1"),
        ([*nc, "--steps", "0"], ">= 1"),
        ([*nc, "--dtype", "float32", "--steps", str(2**24)], "2^24"),
        (["bench", "--trajectories", "1e12"], "needs about"),
        (["bench", "--trajectories", "nan"], "integer"),
        (["bench", "--trajectories", "inf"], "integer"),
        (["bench", "--n", "0"], ">= 1"),
        (["bench", "--n", "-5"], ">= 1"),
        (["bench", "--n", "nan"], "integer"),
        (["simulate", "uv", "--c", "0", "--n", "10", "--steps", "10"], "> 0"),
        (["simulate", "uv", "--c", "inf", "--n", "10", "--steps", "10"], "finite"),
        # grids
        (["sweep", "uv", "--c", "0:100:1e-9", "--n", "10"], "asks for 1e+11 values"),
        (["sweep", "uv", "--c", "1:5:0", "--n", "10"], "step must be > 0"),
        (["sweep", "uv", "--c", "5:1:1", "--n", "10"], "reversed"),
        (["sweep", "uv", "--c", "1:x:1", "--n", "10"], "cannot parse"),
        (["validate", "--c", "1:5:0"], "step must be > 0"),
        (["validate", "--c", "0.5:100:1e-6"], "asks for"),
        # output paths
        ([*nc, "--out", str(tmp_path / "missing" / "r.nc")], "does not exist"),
        ([*nc, "--out", str(tmp_path)], "is a directory"),
        ([*nc, "--out", str(text_file)], "not a netCDF file"),
        ([*nc, "--out", str(tmp_path / "r.nc")], "resume directory"),
        ([*nc, "--figure", str(tmp_path / "f.gif")], "unsupported figure extension"),
        ([*sim, "--out", str(tmp_path / "missing" / "t.json")], "does not exist"),
        ([*sim, "--figure", str(tmp_path / "t.bmpx")], "unsupported figure extension"),
        (["validate", "--out", str(tmp_path)], "is a directory"),
        (["validate", "--out", str(text_file)], "not a netCDF file"),
        (["validate", "--figure", str(tmp_path / "x.txt")], "unsupported figure extension"),
        (["reproduce", "--out", str(text_file)], "is a file"),
        # user data
        (["validate", "--dataset", "mnist", "--data-dir", "MAGIC"], "train-images-idx3-ubyte"),
        (["validate", "--dataset", "mnist", "--data-dir", "COUNTS"], "3 images but"),
        (["validate", "--dataset", "mnist", "--data-dir", "LABELS"], "labels must lie in"),
        (["validate", "--dataset", "mnist", "--data-dir", "GZIP"], "labels-idx1-ubyte.gz"),
        (["validate", "--dataset", "mnist", "--data-dir", "SHAPE"], "t10k-images-idx3-ubyte"),
        (["validate", "--dataset", "cifar10", "--data-dir", "PICKLE"], "data_batch_1"),
        (["validate", "--dataset", "cifar10", "--data-dir", "CSHAPE"], "expected (N, 3072)"),
        # seeds
        ([*nc, "--seed", "-1"], ">= 0"),
        ([*nc, "--seed", str(2**32)], "2^32"),
        ([*sim, "--seed", str(2**32)], "2^32"),
        (["validate", "--seed", "-3"], ">= 0"),
        (["scan", "--depth", "1,1", "--width", "8"], "repeats a value"),
        (["scan", "--depth", "1", "--width", "8,16,8"], "repeats a value"),
        (["validate", "--train-size", "1"], "a single sample would become all zeros"),
        # conflicts and silent substitutions
        (["reproduce", "--quick", "--full", "--out", str(tmp_path / "rep")], "conflict"),
        (["bench", "--baseline-trajectories", "0"], ">= 1"),
        (["bench", "--dynamics-ensemble", "-1"], "--dynamics-ensemble"),
        (["bench", "--dynamics-ensemble", "2.5"], "--dynamics-ensemble"),
        ([*sim, "--exact", "--dtype", "float32"], "conflicts"),
        ([*nc, "--workers", "2", "--scheduler", "tcp://localhost:1"], "not both"),
        ([*nc, "--workers", "0"], ">= 1"),
        ([*nc, "--steps", "100", "--warmup", "500"], "longer than"),
        ([*nc, "--eta", "1:2:1"], "one of them"),
        (["sweep", "uv", "--n", "10"], "one of them"),
        (["sweep", "uv", "--eta", "0:1:0.5", "--n", "10"], "> 0"),
        (["sweep", "uv", "--eta", "2:1:0.5", "--n", "10"], "--eta"),
        ([*nc[:-1], "inf", "--warmup", "5"], "schedule"),
        ([*sim, "--schedule", "cosine"], "KIND:T"),
        ([*nc, "--schedule", "step:10"], "unknown schedule"),
        ([*nc, "--warmup", "10", "--schedule", "cosine:10"], "not both"),
        (["bench", "--trajectories", "10", "--baseline-trajectories", "20"], "exceeds"),
        # sizes that hang or blow up
        (["derive", "full", "--inputs", "50", "--samples", "50"], "too large"),
        (
            ["sweep", "full", "--inputs", "50", "--samples", "50", "--c", "1", "--n", "10"],
            "too large",
        ),
        (["validate", "--width", "100000"], "needs about"),
    ]


_DATA = {
    "MAGIC": ("mnist", "magic"),
    "COUNTS": ("mnist", "counts"),
    "LABELS": ("mnist", "labels"),
    "GZIP": ("mnist", "gzip"),
    "SHAPE": ("mnist", "shape"),
    "PICKLE": ("cifar", "pickle"),
    "CSHAPE": ("cifar", "shape"),
}


def test_cli_refuses_every_class_with_one_line(tmp_path, no_compute, capsys):
    failures = []
    for k, (args, needle) in enumerate(_cases(tmp_path)):
        if "--data-dir" in args:
            kind, how = _DATA[args[-1]]
            sub = tmp_path / f"data{k}"
            sub.mkdir()
            maker = _mnist_dir if kind == "mnist" else _cifar_dir
            args = [*args[:-1], str(maker(sub, how))]
        rc = main(args)
        err = capsys.readouterr().err.strip().splitlines()
        if rc == 0 or len(err) != 1 or needle not in err[0] or "error" not in err[0]:
            failures.append((args, rc, err))
    assert not failures, "\n".join(map(str, failures))


def test_api_refuses_the_same_inputs(tmp_path):
    from catapultlab.reproduce import reproduce
    from catapultlab.sim import (
        SweepConfig,
        make_setup,
        parse_c_range,
        run_ensemble,
        run_sweep,
        simulate_trajectories,
    )
    from catapultlab.sim._bench import run_bench
    from catapultlab.theory import full_model
    from catapultlab.validate import SweepConfig as ValidateConfig
    from catapultlab.validate import load_dataset
    from catapultlab.validate import run_sweep as validate_sweep

    setup = make_setup("uv", y=1.0)

    def sweep(**kw):
        base = dict(setup=setup, c=(1.0, 3.0), n=(10,), ensemble=16, steps=10)
        return run_sweep(SweepConfig(**(base | kw)))

    (tmp_path / "file").write_text("x")
    cases = [
        (lambda: sweep(n=(10**19,)), "2^53"),
        (lambda: sweep(ensemble=10**12), "one sweep runs"),
        (lambda: sweep(seed=-1), ">= 0"),
        (lambda: sweep(dtype="float32", steps=2**24), "2^24"),
        (lambda: sweep(c=tuple(np.linspace(1, 2, 2000)), n=tuple(range(1, 1001))), "cells"),
        (lambda: simulate_trajectories(setup, c=3.0, n=1e30, steps=10), "2^53"),
        (lambda: simulate_trajectories(setup, c=3.0, n=10, steps=10**12), "needs about"),
        (lambda: run_ensemble(setup, c=3.0, n=10, ensemble=8, steps=10, seed=2**32), "2^32"),
        (lambda: run_ensemble(setup, c=float("nan"), n=10, ensemble=8, steps=10), "finite"),
        (lambda: run_bench(trajectories=10, baseline=0), ">= 1"),
        (lambda: run_bench(trajectories=float("nan")), "integer"),
        (lambda: parse_c_range("1:5:0"), "step must be > 0"),
        (lambda: validate_sweep(ValidateConfig(width=100000)), "needs about"),
        (lambda: validate_sweep(ValidateConfig(seed=2**32)), "2^32"),
        (lambda: load_dataset("mnist", data_dir=_mnist_dir(tmp_path, "labels")), "lie in"),
        (lambda: load_dataset("digits", train_size=1), "all zeros"),
        (lambda: full_model(50, 50), "too large"),
        (lambda: reproduce(tmp_path / "file", preset_name="quick"), "not a directory"),
        (lambda: reproduce(tmp_path / "r", preset_name="huge"), "unknown preset"),
    ]
    for call, needle in cases:
        with pytest.raises(CatapultError, match=None) as info:
            call()
        assert needle in str(info.value) and "\n" not in str(info.value)


def test_unexpected_error_is_one_line_and_debug_shows_traceback(monkeypatch, capsys):
    import catapultlab.sim._cli_derive as derive_command

    def boom(*a, **k):
        raise ZeroDivisionError("injected defect")

    monkeypatch.setattr(derive_command, "_boundary_sets", boom)
    assert main(["derive", "uv"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error: ZeroDivisionError" in err[0] and "--debug" in err[0]
    assert main(["--debug", "derive", "uv"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "injected defect" in err


def test_a_command_exit_status_reaches_the_shell(monkeypatch):
    """``ctx.exit(code)`` inside a command is the process status (click returns it)."""
    import click

    import catapultlab._cli as top

    @click.group()
    def group() -> None:
        pass

    @group.command("finish")
    @click.argument("code", type=int)
    @click.pass_context
    def finish(ctx: click.Context, code: int) -> None:
        ctx.exit(code)

    monkeypatch.setattr(top, "cli", group)
    assert [main(["finish", str(k)]) for k in (0, 3, 130)] == [0, 3, 130]


@pytest.mark.parametrize("value", ["0", "-2", "abc", "1.5", ""])
def test_bad_numba_thread_count_is_one_line(monkeypatch, capsys, value):
    """The docs point users at NUMBA_NUM_THREADS: a bad value is refused before any work."""
    monkeypatch.setenv("NUMBA_NUM_THREADS", value)
    rc = main(["sweep", "uv", "--c", "3", "--n", "100", "--ensemble", "10", "--steps", "5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err == [
        f"catapultlab: error: NUMBA_NUM_THREADS must be a positive integer, got {value!r}"
    ]


@pytest.mark.parametrize("lam0", [0.0, float("nan")])
def test_validate_refuses_a_network_whose_ntk_is_zero(monkeypatch, capsys, lam0):
    """eta = c / lambda0 needs lambda0 > 0: refused in one line before any training."""
    import catapultlab.validate._ntk as ntk
    import catapultlab.validate._train as train

    monkeypatch.setattr(ntk, "top_ntk_eigenvalue", lambda *a, **k: ntk.TopEigen(lam0, 0.0, None, 0))
    monkeypatch.setattr(train, "train", _sentinel)
    rc = main(["validate", "--width", "4", "--c", "1:2:1", "--steps", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "eta = c / lambda0 is undefined" in err[0]


def test_simulate_summary_line_says_not_finite(capsys):
    """A run that overflows in its first step is summarised, not a formatting error."""
    rc = main(["simulate", "uv", "--c", "1e308", "--n", "100", "--steps", "10"])
    out = capsys.readouterr().out.strip()
    assert rc == 0
    assert out.startswith("phase divergent, steps 1, peak loss not finite")
    assert out.endswith("eta*lam_final not finite")


@pytest.mark.parametrize("value", ["inf", "-1", "nan", "0", "lots"])
def test_bad_memory_limit_is_one_line(monkeypatch, capsys, value):
    from catapultlab._cli import main

    monkeypatch.setenv("CATAPULTLAB_MEMORY_LIMIT", value)
    assert main(["sweep", "uv", "--c", "1:2:1", "--n", "100", "--ensemble", "4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "positive number of bytes" in err[0], err


@pytest.mark.parametrize("command", ["sweep", "simulate"])
def test_negative_data_seed_is_one_line(capsys, command):
    from catapultlab._cli import main

    args = ["--c", "1:2:1"] if command == "sweep" else ["--c", "1", "--steps", "5"]
    assert main([command, "full", "--data-seed", "-1", "--n", "100", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--data-seed must be >= 0" in err[0], err


def test_a_spec_runs_apart_from_the_commands_output(tmp_path, capsys):
    """A spec's prints go to stderr (stdout stays JSON); its sys.exit is an error line."""
    import json

    from catapultlab._cli import main

    spec = tmp_path / "noisy.py"
    spec.write_text(
        "import sys\nimport sympy as sp\nfrom catapultlab.theory import WIDTH, ModelSpec, dot\n"
        "print('hello from the module')\n"
        "def uv():\n    print('building')\n"
        "    return ModelSpec('noisy', ('u', 'v'), (dot('u', 'v') / sp.sqrt(WIDTH),),\n"
        "                     (sp.Symbol('y', real=True),))\n"
        "def bye():\n    sys.exit(0)\n"
    )
    assert main(["derive", "--spec", f"{spec}:uv", "--format", "json", "--symbolic-only"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["model"] == "noisy" and "building" in out.err
    assert main(["derive", "--spec", f"{spec}:bye", "--symbolic-only"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "called sys.exit" in err[-1] and err[-1].startswith("catapultlab: error")


_BASE = {
    "derive": ["uv"],
    "sweep": ["uv", "--c", "1:2:1", "--n", "10"],
    "simulate": ["uv", "--c", "3", "--n", "10", "--steps", "10"],
    "bench": [],
    "bifurcation": ["uv", "--eta", "1:2:0.5"],
    "validate": [],
    "scan": [],
    "reproduce": [],
}
_TEXT_OPTIONS = {"--spec", "--out", "--figure", "--data-dir", "--scheduler", "--x", "--labels"}
_INFINITE_ALLOWED = {("sweep", "--n")}  # the n = inf limit law


def _numeric_options():
    import click

    from catapultlab._cli import cli

    for name, base in _BASE.items():
        for p in cli.commands[name].params:
            if not isinstance(p, click.Option) or p.is_flag or isinstance(p.type, click.Choice):
                continue
            if p.opts[0] not in _TEXT_OPTIONS:
                yield name, base, p.opts[0]


def test_every_numeric_option_of_every_command_refuses_nan_inf_and_text(
    tmp_path, no_compute, monkeypatch, capsys
):
    """Table-driven over every option click knows (scan, bifurcation, dynamics included)."""
    import catapultlab.sim._bifurcation as bifurcation

    monkeypatch.setattr(bifurcation, "bifurcation", _sentinel)
    failures, probed = [], 0
    for name, base, option in _numeric_options():
        for bad in ("nan", "inf", "-inf", "1e400", "abc"):
            if bad in ("inf", "1e400") and (name, option) in _INFINITE_ALLOWED:
                continue
            rc = main([name, *base, option, bad])
            err = capsys.readouterr().err.strip().splitlines()
            probed += 1
            if rc != 2 or len(err) != 1 or "error" not in err[0] or "internal" in err[0]:
                failures.append((name, option, bad, rc, err[:2]))
    assert probed > 300 and not failures, "\n".join(map(str, failures))
