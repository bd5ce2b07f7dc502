"""theory: derive the uv model's exact maps and its phase boundaries."""

from catapultlab.theory import LAM0, readable_derivation, uv_model

model = uv_model()
print("state:", [s.name for s in model.state], "closed:", model.closed)
for name, eta in model.boundaries.items():
    print(f"{name}: c = eta*lam0 = {eta * LAM0}")
# the exact maps, factored through the residual r = f - y (checked against the engine's)
d = readable_derivation(model)
print("where", ", ".join(f"{k} = {v}" for k, v in (d.residuals | d.coefficients).items()))
for s, change in d.factored_changes.items():
    print(f"{s}' = {s} + {change}")
