"""theory: derive the uv model's exact maps and its phase boundaries."""

from catapultlab.theory import LAM0, to_latex, uv_model

model = uv_model()
print("state:", [s.name for s in model.state], "closed:", model.closed)
for name, eta in model.boundaries.items():
    print(f"{name}: c = eta*lam0 = {eta * LAM0}")
print(to_latex(model).splitlines()[2])
