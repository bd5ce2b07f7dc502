"""The infinite-width limit of a model as plain data (no SymPy): :class:`WidthLimit`.

Derived by :func:`catapultlab.theory._limit.derive_width_limit` and carried by the
:class:`~catapultlab.theory.NumericModel`, it tells the layers below how to take
``n -> oo``:

* **the limit map is the model's own map at n = 1.** With every state variable rescaled
  ``s = n^(b_s) s~``, ``eta = n^(b_eta) eta~``, labels ``y = n^(b_f) y~`` and a weight
  decay like the NTK, the maps lose ``n`` (:class:`catapultlab.theory.Scaling` proves
  it), so the rescaled map is the map evaluated at ``n = 1``;
* **the limit law of the initial state.** At init the Gram matrix of the ``p`` parameter
  vectors is ``G = n I + sqrt(n) Z + ...`` with independent Gaussian entries ``Z_ii ~ N(0,
  2)``, ``Z_ij ~ N(0, 1)`` (the Wishart central limit). The rescaled initial state is
  ``x~_0 = center(Z) + fluctuation(Z) / sqrt(n) + O(1/n)``: ``center`` is the state the
  Gram state concentrates on (deterministic for most models; random when the NTK itself
  is random at order one) and ``fluctuation`` the first correction, which the linear
  phase amplifies. Both are printed functions of the model (``limit_center``,
  ``limit_fluctuation``; one argument per Gram entry ``Z``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from catapultlab.records import short_repr

__all__ = ["WidthLimit"]


@dataclass(frozen=True)
class WidthLimit:
    """How a model behaves as ``n -> oo`` (see the module docstring).

    Attributes:
        reason: why there is no limit (empty when there is one).
        state_exponents: ``b_s`` per state variable (``s = n^(b_s) s~``).
        eta_exponent: ``b_eta`` (``eta = n^(b_eta) eta~``).
        label_exponent: ``b_f``, the outputs' (and labels') nonlinear scale.
        ntk_exponent: the NTK's order ``n^(e_lambda)`` at init (weight decay scales so).
        output_init_exponent: ``e_f``, the outputs' order at init.
        fluctuations: names of the Gram-entry fluctuations ``Z`` (the printed functions'
            arguments), one per Gram-state entry of a vector pair.
        variances: their variances (2 on the diagonal, 1 off it).
        random_center: does ``center`` depend on ``Z`` (an order-one random init)?
    """

    __repr__ = short_repr

    reason: str = ""
    state_exponents: tuple[float, ...] = ()
    eta_exponent: float = 0.0
    label_exponent: float = 0.0
    ntk_exponent: float = 0.0
    output_init_exponent: float = 0.0
    fluctuations: tuple[str, ...] = ()
    variances: tuple[float, ...] = ()
    random_center: bool = False

    @property
    def exists(self) -> bool:
        """Does the model have an infinite-width limit?"""
        return not self.reason

    def to_json(self) -> dict:
        """JSON-able form."""
        doc = asdict(self)
        for k in ("state_exponents", "fluctuations", "variances"):
            doc[k] = list(doc[k])
        return doc

    @staticmethod
    def from_json(doc: dict) -> WidthLimit:
        """Inverse of :meth:`to_json`."""
        kw = dict(doc)
        for k in ("state_exponents", "fluctuations", "variances"):
            kw[k] = tuple(kw[k])
        return WidthLimit(**kw)
