"""Block maps (issue 22, item 1): the full model's exact map in Gram blocks, at any d and m.

References, all independent of SymPy's matrix calculus: parameter-space steps with the
textbook gradient of ``|X U^T v / sqrt(nd) - Y|^2 / 2m`` and the declared step rule, the
explicit Jacobian's ``J J^T / m``, and the scalar engine's own full model at d = m = 2.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from catapultlab.sim import make_setup
from catapultlab.theory import NotClosedBlockError, StepRule, full_block_map
from catapultlab.theory._block import DIM_IN, _Blocks

RULES = [
    (StepRule(), {}),
    (StepRule("momentum"), {"beta": 0.9}),
    (StepRule("nesterov", weight_decay="l2"), {"beta": 0.5, "kappa": 0.01}),
    (StepRule("gd", weight_decay="decoupled"), {"kappa": 0.02}),
]


def _draw(rng, n, d, m, velocity, k=1):
    mats = {"U": rng.standard_normal((n, d)), "v": rng.standard_normal((n, k))}
    if velocity:
        mats |= {"vel_U": np.zeros((n, d)), "vel_v": np.zeros((n, k))}
    return mats, rng.standard_normal((m, d)), rng.standard_normal((m, k))


def _parameter_step(rule, P, X, Y, eta, hyper):
    """One step of the rule on explicit matrices with the textbook gradient."""
    n, d = P["U"].shape
    R = X @ P["U"].T @ P["v"] / np.sqrt(n * d) - Y
    g = X.T @ R / (X.shape[0] * np.sqrt(n * d))
    grads = {"U": P["v"] @ g.T, "v": P["U"] @ g}
    out = dict(P)
    for k, grad in grads.items():
        trace = P.get(f"vel_{k}", np.zeros_like(P[k]))
        out[k], new_trace = rule.update(P[k], trace, grad, eta, beta=hyper.get("beta", 0.0),
                                        kappa=hyper.get("kappa", 0.0))  # fmt: skip
        if rule.has_velocity:
            out[f"vel_{k}"] = new_trace
    return out


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.abs(a - b).max() / (np.abs(b).max() + 1e-300))


@pytest.mark.parametrize(("rule", "hyper"), RULES, ids=lambda r: getattr(r, "label", ""))
@pytest.mark.parametrize(("n", "d", "m", "k"), [(300, 5, 7, 1), (1024, 64, 256, 1), (200, 4, 6, 3)])
def test_block_map_equals_parameter_space_steps(rule, hyper, n, d, m, k):
    nb = full_block_map(rule).numeric()
    P, X, Y = _draw(np.random.default_rng(d), n, d, m, rule.has_velocity, k)
    state = nb.blocks_from(P)
    eta = 3.0 / nb.top_ntk(state, X, n)  # catapult range: the blocks move by O(1)
    moved = 0.0
    for _ in range(12):
        P = _parameter_step(rule, P, X, Y, eta, hyper)
        new = nb.step_once(state, X, Y, eta=eta, n=n, **hyper)
        moved = max(moved, _rel(new["B_U_v"], state["B_U_v"]))
        state = new
        ref = nb.blocks_from(P)
        for name in ref:
            assert _rel(state[name], ref[name]) < 1e-11, name
    assert moved > 1e-3  # the run went somewhere
    F = X @ P["U"].T @ P["v"] / np.sqrt(n * d)
    np.testing.assert_allclose(nb.output(state, X, n), F, rtol=1e-10, atol=1e-12)
    assert abs(nb.loss(state, X, Y, n) - float(((F - Y) ** 2).sum()) / (2 * m)) < 1e-10


@pytest.mark.parametrize("k", [1, 3])
def test_ntk_is_the_explicit_jacobian_product(k):
    n, d, m = 40, 3, 5
    P, X, _ = _draw(np.random.default_rng(1), n, d, m, False, k)
    U, V = P["U"], P["v"]
    rows = []  # row (a, i) of J: d f_ai / d U (n x d, flattened), then d f_ai / d V (n x k)
    for x in X:
        for i in range(k):
            dV = np.zeros((n, k))
            dV[:, i] = U @ x
            rows.append(np.concatenate([np.outer(V[:, i], x).ravel(), dV.ravel()]))
    J = np.stack(rows) / np.sqrt(n * d)
    nb = full_block_map().numeric()
    np.testing.assert_allclose(nb.ntk(nb.blocks_from(P), X, n), J @ J.T / m, rtol=1e-12)


def test_block_map_equals_the_scalar_engine_full_model():
    """d = m = 2: one step of the block map against the inner-product engine's map."""
    n, d, m = 50.0, 2, 2
    rng = np.random.default_rng(4)
    P, X, Y = _draw(rng, int(n), d, m, False)
    setup = make_setup("full", inputs=d, samples=m, x=X, y=tuple(Y[:, 0]))
    vectors = np.stack([P["U"][:, 0], P["U"][:, 1], P["v"][:, 0]])
    state = setup.numeric.state_from_gram((vectors @ vectors.T)[None], n)
    eta = 0.7
    new = np.array(setup.numeric.map(*state, eta, *setup.shared(n)), dtype=float).reshape(-1, 1)
    nb = full_block_map().numeric()
    blocks = nb.step_once(nb.blocks_from(P), X, Y, eta=eta, n=n)
    A, b, c = blocks["B_U_U"], blocks["B_U_v"][:, 0], blocks["B_v_v"][0, 0]
    gram = np.block([[A, b[:, None]], [b[None, :], np.array([[c]])]])
    np.testing.assert_allclose(setup.numeric.state_from_gram(gram[None], n), new, rtol=1e-12)


def test_chains_never_form_the_data_gram_matrix():
    """Every product is ordered for large d and m: X^T X (O(m d^2)) is never formed."""
    for rule, _ in RULES:
        source = full_block_map(rule).numeric().source
        assert "X.T @ X\n" not in source and "X.T @ X " not in source


def test_a_width_n_factor_left_over_is_refused():
    blocks = _Blocks([("U", DIM_IN), ("v", 1)])
    U = blocks.factors["U"]
    with pytest.raises(NotClosedBlockError, match="do not close"):
        blocks.substitute(U * U.T * U)
    assert blocks.substitute(U.T * U) == blocks.symbols["U", "U"]
    assert isinstance(blocks.product("v", "v"), sp.Symbol)  # a 1 x 1 block is a number


def test_the_printed_block_map_runs_on_jax_too():
    """The same printed source compiled on jax.numpy (jit, float64) gives NumPy's step."""
    import jax

    nb = full_block_map(StepRule("momentum")).numeric()
    P, X, Y = _draw(np.random.default_rng(3), 100, 6, 9, True, 2)
    state = nb.blocks_from(P)
    names = [name for name, _ in nb.blocks]
    ref = nb.step_once(state, X, Y, eta=0.3, n=100, beta=0.9)
    with jax.enable_x64(True):
        step = jax.jit(
            nb.functions("jax.numpy")["step"],
            static_argnums=(len(names) + 2, len(names) + 3, len(names) + 4),
        )
        out = step(*[state[k] for k in names], X, 100.0, 6, 9, 2, Y, 0.3, 0.9)
    for k, v in zip(names, out, strict=True):
        np.testing.assert_allclose(np.asarray(v), ref[k], rtol=1e-12, atol=1e-12)


def _two_path():
    from catapultlab.theory import BLOCK_DATA, OUTPUTS, WIDTH_N, BlockSpec

    return BlockSpec(
        "two_path",
        (("U", DIM_IN), ("W", DIM_IN), ("v", OUTPUTS)),
        lambda U, W, v: BLOCK_DATA * (U.T + W.T) * v / sp.sqrt(2 * WIDTH_N * DIM_IN),
    )


@pytest.mark.parametrize(
    ("rule", "hyper"),
    [RULES[0], pytest.param(*RULES[1], marks=pytest.mark.slow)],
    ids=lambda r: getattr(r, "label", ""),
)
def test_a_declared_block_model_equals_parameter_space_steps(rule, hyper):
    """Any declaration with matrices on the inputs: two input matrices, one readout."""
    from catapultlab.sim import run_block
    from catapultlab.theory import block_map

    nb = block_map(_two_path(), rule).numeric()
    n, d, m, k = 500, 6, 9, 2
    rng = np.random.default_rng(5)
    P = {name: rng.standard_normal((n, d if name != "v" else k)) for name in ("U", "W", "v")}
    if rule.has_velocity:
        P |= {f"vel_{name}": np.zeros_like(P[name]) for name in ("U", "W", "v")}
    X, Y = rng.standard_normal((m, d)), rng.standard_normal((m, k))
    s = np.sqrt(2 * n * d)

    def parameter_step(P, eta):
        R = X @ (P["U"] + P["W"]).T @ P["v"] / s - Y
        g = X.T @ R / (m * s)  # d x k
        grads = {"U": P["v"] @ g.T, "W": P["v"] @ g.T, "v": (P["U"] + P["W"]) @ g}
        out = dict(P)
        for name, grad in grads.items():
            trace = P.get(f"vel_{name}", np.zeros_like(P[name]))
            out[name], new = rule.update(P[name], trace, grad, eta, beta=hyper.get("beta", 0.0))
            if rule.has_velocity:
                out[f"vel_{name}"] = new
        return out

    state = nb.blocks_from(P)
    eta = 3.0 / nb.top_ntk(state, X, n)
    for _ in range(10):
        P = parameter_step(P, eta)
        state = nb.step_once(state, X, Y, eta=eta, n=n, **hyper)
        ref = nb.blocks_from(P)
        for name in ref:
            assert _rel(state[name], ref[name]) < 1e-11, name
    F = X @ (P["U"] + P["W"]).T @ P["v"] / s
    np.testing.assert_allclose(nb.output(state, X, n), F, rtol=1e-10, atol=1e-12)
    run = run_block(nb, X, Y, n=n, c=1.0, steps=50, seed=0, **hyper)  # Gaussian init: runs
    assert run.losses[-1] < run.losses[0]
