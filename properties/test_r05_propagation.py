"""Claim group: error propagation (our reconstruction).

* **R8**: if ``|Ŵ^±_i − W_i| ≤ η`` entrywise (the two halves perturbed independently), then for ``x`` in
  the box (random points and corners) ``‖F(x) − Ĝ(x)‖_∞ ≤ e_l ≤ η l x_max Π n_{i−1}(w_max+1)`` with
  ``B_0 = x_max``, ``B_i = ‖W_i‖_{∞→∞}B_{i−1}``, ``e_i = (‖W_i‖ + η n_{i−1}) e_{i−1} + η n_{i−1} B_{i−1}``;
  with and without output ReLU.
* **X-layer** (added): in a built ticket, per layer ``max|ŵ^± − w| ≤ w_max γ^{-M}/(γ−1) ≤ η`` (recomputed
  from the kept weights) and each stage's certified error ``≤`` R8's recursion with those deviations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slt_check.certificates.sup_error import sup_error
from slt_check.claims import checks as C
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.build import build_ticket
from slt_check.tickets.targets import random_target
from slt_testing import strategies as S


@pytest.mark.claim("R8")
@given(S.targets(), st.floats(-8.0, 0.0), S.seeds())
@example((random_target((1, 1), 1.0, 0), 1.0, 1.0), 0.0, 0)
@example((ReLUNet([np.array([[1.0, -1.0]]), np.array([[1.0]])]), 1.0, 2.0), -3.0, 1)
def test_propagation_bound(case: tuple[ReLUNet, float, float], log_eta: float, seed: int) -> None:
    F, _, x_max = case
    c = C.check_propagation(F, 10.0**log_eta, x_max, np.random.default_rng(seed), n_points=512)
    assert c.holds, c.message()
    S.hunt(1.0 / c.slack if c.slack else 0.0, "err/e_l")


@pytest.mark.claim("X-layer")
def test_layer_errors() -> None:
    tally = C.FailureTally("X-layer")

    @given(S.problems(max_depth=3, max_width=4))
    def prop(p: dict[str, Any]) -> None:
        t = build_ticket(p["target"], p["eps"], p["delta"], p["seed"], construction="orseau",
                         sharing=p["sharing"], w_max=p["w_max"], x_max=p["x_max"], allow_failure=True)
        if not tally.record(t.ok, p["delta"], p["seed"]):
            return  # premise (every digit present) unmet: counted below, not redrawn
        s = sup_error(p["target"], t, p["x_max"], n_random=128, steps=0, rng=p["seed"])
        c = C.check_layer_errors(t, s)
        assert c.holds, c.message()

    prop()
    v = tally.verdict()
    assert v.holds, v.message()


@pytest.mark.claim("X-layer")
def test_layer_errors_with_a_zero_layer() -> None:
    """A target whose first layer is zero: R8's recursion is 0 in every stage and the certificate's stages
    hold only the underflow it allows for (1e-300 per stage, amplified by the later weight: 1.19e-300);
    found by a random Hypothesis run, where the check's former fixed floor 1e-300 refused it."""
    F = ReLUNet([np.array([[0.0]]), np.array([[0.1872567]])])
    for sharing in ("per_weight", "per_input"):
        t = build_ticket(F, 0.1, 0.1, 0, construction="orseau", sharing=sharing, w_max=0.3, x_max=0.5)
        s = sup_error(F, t, 0.5, n_random=128, steps=0, rng=0)
        c = C.check_layer_errors(t, s)
        assert c.holds and max(s.per_stage_certified) > 1e-300, c.message()
