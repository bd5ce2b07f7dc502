"""catapultlab: the lazy, catapult and divergent phases of gradient descent.

Layers (theory -> sim -> validate -> reproduce, one source of truth):

* :mod:`catapultlab.theory` derives the exact width-n update maps and phase boundaries;
* :mod:`catapultlab.sim` compiles those maps into Numba kernels and runs ensembles;
* :mod:`catapultlab.validate` trains real networks in JAX and compares with theory;
* :mod:`catapultlab.reproduce` runs the whole study into one report.

Shared by all of them: :mod:`catapultlab.phases` (the phase rule), :mod:`catapultlab.stats`
(merges, quantiles, bootstrap, boundaries, comparisons), :mod:`catapultlab.io` (every file
written), :mod:`catapultlab.checks` (validators), :mod:`catapultlab.cache` (the one on-disk
cache). Importing the package has no side effects.
"""

from __future__ import annotations

from catapultlab._errors import CatapultError

__all__ = ["CatapultError", "__version__"]

__version__ = "0.1.0"
