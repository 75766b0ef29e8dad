"""Peer claims of Pensia et al. (anchors.md A2), checked with the exact solver and exact coverage.

* **P-pensia-log** [3P width ``C·log(d_{i−1}d_i l/min{ε,δ})``]: the planned width is logarithmic in
  ``1/ε`` for every problem, and the *measured* minimal universal coverage ``n*(ε)`` of ``U[−1,1]``
  samples has equal increments per decade (``check_pensia_log``).
* **P-pensia-delta**: at ``N = ⌈3·log₂(2W/min(η,δ))⌉`` the ``pensia`` ticket's certified sup error
  is ≤ ε except with probability ≤ δ (exact binomial test over a pre-registered seed grid).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.claims_peers import check_pensia_delta, check_pensia_log
from slt_check.constructions import Problem, get_construction
from slt_check.constructions.pensia import PENSIA_C


@pytest.mark.claim("P-pensia-log")
@given(
    widths=st.lists(st.integers(1, 8), min_size=2, max_size=5),
    delta=st.floats(1e-4, 0.5),
    w_max=st.floats(0.1, 10.0),
)
def test_planned_width_grows_by_a_constant_per_decade(widths, delta, w_max):
    """N(ε/10) − N(ε) ≤ C·log₂10 + 1 for ε ∈ 1e-1…1e-10 (logarithmic, never polynomial)."""
    con = get_construction("pensia")
    Ns = [con.plan(Problem(tuple(widths), 10.0**-k, delta, w_max=w_max))["n_samples"]
          for k in range(1, 11)]
    assert all(b - a <= PENSIA_C * math.log2(10) + 1 for a, b in zip(Ns[:-1], Ns[1:], strict=False))
    assert all(b >= a for a, b in zip(Ns[:-1], Ns[1:], strict=False))


@pytest.mark.claim("P-pensia-log")
def test_measured_coverage_is_logarithmic():
    r = check_pensia_log(n_seeds=30)
    assert r["verdict"] == "holds", r["details"]


@pytest.mark.claim("P-pensia-delta")
def test_pensia_failure_rate_at_most_delta():
    r = check_pensia_delta(n_seeds=20)
    assert r["verdict"] == "holds", r["details"]
