"""Every theoretical formula, one function each (the theory side of every check and plot).

Tags: ``[RECON Rn]`` marks a statement of our reconstruction (not the paper's wording or constants;
``docs/reconstruction.md`` has one section per claim, e.g. ``#r5``), ``[C]`` a confirmed one.
Symbols: ``γ = 3/2`` digit base, ``l`` depth of the target, widths ``n_0 … n_l``,
``W = Σ n_{i-1} n_i`` target weights, ``η`` per-weight precision, ``M`` digits per weight, ``N_w``
sampled neurons per group.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import integrate, stats

from slt_check.core.subset_sum import MAX_N
from slt_check.core.validation import check_delta, check_eps, check_positive

__all__ = [
    "GAMMA",
    "PHI",
    "n_target_weights",
    "per_weight_precision",
    "n_digits",
    "greedy_residual_bound",
    "hyperbolic_support",
    "category_prob_lower",
    "tile_prob_lower",
    "samples_per_group",
    "coverage_failure_bound",
    "covering_samples",
    "propagation_bound",
    "propagation_bound_closed_form",
    "depth_linear_digit_bound",
    "g_widths",
    "g_size",
    "counting_lower_bound",
    "coupon_collector_mean",
    "biased_bounds",
    "BURKHOLZ_GROUP_MISS",
    "BURKHOLZ_EXTRA_BITS",
    "BURKHOLZ_MIN_GROUP",
    "burkholz_union_plan",
    "pensia_union_plan",
    "union_group_size",
    "union_n_groups",
    "union_block_size",
    "sign_shortfall_bound",
]

GAMMA = 1.5
"""Digit base γ = 3/2 [C: Review 1, "bitwise (base 3/2) representation"]."""

PHI = (1.0 + math.sqrt(5.0)) / 2.0
"""Golden ratio φ: greedy digits work for every M iff γ(γ−1) ≤ 1 iff γ ≤ φ [RECON R2]."""


def _check_widths(widths: Sequence[int]) -> tuple[int, ...]:
    ws = tuple(int(n) for n in widths)
    if len(ws) < 2 or any(n < 1 for n in ws) or any(int(n) != n for n in widths):
        raise ValueError(
            f"widths: need (n_0, …, n_l) with l ≥ 1 and every n_i a positive integer, got {widths!r}"
        )
    return ws


def n_target_weights(widths: Sequence[int]) -> int:
    """``W = Σ_{i=1}^{l} n_{i-1} n_i``."""
    ws = _check_widths(widths)
    return int(sum(a * b for a, b in zip(ws[:-1], ws[1:], strict=False)))


def biased_bounds(w_max: float, b_max: float, x_max: float, depth: int) -> tuple[float, float]:
    """The declared bounds of the bias-free network ``F'`` that a biased target reduces to
    (:mod:`slt_check.core.affine`, docs/biases.md): ``(w_max', x_max')`` with

        w_max' = max(w_max, b_max, 1)   (the 1 only when depth l ≥ 2: the constant neuron's weight),
        x_max' = max(x_max, 1)          (the constant input is 1).

    Every width formula of this module then takes ``w_max'`` and ``x_max'`` and the widths of ``F'``
    (``n_0 + 1, n_1 + 1, …, n_{l−1} + 1, n_l``): the bias bound enters the width only through
    ``w_max'``, e.g. ``η = ε / (l · x_max' · Π (n_{i−1} + 1)(w_max' + 1))``."""
    w_max = check_positive(w_max, "w_max")
    b_max = check_positive(b_max, "b_max")
    x_max = check_positive(x_max, "x_max")
    if int(depth) < 1:
        raise ValueError(f"depth: a network has at least one layer, got {depth}")
    w = max(w_max, b_max, 1.0) if int(depth) >= 2 else max(w_max, b_max)
    return w, max(x_max, 1.0)


def per_weight_precision(eps: float, widths: Sequence[int], w_max: float, x_max: float) -> float:
    """[RECON, docs/reconstruction.md#error-budget] ``η = min{1, ε / (l · x_max · Π_{i=1}^{l} n_{i-1}(w_max + 1))}``.

    With every simulated weight within ``η`` of its target, R8 gives sup error ≤ ε. For a target
    with biases, call it with the reduced network's widths and ``w_max' = max(w_max, b_max, 1)``,
    ``x_max' = max(x_max, 1)`` (:func:`biased_bounds`): the width depends on the bias bound.
    """
    eps = check_eps(eps)
    ws = _check_widths(widths)
    w_max = check_positive(w_max, "w_max")
    x_max = check_positive(x_max, "x_max")
    l = len(ws) - 1
    log_den = math.log(l * x_max) + sum(math.log(n * (w_max + 1.0)) for n in ws[:-1])
    return min(1.0, math.exp(math.log(eps) - log_den))


def n_digits(w_max: float, eta: float, gamma: float = GAMMA) -> int:
    """[RECON, docs/reconstruction.md#error-budget] ``M = ⌈log_γ(w_max / ((γ−1) η))⌉`` (≥ 1): greedy
    residual ≤ η (R4)."""
    w_max = check_positive(w_max, "w_max")
    eta = check_positive(eta, "eta")
    if not gamma > 1:
        raise ValueError(f"gamma: the digit base must be > 1, got {gamma}")
    m = math.log(w_max / ((gamma - 1.0) * eta)) / math.log(gamma)
    # guard against m landing a hair above an integer through rounding
    return max(1, math.ceil(m - 1e-12))


def greedy_residual_bound(M: int, w_max: float = 1.0, gamma: float = GAMMA) -> float:
    """[RECON R2/R4] ``0 ≤ |w| − |ŵ| ≤ w_max γ^{-M}/(γ−1)`` (= ``2 w_max (2/3)^M`` for γ = 3/2)."""
    return w_max * gamma ** (-M) / (gamma - 1.0)


def hyperbolic_support(M: int, w_max: float, gamma: float = GAMMA) -> tuple[float, float]:
    """[RECON R7, docs/reconstruction.md#product] ``α = √w_max γ^{-3M/4}``, ``β = √w_max γ^{M/4}``.

    Centres the triangular law of ``ln|ab|`` on the digit range ``[w_max γ^{-M}, w_max]``
    (``Λ = ln(β/α) = M ln γ``), so that every tile has probability ≥ 1/(2M) (R7).
    """
    if M < 1:
        raise ValueError(f"M: need at least one digit, got {M}")
    w_max = check_positive(w_max, "w_max")
    s = math.sqrt(w_max)
    return s * gamma ** (-0.75 * M), s * gamma ** (0.25 * M)


def tile_prob_lower(M: int) -> float:
    """[RECON R7] ``P(|ab| ∈ T_k) ≥ 1/(2M)`` for every tile ``k ≤ M``."""
    return 1.0 / (2 * M)


def category_prob_lower(M: int) -> float:
    """[RECON R7] every category ``(sign a, sign ab, k)`` has probability ≥ ``1/(8M)``."""
    return 1.0 / (8 * M)


def samples_per_group(M: int, n_groups: int, delta: float) -> int:
    """[RECON R5] ``N_w = ⌈8M ln(2M·W/δ)⌉``: with ``W = n_groups`` groups needing ``2M`` categories
    each of probability ≥ 1/(8M), ``P(some group misses a category) ≤ δ``."""
    delta = check_delta(delta)
    if M < 1 or n_groups < 1:
        raise ValueError(f"M, n_groups: need positive integers, got M={M}, n_groups={n_groups}")
    return math.ceil(8 * M * math.log(2 * M * n_groups / delta))


def coverage_failure_bound(M: int, n_groups: int, n_samples: int) -> float:
    """[RECON R5] union bound ``2M·W·(1 − 1/(8M))^N`` on P(some group misses a category)."""
    p = category_prob_lower(M)
    return min(1.0, 2 * M * n_groups * (1.0 - p) ** n_samples)


def covering_samples(p: float, n_categories: int, multiplicity: int, delta: float) -> int:
    """[RECON R6] ``N = ⌈(4/p)(m + ln(K/δ))⌉`` draws give every one of ``K`` categories
    (each of probability ≥ p) at least ``m`` times, except with probability ≤ δ."""
    delta = check_delta(delta)
    if not 0 < p <= 1:
        raise ValueError(f"p: a category probability must lie in (0, 1], got {p}")
    return math.ceil((4.0 / p) * (multiplicity + math.log(n_categories / delta)))


def propagation_bound(
    weights: Sequence[np.ndarray], eta: float | Sequence[float], x_max: float
) -> float:
    """[RECON R8] error after ``l`` layers when every simulated weight (both halves) is within
    ``η_i`` of its target:

        B_0 = x_max,  B_i = ‖W_i‖_{∞→∞} B_{i−1},  e_0 = 0,
        e_i = (‖W_i‖_{∞→∞} + η_i n_{i−1}) e_{i−1} + η_i n_{i−1} B_{i−1},

    and ``sup_x ‖F(x) − Ĝ(x)‖_∞ ≤ e_l`` (last layer linear or ReLU).
    """
    l = len(weights)
    etas = [float(eta)] * l if np.ndim(eta) == 0 else [float(e) for e in eta]  # type: ignore[arg-type]
    if len(etas) != l:
        raise ValueError(f"eta: need one value per layer ({l}), got {len(etas)}")
    B, e = float(x_max), 0.0
    for W, et in zip(weights, etas, strict=True):
        W = np.asarray(W)
        norm = float(np.max(np.sum(np.abs(W), axis=1)))
        n_in = W.shape[1]
        e = (norm + et * n_in) * e + et * n_in * B
        B = norm * B
    return e


def propagation_bound_closed_form(
    eta: float, widths: Sequence[int], w_max: float, x_max: float
) -> float:
    """[RECON R8] closed form for ``η ≤ 1``: ``e_l ≤ η l x_max Π_{i=1}^{l} n_{i−1}(w_max+1)``."""
    ws = _check_widths(widths)
    l = len(ws) - 1
    return eta * l * x_max * float(np.prod([n * (w_max + 1.0) for n in ws[:-1]]))


def depth_linear_digit_bound(
    M1: int, l: int, n_max: int, w_max: float, gamma: float = GAMMA
) -> float:
    """Claim 16 [P]: ``M(l) ≤ M(1) + (l−1)⌈log_γ(n_max(w_max+1))⌉ + log_γ(l) + 1``."""
    return (
        M1
        + (l - 1) * math.ceil(math.log(n_max * (w_max + 1.0)) / math.log(gamma))
        + math.log(l) / math.log(gamma)
        + 1
    )


def g_widths(widths: Sequence[int], n_samples: int, sharing: str) -> tuple[int, ...]:
    """Widths ``(n_0, m_1, n_1, m_2, n_2, …)`` of ``G`` (depth ``2l``) [RECON, docs/reconstruction.md#depth-2l].

    * ``per_weight``: intermediate layer ``i`` has ``n_{i−1} n_i N_w`` neurons (one group per weight);
    * ``per_input``: ``n_{i−1} N_w`` neurons (one block per input neuron, shared by its ``n_i``
      outgoing weights, as Pensia et al. share hidden banks).
    """
    ws = _check_widths(widths)
    out = [ws[0]]
    for a, b in zip(ws[:-1], ws[1:], strict=False):
        if sharing == "per_weight":
            out.append(a * b * n_samples)
        elif sharing == "per_input":
            out.append(a * n_samples)
        else:
            raise ValueError(f"sharing: expected 'per_weight' or 'per_input', got {sharing!r}")
        out.append(b)
    return tuple(out)


def g_size(widths: Sequence[int], n_samples: int, sharing: str) -> dict[str, int]:
    """Neurons (non-input) and dense parameters of ``G``.

    ``per_weight``: neurons ``Σ n_i + W·N_w``; ``per_input``: ``Σ n_i + N_w Σ n_{i−1}``.
    """
    gw = g_widths(widths, n_samples, sharing)
    return {
        "neurons": int(sum(gw[1:])),
        "params": int(sum(a * b for a, b in zip(gw[:-1], gw[1:], strict=False))),
        "depth": len(gw) - 1,
    }


def counting_lower_bound(value_range: float, eps: float) -> float:
    """Counting bound: ``n`` candidates give ``2^n`` subsets, and covering a range of length
    ``value_range`` to within ``ε`` needs ``2^n ≥ range/(2ε)``, so ``n ≥ log₂(range/(2ε))``."""
    eps = check_eps(eps)
    return max(0.0, math.log2(check_positive(value_range, "value_range") / (2.0 * eps)))


def coupon_collector_mean(probs: Sequence[float]) -> float:
    """Mean number of i.i.d. draws until every category of the given probabilities has appeared
    (the rest of the mass is "none"). Exact via ``E = ∫_0^∞ (1 − Π_c (1 − e^{−p_c t})) dt``."""

    p = np.asarray(probs, dtype=np.float64)
    if p.size == 0 or np.any(p <= 0) or p.sum() > 1 + 1e-12:
        raise ValueError("probs: need positive probabilities summing to at most 1")
    total = 1.0  # Poissonisation with rate 1: E[draws] = E[time] / 1 since rate = 1 draw per unit
    f = lambda t: 1.0 - np.prod(-np.expm1(-p * t))  # noqa: E731
    upper = 50.0 / p.min()
    val, _ = integrate.quad(f, 0.0, upper, limit=500)
    return float(val / total)


BURKHOLZ_EXTRA_BITS = 10
"""``m₀``: a group of the union plan holds ``m = max(⌈log₂(scale/η)⌉ + m₀, m_min)`` candidates (below)."""
BURKHOLZ_MIN_GROUP = 30
"""``m_min``: the smallest group. Below it a product group misses ``w ≈ ±w_max`` for want of *reach*
(``Σ`` of its positive products ``< |w|``), not of resolution: with ``m = 17`` (``η = 10⁻²``) the
measured miss was 298/4000 at ``w = 0.99`` (``benchmarks/results/burkholz_calibration.md``)."""
BURKHOLZ_GROUP_MISS = 0.02
"""``π``: bound on the probability that the exact subset-sum optimum of one group of ``m`` i.i.d.
candidates misses a fixed target ``w`` by more than ``η`` — a **measured** constant, not a derived
one: the largest one-sided 99.9 % Clopper–Pearson upper bound over the calibration grid of
``benchmarks/burkholz_domain.py calibrate`` (laws ``U[−1,1]`` and ``U[0,1]·U[−1,1]``, normalised
``η ∈ {1e-2, 1e-4, 1e-6, 1e-8}``, ``w ∈ [0, 1]``; worst 42/4000, bound 0.0165) and of its edge check
(``2^m η ≈ 2^10``, ``m = 30, 34, 38``, products near ``w = 1``; worst 20/2000, bound 0.0189):
``benchmarks/results/burkholz_calibration{,_edge}.md``."""


def union_group_size(scale: float, eta: float, extra_bits: int = BURKHOLZ_EXTRA_BITS) -> int:
    """``m = max(⌈log₂(σ/η)⌉ + m₀, m_min)`` candidates per group for precision ``η`` on candidates of
    scale ``σ`` (:func:`burkholz_union_plan`); ``ValueError`` above the exact solver's ``MAX_N``."""
    m = max(math.ceil(math.log2(check_positive(scale, "scale") / check_positive(eta, "eta")) - 1e-12)
            + int(extra_bits), BURKHOLZ_MIN_GROUP)
    if m > MAX_N:
        raise ValueError(
            f"eps: groups of {m} candidates (η = {eta:.3g}) exceed the exact solver's {MAX_N}; the union plan "
            "cannot reach this ε at this depth — use a larger ε or the orseau construction")
    return m


def union_n_groups(n_instances: int, delta: float, group_miss: float = BURKHOLZ_GROUP_MISS) -> int:
    """``g = ⌈ln(2K/δ) / ln(1/π)⌉``: then ``K π^g ≤ δ/2`` (:func:`burkholz_union_plan`)."""
    if not 0.0 < group_miss < 1.0:
        raise ValueError(f"group_miss: need a probability in (0, 1), got {group_miss}")
    return max(1, math.ceil(math.log(2 * int(n_instances) / check_delta(delta)) / math.log(1.0 / group_miss)))


def union_block_size(need: int, n_blocks: int, delta: float) -> int:
    """Smallest even block ``N ≥ 2·need`` with ``n_blocks · 2 · P(Bin(N, ½) < need) ≤ δ/2``: every
    block holds ``need`` candidates of each sign of ``a`` except with probability ``≤ δ/2``."""
    N = 2 * int(need)
    while 2 * n_blocks * float(stats.binom.cdf(need - 1, N, 0.5)) > delta / 2:
        N += 2
    return N


def sign_shortfall_bound(need: int, n_blocks: int, N: int) -> float:
    """``n_blocks · 2 · P(Bin(N, ½) < need)`` (:func:`union_block_size`)."""
    return 2 * n_blocks * float(stats.binom.cdf(need - 1, N, 0.5))


def burkholz_union_plan(
    widths: Sequence[int], eps: float, delta: float, w_max: float, x_max: float,
    group_miss: float = BURKHOLZ_GROUP_MISS, extra_bits: int = BURKHOLZ_EXTRA_BITS,
) -> dict:
    """[RECON, docs/peers.md#burkholz-union] Width of the ``burkholz`` construction that accounts for
    ``δ`` and for the union over every subset-sum instance (``delta_rule="union"``).

    Layout (``slt_check.constructions.burkholz``): ``G`` layer 0 has a block of ``2ρ`` neurons
    ``σ(a_h x_j)`` per input; stage 1 simulates ``W_1[i, j]`` per copy ``r`` and half by a subset sum
    of products ``a_h b_{rh}``; layer ``k ≥ 2`` simulates ``W_k[i, j]`` per copy by a subset sum of
    the copy's own weights ``c_{rs}`` over the ``ρ`` copies ``s`` of neuron ``j`` (both signs).
    Every entry is ``U[−s, s]``, ``s = √w_max``; ``w_max ≤ 1`` (the calibrated range).

    **Error.** Let ``B_0 = x_max``, ``B_k = n_{k−1} w_max B_{k−1}`` (bound on the target's hidden
    values). If every instance of layer ``k`` is within ``η_k`` and layer ``k ≥ 2`` keeps at most
    ``m_k`` weights per instance (``Σ_S |c| ≤ A_k = m_k s``), then with ``e_k`` the error of every
    copy of layer ``k``

        e_1 ≤ n_0 η_1 x_max            (a half's error multiplies σ(±x_j); one of them is 0)
        e_k ≤ n_{k−1} (η_k B_{k−1} + A_k e_{k−1})   since
              Σ_S c σ(ĥ_s) − w σ(h) = (Σ_S c − w) σ(h) + Σ_S c (σ(ĥ_s) − σ(h)),

    so ``e_L = Σ_k n_{k−1} η_k B_{k−1} Π_{t>k} n_{t−1} A_t``, and each of the ``L`` terms is ``ε/L`` for

        η_k = ε / (L · n_{k−1} · B_{k−1} · Π_{t=k+1}^{L} n_{t−1} A_t)      (computed from k = L down).

    **Groups.** A group of layer ``k`` is ``m_k = max(⌈log₂(σ_k/η_k)⌉ + m₀, m_min)`` consecutive eligible
    candidates (``σ_1 = w_max``, the products' scale; ``σ_k = s`` for ``k ≥ 2``); the selection
    takes the exact optimum of the first group within ``η_k``, else of the next disjoint group, …,
    over ``g`` groups. Disjoint groups are independent and each misses with probability ``≤ π``
    (:data:`BURKHOLZ_GROUP_MISS`, scale-free in ``η/σ``), so an instance misses with probability
    ``≤ π^g``. With ``K`` instances (``K_1 = 2 n_0 R_1``, ``K_k = n_{k−1} R_k``, ``R_k = ρ n_k`` copies,
    ``R_L = n_L``; ``R_1 = n_1`` when ``L = 1``) the union bound gives

        P(some instance misses) ≤ K π^g ≤ δ/2   ⇐   g = ⌈ln(2K/δ) / ln(1/π)⌉.

    **Copies.** Layer ``k ≥ 2`` needs ``ρ ≥ g m_k`` copies; a layer-0 block needs ``g m_1`` neurons of
    each sign of ``a``: ``n_0 · 2 · P(Bin(2ρ, ½) < g m_1) ≤ δ/2``. ``ρ`` is the smallest width meeting
    both; ``K`` grows with ``ρ``, so ``ρ`` is iterated to its fixed point. Total: failure ``≤ δ``, and
    ``ρ = Θ((log(1/η) + m₀) · log(K/δ))`` grows as ``δ`` shrinks.

    ``ValueError`` when a group would exceed the exact solver's ``MAX_N`` candidates (``η`` too
    small for this depth and ε) or ``w_max > 1``.
    """
    ws = _check_widths(widths)
    eps, delta = check_eps(eps), check_delta(delta)
    w_max, x_max = check_positive(w_max, "w_max"), check_positive(x_max, "x_max")
    if w_max > 1.0:
        raise ValueError(f"w_max: the union plan is calibrated for w_max ≤ 1, got {w_max}; rescale the target")
    L, s = len(ws) - 1, math.sqrt(w_max)
    B = [x_max]
    for k in range(1, L):
        B.append(ws[k - 1] * w_max * B[-1])
    etas, ms, amp = [0.0] * L, [0] * L, 1.0
    for k in range(L, 0, -1):  # layer k (1-based): η_k, then m_k and the amplification A_k
        etas[k - 1] = eps / (L * ws[k - 1] * B[k - 1] * amp)
        ms[k - 1] = union_group_size(w_max if k == 1 else s, etas[k - 1], extra_bits)
        if k >= 2:
            amp *= ws[k - 1] * ms[k - 1] * s
    rho = max([1] + [ms[0]] + ms[1:])
    for _ in range(50):
        R = [rho * n for n in ws[1:L]] + [ws[L]]
        K = 2 * ws[0] * R[0] + sum(ws[k - 1] * R[k - 1] for k in range(2, L + 1))
        g = union_n_groups(K, delta, group_miss)
        need = max([g * m for m in ms[1:]] + [1])
        new = max(need, union_block_size(g * ms[0], ws[0], delta) // 2)
        if new == rho:
            break
        rho = new
    block_bound = sign_shortfall_bound(g * ms[0], ws[0], 2 * rho)
    return {
        "etas": etas, "group_sizes": ms, "n_groups": g, "rho": rho, "n_instances": K,
        "instance_bound": K * group_miss**g, "block_bound": block_bound,
        "group_miss": group_miss, "extra_bits": int(extra_bits),
    }


def pensia_union_plan(
    eta: float, n_weights: int, n_blocks: int, delta: float, scale: float,
    group_miss: float = BURKHOLZ_GROUP_MISS, extra_bits: int = BURKHOLZ_EXTRA_BITS,
) -> dict:
    """[RECON, docs/peers.md#union-plan] Samples per block ``N`` of the ``pensia`` construction that
    account for ``δ`` and the union over its ``K = 2W`` subset-sum instances (weights × halves):

        m = max(⌈log₂(σ/η)⌉ + m₀, m_min)     (σ = s², the products' scale; η R8's precision)
        g = ⌈ln(2K/δ) / ln(1/π)⌉              ⇒  K π^g ≤ δ/2   (disjoint groups)
        N = smallest with  n_blocks · 2 · P(Bin(N, ½) < g m) ≤ δ/2   (each sign of a holds g groups)

    so that every weight is within ``η`` (hence, by R8, sup error ≤ ε) with probability ``≥ 1 − δ``,
    given the per-group miss ``≤ π`` (:data:`BURKHOLZ_GROUP_MISS`, calibrated for ``|w| ≤ σ``)."""
    m = union_group_size(scale, eta, extra_bits)
    K = 2 * int(n_weights)
    g = union_n_groups(K, delta, group_miss)
    N = union_block_size(g * m, int(n_blocks), delta)
    return {"group_size": m, "n_groups": g, "n_samples": N, "n_instances": K,
            "instance_bound": K * group_miss**g, "block_bound": sign_shortfall_bound(g * m, int(n_blocks), N),
            "group_miss": group_miss, "extra_bits": int(extra_bits)}
