"""Claim group "sampling and covering" (R5, R6, R12): registry rows and ONE rate claim each
(:data:`RATE_CLAIMS`, measured in two stages by :mod:`slt_check.claims.rates`: a screen over the
claim's domain, then a powered confirmation of the worst cells on fresh seeds). The property test
(``properties/test_rate_claims.py``, parametrised over the registry) and ``slt-check ledger`` run the
same :meth:`~slt_check.claims.rates.RateClaim.result`.

* **R5** (group coverage): ``N_w = ⌈8M ln(2M·W/δ)⌉`` pairs per group ⇒ ``P(some of the W groups
  misses one of its 2M categories (sign a, k), sign(ab) = sign w) ≤ δ``, for every ``M``, ``W``, ``δ``
  of the domain.
* **R6** (categorical covering, "batch" lemma): ``N = ⌈(4/p)(m + ln(K/δ))⌉`` draws ⇒
  ``P(∃ category with < m draws) ≤ δ``.
* **R12** (union bound): at an ``N`` where failures are frequent (bound ``b ≤ 0.25``),
  ``P(some group misses) ≤ b = 2M·W(1 − 1/(8M))^N`` (the bound ``N_w`` inverts); the claimed rate is
  ``b``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check.claims import checks as C
from slt_check.claims.base import Claim
from slt_check.claims.rates import Preregistration, RateClaim, grid
from slt_check.core import bounds
from slt_check.core.screening import Cell

__all__ = ["RATE_CLAIMS", "CLAIMS", "union_bound_N", "r5_trial", "r6_trial", "r12_trial"]


def union_bound_N(M: int, groups: int, target_bound: float = 0.25) -> int:
    """Smallest ``N`` with ``2M·W(1 − 1/(8M))^N ≤ target_bound`` (R12's test point)."""
    p = bounds.category_prob_lower(M)
    return math.ceil(math.log(2 * M * groups / target_bound) / -math.log1p(-p))


def r5_trial(arg: tuple[dict[str, Any], float, int]) -> bool:
    """One R5 draw: ``W`` groups of ``N_w = ⌈8M ln(2MW/δ)⌉`` pairs; does some group miss a category?"""
    P, delta, s = arg
    N = bounds.samples_per_group(P["M"], P["W"], delta)
    return C.any_group_misses((P["M"], P["W"], N, s))


def r6_trial(arg: tuple[dict[str, Any], float, int]) -> bool:
    """One R6 draw: ``N = ⌈(4/p)(m + ln(K/δ))⌉`` multinomial draws over ``K`` categories of probability
    ``p = 1/(2K)`` each (the rest: "none"); is some category drawn fewer than ``m`` times?"""
    P, delta, s = arg
    K, m = P["K"], P["m"]
    p = 1.0 / (2 * K)
    N = bounds.covering_samples(p, K, m, delta)
    counts = np.random.default_rng(s).multinomial(N, [p] * K + [1 - K * p])[:K]
    return bool(np.any(counts < m))


def r12_trial(arg: tuple[dict[str, Any], float, int]) -> bool:
    """One R12 draw at the cell's ``N`` (where the bound ``b`` is the claimed rate)."""
    P, _delta, s = arg
    return C.any_group_misses((P["M"], P["W"], P["N"], s))


def _r12_cells(Ms: tuple[int, ...], Ws: tuple[int, ...], targets: tuple[float, ...]) -> tuple[Cell, ...]:
    out = []
    for M in Ms:
        for W in Ws:
            for tb in targets:
                N = union_bound_N(M, W, tb)
                b = bounds.coverage_failure_bound(M, W, N)
                out.append(Cell(f"M={M},W={W},N={N}", float(b), {"M": M, "W": W, "N": N}))
    return tuple(out)


_B, _C = "slt_check.core.bounds:", "slt_check.claims.checks:"
_FILES_COVER = (_B + "samples_per_group", _B + "category_prob_lower", _B + "coverage_failure_bound",
                _C + "group_coverage_failures", _C + "group_misses", _C + "any_group_misses",
                _C + "product_categories", "slt_check.core.laws:Hyperbolic")
_FIXED = "659891b"

RATE_CLAIMS: dict[str, RateClaim] = {
    # R5 over M (digits), W (groups) and δ: the full factorial at every scale (cheap trials)
    "R5": RateClaim(
        "R5", {"M": (4, 10, 20, 40), "W": (1, 4, 16, 64), "δ": (0.2, 0.1, 0.05, 0.02)},
        {"smoke": grid(M=(4, 20), W=(1, 16), delta=(0.1,)),
         "ci": grid(M=(4, 10, 20, 40), W=(1, 4, 16, 64), delta=(0.2, 0.1, 0.05, 0.02)),
         "full": grid(M=(4, 10, 20, 40, 60), W=(1, 4, 16, 64, 256), delta=(0.2, 0.1, 0.05, 0.02, 0.005))},
        r5_trial, 2026_1206_05, (Preregistration(2026_1206_06, _FIXED),), files=_FILES_COVER),
    "R6": RateClaim(
        "R6", {"K": (10, 40, 80, 200), "m": (1, 5, 20), "δ": (0.1, 0.02, 0.01)},
        {"smoke": grid(K=(10, 80), m=(1, 20), delta=(0.1,)),
         "ci": grid(K=(10, 40, 80, 200), m=(1, 5, 20), delta=(0.1, 0.02, 0.01)),
         "full": grid(K=(2, 10, 40, 80, 200, 1000), m=(1, 5, 20, 100), delta=(0.2, 0.1, 0.02, 0.01, 0.002))},
        r6_trial, 2026_1206_07, (Preregistration(2026_1206_08, _FIXED),), files=(_B + "covering_samples",)),
    # R12 at N where the union bound b (the claimed rate) is ≤ 0.25 or ≤ 0.1
    "R12": RateClaim(
        "R12", {"M": (5, 10, 20), "W": (4, 8, 32), "b target": (0.25, 0.1)},
        {"smoke": _r12_cells((5, 10), (4,), (0.25,)),
         "ci": _r12_cells((5, 10, 20), (4, 8, 32), (0.25, 0.1)),
         "full": _r12_cells((3, 5, 10, 20, 40), (1, 4, 8, 32, 128), (0.25, 0.1, 0.05))},
        r12_trial, 2026_1206_09, (Preregistration(2026_1206_10, _FIXED),), files=_FILES_COVER),
}
"""The rate claims of this group (two stages: :mod:`slt_check.claims.rates`)."""


_T = "properties/test_rate_claims.py"

CLAIMS: list[Claim] = [
    Claim("R5", "Group coverage: N_w = ⌈8M ln(2MW/δ)⌉ ⇒ P(some group misses a category) ≤ δ",
          "reconstructed", "R5", "probability", [_T], rate=RATE_CLAIMS["R5"],
          breaks=("orseau-width-half", "checker: N_w far below the bound"),
          title="group coverage", figure="failure", doc="docs/reconstruction.md#r5", code=("core/bounds.py",)),
    Claim("R6", "Categorical covering: N = ⌈(4/p)(m+ln(K/δ))⌉ ⇒ P(∃ category with < m draws) ≤ δ "
          "(batch lemma; 'covering argument' confirmed in words)", "reconstructed", "R6 (C in words)",
          "probability", [_T], rate=RATE_CLAIMS["R6"], breaks=("checker: N below the covering bound",),
          sanity=True,
          title="categorical covering", doc="docs/reconstruction.md#r6", code=("core/bounds.py",)),
    Claim("R12", "Union bound over groups/layers: P(some group misses) ≤ Σ ≤ 2MW(1−1/(8M))^N",
          "confirmed (qualitative); constants ours", "R12 (C: Review 1, in substance; 1/(8M) ours)",
          "probability", [_T], rate=RATE_CLAIMS["R12"],
          breaks=("category-prob-double",),
          title="union bound", doc="docs/reconstruction.md#r12", code=("core/bounds.py",)),
]
