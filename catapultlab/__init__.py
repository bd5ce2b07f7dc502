"""catapultlab: the lazy, catapult and divergent phases of gradient descent.

Layers (theory -> sim -> validate, one source of truth):

* :mod:`catapultlab.theory` derives the exact width-n update maps and phase boundaries;
* :mod:`catapultlab.sim` compiles those maps into Numba kernels and runs ensembles;
* :mod:`catapultlab.validate` trains real networks in JAX and compares with theory.
"""

from __future__ import annotations

from catapultlab._cache import configure_numba_cache
from catapultlab._errors import CatapultError

configure_numba_cache()  # before any cache=True module of the package imports numba

__all__ = ["CatapultError", "__version__"]

__version__ = "0.1.0"
