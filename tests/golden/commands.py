"""The commands whose outputs the contract test pins (tests/test_contract.py).

Each entry: file stem -> (argv, kind). ``kind`` is ``"stdout"`` (the command's standard
output, compared byte for byte) or ``"nc"`` (the netCDF file it writes to ``{out}``,
compared by content: every variable, coordinate and attribute).
"""

SPEC = "tests/golden/spec_uvw.py:uvw"

SWEEP = ["--c", "1:5:1", "--n", "64,1024", "--ensemble", "1500", "--steps", "400"]

COMMANDS: dict[str, tuple[list[str], str]] = {
    "derive_uv_json": (["derive", "uv", "--format", "json"], "stdout"),
    "derive_uv_text": (["derive", "uv"], "stdout"),
    "derive_uv_latex": (["derive", "uv", "--format", "latex"], "stdout"),
    "derive_uv_momentum_json": (["derive", "uv", "--momentum", "0.5", "--format", "json"], "stdout"),
    "derive_uv_nesterov_json": (
        ["derive", "uv", "--momentum", "0.9", "--nesterov", "--format", "json"],
        "stdout",
    ),
    "derive_uv_decay_json": (["derive", "uv", "--weight-decay", "0.01", "--format", "json"], "stdout"),
    "derive_full_json": (["derive", "full", "--format", "json"], "stdout"),
    "derive_full22_json": (["derive", "full", "-d", "2", "-m", "2", "--format", "json"], "stdout"),
    "derive_spec_json": (["derive", "--spec", SPEC, "--format", "json"], "stdout"),
    "sweep_uv_json": (["sweep", "uv", *SWEEP, "--json"], "stdout"),
    "sweep_uv_nc": (["sweep", "uv", *SWEEP, "--out", "{out}"], "nc"),
    "sweep_uv_text": (["sweep", "uv", *SWEEP], "stdout"),
    "sweep_uv_y_json": (["sweep", "uv", *SWEEP, "--y", "0,1", "--json"], "stdout"),
    "sweep_uv_y_nc": (["sweep", "uv", *SWEEP, "--y", "0,1", "--out", "{out}"], "nc"),
    "sweep_uv_numpy_json": (
        ["sweep", "uv", "--c", "1:5:2", "--n", "64", "--ensemble", "300", "--steps", "300",
         "--backend", "numpy", "--json"],
        "stdout",
    ),
    "sweep_uv_f32_json": (["sweep", "uv", *SWEEP, "--dtype", "float32", "--json"], "stdout"),
    "sweep_uv_momentum_json": (
        ["sweep", "uv", *SWEEP, "--momentum", "0.5", "--y", "0", "--json"],
        "stdout",
    ),
    "sweep_full_json": (
        ["sweep", "full", "--c", "1:5:1", "--n", "64,256", "--ensemble", "1100", "--steps", "400",
         "--json"],
        "stdout",
    ),
    "sweep_full_nc": (
        ["sweep", "full", "--c", "1:5:1", "--n", "64,256", "--ensemble", "1100", "--steps", "400",
         "--out", "{out}"],
        "nc",
    ),
    "sweep_spec_json": (["sweep", "--spec", SPEC, *SWEEP, "--json"], "stdout"),
    "simulate_uv_json": (["simulate", "uv", "--c", "3", "--n", "1000", "--steps", "300", "--json"], "stdout"),
    "simulate_uv_text": (["simulate", "uv", "--c", "3", "--n", "1000", "--steps", "300"], "stdout"),
    "simulate_uv_ensemble_json": (
        ["simulate", "uv", "--c", "2.5", "--n", "500", "--steps", "300", "--ensemble", "2000",
         "--json"],
        "stdout",
    ),
    "simulate_uv_exact_json": (
        ["simulate", "uv", "--c", "3", "--n", "200", "--steps", "200", "--exact", "--json"],
        "stdout",
    ),
    "simulate_uv_f0_json": (
        ["simulate", "uv", "--c", "3.5", "--n", "1000", "--steps", "300", "--f0", "0.5",
         "--lam0", "2", "--json"],
        "stdout",
    ),
    "simulate_full_json": (["simulate", "full", "--c", "3", "--n", "300", "--steps", "300", "--json"], "stdout"),
    "simulate_momentum_json": (
        ["simulate", "uv", "--momentum", "0.9", "--c", "3", "--n", "300", "--steps", "400", "--y",
         "0", "--json"],
        "stdout",
    ),
    "simulate_spec_json": (
        ["simulate", "--spec", SPEC, "--c", "3", "--n", "300", "--steps", "300", "--json"],
        "stdout",
    ),
    "validate_tiny_json": (
        ["validate", "--depth", "1", "--width", "16", "--c", "1:6:4", "--steps", "20",
         "--train-size", "32", "--test-size", "32", "--bisect", "1", "--json"],
        "stdout",
    ),
    "validate_tiny_nc": (
        ["validate", "--depth", "1", "--width", "16", "--c", "1:6:4", "--steps", "20",
         "--train-size", "32", "--test-size", "32", "--bisect", "1", "--out", "{out}"],
        "nc",
    ),
}
