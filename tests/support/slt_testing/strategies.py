"""Hypothesis strategies for the property suite (``properties/``), in one place.

They live in test support (``tests/support``, on pytest's ``pythonpath``) because test modules are
imported with ``--import-mode=importlib`` and cannot import each other. Every strategy is a named
function returning a ``SearchStrategy``; the property tests pin corner cases with ``@example``. Targets are built by
:func:`slt_check.tickets.targets.random_target` from a drawn seed and family (``"corners"`` mixes exact
zeros, ``±w_max`` and tiny weights), so a failing example is reproducible from its printed seed.

Ranges (small enough for CI on 2 cores): depth ``l ∈ 1..4``, widths ``1..8``, ``w_max`` and
``x_max`` over ``[0.1, 4]``, ``ε ∈ [1e-4, 1e-1]`` (log-uniform), ``δ ∈ [0.01, 0.2]``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from hypothesis import strategies as st

from slt_check.core import bounds
from slt_check.core.nets import ReLUNet
from slt_check.tickets.targets import FAMILIES, random_target

__all__ = [
    "PROFILE",
    "hunt",
    "seeds",
    "widths",
    "w_maxes",
    "x_maxes",
    "epsilons",
    "deltas",
    "families",
    "targets",
    "problems",
    "digit_cases",
    "weight_values",
    "one_weight_cases",
    "relu_triples",
    "scaling_cases",
]

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
"""The active Hypothesis profile (same rule as the root ``conftest.py``)."""


def hunt(value: float, label: str) -> None:
    """``hypothesis.target(value, label)`` under the ``thorough`` profile: steer the search toward
    the worst ratio (e.g. error/ε); a no-op in ``dev``/``ci`` so those stay fast and stable."""
    if PROFILE == "thorough" and math.isfinite(value):
        from hypothesis import target

        target(float(value), label=label)


def seeds() -> st.SearchStrategy[int]:
    """Seeds of ``G`` or of a target: any 32-bit integer."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def widths(max_depth: int = 4, max_width: int = 8, min_depth: int = 1) -> st.SearchStrategy[tuple[int, ...]]:
    """``(n_0, …, n_l)`` with ``l ∈ [min_depth, max_depth]`` and every ``n_i ∈ [1, max_width]``."""
    return st.integers(min_depth, max_depth).flatmap(
        lambda l: st.tuples(*[st.integers(1, max_width) for _ in range(l + 1)])
    )


def w_maxes() -> st.SearchStrategy[float]:
    """Weight bounds ``w_max``: the reference values (docs/reconstruction.md#reference-values) and anything
    in ``[0.1, 4]``."""
    return st.one_of(st.sampled_from([0.3, 1.0, 2.5]), st.floats(0.1, 4.0))


def x_maxes() -> st.SearchStrategy[float]:
    """Input box half-widths ``x_max``: the reference values (docs/reconstruction.md#reference-values) and
    anything in ``[0.1, 4]``."""
    return st.one_of(st.sampled_from([0.5, 1.0, 3.0]), st.floats(0.1, 4.0))


def epsilons(lo: float = 1e-4, hi: float = 1e-1) -> st.SearchStrategy[float]:
    """``ε`` log-uniform on ``[lo, hi]`` plus the decades ``1e-1 … 1e-4``."""
    return st.one_of(
        st.sampled_from([1e-1, 1e-2, 1e-3, 1e-4]),
        st.floats(math.log10(lo), math.log10(hi)).map(lambda e: float(10.0**e)),
    )


def deltas() -> st.SearchStrategy[float]:
    """``δ ∈ [0.01, 0.2]``."""
    return st.one_of(st.sampled_from([0.05, 0.1]), st.floats(0.01, 0.2))


def families() -> st.SearchStrategy[str]:
    """Target weight families, ``"corners"`` first so that it is what shrinking reaches."""
    return st.sampled_from(("corners",) + tuple(f for f in FAMILIES if f != "corners"))


@st.composite
def targets(draw: Any, max_depth: int = 4, max_width: int = 8,
            output_relu: bool | None = None) -> tuple[ReLUNet, float, float]:
    """``(F, w_max, x_max)``: a random target with ``|w| ≤ w_max`` (family and seed drawn)."""
    ws = draw(widths(max_depth, max_width))
    w_max = draw(w_maxes())
    x_max = draw(x_maxes())
    relu = draw(st.booleans()) if output_relu is None else output_relu
    F = random_target(ws, w_max, draw(seeds()), family=draw(families()), output_relu=relu)
    return F, w_max, x_max


@st.composite
def problems(draw: Any, max_depth: int = 4, max_width: int = 8, sharing: str | None = None,
             output_relu: bool | None = None) -> dict[str, Any]:
    """An end-to-end case: target, ``w_max``, ``x_max``, ``ε``, ``δ``, seed of ``G``, sharing."""
    F, w_max, x_max = draw(targets(max_depth, max_width, output_relu))
    return {
        "target": F,
        "w_max": w_max,
        "x_max": x_max,
        "eps": draw(epsilons()),
        "delta": draw(deltas()),
        "seed": draw(seeds()),
        "sharing": sharing or draw(st.sampled_from(["per_weight", "per_input"])),
    }


def _fracs(M: int) -> st.SearchStrategy[list[float]]:
    """Positions inside the tiles: both endpoints (0 and 1) and anything between."""
    return st.lists(st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)), min_size=M, max_size=M)


@st.composite
def digit_cases(draw: Any, gamma: float, max_M: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``(u, digits)`` for R2: ``M ∈ [1, max_M]``, ``v_k = γ^{-k} γ^{f_k}`` with ``f_k ∈ [0, 1]``
    (tile endpoints included), ``u ∈ [0, 1/(γ−1)]`` (endpoints included). Shapes ``(1,)``, ``(1, M)``."""
    M = draw(st.integers(1, max_M))
    f = np.array(draw(_fracs(M)))
    k = np.arange(1, M + 1, dtype=np.float64)
    v = np.minimum(gamma ** (f - k), gamma ** (1.0 - k))
    u_max = 1.0 / (gamma - 1.0)
    u = draw(st.one_of(st.just(0.0), st.just(u_max), st.floats(0.0, u_max)))
    return np.array([u]), v[None, :]


def weight_values(w_max: float) -> st.SearchStrategy[float]:
    """Target weights in ``[−w_max, w_max]``: exact 0, ``±w_max``, tiny ``±w_max·1e-8``, any."""
    return st.one_of(
        st.sampled_from([0.0, w_max, -w_max, 1e-8 * w_max, -1e-8 * w_max]),
        st.floats(-w_max, w_max),
    )


@st.composite
def one_weight_cases(draw: Any, max_M: int = 40) -> dict[str, Any]:
    """R4: ``w``, ``w_max``, ``M`` and one product per tile (magnitude anywhere in ``T_k``)."""
    w_max = draw(w_maxes())
    w = draw(weight_values(w_max))
    M = draw(st.integers(1, max_M))
    frac = np.array(draw(st.lists(st.one_of(st.just(0.0), st.floats(0.0, 0.999999)),
                                  min_size=M, max_size=M)))
    return {"w": w, "w_max": w_max, "M": M, "frac": frac}


def relu_triples() -> st.SearchStrategy[tuple[float, float, float]]:
    """``(a, b, x)`` with ``a ≠ 0``: finite floats of moderate exponent (no overflow of ``abx``)."""
    f = st.floats(-1e100, 1e100, allow_nan=False, allow_infinity=False)
    nz = f.filter(lambda a: a != 0)
    return st.tuples(nz, f, f)


@st.composite
def scaling_cases(draw: Any) -> dict[str, Any]:
    """R-scale: ``w``, ``w_max``, ``M``, fixed ``U``'s and signs (2 × N), and ``k`` (``c = 4^k``)."""
    w_max = draw(st.sampled_from([0.25, 0.3, 1.0, 2.5]))
    w = draw(weight_values(w_max))
    M = draw(st.integers(1, 30))
    N = draw(st.integers(1, 400))
    seed = draw(seeds())
    rng = np.random.default_rng(seed)
    u = rng.random((2, N))
    signs = rng.integers(0, 2, (2, N)) * 2 - 1
    k = draw(st.integers(-6, 6))
    return {"w": w, "w_max": w_max, "M": M, "u": u, "signs": signs, "k": k,
            "gamma": bounds.GAMMA}
