"""Resume integrity by fault injection: corrupt and truncated parts, another config or code
version, stale temporary files, a second concurrent sweep, Ctrl-C, a finished reduction."""

import json

import pytest
import xarray as xr

from catapultlab import CatapultError
from catapultlab._cli import main
from catapultlab.sim import SweepConfig, local_runner, make_setup, run_sweep
from catapultlab.sim._parts import sweep_lock
from catapultlab.sim._sweep import REDUCED, parts_dir_for


@pytest.fixture(scope="module")
def cfg():
    uv = make_setup("uv", y=1.0)
    return SweepConfig(setup=uv, c=(2.0, 3.95), n=(16,), ensemble=3072, steps=200, bootstrap=10)


@pytest.fixture(scope="module")
def fresh(cfg):
    return run_sweep(cfg, chunk=1024)


class Counting:
    """A runner that records how many tasks it was given."""

    def __init__(self):
        self.calls = []

    def __call__(self, tasks):
        self.calls.append(len(tasks))
        yield from local_runner(tasks)


def _chunk_parts(parts):
    return sorted(parts.glob("c*_n*.part"))


@pytest.mark.parametrize("fault", ["flip", "truncate", "empty"])
def test_damaged_part_is_recomputed_never_read(cfg, fresh, tmp_path, capsys, fault):
    parts = parts_dir_for(tmp_path / "s.nc", cfg)
    run_sweep(cfg, parts_dir=parts, chunk=1024)
    (parts / REDUCED).unlink()
    victim = _chunk_parts(parts)[1]
    data = bytearray(victim.read_bytes())
    if fault == "flip":
        data[-7] ^= 0x01  # one bit of the payload
    elif fault == "truncate":
        data = data[: len(data) // 2]
    else:
        data = b""
    victim.write_bytes(bytes(data))
    capsys.readouterr()
    runner = Counting()
    again = run_sweep(cfg, parts_dir=parts, chunk=1024, runner=runner)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"catapultlab: part {victim.name} failed its content check; removed and rebuilt"]
    assert runner.calls == [1]
    xr.testing.assert_identical(fresh, again)


def test_damaged_saved_reduction_is_rebuilt_from_parts(cfg, fresh, tmp_path, capsys):
    parts = parts_dir_for(tmp_path / "s.nc", cfg)
    run_sweep(cfg, parts_dir=parts, chunk=1024)
    saved = parts / REDUCED
    saved.write_bytes(saved.read_bytes()[:-3])
    capsys.readouterr()
    runner = Counting()
    again = run_sweep(cfg, parts_dir=parts, chunk=1024, runner=runner)
    assert "reduced.part failed its content check" in capsys.readouterr().err
    assert runner.calls == [0]  # every chunk part was still good
    xr.testing.assert_identical(fresh, again)


def test_finished_reduction_is_reused(cfg, fresh, tmp_path):
    parts = parts_dir_for(tmp_path / "s.nc", cfg)
    run_sweep(cfg, parts_dir=parts, chunk=1024)
    for p in _chunk_parts(parts):
        p.unlink()  # not even needed any more
    runner = Counting()
    again = run_sweep(cfg, parts_dir=parts, chunk=1024, runner=runner)
    assert runner.calls == []
    xr.testing.assert_identical(fresh, again)


def test_a_part_from_another_cell_is_recomputed_not_merged(cfg, fresh, tmp_path, capsys):
    parts = parts_dir_for(tmp_path / "s.nc", cfg)
    run_sweep(cfg, parts_dir=parts, chunk=1024)
    (parts / REDUCED).unlink()
    first, other = _chunk_parts(parts)[0], _chunk_parts(parts)[-1]  # c index 0 vs 1
    assert first.name.split("_")[0] != other.name.split("_")[0]
    first.write_bytes(other.read_bytes())  # a valid checksum, the wrong cell
    capsys.readouterr()
    runner = Counting()
    again = run_sweep(cfg, parts_dir=parts, chunk=1024, runner=runner)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"catapultlab: part {first.name} was made for another cell, width, configuration or "
        "kernel; recomputed"
    ]
    assert runner.calls == [1]
    xr.testing.assert_identical(fresh, again)


@pytest.mark.slow  # a second kernel's cold compile; the other identity checks stay
def test_a_part_of_another_kernel_is_recomputed(cfg, fresh, tmp_path, capsys, monkeypatch):
    import catapultlab.sim._kernel as kernel

    parts = parts_dir_for(tmp_path / "s.nc", cfg)
    run_sweep(cfg, parts_dir=parts, chunk=1024)
    real = kernel.kernel_tag
    monkeypatch.setattr(kernel, "kernel_tag", lambda *a, **k: "another-plan-" + real(*a, **k))
    capsys.readouterr()
    runner = Counting()
    again = run_sweep(cfg, parts_dir=parts, chunk=1024, runner=runner)
    assert "reduced.part was made for another" in capsys.readouterr().err
    assert runner.calls == [len(_chunk_parts(parts))]  # every part: none is this kernel's
    xr.testing.assert_identical(fresh, again)


def test_parts_keyed_by_config_and_code_version(cfg, tmp_path, monkeypatch):
    from dataclasses import replace

    import catapultlab.sim._sweep as sweep

    out = tmp_path / "s.nc"
    base = parts_dir_for(out, cfg)
    others = {parts_dir_for(out, replace(cfg, **kw)) for kw in ({"seed": 1}, {"ensemble": 2048})}
    others.add(parts_dir_for(out, replace(cfg, setup=make_setup("uv", y=0.5))))
    monkeypatch.setattr(sweep, "code_version", lambda: "0123456789abcdef")
    others.add(parts_dir_for(out, cfg))
    assert base not in others and len(others) == 4


def test_stale_temporary_files_are_cleaned(cfg, tmp_path, capsys):
    out = tmp_path / "s.nc"
    parts = parts_dir_for(out, cfg)
    parts.mkdir(parents=True)
    stale = [parts / ".tmp_abc.part", tmp_path / ".tmp_s_k3j9x2.nc"]  # as atomic_path names them
    for p in stale:
        p.write_bytes(b"debris")
    code = main(_cli(cfg, out))
    assert code == 0, capsys.readouterr().err
    assert not any(p.exists() for p in stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.nc"]


def _cli(cfg, out):
    return [
        "sweep",
        "uv",
        "--c",
        ",".join(str(v) for v in cfg.c),
        "--n",
        ",".join(str(v) for v in cfg.n),
        "--ensemble",
        str(cfg.ensemble),
        "--steps",
        str(cfg.steps),
        "--chunk",
        "1024",
        "--json",
        "--out",
        str(out),
    ]


def test_second_concurrent_sweep_is_refused(cfg, tmp_path, capsys):
    out = tmp_path / "s.nc"
    with sweep_lock(tmp_path / "s.nc.parts"):
        code = main(_cli(cfg, out))
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "another sweep is writing" in err[0]
        with pytest.raises(CatapultError, match="lock"):
            with sweep_lock(tmp_path / "s.nc.parts"):
                pass
    assert not out.exists()


def test_ctrl_c_keeps_finished_chunks_and_says_so(cfg, tmp_path, capsys, monkeypatch):
    import catapultlab.sim._runners as runners
    import catapultlab.sim._sweep as sweep

    real = runners.summarise_chunk
    order = [(t.c, t.first_block) for t in sweep._tasks(cfg, 1024)[0]]

    def interrupted(task):  # Ctrl-C while the fourth chunk in task order runs
        if (task.c, task.first_block) in order[3:]:
            raise KeyboardInterrupt
        return real(task)

    out = tmp_path / "s.nc"
    monkeypatch.setattr(runners, "summarise_chunk", interrupted)
    with pytest.raises(SystemExit) as stop:
        main(_cli(cfg, out))
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 130
    assert err == [
        f"catapultlab: interrupted; kept 3 finished chunks in {out}.parts: run the same "
        "command again to resume"
    ]
    monkeypatch.setattr(runners, "summarise_chunk", real)
    code = main(_cli(cfg, out))
    resumed = capsys.readouterr().out
    assert code == 0
    code = main(_cli(cfg, tmp_path / "other.nc"))
    assert json.loads(capsys.readouterr().out) == json.loads(resumed)


def test_full_disk_fails_in_one_line_and_leaves_no_part(cfg, tmp_path, monkeypatch):
    import errno
    import os
    from pathlib import Path

    real = Path.write_bytes

    def full_disk(self, data):  # the disk fills after the first 100 bytes
        real(self, data[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    parts = parts_dir_for(tmp_path / "s.nc", cfg)
    with pytest.raises(CatapultError, match="No space left on device"):
        run_sweep(cfg, parts_dir=parts, chunk=1024)
    assert sorted(p.name for p in parts.iterdir()) == [".lock"]
