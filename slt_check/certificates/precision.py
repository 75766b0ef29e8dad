"""Certificate-aware per-layer precisions: how close each simulated weight must be, for *this* target.

R8 (:func:`slt_check.core.bounds.per_weight_precision`) asks every simulated weight to be within one
``η`` that only depends on the widths, ``w_max`` and ``x_max`` — the worst case over all targets.
It sizes ``G`` (which must not look at the target), but as a *selection tolerance* it is very
strict: on a 784-500-10 Kaiming target it asks ``η ≈ 3·10⁻⁹`` where ``≈ 3·10⁻⁷`` suffices.

Once the target is known, the certified bound of :mod:`slt_check.certificates.sup_error` can be bounded for a
ticket whose every simulated weight of layer ``i`` (each half, float rounding included) is within
``η_i`` of its target. With ``U_j = max(hi_j, −lo_j, 0)`` from the interval bounds ``[lo, hi]`` of
the target's stage-``i`` input over the box, ``s_i = Σ_j U_j`` and ``|Pos| ≤ |W_i| + η_i``:

    E_0 = 0,   E_i = η_i s_i 1 + (|W_i| + η_i) E_{i−1},   B(η) = max_r (E_l)_r,

and the certified bound of such a ticket is at most ``B(η)`` plus the float-evaluation slack
(:func:`slt_check.certificates.stages.ticket_float_slack`), because every term of the certificate is
monotone in the deviations.

**The slack is not in this budget**; ``margin`` (10⁻³ ε by default) is what is left for it. For a
pair-stage ticket it is bounded stage by stage
(:func:`slt_check.certificates.stages.stagewise_float_slack`): the rounding a stage injects,
``γ_{f+2}|B||A|`` times its input bound, propagates through later stages by ``|BA⁺| ≈ |W|``, so the
cancellation factor of the subset sums enters once per injected rounding, not once per layer.
Measured (``pensia``, Kaiming, compact tickets): 3.4–3.6·10⁻⁴ ε at 64-32-16-4, ε = 10⁻⁵, and
2.8·10⁻⁴ ε at 784-300-100-10, ε = 10⁻² — inside the margin. The reference bound
:func:`slt_check.certificates.stages.float_slack`, which compounds the cancellation factor ``|B||A| / |BA|`` (≈ 3·n_i) over the layers, gave 0.4 ε and
2.2 ε there (docs/peers.md, "pensia at depth 3"); tickets whose stages are not pairs still get it. The
slack depends on the kept subsets, so it is only known after selection, and the acceptance test stays
the certificate itself.

:func:`layer_precisions` picks ``η_i = κ ρ_i`` with ``B(η) = (1 − margin) ε``, where the shape
``ρ_i = (S_i / c_i)^{2/3}`` minimises the exact solver's cost ``Σ_i S_i η_i^{−1/2}`` (``S_i``
subset-sum instances in layer ``i``, each costing ``∝ 2^{n/2}`` with ``n ≈ log₂(1/η_i)``
candidates) to first order, ``c_i = ∂B/∂η_i`` at ``η = 0``.

This tolerance depends on the target, so it is only ever used to *select* (the choice of a mask is
allowed to look at the target); ``G``'s size still comes from R8's ``η``. The success event stays
the certificate itself: the ticket is accepted iff its certified sup error is ``≤ ε``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from slt_check.certificates.stages import interval_bounds as _interval_bounds
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_eps, check_positive

__all__ = ["precision_bound", "layer_precisions"]


def _input_scales(target: ReLUNet, x_max: float) -> list[float]:
    """``s_i = Σ_j max(hi_j, −lo_j, 0)`` over the stage-``i`` input's interval bounds."""

    return [float(np.sum(np.maximum(np.maximum(hi, 0.0), np.maximum(-lo, 0.0))))
            for lo, hi in _interval_bounds(target, x_max)]


def _bound(abs_Ws: Sequence[np.ndarray], scales: Sequence[float], etas: Sequence[float]) -> float:
    """``B(η)`` from the layers' ``|W_i|`` and input scales ``s_i`` (computed once by the callers)."""
    E = np.zeros(abs_Ws[0].shape[1])
    for A, eta, s in zip(abs_Ws, etas, scales, strict=False):
        E = (eta * s + (A + eta) @ E) * (1 + 1e-12)
    return float(E.max())


def precision_bound(target: ReLUNet, etas: Sequence[float], x_max: float) -> float:
    """``B(η)`` of the module docstring: the certified bound of any ticket whose simulated weights
    of layer ``i`` are all within ``etas[i]`` (float-evaluation slack excluded)."""
    x_max = check_positive(x_max, "x_max")
    Ws = target.dense_weights()
    if len(etas) != len(Ws):
        raise ValueError(f"etas: need one precision per target layer ({len(Ws)}), got {len(etas)}")
    return _bound([np.abs(W) for W in Ws], _input_scales(target, x_max), etas)


def layer_precisions(
    target: ReLUNet,
    eps: float,
    x_max: float,
    instances: Sequence[int] | None = None,
    margin: float = 1e-3,
) -> list[float]:
    """Per-layer precisions ``η_i`` with ``precision_bound(target, η) = (1 − margin)·eps``.

    ``instances[i]``: subset-sum instances in layer ``i`` (default: its number of weights); only
    the *shape* ``ρ_i ∝ (instances_i / c_i)^{2/3}`` depends on it. Every ``η_i`` is capped at
    ``2·max|W_i|`` (beyond that the empty subset is already within ``η_i``).
    """
    eps = check_eps(eps)
    x_max = check_positive(x_max, "x_max")
    if not 0 <= margin < 1:
        raise ValueError(f"margin: need 0 ≤ margin < 1, got {margin}")
    Ws = target.dense_weights()
    l = len(Ws)
    S = np.array([W.size for W in Ws] if instances is None else list(instances), dtype=np.float64)
    if S.shape != (l,) or np.any(S <= 0):
        raise ValueError(f"instances: need {l} positive counts, got {instances!r}")
    scales = _input_scales(target, x_max)
    abs_Ws = [np.abs(W) for W in Ws]
    # c_i: linear sensitivity of B to η_i at η = 0
    c = np.empty(l)
    for i in range(l):
        E = np.full(Ws[i].shape[0], scales[i])
        for A in abs_Ws[i + 1 :]:
            E = A @ E
        c[i] = float(E.max())
    cap = np.array([max(2.0 * float(np.abs(W).max()), 1e-300) for W in Ws])
    rho = (S / np.maximum(c, 1e-300)) ** (2.0 / 3.0)
    goal = (1.0 - margin) * eps

    def etas(k: float) -> list[float]:
        return [float(v) for v in np.minimum(k * rho, cap)]

    lo, hi = 0.0, goal / float(np.dot(np.maximum(c, 1e-300), rho))  # first-order guess
    while _bound(abs_Ws, scales, etas(hi)) <= goal and np.any(hi * rho < cap):
        lo, hi = hi, 2.0 * hi
    if _bound(abs_Ws, scales, etas(hi)) <= goal:
        return etas(hi)
    for _ in range(60):  # bisection: B is continuous and increasing in k
        mid = 0.5 * (lo + hi)
        if _bound(abs_Ws, scales, etas(mid)) <= goal:
            lo = mid
        else:
            hi = mid
    return etas(lo)
