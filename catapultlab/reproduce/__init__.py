"""``catapultlab reproduce``: the whole study, from derivation to report, in one cached run.

Stages (each cached in the output directory under ``.stages/<name>.json`` with a
hash of its configuration section; a rerun skips a finished stage unless
``force``):

a. ``theory``: derive the uv model and a small full model (LaTeX, JSON, text);
b. ``sim``: uv-model ensembles (phase diagram, one run per phase, finite-width
   boundary for ``y != 0``, peak-loss / ``t_peak`` scaling);
c. ``validate``: ReLU and linear MLP sweeps, linear network vs the exact map;

then the report (``report.md``, ``report.html``, ``numbers.json``,
``data/numbers.nc``, ``config.json``) is always rebuilt from the stage results.
The pipeline uses the public APIs of :mod:`catapultlab.theory`, :mod:`catapultlab.sim`
and :mod:`catapultlab.validate` only.
"""

from __future__ import annotations

from catapultlab.lazy import attach

__all__ = ["COMMANDS", "PRESETS", "STAGES", "reproduce"]

_WHERE = {
    "_cli": ("COMMANDS",),
    "_config": ("PRESETS",),
    "_pipeline": ("STAGES", "reproduce"),
}
__getattr__, __dir__ = attach(__name__, _WHERE)
