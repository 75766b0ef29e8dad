"""The verdict rule of :func:`slt_check.core.stats.rate_verdict` and the pre-registration helper
:func:`slt_check.core.stats.n_for_power`."""

from __future__ import annotations

import pytest
from scipy import stats

from slt_check.core.stats import combine_verdicts, n_for_power, rate_power, rate_verdict


def test_rule_on_examples() -> None:
    # 0/20 at δ = 0.1 cannot exclude 2δ: P(X ≤ 0 | 20, 0.2) = 0.8^20 ≈ 0.0115 ≥ 1e-3
    v = rate_verdict(0, 20, 0.1)
    assert v.verdict == "inconclusive" and v.n_to_settle and v.n_to_settle > 20
    assert rate_verdict(0, 251, 0.1).verdict == "holds"
    assert rate_verdict(5, 12, 0.1).verdict == "inconclusive"  # 5/12 at δ = 0.1: p = 0.004 > α
    assert rate_verdict(50, 251, 0.1).verdict == "violated"
    assert rate_verdict(0, 0, 0.1).verdict == "vacuous"


def test_rule_is_the_two_exact_one_sided_tests() -> None:
    for k, n, d in [(3, 100, 0.05), (12, 100, 0.05), (30, 251, 0.1), (40, 251, 0.1)]:
        v = rate_verdict(k, n, d, alpha=1e-3)
        assert v.p_violated == pytest.approx(stats.binomtest(k, n, d, alternative="greater").pvalue)
        assert v.p_holds == pytest.approx(stats.binomtest(k, n, 2 * d, alternative="less").pvalue)
        expect = "violated" if v.p_violated < 1e-3 else "holds" if v.p_holds < 1e-3 else "inconclusive"
        assert v.verdict == expect


@pytest.mark.parametrize("delta", [0.2, 0.1, 0.05, 0.01])
def test_n_for_power_gives_both_powers(delta: float) -> None:
    n = n_for_power(delta, 1e-3, 0.9)
    pw, ph = rate_power(n, delta, 1e-3)
    assert pw >= 0.9 and ph >= 0.9
    pw1, ph1 = rate_power(n - 1, delta, 1e-3)
    assert pw1 < 0.9 or ph1 < 0.9  # the smallest such n


def test_power_matches_simulation() -> None:
    """P(violated | 2δ) by direct summation over k."""
    n, d = 251, 0.1
    direct = sum(stats.binom.pmf(k, n, 2 * d) for k in range(n + 1) if rate_verdict(k, n, d).verdict == "violated")
    assert rate_power(n, d)[0] == pytest.approx(direct, rel=1e-9)


def test_combine() -> None:
    assert combine_verdicts(["holds", "violated"]) == "violated"
    assert combine_verdicts(["holds", "inconclusive"]) == "inconclusive"
    assert combine_verdicts(["vacuous", "vacuous"]) == "vacuous"
    assert combine_verdicts(["holds", "vacuous"]) == "holds"
    assert combine_verdicts([]) == "vacuous"
