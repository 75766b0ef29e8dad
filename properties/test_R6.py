"""Claim **R6** — categorical covering: N = ⌈(4/p)(m + ln(K/δ))⌉ draws ⇒ P(∃ category with < m draws) ≤ δ.

The pre-registered case table is ``slt_check.claims.sampling.CASES["R6"]`` (the ledger runs the same
table): per case, ``n = n_for_power(δ)`` seeds ``seed_grid(master, n)``, failures counted, verdict by
the rule of ``slt_check.core.stats.rate_verdict`` (holds iff the exact one-sided test excludes a rate 2δ
at α = 1e-3; violated iff it rejects p ≤ δ). The test requires ``holds``.
"""

from __future__ import annotations

import pytest

from slt_check.claims.base import RateCase, pytest_params
from slt_check.claims.sampling import CASES, run_case


@pytest.mark.claim("R6")
@pytest.mark.parametrize("case", pytest_params(CASES["R6"]))
def test_rate(case: RateCase) -> None:
    v = run_case(case)
    assert v.verdict == "holds", str(v)
