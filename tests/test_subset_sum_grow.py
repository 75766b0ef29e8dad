"""The compiled growing-prefix exact solver: optimum equal to the numpy reference and to brute force,
the shortest-prefix rule, and bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.core.subset_sum import best_subsets, brute_force_subsets, subset_errors
from slt_check.core.subset_sum_grow import grow_subsets, interleaved_order


def _round_off(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Float64 allowance between two differently ordered sums of a row: 2(n+1)·2u·(Σ|v| + |t|)."""
    return 2 * (v.shape[1] + 1) * 2.0**-52 * (np.abs(v).sum(axis=1) + np.abs(t))


def _prefix(B: int, n: int, counts: np.ndarray) -> np.ndarray:
    return np.arange(n)[None, :] < counts[:, None]


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 14),
    B=st.integers(1, 10),
    scale=st.sampled_from([1e-3, 1.0, 50.0]),
)
def test_optimum_equals_brute_force(seed, n, B, scale):
    rng = np.random.default_rng(seed)
    v = rng.uniform(-scale, scale, (B, n))
    t = rng.uniform(-2 * scale, 2 * scale, B)
    e = _prefix(B, n, rng.integers(0, n + 1, B))
    keep, used = grow_subsets(v, t, e)
    assert keep.shape == (B, n) and keep.dtype == np.bool_
    assert not np.any(keep & ~e)
    assert np.array_equal(used, e.sum(axis=1))
    ref = brute_force_subsets(v, t, e)
    assert np.all(subset_errors(v, t, keep) <= subset_errors(v, t, ref) + _round_off(v, t))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(15, 26))
def test_optimum_matches_numpy_reference(seed, n):
    """Same halves summed in the same order as best_subsets on the interleaved columns: the two
    optima agree to float rounding of the recomputed sums (ties may pick different subsets)."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(-1, 1, (4, n)) * rng.uniform(-1, 1, (4, n))
    t = rng.uniform(-0.5, 0.5, 4)
    keep, _ = grow_subsets(v, t)
    o = interleaved_order(n)
    ref = best_subsets(v[:, o], t)
    assert np.allclose(subset_errors(v, t, keep), subset_errors(v[:, o], t, ref), rtol=0, atol=1e-14)


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(4, 16),
    n_min=st.integers(0, 16),
    log_tol=st.floats(-6, -1),
)
def test_shortest_prefix_within_tolerance(seed, n, n_min, log_tol):
    """The answer is the optimum of the first prefix (from n_min) whose optimum is within tol: that
    prefix's optimum is within tol, the previous prefix's (if searched) is not."""
    rng = np.random.default_rng(seed)
    B = 6
    v = rng.uniform(-1, 1, (B, n))
    t = rng.uniform(-1, 1, B)
    tol = 10.0**log_tol
    keep, used = grow_subsets(v, t, tol=tol, n_min=n_min)
    err = subset_errors(v, t, keep)
    slack = _round_off(v, t)
    for b in range(B):
        u = int(used[b])
        assert min(n_min, n) <= u <= n and not keep[b, u:].any()
        opt = subset_errors(v[b : b + 1, :u], t[b : b + 1], brute_force_subsets(v[b : b + 1, :u], t[b : b + 1]))[0]
        assert err[b] <= opt + slack[b]  # the optimum of its prefix
        if u < n:
            assert err[b] <= tol + slack[b]  # stopped early: within tol
        if u > max(n_min, 0) and u > 1:
            prev = brute_force_subsets(v[b : b + 1, : u - 1], t[b : b + 1])
            assert subset_errors(v[b : b + 1, : u - 1], t[b : b + 1], prev)[0] > tol - slack[b]


def test_planted_integer_subsets_hit_exactly():
    rng = np.random.default_rng(3)
    v = rng.integers(-1000, 1000, (100, 30)).astype(np.float64)
    planted = rng.random((100, 30)) < 0.5
    t = np.where(planted, v, 0.0).sum(axis=1)
    keep, _ = grow_subsets(v, t)
    assert np.all(subset_errors(v, t, keep) == 0)


def test_deterministic():
    rng = np.random.default_rng(5)
    v = rng.uniform(-1, 1, (50, 22))
    t = rng.uniform(-1, 1, 50)
    a = grow_subsets(v, t, tol=1e-5, n_min=10)
    b = grow_subsets(v.copy(), t.copy(), tol=1e-5, n_min=10)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        ({"eligible": np.array([[False, True, True]])}, "prefix"),
        ({"tol": -1.0}, "tol"),
        ({"tol": np.nan}, "tol"),
        ({"n_min": 99}, "n_min"),
    ],
)
def test_bad_input(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        grow_subsets(np.ones((1, 3)), np.zeros(1), **kwargs)


def test_bad_shapes_and_values():
    with pytest.raises(ValueError, match="values"):
        grow_subsets(np.ones(3), np.zeros(1))
    with pytest.raises(ValueError, match="finite"):
        grow_subsets(np.array([[np.inf, 1.0]]), np.zeros(1))
    with pytest.raises(ValueError, match="MAX_N"):
        grow_subsets(np.ones((1, 41)), np.zeros(1))

