"""Greedy base-γ digit selection ([RECON R2/R4], docs/reconstruction.md#digits) and tile bookkeeping.

Tiles: ``T_k = w_max·[γ^{-k}, γ^{1-k})``, ``k = 1..M``. Given one candidate magnitude ``v_k ∈ T_k``
per digit (or none), the greedy rule

    r ← u;  for k = 1..M:  if v_k ≤ r:  keep k,  r ← r − v_k

never overshoots and ends with ``0 ≤ r ≤ w_max γ^{-M}/(γ−1)`` whenever ``γ(γ−1) ≤ 1`` and every
digit is present (R2). Everything is vectorised over a batch of independent targets.

:func:`greedy_digit_scan` is the compiled form of the whole rule on factorised candidates
``p_s = a_s b_s`` (tile of every candidate, first candidate per tile, greedy), used by the build's
selection; it stops reading a row's candidates once every tile has its first candidate and hands rows
whose tile it cannot decide without NumPy's own logarithm back to the array code (see there).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from slt_check.core.bounds import GAMMA

__all__ = ["tile_index", "greedy_select", "greedy_residual", "greedy_digit_scan", "SCAN_DECIDED",
           "SCAN_NEEDS_MORE", "SCAN_NEEDS_REFERENCE"]

SCAN_DECIDED = 0
"""Row status of :func:`greedy_digit_scan`: the row's kept set and ``ok`` are final."""
SCAN_NEEDS_MORE = 1
"""Row status: some tile has no candidate among the ``L`` read and more candidates exist (``complete``
False) — the result may change with more candidates."""
SCAN_NEEDS_REFERENCE = 2
"""Row status: a candidate that may fill an empty tile lies within :data:`EDGE_TOL` of a tile edge
(in ``log_γ`` units); only :func:`tile_index` itself (NumPy's logarithm) classifies it."""
EDGE_TOL = 1e-7
"""Half-width, in units of ``log_γ(w_max/|p|)``, of the band around a tile edge where the compiled
logarithm may disagree with NumPy's (both are within an ulp or two of the exact value, i.e. within
≈ 1e-13 here for ``k ≤ 10⁴``; the band also covers :func:`tile_index`'s own exact-edge test at 1e-9)."""


def tile_index(mag: np.ndarray, w_max: float, gamma: float = GAMMA) -> np.ndarray:
    """``k`` with ``mag ∈ w_max·[γ^{-k}, γ^{1-k})`` (``k ≥ 1``), i.e. ``k = ⌈log_γ(w_max/mag)⌉``;
    ``0`` for ``mag ≥ w_max``, a huge value for ``mag = 0``. A product exactly on a tile's lower edge
    ``w_max γ^{-k}`` belongs to tile ``k`` (finding X-tile-edge: an earlier ``⌊·⌋ + 1`` put it in
    tile ``k+1``). The float64 log may still misplace a product within a rounding step of an edge;
    that is harmless because R2 only needs ``v_k ∈ [γ^{-k}, γ^{1-k}]`` up to rounding, and all
    errors are re-measured from the selected weights."""
    mag = np.asarray(mag, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.log(w_max / mag) / math.log(gamma)
        k = np.ceil(x)
        # exact lower edges: log rounding can leave x a hair above the integer k
        r = np.round(x)
        on_edge = (np.abs(x - r) < 1e-9) & (mag == w_max * np.power(gamma, -r))
        k = np.where(on_edge, r, k)
    k = np.where(mag >= w_max, 0.0, k)
    k = np.where(mag > 0, k, np.iinfo(np.int32).max)
    return np.minimum(k, np.iinfo(np.int32).max).astype(np.int64)


def greedy_select(
    target: np.ndarray, digits: np.ndarray, present: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy rule over ``digits[..., k]`` (ordered from largest tile to smallest).

    Parameters
    ----------
    target:
        ``u ≥ 0``, shape ``batch``.
    digits:
        candidate magnitudes, shape ``batch + (M,)``; entries where ``present`` is False are ignored.
    present:
        optional bool mask of available digits (a missing category is simply skipped).

    Returns
    -------
    keep, residual:
        ``keep[..., k]`` whether digit ``k`` is taken; ``residual = u − Σ kept`` (float64, the
        sequential float value; callers re-measure errors from the kept weights anyway).
    """
    u = np.asarray(target, dtype=np.float64)
    v = np.asarray(digits, dtype=np.float64)
    if v.shape[:-1] != u.shape:
        raise ValueError(f"digits: expected shape {u.shape + ('M',)}, got {v.shape}")
    if np.any(u < 0):
        raise ValueError("target: the greedy rule works on magnitudes u ≥ 0")
    ok = np.ones(v.shape, dtype=bool) if present is None else np.asarray(present, dtype=bool)
    r = u.copy()
    keep = np.zeros(v.shape, dtype=bool)
    for k in range(v.shape[-1]):
        take = ok[..., k] & (v[..., k] <= r)
        keep[..., k] = take
        r = np.where(take, r - v[..., k], r)
    return keep, r


def greedy_residual(u: float, digits: list[float]) -> float:
    """Scalar reference version of the greedy rule (used by tests against brute force)."""
    r = float(u)
    for v in digits:
        if v <= r:
            r -= v
    return r


@njit(cache=True, nogil=True)
def _scan_rows(
    w: np.ndarray, a: np.ndarray, a_row: np.ndarray, b: np.ndarray, M: int, w_max: float, log_gamma: float,
    pos_half: bool, neg_half: bool, complete: bool, keep: np.ndarray, n_keep: np.ndarray, ok: np.ndarray,
    status: np.ndarray,
) -> None:
    n, L = b.shape
    first = np.empty((2, M), np.int64)  # first candidate per (half, tile): half 0 is a > 0, 1 is a < 0
    need = (M if pos_half else 0) + (M if neg_half else 0)
    for i in range(n):
        wi = w[i]
        n_keep[i] = 0
        ok[i] = True
        status[i] = SCAN_DECIDED
        if wi == 0.0:  # no valid candidate, ok
            continue
        sw = 1.0 if wi > 0.0 else -1.0
        ar = a_row[i]
        first[:, :] = -1
        found = 0
        for s in range(L):  # one pass for both halves: each candidate belongs to the half of sign(a)
            if found == need:
                break
            av = a[ar, s]
            if av > 0.0:  # np.sign(a) == 1
                if not pos_half:
                    continue
                h = 0
            elif av < 0.0:  # np.sign(a) == -1
                if not neg_half:
                    continue
                h = 1
            else:
                continue
            p = av * b[i, s]
            if not p * sw > 0.0:  # np.sign(p) == np.sign(w)
                continue
            mag = abs(p)
            if mag >= w_max:  # tile 0
                continue
            x = math.log(w_max / mag) / log_gamma
            r = math.floor(x + 0.5)
            if abs(x - r) < EDGE_TOL:  # tile r or r + 1: only NumPy's log decides
                if (1.0 <= r <= M and first[h, int(r) - 1] < 0) or (0.0 <= r < M and first[h, int(r)] < 0):
                    status[i] = SCAN_NEEDS_REFERENCE
                    break
                continue
            kf = math.ceil(x)
            if kf < 1.0 or kf > M:
                continue
            c = int(kf) - 1
            if first[h, c] < 0:
                first[h, c] = s
                found += 1
        if status[i] != SCAN_DECIDED:
            continue
        if found < need:
            if not complete:
                status[i] = SCAN_NEEDS_MORE
                continue
            ok[i] = False
        for h in range(2):
            res = abs(wi)
            for k in range(M):  # greedy, largest tile first (greedy_select)
                s = first[h, k]
                if s >= 0:
                    v = abs(a[ar, s] * b[i, s])
                    if v <= res:
                        keep[i, n_keep[i]] = s
                        n_keep[i] += 1
                        res = res - v


def greedy_digit_scan(
    w: np.ndarray, a: np.ndarray, a_row: np.ndarray, b: np.ndarray, M: int, w_max: float,
    gamma: float = GAMMA, halves: tuple[int, ...] = (1, -1), complete: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The greedy digit rule on factorised candidates, compiled, one row per target weight.

    Row ``i`` (target ``w_i``) has candidates ``p_s = a[a_row[i], s] · b[i, s]``, ``s = 0..L−1`` in
    sampling order (``L`` = the columns of ``b``; ``a`` may have more, which are not read). For each
    half ``h`` in ``halves`` (candidates with ``sign(a_s) = h``), among those with
    ``sign(p_s) = sign(w_i)`` the first one in each tile ``k = tile_index(|p_s|) ∈ 1..M`` is the
    digit-``k`` candidate, and the greedy rule keeps it iff ``|p_s| ≤ r`` (``r ← |w_i|``, then
    ``r ← r − |p_s|``, ``k = 1..M``) — what :func:`tile_index`, a first-per-tile scan and
    :func:`greedy_select` compute, with the same float operations (the kept sets are identical).
    ``ok_i``: every tile of every half has a candidate, or ``w_i = 0``.

    One pass over ``s`` serves both halves (a candidate belongs to the half of ``sign(a_s)``); a row
    stops reading candidates once every tile of every half has one (later candidates cannot change
    the result). ``complete``: the ``L`` candidates are all there are; if not, a row with an empty
    tile gets :data:`SCAN_NEEDS_MORE`. A candidate within :data:`EDGE_TOL` of a tile edge that could
    fill an empty tile gets the row :data:`SCAN_NEEDS_REFERENCE` (the caller classifies it with
    :func:`tile_index`). Only :data:`SCAN_DECIDED` rows' results are meaningful.

    The tile is ``⌈x⌉``, ``x = ln(w_max/|p|)/ln γ`` with the compiled logarithm: away from the
    integers (``|x − round(x)| ≥ EDGE_TOL``) NumPy's ``x`` (within ≈ 1e-13 of it) has the same
    ceiling and :func:`tile_index` no exact-edge correction, so the tile is :func:`tile_index`'s.

    Returns ``keep`` (``(n, 2M)`` kept positions ``s``, ``n_keep[i]`` valid per row, in tile order),
    ``n_keep``, ``ok`` and ``status`` (per row).
    """
    w = np.ascontiguousarray(w, dtype=np.float64)
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    a_row = np.ascontiguousarray(a_row, dtype=np.int64)
    n = w.shape[0]
    if a.ndim != 2 or b.ndim != 2 or b.shape[0] != n or a.shape[1] < b.shape[1] or a_row.shape != (n,):
        raise ValueError(
            f"greedy_digit_scan: need w (n,), b (n, L), a (rows, ≥ L), a_row (n,); got w {w.shape}, "
            f"b {b.shape}, a {a.shape}, a_row {a_row.shape}"
        )
    if n and (a_row.min() < 0 or a_row.max() >= a.shape[0]):
        raise ValueError(f"a_row: indices must lie in [0, {a.shape[0]}), the rows of a")
    M = int(M)
    keep = np.empty((n, 2 * max(M, 0)), dtype=np.int64)
    n_keep = np.empty(n, dtype=np.int64)
    ok = np.empty(n, dtype=np.bool_)
    status = np.empty(n, dtype=np.int8)
    _scan_rows(w, a, a_row, b, M, float(w_max), math.log(gamma), 1 in halves, -1 in halves, bool(complete),
               keep, n_keep, ok, status)
    return keep, n_keep, ok, status
