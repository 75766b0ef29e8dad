"""Selection rules: how a subset of candidate products is chosen to simulate one weight (one half).

Each rule implements ``choose(w, p, eligible) -> (keep, ok)`` on a batch (see :mod:`selection`):

* :class:`GreedyDigits` — Orseau et al.: one candidate per base-γ tile, greedy (R2/R4).

Other rules (exact subset sum, pair search) live beside it and register in :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slt_check.core import digits as _digits
from slt_check.core.bounds import GAMMA
from slt_check.core.digits import SCAN_DECIDED, SCAN_NEEDS_REFERENCE, greedy_digit_scan, greedy_select, tile_index
from slt_check.core.subset_sum import MAX_N, subset_errors
from slt_check.core.subset_sum_grow import grow_subsets

__all__ = ["GreedyDigits", "RULES", "first_in_category"]

_LIBRARY_TILE_INDEX = tile_index
"""The tile classification the compiled scan reproduces (:func:`slt_check.core.digits.greedy_digit_scan`)."""


def first_in_category(category: np.ndarray, valid: np.ndarray, n_categories: int) -> np.ndarray:
    """For each row, the first column index whose ``category`` is ``c`` (``0 ≤ c < n_categories``)
    among ``valid`` entries; ``N`` (the row length) where none. Shape ``(rows, n_categories)``."""
    n, N = category.shape
    first = np.full((n, n_categories), N, dtype=np.int64)
    r, s = np.nonzero(valid)
    if r.size:
        np.minimum.at(first, (r, category[r, s]), s)
    return first


@dataclass(frozen=True)
class GreedyDigits:
    """Greedy base-γ digits [RECON R2/R4; base 3/2 confirmed].

    Among eligible candidates whose product has the sign of ``w``, the first one (in sampling
    order: "one pass, recycling") in each tile ``T_k = w_max·[γ^{-k}, γ^{1-k})``, ``k = 1..M``, is
    the digit-``k`` candidate; the greedy rule keeps digit ``k`` iff it fits in the residual.
    ``ok`` (the R5 success event): every tile has a candidate (or ``w = 0``).
    """

    M: int
    w_max: float
    gamma: float = GAMMA
    name: str = "greedy_digits"

    def choose(
        self, w: np.ndarray, p: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        w = np.asarray(w, dtype=np.float64)
        n, N = p.shape
        sign_ok = np.sign(p) == np.sign(w)[:, None]
        k = tile_index(np.abs(p), self.w_max, self.gamma)
        valid = eligible & sign_ok & (k >= 1) & (k <= self.M) & (w != 0)[:, None]
        cat = np.where(valid, k - 1, 0)
        first = first_in_category(cat, valid, self.M)
        present = first < N
        safe = np.minimum(first, N - 1)
        digits = np.abs(np.take_along_axis(p, safe, axis=1))
        keep_d, _ = greedy_select(np.abs(w), digits, present)
        keep = np.zeros((n, N), dtype=bool)
        r, c = np.nonzero(keep_d)
        keep[r, first[r, c]] = True
        ok = present.all(axis=1) | (w == 0)
        return keep, ok

    def choose_factors(
        self, w: np.ndarray, a: np.ndarray, a_row: np.ndarray, b: np.ndarray, halves: tuple[int, ...],
        complete: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`choose` on every half of ``halves`` at once, from the factors of the candidates:
        row ``i`` has ``p = a[a_row[i]] · b[i]`` and half ``h`` the eligible set ``sign(a) = h``
        (:func:`slt_check.sources.selection.choose_from_candidates`). Compiled
        (:func:`~slt_check.core.digits.greedy_digit_scan`); a row with a candidate on a tile edge is
        recomputed by :meth:`choose` itself, so the kept sets are exactly :meth:`choose`'s.

        ``complete=False``: the ``L`` columns are a prefix of the candidates; a row whose result may
        still change with later candidates is *undecided*. Returns ``pos`` (``(n, 2M)`` kept
        positions, ascending per row, padded with ``L``), ``ok`` (per row, over the halves) and
        ``decided`` (per row; all True when ``complete``).
        """
        w = np.asarray(w, dtype=np.float64)
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        n, L = b.shape
        if tile_index is not _LIBRARY_TILE_INDEX or _digits.tile_index is not _LIBRARY_TILE_INDEX:
            # a replaced tile classification (the mutation suite) applies here too: the array code
            ref = np.ones(n, dtype=np.int8) * SCAN_NEEDS_REFERENCE
            keep = np.zeros((n, 2 * self.M), dtype=np.int64)
            n_keep, ok = np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
        else:
            keep, n_keep, ok, ref = greedy_digit_scan(
                w, a, a_row, b, self.M, self.w_max, self.gamma, tuple(halves), complete)
        pos = np.where(np.arange(keep.shape[1])[None, :] < n_keep[:, None], keep, L)
        pos.sort(axis=1)
        decided = ref == SCAN_DECIDED
        redo = np.flatnonzero(ref == SCAN_NEEDS_REFERENCE)
        if complete and redo.size:
            keep_r, ok_r = self._choose_halves(w[redo], a[a_row[redo]], b[redo], halves)
            r, c = np.nonzero(keep_r)  # row-major: ascending positions per row
            counts = keep_r.sum(axis=1)
            pos[redo] = L
            slot = np.arange(r.size) - np.repeat(np.cumsum(counts) - counts, counts)
            pos[redo[r], slot] = c
            ok[redo] = ok_r
            decided[redo] = True
        return pos, ok, decided

    def _choose_halves(
        self, w: np.ndarray, a: np.ndarray, b: np.ndarray, halves: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`choose` per half on ``p = a·b`` (eligible: ``sign(a) = h``), kept sets united."""
        p = a * b
        keep_any = np.zeros(p.shape, dtype=bool)
        ok = np.ones(len(w), dtype=bool)
        for half in halves:
            keep, good = self.choose(w, p, np.sign(a) == half)
            keep_any |= keep
            ok &= good
        return keep_any, ok


RULES: dict[str, type] = {"greedy_digits": GreedyDigits}


def compact_eligible(eligible: np.ndarray, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the column indices of the eligible entries first (in sampling order), cut to
    ``width`` columns (default: the largest eligible count). Returns ``(order, valid)``, both
    ``(rows, width)``: ``order[r, c]`` is a column of row ``r``; ``valid`` marks eligible ones."""
    e = np.asarray(eligible, dtype=bool)
    k = int(e.sum(axis=1).max()) if e.size else 0
    if width is not None:
        k = min(k, int(width))
    order = np.argsort(~e, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(e, order, axis=1)


@dataclass(frozen=True)
class ExactSubsetSum:
    """Exact subset sum [Pensia et al. 2020, docs/reconstruction.md#pensia; solver: :mod:`slt_check.core.subset_sum_grow`].

    Among the first ``window`` eligible candidates of the half (sampling order), the subset ``S``
    minimising ``|Σ_{h∈S} p_h − w|`` exactly (meet-in-the-middle; no tolerance, no MIP gap). The
    achieved sum is recomputed from the kept products; ``ok`` iff ``|Σ_S p_h − w| ≤ eta``.
    ``window`` bounds the exact search (cost ``O(2^{window/2})`` per weight); candidates past it
    are never kept.

    ``grow_from = k`` (default ``None``: off) searches prefixes of ``k, k+1, …, window`` eligible
    candidates and keeps the exact minimiser of the **first prefix whose optimum is within**
    ``eta`` (minus a float-rounding allowance, so that the recomputed error is within ``eta`` too) —
    Pensia et al. ask for a subset within ε, not for the optimum; this finds one at the cost of
    the candidates it needs (``≈ log₂(1/eta)``), not of the whole window.
    """

    eta: float
    window: int = 32
    grow_from: int | None = None
    name: str = "exact_subset_sum"

    def __post_init__(self) -> None:
        if not (1 <= int(self.window) <= MAX_N):
            raise ValueError(f"window: need 1 ≤ window ≤ {MAX_N} candidates, got {self.window}")
        if not self.eta >= 0:
            raise ValueError(f"eta: need a precision ≥ 0, got {self.eta}")
        if self.grow_from is not None and not 1 <= int(self.grow_from) <= int(self.window):
            raise ValueError(
                f"grow_from: need 1 ≤ grow_from ≤ window = {self.window}, got {self.grow_from}"
            )

    def choose(
        self, w: np.ndarray, p: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        w = np.asarray(w, dtype=np.float64)
        order, valid = compact_eligible(eligible, self.window)
        pc = np.take_along_axis(np.asarray(p, dtype=np.float64), order, axis=1)
        if self.grow_from is None:
            keep_c, _ = grow_subsets(pc, w, valid)
        else:
            # rounding allowance: solver sums and the recomputed sum differ by ≤ 2 n u Σ|v|
            n = pc.shape[1]
            allowance = 4.0 * (n + 2) * 2.0**-53 * np.abs(np.where(valid, pc, 0.0)).sum(axis=1)
            tol = np.maximum(self.eta * (1.0 - 1e-9) - allowance, 0.0)
            keep_c, _ = grow_subsets(pc, w, valid, tol=tol, n_min=int(self.grow_from))
        keep = np.zeros(np.shape(p), dtype=bool)
        r, c = np.nonzero(keep_c)
        keep[r, order[r, c]] = True
        ok = subset_errors(p, w, keep) <= self.eta
        return keep, ok


@dataclass(frozen=True)
class PairSearch:
    """Pair search [Malach et al. 2020, docs/reconstruction.md#malach]: per half, the single eligible product
    closest to ``w`` (the two-neuron gadget ``w·x = σ(wx) − σ(−wx)``; the empty set when it is
    closer, e.g. ``w = 0``). ``ok`` iff the recomputed ``|p_h − w| ≤ eta``."""

    eta: float
    name: str = "pair"

    def choose(
        self, w: np.ndarray, p: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        w = np.asarray(w, dtype=np.float64)
        p = np.asarray(p, dtype=np.float64)
        n, N = p.shape
        keep = np.zeros((n, N), dtype=bool)
        if N == 0:
            return keep, np.abs(w) <= self.eta
        dist = np.where(eligible, np.abs(p - w[:, None]), np.inf)
        best = np.argmin(dist, axis=1)
        d = dist[np.arange(n), best]
        take = d < np.abs(w)
        keep[np.flatnonzero(take), best[take]] = True
        err = np.abs(np.where(keep, p, 0.0).sum(axis=1) - w)
        return keep, err <= self.eta


@dataclass(frozen=True)
class GroupedSubsetSum:
    """Exact subset sums over disjoint groups [docs/peers.md#union-plan]: per row, the exact optimum
    of the first of ``g`` disjoint groups of ``m`` consecutive eligible candidates (sampling order)
    that is within ``eta`` of ``w``; when none is, the groups' optimum with the smallest error (the
    empty subset when ``|w| ≤ eta``). ``ok`` iff the recomputed error is ``≤ eta``.

    Groups share no candidate, so for i.i.d. candidates their misses are independent:
    ``P(row misses) = Π_groups P(group misses) ≤ π^g`` — what the union plans
    (:func:`slt_check.core.bounds.burkholz_union_plan`, :func:`~slt_check.core.bounds.pensia_union_plan`)
    budget. Each group is searched from ``max(1, m − 10)`` candidates upwards
    (:class:`ExactSubsetSum` with ``grow_from``: the cost of what it needs, same success event)."""

    eta: float
    m: int
    g: int
    name: str = "grouped_subset_sum"

    def __post_init__(self) -> None:
        if not (1 <= int(self.m) <= MAX_N) or int(self.g) < 1:
            raise ValueError(f"m, g: need 1 ≤ m ≤ {MAX_N} and g ≥ 1 groups, got m={self.m}, g={self.g}")

    def choose(
        self, w: np.ndarray, p: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        w = np.asarray(w, dtype=np.float64)
        m, g = int(self.m), int(self.g)
        order, valid = compact_eligible(eligible, g * m)
        pc = np.take_along_axis(np.asarray(p, dtype=np.float64), order, axis=1)
        rule = ExactSubsetSum(eta=self.eta, window=m, grow_from=max(1, m - 10))
        best = np.zeros(pc.shape, dtype=bool)
        best_err = np.abs(w)  # the empty subset
        todo = np.flatnonzero(best_err > self.eta)
        for grp in range(g):
            cols = slice(grp * m, (grp + 1) * m)
            rows = todo[valid[todo, cols].any(axis=1)]
            if not rows.size:
                break
            keep_g, _ = rule.choose(w[rows], pc[rows, cols], valid[rows, cols])
            err = subset_errors(pc[rows, cols], w[rows], keep_g)
            better = err < best_err[rows]
            upd = rows[better]
            best[upd] = False
            best[upd, cols] = keep_g[better]
            best_err[upd] = err[better]
            todo = todo[best_err[todo] > self.eta]
        keep = np.zeros(np.shape(p), dtype=bool)
        r, c = np.nonzero(best)
        keep[r, order[r, c]] = True
        return keep, subset_errors(p, w, keep) <= self.eta


RULES.update({"exact_subset_sum": ExactSubsetSum, "pair": PairSearch})

__all__ += ["ExactSubsetSum", "GroupedSubsetSum", "PairSearch", "compact_eligible"]
