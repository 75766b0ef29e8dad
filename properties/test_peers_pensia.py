"""Peer claims of Pensia et al. (docs/reconstruction.md#pensia), checked with the exact solver and exact coverage.

* **P-pensia-log** [3P width ``C·log(d_{i−1}d_i l/min{ε,δ})``]: the planned width is logarithmic in
  ``1/ε`` for every problem, and the *measured* minimal universal coverage ``n*(ε)`` of ``U[−1,1]``
  samples has equal increments per decade (``check_pensia_log``).
* **P-pensia-delta**: at ``N = ⌈3·log₂(2W/min(η,δ))⌉`` the ``pensia`` ticket's certified sup error
  is ≤ ε except with probability ≤ δ — a two-stage rate claim over its domain
  (``slt_check.claims.peers.RATE_CLAIMS["P-pensia-delta"]``, run by ``properties/test_rate_claims.py``
  and the ledger alike; the recorded finding ``violated`` is asserted to stand).
* **X-prec** (added): the certificate-aware selection (``precision="certificate"``) is sound — every
  ticket's certified bound is at most ``B(per-layer max deviation)`` of :mod:`slt_check.certificates.precision` —
  and, selecting to the target's per-layer ``η_i`` on pensia's own ``G``, fails w.p. ≤ δ
  (``RATE_CLAIMS["X-prec"]``; at depth 3 and ε = 1e-5: ``RATE_CLAIMS["X-prec-depth3"]``, slow; both
  run by ``properties/test_rate_claims.py``; the depth-3 finding is explained in docs/peers.md).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slt_check.certificates.precision import precision_bound
from slt_check.certificates.sup_error import certified_bound, stages_of
from slt_check.claims.peers import check_pensia_log
from slt_check.pipeline.build import build_ticket
from slt_check.tickets.targets import random_target


@pytest.mark.claim("P-pensia-log")
def test_measured_coverage_is_logarithmic():
    r = check_pensia_log(n_seeds=30)
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
    assert cert.bound <= precision_bound(F, cert.weight_err, 1.0) * (1 + 1e-9) + cert.slack


# ------------------------------------------------------------------------------ pensia at depth 3
