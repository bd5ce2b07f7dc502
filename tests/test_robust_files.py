"""Integrity of everything written to disk: atomic writes, umask, full disk, the caches."""

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from catapultlab import CatapultError
from catapultlab._atomic import umask
from catapultlab.io import atomic_write, atomic_write_text


def _debris(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".tmp_"))


def test_atomic_write_respects_umask_and_replaces_mode(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    target.chmod(0o644)
    old = os.umask(0o022)
    try:
        assert umask() == 0o022
        atomic_write_text(target, "new")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        os.umask(0o077)
        atomic_write_text(tmp_path / "private.json", "x")
        assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    finally:
        os.umask(old)
    assert target.read_text() == "new"
    assert _debris(tmp_path) == []


def _enospc_writer(tmp: Path) -> None:
    tmp.write_bytes(b"partial")  # half a file is on disk when the device fills up
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_is_one_error_and_leaves_nothing(tmp_path):
    target = tmp_path / "result.nc"
    with pytest.raises(CatapultError, match=r"cannot write .*result\.nc: No space left"):
        atomic_write(target, _enospc_writer)
    assert not target.exists()
    assert _debris(tmp_path) == []


def test_full_disk_keeps_the_previous_file(tmp_path):
    target = tmp_path / "result.json"
    target.write_text("previous complete result")
    with pytest.raises(CatapultError):
        atomic_write(target, _enospc_writer)
    assert target.read_text() == "previous complete result"
    assert _debris(tmp_path) == []


def test_interrupt_during_write_leaves_nothing(tmp_path):
    def interrupted(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "x.png", interrupted)
    assert list(tmp_path.iterdir()) == []


def _small_tmpfs(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    return mnt


def test_real_full_tmpfs_simulate_out(tmp_path):
    """simulate --out onto a 64 KiB tmpfs: one error line, no file, no temporary."""
    mnt = _small_tmpfs(tmp_path)
    try:
        (mnt / "filler").write_bytes(b"\0" * 60 * 1024)
        cmd = [sys.executable, "-m", "catapultlab._cli", "simulate", "uv", "--c", "0.05"]
        cmd += ["--n", "100", "--steps", "2000", "--out", str(mnt / "traj.json")]
        done = subprocess.run(cmd, capture_output=True, text=True)
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "No space left on device" in lines[0], done.stderr
        assert sorted(p.name for p in mnt.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_sweep_netcdf_writer_full_disk(tmp_path, monkeypatch):
    """The sweep's netCDF writer goes through the atomic helper (ENOSPC injected)."""
    import numpy as np
    import xarray as xr

    from catapultlab.io import write_netcdf

    ds = xr.Dataset({"p": (("c",), np.arange(3.0))})

    def full(self, path, *a, **k):
        Path(path).write_bytes(b"CDF\x01trunc")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(xr.Dataset, "to_netcdf", full)
    with pytest.raises(CatapultError, match="No space left"):
        write_netcdf(ds, tmp_path / "s.nc")
    assert list(tmp_path.iterdir()) == []


# -- the cache directory -----------------------------------------------------------------


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, **env}
    full.pop("NUMBA_CACHE_DIR", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full)


def test_importing_the_package_has_no_side_effects(tmp_path):
    """No environment variable, matplotlib backend or cache folder changes on import."""
    done = _run_python(
        "import os, sys, matplotlib; before = dict(os.environ); backend = matplotlib.get_backend(); "
        "import catapultlab, catapultlab.theory, catapultlab.sim, catapultlab.validate; "
        "import catapultlab.io, catapultlab.stats, catapultlab.phases, catapultlab.cache; "
        "import catapultlab.sim._kernel, catapultlab.sim._sweep, catapultlab.sim._figures; "
        "print(dict(os.environ) == before, matplotlib.get_backend() == backend)",
        {"CATAPULTLAB_CACHE_DIR": str(tmp_path / "cache"), "MPLBACKEND": "svg"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    assert done.stderr == "" and not (tmp_path / "cache").exists()


@pytest.fixture
def readonly_dir(tmp_path):
    """A directory nobody can write to: chmod 0500, or for root a read-only tmpfs."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if os.geteuid() != 0:
        ro.chmod(0o500)
        yield ro
        ro.chmod(0o700)
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(ro)])
    if done.returncode != 0:
        pytest.skip("root cannot mount a read-only tmpfs here")
    yield ro
    subprocess.run(["umount", str(ro)], check=False)


@pytest.mark.parametrize("kind", ["file", "readonly", "readonly-home"])
def test_unusable_cache_dir_falls_back_with_one_warning(tmp_path, kind, readonly_dir):
    bad = tmp_path / "cache"
    env = {"CATAPULTLAB_CACHE_DIR": str(bad)}
    if kind == "file":
        bad.write_text("not a directory")
    elif kind == "readonly":
        bad = readonly_dir
        env = {"CATAPULTLAB_CACHE_DIR": str(bad / "sub")}
    else:  # no override: platformdirs' ~/.cache under a read-only HOME
        bad = readonly_dir
        env = {"HOME": str(bad), "CATAPULTLAB_CACHE_DIR": "", "XDG_CACHE_HOME": ""}
    done = _run_python("from catapultlab.cache import cache_root; print(cache_root())", env)
    assert done.returncode == 0, done.stderr
    warning = done.stderr.strip().splitlines()
    assert len(warning) == 1 and "CATAPULTLAB_CACHE_DIR" in warning[0]
    root = Path(done.stdout.strip())
    assert root.is_dir() and os.access(root, os.W_OK) and not str(root).startswith(str(bad))


def test_outputs_into_a_readonly_directory_are_refused_up_front(readonly_dir, capsys):
    from catapultlab._cli import main

    for args in (
        ["sweep", "uv", "--c", "1:2:1", "--n", "10", "--out", str(readonly_dir / "r.nc")],
        [
            "simulate",
            "uv",
            "--c",
            "3",
            "--n",
            "10",
            "--steps",
            "5",
            "--out",
            str(readonly_dir / "t.json"),
        ],
        ["validate", "--figure", str(readonly_dir / "f.png")],
        ["reproduce", "--quick", "--out", str(readonly_dir / "report")],
    ):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "is not writable" in err[0], err


def test_numba_writes_nothing_inside_the_package(tmp_path):
    """Compiling the package's cache=True functions leaves no file beside its sources."""
    import catapultlab.sim

    pkg = Path(catapultlab.sim.__file__).parent
    before = {p for p in pkg.rglob("*") if p.suffix in (".nbi", ".nbc")}
    done = _run_python(
        _KEY,
        {"CATAPULTLAB_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    after = {p for p in pkg.rglob("*") if p.suffix in (".nbi", ".nbc")}
    assert after == before
    assert list((tmp_path / "cache" / "kernels").rglob("*.nbi"))


# -- the generated-kernel cache ------------------------------------------------------------


@pytest.fixture
def kernel_cache(tmp_path, monkeypatch):
    from catapultlab.cache import cache_root

    monkeypatch.setenv("CATAPULTLAB_CACHE_DIR", str(tmp_path))
    cache_root.cache_clear()
    yield tmp_path / "kernels"
    cache_root.cache_clear()


def _corrupt(path: Path, how: str) -> None:
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    if how == "line":
        path.write_text("".join(lines[: len(lines) // 2]))
    elif how == "token":
        path.write_text(text[: len(text) // 2 + 3])
    elif how == "empty":
        path.write_text("")
    elif how == "constant":
        i = next(k for k, ln in enumerate(lines) if "0.5" in ln or "2.0" in ln)
        lines[i] = lines[i].replace("0.5", "0.6", 1).replace("2.0", "2.5", 1)
        path.write_text("".join(lines))


@pytest.mark.parametrize("how", ["line", "token", "empty", "constant"])
def test_corrupt_kernel_file_is_regenerated(kernel_cache, how, capsys):
    from catapultlab.sim._compiled import _module_file

    source = "def run():\n    return 0.5 * 2.0\n" * 20
    path = _module_file("test_tag", lambda: source)
    assert path.parent == kernel_cache
    first = path.read_text()
    _corrupt(path, how)
    again = _module_file("test_tag", lambda: source)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rebuilt" in err[0] and path.name in err[0]
    assert again.read_text() == first
    assert [p.name for p in kernel_cache.iterdir()] == [path.name]


def test_intact_kernel_file_is_reused_silently(kernel_cache, capsys):
    from catapultlab.sim._compiled import _module_file

    calls = []
    _module_file("t", lambda: calls.append(1) or "x = 1\n")
    _module_file("t", lambda: calls.append(1) or "x = 1\n")
    assert calls == [1]
    assert capsys.readouterr().err == ""


def test_prune_by_age_and_size(kernel_cache):
    from catapultlab.sim._compiled import _module_file, prune_kernels

    paths = [_module_file(f"k{i}", lambda i=i: f"x = {i}\n" * 100) for i in range(4)]
    day = 86400
    for age, p in zip((40, 3, 2, 1), paths, strict=True):
        t = p.stat().st_mtime - age * day
        os.utime(p, (t, t))
    assert prune_kernels() == [paths[0]]  # older than 30 days
    size = paths[1].stat().st_size
    removed = prune_kernels(max_bytes=2 * size, keep=paths[1])
    assert removed == [paths[2]]  # the oldest that is not kept goes until it fits
    assert sorted(kernel_cache.iterdir()) == sorted([paths[1], paths[3]])


# -- progress bars -------------------------------------------------------------------------


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, []

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        self.text.append(s)
        return len(s)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("tty", [False, True])
def test_progress_bars_only_on_a_terminal(monkeypatch, tty):
    from catapultlab.progress import progress

    stream = _Stream(tty)
    monkeypatch.setattr(sys, "stderr", stream)
    assert sum(progress(range(5), desc="stage")) == 10
    drawn = "".join(stream.text)
    assert ("stage" in drawn) == tty


_ENSEMBLE = (
    "import numpy as np; from catapultlab.sim import make_setup, run_ensemble; "
    "o = run_ensemble(make_setup('uv', y=1.0), c=3.0, n=64, ensemble=64, steps=300); "
    "print(repr(np.concatenate([o.peak_loss, o.t_peak, o.phase]).tolist()))"
)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["line", "constant"])
def test_real_kernel_corruption_regenerates_with_same_numbers(tmp_path, how):
    """The uv kernel cut at a line boundary (spun forever before) or with a constant edited."""
    env = {"CATAPULTLAB_CACHE_DIR": str(tmp_path)}
    first = _run_python(_ENSEMBLE, env)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    (kernel,) = [p for p in (tmp_path / "kernels").glob("k_*.py") if "rng" not in p.name]
    if how == "line":
        _corrupt(kernel, "line")
    else:
        text = kernel.read_text()
        kernel.write_text(text.replace("0.5", "0.25", 1) if "0.5" in text else text + "x = 1\n")
    again = _run_python(_ENSEMBLE, env)
    assert again.returncode == 0, again.stderr
    err = again.stderr.strip().splitlines()
    assert len(err) == 1 and "rebuilt" in err[0] and kernel.name in err[0]
    assert again.stdout == first.stdout


_KEY = (
    "from catapultlab.sim import sample_gram_streams; "
    "print(sample_gram_streams(2, 5, 3, seed=7).tolist())"
)


@pytest.mark.parametrize("suffix", [".nbc", pytest.param(".nbi", marks=pytest.mark.slow)])
def test_truncated_numba_cache_files_are_recompiled(tmp_path, suffix):
    """Numba alone fails on every run after this; here: one line, then a clean recompile."""
    env = {"CATAPULTLAB_CACHE_DIR": str(tmp_path)}
    first = _run_python(_KEY, env)
    assert first.returncode == 0 and first.stderr == "", first.stderr
    # one damaged file per case (the index, .nbi, with -m slow)
    (target,) = (tmp_path / "kernels").glob(f"__pycache__/k_rng_*.gram_streams-*{suffix}")
    target.write_bytes(target.read_bytes()[:40])
    again = _run_python(_KEY, env)
    assert again.returncode == 0, again.stderr
    err = again.stderr.strip().splitlines()
    assert len(err) == 1 and "k_rng_" in err[0] and "recompiled" in err[0], err
    assert again.stdout == first.stdout
    third = _run_python(_KEY, env)
    assert third.stderr == "" and third.stdout == first.stdout


def test_sweep_bar_ends_only_after_every_chunk_statistic(monkeypatch, tmp_path):
    """The sweep bar advances once per chunk after that chunk is summarised and merged, so
    it reaches 100% only when the streamed statistics are complete (what is left after it
    is the final reduction of the merged counts)."""
    import catapultlab.progress as progress_mod
    import catapultlab.sim._sweep as sweep_mod
    from catapultlab.sim import SweepConfig, make_setup, run_sweep

    events: list[str] = []

    class Bar:
        def __init__(self, *a, total=0, initial=0, **k):
            events.append(f"open {total}")

        def update(self, k):
            events.append("tick")

        def close(self):
            events.append("close")

    real_add = sweep_mod.SweepStats.add

    def add(self, *a, **k):
        events.append("merged")
        return real_add(self, *a, **k)

    real_reduce = sweep_mod.reduce_sweep

    def reduce(*a, **k):
        events.append("reduce")
        return real_reduce(*a, **k)

    monkeypatch.setattr(progress_mod, "progress", Bar)
    monkeypatch.setattr(sweep_mod.SweepStats, "add", add)
    monkeypatch.setattr(sweep_mod, "reduce_sweep", reduce)
    setup = make_setup("uv", y=1.0)
    cfg = SweepConfig(setup=setup, c=(2.5, 3.5), n=(64,), ensemble=2048, steps=300)
    run_sweep(cfg, chunk=1024, progress=True)
    chunks = int(events[0].split()[1])
    assert chunks == 4
    assert events[1:] == ["merged", "tick"] * chunks + ["close", "reduce"]


def test_a_killed_writers_leftovers_are_removed_by_the_next_write(tmp_path):
    import os
    import time

    from catapultlab.io import atomic_write_text, temp_pattern

    old, fresh = tmp_path / ".tmp_x_abc123.nc", tmp_path / ".tmp_x_def456.nc"
    for p in (old, fresh):
        p.write_bytes(b"half a file")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    assert {p.name for p in tmp_path.glob(temp_pattern(tmp_path / "x.nc"))} == {
        old.name,
        fresh.name,
    }
    atomic_write_text(tmp_path / "x.nc", "done")
    assert not old.exists()  # left by a killed writer: removed
    assert fresh.exists()  # may belong to a writer still running: kept
    assert (tmp_path / "x.nc").read_text() == "done"


@pytest.mark.slow  # two cold compiles each; the truncated-cache test above covers the class
@pytest.mark.parametrize("damage", ["kernels-is-a-file", "user-numba-cache-garbage"])
def test_a_damaged_cache_folder_is_repaired_in_one_line(tmp_path, damage):
    env = {"CATAPULTLAB_CACHE_DIR": str(tmp_path / "cache")}
    if damage == "user-numba-cache-garbage":
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    first = _run_python(_KEY, env)
    assert first.returncode == 0, first.stderr
    if damage == "kernels-is-a-file":
        import shutil

        shutil.rmtree(tmp_path / "cache" / "kernels")
        (tmp_path / "cache" / "kernels").write_text("not a folder")
    else:
        for f in (tmp_path / "numba").rglob("*.nb[ci]"):
            f.write_bytes(b"garbage")
    again = _run_python(_KEY, env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert len(again.stderr.strip().splitlines()) <= 1, again.stderr
