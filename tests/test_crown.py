"""The CROWN certificate (``slt_check.certificates.crown``) against the exact MILP value, closed forms and the search.

* tickets of orseau, pensia, malach on small random targets: ``found ≤ exact.lower ≤ crown`` and
  ``crown ≥ exact.upper`` up to the MILP's own tolerance/float slack (both are sound upper bounds;
  where CROWN is exact, the MILP's ``upper`` carries twice the float slack and may sit above it);
* a one-layer stage ``P σ(x) − N σ(−x)`` against ``F(x) = W x``: the sup error is the closed form
  ``max_s Σ_j max(0, s (W − P)_oj x_max, −s (W − N)_oj x_max)`` and CROWN attains it (up to rounding);
* sanity: positive homogeneity in ``x_max``, refinement never loosens, ``best = min`` of both;
* broken variants are caught: a wrong ReLU upper line falls below the exact value on some ticket, and
  the bound without any float allowance falls below an observed float64 error.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from slt_check import build_ticket, random_target
from slt_check.certificates.crown import certified_bound_crown, crown_from_reduced
from slt_check.certificates.exact import exact_sup_error
from slt_check.certificates.sup_error import reduce_stages, stages_of, sup_error
from slt_check.core.nets import ReLUNet

CASES = [
    ("orseau", [2, 3, 1], 0.1),
    ("orseau", [2, 2, 2], 0.3),
    ("orseau", [3, 4, 2], 0.2),
    ("pensia", [2, 3, 1], 0.1),
    ("pensia", [2, 2, 2], 0.3),
    ("pensia", [3, 4, 2], 0.2),
    ("malach", [2, 3, 1], 0.1),
    ("malach", [2, 2, 2], 0.3),
]


def _ticket(name: str, widths: list[int], eps: float, seed: int = 3):
    F = random_target(widths, 1.0, 1)
    return F, build_ticket(F, eps, 0.1, seed=seed, construction=name, allow_failure=True)


def _milp_slack(ex) -> float:
    return max(p["slack_tol"] + p["slack_float"] for p in ex.per_output)


@pytest.mark.parametrize(("name", "widths", "eps"), CASES)
def test_crown_is_sound_against_exact(name: str, widths: list[int], eps: float) -> None:
    F, t = _ticket(name, widths, eps)
    err = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20, certificate="best")
    cr = certified_bound_crown(F, t, 1.0)
    ex = exact_sup_error(F, t, 1.0, time_limit=30)
    assert ex.solved, ex.per_output
    assert err.found <= ex.lower + _milp_slack(ex)
    assert ex.lower <= cr["bound"]
    assert err.found <= cr["bound"]
    assert cr["bound"] >= ex.upper - _milp_slack(ex)  # within the MILP's tolerance of its upper bound
    assert cr["bound"] == cr["raw"] + cr["slack"] and cr["slack"] > 0
    assert err.certified_crown == cr["bound"]
    assert err.certified == min(err.certified_propagation, cr["bound"])
    assert len(cr["per_stage"]) == F.depth


def _pn_ticket(W: np.ndarray, P: np.ndarray, N: np.ndarray) -> SimpleNamespace:
    """``P σ(x) − N σ(−x)`` as a depth-2 ticket-like object (hidden ``[σ(x_j), σ(−x_j)]``)."""
    n = W.shape[1]
    weights = [np.vstack([np.eye(n), -np.eye(n)]), np.hstack([P, -N])]
    return SimpleNamespace(weights=weights, meta={"stages": "pairs"}, target=ReLUNet([W]))


@pytest.mark.parametrize("seed", range(5))
def test_one_layer_closed_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n0, n1 = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    x_max = float(rng.uniform(0.5, 2.0))
    W = rng.uniform(-1, 1, (n1, n0))
    P, N = W + rng.normal(0, 0.05, W.shape), W + rng.normal(0, 0.05, W.shape)
    closed = 0.0
    for s in (1.0, -1.0):
        gp, gn = s * (W - P) * x_max, -s * (W - N) * x_max
        closed = max(closed, float(np.max(np.maximum(0.0, np.maximum(gp, gn)).sum(axis=1))))
    cr = certified_bound_crown(ReLUNet([W]), _pn_ticket(W, P, N), x_max)
    assert closed <= cr["raw"] <= closed * (1 + 1e-12) + 1e-15
    assert cr["bound"] >= closed
    G = ReLUNet(_pn_ticket(W, P, N).weights)
    pts = np.array(np.meshgrid(*[[-x_max, 0.0, x_max]] * n0)).reshape(n0, -1).T
    assert float(np.max(np.abs(ReLUNet([W])(pts) - G(pts)))) <= cr["bound"]


def test_sanity_homogeneity_and_refinement() -> None:
    for name, widths, eps in [("orseau", [2, 3, 3, 1], 0.2), ("pensia", [3, 4, 2], 0.1)]:
        F, t = _ticket(name, widths, eps, seed=1)
        a = certified_bound_crown(F, t, 1.0)
        b = certified_bound_crown(F, t, 2.0)
        assert b["raw"] == pytest.approx(2 * a["raw"], rel=1e-9)  # bias-free: F − Ĝ is 1-homogeneous
        assert b["bound"] > a["bound"]
        coarse = certified_bound_crown(F, t, 1.0, refine=False)
        assert a["bound"] <= coarse["bound"] * (1 + 1e-12)
        base = sup_error(F, t, 1.0, n_random=64, n_starts=2, steps=5)
        best = sup_error(F, t, 1.0, n_random=64, n_starts=2, steps=5, certificate="best")
        crown = sup_error(F, t, 1.0, n_random=64, n_starts=2, steps=5, certificate="crown")
        assert "certified_crown" not in base.as_dict()
        assert best.certified == min(base.certified, a["bound"]) and crown.certified == a["bound"]
        assert best.found == base.found and best.per_stage_certified == base.per_stage_certified
    with pytest.raises(ValueError, match="certificate"):
        sup_error(F, t, 1.0, certificate="exact")


def test_wrong_upper_line_is_caught() -> None:
    """``σ(z) ≤ a z`` (the chord's slope, no intercept) is not a valid relaxation: the bound drops
    below the exact value on at least one ticket."""
    caught = 0
    for name, widths, eps in [("orseau", [2, 2, 2], 0.3), ("orseau", [2, 3, 1], 0.1), ("pensia", [2, 3, 1], 0.1)]:
        F, t = _ticket(name, widths, eps)
        red = reduce_stages(t.weights, stages_of(t))
        bad = crown_from_reduced(F, t.weights, red, 1.0, _broken="upper_intercept")["bound"]
        ex = exact_sup_error(F, t, 1.0, time_limit=30)
        caught += bad < ex.lower
        assert crown_from_reduced(F, t.weights, red, 1.0)["bound"] >= ex.lower
    assert caught >= 1


def test_float_allowance_is_needed() -> None:
    """``Ĝ`` computes ``F(x) = W x`` with its sum in another order: the real-arithmetic error is 0, but
    float64 evaluation differs; the bound without float allowances (0) is beaten by an observed error,
    the sound bound is not."""
    rng = np.random.default_rng(0)
    n = 40
    W = rng.uniform(-1, 1, (1, n))
    perm = rng.permutation(n)
    A = np.vstack([np.eye(n)[perm], -np.eye(n)[perm]])
    B = np.hstack([W[:, perm], -W[:, perm]])
    F = ReLUNet([W])
    ticket = SimpleNamespace(weights=[A, B], meta={"stages": "pairs"}, target=F)
    X = rng.uniform(-1, 1, (2000, n))
    found = float(np.max(np.abs(F(X) - ReLUNet([A, B])(X))))
    red = reduce_stages(ticket.weights, stages_of(ticket))
    bad = crown_from_reduced(F, ticket.weights, red, 1.0, _broken="real_arithmetic")["bound"]
    good = certified_bound_crown(F, ticket, 1.0)["bound"]
    assert bad < 1e-250 < found <= good
