"""Claim group: greedy base-γ digits (our reconstruction).

* **R2** (base 3/2 confirmed; the greedy guarantee is reconstructed): for ``M ∈ [1, 40]``, any digits
  ``v_k ∈ [γ^{-k}, γ^{1-k}]`` (endpoints included) and ``u ∈ [0, 1/(γ−1)]``, the greedy rule
  (keep ``v_k`` iff it fits in the residual) ends with ``0 ≤ r ≤ γ^{-M}/(γ−1)`` (1e-12 relative float
  slack) and ``Σ_kept v_k = u − r``, for ``γ ∈ {1.2, 3/2, φ}`` (it works iff ``γ(γ−1) ≤ 1``).
* **R2b** (base 2 fails): ``γ = 2``, ``v_1 = 1``, ``v_k = 2^{-k}`` (``k ≥ 2``), ``u = 0.999``: the residual
  is ``≥ 0.49`` for every ``M ≤ 50``, so the R2 check reports a violation.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given

from slt_check.claims import checks as C
from slt_check.core import bounds
from slt_testing import strategies as S


def _case(gamma: float, frac: float, u: float, M: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(1, M + 1, dtype=np.float64)
    return np.array([u]), (gamma ** (frac - k))[None, :]


@pytest.mark.claim("R2")
@pytest.mark.parametrize("gamma", [1.2, bounds.GAMMA, bounds.PHI], ids=["1.2", "3/2", "phi"])
def test_greedy_digits_residual(gamma: float) -> None:
    @given(S.digit_cases(gamma))
    @example(_case(gamma, 0.0, 1.0 / (gamma - 1.0), 40))  # all digits at their lower end, u maximal
    @example(_case(gamma, 1.0, 1.0 / (gamma - 1.0), 40))  # all digits at their upper end
    @example(_case(gamma, 0.0, 0.0, 1))
    @example(_case(gamma, 1.0, 1.0, 1))
    def prop(case: tuple[np.ndarray, np.ndarray]) -> None:
        u, v = case
        c = C.check_greedy_digits(u, v, gamma)
        assert c.holds, c.message()
        S.hunt(c.details["worst_residual"] / c.details["bound"], "residual/bound")

    prop()


@pytest.mark.claim("R2b")
@pytest.mark.parametrize("M", range(2, 51))
def test_base_two_counterexample(M: int) -> None:
    u, v = C.base2_counterexample(M)
    c = C.check_greedy_digits(u, v, 2.0, claim="R2b")
    assert c.details["worst_residual"] >= 0.49, c.message()
    assert not c.holds, "base 2 should violate the R2 residual bound"
