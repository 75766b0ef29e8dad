"""The compiled solver's multi-chain merge and scan: the optimum equals brute force, and the kept
subset is the one the plain sequential algorithm keeps (same tie-break, so tickets stay identical).

The sequential reference here is an independent pure-Python rendition of the rule documented in
:mod:`slt_check.core.subset_sum_grow`: halves sorted, one two-pointer walk per prefix keeping the
first strictly better pair from the empty subset on, the smallest mask whose sum equals each value.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.core import subset_sum_grow as sg
from slt_check.core.subset_sum import brute_force_subsets, subset_errors
from slt_check.core.subset_sum_grow import grow_subsets


def _candidates(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """``uniform``: U[−1, 1]; ``dyadic``: multiples of 2⁻⁶ in [−1, 1] (every subset sum is exact in
    float64, and many subsets tie); ``small``: integers in [−4, 4] (ties everywhere)."""
    if kind == "uniform":
        return rng.uniform(-1, 1, shape)
    if kind == "dyadic":
        return rng.integers(-64, 65, shape) / 64.0
    return rng.integers(-4, 5, shape).astype(np.float64)


def _targets(rng: np.random.Generator, kind: str, B: int) -> np.ndarray:
    if kind == "uniform":
        return rng.uniform(-1, 1, B)
    if kind == "dyadic":
        return rng.integers(-128, 129, B) / 128.0  # half-way points: ties between a sum above and below
    return rng.integers(-12, 13, B) / 2.0


def _all_errors(v: np.ndarray, t: float) -> np.ndarray:
    """``|Σ_S v − t|`` of every subset ``S`` (index = bitmask), recomputed like :func:`subset_errors`."""
    n = v.size
    masks = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(bool)
    return subset_errors(np.broadcast_to(v, masks.shape), np.full(masks.shape[0], t), masks)


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 14),
    kind=st.sampled_from(["uniform", "dyadic", "small"]),
)
def test_error_equals_brute_force_minimum(seed, n, kind):
    """Dyadic and integer candidates: every subset sum is exact, so the kept subset's recomputed error
    must equal the brute-force minimum exactly. Uniform floats: equal up to the float64 rounding of
    two differently ordered sums, 2(n+1)·2u·(Σ|v| + |t|)."""
    rng = np.random.default_rng(seed)
    B = 4
    v = _candidates(rng, kind, (B, n))
    t = _targets(rng, kind, B)
    keep, used = grow_subsets(v, t)
    assert np.array_equal(used, np.full(B, n))
    err = subset_errors(v, t, keep)  # recomputed from the mask
    for b in range(B):
        best = _all_errors(v[b], t[b]).min()
        if kind == "uniform":
            slack = 2 * (n + 1) * 2.0**-52 * (np.abs(v[b]).sum() + abs(t[b]))
            assert best <= err[b] <= best + slack
        else:
            assert err[b] == best
    ref = brute_force_subsets(v, t)
    if kind != "uniform":
        assert np.array_equal(err, subset_errors(v, t, ref))


def _sequential(v: list[float], t: float, n_valid: int, tol: float, n_min: int) -> tuple[list[bool], int]:
    """The plain algorithm, one step at a time (pure Python floats are IEEE float64 too)."""
    L, R = [0.0], [0.0]
    best, bl, br = abs(0.0 + 0.0 - t), 0.0, 0.0
    n_used = 0
    for k in range(n_valid):
        if k % 2 == 0:
            L = sorted(L + [s + v[k] for s in L])
        else:
            R = sorted(R + [s + v[k] for s in R])
        n_used = k + 1
        if n_used < n_min and n_used < n_valid:
            continue
        i, j = 0, len(R) - 1
        while i < len(L) and j >= 0:
            d = (L[i] + R[j]) - t
            if abs(d) < best:
                best, bl, br = abs(d), L[i], R[j]
            if d < 0:
                i += 1
            else:
                j -= 1
        if best <= tol:
            break
    keep = [False] * len(v)
    for parity, value in ((0, bl), (1, br)):
        E = [0.0]
        for k in range(parity, n_used, 2):
            E = E + [e + v[k] for e in E]
        mask = E.index(value)  # the smallest mask with that sum, bit for bit
        for pos, k in enumerate(range(parity, n_used, 2)):
            keep[k] = bool((mask >> pos) & 1)
    return keep, n_used


@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 16),
    kind=st.sampled_from(["uniform", "dyadic", "small"]),
    grow=st.booleans(),
)
def test_same_subset_as_the_sequential_algorithm(seed, n, kind, grow):
    """Bit-for-bit the same mask and prefix as the sequential walk, ties included (n ≥ 9 uses the
    eight-chain merge, paths of ≥ 64 steps the four-chain scan)."""
    rng = np.random.default_rng(seed)
    B = 6
    v = _candidates(rng, kind, (B, n))
    t = _targets(rng, kind, B)
    counts = rng.integers(0, n + 1, B)
    e = np.arange(n)[None, :] < counts[:, None]
    tol = rng.choice([0.0, 1e-3, 0.05], B) if grow else np.zeros(B)
    n_min = int(rng.integers(0, n + 1)) if grow else n
    keep, used = grow_subsets(v, t, e, tol=tol, n_min=n_min)
    for b in range(B):
        ref_keep, ref_used = _sequential(v[b].tolist(), float(t[b]), int(counts[b]), float(tol[b]), n_min)
        assert keep[b].tolist() == ref_keep and used[b] == ref_used


def _padded(a: np.ndarray) -> np.ndarray:
    """1-based array with the solver's sentinels ``−∞`` before and ``+∞`` after."""
    return np.concatenate([[-np.inf], a, [np.inf]])


@given(
    seed=st.integers(0, 2**32 - 1),
    log_m=st.integers(0, 9),
    kind=st.sampled_from(["uniform", "dyadic", "small"]),
)
def test_merge_equals_sorting(seed, log_m, kind):
    """``S ∪ (S + x)`` merged on eight chains is the sorted concatenation, bit for bit, sentinels set."""
    rng = np.random.default_rng(seed)
    m = 1 << log_m
    S = np.sort(_candidates(rng, kind, (m,)) * 3)
    x = float(_candidates(rng, kind, (1,))[0])
    O = np.full(2 * m + 2, np.nan)
    sg._merge_add(_padded(S), m, x, O)
    assert np.array_equal(O[1:-1].view(np.uint64), np.sort(np.concatenate([S, S + x])).view(np.uint64))
    assert O[0] == -np.inf and O[-1] == np.inf


@given(
    seed=st.integers(0, 2**32 - 1),
    mL=st.integers(1, 300),
    mR=st.integers(1, 300),
    kind=st.sampled_from(["uniform", "dyadic", "small"]),
)
def test_path_helpers_follow_the_walk(seed, mL, mR, kind):
    """``_path_length`` and ``_path_at`` (binary searches) agree with the walk, step by step."""
    rng = np.random.default_rng(seed)
    L = np.sort(_candidates(rng, kind, (mL,)) * 4)
    R = np.sort(_candidates(rng, kind, (mR,)) * 4)
    t = float(_targets(rng, kind, 1)[0] * 4)
    Lp, Rp = _padded(L), _padded(R)
    i, j, walk = 1, mR, [(1, mR)]
    while i <= mL and j >= 1:
        if (Lp[i] + Rp[j]) - t < 0:
            i += 1
        else:
            j -= 1
        walk.append((i, j))
    P = sg._path_length(Lp, mL, Rp, mR, t)
    assert P == len(walk) - 1
    for p in sorted({0, P, *rng.integers(0, P + 1, 12).tolist()}):
        assert tuple(sg._path_at(Lp, mL, Rp, mR, t, p)) == walk[p]


def _walk_best(L: np.ndarray, R: np.ndarray, t: float) -> tuple[float, float, float]:
    """The sequential scan over 1-based padded tables, from the empty subset's error."""
    best, bl, br = abs(0.0 + 0.0 - t), 0.0, 0.0
    i, j = 1, R.size - 2
    while i <= L.size - 2 and j >= 1:
        d = (L[i] + R[j]) - t
        if abs(d) < best:
            best, bl, br = abs(d), L[i], R[j]
        if d < 0:
            i += 1
        else:
            j -= 1
    return best, bl, br


@pytest.mark.parametrize("seed", [0, 1])
def test_scan_finds_every_exact_hit(seed):
    """For every pair ``(i, j)`` of two 64-sum tables, the target ``t = L[i] + R[j]``: the four-piece
    scan returns what the sequential walk returns (an exact hit wherever the walk meets one), so no
    pair of the path is skipped or visited out of order, whichever piece it falls in."""
    rng = np.random.default_rng(seed)
    L = _padded(np.sort(rng.uniform(-1, 1, 64)))
    R = _padded(np.sort(rng.uniform(-1, 1, 64)))
    for i in range(1, 65):
        for j in range(1, 65):
            t = L[i] + R[j]
            assert sg._scan(L, 64, R, 64, t, abs(t), 0.0, 0.0) == _walk_best(L, R, t)
