"""Exact universal coverage: equal to brute force, counting bound, minimal n, bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.core.bounds import counting_lower_bound
from slt_check.core.coverage import (
    covered_intervals,
    covers,
    merge_intervals,
    minimal_cover_n,
    minimal_samples,
    uncovered,
)


def _brute(values, eps):
    n = len(values)
    table = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    s = np.where(table, values, 0.0).sum(axis=1)
    return merge_intervals(np.column_stack([s - eps, s + eps]))


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 11),
       eps=st.sampled_from([1e-3, 1e-2, 0.1]))
def test_equals_brute_force(seed, n, eps):
    v = np.random.default_rng(seed).uniform(-1, 1, n)
    U, ref = covered_intervals(v, eps), _brute(v, eps)
    assert U.shape == ref.shape
    assert np.allclose(U, ref, rtol=0, atol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 14), a=st.sampled_from([0.5, 1.0]))
def test_verdict_matches_dense_check(seed, n, a):
    rng = np.random.default_rng(seed)
    v, eps = rng.uniform(-1, 1, n), 0.05
    gaps = uncovered(covered_intervals(v, eps), -a, a)
    assert covers(v, eps, a) == (len(gaps) == 0)
    table = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    s = np.sort(np.where(table, v, 0.0).sum(axis=1))
    z = np.concatenate([rng.uniform(-a, a, 200), gaps.mean(axis=1) if len(gaps) else []])
    pos = np.clip(np.searchsorted(s, z), 1, len(s) - 1)
    d = np.minimum(np.abs(z - s[pos - 1]), np.abs(z - s[pos]))
    in_gap = np.array([any(g[0] < x < g[1] for g in gaps) for x in z], dtype=bool)
    assert np.all((d > eps) == in_gap)


@pytest.mark.claim("LB-counting")
@given(seed=st.integers(0, 2**32 - 1), eps=st.sampled_from([1e-1, 1e-2, 1e-3]),
       law=st.sampled_from(["uniform", "product", "hyperbolic"]))
def test_counting_bound_never_broken(seed, eps, law):
    """[LB-counting] any sample set covering [−½, ½] within ε has n ≥ log₂(1/(2ε))."""
    n = minimal_samples(law, eps, 0.5, [seed], n_max=80)[0]
    assert n == -1 or n >= counting_lower_bound(1.0, eps)


def test_minimal_n_is_first_covering_prefix():
    v = np.random.default_rng(5).uniform(-1, 1, 40)
    n = minimal_cover_n(v, 0.01, 0.5)
    assert n is not None and covers(v[:n], 0.01, 0.5) and not covers(v[: n - 1], 0.01, 0.5)
    assert minimal_cover_n(np.zeros(5), 0.01, 0.5) is None
    assert minimal_cover_n([], 0.6, 0.5) == 0


def test_powers_of_two_cover_exactly():
    """{2ε, 4ε, …}: sums hit every multiple of 2ε in [0, 2^{k+1}ε); with −(half) they cover."""
    eps = 1 / 64
    v = [2 * eps * 2**i for i in range(5)]  # sums 0, 2ε, …, 62ε
    U = covered_intervals(v, eps)
    assert np.allclose(U, [[-eps, 63 * eps]])


@pytest.mark.parametrize(("kw", "word"), [({"eps": 0}, "eps"), ({"a": -1}, "a")])
def test_bad_input(kw, word):
    args = {"values": [0.1], "eps": 0.1, "a": 0.5} | kw
    with pytest.raises(ValueError, match=word):
        covers(**args)
    with pytest.raises(ValueError, match="law"):
        minimal_samples("cauchy", 0.1, 0.5, [0])
