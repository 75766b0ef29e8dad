"""Peer claim of Burkholz (NeurIPS 2022; docs/reconstruction.md#burkholz): depth L+1 suffices.

* **P-burkholz-depth**, ∀ part: for every target of depth ``L`` (1–3) the ``burkholz`` ticket has
  depth ``L + 1``, widths ``(n_0, 2ρn_0, ρn_1, …, ρn_{L−1}, n_L)``, is ``G ⊙ mask`` bit for bit, and
  its success flag is the certificate's (``ok ⇔ certified ≤ ε``, at the ticket's own ε).
* **P-burkholz-depth**, probability part: at the plan width, ``P(no certified ε-ticket) ≤ δ`` over
  its domain (``slt_check.claims.peers.RATE_CLAIMS["P-burkholz-depth"]``), in two stages, run by
  ``properties/test_rate_claims.py`` (the ci grid takes about 10 minutes on 2 cores, so it is slow
  there and the default run measures the smoke grid) and the ledger alike.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.certificates.sup_error import certified_bound, stages_of
from slt_check.constructions.burkholz import burkholz_widths
from slt_check.pipeline.build import build_ticket
from slt_check.pipeline.verify import verify_ticket
from slt_check.tickets.targets import random_target


@pytest.mark.claim("P-burkholz-depth")
@given(
    widths=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    seed=st.integers(0, 2**31 - 1),
    rho=st.integers(2, 10),
    eps=st.sampled_from([0.3, 0.1, 0.03]),
)
def test_depth_is_L_plus_1(widths, seed, rho, eps):
    F = random_target(widths, 1.0, seed % 1000, family="uniform")
    t = build_ticket(F, eps, 0.1, seed, construction="burkholz", rho=rho, window=2 * rho,
                     allow_failure=True)
    verify_ticket(t)
    assert t.G.depth == len(widths)  # L + 1
    assert tuple(t.G.widths) == burkholz_widths(tuple(widths), rho)
    cert = certified_bound(F, t.weights, stages_of(t), 1.0).bound
    assert t.ok == (cert <= eps)


