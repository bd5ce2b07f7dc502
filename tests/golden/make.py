"""Write the contract test's reference outputs: ``python tests/golden/make.py [NAME ...]``.

Run it only when an output is *meant* to change, and say so in the commit.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from commands import COMMANDS  # noqa: E402


def run(name: str, argv: list[str], kind: str, folder: Path) -> bytes:
    """The command's pinned output: its stdout, or the netCDF file it wrote."""
    out = folder / f"{name}.nc"
    args = [a.replace("{out}", str(out)) for a in argv]
    proc = subprocess.run(
        [sys.executable, "-m", "catapultlab._cli", *args], cwd=ROOT, capture_output=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"{name}: exit {proc.returncode}\n{proc.stderr.decode()}")
    return proc.stdout if kind == "stdout" else out.read_bytes()


def main(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, (argv, kind) in COMMANDS.items():
            if names and name not in names:
                continue
            data = run(name, argv, kind, Path(tmp))
            suffix = ".nc" if kind == "nc" else ".out"
            (HERE / f"{name}{suffix}").write_bytes(data)
            print(name, len(data))


if __name__ == "__main__":
    main(sys.argv[1:])
