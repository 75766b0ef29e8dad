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

from slt_check.constructions.rule_based import RuleConstruction
from slt_check.constructions.sample_counts import pair_samples, pair_success_prob  # noqa: F401  (re-exported)

__all__ = ["Malach", "pair_success_prob", "pair_samples"]


@dataclass
class Malach(RuleConstruction):
    """The ``malach`` construction (see the module docstring)."""

    law: str = "uniform"
    rule: str = "pair"
    sharing: str = "per_weight"
    scale: float = math.sqrt(2.0)
    name: str = "malach"
