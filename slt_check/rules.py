"""Selection rules: how a subset of candidate products is chosen to simulate one weight (one half).

Each rule implements ``choose(w, p, eligible) -> (keep, ok)`` on a batch (see :mod:`selection`):

* :class:`GreedyDigits` — Orseau et al.: one candidate per base-γ tile, greedy (R2/R4).

Other rules (exact subset sum, pair search) live beside it and register in :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slt_check.bounds import GAMMA
from slt_check.digits import greedy_select, tile_index

__all__ = ["GreedyDigits", "RULES", "first_in_category"]


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


RULES: dict[str, type] = {"greedy_digits": GreedyDigits}
