"""Exact subset sum on a growing prefix of candidates, compiled (numba): the fast solver.

For each row (one weight-half) with candidates ``v_0, v_1, …`` in sampling order, target ``t``,
tolerance ``tol ≥ 0`` and a first prefix length ``n_min``:

    for n = n_min, n_min+1, …, n_valid:
        S*_n = argmin_{S ⊆ {0..n−1}} | Σ_{k∈S} v_k − t |        (exact, meet in the middle)
        stop at the first n with |Σ_{S*_n} v − t| ≤ tol

and return ``S*_n`` (the exact minimiser over the **shortest** prefix whose optimum is within
``tol``; over all ``n_valid`` candidates when none is). ``tol = 0`` and ``n_min = n_valid`` give the
plain exact minimiser over all candidates.

Meet in the middle, incrementally: candidate ``k`` joins the left half (``k`` even) or the right
half (``k`` odd). Each half is kept as its ``2^h`` subset sums **in sorted order**; adding a
candidate ``x`` merges the sorted list ``S`` with ``S + x`` (also sorted), so a half is built in
``O(2^h)`` without a sort, and growing the prefix by one costs one merge. The optimum over all
(left, right) pairs is found by the classic two-pointer scan (left ascending, right descending:
step left when the sum is below ``t``, right otherwise), which is exact because float addition is
monotone. Sums are formed in the order the candidates were added (the order
:func:`slt_check.core.subset_sum.best_subsets` uses on the same halves), so the optimum *value* equals
that reference bit for bit (tested); masks can differ only between exactly tied subsets.
Tie-break (what makes tickets reproducible): the scan starts from the empty subset and keeps the
first pair on its path whose error is strictly smaller; each half's subset is the smallest bitmask
whose sum equals the kept value.

Only the sums are merged (no bitmasks): the optimum's subsets are recovered at the end by
enumerating each half's ``2^h`` sums in the same addition order and matching the optimal values bit
for bit (:func:`_find_subset`). Cost per row: ``O(2^{n/2})`` time, ``O(2^{n/2})`` memory (a few arrays
of ``2^{⌈n/2⌉}`` float64).

Both loops are chains of dependent steps (load, add, compare, move a pointer), so they are cut into
independent pieces walked side by side: each merge into four quarters at merge-path split points,
each quarter produced upwards from its start and downwards from its end (eight chains); the scan
into four pieces of equal length at points of its path found by binary search (the path is a
function of the values only, :func:`_path_at`), the pieces' bests taken in path order with the same
strict ``<``. The merged lists, the visited pairs and the kept pair are exactly those of the
one-chain walk, so the masks (and tickets) are unchanged bit for bit (tests/test_subset_sum_fast.py
checks the masks against a sequential rendition, ties included). Indices are cast to unsigned to
drop numba's negative-index wrap-around. Measured single-threaded (CPU time, best of 7 batches of
500 rows, ``U[−1, 1]`` candidates, benchmarks/subset_sum.py): at ``n = 21`` 11.7 µs per row (one
chain: 44.4 µs), at ``n = 32`` 0.43 ms (1.9 ms); benchmarks/results/subset_sum.md.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from slt_check.core.subset_sum import MAX_N, _check

__all__ = ["grow_subsets", "interleaved_order"]

_U = np.uint64
"""Array indices are cast to unsigned before each access: numba then skips its negative-index
wrap-around (a shift, an and and an add per access), which was a fifth of the merge's instructions."""

_INF = np.inf
_SEQ_MERGE = 16  # halves with fewer sums merge on one chain
_SEQ_SCAN = 64  # scans with fewer steps run on one chain


@njit(cache=True, nogil=True, inline="always")
def _split(S, m, x, o):  # noqa: ANN001, ANN202
    """Merge path: how many ``S`` elements are among the ``o`` smallest of ``S ∪ (S + x)``, i.e. the
    largest ``k ∈ [max(0, o − m), min(o, m)]`` with ``k`` at its lower end or ``S[k] ≤ S[o − k + 1] + x``
    (1-based ``S``; the predicate is non-increasing in ``k``)."""
    lo = max(0, o - m)
    hi = min(o, m)
    while lo < hi:
        k = (lo + hi + 1) >> 1
        if S[_U(k)] <= S[_U(o - k + 1)] + x:
            lo = k
        else:
            hi = k - 1
    return lo


@njit(cache=True, nogil=True, inline="always")
def _front(S, x, O, a, b):  # noqa: ANN001, ANN202
    """One output of a merge run upwards: the smaller of ``S[a]`` and ``S[b] + x`` goes to ``O[a + b − 1]``."""
    sa = S[_U(a)]
    sb = S[_U(b)] + x
    tb = sb < sa
    O[_U(a + b - 1)] = sb if tb else sa
    return a + 1 - tb, b + tb


@njit(cache=True, nogil=True, inline="always")
def _back(S, x, O, a, b):  # noqa: ANN001, ANN202
    """One output of a merge run downwards: the larger of ``S[a]`` and ``S[b] + x`` goes to ``O[a + b]``."""
    sa = S[_U(a)]
    sb = S[_U(b)] + x
    tb = sb > sa
    O[_U(a + b)] = sb if tb else sa
    return a - 1 + tb, b - tb


@njit(cache=True, nogil=True)
def _merge_add(S, m, x, O):  # noqa: ANN001, ANN202
    """Merge sorted ``S[1..m]`` with ``S[1..m] + x`` into ``O[1..2m]`` (sums only: the subsets of the
    optimum are recovered afterwards by :func:`_find_subset`, which halves the memory traffic).

    Arrays are 1-based with sentinels ``S[0] = −∞`` and ``S[m+1] = +∞`` (written into ``O`` too), so
    no run tests for an exhausted input. From ``m = 16`` on, the output is cut into four quarters at
    merge-path split points (:func:`_split`, a binary search each) and each quarter is produced by two
    runs, one upwards from its start and one downwards from its end: eight independent,
    branch-free dependency chains interleaved in one loop instead of one chain of ``2m`` steps (a
    load, an add and a compare each). The merged list of values is unique (sums are never ``−0.0``:
    they start from ``+0.0``), so it equals the one-chain merge's bit for bit."""
    if m < _SEQ_MERGE:
        a = 1
        b = 1
        for _ in range(2 * m):
            a, b = _front(S, x, O, a, b)
    else:
        q = m >> 1
        k1 = _split(S, m, x, q)
        k2 = _split(S, m, x, m)
        k3 = _split(S, m, x, m + q)
        # quarter s holds outputs s·q+1 .. (s+1)·q: fronts start after the split, backs end at it
        fa0, fb0 = 1, 1
        fa1, fb1 = k1 + 1, q - k1 + 1
        fa2, fb2 = k2 + 1, m - k2 + 1
        fa3, fb3 = k3 + 1, m + q - k3 + 1
        ba0, bb0 = k1, q - k1
        ba1, bb1 = k2, m - k2
        ba2, bb2 = k3, m + q - k3
        ba3, bb3 = m, m
        for _ in range(q >> 1):
            fa0, fb0 = _front(S, x, O, fa0, fb0)
            fa1, fb1 = _front(S, x, O, fa1, fb1)
            fa2, fb2 = _front(S, x, O, fa2, fb2)
            fa3, fb3 = _front(S, x, O, fa3, fb3)
            ba0, bb0 = _back(S, x, O, ba0, bb0)
            ba1, bb1 = _back(S, x, O, ba1, bb1)
            ba2, bb2 = _back(S, x, O, ba2, bb2)
            ba3, bb3 = _back(S, x, O, ba3, bb3)
    O[0] = -_INF
    O[_U(2 * m + 1)] = _INF


@njit(cache=True, nogil=True, inline="always")
def _below(L, i, R, j, t):  # noqa: ANN001, ANN202
    """The scan's step rule at ``(i, j)``: ``(L[i] + R[j]) − t < 0`` (step ``i`` up, else ``j`` down).
    Float addition and subtraction are monotone, so it is non-increasing in ``i`` and non-decreasing
    in ``j``."""
    return (L[_U(i)] + R[_U(j)]) - t < 0.0


@njit(cache=True, nogil=True, inline="always")
def _last_below(L, i, R, mR, t):  # noqa: ANN001, ANN202
    """``c(i) = max{j ∈ 1..mR : _below(i, j)}``, ``0`` if none (binary search)."""
    lo = 0
    hi = mR
    while lo < hi:
        k = (lo + hi + 1) >> 1
        if _below(L, i, R, k, t):
            lo = k
        else:
            hi = k - 1
    return lo


@njit(cache=True, nogil=True, inline="always")
def _path_length(L, mL, R, mR, t):  # noqa: ANN001, ANN202
    """Number of pairs the two-pointer scan visits. Row ``i`` is left at column ``c(i)`` (the row is
    entered at ``c(i−1) ≥ c(i)`` and ``j`` steps down while not ``_below``), so the scan ends after
    row ``mL`` at column ``c(mL)`` when ``c(mL) ≥ 1`` (``mL − 1 + mR − c(mL) + 1`` steps), else at
    column 0 in the first row ``i₀`` with ``c(i₀) = 0`` (``i₀ − 1 + mR`` steps)."""
    c = _last_below(L, mL, R, mR, t)
    if c >= 1:
        return mL + mR - c
    lo = 1
    hi = mL
    while lo < hi:  # first i with not _below(i, 1): exists, since c(mL) = 0
        k = (lo + hi) >> 1
        if _below(L, k, R, 1, t):
            lo = k + 1
        else:
            hi = k
    return lo - 1 + mR


@njit(cache=True, nogil=True, inline="always")
def _path_at(L, mL, R, mR, t, P):  # noqa: ANN001, ANN202
    """The scan's position ``(i, j)`` after ``P`` steps (``P`` ≤ the path length). The ``a``-th up-step
    leaves row ``a`` at column ``c(a)``, as step ``a − 1 + mR − c(a)``; it is among the first ``P``
    iff ``c(a) ≥ mR − P + a`` iff ``_below(a, mR − P + a)``, a predicate non-increasing in ``a``; so
    the number of up-steps is the largest such ``a`` (binary search), and ``j = mR − (P − a)``."""
    lo = max(0, P - mR)
    hi = min(P, mL)
    while lo < hi:
        a = (lo + hi + 1) >> 1
        if _below(L, a, R, mR - P + a, t):
            lo = a
        else:
            hi = a - 1
    return lo + 1, mR - (P - lo)


@njit(cache=True, nogil=True, inline="always")
def _visit(L, R, t, i, j, b, bl, br):  # noqa: ANN001, ANN202
    """One step of the scan: keep ``(L[i], R[j])`` if its error is strictly below ``b``, then move."""
    x = L[_U(i)]
    y = R[_U(j)]
    d = (x + y) - t
    e = abs(d)
    better = e < b
    b = e if better else b
    bl = x if better else bl
    br = y if better else br
    up = d < 0.0
    return i + up, j - 1 + up, b, bl, br


@njit(cache=True, nogil=True)
def _scan(L, mL, R, mR, t, best, bl, br):  # noqa: ANN001, ANN202
    """The classic two-pointer scan over sorted ``L[1..mL]`` (up) and ``R[1..mR]`` (down): at
    ``(i, j)`` the error ``|(L[i] + R[j]) − t|`` replaces ``best`` (with its pair of values) when
    strictly smaller, then ``i`` steps up if the difference is negative, else ``j`` steps down; it
    starts from ``(best, bl, br)`` and returns them updated.

    The path is cut into four equal pieces (:func:`_path_length`, :func:`_path_at`), walked as four
    independent chains interleaved in one loop with no exit tests (the piece lengths are known);
    the pieces' bests are then taken in path order with the same strict ``<``, so the kept pair is
    the first one on the path with the smallest error, exactly as in one sequential walk."""
    P = _path_length(L, mL, R, mR, t)
    if P < _SEQ_SCAN:
        i = 1
        j = mR
        for _ in range(P):
            i, j, best, bl, br = _visit(L, R, t, i, j, best, bl, br)
        return best, bl, br
    P1 = P >> 2
    P2 = P >> 1
    P3 = (3 * P) >> 2
    i0, j0 = 1, mR
    i1, j1 = _path_at(L, mL, R, mR, t, P1)
    i2, j2 = _path_at(L, mL, R, mR, t, P2)
    i3, j3 = _path_at(L, mL, R, mR, t, P3)
    b0 = b1 = b2 = b3 = _INF
    l0 = l1 = l2 = l3 = 0.0
    r0 = r1 = r2 = r3 = 0.0
    for _ in range(P1):
        i0, j0, b0, l0, r0 = _visit(L, R, t, i0, j0, b0, l0, r0)
        i1, j1, b1, l1, r1 = _visit(L, R, t, i1, j1, b1, l1, r1)
        i2, j2, b2, l2, r2 = _visit(L, R, t, i2, j2, b2, l2, r2)
        i3, j3, b3, l3, r3 = _visit(L, R, t, i3, j3, b3, l3, r3)
    for _ in range(P2 - P1 - P1):  # the pieces' lengths differ by at most one step
        i1, j1, b1, l1, r1 = _visit(L, R, t, i1, j1, b1, l1, r1)
    for _ in range(P3 - P2 - P1):
        i2, j2, b2, l2, r2 = _visit(L, R, t, i2, j2, b2, l2, r2)
    for _ in range(P - P3 - P1):
        i3, j3, b3, l3, r3 = _visit(L, R, t, i3, j3, b3, l3, r3)
    if b0 < best:
        best, bl, br = b0, l0, r0
    if b1 < best:
        best, bl, br = b1, l1, r1
    if b2 < best:
        best, bl, br = b2, l2, r2
    if b3 < best:
        best, bl, br = b3, l3, r3
    return best, bl, br


@njit(cache=True, nogil=True)
def _find_subset(v, n_used, parity, value, E):  # noqa: ANN001, ANN202
    """The bitmask (over the candidates ``k < n_used`` with ``k % 2 == parity``) of a subset whose sum,
    formed in candidate order exactly as the merges form it, equals ``value`` bit for bit: the
    smallest mask ``i`` with ``E[i] = value``, where ``E`` holds the ``2^h`` subset sums indexed by
    their mask (``E[i | 2^j] = E[i] + v_k``)."""
    E[0] = 0.0
    m = 1
    for k in range(parity, n_used, 2):
        x = v[k]
        for i in range(m):
            E[_U(m + i)] = E[_U(i)] + x
        m *= 2
    for i in range(m):
        if E[_U(i)] == value:
            return np.int64(i)
    return np.int64(-1)  # pragma: no cover - the value is one of these sums by construction


@njit(cache=True, nogil=True)
def _grow_row(v, n_valid, t, tol, n_min, keep, used, bufs):  # noqa: ANN001, ANN202
    L, L2, R, R2, E = bufs[0], bufs[1], bufs[2], bufs[3], bufs[4]
    L[0] = -_INF
    L[1] = 0.0
    L[2] = _INF
    R[0] = -_INF
    R[1] = 0.0
    R[2] = _INF
    mL = 1
    mR = 1
    best = abs(0.0 + 0.0 - t)
    bl_val = 0.0
    br_val = 0.0
    n_used = 0
    for k in range(n_valid):
        if k % 2 == 0:
            _merge_add(L, mL, v[k], L2)
            L, L2 = L2, L
            mL *= 2
        else:
            _merge_add(R, mR, v[k], R2)
            R, R2 = R2, R
            mR *= 2
        n_used = k + 1
        if n_used < n_min and n_used < n_valid:
            continue
        best, bl_val, br_val = _scan(L, mL, R, mR, t, best, bl_val, br_val)
        if best <= tol:
            break
    bl = _find_subset(v, n_used, 0, bl_val, E)
    br = _find_subset(v, n_used, 1, br_val, E)
    for k in range(n_used):
        mask = bl if k % 2 == 0 else br
        keep[k] = ((mask >> np.int64(k // 2)) & 1) == 1
    used[0] = n_used


@njit(cache=True, nogil=True)
def _grow_batch(v, n_valid, t, tol, n_min, keep, used):  # noqa: ANN001, ANN202
    cap = 1 << ((v.shape[1] + 1) // 2)
    # sums (1-based, two sentinels): left, left scratch, right, right scratch; subset recovery
    bufs = np.empty((5, cap + 2))
    for r in range(v.shape[0]):
        _grow_row(v[r], n_valid[r], t[r], tol[r], n_min, keep[r], used[r : r + 1], bufs)


def interleaved_order(n: int) -> np.ndarray:
    """Column order ``[1, 3, 5, …, 0, 2, 4, …]``: feeding it to
    :func:`~slt_check.core.subset_sum.best_subsets` (left half = first ``n//2`` columns) gives the same
    halves, summed in the same order, as :func:`grow_subsets` (left = even, right = odd positions,
    here swapped so that the reference's larger half is the even one)."""
    return np.concatenate([np.arange(1, n, 2), np.arange(0, n, 2)])


def grow_subsets(
    values: np.ndarray,
    targets: np.ndarray,
    eligible: np.ndarray | None = None,
    *,
    tol: float | np.ndarray = 0.0,
    n_min: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The exact minimiser over the shortest prefix within ``tol`` (module docstring), per row.

    Parameters
    ----------
    values: ``(B, n)`` float64 candidates in sampling order (``n ≤ MAX_N``).
    targets: ``(B,)`` the sums to approximate.
    eligible: ``(B, n)`` bool, or ``None``. Each row's eligible columns must come first (a
        prefix: compact them with :func:`slt_check.constructions.rules.compact_eligible`); ``ValueError`` if not.
    tol: tolerance(s) ``≥ 0`` (scalar or ``(B,)``); ``0`` means the optimum over all candidates.
    n_min: first prefix length tried (default ``n``: no growing).

    Returns
    -------
    ``(keep, used)``: ``keep`` ``(B, n)`` bool; ``used`` ``(B,)`` the prefix length searched.
    The caller recomputes the achieved sums from ``keep``.
    """
    v, t, e = _check(values, targets, eligible)
    B, n = v.shape
    n_valid = e.sum(axis=1).astype(np.int64)
    if B and np.any(e != (np.arange(n)[None, :] < n_valid[:, None])):
        raise ValueError("eligible: each row's eligible columns must form a prefix (compact them first)")
    tol_a = np.ascontiguousarray(np.broadcast_to(np.asarray(tol, dtype=np.float64), (B,)))
    if np.any(~np.isfinite(tol_a)) or np.any(tol_a < 0):
        raise ValueError(f"tol: need finite tolerances ≥ 0, got {tol!r}")
    n_min_i = n if n_min is None else int(n_min)
    if not 0 <= n_min_i <= MAX_N:
        raise ValueError(f"n_min: need 0 ≤ n_min ≤ {MAX_N}, got {n_min}")
    keep = np.zeros((B, n), dtype=np.bool_)
    used = np.zeros(B, dtype=np.int64)
    if B and n:
        _grow_batch(np.ascontiguousarray(v), n_valid, np.ascontiguousarray(t), tol_a, n_min_i, keep, used)
    return keep, used
