"""Claims **P-main** and **R10** (one two-stage rate claim, ``slt_check.claims.success.PMAIN_RATE``, run by
``properties/test_rate_claims.py``) and **R9**, **X-layer**, **X-cert** (∀, on the pre-registered grid of problems
``slt_check.claims.success.PMAIN_CASE``: 251 problems, depth 1–3, widths ≤ 4, both sharings, output
ReLU on/off, each with its own ``G`` at the formula width; the ledger reads the same runs).

* **P-main / R10**: for every target of the domain (shapes up to ``n_0 = 8`` and depth 3, ε over three
  decades, δ ∈ {0.1, 0.02}, four weight families, both sharings, three ``(w_max, x_max)``, output ReLU
  on/off), ``P(no ε-ticket) ≤ δ`` — screened over the profile's grid, the worst cells confirmed on
  fresh seeds with ``n_for_power(δ, α)`` draws each; verdict ``holds`` required in every confirmed
  cell (the worst one decides).
* **R9** (∀, conditional): every covered draw (``ticket.ok``) has certified sup error ≤ ε.
* **X-layer** (∀): every covered draw's per-layer deviations are ≤ the R4 bound ≤ η and each
  stage's certified error ≤ R8's recursion.
* **X-cert** (∀): found ≤ certified on every draw.
"""

from __future__ import annotations

import pytest

from slt_check.claims import success as S


@pytest.mark.claim("R9")
def test_covered_draws_are_eps_tickets() -> None:
    res = S.measure_r9()
    assert res["verdict"] == "holds", [c for c in res["details"].get("checks", []) if not c["holds"]][:5]


@pytest.mark.claim("X-layer")
def test_layer_budget_on_grid() -> None:
    res = S.measure_xlayer()
    assert res["verdict"] == "holds", [c for c in res["details"].get("checks", []) if not c["holds"]][:5]


@pytest.mark.claim("X-cert")
def test_found_never_above_certified() -> None:
    res = S.measure_xcert()
    assert res["verdict"] == "holds", [c for c in res["details"].get("checks", []) if not c["holds"]][:5]
