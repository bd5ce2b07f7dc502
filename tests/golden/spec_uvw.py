"""A user's declaration for the contract tests: three vectors, a shared middle one."""

import sympy as sp

from catapultlab.theory import WIDTH, ModelSpec, dot


def uvw():
    """f = (u.v + v.w) / sqrt(2n), one sample."""
    y = sp.Symbol("y", real=True)
    return ModelSpec(
        "uvw", ("u", "v", "w"), ((dot("u", "v") + dot("v", "w")) / sp.sqrt(2 * WIDTH),), (y,)
    )
