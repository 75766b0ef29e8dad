"""Statistics for probabilistic claims: pre-registered seed grids, one-sided exact binomial tests,
Clopper–Pearson intervals, Bonferroni. Thin wrappers over ``scipy.stats``.

A claim "failure probability ≤ δ" is checked by counting failures ``k`` in ``n`` independent trials
(seeds fixed in advance) and testing ``H0: p ≤ δ`` against ``H1: p > δ``; the claim is reported
*violated* when the one-sided p-value is below ``α`` (tiny, Bonferroni-corrected).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from slt_check.validation import check_delta

__all__ = ["seed_grid", "BinomialVerdict", "failure_rate_test", "clopper_pearson", "bonferroni"]


def seed_grid(master_seed: int, n: int) -> list[int]:
    """``n`` pre-registered, independent seeds derived from ``master_seed`` (SeedSequence.spawn)."""
    if n < 1:
        raise ValueError(f"n: need at least one seed, got {n}")
    children = np.random.SeedSequence(int(master_seed)).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided Clopper–Pearson interval for a binomial proportion."""
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def bonferroni(alpha: float, n_tests: int) -> float:
    """Per-test level ``α / m``."""
    return alpha / max(1, int(n_tests))


@dataclass(frozen=True)
class BinomialVerdict:
    """Outcome of a one-sided test of ``p ≤ p0`` (``violated`` when the p-value < ``alpha``)."""

    k: int
    n: int
    p0: float
    alpha: float
    pvalue: float
    violated: bool
    critical_count: int  # smallest k that would be reported violated
    ci_low: float
    ci_high: float

    @property
    def rate(self) -> float:
        return self.k / self.n

    def as_dict(self) -> dict[str, float | int | bool]:
        d = asdict(self)
        d["rate"] = self.rate
        return d

    def __str__(self) -> str:
        return (
            f"{self.k}/{self.n} failures (rate {self.rate:.4g}, CP {self.ci_low:.3g}–{self.ci_high:.3g}) "
            f"vs p0={self.p0:g}: p={self.pvalue:.3g} at α={self.alpha:g} → "
            f"{'VIOLATED' if self.violated else 'consistent'} (critical count {self.critical_count})"
        )


def failure_rate_test(k: int, n: int, p0: float, alpha: float = 1e-6) -> BinomialVerdict:
    """One-sided exact binomial test of ``H0: P(failure) ≤ p0`` from ``k`` failures in ``n`` trials."""
    if not (0 <= k <= n and n >= 1):
        raise ValueError(f"k, n: need 0 ≤ k ≤ n, n ≥ 1; got k={k}, n={n}")
    p0 = check_delta(p0, "p0")
    alpha = check_delta(alpha, "alpha")
    res = stats.binomtest(int(k), int(n), p0, alternative="greater")
    # smallest k with P(X ≥ k | p0) < alpha
    crit = int(stats.binom.isf(alpha, n, p0)) + 1
    while crit > 0 and stats.binom.sf(crit - 2, n, p0) < alpha:
        crit -= 1
    while crit <= n and stats.binom.sf(crit - 1, n, p0) >= alpha:
        crit += 1
    lo, hi = clopper_pearson(k, n)
    return BinomialVerdict(
        k=int(k), n=int(n), p0=p0, alpha=alpha, pvalue=float(res.pvalue),
        violated=bool(res.pvalue < alpha), critical_count=crit, ci_low=lo, ci_high=hi,
    )
