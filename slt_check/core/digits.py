"""Greedy base-γ digit selection ([RECON R2/R4], docs/reconstruction.md#digits) and tile bookkeeping.

Tiles: ``T_k = w_max·[γ^{-k}, γ^{1-k})``, ``k = 1..M``. Given one candidate magnitude ``v_k ∈ T_k``
per digit (or none), the greedy rule

    r ← u;  for k = 1..M:  if v_k ≤ r:  keep k,  r ← r − v_k

never overshoots and ends with ``0 ≤ r ≤ w_max γ^{-M}/(γ−1)`` whenever ``γ(γ−1) ≤ 1`` and every
digit is present (R2). Everything is vectorised over a batch of independent targets.
"""

from __future__ import annotations

import math

import numpy as np

from slt_check.core.bounds import GAMMA

__all__ = ["tile_index", "greedy_select", "greedy_residual"]


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
