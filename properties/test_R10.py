"""Claim **R10** — success probability: over independent draws of ``G`` at the formula width
``N_w = ⌈8M ln(2MW/δ)⌉``, ``P(no certified ε-ticket) ≤ δ``.

Pre-registered table ``slt_check.claims.success.R10_CASES`` (the ledger runs the same): one fixed
target per case, ``n = n_for_power(δ)`` seeds of ``G``; a draw fails when a group misses a category
(``ticket.ok`` False) or the certified sup error exceeds ε — never re-drawn. Verdict by
``slt_check.core.stats.rate_verdict``; the test requires ``holds`` (the exact test excludes 2δ).
"""

from __future__ import annotations

import pytest

from slt_check.claims.base import RateCase, pytest_params
from slt_check.claims.success import R10_CASES, run_r10


@pytest.mark.claim("R10")
@pytest.mark.parametrize("case", pytest_params(R10_CASES))
def test_rate(case: RateCase) -> None:
    v = run_r10(case)
    assert v.verdict == "holds", str(v)
