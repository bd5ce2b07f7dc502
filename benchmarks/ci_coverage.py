"""CI coverage of c_divergent over seeds (reproduce's default finite-width setup).

Usage: python benchmarks/ci_coverage.py [SEEDS]  (writes ci_coverage.json next to this file)
"""

import json
import sys
import time

import numpy as np

from catapultlab.sim import SweepConfig, make_setup
from catapultlab.sim._sweep import _accumulate
from catapultlab.stats import boundary_from_patterns, half_crossing

SEEDS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
E = 256
uv = make_setup("uv", y=1.0)
c = tuple(np.round(np.linspace(3.0, 5.0, 101), 6))
dc = 0.02
res = {}
t0 = time.time()
for n in (64, 1024):
    rows, pooled = [], None
    for seed in range(SEEDS):
        cfg = SweepConfig(setup=uv, c=c, n=(n,), ensemble=E, steps=1000, seed=seed, bootstrap=200)
        acc = _accumulate(cfg, 65536, None, None, False)
        p = acc.patterns[("c_divergent", 0)]
        pooled = p if pooled is None else pooled.merge(p)
        b = boundary_from_patterns(np.asarray(c), p, resamples=200, seed=seed)
        rows.append((b.estimate, b.low, b.high, b.se))
    r = np.array(rows)
    P, counts = pooled.table()
    truth = half_crossing(np.asarray(c), P.T @ counts / counts.sum())
    # finer grid around the pooled estimate: same trajectories (seeds), dc = 0.002
    fine = tuple(np.round(np.arange(truth - 0.06, truth + 0.06, 0.002), 6))
    fp = None
    for seed in range(SEEDS):
        cfg = SweepConfig(setup=uv, c=fine, n=(n,), ensemble=E, steps=1000, seed=seed, bootstrap=0)
        p = _accumulate(cfg, 65536, None, None, False).patterns[("c_divergent", 0)]
        fp = p if fp is None else fp.merge(p)
    P, counts = fp.table()
    truth_fine = half_crossing(np.asarray(fine), P.T @ counts / counts.sum())
    est, lo, hi, se = r.T
    boot_se = np.sqrt(np.maximum(se**2 - dc**2 / 12, 0))
    res[n] = {
        "seeds": SEEDS,
        "ensemble": E,
        "dc": dc,
        "truth_pooled_same_grid": truth,
        "truth_pooled_fine_grid": truth_fine,
        "seed_spread_sd": float(np.std(est, ddof=1)),
        "mean_reported_se": float(np.mean(se)),
        "mean_bootstrap_only_se": float(np.mean(boot_se)),
        "grid_term": dc / np.sqrt(12),
        "coverage_reported_ci_vs_same_grid_truth": float(np.mean((lo <= truth) & (truth <= hi))),
        "coverage_reported_ci_vs_fine_truth": float(
            np.mean((lo <= truth_fine) & (truth_fine <= hi))
        ),
        "coverage_unwidened_ci_vs_same_grid_truth": float(
            np.mean((lo + dc / 2 <= truth) & (truth <= hi - dc / 2))
        ),
        "coverage_unwidened_ci_vs_fine_truth": float(
            np.mean((lo + dc / 2 <= truth_fine) & (truth_fine <= hi - dc / 2))
        ),
        "mean_ci_width": float(np.mean(hi - lo)),
        "rmse_vs_fine_truth": float(np.sqrt(np.mean((est - truth_fine) ** 2))),
    }
    print(n, json.dumps(res[n], indent=1), flush=True)
print("wall", time.time() - t0)
json.dump(res, open(__file__.replace(".py", ".json"), "w"), indent=1)
