"""Validation layer: real networks in JAX, measured against the theory.

Conventions (binding for every module here):

* NTK parametrisation by default -- each dense/conv layer computes
  ``W h / sqrt(fan_in)`` with ``W ~ N(0, 1)``, no biases; ``standard`` optional.
  A one-hidden-layer linear MLP is exactly ``f(x) = v^T U x / sqrt(n d)``.
* Loss ``L = (1/2m) sum_a |f(x_a) - y_a|^2``, one-hot targets.
* Empirical NTK ``Theta = J J^T / m`` (all outputs stacked), ``lambda`` its top
  eigenvalue, ``c = eta lambda_0``; linearised GD is ``r' = (I - eta Theta) r``.
* Phases via :func:`catapultlab.phases.classify_losses` with the thresholds
  documented in :mod:`catapultlab.validate._sweep`.

Public names are loaded lazily so that ``import catapultlab.validate._cli`` stays
free of JAX.
"""

from __future__ import annotations

from catapultlab.lazy import attach

__all__ = [
    "COMMANDS",
    "ACTIVATIONS",
    "ARCHITECTURES",
    "DATASETS",
    "Boundary",
    "Dataset",
    "LinearMapComparison",
    "Network",
    "OPTIMIZERS",
    "OptimizerConfig",
    "PowerFit",
    "RunSummary",
    "ScanResult",
    "OUTCOMES",
    "SweepConfig",
    "SweepResult",
    "TopEigen",
    "TrainResult",
    "c_grid",
    "cnn",
    "compare_linear_network_with_map",
    "comparison_table",
    "explicit_hessian",
    "fit_c_max",
    "explicit_ntk",
    "explicit_ntk_bytes",
    "explicit_ntk_fn",
    "explicit_top_eigenvalue",
    "load_dataset",
    "make_network",
    "mlp",
    "plot_scan",
    "plot_sweep",
    "precision",
    "adam_edge",
    "predicted_edges",
    "theory_model",
    "resnet",
    "run_scan",
    "run_sweep",
    "scan_to_xarray",
    "sweep_to_dict",
    "sweep_to_xarray",
    "top_hessian_eigenvalue",
    "top_ntk_eigenvalue",
    "train",
    "write_netcdf",
]

_WHERE = {
    "_cli": ("COMMANDS",),
    "_nets": ("ACTIVATIONS", "ARCHITECTURES", "Network", "cnn", "make_network", "mlp", "resnet"),
    "_data": ("DATASETS", "Dataset", "load_dataset"),
    "_ntk": (
        "TopEigen",
        "explicit_ntk",
        "explicit_ntk_bytes",
        "explicit_ntk_fn",
        "explicit_top_eigenvalue",
        "top_ntk_eigenvalue",
    ),
    "_hessian": ("explicit_hessian", "top_hessian_eigenvalue"),
    "_optim": ("OPTIMIZERS", "OptimizerConfig"),
    "_train": ("TrainResult", "train"),
    "_sweep": (
        "Boundary",
        "OUTCOMES",
        "RunSummary",
        "SweepConfig",
        "SweepResult",
        "c_grid",
        "run_sweep",
    ),
    "_report": (
        "comparison_table",
        "sweep_to_dict",
        "sweep_to_xarray",
        "write_netcdf",
    ),
    "_figure": ("plot_sweep",),
    "_scan": ("PowerFit", "ScanResult", "fit_c_max", "plot_scan", "run_scan", "scan_to_xarray"),
    "_predict": ("adam_edge", "predicted_edges", "theory_model"),
    "_precision": ("precision",),
    "_linear_map": ("LinearMapComparison", "compare_linear_network_with_map"),
}
__getattr__, __dir__ = attach(__name__, _WHERE)
