"""sim: one uv trajectory in each phase (same initialisation), through catapultlab.sim."""

from catapultlab.sim import make_setup, simulate_trajectories

setup = make_setup("uv", y=0.0)
for c in (1.0, 3.0, 4.5):
    run = simulate_trajectories(setup, c=c, n=1000, steps=200, seed=0)
    print(f"c = {c}: {run.phase}, peak loss {run.peak_loss:.3g}")
