"""Claim **R12** — union bound: at N with b = 2M·W(1 − 1/(8M))^N ≤ 0.25, P(some group misses) ≤ b.

The pre-registered case table is ``slt_check.claims.sampling.CASES["R12"]`` (the ledger runs the same
table): per case, ``n = n_for_power(δ)`` seeds ``seed_grid(master, n)``, failures counted, verdict by
the rule of ``slt_check.core.stats.rate_verdict`` (holds iff the exact one-sided test excludes a rate 2δ
at α = 1e-3; violated iff it rejects p ≤ δ). The test requires ``holds``.
"""

from __future__ import annotations

import pytest

from slt_check.claims.base import RateCase, pytest_params
from slt_check.claims.sampling import CASES, run_case


@pytest.mark.claim("R12")
@pytest.mark.parametrize("case", pytest_params(CASES["R12"]))
def test_rate(case: RateCase) -> None:
    v = run_case(case)
    assert v.verdict == "holds", str(v)
