"""Malach, Yehudai, Shalev-Shwartz, Shamir (ICML 2020): the two-neuron pair baseline
(docs/reconstruction.md#malach).

Each target weight ``w`` is simulated by at most one intermediate neuron per half (``a > 0`` /
``a < 0``, R3), the eligible candidate whose product ``ab`` is closest to ``w``; it succeeds iff
``|ab − w| ≤ η`` (η: the R8 precision, as Orseau). ``sharing="per_weight"``.

**Samples** (derived here). For ``a, b ~ U[−s, s]`` independent and the half ``a > 0`` (prob. ½),
``ab`` given ``a > 0`` has density ``g(z) = ln(s²/|z|)/(2s²)`` on ``|z| ≤ s²``, with
``H(z) = ∫_0^z g = (z/(2s²))(1 + ln(s²/z))`` (``H(s²) = ½``). So

    p(w) = P(a > 0, |ab − w| ≤ η) = ½ [H(min(|w|+η, s²)) − H(max(|w|−η, 0))]   (|w| ≥ η)

which decreases in ``|w|``: the worst case is ``|w| = w_max``. ``K = 2W`` halves must all succeed;
``(1−p)^N ≤ e^{−pN} ≤ δ/K`` gives

    N = ⌈ln(K/δ) / p_min⌉,   p_min = p(w_max).

With ``s² = w_max`` (plain ``U[−1,1]`` at ``w_max = 1``) the target range touches the edge of the
product law and ``p_min ≈ η²/(8 w_max)``: the ``1/ε²`` of Orseau et al.'s Fig. 1 caption. With the
default ``scale = √2`` (``s² = 2 w_max``, targets interior as Malach's ``|w| ≤ 1/√n_in``
assumption keeps them) ``p_min ≈ η ln 2/(4 w_max)``: the ``~1/ε`` baseline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from slt_check.constructions.factorial import RuleConstruction
from slt_check.validation import check_delta, check_positive

__all__ = ["Malach", "pair_success_prob", "pair_samples"]


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


@dataclass
class Malach(RuleConstruction):
    """The ``malach`` construction (see the module docstring)."""

    law: str = "uniform"
    rule: str = "pair"
    sharing: str = "per_weight"
    scale: float = math.sqrt(2.0)
    name: str = "malach"
