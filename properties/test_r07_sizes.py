"""Claim group: sizes and scaling.

* **P-size** (confirmed: "a logarithmic factor … number of neurons per weight"; constants ours):
  ``#neurons(G) = Σ n_i + W·N_w`` (per_weight; ``Σ n_i + N_w Σ n_{i−1}`` per_input), counted on every
  sampled ``G``, with ``N_w ≤ 8M ln(2MW/δ) + 1``; and the minimal working ``N_w`` *measured* on sampled
  ``G``'s (bisection, all of 3 seeds certified ≤ ε) grows by a factor ≤ 2 per decade of ε from 1e-1
  to 1e-6 (``slt_check.claims.success.SIZE_CASE``; a polynomial 1/ε law multiplies by 10).
* **P-depth** (confirmed: "logarithmic in all variables but depth"; the bound is ours): on built
  tickets of width 2 and depth ``l = 1..4``, the fewest digits ``M_min(l)`` giving certified
  ε-tickets satisfy ``M_min(l) ≤ M_min(1) + (l−1)⌈log_γ(n(w_max+1))⌉ + log_γ l + 1``
  (``DEPTH_CASE``).

The plan-only identities (M per decade, ``N_w`` formula in the plan) are unit tests in
``tests/test_minwidth.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from slt_check.claims import checks as C
from slt_check.claims import success as claims_success
from slt_check.pipeline.build import build_ticket
from slt_testing import strategies as S


@pytest.mark.claim("P-size")
@given(S.problems(max_depth=3, max_width=4))
def test_neuron_count_formula(p: dict[str, Any]) -> None:
    t = build_ticket(p["target"], p["eps"], p["delta"], p["seed"], construction="orseau",
                     sharing=p["sharing"], w_max=p["w_max"], x_max=p["x_max"], allow_failure=True)
    c = C.check_size_formula(t)
    assert c.holds, c.message()


@pytest.mark.claim("P-size")
def test_minimal_width_grows_logarithmically() -> None:
    res = claims_success.measure_size_growth()
    assert res["verdict"] == "holds", res["details"]


@pytest.mark.claim("P-depth")
def test_digits_needed_at_most_linear_in_depth() -> None:
    res = claims_success.measure_depth_digits()
    assert res["verdict"] == "holds", res["details"]
