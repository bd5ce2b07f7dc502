"""mkdocs hook: the dynamics page, computed at every build from catapultlab's public API.

Nothing on ``dynamics.md`` is typed by hand. The closed forms come from
:func:`catapultlab.theory.scalar_dynamics` and :func:`~catapultlab.theory.sharpness_drift`,
the onsets from :func:`catapultlab.sim.period_onsets` (Newton on ``F^k(x) = x``,
continuation in ``eta``, the multiplier crossing ``-1``), the divergence sets from the
infinite-width law (:func:`catapultlab.sim.divergence_set`), and the tables from
:func:`catapultlab.sim.run_sweep`. Each section names the command that gives the same
numbers. The page and its figure are generated files, not in git.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File

PAGE = "dynamics.md"
FIGURE = "img/generated/bifurcation_uv.png"
START = (0.01, 0.3)
"""Small init ``(f0, lam0)`` of the uv map at ``y = n = 1`` (it sharpens to the edge)."""
ONSETS_ETA = (1.1, 1.31)
"""Where the period-2 orbit is followed from, and the end of the continuation."""
MAX_PERIOD = 64
BETAS = (0.0, 0.5, 0.9)
LIMIT_C = tuple(round(3.8 + 0.1 * i, 2) for i in range(18))
"""The c grid of the n = inf vs finite-n table (3.8 to 5.5)."""
LIMIT_RUNS = 1000
WARMUP_T = (1, 10, 100, 1000)
WARMUP_C = (4.1, 6.0, 8.0, 20.0, 40.0)
WARMUP_RUNS = 500
WARMUP_N = 1024
FINE_C = tuple(round(3.8 + 0.025 * i, 3) for i in range(21))
"""The c grid of the warmup edge (3.8 to 4.3)."""
CI = ("c_divergent_lo", "c_divergent_hi")
STEPS = 3000


def _tex(expr: Any) -> str:
    import sympy as sp

    from catapultlab.theory import ETA_HAT

    return sp.latex(expr, symbol_names={ETA_HAT: r"\hat\eta"})


def _display(rows: list[str]) -> list[str]:
    return ["$$", r"\begin{aligned}", *rows, r"\end{aligned}", "$$", ""]


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "—" if value is None else str(value)
    return f"{value:.{digits}f}"


def _closed_forms() -> tuple[list[str], Any]:
    from catapultlab.theory import scalar_dynamics, uv_model

    model = uv_model()
    d = scalar_dynamics(model)
    PHI, ELL = list(d.maps)  # noqa: N806 - the normalised state's symbols
    (cycle,) = [c for c in d.cycles if c.attractor]
    lines = [
        "## The uv map with a label: fixed points, the 2-cycle and its multiplier",
        "",
        "`catapultlab.theory.scalar_dynamics(uv_model())`; the same closed forms are printed "
        "by `catapultlab bifurcation uv --y 1 --n 1 --eta 0.8:1.32:0.002 --f0 0.01 "
        "--lam0 0.3 --json` (key `closed_forms`).",
        "",
        "The $n$-free map is homogeneous in the label: with $g = \\tilde y\\,\\phi$, "
        "$\\lambda = \\tilde y\\,\\ell$ and $\\eta = \\hat\\eta / \\tilde y$ it depends on one "
        f"number, $\\hat\\eta = {_tex(d.eta_hat)}$:",
        "",
        *_display(
            [
                f"\\phi' &= {_tex(d.maps[PHI])} \\\\",
                f"\\ell' &= {_tex(d.maps[ELL])}",
            ]
        ),
        f"Its fixed points are {len(d.fixed_points)} families; at the minima $\\phi = 1$ "
        f"(a line, any $\\ell$) the multipliers are "
        f"${', '.join(_tex(m) for m in d.multipliers)}$: {d.neutral} neutral direction(s) "
        "along the line of minima, and one that reaches $-1$ at "
        "$\\hat\\eta\\,\\ell = 2$, the edge of stability. The Gram matrix being positive "
        f"semidefinite bounds the reachable states, $|\\phi| \\le {_tex(d.reachable)}\\,\\ell$, "
        "so the flattest reachable minimum flips first: period 2 is born at "
        f"$\\hat\\eta = {_tex(d.period_two)}$.",
        "",
        "The attracting 2-cycle, in the residual variable "
        "$s = \\hat\\eta(\\phi - 1)$, with its $\\eta\\lambda$ values and the trace and "
        "determinant of its monodromy matrix $J(x_2)J(x_1)$:",
        "",
        *_display(
            [
                f"s_{{1,2}} &= {_tex(cycle.residual[0])},\\quad {_tex(cycle.residual[1])} \\\\",
                f"\\eta\\lambda_{{1,2}} &= {_tex(cycle.eta_lam[0])},\\quad "
                f"{_tex(cycle.eta_lam[1])} \\\\",
                f"\\operatorname{{tr}} M &= {_tex(cycle.trace)} \\\\",
                f"\\det M &= {_tex(cycle.det)}",
            ]
        ),
        "A multiplier equals $-1$ where $1 + \\operatorname{tr} M + \\det M = 0$: the "
        f"2-cycle loses stability and period 4 is born at $\\hat\\eta = {_tex(d.period_four)}$ "
        f"$= {float(d.period_four):.10f}$. The map has {len(d.cycles)} 2-cycles in all; "
        "the others are unreachable or unstable where they exist.",
        "",
    ]
    return lines, d


def _onsets(d: Any) -> tuple[list[str], list[Any], list[dict[str, Any]]]:
    import numpy as np

    from catapultlab.sim import feigenbaum_ratios, late_attractors, make_setup, period_onsets

    uv = make_setup("uv", y=1.0)
    (a,) = late_attractors(uv, np.array([ONSETS_ETA[0]]), n=1.0, state0=np.array(START))
    found = period_onsets(
        uv,
        np.array(a.state),
        eta=ONSETS_ETA[0],
        eta_max=ONSETS_ETA[1],
        n=1.0,
        period=int(a.period),
        max_period=MAX_PERIOD,
    )
    ratios = feigenbaum_ratios(tuple(found))
    exact = {2: float(d.period_two), 4: float(d.period_four)}
    rows = [f"| 2 | {exact[2]:.12f} | ${_tex(d.period_two)}$ (exact) | — |"]
    for o in found:
        closed = f"${_tex(d.period_four)}$" if o.period == 4 else "—"
        rows.append(f"| {o.period} | {o.eta:.12f} | {closed} | {o.eta_error:.1e} |")
    lines = [
        "## Period-doubling onsets and Feigenbaum's δ",
        "",
        f"uv at $y = 1$, $n = 1$ (so $\\hat\\eta = \\eta$), from $(f_0, \\lambda_0) = {START}$. "
        f"The period-2 orbit met at $\\eta = {ONSETS_ETA[0]}$ is followed in $\\eta$ by Newton "
        "on $F^k(x) = x$; where one of its multipliers crosses $-1$ the onset is bisected and "
        "the doubled orbit is followed on "
        f"(`catapultlab.sim.period_onsets`, up to period {MAX_PERIOD}).",
        "",
        "| period born | $\\eta$ (numeric) | closed form | bisection error |",
        "|---|---|---|---|",
        *rows,
        "",
        "Ratios of successive onset intervals, "
        "$\\delta_k = (\\eta_k - \\eta_{k-1}) / (\\eta_{k+1} - \\eta_k)$ "
        "(Feigenbaum's constant is 4.6692…):",
        "",
        "| periods | $\\delta$ |",
        "|---|---|",
        *[f"| {', '.join(map(str, r['periods']))} | {r['delta']:.4f} |" for r in ratios],
        "",
    ]
    return lines, found, ratios


def _figure(onsets: list[Any]) -> bytes:
    import dataclasses

    import numpy as np

    from catapultlab.sim import bifurcation, bifurcation_figure, make_setup

    uv = make_setup("uv", y=1.0)
    scan = bifurcation(
        uv, np.arange(0.8, 1.32, 0.002), n=1.0, state0=np.array(START), transient=3000,
        onsets=False,
    )  # fmt: skip
    scan = dataclasses.replace(scan, onsets=tuple(onsets))  # the onsets found above
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.png"
        bifurcation_figure(scan, path)
        return path.read_bytes()


def _drift() -> list[str]:
    from catapultlab.theory import builtin_model, sharpness_drift, step_from_flags, uv_model

    plain = sharpness_drift(uv_model())
    step, _ = step_from_flags(momentum=0.5)
    heavy = sharpness_drift(builtin_model("uv", step))
    return [
        "## When the sharpness grows: the small-η drift",
        "",
        "`catapultlab.theory.sharpness_drift` (printed by `catapultlab derive`): the first "
        "order in $\\eta$ of $\\lambda' - \\lambda$, from the derived map.",
        "",
        *_display(
            [
                f"\\text{{GD:}}\\quad \\lambda' - \\lambda &= \\eta\\,\\left({_tex(plain.factored)}"
                f"\\right) + O(\\eta^2) \\\\",
                f"\\text{{heavy ball:}}\\quad \\lambda' - \\lambda &= \\eta\\,\\left("
                f"{_tex(heavy.factored)}\\right) + O(\\eta^2)",
            ]
        ),
        "Under GD the NTK sharpens while $f$ lies between 0 and the label and flattens "
        "outside: from a small init ($|f_0| < |y|$) the map sharpens progressively until "
        "$\\eta\\lambda$ reaches the edge, where the 2-cycle above takes over.",
        "",
    ]


def _setup(beta: float) -> Any:
    from catapultlab.sim import make_setup
    from catapultlab.theory import step_from_flags

    step, hyper = step_from_flags(momentum=beta or None)
    return make_setup("uv", y=0.0, step=step, hyper=hyper)


def _sets() -> tuple[list[str], dict[float, dict[str, Any]]]:
    from catapultlab.sim import divergence_set, limit_law

    lines = [
        "## Divergence at infinite width, under momentum",
        "",
        "`catapultlab derive uv --momentum B` (key `boundary_sets`). At $n = \\infty$ with "
        "the label fixed ($\\tilde y = y/\\sqrt n \\to 0$) the Gram state concentrates on "
        "its center, a fixed point of the limit map; the linear phase amplifies the "
        "$O(n^{-1/2})$ fluctuation along the dominant unstable direction of the center "
        "until it reaches the nonlinear scale. The entry point is therefore a point of "
        "the center's unstable manifold, reached with an amplitude whose phase in units "
        "of the multiplier $\\mu$ is what remains random: the limit law integrates over "
        "that phase and both signs (the orbit from each entry is iterated with the limit "
        "map). At finite $n$ the phase is $\\log_{|\\mu|}$ of the fluctuation, so "
        "$p$ oscillates log-periodically in $n$ around the law, within the bound below.",
        "",
        "| $\\beta$ | entry | multiplier $\\mu$ at the largest $c$ | finite-$n$ bound | "
        "intervals of $c$: $p_\\text{divergent}$ |",
        "|---|---|---|---|---|",
    ]
    out = {}
    for beta in BETAS:
        setup = _setup(beta)
        res = divergence_set(setup, c_max=LIMIT_C[-1] + 0.5, dc=0.01)
        law = limit_law(setup, LIMIT_C[-1])
        out[beta] = res
        cells = "; ".join(
            f"[{r['c'][0]}, {r['c'][1] if r['c'][1] is not None else '∞'}): {r['p_divergent']}"
            for r in res["intervals"]
        )
        mu = law["multiplier"]
        lines.append(
            f"| {beta} | {law['entry']} | {_fmt(mu, 3)} | {_fmt(law['finite_n_bound'], 3)} "
            f"| {cells} |"
        )
    lines += ["", f"Method: {out[BETAS[-1]]['method']}.", ""]
    return lines, out


def _limit_vs_finite() -> tuple[list[str], dict[float, Any]]:
    from catapultlab.sim import SweepConfig, parse_widths, run_sweep

    widths = parse_widths("1e4,1e8,inf")
    lines = [
        "### $p_\\text{divergent}$ at $n = \\infty$ beside finite widths",
        "",
        f"`catapultlab sweep uv --momentum B --y 0 --n 1e4,1e8,inf --c 3.8:5.5:0.1 "
        f"--ensemble {LIMIT_RUNS} --steps {STEPS}` (each cell {LIMIT_RUNS} runs; at "
        "$n = \\infty$ the runs are the law's entry phases).",
        "",
        "| $c$ | " + " | ".join(f"β = {b}: $10^4$ / $10^8$ / ∞" for b in BETAS) + " |",
        "|---|" + "---|" * len(BETAS),
    ]
    tables = {}
    for beta in BETAS:
        ds = run_sweep(SweepConfig(_setup(beta), LIMIT_C, widths, LIMIT_RUNS, STEPS))
        tables[beta] = ds["p_divergent"].values
    for i, c in enumerate(LIMIT_C):
        cells = [" / ".join(f"{p:.3f}" for p in tables[b][i]) for b in BETAS]
        lines.append(f"| {c:.1f} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines, tables


def _warmup() -> tuple[list[str], Any, Any]:
    import numpy as np

    from catapultlab.sim import SweepConfig, make_setup, run_sweep
    from catapultlab.theory import Schedule

    p = np.zeros((len(WARMUP_T), len(WARMUP_C)))
    edge = []
    for i, T in enumerate(WARMUP_T):
        setup = make_setup("uv", y=0.0, schedule=Schedule("warmup", T))
        ds = run_sweep(SweepConfig(setup, WARMUP_C, (WARMUP_N,), WARMUP_RUNS, STEPS))
        p[i] = ds["p_divergent"].values[:, 0]
        fine = run_sweep(SweepConfig(setup, FINE_C, (WARMUP_N,), WARMUP_RUNS, STEPS))
        edge.append(tuple(float(fine[k].values[0]) for k in ("c_divergent", *CI)))
    lines = [
        "## Warmup and the largest trainable learning rate",
        "",
        "Linear warmup over $T$ steps: the step from $t$ to $t+1$ uses "
        "$\\eta_t = \\eta\\,\\min(1, (t+1)/T)$, and $c = \\eta\\lambda_0$ is the *target* "
        f"rate. `catapultlab sweep uv --y 0 --n {WARMUP_N} --warmup T --c ... "
        f"--ensemble {WARMUP_RUNS} --steps {STEPS}`. A run counts as converged only at a "
        "state stable at the target rate (`Schedule.stability_factor`).",
        "",
        "| $T$ | "
        + " | ".join(f"$p_\\text{{div}}$, $c = {c:g}$" for c in WARMUP_C)
        + f" | $c_\\text{{div}}$ (95 % CI; $c$ grid {FINE_C[0]:g} to {FINE_C[-1]:g}) |",
        "|---|" + "---|" * (len(WARMUP_C) + 1),
    ]
    for T, row, (c_div, lo, hi) in zip(WARMUP_T, p, edge, strict=True):
        cells = " | ".join(f"{v:.3f}" for v in row)
        lines.append(f"| {T} | {cells} | {c_div:.3f} [{lo:.3f}, {hi:.3f}] |")
    lines += [
        "",
        "Why: the map has one residual mode. While $\\eta_t\\lambda < 2$ the residual "
        "shrinks by $|1 - \\eta_t\\lambda|$ per step, and the NTK moves only by the drift "
        "above ($-4\\eta f^2/n$ at $y = 0$), which is negligible unless $f$ is of order "
        "$\\sqrt n$. So $\\lambda$ stays at $\\lambda_0$ through the warmup, the residual "
        "regrows once $\\eta_t\\lambda_0$ passes 2, and the run reaches the nonlinear scale "
        "with the rate at or near its target: its fate is that of $c = \\eta\\lambda_0$ "
        "without warmup. Warmup can only help a model whose residual is still of order "
        "one when the rate crosses the edge, so that a catapult lowers $\\lambda$ before "
        "the rate grows further; the map at $y = 0$ never is. (A run that converged while "
        "the rate was small sits at a minimum unstable at the target; it is not counted as "
        "converged.)",
        "",
    ]
    return lines, p, edge


def page() -> tuple[str, bytes, dict[str, Any]]:
    """The page's Markdown, its figure (PNG) and the numbers shown (for the tests)."""
    closed, d = _closed_forms()
    onsets, found, ratios = _onsets(d)
    sets, sets_by_beta = _sets()
    limit, tables = _limit_vs_finite()
    warm, p_warm, warm_edge = _warmup()
    lines = [
        "# Dynamics of the derived map",
        "",
        "Generated at docs build time from catapultlab's public API: every formula and "
        "number below is computed when the page is built; each section names the command "
        "that prints it. What is derived exactly (SymPy) says so; the rest is a numerical "
        "method with its error.",
        "",
        *closed,
        *onsets,
        f"![Bifurcation diagram of the uv map at y = n = 1]({FIGURE})",
        "",
        "Late-time $\\eta\\lambda$ against $\\eta$ (`catapultlab bifurcation uv --y 1 --n 1 "
        "--eta 0.8:1.32:0.002 --f0 0.01 --lam0 0.3 --transient 3000 --figure F`), onsets "
        "dotted (from the table above), the edge "
        "of stability $\\eta\\lambda = 2$ dashed.",
        "",
        *_drift(),
        *sets,
        *limit,
        *warm,
    ]
    numbers = {
        "closed": d,
        "onsets": found,
        "ratios": ratios,
        "sets": sets_by_beta,
        "limit": tables,
        "warmup_p": p_warm,
        "warmup_edge": warm_edge,
    }
    return "\n".join(lines), _figure(found), numbers


def on_files(files, config):  # noqa: D103 - mkdocs hook signature
    text, png, _ = page()
    files.append(File.generated(config, PAGE, content=text))
    files.append(File.generated(config, FIGURE, content=png))
    return files
