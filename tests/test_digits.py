"""Greedy base-γ digits (R2/R4) against brute force on small cases, and tile bookkeeping."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from slt_check.core.bounds import GAMMA, greedy_residual_bound
from slt_check.core.digits import greedy_residual, greedy_select, tile_index


def brute_force_best(u: float, digits: list[float]) -> float:
    """Smallest residual u − Σ_S v ≥ 0 over all subsets S (never overshooting)."""
    best = u
    for mask in itertools.product([0, 1], repeat=len(digits)):
        s = sum(v for v, m in zip(digits, mask, strict=True) if m)
        if s <= u:
            best = min(best, u - s)
    return best


@given(
    M=st.integers(1, 10),
    fracs=st.lists(st.floats(0, 1), min_size=10, max_size=10),
    u=st.floats(0, 2),
)
@example(M=3, fracs=[1.0] * 10, u=2.0)
@example(M=3, fracs=[0.0] * 10, u=0.0)
def test_greedy_within_bound_and_not_far_from_brute_force(M, fracs, u):
    # digit k anywhere in [γ^-k, γ^(1-k)]
    digits = [GAMMA ** (-k) * (1 + f * (GAMMA - 1)) for k, f in zip(range(1, M + 1), fracs, strict=False)]
    r = greedy_residual(u, digits)
    assert 0 <= r <= greedy_residual_bound(M) * (1 + 1e-12)
    best = brute_force_best(u, digits)
    assert best <= r + 1e-12
    # the brute-force optimum obeys the same bound, and greedy is never worse than the bound
    assert best <= greedy_residual_bound(M) * (1 + 1e-12)


@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_vectorised_greedy_equals_scalar(M, seed):
    rng = np.random.default_rng(seed)
    B = 50
    v = GAMMA ** -np.arange(1, M + 1)[None, :] * (1 + rng.random((B, M)) * (GAMMA - 1))
    u = rng.uniform(0, 2, B)
    keep, r = greedy_select(u, v)
    for i in range(B):
        assert r[i] == pytest.approx(greedy_residual(u[i], list(v[i])), abs=1e-15)
        assert np.sum(v[i][keep[i]]) <= u[i] + 1e-15


def test_greedy_skips_missing_digits():
    keep, r = greedy_select(np.array([1.0]), np.array([[0.9, 0.5]]), np.array([[False, True]]))
    assert keep.tolist() == [[False, True]] and r[0] == pytest.approx(0.5)


def test_base_two_counterexample():
    """R2b: with γ = 2, digits v1 = 1, v_k = 2^-k, u = 0.999 leaves residual ≥ 0.49."""
    for M in (5, 20, 50):
        digits = [1.0] + [2.0 ** (-k) for k in range(2, M + 1)]
        assert greedy_residual(0.999, digits) >= 0.49


def test_tile_index():
    w_max = 2.0
    mags = np.array([2.0, 1.99, 2 / 1.5, 2 / 1.5 * 0.999, 1e-3, 0.0])
    k = tile_index(mags, w_max)
    assert k[0] == 0 and k[1] == 1 and k[3] == 2 and k[-1] > 10**6
    assert k[4] == math.floor(math.log(2 / 1e-3) / math.log(1.5)) + 1


def test_greedy_rejects_bad_input():
    with pytest.raises(ValueError, match="magnitudes"):
        greedy_select(np.array([-1.0]), np.array([[0.5]]))
    with pytest.raises(ValueError, match="shape"):
        greedy_select(np.array([1.0, 2.0]), np.array([[0.5]]))
