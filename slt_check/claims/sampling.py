"""Claim group "sampling and covering" (R5, R6, R12): registry rows, ONE pre-registered case table,
the run of a case and the measure. ``properties/test_R5.py``, ``test_R6.py`` and ``test_R12.py``
run :data:`CASES` through :func:`run_case`; ``slt-check ledger`` runs the same cases through
:func:`measure`, so the ledger's verdict is the property tests' verdict.

* **R5** (group coverage): ``N_w = ⌈8M ln(2M·W/δ)⌉`` pairs per group ⇒ ``P(some of the W groups
  misses one of its 2M categories (sign a, k), sign(ab) = sign w) ≤ δ``.
* **R6** (categorical covering, "batch" lemma): ``N = ⌈(4/p)(m + ln(K/δ))⌉`` draws ⇒
  ``P(∃ category with < m draws) ≤ δ``.
* **R12** (union bound): at an ``N`` where failures are frequent (bound ``b ≤ 0.25``),
  ``P(some group misses) ≤ b = 2M·W(1 − 1/(8M))^N`` (the bound ``N_w`` inverts); the claimed rate is
  ``b``.

Every case has ``n = n_for_power(δ)`` trials: power ≥ 0.9 to report ``violated`` at a failure rate
``2δ`` and probability ≥ 0.9 to report ``holds`` at a rate ``δ`` (α = :data:`slt_check.core.stats.ALPHA_CLAIM`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check.claims import checks as C
from slt_check.claims.base import Claim, RateCase, rate_result
from slt_check.core import bounds
from slt_check.core.stats import RateVerdict, n_for_power, seed_grid
from slt_check.runtime.trials import run_trials

__all__ = ["CASES", "CLAIMS", "run_case", "measure", "union_bound_N"]


def union_bound_N(M: int, groups: int, target_bound: float = 0.25) -> int:
    """Smallest ``N`` with ``2M·W(1 − 1/(8M))^N ≤ target_bound`` (R12's test point)."""
    p = bounds.category_prob_lower(M)
    return math.ceil(math.log(2 * M * groups / target_bound) / -math.log1p(-p))


def _r5(label: str, M: int, groups: int, delta: float, master: int) -> RateCase:
    return RateCase("R5", label, delta, n_for_power(delta), master, {"M": M, "groups": groups})


def _r6(K: int, m: int, delta: float) -> RateCase:
    return RateCase("R6", f"K={K},m={m}", delta, n_for_power(delta), 600 + K, {"K": K, "m": m})


def _r12(M: int, groups: int) -> RateCase:
    N = union_bound_N(M, groups)
    b = bounds.coverage_failure_bound(M, groups, N)
    return RateCase("R12", f"M={M},W={groups},N={N}", b, n_for_power(b), 1200 + M,
                    {"M": M, "groups": groups, "N": N})


CASES: dict[str, list[RateCase]] = {
    "R5": [_r5("M=10,W=4", 10, 4, 0.05, 510), _r5("M=20,W=12", 20, 12, 0.1, 520),
           _r5("M=4,W=2", 4, 2, 0.2, 504)],
    "R6": [_r6(10, 1, 0.1), _r6(40, 5, 0.05), _r6(80, 20, 0.01)],
    "R12": [_r12(5, 4), _r12(10, 8)],
}
"""The pre-registered case table (seeds ``seed_grid(master, n)``)."""


def run_case(case: RateCase) -> RateVerdict:
    """Run one case: count failures over its seeds and apply the verdict rule (R5 and R12: one trial
    per seed through :func:`slt_check.runtime.trials.run_trials`; R6 is one vectorised multinomial
    draw of all runs from one generator and stays in this process)."""

    P = case.params
    if case.claim == "R5":
        N = bounds.samples_per_group(P["M"], P["groups"], case.delta)
        k = sum(run_trials(C.any_group_misses, [(P["M"], P["groups"], N, s) for s in case.seeds()],
                           desc=f"R5 {case.label}"))
    elif case.claim == "R6":
        p = 1.0 / (2 * P["K"])
        N = bounds.covering_samples(p, P["K"], P["m"], case.delta)
        gen = np.random.default_rng(seed_grid(case.master, 1)[0])
        counts = gen.multinomial(N, [p] * P["K"] + [1 - P["K"] * p], size=case.n)[:, : P["K"]]
        k = int(np.sum(np.any(counts < P["m"], axis=1)))
    elif case.claim == "R12":
        k = sum(run_trials(C.any_group_misses, [(P["M"], P["groups"], P["N"], s) for s in case.seeds()],
                           desc=f"R12 {case.label}"))
    else:
        raise ValueError(f"case: unknown claim {case.claim!r}")
    return case.verdict(k)


def measure(claim_id: str):  # noqa: ANN201
    """``measure(scale)`` of a claim of this group: every case of :data:`CASES` (the table is the
    same at every scale: the cases are cheap)."""

    def m(scale: str) -> dict[str, Any]:
        cases = CASES[claim_id]
        return rate_result([run_case(c) for c in cases], cases)

    return m


_T = "properties/test_{}.py"

CLAIMS: list[Claim] = [
    Claim("R5", "Group coverage: N_w = ⌈8M ln(2MW/δ)⌉ ⇒ P(some group misses a category) ≤ δ",
          "reconstructed", "R5", "probability", [_T.format("R5")], measure("R5"),
          breaks=("orseau-width-half", "checker: N_w far below the bound")),
    Claim("R6", "Categorical covering: N = ⌈(4/p)(m+ln(K/δ))⌉ ⇒ P(∃ category with < m draws) ≤ δ "
          "(batch lemma; 'covering argument' confirmed in words)", "reconstructed", "R6 (C in words)",
          "probability", [_T.format("R6")], measure("R6"), breaks=("checker: N below the covering bound",)),
    Claim("R12", "Union bound over groups/layers: P(some group misses) ≤ Σ ≤ 2MW(1−1/(8M))^N",
          "confirmed (qualitative); constants ours", "R12 (C: Review 1, in substance; 1/(8M) ours)",
          "probability", [_T.format("R12")], measure("R12"),
          breaks=("category-prob-double",)),
]
