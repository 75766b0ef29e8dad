"""Claim group: one target weight (shared/paper.md §3.2, §8 items 5, 6, 7).

* **R3** (ReLU pair identity, confirmed by Review 1): for all floats ``a ≠ 0, b, x``:
  ``b σ(a x) = (ab) σ(x)`` if ``a > 0`` and ``−(ab) σ(−x)`` if ``a < 0`` (within 1e-12 relative);
  two halves: ``|ŵ⁺σ(x) − ŵ⁻σ(−x) − w x| ≤ max|ŵ^± − w|·|x|``.
* **R4** (one weight, reconstructed): ``w ∈ [−w_max, w_max]`` (incl. 0, ±w_max, tiny), one product per
  tile ``T_k`` with the sign of ``w``, greedy selection ⇒ ``sign(ŵ) ∈ {sign w, 0}``, ``|ŵ| ≤ |w|``,
  ``|w| − |ŵ| ≤ w_max γ^{-M}/(γ−1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slt_check import checks as C
from slt_check import strategies as S


@pytest.mark.claim("R3")
@given(S.relu_triples())
@example((1.0, 1.0, 0.0))
@example((-1e-100, 3.0, -1e100))
@example((5e-324, -1.0, 1.0))
def test_relu_pair_identity(abx: tuple[float, float, float]) -> None:
    a, b, x = abx
    c = C.check_relu_pair(np.array([a]), np.array([b]), np.array([x]))
    assert c.holds, c.message()


@pytest.mark.claim("R3")
@given(w=st.floats(-4, 4), dp=st.floats(-1, 1), dm=st.floats(-1, 1), x=st.floats(-10, 10))
@example(w=0.0, dp=0.0, dm=0.0, x=0.0)
def test_two_halves(w: float, dp: float, dm: float, x: float) -> None:
    c = C.check_two_halves(np.array([w]), np.array([w + dp]), np.array([w + dm]), np.array([x]))
    assert c.holds, c.message()


def _pin(w: float, w_max: float, M: int, frac: float) -> dict[str, Any]:
    return {"w": w, "w_max": w_max, "M": M, "frac": np.full(M, frac)}


@pytest.mark.claim("R4")
@given(S.one_weight_cases())
@example(_pin(0.0, 1.0, 10, 0.5))
@example(_pin(1.0, 1.0, 40, 0.0))
@example(_pin(-2.5, 2.5, 40, 0.999999))
@example(_pin(1e-8, 1.0, 40, 0.0))
@example(_pin(-0.3e-8, 0.3, 1, 0.5))
def test_one_weight(case: dict[str, Any]) -> None:
    p = C.one_weight_products(case["w"], case["w_max"], case["M"], case["frac"])
    c = C.check_one_weight(case["w"], p, case["w_max"], case["M"])
    assert c.holds, c.message()
    S.hunt(c.details["gap"] / c.details["bound"], "gap/bound")
