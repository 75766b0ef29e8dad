"""Exact subset sum: for each row, the subset of ``values`` whose sum is closest to ``target``.

    keep* = argmin_{S ⊆ eligible} | Σ_{k∈S} v_k − t |

solved **exactly** (no tolerance, no MIP gap, no early exit) by meet-in-the-middle, vectorised over a
batch of independent instances:

1. split the ``n`` columns into halves ``L`` (``n₁ = ⌊n/2⌋``) and ``R`` (``n₂ = n − n₁``);
2. enumerate the ``2^{n₁}`` and ``2^{n₂}`` subset sums of each half by doubling
   (``S_{k+1} = S_k ∪ (S_k + v_k)``; subset index = bitmask);
3. sort the right sums; the best partner of a left sum ``s`` is one of the two right sums around
   ``t − s`` (``searchsorted``, one C call per row on sorted queries; no offset tricks that could
   reorder nearly equal floats of different rows);
4. the best (left, right) pair over all left sums is the exact minimiser (up to float64 rounding
   of the sums themselves, ≤ n ulp of ``Σ|v|``).

Ineligible columns are treated as 0 and never kept. The achieved sum is always **recomputed from
the returned mask** (:func:`subset_sums`), never taken from the solver. Cost per row:
``O(2^{n/2} n)`` time and memory; the batch is processed in chunks of bounded memory.

:func:`brute_force_subsets` (all ``2^n`` subsets, ``n ≤ 20``) is the reference the tests compare with.
:func:`min_size_subsets` returns, among subsets within a tolerance, one with the fewest elements
(exact, by enumeration over subset sizes on the same meet-in-the-middle tables).

The selection rules use the compiled solver :func:`slt_check.core.subset_sum_grow.grow_subsets` (the same
optimum; sorted halves built by merging, no sort; a growing-prefix mode); this vectorised numpy
solver is its independent reference in the tests and serves the sparsity study.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "best_subsets",
    "subset_sums",
    "subset_errors",
    "brute_force_subsets",
    "min_size_subsets",
    "MAX_N",
]

MAX_N = 40
"""Largest ``n`` accepted: each half has at most ``2^20`` subsets (8 MiB per row and array)."""

_CHUNK_BYTES = 16 * 2**20  # fits in cache-friendly chunks (measured: 4× faster than 64 MiB)


def _check(values: np.ndarray, targets: np.ndarray, eligible: np.ndarray | None):  # noqa: ANN202
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values: expected a (B, n) array, got shape {v.shape}")
    B, n = v.shape
    t = np.asarray(targets, dtype=np.float64)
    if t.shape != (B,):
        raise ValueError(f"targets: expected shape ({B},) to match values, got {t.shape}")
    if n > MAX_N:
        raise ValueError(
            f"values: n = {n} candidates per row exceeds MAX_N = {MAX_N} (2^(n/2) memory); "
            "split the candidates or use fewer samples"
        )
    if not (np.all(np.isfinite(v)) and np.all(np.isfinite(t))):
        raise ValueError("values, targets: must be finite floats (no NaN/inf)")
    if eligible is None:
        e = np.ones((B, n), dtype=bool)
    else:
        e = np.asarray(eligible)
        if e.dtype != np.bool_ or e.shape != (B, n):
            raise ValueError(
                f"eligible: expected a bool array of shape {(B, n)}, got {e.dtype} {e.shape}"
            )
    return v, t, e


def _half_sums(v: np.ndarray) -> np.ndarray:
    """All ``2^h`` subset sums of the ``h`` columns of ``v`` (B, h); column index = bitmask.

    Doubling, ``S[:, m:2m] = S[:, :m] + v_k`` (``m = 2^k``), in place; no BLAS call, so no thread
    oversubscription on a shared machine (a 0/1-table matmul was 6× slower under load there).
    The solver recovers subsets by exact equality on these same arrays, and callers recompute
    the achieved sum from the mask."""
    B, h = v.shape
    S = np.zeros((B, 1 << h))
    for k in range(h):
        m = 1 << k
        np.add(S[:, :m], v[:, k : k + 1], out=S[:, m : 2 * m])
    return S


def _bits(idx: np.ndarray, h: int) -> np.ndarray:
    """Bitmask integers ``idx`` (B,) → bool (B, h)."""
    return ((idx[:, None] >> np.arange(h)[None, :]) & 1).astype(bool)


def _solve_chunk(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    B, n = v.shape
    n1 = n // 2
    n2 = n - n1
    SL = _half_sums(v[:, :n1])  # (B, m1)
    SR = _half_sums(v[:, n1:])  # (B, m2)
    m1, m2 = SL.shape[1], SR.shape[1]
    R = np.sort(SR, axis=1)
    L = np.ascontiguousarray(np.sort(SL, axis=1)[:, ::-1])  # descending: queries t − L ascend
    tt = t[:, None]
    Q = tt - L
    # searchsorted(R, Q, side="right") row by row (C loop inside; Python per row only)
    cnt = np.empty((B, m1), dtype=np.int64)
    for i in range(B):
        cnt[i] = np.searchsorted(R[i], Q[i], side="right")
    lo = np.clip(cnt - 1, 0, m2 - 1)
    hi = np.minimum(cnt, m2 - 1)
    r_lo = np.take_along_axis(R, lo, axis=1)
    r_hi = np.take_along_axis(R, hi, axis=1)
    e_lo = np.abs(L + r_lo - tt)
    e_hi = np.abs(L + r_hi - tt)
    use_hi = e_hi < e_lo
    k = np.argmin(np.where(use_hi, e_hi, e_lo), axis=1)
    rows = np.arange(B)
    r_best = np.where(use_hi[rows, k], r_hi[rows, k], r_lo[rows, k])
    l_best = L[rows, k]
    # recover the subsets (bitmask = column index) from the exact float values
    left = np.argmax(SL == l_best[:, None], axis=1)
    right = np.argmax(SR == r_best[:, None], axis=1)
    return np.concatenate([_bits(left, n1), _bits(right, n2)], axis=1)


def best_subsets(
    values: np.ndarray, targets: np.ndarray, eligible: np.ndarray | None = None
) -> np.ndarray:
    """Exact minimiser of ``|Σ_{kept} values − target|`` per row, over subsets of eligible columns.

    Parameters
    ----------
    values: ``(B, n)`` float64 candidates (``n ≤ MAX_N``).
    targets: ``(B,)`` the sums to approximate.
    eligible: ``(B, n)`` bool, or ``None`` (all eligible). Ineligible columns are never kept.

    Returns
    -------
    keep: ``(B, n)`` bool. Ties are broken arbitrarily (deterministically).
    """
    v, t, e = _check(values, targets, eligible)
    B, n = v.shape
    keep = np.zeros((B, n), dtype=bool)
    if B == 0 or n == 0:
        return keep
    v = np.where(e, v, 0.0)
    per_row = 8 * 12 * (1 << (n - n // 2))
    chunk = max(1, _CHUNK_BYTES // per_row)
    for b0 in range(0, B, chunk):
        sl = slice(b0, min(B, b0 + chunk))
        keep[sl] = _solve_chunk(v[sl], t[sl])
    return keep & e


def subset_sums(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """The achieved sums ``Σ_{kept} values`` per row, recomputed in float64 from the mask."""
    v = np.asarray(values, dtype=np.float64)
    k = np.asarray(keep, dtype=bool)
    if k.shape != v.shape:
        raise ValueError(f"keep: shape {k.shape} differs from values {v.shape}")
    return np.where(k, v, 0.0).sum(axis=1)


def subset_errors(values: np.ndarray, targets: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``|Σ_{kept} values − target|`` per row (float64, recomputed from the mask)."""
    return np.abs(subset_sums(values, keep) - np.asarray(targets, dtype=np.float64))


def brute_force_subsets(
    values: np.ndarray, targets: np.ndarray, eligible: np.ndarray | None = None
) -> np.ndarray:
    """Reference solver: try all ``2^n`` subsets (``n ≤ 20``); same contract as :func:`best_subsets`."""
    v, t, e = _check(values, targets, eligible)
    B, n = v.shape
    if n > 20:
        raise ValueError(f"values: brute force is limited to n ≤ 20 columns, got {n}")
    masks = _bits(np.arange(1 << n), n)  # (2^n, n)
    keep = np.zeros((B, n), dtype=bool)
    for b in range(B):
        ok = ~np.any(masks & ~e[b][None, :], axis=1)
        sums = np.where(masks, v[b][None, :], 0.0).sum(axis=1)
        err = np.where(ok, np.abs(sums - t[b]), np.inf)
        keep[b] = masks[int(np.argmin(err))]
    return keep


def min_size_subsets(
    values: np.ndarray,
    targets: np.ndarray,
    tol: float | np.ndarray,
    eligible: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Among subsets with ``|Σ − t| ≤ tol``, one with the **fewest** elements (exact).

    Meet-in-the-middle per (left size ``i``, right size ``j``) pair, in order of ``i + j``; a row is
    done at the first total size with a feasible pair. Returns ``(keep, ok)``; where no subset is
    within ``tol``, ``ok`` is False and ``keep`` is the unconstrained best subset. Slower than
    :func:`best_subsets` (``O(n²)`` sub-searches); meant for sparsity measurements (``n ≲ 30``).
    """
    v, t, e = _check(values, targets, eligible)
    B, n = v.shape
    tol_a = np.broadcast_to(np.asarray(tol, dtype=np.float64), (B,))
    if np.any(~np.isfinite(tol_a)) or np.any(tol_a < 0):
        raise ValueError(f"tol: need finite tolerances ≥ 0, got {tol!r}")
    keep = best_subsets(v, t, e)
    err = subset_errors(v, t, keep)
    ok = err <= tol_a
    v0 = np.where(e, v, 0.0)
    n1 = n // 2
    n2 = n - n1
    SL, SR = _half_sums(v0[:, :n1]), _half_sums(v0[:, n1:])
    popL = _bits(np.arange(1 << n1), n1).sum(axis=1)
    popR = _bits(np.arange(1 << n2), n2).sum(axis=1)
    bitsL, bitsR = _bits(np.arange(1 << n1), n1), _bits(np.arange(1 << n2), n2)
    for b in np.flatnonzero(ok):
        done = False
        for size in range(0, n + 1):
            for i in range(max(0, size - n2), min(n1, size) + 1):
                j = size - i
                li = np.flatnonzero(popL == i)
                rj = np.flatnonzero(popR == j)
                # skip subsets using an ineligible column
                li = li[~np.any(bitsL[li] & ~e[b, :n1], axis=1)]
                rj = rj[~np.any(bitsR[rj] & ~e[b, n1:], axis=1)]
                if li.size == 0 or rj.size == 0:
                    continue
                r_sorted = np.argsort(SR[b, rj], kind="stable")
                R = SR[b, rj][r_sorted]
                pos = np.searchsorted(R, t[b] - SL[b, li])
                for cand in (np.clip(pos - 1, 0, R.size - 1), np.clip(pos, 0, R.size - 1)):
                    sums = np.where(
                        np.concatenate([bitsL[li], bitsR[rj[r_sorted[cand]]]], axis=1),
                        v0[b][None, :],
                        0.0,
                    ).sum(axis=1)
                    good = np.abs(sums - t[b]) <= tol_a[b]
                    if good.any():
                        k = int(np.flatnonzero(good)[0])
                        keep[b] = np.concatenate([bitsL[li[k]], bitsR[rj[r_sorted[cand[k]]]]])
                        done = True
                        break
                if done:
                    break
            if done:
                break
    return keep & e, ok
