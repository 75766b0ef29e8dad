"""Claim group: invariances (our reconstruction).

* **R-scale** (scaling covariance, one weight): with hyperbolic weights drawn through
  ``|w| = α(β/α)^U`` from fixed ``U``'s and signs, replacing ``(w, w_max, α, β)`` by
  ``(cw, c·w_max, √c α, √c β)``, ``c = 4^k`` (exact in binary floating point), with the same ``M``,
  selects exactly the same neurons in both halves and multiplies ``ŵ^±`` by ``c`` exactly.
* **R-outrelu** (invariance to an output ReLU): R8 holds with a ReLU on the last layer; and for the
  same ``G`` seed the construction selects the same mask with or without the output ReLU, whose
  pointwise error is then never larger (σ is 1-Lipschitz).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slt_check.claims import checks as C
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.build import build_ticket
from slt_testing import strategies as S


def _pin(w: float, w_max: float, M: int, N: int, k: int) -> dict[str, Any]:
    rng = np.random.default_rng(M * 1000 + N)
    return {"w": w, "w_max": w_max, "M": M, "u": rng.random((2, N)),
            "signs": rng.integers(0, 2, (2, N)) * 2 - 1, "k": k}


@pytest.mark.claim("R-scale")
@given(S.scaling_cases())
@example(_pin(0.0, 1.0, 10, 100, 1))
@example(_pin(1.0, 1.0, 20, 400, -3))
@example(_pin(-0.3e-8, 0.3, 30, 400, 6))
def test_scaling_covariance(case: dict[str, Any]) -> None:
    c = C.check_scaling(case["w"], case["w_max"], case["M"], case["u"], case["signs"], case["k"])
    assert c.holds, c.message()


@pytest.mark.claim("R-outrelu")
@given(S.targets(output_relu=True), st.floats(-8.0, 0.0), S.seeds())
def test_propagation_with_output_relu(case: tuple[ReLUNet, float, float], log_eta: float, seed: int) -> None:
    F, _, x_max = case
    c = C.check_propagation(F, 10.0**log_eta, x_max, np.random.default_rng(seed), claim="R-outrelu")
    assert c.holds, c.message()


@pytest.mark.claim("R-outrelu")
@given(S.problems(max_depth=3, max_width=4, output_relu=False))
def test_output_relu_same_mask_smaller_error(p: dict[str, Any]) -> None:
    F = p["target"]
    F_relu = ReLUNet(F.weights, output_relu=True)
    kw = {"construction": "orseau", "sharing": p["sharing"], "w_max": p["w_max"], "x_max": p["x_max"],
          "allow_failure": True}
    t0 = build_ticket(F, p["eps"], p["delta"], p["seed"], **kw)
    t1 = build_ticket(F_relu, p["eps"], p["delta"], p["seed"], **kw)
    assert all(np.array_equal(a, b) for a, b in zip(t0.masks, t1.masks, strict=True))
    X = np.random.default_rng(p["seed"]).uniform(-p["x_max"], p["x_max"], (256, F.n_in))
    e0 = np.max(np.abs(F(X) - t0.network()(X)), axis=1)
    e1 = np.max(np.abs(F_relu(X) - t1.network()(X)), axis=1)
    assert np.all(e1 <= e0), f"ReLU output increased the error: {float(np.max(e1 - e0))}"

