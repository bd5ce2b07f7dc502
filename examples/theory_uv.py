"""theory: derive the uv model's exact maps and its phase boundaries."""

from catapultlab.theory import LAM0, to_latex, uv_model

model = uv_model()
print("state:", [s.name for s in model.state], "closed:", model.closed)
for name, eta in model.boundaries.items():
    print(f"{name}: c = eta*lam0 = {eta * LAM0}")
# the exact maps, factored through the residual r = f - y (LaTeX, as typeset in the docs)
for line in to_latex(model).splitlines():
    if line.startswith(("f'", r"\lambda'")):
        print(line)
