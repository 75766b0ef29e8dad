"""Claim group: weight distributions (our reconstruction).

* **R1** (hyperbolic interval law, law named by [3P] summaries): for ``w ~ p_h(α, β)``,
  ``p_h(w) = 1/(2|w| ln(β/α))`` on ``α ≤ |w| ≤ β``: ``P(|w| ∈ [a, γa]) = ln γ / ln(β/α)`` for every
  ``[a, γa] ⊆ [α, β]`` (frequency within ``5 sqrt(q(1−q)/n)``), ``P(w > 0) = ½`` (within ``5/(2√n)``),
  ``α ≤ |w| ≤ β`` always; scale invariance: ``ln|w|`` uniform on ``[ln α, ln β]`` (KS test, α = 1e-6).
* **R7** (product of two hyperbolics): with ``α = √w_max γ^{-3M/4}``, ``β = √w_max γ^{M/4}``, every tile
  ``P(|ab| ∈ T_k) ≥ 1/(2M)`` and every category ``(sign a, sign ab, k)`` ``≥ 1/(8M)`` (frequencies of
  ``n = 4·10^6`` pairs, tolerance 5σ).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slt_check.claims import checks as C
from slt_check.claims.catalog import R7_CASES, run_r7
from slt_check.core.laws import Hyperbolic

N_R1 = 10**6


@pytest.mark.claim("R1")
@given(
    log_alpha=st.floats(-8.0, 1.0),
    log_span=st.floats(math.log10(1.5) + 1e-6, 8.0),
    positions=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
@example(log_alpha=-4.0, log_span=4.0, positions=[0.0, 0.25, 0.6, 1.0], seed=0)  # the paper's own example values (docs/reconstruction.md#r1)
@example(log_alpha=0.0, log_span=math.log10(1.5) + 1e-6, positions=[0.0, 1.0], seed=1)  # [α, γα] ≈ support
def test_hyperbolic_interval_law(log_alpha: float, log_span: float, positions: list[float], seed: int) -> None:
    alpha = 10.0**log_alpha
    law = Hyperbolic(alpha, alpha * 10.0**log_span)
    lo, hi = math.log(law.alpha), math.log(law.beta / 1.5)
    a_values = [min(math.exp(lo + p * (hi - lo)), law.beta / 1.5) for p in positions]
    a_values = [max(a, law.alpha) for a in a_values]
    c = C.check_hyperbolic_intervals(law, a_values, N_R1, np.random.default_rng(seed))
    assert c.holds, c.message()


@pytest.mark.claim("R1")
@given(log_alpha=st.floats(-8.0, 1.0), log_span=st.floats(0.5, 8.0), seed=st.integers(0, 2**32 - 1))
def test_hyperbolic_log_uniform(log_alpha: float, log_span: float, seed: int) -> None:
    law = Hyperbolic(10.0**log_alpha, 10.0 ** (log_alpha + log_span))
    c = C.check_scale_invariance(law, 10**5, np.random.default_rng(seed), alpha=C.ALPHA_PER_TEST)
    assert c.holds, c.message()


@pytest.mark.claim("R7")
@pytest.mark.parametrize(("M", "w_max"), R7_CASES)
def test_product_tile_probabilities(M: int, w_max: float) -> None:
    c = run_r7(M, w_max)
    assert c.holds, c.message()
