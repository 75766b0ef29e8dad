"""The one float-safety rule every certificate follows (propagation, stage-wise slack, CROWN, MILP).

Every certified bound is an inequality between real numbers, computed in float64. Three things can
make a computed bound smaller than the real quantity it bounds, and each has one remedy here:

* **Rounding** (a normal result off by a relative ``U = 2⁻⁵³``): each computed quantity is widened by
  ``γ_n = nU/(1 − nU)`` for its ``n``-term sums, with a factor ≥ 2 to spare (Higham, *Accuracy and
  Stability of Numerical Algorithms*, §3.1).
* **Underflow** (a product whose exact value lies below the smallest normal ``2⁻¹⁰²²`` is rounded to a
  subnormal or to 0, off by up to ``2⁻¹⁰⁷⁵`` *absolutely*; sums of subnormals are exact): every
  computed vector of a bound — and every layer of the float evaluation the bound must cover — gets
  :data:`TINY` ``= 10⁻³⁰⁰`` per unit added after its relative widening. ``10⁻³⁰⁰`` is ``2·10²³`` times
  ``2⁻¹⁰⁷⁴``, more than the number of products of any network that fits in memory, so one ``TINY``
  per unit and layer covers all of them. Consequence: no certificate is ever below ``10⁻³⁰⁰``, and
  ``slt-check build`` refuses an ε at or below the target's own floor (which contains it).
* **Underflow amplified** (an underflowed coefficient, e.g. an entry of ``Pos = B A⁺`` or of a CROWN
  coefficient row, later multiplied by a large magnitude): every certificate adds
  :func:`underflow_allowance` ``= TINY · max(1, M)`` to its float slack, ``M`` the magnitude bound
  below — the output's sensitivity to any one computed quantity is at most ``M``, and there are far
  fewer than ``2·10²³`` of them.
* **Overflow** (a sum or product beyond ``1.8·10³⁰⁸`` becomes ``inf``): refused up front.
  :func:`check_float_range` bounds every magnitude a certificate or an evaluation can form, by
  ``max(1, x_max) · Π_k max(1, ‖|W_k|‖_∞, ‖|W_k|‖_1)`` over the layers of both networks (the row sums
  bound forward values ``|W_k|⋯|W_1| x``, the column sums the backward coefficients of CROWN and the
  MILP), and refuses with a :class:`FloatRangeError` when it exceeds :data:`MAX_MAGNITUDE`
  ``= 10²⁵⁰`` — leaving a factor ``10⁵⁸`` for the sums, copies and allowances the certificates add.
  ``x_max`` itself must lie in ``(0, MAX_MAGNITUDE]``.

:func:`float_slack` (the reference evaluation-error bound of a network) follows the same rule: the
rounding part ``L γ_{n+2} ‖|W_L|⋯|W_1| x_max 1‖_∞`` plus the underflow part ``‖e_L‖_∞``,
``e_k = (1 + 4γ_{n+4}) |W_k| e_{k−1} + TINY``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["U", "gamma", "TINY", "MAX_MAGNITUDE", "FloatRangeError", "magnitude_bound", "check_float_range",
           "underflow_allowance", "float_slack"]

U = 2.0**-53  # unit round-off of float64

TINY = 1e-300
"""Absolute allowance per unit and layer for underflow (module docstring)."""

MAX_MAGNITUDE = 1e250
"""Largest magnitude bound (:func:`magnitude_bound`) a certificate accepts (module docstring)."""


def gamma(n: int) -> float:
    """``γ_n = nU / (1 − nU)``: the relative error bound of an ``n``-term float64 sum of products."""
    return (n * U) / (1 - n * U)


class FloatRangeError(ValueError):
    """A box or weights whose products could overflow float64 (bad input: exit code 2 in the CLI)."""


def _abs(m: Any) -> Any:
    return abs(sp.csr_matrix(m)) if sp.issparse(m) else np.abs(np.asarray(m, dtype=np.float64))


def _norm(W: Any) -> float:
    """``max(1, ‖|W|‖_∞, ‖|W|‖_1)``: the largest absolute row or column sum, at least 1."""
    A = _abs(W)
    if A.shape[0] == 0 or A.shape[1] == 0:
        return 1.0
    rows = float(np.max(np.asarray(A.sum(axis=1)).ravel()))
    cols = float(np.max(np.asarray(A.sum(axis=0)).ravel()))
    return max(1.0, rows, cols)


def magnitude_bound(networks: Sequence[Sequence[Any]], x_max: float) -> float:
    """``max(1, x_max) · Π_k max(1, ‖|W_k|‖_∞, ‖|W_k|‖_1)`` over every layer of every network in
    ``networks`` (each a list of weight matrices, dense or sparse); ``inf`` when it overflows."""
    logm = math.log(max(1.0, float(x_max)))
    for weights in networks:
        for W in weights:
            n = _norm(W)
            if not math.isfinite(n):
                return math.inf
            logm += math.log(n)
    return math.exp(logm) if logm < math.log(MAX_MAGNITUDE) + 1 else math.inf


def check_float_range(networks: Sequence[Sequence[Any]], x_max: float, what: str = "the certificate") -> float:
    """:class:`FloatRangeError` unless ``0 < x_max ≤`` :data:`MAX_MAGNITUDE`, every weight is finite and
    :func:`magnitude_bound` ``≤ MAX_MAGNITUDE``, so that no float64 quantity of a certificate or of an
    evaluation on the box can overflow; returns the magnitude bound ``M``."""
    x = float(x_max)
    if not (0 < x <= MAX_MAGNITUDE):
        raise FloatRangeError(
            f"x_max: {what} needs a box half-width in (0, {MAX_MAGNITUDE:g}] so that float64 cannot overflow, "
            f"got {x_max!r}; rescale the inputs")
    m = magnitude_bound(networks, x)
    if not m <= MAX_MAGNITUDE:
        raise FloatRangeError(
            f"x_max: on the box ‖x‖∞ ≤ {x:g} with these weights, values of {what} could reach "
            f"{'beyond 1e308' if math.isinf(m) else f'{m:.3g}'} (max(1, x_max) × the product of every layer's "
            f"largest absolute row/column sum), above the float64-safe {MAX_MAGNITUDE:g}; use a smaller box or "
            "rescale the weights")
    return m


def underflow_allowance(networks: Sequence[Sequence[Any]], x_max: float, what: str = "the certificate") -> float:
    """``TINY · max(1, M)`` with ``M`` = :func:`check_float_range` (which refuses an overflowing range):
    the absolute term every certificate adds for underflow amplified by later products."""
    return TINY * max(1.0, check_float_range(networks, x_max, what))


def float_slack(weights: Sequence[Any], x_max: float, n_in: int) -> float:
    """Bound on the float64 evaluation error of a network on the box (the reference bound; layers
    with no rows, as a compact ticket of a zero weight has, are allowed):

        L γ_{n+2} ‖v_L‖_∞ + ‖e_L‖_∞,   v_k = (1 + 4γ_{n+4}) |W_k| v_{k−1} + TINY,  v_0 = x_max 1,
                                       e_k = (1 + 4γ_{n+4}) |W_k| e_{k−1} + TINY,  e_0 = 0,

    ``n`` the largest fan-in (stored entries of a sparse row, the width of a dense one): rounding
    ``L γ_{n+2} ‖|W_L|⋯|W_1| x_max‖`` and underflow (module docstring); ``v`` and ``e`` are upper
    bounds also when their own computation rounds or underflows. :class:`FloatRangeError` when the
    box and weights are outside the float64-safe range (:func:`check_float_range`)."""
    check_float_range([weights], x_max, "the float evaluation")
    n_max = 1
    for W in weights:
        fan = int(np.max(np.diff(sp.csr_matrix(W).indptr), initial=0)) if sp.issparse(W) else np.shape(W)[1]
        n_max = max(n_max, fan)
    grow = 1.0 + 4.0 * gamma(n_max + 4)
    v = np.full(n_in, float(x_max))
    e = np.zeros(n_in)
    for W in weights:
        Wa = _abs(W)
        v = np.asarray(Wa @ v).ravel() * grow + TINY
        e = np.asarray(Wa @ e).ravel() * grow + TINY
    if not weights:
        return 0.0
    return len(weights) * gamma(n_max + 2) * float(np.max(v, initial=0.0)) + float(np.max(e, initial=0.0))
