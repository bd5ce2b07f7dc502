"""validate: a real linear network (JAX) against the exact derived map."""

import numpy as np

from catapultlab.validate import compare_linear_network_with_map

rng = np.random.default_rng(0)
x, y = rng.standard_normal((2, 2)), rng.standard_normal(2)
cmp = compare_linear_network_with_map(x, y, width=64, c=3.0, steps=20)
print(f"lambda_0 = {cmp.lam0:.4f}, eta = {cmp.eta:.4f}")
print("max |f_net - f_map|:", float(np.max(np.abs(cmp.f_net - cmp.f_map))))
print("lambda_t (net) first/last:", cmp.lam_net[0], cmp.lam_net[-1])
