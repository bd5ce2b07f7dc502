"""sim: iterate the derived uv map for one initialisation in each phase."""

import numpy as np

from catapultlab.sim._phases import classify_losses
from catapultlab.theory import uv_model

model = uv_model()
n = 1000
rng = np.random.default_rng(0)
u, v = rng.standard_normal(n), rng.standard_normal(n)
f0, lam0 = model.gram_from_params(u[:, None], v)
for c in (1.0, 3.0, 4.5):
    state, losses = np.array([f0, lam0]), [0.5 * f0**2]
    with np.errstate(all="ignore"):
        for _ in range(200):
            state = model.step(state, eta=c / lam0, n=n, y=0.0)
            losses.append(0.5 * state[0] ** 2)
            if not np.isfinite(losses[-1]) or losses[-1] > 1e12:
                break
    phase = classify_losses(np.array(losses), converge_loss=1e-4 * losses[0], diverge_loss=1e9)
    print(f"c = {c}: {phase.name.lower()}, peak loss {max(losses):.3g}")
