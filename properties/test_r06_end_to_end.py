"""Claim group: the end-to-end theorem (our reconstruction).

Every ticket is built at exactly the width the bound gives (the Orseau construction's default plan:
``N_w = ⌈8M ln(2MW/δ)⌉``, ``M`` from ``η``), with ``sharing="per_weight"`` and ``"per_input"``, output
ReLU on and off. A failure event (``ticket.ok`` False, probability ≤ δ) is never re-drawn: it is
recorded (:class:`slt_check.claims.checks.FailureTally`) and the deterministic guarantee R9 (whose
premise is "every group covered") is checked on the covered draws; the run must not be vacuous. How
often the event fails is not tested here (a few dozen examples have no power): P-main's "with high
probability" is the two-stage rate claim of ``test_P_main.py`` (a screen over the domain, the worst
cells confirmed with power 0.9 at 2δ). Found so far: failure rates of about 1 % at small ``M``
(e.g. ``w_max = 0.3, x_max = 0.5, ε = 0.1``: 12/2000 per_input, 22/2000 per_weight, δ = 0.05).

* **R9 / P-main**: the certified bound (:func:`slt_check.certificates.sup_error.sup_error`) on
  ``sup_{‖x‖∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞`` is ``≤ ε`` (P-main: confirmed in substance — with high
  probability pruning alone gives an ε-approximation on every input at log width per weight).
* **X-cert**: the error found by the adversarial search is ``≤`` the certified bound.
* **R-outrelu**: the above with a ReLU on the last layer.
* **R-mask**: ``Ĝ = G ⊙ mask`` bitwise with ``G`` reproducible from its seed (independent of ``F``);
  each kept intermediate neuron has one input; ``≤ 2M`` neurons per weight; ``≤ 4MW`` kept weights.
* **R-sign**: each simulated ``ŵ^±_ij`` has the sign of ``w_ij`` or is 0, and ``|ŵ^±_ij| ≤ |w_ij|``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given

from slt_check.claims import checks as C
from slt_check.core.nets import ReLUNet
from slt_check.core.stats import seed_grid
from slt_check.pipeline.build import build_ticket
from slt_check.tickets.targets import random_target
from slt_testing import strategies as S


def _build(p: dict[str, Any]) -> Any:
    return build_ticket(p["target"], p["eps"], p["delta"], p["seed"], construction="orseau",
                        sharing=p["sharing"], w_max=p["w_max"], x_max=p["x_max"], allow_failure=True)


def _pin(widths: tuple[int, ...], w_max: float, x_max: float, eps: float, sharing: str, relu: bool,
         family: str = "corners", seed: int = 0) -> dict[str, Any]:
    return {"target": random_target(widths, w_max, seed, family=family, output_relu=relu),
            "w_max": w_max, "x_max": x_max, "eps": eps, "delta": 0.05, "seed": seed, "sharing": sharing}


def _e2e(p: dict[str, Any], tally: C.FailureTally) -> None:
    t = _build(p)
    if not tally.record(t.ok, p["delta"], p["seed"]):
        return
    c = C.check_end_to_end(p["target"], t, p["eps"], p["x_max"], rng=p["seed"], n_random=512, steps=30)
    assert c.holds, c.message()
    assert c.details["found_le_certified"], c.message()
    S.hunt(c.details["certified"] / p["eps"], "certified/eps")
    S.hunt(c.details["found"] / p["eps"], "found/eps")


def _e2e_test(sharing: str, relu: bool) -> None:
    tally = C.FailureTally("P-main")

    @given(S.problems(sharing=sharing, output_relu=relu))
    @example(_pin((1, 1), 1.0, 1.0, 1e-1, sharing, relu, "uniform"))
    @example(_pin((3, 4, 4, 2), 2.5, 3.0, 1e-4, sharing, relu))
    @example(_pin((2, 4, 3, 1), 0.3, 0.5, 1e-2, sharing, relu))
    @example(_pin((8, 8, 8, 8, 8), 1.0, 1.0, 1e-4, sharing, relu, "sparse", 7))
    @example({**_pin((1, 1), 0.3, 0.5, 1e-1, sharing, relu), "seed": 471259022,
              "target": ReLUNet([np.array([[-0.29008342]])], output_relu=relu)})  # a failure event
    def prop(p: dict[str, Any]) -> None:
        _e2e(p, tally)

    prop()
    v = tally.verdict()
    assert v.holds, v.message()


@pytest.mark.claim("R9")
@pytest.mark.claim("P-main")
@pytest.mark.claim("X-cert")
@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_end_to_end_linear_output(sharing: str) -> None:
    _e2e_test(sharing, False)


@pytest.mark.claim("R-outrelu")
@pytest.mark.claim("R9")
@pytest.mark.claim("X-cert")
@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_end_to_end_relu_output(sharing: str) -> None:
    _e2e_test(sharing, True)


@pytest.mark.claim("R-mask")
@given(S.problems(max_depth=3, max_width=5))
@example(_pin((3, 4, 4, 2), 1.0, 1.0, 1e-2, "per_input", False))
@example(_pin((2, 2), 1.0, 1.0, 1e-3, "per_weight", True, "sparse"))
def test_mask_structure(p: dict[str, Any]) -> None:
    t = _build(p)  # the structure holds for a failed (partial) ticket too: no ok-filter
    c = C.check_mask_structure(t)
    assert c.holds, c.message()
    c = C.check_pruning_only(t, sharing=p["sharing"])
    assert c.holds, c.message()


@pytest.mark.claim("R-sign")
@given(S.problems(max_depth=3, max_width=5))
@example(_pin((3, 4, 4, 2), 2.5, 1.0, 1e-4, "per_input", False))
def test_sign_and_no_overshoot(p: dict[str, Any]) -> None:
    t = _build(p)  # greedy never overshoots, covered or not: no ok-filter
    c = C.check_sign(t)
    assert c.holds, c.message()


@pytest.mark.slow
@pytest.mark.claim("P-main")
@pytest.mark.claim("R9")
@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_end_to_end_wide_deep_long(sharing: str) -> None:
    """Width-8, depth-4 targets at ε = 1e-4 over 20 pre-registered seeds (search effort as in CLI)."""
    tally = C.FailureTally("P-main")
    for s in seed_grid(3000, 20):
        p = _pin((8, 8, 8, 8, 8), 2.5, 3.0, 1e-4, sharing, bool(s % 2), "corners", s)
        t = _build(p)
        if tally.record(t.ok, p["delta"], s):
            c = C.check_end_to_end(p["target"], t, p["eps"], p["x_max"], rng=s, n_random=4096, steps=100)
            assert c.holds, c.message()
    v = tally.verdict()
    assert v.holds, v.message()
