"""The exact subset-sum solver: equal to brute force, never keeps an ineligible column, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.core.subset_sum import (
    MAX_N,
    best_subsets,
    brute_force_subsets,
    min_size_subsets,
    subset_errors,
    subset_sums,
)


def _round_off(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Float64 rounding allowance of two differently ordered sums of a row: 2n·u·(Σ|v| + |t|)."""
    n = v.shape[1]
    return 2 * (n + 1) * 2.0**-52 * (np.abs(v).sum(axis=1) + np.abs(t))


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 13),
    B=st.integers(1, 12),
    scale=st.sampled_from([1e-3, 1.0, 50.0]),
    p_elig=st.sampled_from([0.0, 0.5, 1.0]),
)
def test_equals_brute_force(seed, n, B, scale, p_elig):
    rng = np.random.default_rng(seed)
    v = rng.uniform(-scale, scale, (B, n))
    t = rng.uniform(-2 * scale, 2 * scale, B)
    e = rng.random((B, n)) < p_elig
    keep = best_subsets(v, t, e)
    ref = brute_force_subsets(v, t, e)
    assert keep.shape == (B, n) and keep.dtype == np.bool_
    assert not np.any(keep & ~e)
    err, err_ref = subset_errors(v, t, keep), subset_errors(v, t, ref)
    assert np.all(err <= err_ref + _round_off(v, t))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(14, 20))
def test_equals_brute_force_larger_n(seed, n):
    rng = np.random.default_rng(seed)
    v = rng.uniform(-1, 1, (2, n))
    t = rng.uniform(-1, 1, 2)
    err = subset_errors(v, t, best_subsets(v, t))
    err_ref = subset_errors(v, t, brute_force_subsets(v, t))
    assert np.all(err <= err_ref + _round_off(v, t))


def test_exact_hit_on_planted_subsets():
    """A target that is exactly the sum of a planted subset of integers is hit with error 0."""
    rng = np.random.default_rng(7)
    v = rng.integers(-1000, 1000, (200, 24)).astype(np.float64)
    planted = rng.random((200, 24)) < 0.5
    t = np.where(planted, v, 0.0).sum(axis=1)
    keep = best_subsets(v, t)
    assert np.all(subset_sums(v, keep) == t)


def test_chunking_does_not_change_answers(monkeypatch):
    import slt_check.core.subset_sum as ss

    rng = np.random.default_rng(3)
    v = rng.uniform(-1, 1, (300, 15))
    t = rng.uniform(-1, 1, 300)
    a = best_subsets(v, t)
    monkeypatch.setattr(ss, "_CHUNK_BYTES", 1)
    b = best_subsets(v, t)
    assert np.array_equal(subset_errors(v, t, a), subset_errors(v, t, b))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 10), tol=st.sampled_from([0.0, 0.05, 0.3]))
def test_min_size_is_minimal(seed, n, tol):
    rng = np.random.default_rng(seed)
    v = rng.uniform(-1, 1, (3, n))
    t = rng.uniform(-1, 1, 3)
    keep, ok = min_size_subsets(v, t, tol)
    table = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    for b in range(3):
        err = np.abs(np.where(table, v[b], 0.0).sum(axis=1) - t[b])
        feasible = err <= tol
        assert ok[b] == feasible.any()
        if ok[b]:
            assert subset_errors(v[b : b + 1], t[b : b + 1], keep[b : b + 1])[0] <= tol
            assert keep[b].sum() == table[feasible].sum(axis=1).min()


@pytest.mark.parametrize(
    ("values", "targets", "eligible", "word"),
    [
        (np.zeros(3), np.zeros(3), None, "values"),
        (np.zeros((2, 3)), np.zeros(3), None, "targets"),
        (np.zeros((2, 3)), np.zeros(2), np.ones((2, 3)), "eligible"),
        (np.zeros((1, MAX_N + 1)), np.zeros(1), None, "MAX_N"),
        (np.full((1, 2), np.nan), np.zeros(1), None, "finite"),
    ],
)
def test_bad_input(values, targets, eligible, word):
    with pytest.raises(ValueError, match=word):
        best_subsets(values, targets, eligible)


@pytest.mark.slow
def test_cpu_time_per_weight_at_n21():
    """Brief's target: ≤ 100 µs of CPU per weight at n = 21, vectorised (measured ~51 µs)."""
    import time

    rng = np.random.default_rng(0)
    v = rng.uniform(-0.4642, 0.5407, (20_000, 21))
    t = rng.uniform(-0.4642, 0.5407, 20_000)
    t0 = time.process_time()
    best_subsets(v, t)
    assert (time.process_time() - t0) / 20_000 <= 100e-6
