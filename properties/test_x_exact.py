"""Claim X-cert (certification soundness) against the exact sup error (``slt_check.certificates.exact``).

For a ticket ``Ĝ`` of a target ``F`` and the box ``‖x‖_∞ ≤ x_max``, with ``e* = sup_x ‖F(x) − Ĝ(x)‖_∞``,
the MILP gives ``lower ≤ e* ≤ upper`` (``lower`` a float64 evaluation at the MILP's maximiser), the
search gives ``found ≤ e*`` and the certificate ``e* ≤ certified``. Checked:

* **X-cert, exact**: ``found ≤ exact.lower + tol`` (when the MILP is solved: the search never beats the
  maximum) and ``exact.upper ≤ certified·(1 + 1e-9) + tol``, ``tol`` the MILP's own tolerance slack
  (hypothesis: targets of depth ≤ 2 and widths ≤ 3; orseau and pensia tickets, ε ∈ [0.1, 0.3]);
* **the check can fail**: a certificate 10 % too small, ``0.9·certified``, falls below ``exact.lower``
  on at least one ticket of a fixed, pre-registered list; a search that skips the corners (and the
  ternary points and the ascent) is beaten by the exact value on a one-layer target.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.certificates.exact import ExactSupError, exact_sup_error
from slt_check.certificates.sup_error import sup_error
from slt_check.pipeline.build import build_ticket
from slt_check.tickets.targets import random_target
from slt_testing import strategies as S


def _tol(ex: ExactSupError) -> float:
    return max(p["slack_tol"] + p["slack_float"] for p in ex.per_output) + 1e-12


@st.composite
def _cases(draw: Any) -> dict[str, Any]:
    F, w_max, x_max = draw(S.targets(max_depth=2, max_width=3))
    return {
        "target": F, "w_max": w_max, "x_max": x_max,
        "eps": draw(st.floats(0.1, 0.3)),
        "seed": draw(S.seeds()),
        "construction": draw(st.sampled_from(["orseau", "pensia"])),
    }


@pytest.mark.claim("X-cert")
@given(_cases())
def test_exact_between_found_and_certified(p: dict[str, Any]) -> None:
    F, x_max = p["target"], p["x_max"]
    t = build_ticket(F, p["eps"], 0.1, p["seed"], construction=p["construction"], w_max=p["w_max"],
                     x_max=x_max, allow_failure=True)
    err = sup_error(F, t, x_max, n_random=256, n_starts=4, steps=20)
    ex = exact_sup_error(F, t, x_max, time_limit=5.0)
    tol = _tol(ex)
    assert ex.lower <= ex.upper
    assert err.found <= ex.upper
    assert ex.upper <= err.certified * (1 + 1e-9) + tol, (ex.upper, err.certified, tol)
    if ex.solved:
        assert err.found <= ex.lower + tol, (err.found, ex.lower, tol)


BROKEN_CERT_CASES = [  # pre-registered (construction, widths, eps, target seed, G seed); never tuned
    ("orseau", (2, 2, 2), 0.3, 1, 3),
    ("orseau", (2, 3, 1), 0.1, 1, 3),
    ("pensia", (2, 2, 2), 0.3, 1, 3),
    ("pensia", (2, 3, 1), 0.1, 1, 3),
    ("malach", (2, 2, 2), 0.3, 1, 3),
    ("malach", (2, 3, 1), 0.1, 1, 3),
]


@pytest.mark.claim("X-cert")
def test_certificate_ten_percent_too_small_is_caught() -> None:
    caught = []
    for name, widths, eps, t_seed, g_seed in BROKEN_CERT_CASES:
        F = random_target(list(widths), 1.0, t_seed)
        t = build_ticket(F, eps, 0.1, g_seed, construction=name, allow_failure=True)
        cert = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20).certified
        ex = exact_sup_error(F, t, 1.0, time_limit=20.0)
        assert ex.lower <= cert  # the real certificate holds
        if ex.lower > 0.9 * cert:  # the broken one, 0.9·certified, is below the exact value
            caught.append(name)
    assert caught, "a certificate 10 % too small was below the exact value on none of the fixed tickets"


@pytest.mark.claim("X-cert")
def test_search_without_corners_is_beaten() -> None:
    F = random_target([3, 2], 1.0, 4)
    t = build_ticket(F, 0.1, 0.1, 2, construction="orseau")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, size=(256, 3))  # random interior points only: no corners, no ternary points
    broken_found = float(np.max(np.abs(F(X) - t.network()(X))))
    ex = exact_sup_error(F, t, 1.0, time_limit=20.0)
    assert ex.solved
    assert ex.lower > broken_found * (1 + 1e-6)
    full = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20)  # with corners and ternary points
    assert full.found >= ex.lower - _tol(ex)
