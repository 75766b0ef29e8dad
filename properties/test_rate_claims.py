"""Every probability claim of the registry, measured in two stages — one parametrised test.

The parameters are read from :func:`slt_check.claims.registry.rate_claims`: the suite's rate claims
(R5, R6, R12, P-main = R10, B-bias, the peers', C-conv-delta, S-search) and those of every installed
plugin. Each :class:`~slt_check.claims.rates.RateClaim` states its domain; the test screens every
cell of the grid of the Hypothesis profile's scale (``dev`` → smoke, ``ci`` → ci, ``thorough`` →
full), confirms the worst cells (at least three, and every cell whose screen rate exceeds δ) on fresh
pre-registered seeds with ``n_for_power(δ, α)`` draws each, and asserts the claim's pre-registered
verdict: ``holds`` (the exact one-sided test excludes a rate 2δ in every confirmed cell, at the
Bonferroni level of :func:`slt_check.core.screening.confirmation_alpha`), or a recorded finding
(``violated``) that must still stand — the test fails when the verdict changes either way.
``slt-check ledger`` runs the same two stages.

A claim whose run at the profile's scale is long is marked ``slow`` there (``RateClaim.slow_at``); its
``fallback`` scale is then run by the default suite instead. A claim whose trial needs an optional
module (``RateClaim.requires``) is skipped, saying which, where it is missing.
"""

from __future__ import annotations

import importlib.util

import pytest

from slt_check.claims.rates import RateClaim, describe, profile_scale
from slt_check.claims.registry import rate_claims


def _params() -> list[object]:
    scale = profile_scale()
    out = []
    for rid, (rate, claim_ids) in rate_claims().items():
        marks = [pytest.mark.claim(cid) for cid in claim_ids]
        missing = [m for m in rate.requires if importlib.util.find_spec(m) is None]
        if missing:
            marks.append(pytest.mark.skip(reason=f"{rid} needs {', '.join(missing)} (not installed)"))
        for sc, slow in rate.test_scales(scale):
            out.append(pytest.param(rate, sc, id=f"{rid}@{sc}", marks=[*marks, *([pytest.mark.slow] if slow else [])]))
    return out


@pytest.mark.parametrize(("rate", "scale"), _params())
def test_rate_claim_over_its_domain(rate: RateClaim, scale: str) -> None:
    res = rate.result(scale)
    want = rate.expected(scale)
    if want is None:  # a borderline claim not yet recorded at this scale: any verdict but vacuous
        assert res["verdict"] != "vacuous", describe(res)
    else:
        assert res["verdict"] == want, f"expected {want!r}: {rate.why or ''}\n" + describe(res)
