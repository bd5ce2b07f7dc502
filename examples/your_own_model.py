"""Your own model in 20 lines: declare, derive, sweep, plot, test (catapultlab public API)."""

import sympy as sp

from catapultlab.sim import SweepConfig, make_setup, phase_diagram, run_sweep, sweep_to_json
from catapultlab.testing import check_invariants, check_map_against_gd
from catapultlab.theory import WIDTH, ModelSpec, StepRule, derive, dot

# f = (u.v + v.w) / sqrt(2n): a shared middle vector, three width-n parameter vectors
y = sp.Symbol("y", real=True)
spec = ModelSpec(
    "uvw", ("u", "v", "w"), ((dot("u", "v") + dot("v", "w")) / sp.sqrt(2 * WIDTH),), (y,)
)
model = derive(spec.with_step(StepRule("momentum")))  # heavy ball, beta symbolic
print("state:", [s.name for s in model.state])
for name, eta in model.boundaries.items():
    print(f"{name}: eta = {eta}   [{model.boundary_notes[name]}]")
print("edges in c at beta = 0.5:", model.edges(beta=0.5))
setup = make_setup(model, y=0.0, hyper=(("beta", 0.5),))
cfg = SweepConfig(
    setup=setup, c=(1.0, 2.0, 3.0, 4.0, 5.0), n=(64, 256), ensemble=300, steps=2000, seed=0
)
ds = run_sweep(cfg)
print("c_divergent by width:", [b["c_divergent"] for b in sweep_to_json(ds)["boundaries"]])
phase_diagram(ds, "uvw_phases.png", model=model)
print("map vs parameter-space GD, worst relative error:", check_map_against_gd(model, trials=3))
print("symmetries:", [s.name for s in check_invariants(model, trials=3)])
