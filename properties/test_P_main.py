"""Claims **P-main**, **R9**, **X-layer**, **X-cert** on one pre-registered grid of problems
(``slt_check.claims.success.PMAIN_CASE``: 251 problems, depth 1–3, widths ≤ 4, both sharings,
output ReLU on/off, ``ε ∈ {1e-1, 1e-2, 1e-4}``, ``δ = 0.1``, each with its own ``G`` at the formula
width). The ledger's measures read the same runs (``grid_runs``).

* **P-main**: ``P(no certified ε-ticket) ≤ δ`` — exact binomial test, verdict ``holds`` required
  (power ≥ 0.9 to flag a rate 2δ).
* **R9** (∀, conditional): every covered draw (``ticket.ok``) has certified sup error ≤ ε.
* **X-layer** (∀): every covered draw's per-layer deviations are ≤ the R4 bound ≤ η and each
  stage's certified error ≤ R8's recursion.
* **X-cert** (∀): found ≤ certified on every draw.
"""

from __future__ import annotations

import pytest

from slt_check.claims import success as S


@pytest.mark.claim("P-main")
def test_success_rate_on_grid() -> None:
    res = S.measure_pmain_rate()
    assert res["verdict"] == "holds", res["details"]["rate_tests"]


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
