"""Peer claims of Pensia et al. (docs/reconstruction.md#pensia), checked with the exact solver and exact coverage.

* **P-pensia-log** [3P width ``C·log(d_{i−1}d_i l/min{ε,δ})``]: the planned width is logarithmic in
  ``1/ε`` for every problem, and the *measured* minimal universal coverage ``n*(ε)`` of ``U[−1,1]``
  samples has equal increments per decade (``check_pensia_log``).
* **P-pensia-delta**: at ``N = ⌈3·log₂(2W/min(η,δ))⌉`` the ``pensia`` ticket's certified sup error
  is ≤ ε except with probability ≤ δ — a two-stage rate claim over its domain
  (``slt_check.claims.peers.RATE_CLAIMS["P-pensia-delta"]``; the ledger runs the same; the recorded
  finding ``violated`` is asserted to stand).
* **X-prec** (added): the certificate-aware selection (``precision="certificate"``) is sound — every
  ticket's certified bound is at most ``B(per-layer max deviation)`` of :mod:`slt_check.certificates.precision` —
  and, selecting to the target's per-layer ``η_i`` on pensia's own ``G``, fails w.p. ≤ δ
  (``RATE_CLAIMS["X-prec"]``; at depth 3 and ε = 1e-5: ``RATE_CLAIMS["X-prec-depth3"]``, slow).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slt_check.certificates.precision import precision_bound
from slt_check.certificates.sup_error import certified_bound, stages_of
from slt_check.claims.peers import RATE_CLAIMS, check_pensia_log
from slt_check.claims.rates import describe, profile_scale
from slt_check.pipeline.build import build_ticket
from slt_check.tickets.targets import random_target


@pytest.mark.claim("P-pensia-log")
def test_measured_coverage_is_logarithmic():
    r = check_pensia_log(n_seeds=30)
    assert r["verdict"] == "holds", r["details"]


@pytest.mark.claim("P-pensia-delta")
def test_pensia_failure_rate_over_domain() -> None:
    """A recorded finding (``expect = "violated"``): the test passes while the confirmation still
    shows the rate above δ, and fails when the verdict changes (then the finding is re-recorded)."""
    claim = RATE_CLAIMS["P-pensia-delta"]
    res = claim.result(profile_scale())
    assert res["verdict"] == claim.expected(profile_scale()), describe(res)


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


@pytest.mark.claim("X-prec")
def test_certificate_selection_failure_rate_over_domain() -> None:
    res = RATE_CLAIMS["X-prec"].result(profile_scale())
    assert res["verdict"] == "holds", describe(res)


# ------------------------------------------------------------------------------ pensia at depth 3
@pytest.mark.slow
@pytest.mark.claim("X-prec-depth3")
def test_pensia_certificate_depth3_failure_rate() -> None:
    """P(certified bound > ε) ≤ δ for pensia's certificate-aware selection at depth 3.

    Finding (docs/peers.md, "pensia at depth 3"): the per-layer budget η_i of
    :func:`slt_check.certificates.precision.layer_precisions` makes the *stage* bound ≤ (1 − 10⁻³) ε
    when every simulated weight is within η_i, but the certified bound also adds the float-evaluation
    slack of the ticket. The reference slack ``L·γ_{fan+2}·‖|W_L|⋯|W_1| x_max 1‖_∞`` has a ``|B||A|``
    gain per target layer of ``Σ|a_h b_h|`` over the kept subsets (≈ 3–5 per weight, against
    ``|w| ≈ √(2/n)``), so it multiplied by ≈ 3·n_i per added layer. At this small ε the η_i (3.6e-9 …
    6.2e-10, 28–31 bits) are also at the reach of the fixed 32-candidate window, so 160–190 weights
    miss and the stage bound spreads above its typical ≈ 0.6 ε: both parts grew with depth.

    Since the certificate bounds a pair-stage ticket's float error stage by stage
    (:func:`slt_check.certificates.stages.stagewise_float_slack`), the slack here is 3.4–3.6·10⁻⁴ ε
    (reference 0.37–0.44 ε on the same tickets), inside the budget's 10⁻³ ε reserve, and the case
    gives 3/10 failures (certified/ε 1.11, 1.65, 1.66 = the stage bound alone; the 7 others
    0.74–0.91): still far above δ (P(X ≥ 3 | δ) = 1.1·10⁻⁴), so the finding stands, now caused by the
    misses of the window only. ≈ 1.9 s CPU per seed.

    Before (reference slack): exploratory (other seeds: target seeds 77–79, G seeds 0–2): certified/ε =
    1.17, 1.23, 1.18 = stage 0.79–0.84 + slack 0.38–0.39; the depth-2 target of equal parameter count
    (64-40-4) gave 0.60–0.72 with slack 0.005. This case, first run: 10/10 failures (p = 1e-20 against
    δ), certified/ε 1.15–2.08 = stage 0.74–1.66 + slack 0.37–0.44 (stage alone > ε on 3 seeds). At
    784-300-100-10, ε = 1e-2, seed 3 (the reported case): certified 0.0277 = stage 0.0060 + slack
    0.0217, 804 missed weights — the slack alone was 2.2 ε (docs/peers.md for the number now).
    """
    claim = RATE_CLAIMS["X-prec-depth3"]
    res = claim.result(profile_scale())
    assert res["verdict"] == claim.expected(profile_scale()), describe(res)
