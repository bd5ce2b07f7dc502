"""The full model at the data's own size, under GD and SGD (block maps, issue 22).

The two-layer linear net f(x) = V^T U x / sqrt(n d) on 128 samples of 16 inputs and 3
outputs, at width n = 4096: its exact map in the Gram blocks U^T U, U^T V, V^T V (derived
once by SymPy, printed for NumPy), iterated from Gaussian inits at c = eta lam0 = 3 with
full batches and with batches of 16 drawn by one counter-based rule.
"""

import numpy as np

from catapultlab.batches import BatchRule
from catapultlab.sim import run_block
from catapultlab.theory import full_block_map

rng = np.random.default_rng(0)
X = rng.standard_normal((128, 16))
Y = X @ rng.standard_normal((16, 3)) / 4 + 0.1 * rng.standard_normal((128, 3))

numeric = full_block_map().numeric()  # the printed block map (no SymPy when it runs)
for batch in (None, BatchRule(16, "shuffle")):
    run = run_block(numeric, X, Y, n=4096, c=3.0, steps=300, batch=batch, seed=1)
    print(
        f"{run.batch:>13}: {'diverged' if run.diverged else 'trained'}, loss "
        f"{run.losses[0]:.3f} -> {run.losses[-1]:.4g}, "
        f"eta*lam {run.eta * run.lam[0]:.2f} -> {run.eta * run.lam[-1]:.2f}, "
        f"{len(run.spikes)} spike(s)"
    )
    for s in run.spikes[:3]:
        print(
            f"    steps {s['start']}-{s['end']} (peak {s['peak']}): eta*lam "
            f"{s['eta_lam_before']:.2f} -> {s['eta_lam_after']:.2f}, share of the rise in "
            f"the top NTK direction {s['top_overlap'][0]:.2f}"
        )
