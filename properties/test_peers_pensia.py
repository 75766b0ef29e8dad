"""Peer claims of Pensia et al. (anchors.md A2), checked with the exact solver and exact coverage.

* **P-pensia-log** [3P width ``C·log(d_{i−1}d_i l/min{ε,δ})``]: the planned width is logarithmic in
  ``1/ε`` for every problem, and the *measured* minimal universal coverage ``n*(ε)`` of ``U[−1,1]``
  samples has equal increments per decade (``check_pensia_log``).
* **P-pensia-delta**: at ``N = ⌈3·log₂(2W/min(η,δ))⌉`` the ``pensia`` ticket's certified sup error
  is ≤ ε except with probability ≤ δ (exact binomial test over a pre-registered seed grid).
* **X-prec** (added): the certificate-aware selection (``precision="certificate"``) is sound — every
  ticket's certified bound is at most ``B(per-layer max deviation)`` of :mod:`slt_check.precision` —
  and, selecting to the target's per-layer ``η_i`` on pensia's own ``G``, fails w.p. ≤ δ.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slt_check.certify import certified_bound, stages_of
from slt_check.claims_peers import check_pensia_delta, check_pensia_log, check_precision_certificate
from slt_check.constructions import Problem, build_ticket, get_construction
from slt_check.constructions.pensia import PENSIA_C
from slt_check.precision import precision_bound
from slt_check.targets import random_target


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


@pytest.mark.claim("X-prec")
@settings(deadline=None)
@given(
    widths=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    seed=st.integers(0, 2**31),
    eps=st.sampled_from([1e-1, 1e-2, 1e-3]),
    family=st.sampled_from(["uniform", "kaiming", "corners"]),
)
def test_certificate_bounded_by_precision_bound(widths, seed, eps, family):
    """∀ tickets: certified ≤ B(max per-layer deviation) + float slack (B is what the selection
    tolerance is solved from, so "all weights within η_i" implies the certificate's budget)."""
    F = random_target(widths, 1.0, seed, family=family)
    t = build_ticket(F, eps, 0.1, seed=seed % 1000, construction="pensia", allow_failure=True,
                     n_samples=12, window=12)
    cert = certified_bound(F, t.weights, stages_of(t), 1.0)
    assert cert["bound"] <= precision_bound(F, cert["weight_err"], 1.0) * (1 + 1e-9) + cert["slack"]


@pytest.mark.claim("X-prec")
def test_certificate_selection_failure_rate_at_most_delta():
    r = check_precision_certificate(n_seeds=20)
    assert r["verdict"] == "holds", r["details"]
