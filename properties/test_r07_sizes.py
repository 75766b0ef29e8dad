"""Claim group: sizes and scaling (shared/paper.md §3.3–§3.4, §8 items 15, 16).

* **P-size** (confirmed: "a logarithmic factor … number of neurons per weight"): ``#neurons(G) =
  Σ n_i + W·N_w`` (per_weight; ``Σ n_i + N_w Σ n_{i−1}`` per_input), as planned, with
  ``N_w ≤ 8M ln(2MW/δ) + 1``; per decade of ε, ``M`` grows by at most ``⌈log_γ 10⌉`` digits, and the growth
  of ``N_w`` over the last three decades of ε ∈ [1e-12, 1e-1] is at most that over the first three (a
  polynomial in ``1/ε`` would keep it constant at ``10^{3c}``).
* **P-depth** (confirmed: "logarithmic in all variables but depth"): for fixed widths ``n``,
  ``M(l) ≤ M(1) + (l−1)⌈log_γ(n(w_max+1))⌉ + log_γ l + 1`` — at most linear in ``l``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check import checks as C
from slt_check import strategies as S
from slt_check.constructions.base import build_ticket


@pytest.mark.claim("P-size")
@given(S.problems(max_depth=3, max_width=4))
def test_neuron_count_formula(p: dict[str, Any]) -> None:
    t = build_ticket(p["target"], p["eps"], p["delta"], p["seed"], construction="orseau",
                     sharing=p["sharing"], w_max=p["w_max"], x_max=p["x_max"], allow_failure=True)
    c = C.check_size_formula(t)
    assert c.holds, c.message()


@pytest.mark.claim("P-size")
@given(S.widths(), S.w_maxes(), S.x_maxes(), S.deltas())
def test_logarithmic_growth_in_inverse_eps(ws: tuple[int, ...], w_max: float, x_max: float, delta: float) -> None:
    c = C.check_log_growth(ws, w_max, x_max, delta, [10.0**-k for k in range(1, 13)])
    assert c.holds, c.message()


@pytest.mark.claim("P-depth")
@given(st.integers(1, 8), S.w_maxes(), S.x_maxes(), S.epsilons(), S.deltas())
def test_depth_at_most_linear(n: int, w_max: float, x_max: float, eps: float, delta: float) -> None:
    c = C.check_depth_linear(n, w_max, x_max, eps, delta, 8)
    assert c.holds, c.message()
