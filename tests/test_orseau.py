"""The Orseau construction: G independent of the target, mask structure, failure reporting."""

import numpy as np
import pytest

from slt_check import ConstructionFailed, Problem, build_ticket, get_construction, random_target, verify_ticket
from slt_check.sources.selection import simulated_weights


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint64)


@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_same_seed_same_G_whatever_the_target(sharing):
    F1 = random_target([3, 4, 2], 1.0, 1)
    F2 = random_target([3, 4, 2], 1.0, 2, family="corners")
    t1 = build_ticket(F1, 0.05, 0.1, seed=5, sharing=sharing)
    t2 = build_ticket(F2, 0.05, 0.1, seed=5, sharing=sharing)
    t3 = build_ticket(F1, 0.05, 0.1, seed=6, sharing=sharing)
    for g1, g2, g3 in zip(t1.G.weights, t2.G.weights, t3.G.weights, strict=True):
        assert np.array_equal(_bits(g1), _bits(g2))
        assert not np.array_equal(g1, g3)
    assert any(not np.array_equal(m1, m2) for m1, m2 in zip(t1.masks, t2.masks, strict=True))


@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_mask_structure(sharing):
    F = random_target([3, 5, 4, 2], 1.0, 3, family="corners")
    t = build_ticket(F, 1e-2, 0.05, seed=0, sharing=sharing)
    verify_ticket(t)
    M = t.meta.plan.M
    W = sum(w.size for w in F.weights)
    assert t.n_kept <= 4 * M * W
    for i in range(F.depth):
        A, B = t.masks[2 * i], t.masks[2 * i + 1]
        n_in = A.sum(axis=1)
        n_out = B.sum(axis=0)
        used = (n_in > 0) | (n_out > 0)
        assert np.all(n_in[used] == 1), "a kept intermediate neuron has exactly one input"
        if sharing == "per_weight":
            assert np.all(n_out[used] == 1), "…and exactly one output"
            N = t.meta.plan.n_samples
            per_group = used.reshape(-1, N).sum(axis=1)
            assert per_group.max() <= 2 * M
        else:
            assert np.all(n_out[used] >= 1)
    # never overshoot, signs preserved (R-sign) in every live half
    for i, Wt in enumerate(F.weights, start=1):
        wp, wn = simulated_weights(t.weights, i)
        for half in (wp, wn) if i == 1 else (wp,):
            assert np.all((np.sign(half) == np.sign(Wt)) | (half == 0))
            assert np.all(np.abs(half) <= np.abs(Wt) * (1 + 1e-12))


def test_zero_weights_keep_nothing():
    F = random_target([2, 3], 1.0, 0)
    F.weights[0][:] = 0.0
    t = build_ticket(F, 1e-2, 0.05, seed=0)
    assert t.n_kept == 0


def test_too_small_G_is_reported_not_redrawn():
    F = random_target([3, 3], 1.0, 0)
    with pytest.raises(ConstructionFailed) as info:
        build_ticket(F, 1e-3, 0.05, seed=0, n_samples=5)
    assert info.value.ticket is not None and not info.value.ticket.ok
    t = build_ticket(F, 1e-3, 0.05, seed=0, n_samples=5, allow_failure=True)
    assert not t.ok and t.meta.n_failed_weights > 0
    assert t.G.widths[1] == 3 * 3 * 5  # the G asked for, not a larger one
    verify_ticket(t)


def test_plan_matches_sampled_G():
    con = get_construction("orseau", sharing="per_input")
    p = Problem((4, 8, 8, 2), 1e-2, 0.05)
    plan = con.plan(p)
    G, _ = con.sample_G(p, 0)
    assert G.widths == tuple(plan.G_widths)
    assert G.n_params == plan.G_params
    assert sum(G.widths[1:]) == plan.G_neurons


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"eps": 0.0}, "eps"),
        ({"eps": float("inf")}, "eps"),
        ({"delta": 1.0}, "delta"),
        ({"delta": -0.1}, "delta"),
        ({"w_max": 0.5}, "w_max"),
    ],
    ids=["eps0", "eps_inf", "delta1", "delta_neg", "w_max_too_small"],
)
def test_bad_input(kwargs, match):
    F = random_target([2, 2], 1.0, 0)
    F.weights[0][0, 0] = 0.9
    args = {"eps": 1e-2, "delta": 0.05, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        build_ticket(F, **args)


def test_bad_options():
    with pytest.raises(ValueError, match="sharing"):
        get_construction("orseau", sharing="global")
    with pytest.raises(ValueError, match="unknown construction"):
        get_construction("nope")
    with pytest.raises(ValueError, match="seed"):
        build_ticket(random_target([2, 2], 1.0, 0), 1e-2, 0.05, seed=-1)
