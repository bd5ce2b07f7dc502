"""Benchmark the generated uv kernel against NumPy and JAX; writes JSON next to this file.

Usage: python benchmarks/bench_sim.py [TRAJECTORIES] [STEPS]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from catapultlab.io import atomic_write_text
from catapultlab.sim._bench import format_table, run_bench

if __name__ == "__main__":
    traj = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**7
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rows = run_bench(traj, steps)
    print(format_table(rows))
    atomic_write_text(Path(__file__).parent / "bench_sim.json", json.dumps(rows, indent=1))
