"""Claim group: one target weight (our reconstruction).

* **R3** (ReLU pair identity, confirmed by Review 1): for all floats ``a ≠ 0, b, x``:
  ``b σ(a x) = (ab) σ(x)`` if ``a > 0`` and ``−(ab) σ(−x)`` if ``a < 0`` (within 1e-12 relative);
  two halves: ``|ŵ⁺σ(x) − ŵ⁻σ(−x) − w x| ≤ max|ŵ^± − w|·|x|``.
* **R4** (one weight, reconstructed): ``w ∈ [−w_max, w_max]`` (incl. 0, ±w_max, tiny), one product per
  tile ``T_k`` with the sign of ``w``, greedy selection ⇒ ``sign(ŵ) ∈ {sign w, 0}``, ``|ŵ| ≤ |w|``,
  ``|w| − |ŵ| ≤ w_max γ^{-M}/(γ−1)`` whenever the rule sees a product in every tile.
* **X-tile-edge** (implementation check, found and fixed): a product exactly on the lower edge
  ``w_max γ^{-k}`` of its tile is classified into tile ``k`` by ``digits.tile_index`` (it used to go
  to ``k+1``, losing digit ``k`` and breaking the R4 bound; thorough-profile counterexample
  ``w = 0.15625, w_max = 0.3, M = 21``, pinned with ``@example``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slt_check.claims import checks as C
from slt_testing import strategies as S


@pytest.mark.claim("R3")
@given(S.relu_triples())
@example((1.0, 1.0, 0.0))
@example((-1e-100, 3.0, -1e100))
@example((5e-324, -1.0, 1.0))
@example((8.038927322995449e-121, 4.2983322261588696e16, 1.075071821429287e-194))  # subnormal a·x (thorough)
def test_relu_pair_identity(abx: tuple[float, float, float]) -> None:
    a, b, x = abx
    c = C.check_relu_pair(np.array([a]), np.array([b]), np.array([x]))
    assert c.holds, c.message()


@pytest.mark.claim("R3")
@given(w=st.floats(-4, 4), dp=st.floats(-1, 1), dm=st.floats(-1, 1), x=st.floats(-10, 10))
@example(w=0.0, dp=0.0, dm=0.0, x=0.0)
@example(w=1.0, dp=0.5, dm=0.0, x=5e-324)  # subnormal x (thorough profile)
def test_two_halves(w: float, dp: float, dm: float, x: float) -> None:
    c = C.check_two_halves(np.array([w]), np.array([w + dp]), np.array([w + dm]), np.array([x]))
    assert c.holds, c.message()

TILE_EDGE_CASE = {"w": 0.15625, "w_max": 0.3, "M": 21,
                  "frac": np.array([0.0, 0.5] + [0.0] * 6 + [0.5] + [0.0] * 12)}


def _pin(w: float, w_max: float, M: int, frac: float) -> dict[str, Any]:
    return {"w": w, "w_max": w_max, "M": M, "frac": np.full(M, frac)}


@pytest.mark.claim("R4")
@given(S.one_weight_cases())
@example(_pin(0.0, 1.0, 10, 0.5))
@example(_pin(1.0, 1.0, 40, 0.0))
@example(_pin(-2.5, 2.5, 40, 0.999999))
@example(_pin(1e-8, 1.0, 40, 0.0))
@example(_pin(-0.3e-8, 0.3, 1, 0.5))
@example(dict(TILE_EDGE_CASE))  # thorough-profile counterexample of the old ⌊·⌋+1 tile_index
def test_one_weight(case: dict[str, Any]) -> None:
    p = C.one_weight_products(case["w"], case["w_max"], case["M"], case["frac"])
    c = C.check_one_weight(case["w"], p, case["w_max"], case["M"])
    assert c.holds, c.message()
    S.hunt(c.details["gap"] / c.details["bound"], "gap/bound")


@pytest.mark.claim("X-tile-edge")
@given(
    w_frac=st.floats(0.0, 1.0),
    w_max=st.sampled_from([0.3, 1.0, 2.5, 1e-3]),
    M=st.integers(1, 40),
    on_edge=st.lists(st.booleans(), min_size=40, max_size=40),
)
@example(w_frac=0.15625 / 0.3, w_max=0.3, M=21, on_edge=[True] * 40)  # was the X-tile-edge finding
def test_tile_edge_products_are_classified_into_their_tile(w_frac, w_max, M, on_edge) -> None:
    """Formerly a strict xfail: ``tile_index`` used ⌊log_γ(w_max/|p|)⌋+1 and put exact lower-edge
    products into the next tile (gap 1.30e-4 > bound 1.20e-4 at w=0.15625, w_max=0.3, M=21).
    Fixed to ⌈·⌉ with exact-edge handling; this property keeps it fixed."""
    frac = np.where(np.array(on_edge[:M]), 0.0, 0.5)
    c = C.check_tile_edge(w=w_frac * w_max, w_max=w_max, M=M, frac=frac)
    assert c.holds, c.message()

