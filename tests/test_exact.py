"""The exact sup error by MILP (``slt_check.certificates.exact``) against closed forms, brute force and certify.

* one-layer targets: for ``Ĝ(x) = P σ(x) − N σ(−x)`` (the certificate's stage form) and ``F(x) = W x``,
  ``s (F − Ĝ)_o(x) = Σ_j s (W − P)_oj σ(x_j) − s (W − N)_oj σ(−x_j)`` is separable, so

      max_x s (F − Ĝ)_o = Σ_j max(0, s (W − P)_oj x_max, −s (W − N)_oj x_max),

  attained on ``{−x_max, 0, x_max}^{n_0}`` (brute force over those points is exact too);
* tiny two-layer networks: a dense grid plus corners is a lower bound on the exact value;
* tickets of orseau, pensia, malach, burkholz: ``found − tol ≤ exact.lower ≤ exact.upper ≤ certified``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from slt_check import build_ticket, random_target
from slt_check.certificates.exact import ExactSupError, exact_sup_error
from slt_check.certificates.sup_error import reduce_stages, stages_of, sup_error
from slt_check.core.nets import ReLUNet


def _pn_net(P: np.ndarray, N: np.ndarray, output_relu: bool = False) -> ReLUNet:
    """``P σ(x) − N σ(−x)`` as a depth-2 network (hidden ``[σ(x_j), σ(−x_j)]``)."""
    n = P.shape[1]
    A = np.vstack([np.eye(n), -np.eye(n)])
    B = np.hstack([P, -N])
    return ReLUNet([A, B], output_relu=output_relu)


def _closed_form(W: np.ndarray, P: np.ndarray, N: np.ndarray, x_max: float) -> float:
    best = 0.0
    for s in (1.0, -1.0):
        gp = s * (W - P) * x_max  # value of coordinate j at x_j = +x_max
        gn = -s * (W - N) * x_max  # at x_j = −x_max
        best = max(best, float(np.max(np.maximum(0.0, np.maximum(gp, gn)).sum(axis=1))))
    return best


def _slack(ex: ExactSupError) -> float:
    return max(p["slack_tol"] + p["slack_float"] for p in ex.per_output)


def _ternary_max(F: ReLUNet, G: ReLUNet, x_max: float) -> float:
    pts = np.array(list(itertools.product([-x_max, 0.0, x_max], repeat=F.n_in)))
    return float(np.max(np.abs(F(pts) - G(pts))))


@pytest.mark.parametrize("seed", range(6))
def test_one_layer_closed_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n0, n1 = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    x_max = float(rng.uniform(0.5, 2.0))
    W = rng.uniform(-1, 1, (n1, n0))
    P = W + rng.normal(0, 0.05, W.shape)
    N = W + rng.normal(0, 0.05, W.shape)
    F, G = ReLUNet([W]), _pn_net(P, N)
    ex = exact_sup_error(F, G, x_max, time_limit=20)
    closed = _closed_form(W, P, N, x_max)
    assert ex.solved and ex.status == "optimal"
    assert ex.lower <= ex.upper
    assert ex.lower == pytest.approx(closed, rel=1e-9, abs=1e-12)
    assert ex.upper >= closed
    assert ex.upper - closed <= _slack(ex) + 1e-6 * closed + 1e-9
    assert _ternary_max(F, G, x_max) == pytest.approx(closed, rel=1e-12, abs=1e-14)
    assert np.all(np.abs(ex.argmax) <= x_max)
    assert ex.n_binaries == n0  # the P/N stage needs only the input binaries


def test_one_layer_ticket_matches_reduced_stages() -> None:
    F = random_target([3, 2], 1.0, 5)
    t = build_ticket(F, 0.1, 0.1, seed=2, construction="orseau")
    red = reduce_stages(t.weights, stages_of(t))[0]
    closed = _closed_form(F.dense_weights()[0], red["Pos"], red["Neg"], 1.0)
    ex = exact_sup_error(F, t, 1.0)
    assert ex.solved
    assert ex.lower == pytest.approx(closed, rel=1e-9)
    assert closed <= ex.upper <= closed + _slack(ex) + 1e-6 * closed + 1e-9


@pytest.mark.parametrize(("seed", "output_relu"), [(0, False), (1, True), (2, False), (3, True)])
def test_two_layer_grid_is_a_lower_bound(seed: int, output_relu: bool) -> None:
    rng = np.random.default_rng(100 + seed)
    F = ReLUNet([rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, (2, 3))], output_relu=output_relu)
    G = ReLUNet([rng.uniform(-1, 1, (4, 2)), rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (2, 3))],
                output_relu=output_relu)
    g = np.linspace(-1.0, 1.0, 201)
    pts = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    grid = float(np.max(np.abs(F(pts) - G(pts))))
    ex = exact_sup_error(F, G, 1.0, time_limit=20)
    assert ex.solved
    assert ex.lower >= grid - 1e-12  # the grid contains the corners; the exact maximum is larger
    assert ex.lower <= ex.upper
    # a piecewise-linear maximum: a fine grid gets within Lipschitz·spacing of it
    lip = float(np.abs(F.dense_weights()[1]).sum(1).max() * np.abs(F.dense_weights()[0]).sum(1).max()
                + np.abs(G.dense_weights()[2]).sum(1).max() * np.abs(G.dense_weights()[1]).sum(1).max()
                * np.abs(G.dense_weights()[0]).sum(1).max())
    assert ex.lower <= grid + lip * (g[1] - g[0]) + 1e-9
    val = float(np.max(np.abs(F(ex.argmax[None]) - G(ex.argmax[None]))))
    assert val == ex.lower


CASES = [
    ("orseau", [2, 3, 1], 0.1, {}),
    ("orseau", [2, 2, 2], 0.3, {}),
    ("pensia", [2, 3, 1], 0.1, {}),
    ("pensia", [2, 2, 2], 0.3, {}),
    ("malach", [2, 3, 1], 0.1, {}),
    ("malach", [2, 2, 2], 0.3, {}),
    ("burkholz", [2, 2, 2], 0.3, {"rho": 8, "window": 16}),
]


@pytest.mark.parametrize(("name", "widths", "eps", "opts"), CASES)
def test_tickets_between_found_and_certified(name: str, widths: list[int], eps: float, opts: dict) -> None:
    F = random_target(widths, 1.0, 1)
    t = build_ticket(F, eps, 0.1, seed=3, construction=name, allow_failure=True, **opts)
    err = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20)
    ex = exact_sup_error(F, t, 1.0, time_limit=30)
    assert ex.solved, ex.per_output
    tol = _slack(ex)
    assert ex.lower >= err.found - tol
    assert ex.upper <= err.certified * (1 + 1e-9) + 1e-12
    assert err.found <= ex.upper
    assert ex.lower <= ex.upper


def test_sup_error_milp_fields() -> None:
    F = random_target([2, 2, 1], 1.0, 7)
    t = build_ticket(F, 0.3, 0.1, seed=1, construction="pensia")
    base = sup_error(F, t, 1.0, n_random=64, n_starts=2, steps=5)
    assert base.exact_lower is None and "exact_lower" not in base.as_dict()
    same = sup_error(F, t, 1.0, n_random=64, n_starts=2, steps=5, method="search")
    assert same.as_dict() == base.as_dict()
    m = sup_error(F, t, 1.0, n_random=64, n_starts=2, steps=5, method="milp", time_limit=20)
    d = m.as_dict()
    assert {"exact_lower", "exact_upper", "exact_status"} <= set(d)
    assert m.exact_status == "optimal"
    assert m.certified == base.certified
    assert m.found == max(base.found, m.exact_lower)
    assert m.exact_lower <= m.exact_upper <= m.certified
    val = float(np.max(np.abs(F(m.argmax[None]) - t.network()(m.argmax[None]))))
    assert val == m.found
    with pytest.raises(ValueError, match="method"):
        sup_error(F, t, 1.0, method="exact")


def test_size_limit_and_bad_input() -> None:
    F = random_target([3, 4, 2], 1.0, 2)
    t = build_ticket(F, 0.1, 0.1, seed=1, construction="pensia")
    with pytest.raises(ValueError, match="binaries"):
        exact_sup_error(F, t, 1.0, max_binaries=4)
    with pytest.raises(ValueError, match="outputs"):
        exact_sup_error(F, t, 1.0, outputs=[5])
    with pytest.raises(ValueError, match="x_max"):
        exact_sup_error(F, t, -1.0)
    with pytest.raises(ValueError, match="maps"):
        exact_sup_error(F, ReLUNet([np.ones((1, 3))]), 1.0)


def test_outputs_subset_and_time_limit() -> None:
    F = random_target([3, 4, 2], 1.0, 2)
    t = build_ticket(F, 0.1, 0.1, seed=1, construction="orseau")
    full = exact_sup_error(F, t, 1.0, time_limit=30)
    one = exact_sup_error(F, t, 1.0, time_limit=30, outputs=[1])
    assert [p["output"] for p in one.per_output] == [1, 1]
    assert one.upper <= full.upper + 1e-12 or not full.solved
    short = exact_sup_error(F, t, 1.0, time_limit=1e-3)  # stopped early: still a valid interval
    assert short.status in ("optimal", "time_limit")
    assert short.solved == (short.status == "optimal")
    assert short.lower <= full.upper and full.lower <= short.upper
    assert set(short.as_dict()) >= {"lower", "upper", "argmax", "status", "per_output", "n_binaries", "time_s",
                                    "solved"}
