"""Argument checks shared by every public function: each raises a ``ValueError`` that names the
argument, says what was wrong and how to fix it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_eps",
    "check_delta",
    "check_positive",
    "check_finite_array",
    "check_weight_bound",
    "check_array_bound",
    "check_box",
    "as_rng",
    "check_count",
    "MAX_TARGET_PARAMS",
    "check_real",
    "MAX_SCALE",
    "check_scale",
]


def check_positive(value: Any, name: str) -> float:
    """A finite real number > 0."""
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name}: must be finite and > 0, got a number too large for float64") from None
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a positive real number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name}: must be finite and > 0, got {value!r}")
    return v


def check_eps(eps: Any, name: str = "eps") -> float:
    """ε: the sup-norm error target; finite and > 0."""
    return check_positive(eps, name)


def check_delta(delta: Any, name: str = "delta") -> float:
    """δ: a failure probability, strictly inside (0, 1)."""
    try:
        d = float(delta)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a probability in (0, 1), got {delta!r}") from None
    if not (0.0 < d < 1.0):
        raise ValueError(f"{name}: a failure probability must lie strictly in (0, 1), got {delta!r}")
    return d


def check_finite_array(a: np.ndarray, name: str) -> None:
    """Every entry finite (no NaN / ±inf)."""
    a = np.asarray(a)
    if a.size and not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(
            f"{name}: contains a non-finite value ({a[tuple(bad)]!r} at index {tuple(int(i) for i in bad)}); "
            "weights and inputs must be finite floats"
        )


def check_array_bound(
    arrays: Sequence[Any], bound: float, where: str, symbol: str, bound_name: str, advice: str
) -> float:
    """Every entry of every array is finite with ``|entry| ≤ bound`` (``where[k]`` names array ``k`` in
    the error, ``|symbol|`` its entries, ``advice`` ends the message); returns ``bound`` as a float."""
    bound = check_positive(bound, bound_name)
    for k, a in enumerate(arrays):
        a = np.asarray(a)
        check_finite_array(a, f"{where}[{k}]")
        m = float(np.max(np.abs(a))) if a.size else 0.0
        if m > bound:
            raise ValueError(f"{where}[{k}]: max |{symbol}| = {m:.6g} exceeds {bound_name} = {bound:.6g}; {advice}")
    return bound


def check_weight_bound(weights: list[np.ndarray], w_max: float, name: str = "target") -> None:
    """Every target weight satisfies ``|w| ≤ w_max`` (the boundedness assumption of the theorem)."""
    check_array_bound(weights, w_max, f"{name}.weights", "w", "w_max",
                      "pass a larger w_max or rescale the target (the theorem assumes |w| ≤ w_max)")


def check_box(x: np.ndarray, x_max: float, name: str = "x") -> None:
    """Inputs lie in the box ``‖x‖_∞ ≤ x_max``."""
    x = np.asarray(x, dtype=np.float64)
    check_finite_array(x, name)
    m = float(np.max(np.abs(x))) if x.size else 0.0
    if m > x_max:
        raise ValueError(
            f"{name}: max |x| = {m:.6g} lies outside the input box ‖x‖_∞ ≤ x_max = {x_max:.6g}; "
            "clip the inputs or pass a larger x_max"
        )


def as_rng(rng: Any) -> np.random.Generator:
    """Accept a ``Generator``, a ``SeedSequence`` or an int seed; refuse ``None`` (no hidden state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"seed: must be a non-negative integer, got {rng}")
        return np.random.default_rng(int(rng))
    raise ValueError(
        f"rng: expected an int seed or numpy Generator, got {type(rng).__name__}; "
        "every random draw in slt_check must come from an explicit seed"
    )


def check_count(value: Any, name: str, *, optional: bool = False, upper: int | None = None) -> int | None:
    """A positive ``int`` (not a float, not a bool); ``None`` passes when ``optional``."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected a positive integer, got {value!r} ({type(value).__name__})")
    if value < 1 or (upper is not None and value > upper):
        bound = f" and ≤ {upper}" if upper is not None else ""
        raise ValueError(f"{name}: must be ≥ 1{bound}, got {value}")
    return int(value)


def check_real(value: Any, name: str) -> float:
    """A finite real number (``int`` or ``float``, not a bool or a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a real number, got {value!r} ({type(value).__name__})")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{name}: must be finite, got a number too large for float64") from None
    if not math.isfinite(v):
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return v


MAX_SCALE = 1e100
"""Largest ε, ``w_max``, ``b_max`` and ``x_max`` a problem accepts: far beyond any use, and small enough
that the plans' formulas (powers, logarithms, sample counts) and the certificates' products stay
finite in float64 (docs/certificates.md, "Float safety")."""


def check_scale(value: Any, name: str) -> float:
    """A finite real number in ``(0, MAX_SCALE]`` (ε, ``w_max``, ``b_max``, ``x_max``)."""
    v = check_positive(value, name)
    if v > MAX_SCALE:
        raise ValueError(f"{name}: must be ≤ {MAX_SCALE:g} (float64-safe range), got {value!r}; rescale the problem")
    return v


MAX_TARGET_PARAMS = 50_000_000
"""Most weights (entries of all layers) a target may have: 400 MB in float64, and far beyond what a
ticket (whose ``G`` is much wider than the target) can be built for in memory. Random specs and
``.npz``/``.pt`` files declaring more are refused before anything is allocated."""
