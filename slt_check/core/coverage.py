"""Universal subset-sum coverage, exactly: the set of ``z`` that *some* subset of a sample set
approximates within ε, as a union of disjoint intervals (docs/peers.md#universal-coverage).

    U_0 = [−ε, ε],    U_k = U_{k−1} ∪ (U_{k−1} + X_k)

so ``U_n = ∪_{S ⊆ [n]} [Σ_S X − ε, Σ_S X + ε]``: "the sample set covers ``[−a, a]``" is then a
verdict (an interval inclusion), not a sample of targets. Overlapping or touching intervals are
merged after every step, so the representation stays small once coverage sets in.

The counting bound (``slt_check.core.bounds.counting_lower_bound``): ``U_n`` is a union of at most
``2^n`` intervals of length ``2ε``, so covering ``[−a, a]`` needs ``2^n·2ε ≥ 2a``, i.e.
``n ≥ log₂(a/ε) = log₂(range/(2ε))``. Only a bug can make :func:`minimal_cover_n` smaller.

Laws for :func:`minimal_samples`: ``"uniform"`` ``U[−1,1]``; ``"product"`` the product of two
independent ``U[−1,1]``; ``"hyperbolic"`` ``|X|`` log-uniform on ``[ε, 1]`` with a random sign.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from slt_check.core.laws import factor_law
from slt_check.core.validation import as_rng, check_eps, check_finite_array, check_positive

__all__ = [
    "merge_intervals",
    "step",
    "covered_intervals",
    "covers",
    "uncovered",
    "minimal_cover_n",
    "coverage_law",
    "minimal_samples",
    "COVERAGE_LAWS",
]

COVERAGE_LAWS = ("uniform", "product", "hyperbolic")


def merge_intervals(iv: np.ndarray) -> np.ndarray:
    """Sort ``(k, 2)`` closed intervals and merge overlapping or touching ones."""
    iv = np.asarray(iv, dtype=np.float64).reshape(-1, 2)
    if len(iv) == 0:
        return iv
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    hi_run = np.maximum.accumulate(iv[:, 1])
    new = np.ones(len(iv), dtype=bool)
    new[1:] = iv[1:, 0] > hi_run[:-1]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], len(iv)] - 1
    return np.column_stack([iv[starts, 0], hi_run[ends]])


def step(U: np.ndarray, x: float) -> np.ndarray:
    """``U ∪ (U + x)``, merged."""
    return merge_intervals(np.concatenate([U, U + float(x)]))


def _values(values: Sequence[float] | np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    check_finite_array(v, "values")
    return v


def covered_intervals(values: Sequence[float] | np.ndarray, eps: float) -> np.ndarray:
    """``U_n``: the disjoint intervals of ``z`` with ``min_S |z − Σ_S values| ≤ eps``."""
    eps = check_eps(eps)
    U = np.array([[-eps, eps]])
    for x in _values(values):
        U = step(U, x)
    return U


def uncovered(U: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The gaps of the interval union ``U`` inside ``[lo, hi]`` (``(k, 2)``, open intervals)."""
    gaps = []
    cur = float(lo)
    for a, b in np.asarray(U).reshape(-1, 2):
        if b < cur:
            continue
        if a > hi:
            break
        if a > cur:
            gaps.append((cur, min(a, hi)))
        cur = max(cur, b)
        if cur >= hi:
            break
    if cur < hi:
        gaps.append((cur, float(hi)))
    return np.array(gaps, dtype=np.float64).reshape(-1, 2)


def _covers(U: np.ndarray, a: float) -> bool:
    i = np.searchsorted(U[:, 0], -a, side="right") - 1
    return bool(i >= 0 and U[i, 0] <= -a and U[i, 1] >= a)


def covers(values: Sequence[float] | np.ndarray, eps: float, a: float) -> bool:
    """Whether every ``z ∈ [−a, a]`` is within ``eps`` of some subset sum of ``values``."""
    a = check_positive(a, "a")
    return _covers(covered_intervals(values, eps), a)


def minimal_cover_n(values: Sequence[float] | np.ndarray, eps: float, a: float) -> int | None:
    """The first ``n`` such that ``values[:n]`` ε-covers ``[−a, a]`` (monotone in ``n``), or
    ``None`` if all of ``values`` do not."""
    eps = check_eps(eps)
    a = check_positive(a, "a")
    U = np.array([[-eps, eps]])
    if _covers(U, a):
        return 0
    for k, x in enumerate(_values(values), start=1):
        U = step(U, x)
        if _covers(U, a):
            return k
    return None


def coverage_law(name: str, eps: float) -> object:
    """The sampling law of :data:`COVERAGE_LAWS` (``hyperbolic`` depends on ``eps``)."""
    if name not in COVERAGE_LAWS:
        raise ValueError(f"law: expected one of {COVERAGE_LAWS}, got {name!r}")
    return factor_law(name, 1.0, (check_eps(eps), 1.0))


def minimal_samples(
    law: str, eps: float, a: float, seeds: Sequence[int], n_max: int = 200,
    progress: bool | None = None,
) -> np.ndarray:
    """``n*`` per seed: the minimal prefix of an i.i.d. stream (``default_rng(seed)``) that
    ε-covers ``[−a, a]``; ``-1`` where ``n_max`` samples do not (reported, never hidden)."""
    lw = coverage_law(law, eps)
    out = np.empty(len(seeds), dtype=np.int64)
    for i, s in enumerate(tqdm(list(seeds), disable=None if progress is None else not progress,
                               desc=f"coverage {law} ε={eps:g}", leave=False)):
        x = lw.sample(as_rng(int(s)), int(n_max))
        n = minimal_cover_n(x, eps, a)
        out[i] = -1 if n is None else n
    return out
