"""Samples per block (``N``) of the peers' constructions, from their own theory.

* Pensia et al.: ``N = ⌈C · log₂(2W / min(η, δ))⌉`` with ``C = 3`` (their Experiment 1's constant;
  a documented choice, the failure rate it gives is measured, never assumed).
* Malach et al.'s pair search: ``N = ⌈ln(K/δ) / p_min⌉``, ``p_min = p(w_max)`` the exact probability
  that one uniform pair ``a, b ~ U[−s, s]`` with ``a > 0`` lands within ``η`` of ``w``
  (derivation in :mod:`slt_check.constructions.malach`).

Callers look these functions up on this module (``sample_counts.pensia_samples``), so that a
mutation (:mod:`slt_check.claims.breaks`) reaches every construction that uses them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check.core.validation import check_delta, check_positive

__all__ = ["PENSIA_C", "pensia_samples", "pair_success_prob", "pair_samples"]

PENSIA_C = 3.0
"""The constant ``C`` of ``N = ⌈C·log₂(2W/min(η, δ))⌉`` (their Experiment 1's ``c = 3``)."""


def pensia_samples(
    eta: float, n_weights: int, delta: float, C: float = PENSIA_C
) -> tuple[int, dict[str, Any]]:
    """``N = ⌈C · log₂(2W / min(η, δ))⌉`` samples per block, and the terms of the formula."""
    eta = check_positive(eta, "eta")
    delta = check_delta(delta)
    C = check_positive(C, "C")
    if int(n_weights) < 1:
        raise ValueError(f"n_weights: need at least one target weight, got {n_weights}")
    arg = 2 * int(n_weights) / min(eta, delta)
    N = max(1, math.ceil(C * math.log2(arg) - 1e-9))
    return N, {"pensia_C": C, "pensia_log2_arg": math.log2(arg)}


def _H(z: float, s2: float) -> float:
    z = min(max(z, 0.0), s2)
    return 0.0 if z == 0.0 else (z / (2.0 * s2)) * (1.0 + math.log(s2 / z))


_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def _mass(u: float, v: float, s2: float) -> float:
    """``∫_u^v g`` for ``0 ≤ u ≤ v ≤ s²``: closed form, or (short intervals away from 0, where
    ``H(v) − H(u)`` would cancel) 8-point Gauss–Legendre of ``g(z) = −log1p((z−s²)/s²)/(2s²)``."""
    if v <= u:
        return 0.0
    if v - u <= 1e-3 * s2 and u >= 10 * (v - u):
        z = 0.5 * (u + v) + 0.5 * (v - u) * _GL_X
        g = -np.log1p((z - s2) / s2) / (2.0 * s2)
        return float(0.5 * (v - u) * np.dot(_GL_W, g))
    return _H(v, s2) - _H(u, s2)


def pair_success_prob(w: float, eta: float, s: float) -> float:
    """``P(a > 0, |ab − w| ≤ η)`` for ``a, b ~ U[−s, s]`` independent (exact; see module doc)."""
    eta = check_positive(eta, "eta")
    s2 = check_positive(s, "s") ** 2
    x = abs(float(w))
    if x < eta:  # the interval straddles 0: both sides
        return 0.5 * (_H(x + eta, s2) + _H(eta - x, s2))
    return 0.5 * _mass(min(x - eta, s2), min(x + eta, s2), s2)


def pair_samples(
    s: float, w_max: float, eta: float, n_halves: int, delta: float
) -> tuple[int, dict[str, Any]]:
    """``N = ⌈ln(K/δ)/p_min⌉`` with ``p_min = p(w_max)`` and ``K = n_halves``."""
    delta = check_delta(delta)
    p = pair_success_prob(check_positive(w_max, "w_max"), eta, s)
    if p <= 0:
        raise ValueError(
            f"w_max: |w| = {w_max} is out of reach of products of U[−{s}, {s}]; increase scale"
        )
    N = math.ceil(math.log(int(n_halves) / delta) / p)
    return N, {"pair_p_min": p, "pair_halves": int(n_halves)}
