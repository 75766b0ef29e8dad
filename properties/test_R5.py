"""Claim **R5** as a two-stage rate claim: ``slt_check.claims.sampling.RATE_CLAIMS["R5"]`` states its
domain; the screen runs every cell of the grid of the profile's scale (``ci``: the full factorial
of the domain), the confirmation re-runs the worst cells (at least three, and every cell whose
screen rate exceeds δ) with ``n_for_power(δ, α)`` fresh seeds; ``slt-check ledger`` runs the same.
The test requires the verdict ``holds`` (the exact one-sided test excludes a rate 2δ in every
confirmed cell, at the Bonferroni level of :func:`slt_check.core.screening.confirmation_alpha`).
"""

from __future__ import annotations

import pytest

from slt_check.claims.rates import describe, profile_scale
from slt_check.claims.sampling import RATE_CLAIMS


@pytest.mark.claim("R5")
def test_rate_over_domain() -> None:
    res = RATE_CLAIMS["R5"].result(profile_scale())
    assert res["verdict"] == "holds", describe(res)
