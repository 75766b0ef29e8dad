"""The law × rule factorial for one target weight: how many sampled candidates each rule needs.

:func:`factorial_min_candidates` — one target weight, one half: the minimal number of sampled
candidate products ``p = a·b`` (``a > 0`` half) after which ``rule`` gets within ``eta`` of ``w``, for a
law × rule pair, over a seeded grid of targets ``w ~ U[−w_max, w_max]`` — *exactly* (pair: first hit;
greedy digits: last first-in-tile index; exact subset sum: binary search on the prefix, monotone
because a longer prefix never worsens the exact optimum). Candidate streams are read in chunks from
``SeedSequence(seed, spawn_key=(k,))``, so a prefix never depends on how far one reads.

A measurement, not a construction: P-malach-poly's growth check (:mod:`slt_check.claims.peers`) and
the peers table (:mod:`slt_check.experiments.compare`) read it, so it sits with the claims.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.constructions.rules import ExactSubsetSum, GreedyDigits
from slt_check.core import bounds, digits
from slt_check.core.laws import factor_law
from slt_check.core.subset_sum import MAX_N
from slt_check.core.validation import check_eps, check_positive

__all__ = ["factorial_law", "factorial_min_candidates"]


def factorial_law(law: str, M: int, w_max: float = 1.0) -> Any:
    """The factor law of the factorial: uniform ``U[−√w_max, √w_max]``, Orseau's hyperbolic with
    ``M`` digits (R7), or ``product`` (each factor a product of two uniforms)."""

    return factor_law(law, math.sqrt(w_max), bounds.hyperbolic_support(M, w_max))


_CHUNK = 1 << 16


def _stream(law: Any, seed: int, k: int) -> np.ndarray:
    """Chunk ``k`` of the candidate stream of ``seed``: products ``|a|·b`` (the ``a > 0`` half),
    from ``SeedSequence(seed, spawn_key=(k,))`` so prefixes never depend on how far one reads."""
    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(k),)))
    a = np.abs(law.sample(rng, _CHUNK))
    return a * law.sample(rng, _CHUNK)


def _first_ok(law: Any, seed: int, n_max: int, test: Any) -> tuple[int, int]:
    """Read chunks until ``test(p) -> (n*, kept)`` succeeds (n* ≥ 0) or ``n_max`` is passed."""
    p = np.empty(0)
    for k in range(max(1, -(-n_max // _CHUNK))):
        p = np.concatenate([p, _stream(law, seed, k)])
        n, kept = test(p)
        if n >= 0:
            return n, kept
    return -1, -1


def factorial_min_candidates(
    law: str,
    rule: str,
    eta: float,
    seeds: Sequence[int],
    *,
    w_max: float = 1.0,
    n_max: int = 2_000_000,
) -> dict[str, np.ndarray]:
    """Per seed: target ``w`` (from ``default_rng(seed)``), minimal candidates ``n*`` (``-1`` if
    ``n_max`` do not suffice) and kept count at ``n*``, for one half of one weight (module doc)."""

    eta = check_eps(eta, "eta")
    w_max = check_positive(w_max, "w_max")
    if rule not in ("pair", "greedy_digits", "exact_subset_sum"):
        raise ValueError(f"rule: expected 'pair', 'greedy_digits' or 'exact_subset_sum', got {rule!r}")
    M = bounds.n_digits(w_max, eta)
    lw = factorial_law(law, M, w_max)
    n_star = np.full(len(seeds), -1, dtype=np.int64)
    kept = np.full(len(seeds), -1, dtype=np.int64)
    ws = np.empty(len(seeds))
    for i, s in enumerate(seeds):
        w = float(np.random.default_rng(int(s)).uniform(-w_max, w_max))
        ws[i] = w
        if rule == "pair":
            def pair_test(p: np.ndarray, w: float = w) -> tuple[int, int]:
                if abs(w) <= eta:
                    return 0, 0
                hit = np.flatnonzero(np.abs(p - w) <= eta)
                return (int(hit[0]) + 1, 1) if hit.size else (-1, -1)

            n_star[i], kept[i] = _first_ok(lw, s, n_max, pair_test)
        elif rule == "greedy_digits":
            g = GreedyDigits(M=M, w_max=w_max)

            def greedy_test(p: np.ndarray, w: float = w, g: Any = g) -> tuple[int, int]:
                keep, ok = g.choose(np.array([w]), p[None, :], np.ones((1, p.size), dtype=bool))
                if not ok[0]:
                    return -1, -1
                if w == 0:
                    return 0, 0
                k = digits.tile_index(np.abs(p), w_max, bounds.GAMMA)
                good = np.sign(p) == np.sign(w)
                last = max(int(np.flatnonzero(good & (k == d))[0]) for d in range(1, M + 1))
                return last + 1, int(keep.sum())

            n_star[i], kept[i] = _first_ok(lw, s, n_max, greedy_test)
        else:
            p = _stream(lw, s, 0)[:MAX_N]
            ex = ExactSubsetSum(eta=eta, window=MAX_N)

            def ok_at(n: int, p: np.ndarray = p, w: float = w, ex: Any = ex) -> tuple[bool, int]:
                keep, ok = ex.choose(np.array([w]), p[None, :n], np.ones((1, n), dtype=bool))
                return bool(ok[0]), int(keep.sum())

            if ok_at(0)[0]:
                n_star[i], kept[i] = 0, 0
                continue
            lo, hi = 0, None  # not ok at lo; ok at hi (monotone: longer prefixes never worse)
            for n in range(8, MAX_N + 1, 8):
                if ok_at(n)[0]:
                    hi = n
                    break
                lo = n
            if hi is None:
                continue
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if ok_at(mid)[0]:
                    hi = mid
                else:
                    lo = mid
            n_star[i], kept[i] = hi, ok_at(hi)[1]
    return {"w": ws, "n_star": n_star, "kept": kept}
