"""Peer claim of Malach et al. (docs/reconstruction.md#malach): the pair baseline is polynomial in 1/ε.

* **P-malach-poly**: the exact pair probability ``p(w)`` makes the plan's ``N = ⌈ln(K/δ)/p_min⌉``
  grow ×10 per decade of η for interior weights (``s² = 2w_max``) and ×100 at the edge of the
  product law (``s² = w_max``: the "1/ε²" of Orseau et al.'s Fig. 1); measured: the pair search at
  ``N`` misses the worst weight w.p. ≤ δ (the rate claim
  ``slt_check.claims.peers.RATE_CLAIMS["P-malach-poly"]``, over weights at the edge and inside the
  product law's range, η over two decades and δ ∈ {0.1, 0.02}, in two stages: run by
  ``properties/test_rate_claims.py`` and the ledger alike), and the mean first-hit index grows ≥ ×3 per decade (``check_malach_growth``).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.claims.peers import check_malach_growth
from slt_check.constructions.malach import pair_samples, pair_success_prob


@pytest.mark.claim("P-malach-poly")
@given(eta=st.floats(1e-7, 1e-3), w_max=st.floats(0.1, 10.0), K=st.integers(1, 10**4))
def test_planned_samples_are_polynomial(eta, w_max, K):
    s_in, s_edge = math.sqrt(2 * w_max), math.sqrt(w_max)
    r_in = pair_samples(s_in, w_max, eta / 10, K, 0.05)[0] / pair_samples(s_in, w_max, eta, K, 0.05)[0]
    assert 9.0 <= r_in <= 11.0
    p1, p10 = pair_success_prob(w_max, eta, s_edge), pair_success_prob(w_max, eta / 10, s_edge)
    assert 95.0 <= p1 / p10 <= 105.0


@pytest.mark.claim("P-malach-poly")
def test_measured_pair_search_is_polynomial():
    r = check_malach_growth(n_seeds=30)
    assert r["verdict"] == "holds", r["details"]
