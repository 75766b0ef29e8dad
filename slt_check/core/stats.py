"""Statistics for probabilistic claims: pre-registered seed grids, one-sided exact binomial tests,
Clopper–Pearson intervals, Bonferroni. Thin wrappers over ``scipy.stats``.

A claim "failure probability ≤ δ" is checked by counting failures ``k`` in ``n`` independent trials
(seeds fixed in advance). The ledger's four verdicts come from one rule, :func:`rate_verdict`
(stated once in the preamble of ``paper_claims.md``):

* ``violated`` — the one-sided exact test of ``H0: p ≤ δ`` rejects at ``α``:
  ``P(X ≥ k | n, δ) < α``;
* ``holds`` — the one-sided exact test *excludes* a failure rate of ``2δ`` at ``α``:
  ``P(X ≤ k | n, 2δ) < α``;
* ``inconclusive`` — neither (with the ``n`` that would settle it at the observed rate);
* ``vacuous`` — ``n = 0`` (the premise never occurred).

:func:`n_for_power` pre-registers ``n``: the smallest ``n`` with power ``P(violated | p = 2δ) ≥ power``
and ``P(holds | p = δ) ≥ power``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from slt_check.core.validation import check_delta

__all__ = ["seed_grid", "BinomialVerdict", "failure_rate_test", "clopper_pearson", "bonferroni",
           "RateVerdict", "rate_verdict", "combine_verdicts", "n_for_power", "rate_power",
           "RATE_VERDICTS", "ALPHA_CLAIM", "FAMILY_ALPHA_CLAIMS", "holds_max_failures", "violated_min_failures"]

RATE_VERDICTS = ("holds", "violated", "inconclusive", "vacuous")
"""The four verdicts of a probability claim (and of the ledger)."""
ALPHA_CLAIM = 1e-3
"""Per-test level of the probability claims' binomial tests (both one-sided tests use it)."""
FAMILY_ALPHA_CLAIMS = 0.05
"""Family-wise false-alarm budget of the probability claims, split by Bonferroni over every
confirmation test of every two-stage rate claim (:func:`slt_check.core.screening.confirmation_alpha`:
``0.05 / (n_claims · n_confirmations)`` per test; 12 rate claims with at most 67 confirmations in all
when this was written, e.g. ``6.9e-4`` for a claim of 6); ``tests/test_screening.py`` checks that the
levels of all confirmations sum to at most this."""


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


# ------------------------------------------------------------------------------ four verdicts
def violated_min_failures(n: int, delta: float, alpha: float) -> int:
    """Smallest ``k`` with ``P(X ≥ k | n, δ) < α`` (``n + 1`` if none).

    ``P(X ≥ k)`` decreases in ``k``: start at the binomial quantile and step to the first ``k`` that
    satisfies the exact condition (a few tail evaluations instead of all ``n + 1``)."""
    k = min(max(int(stats.binom.isf(alpha, n, delta)) + 1, 0), n + 1)
    while k > 0 and stats.binom.sf(k - 2, n, delta) < alpha:
        k -= 1
    while k <= n and not stats.binom.sf(k - 1, n, delta) < alpha:
        k += 1
    return int(k)


def holds_max_failures(n: int, delta: float, alpha: float) -> int:
    """Largest ``k`` with ``P(X ≤ k | n, 2δ) < α`` (``−1`` if none).

    ``P(X ≤ k)`` increases in ``k``: start below the binomial quantile and step to the last ``k`` that
    satisfies the exact condition."""
    p2 = min(1.0, 2 * delta)
    k = min(max(int(stats.binom.ppf(alpha, n, p2)) - 1, -1), n)
    while k + 1 <= n and stats.binom.cdf(k + 1, n, p2) < alpha:
        k += 1
    while k >= 0 and not stats.binom.cdf(k, n, p2) < alpha:
        k -= 1
    return int(k)


def rate_power(n: int, delta: float, alpha: float = ALPHA_CLAIM) -> tuple[float, float]:
    """``(P(violated | p = 2δ), P(holds | p = δ))`` of :func:`rate_verdict` with ``n`` trials."""
    if n < 1:
        return 0.0, 0.0
    kv, kh = violated_min_failures(n, delta, alpha), holds_max_failures(n, delta, alpha)
    p2 = min(1.0, 2 * delta)
    power = float(stats.binom.sf(kv - 1, n, p2)) if kv <= n else 0.0
    p_holds = float(stats.binom.cdf(kh, n, delta)) if kh >= 0 else 0.0
    return power, p_holds


@functools.lru_cache(maxsize=256)
def n_for_power(delta: float, alpha: float = ALPHA_CLAIM, power: float = 0.9, n_max: int = 200_000) -> int:
    """Smallest ``n`` with ``P(violated | p = 2δ) ≥ power`` and ``P(holds | p = δ) ≥ power``.

    Both are step functions of ``n`` (discreteness); the first ``n`` where both reach ``power`` is
    returned (a larger ``n`` may dip slightly: the case table records the power of the ``n`` used)."""
    delta = check_delta(delta)
    if not 0 < 2 * delta < 1:
        raise ValueError(f"delta: need 2δ < 1 to separate δ from 2δ, got {delta}")
    # normal approximation as a starting point, then scan upward
    za, zb = stats.norm.isf(alpha), stats.norm.isf(1 - power)
    d2 = 2 * delta
    n0 = ((za * math.sqrt(delta * (1 - delta)) + zb * math.sqrt(d2 * (1 - d2))) / delta) ** 2
    n = max(1, int(0.6 * n0))
    while n <= n_max:
        pw, ph = rate_power(n, delta, alpha)
        if pw >= power and ph >= power:
            return n
        n += 1
    raise ValueError(f"n_for_power: no n ≤ {n_max} for δ={delta}, α={alpha}, power={power}")


@dataclass(frozen=True)
class RateVerdict:
    """One probability claim's binomial test: ``k`` failures in ``n`` pre-registered trials against
    the claimed rate ``δ`` at level ``α`` (rule of :func:`rate_verdict`)."""

    k: int
    n: int
    delta: float
    alpha: float
    verdict: str
    p_violated: float  # P(X ≥ k | n, δ)
    p_holds: float  # P(X ≤ k | n, 2δ)
    ci_low: float
    ci_high: float
    power_2delta: float  # P(violated | p = 2δ) at this n
    holds_at_delta: float  # P(holds | p = δ) at this n
    n_to_settle: int | None  # inconclusive only: the n that would settle it at the observed rate
    label: str = ""

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rate"] = self.rate if self.n else None
        return d

    def cell(self) -> str:
        """Compact ledger cell: ``k/n ≤ δ? [CP95] power``."""
        if self.n == 0:
            return f"0/0 (δ={self.delta:g})"
        return (f"{self.k}/{self.n} vs δ={self.delta:g} (CP {self.ci_low:.3g}–{self.ci_high:.3g}; "
                f"power@2δ {self.power_2delta:.2f})")

    def __str__(self) -> str:
        s = (f"{self.label + ': ' if self.label else ''}{self.k}/{self.n} failures vs δ={self.delta:g} "
             f"(CP95 {self.ci_low:.3g}–{self.ci_high:.3g}; P(X≥k|δ)={self.p_violated:.3g}, "
             f"P(X≤k|2δ)={self.p_holds:.3g}, α={self.alpha:g}; power@2δ {self.power_2delta:.3f}, "
             f"P(holds|δ) {self.holds_at_delta:.3f}) → {self.verdict.upper()}")
        if self.n_to_settle:
            s += f" (n ≈ {self.n_to_settle} would settle it at the observed rate)"
        return s


def _settle_n(k: int, n: int, delta: float, alpha: float) -> int | None:
    """Smallest ``n' ≥ n`` (doubling, then bisection) at which ``round(p̂ n')`` failures give a
    decisive verdict, ``p̂ = k/n``; ``None`` beyond 10^7."""
    p = k / n

    def decisive(m: int) -> bool:
        kk = int(round(p * m))
        return bool(stats.binom.sf(kk - 1, m, delta) < alpha or stats.binom.cdf(kk, m, 2 * delta) < alpha)

    hi = n
    while not decisive(hi):
        hi *= 2
        if hi > 10**7:
            return None
    lo = max(n, hi // 2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if decisive(mid) else (mid, hi)
    return hi


def rate_verdict(k: int, n: int, delta: float, alpha: float = ALPHA_CLAIM, label: str = "") -> RateVerdict:
    """The verdict rule (``paper_claims.md`` preamble) for "P(failure) ≤ δ" from ``k`` failures in
    ``n`` trials: ``violated`` iff ``P(X ≥ k | n, δ) < α``; ``holds`` iff ``P(X ≤ k | n, 2δ) < α``;
    ``inconclusive`` otherwise; ``vacuous`` iff ``n = 0``."""
    k, n = int(k), int(n)
    if not (0 <= k <= n):
        raise ValueError(f"k, n: need 0 ≤ k ≤ n; got k={k}, n={n}")
    delta = check_delta(delta)
    alpha = check_delta(alpha, "alpha")
    if n == 0:
        return RateVerdict(0, 0, delta, alpha, "vacuous", 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, None, label)
    p_v = float(stats.binom.sf(k - 1, n, delta))
    p_h = float(stats.binom.cdf(k, n, min(1.0, 2 * delta)))
    verdict = "violated" if p_v < alpha else "holds" if p_h < alpha else "inconclusive"
    lo, hi = clopper_pearson(k, n)
    pw, ph = rate_power(n, delta, alpha)
    settle = _settle_n(k, n, delta, alpha) if verdict == "inconclusive" else None
    return RateVerdict(k, n, delta, alpha, verdict, p_v, p_h, lo, hi, pw, ph, settle, label)


def combine_verdicts(verdicts: Sequence[str]) -> str:
    """A claim's verdict from its tests': ``violated`` if any is; else ``inconclusive`` if any is;
    else ``vacuous`` if all are (or none ran); else ``holds``."""
    vs = list(verdicts)
    if "violated" in vs:
        return "violated"
    if "inconclusive" in vs:
        return "inconclusive"
    if not vs or all(v == "vacuous" for v in vs):
        return "vacuous"
    return "holds"


def slope_ci(x: Sequence[float], y: Sequence[float], confidence: float = 0.95) -> dict[str, float | int] | None:
    """Least-squares ``y ≈ slope·x + intercept`` (``scipy.stats.linregress``) with the two-sided
    Student-t interval of the slope (``n − 2`` degrees of freedom): ``slope``, ``low``, ``high``,
    ``intercept``, ``stderr``, ``n``; ``None`` with fewer than 3 points (no interval exists)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.shape != ya.shape:
        raise ValueError(f"x, y: need the same number of points, got {xa.size} and {ya.size}")
    if xa.size < 3:
        return None
    r = stats.linregress(xa, ya)
    h = float(stats.t.ppf(0.5 + confidence / 2, xa.size - 2) * r.stderr)
    return {"slope": float(r.slope), "low": float(r.slope) - h, "high": float(r.slope) + h,
            "intercept": float(r.intercept), "stderr": float(r.stderr), "n": int(xa.size)}
