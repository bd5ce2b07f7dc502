"""Scaled-up validation sweeps (the catapult paper's settings, sized for a GPU).

Runs two sweeps of ``c = eta lambda_0`` with vanilla SGD and MSE loss:

* FC network, 3 hidden ReLU layers of width 2048, on Fashion-MNIST (Debian package
  ``dataset-fashion-mnist``);
* a small CNN (3 conv layers of 64 channels) on Fashion-MNIST.

Each sweep writes ``<out>/<name>.nc``, ``<out>/<name>.png`` and ``<out>/<name>.json``
and prints one JSON summary line. ``--tiny`` shrinks everything so the same code runs
in well under a minute on a CPU (used by the tests).

Usage::

    python scripts/validate_gpu_scale.py --out results/          # GPU, a few minutes
    python scripts/validate_gpu_scale.py --tiny --out /tmp/tiny  # CPU smoke run
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from catapultlab.io import atomic_write_text
from catapultlab.validate import SweepConfig, plot_sweep, run_sweep, sweep_to_dict, write_netcdf


def configs(tiny: bool, seed: int) -> dict[str, SweepConfig]:
    """The two sweep configurations (full size or ``--tiny``)."""
    if tiny:
        common = dict(
            dataset="teacher",
            steps=15,
            seed=seed,
            batch_size=32,
            train_size=64,
            test_size=64,
            bisect=0,
            c_values=(1.0, 40.0),
            measure_count=4,
        )
        return {
            "fc_relu": SweepConfig(arch="mlp", act="relu", depth=3, width=32, **common),
            "cnn_relu": SweepConfig(arch="cnn", act="relu", depth=2, width=4, **common),
        }
    common = dict(
        dataset="fashion_mnist",
        steps=300,
        seed=seed,
        batch_size=256,
        train_size=4096,
        test_size=2000,
        bisect=3,
        c_values=(0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0),
        measure_count=20,
    )
    return {
        "fc_relu": SweepConfig(arch="mlp", act="relu", depth=3, width=2048, **common),
        "cnn_relu": SweepConfig(arch="cnn", act="relu", depth=3, width=64, **common),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the sweeps; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true", help="tiny CPU-sized run")
    ap.add_argument("--out", default="validate_gpu_scale_out", help="output directory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=["fc_relu", "cnn_relu"], default=None)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, cfg in configs(args.tiny, args.seed).items():
        if args.only and name != args.only:
            continue
        t0 = time.perf_counter()
        res = run_sweep(cfg)
        summary = sweep_to_dict(res)
        summary["name"] = name
        summary["seconds"] = time.perf_counter() - t0
        write_netcdf(res, str(out / f"{name}.nc"))
        plot_sweep(res, str(out / f"{name}.png"))
        atomic_write_text(out / f"{name}.json", json.dumps(summary, indent=1))
        print(
            json.dumps(
                {k: summary[k] for k in ("name", "lam0", "c_loss", "c_sharp", "c_max", "seconds")}
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
