"""Burkholz (NeurIPS 2022, arXiv 2205.02321): the depth-``L+1`` construction (docs/reconstruction.md#burkholz).

Confirmed: depth ``L+1`` suffices with logarithmic over-parameterisation. The details below are
**our choices** (the paper's exact widths and constants are UNCONFIRMED; the layout follows the
public LT-existence code as we read it; docs/reconstruction.md#burkholz):

* ``G`` layer 0 (``n_0 → 2ρ n_0``): input ``j`` owns a block of ``2ρ`` neurons ``σ(a_h x_j)``,
  ``a_h ~ U[−s, s]`` of both signs (``x = σ(x) − σ(−x)`` needs both, R3);
* ``G`` layer 1 (``2ρ n_0 → ρ n_1``, or ``→ n_1`` when ``L = 1``): copy ``r`` of target neuron
  ``i`` simulates ``W_1[i, j] x_j`` per input ``j`` and per half (``a > 0`` / ``a < 0``) by an exact
  subset sum of the products ``a_h b_{rh}`` over block ``j`` (as Pensia, R3);
* ``G`` layer ``k ≥ 2`` (``ρ n_{k−1} → ρ n_k``; the last one ``→ n_L`` exactly): copy ``r`` of
  neuron ``i`` simulates ``W_k[i, j] σ(h_j)`` by an exact subset sum of its *own weights*
  ``c_{r,s}`` over the ``ρ`` copies ``s`` of input neuron ``j`` (inputs ≥ 0: one half only).

All entries are i.i.d. ``U[−s, s]``, ``s = √w_max`` (``U[−1,1]`` at ``w_max = 1``), drawn from the
counter-based streams ``block_rng(seed, layer, row_block, part)`` before and independently of the
target. Width: ``ρ = N_pensia(ρ·W)`` (Pensia's per-block samples ``pensia_samples`` for the ``ρ``-fold
number of subset-sum instances; fixed point), a documented choice, not the paper's. Layers ≥ 2 keep
only same-sign copies (:data:`SAME_SIGN_COPIES`). Known limit (ledger P-burkholz-depth): a small
target weight ``|w|`` in a layer ≥ 2 needs a same-sign copy weight within ``[|w| − η, |w| + η]`` or a
small subset sum near ``|w|``, which ``ρ/2`` uniform copies miss with probability ≈ ``(1 − |w|)^{ρ/2}``.

``delta_rule="union"`` (an option; the default stays the plan above, which the ledger's
P-burkholz-depth rows use): :func:`slt_check.core.bounds.burkholz_union_plan` — per-layer ``η_k``
that pay for the copies' amplification ``Σ|c| ≤ m_k s``, layers ≥ 2 with copies of **both** signs,
``g`` disjoint groups of ``m_k`` candidates per instance
(:class:`~slt_check.constructions.rules.GroupedSubsetSum`), and ``ρ`` from ``δ`` and the union over
all instances. Why the default plan misses on wider targets: docs/peers.md#burkholz-union.

Error: the certifier reads the ticket as stages ``[{layers: [0, 1], out_copies}, {layers: [2],
out_copies}, …, {layers: [L], out_copies: None}]`` (``out_copies[r]`` = the target neuron copy
``r`` tracks). R8's per-weight precision ``η`` is *not* sufficient here (a subset sum over copies
amplifies the copies' errors by ``Σ|c|``, not ``|w|``), so the success event is the **certified**
sup error ≤ ε, computed from the selected ticket; weights beyond ``η`` are still counted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from slt_check.certificates.sup_error import certified_bound, stages_of
from slt_check.constructions.base import Construction, Problem, meta_common
from slt_check.constructions.rules import ExactSubsetSum, GroupedSubsetSum
from slt_check.constructions.sample_counts import PENSIA_C, pensia_samples
from slt_check.core import bounds
from slt_check.core.laws import Uniform
from slt_check.core.nets import ReLUNet
from slt_check.core.subset_sum import MAX_N
from slt_check.io.textio import json_ready
from slt_check.sources.source import block_rng
from slt_check.tickets.plan import BurkholzPlan
from slt_check.tickets.ticket import Ticket

__all__ = ["Burkholz", "burkholz_widths", "SAME_SIGN_COPIES", "MIXED_FALLBACK", "COPIES_BUDGET", "DELTA_RULES"]

DELTA_RULES = ("pensia", "union")
"""``delta_rule`` values: the Pensia-form plan (default) and the union plan (:class:`Burkholz`)."""

SAME_SIGN_COPIES = True
"""Layers ≥ 2 select only copies whose weight has the sign of ``w``: then ``Σ|c_kept| = |ŵ| ≤ |w| + η``
and the copies' errors are amplified as R8 budgets (with mixed signs ``Σ|c|`` grew to ~ρ/2 and the
former construction missed ε on about half of the draws)."""
MIXED_FALLBACK = True
"""Where no same-sign subset sum is within η (a small ``|w|``), take the pair ``c_a + c_b`` within η
of ``w`` with the smallest amplification ``|c_a| + |c_b| ≤ w_max + 1`` (the per-weight factor R8's η
budgets)."""
COPIES_BUDGET = True
"""``ρ = N_pensia(ρ·W)``: the union bound over the ``ρ``-fold subset-sum instances (the former plan,
``ρ = ⌈N_pensia(W)/2⌉``, when False)."""


def burkholz_widths(widths: tuple[int, ...], rho: int) -> tuple[int, ...]:
    """``(n_0, 2ρ n_0, ρ n_1, …, ρ n_{L−1}, n_L)`` (``(n_0, 2ρ n_0, n_1)`` when ``L = 1``)."""
    L = len(widths) - 1
    return (widths[0], 2 * rho * widths[0], *[rho * n for n in widths[1:L]], widths[L])


def _best_pair(c: np.ndarray, w: float, eta: float, cap: float) -> tuple[int, int] | None:
    """Indices ``(a, b)``, ``a < b``, with ``|c_a + c_b − w| ≤ η`` and the smallest ``|c_a| + |c_b| ≤ cap``."""
    s = c[:, None] + c[None, :]
    amp = np.abs(c)[:, None] + np.abs(c)[None, :]
    good = np.triu(np.abs(s - w) <= eta, k=1) & (amp <= cap)
    if not good.any():
        return None
    a, b = np.unravel_index(int(np.argmin(np.where(good, amp, np.inf))), amp.shape)
    return int(a), int(b)


@dataclass
class BurkholzSpec:
    """What ``G`` depends on (no target values)."""

    widths: tuple[int, ...]
    rho: int
    law: Any
    seed: int
    output_relu: bool
    plan: BurkholzPlan


@dataclass
class Burkholz(Construction):
    """The depth-``L+1`` construction (module docstring).

    Parameters
    ----------
    rho: copies per target neuron (layer 0 has ``2ρ`` per input); default ``⌈N_pensia/2⌉``.
    window: exact solver's candidates per subset sum (``O(2^{window/2})`` each). Measured on
        ``random:4-8-8-2``, ε = 1e-2, seed 0: window 24 leaves layer-1 subset sums off by up to
        0.48 (sup error found 1.1, not certified); window 32 certifies 8.6e-5 in 23 s on the 2-core
        machine (141 s while it was shared by ~7 busy processes; 4096 exact searches of
        2^16-subset halves).
    C: Pensia's width constant used for the default ``ρ``.
    delta_rule: ``"pensia"`` (default, the plan above: ``ρ = N_pensia(ρW)``, whose ``min(η, δ)`` is
        ``η`` for every usual ``δ``, so ``ρ`` ignores ``δ``; fixed 32-candidate window; layers ≥ 2
        same-sign copies) or ``"union"`` (:func:`slt_check.core.bounds.burkholz_union_plan`: per-layer
        ``η_k`` with the copies' amplification, ``g`` disjoint groups of ``m_k`` candidates per
        instance, ``ρ`` from ``δ`` and the union over all instances; layers ≥ 2 both signs).
        ``window`` is ignored under ``"union"`` (the plan sizes the groups).
    """

    rho: int | None = None
    window: int = 32
    C: float = PENSIA_C
    delta_rule: str = "pensia"
    name: str = "burkholz"

    takes_plan = True  # sample_G accepts the plan the pipeline already computed

    def __post_init__(self) -> None:
        if self.delta_rule not in DELTA_RULES:
            raise ValueError(f"delta_rule: expected one of {DELTA_RULES}, got {self.delta_rule!r}")
        if self.rho is not None and int(self.rho) < 1:
            raise ValueError(f"rho: need at least one copy per neuron, got {self.rho}")
        if not (1 <= int(self.window) <= MAX_N):
            raise ValueError(f"window: need 1 ≤ window ≤ {MAX_N}, got {self.window}")

    def plan(self, problem: Problem) -> BurkholzPlan:
        if self.delta_rule == "union":
            return self._union_plan(problem)
        eta = bounds.per_weight_precision(problem.eps, problem.widths, problem.w_max, problem.x_max)
        # ρ copies per neuron multiply the subset-sum instances of a layer by ρ: the union bound
        # over them needs Pensia's width for ρ·W weights, ρ = N(ρ·W) (fixed point, a few steps)
        N, extra = pensia_samples(eta, problem.n_weights, problem.delta, self.C)
        if not COPIES_BUDGET:  # the former plan: ρ = ⌈N/2⌉ (kept for the broken-variant check)
            N = math.ceil(N / 2)
        for _ in range(8 if COPIES_BUDGET else 0):
            N_next, extra = pensia_samples(eta, problem.n_weights * int(N), problem.delta, self.C)
            if N_next == N:
                break
            N = N_next
        return self._sizes(problem, int(N), {"eta": eta, "window": int(self.window), **extra})

    def _union_plan(self, problem: Problem) -> BurkholzPlan:
        """:func:`slt_check.core.bounds.burkholz_union_plan` (width from ``δ`` and the union over all
        instances; per-layer ``η_k``, groups of ``m_k`` candidates, ``g`` groups per instance)."""
        u = bounds.burkholz_union_plan(problem.widths, problem.eps, problem.delta, problem.w_max, problem.x_max)
        extra = {"eta": min(u["etas"]), "window": max(u["group_sizes"]),
                 "failure_bound": u["instance_bound"] + u["block_bound"], **u}
        return self._sizes(problem, int(u["rho"]), extra)

    def _sizes(self, problem: Problem, rho_formula: int, extra: dict[str, Any]) -> BurkholzPlan:
        rho = int(self.rho or rho_formula)
        gw = burkholz_widths(problem.widths, rho)
        return BurkholzPlan(**{
            "delta_rule": self.delta_rule,
            "rho": rho,
            "rho_formula": rho_formula,
            "n_samples": 2 * rho,
            "n_samples_formula": 2 * rho_formula,
            "G_widths": gw,
            "G_neurons": int(sum(gw[1:])),
            "G_params": int(sum(a * b for a, b in zip(gw[:-1], gw[1:], strict=False))),
            "G_depth": len(gw) - 1,
            "target_depth": problem.depth,
            "uniform_half_width": math.sqrt(problem.w_max),
            **extra,
        })

    def sample_G(self, problem: Problem, seed: int, plan: BurkholzPlan | None = None) -> tuple[ReLUNet, BurkholzSpec]:
        """``G`` from ``seed`` (``plan``: as the build computed it; ``None``: computed here)."""
        if plan is None:
            plan = self.plan(problem)
        rho, gw = plan.rho, plan.G_widths
        s = plan.uniform_half_width
        law = Uniform(-s, s)
        n0 = problem.widths[0]
        A = np.empty((gw[1], n0))
        others = np.arange(n0)
        for j in range(n0):
            rows = slice(2 * rho * j, 2 * rho * (j + 1))
            A[rows, j] = law.sample(block_rng(seed, 0, j, 0), 2 * rho)
            if n0 > 1:
                A[rows, others != j] = law.sample(block_rng(seed, 0, j, 1), (2 * rho, n0 - 1))
        weights = [A]
        for k in range(1, len(gw) - 1):
            Bk = np.empty((gw[k + 1], gw[k]))
            for r in range(gw[k + 1]):
                Bk[r] = law.sample(block_rng(seed, k, r, 0), gw[k])
            weights.append(Bk)
        spec = BurkholzSpec(problem.widths, rho, law, int(seed), problem.output_relu, plan)
        return ReLUNet(weights, output_relu=problem.output_relu), spec

    @staticmethod
    def _choose(
        rule: ExactSubsetSum, plan: BurkholzPlan, layer: int, w: np.ndarray, p: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One target layer's subset sums: ``rule`` (the fixed window) under ``delta_rule="pensia"``;
        under ``"union"`` :class:`~slt_check.constructions.rules.GroupedSubsetSum` with that layer's
        ``η_k``, ``m_k`` and ``g``."""
        if plan.delta_rule != "union":
            return rule.choose(w, p, eligible)
        k = layer - 1
        return GroupedSubsetSum(plan.etas[k], plan.group_sizes[k], plan.n_groups).choose(w, p, eligible)

    def select(
        self, target: ReLUNet, G: ReLUNet, spec: BurkholzSpec, problem: Problem, plan: BurkholzPlan | None = None
    ) -> Ticket:
        """Subset sums stage by stage (module docstring); ``plan`` is ``spec.plan`` (the one ``G`` was
        sampled for) and may be omitted."""
        problem.check_target(target)
        if plan is not None and plan != spec.plan:
            raise ValueError("plan: differs from the plan G was sampled for (spec.plan)")
        rho, L = spec.rho, problem.depth
        rule = ExactSubsetSum(eta=spec.plan.eta, window=self.window)
        pensia_rule = SAME_SIGN_COPIES and spec.plan.delta_rule == "pensia"
        masks = [np.zeros(w.shape, dtype=bool) for w in G.weights]
        n_failed = 0
        copies: list[list[int] | None] = []
        # ---- stage 1: layers 0 and 1 (products a_h b_rh over the block of input j, two halves)
        W1 = np.asarray(target.weights[0], dtype=np.float64)
        n1, n0 = W1.shape
        A, B1 = G.weights[0], G.weights[1]
        c1 = np.arange(B1.shape[0]) // (rho if L > 1 else 1)  # target neuron of each copy
        R = B1.shape[0]
        h = (np.arange(n0)[:, None] * 2 * rho + np.arange(2 * rho)[None, :])  # (n0, 2ρ)
        a = A[h, np.arange(n0)[:, None]]  # (n0, 2ρ)
        b = B1[:, h]  # (R, n0, 2ρ)
        p = (a[None] * b).reshape(R * n0, 2 * rho)
        w = W1[c1][:, :].reshape(R * n0)
        sign_a = np.broadcast_to(np.sign(a)[None], (R, n0, 2 * rho)).reshape(R * n0, 2 * rho)
        keep_any = np.zeros(p.shape, dtype=bool)
        for half in (1, -1):
            keep, ok = self._choose(rule, spec.plan, 1, w, p, sign_a == half)
            keep_any |= keep
            n_failed += int((~ok).sum())
        rr, jj, ss = np.nonzero(keep_any.reshape(R, n0, 2 * rho))
        masks[0][h[jj, ss], jj] = True
        masks[1][rr, h[jj, ss]] = True
        copies.append(c1.tolist() if L > 1 else None)
        # ---- stages k ≥ 2: subset sums of each copy's own weights over the ρ copies of input j
        for k in range(1, L):
            Wk = np.asarray(target.weights[k], dtype=np.float64)
            nk, nprev = Wk.shape
            Bk = G.weights[k + 1]
            last = k == L - 1
            ck = np.arange(Bk.shape[0]) // (1 if last else rho)
            Rk = Bk.shape[0]
            cols = np.arange(nprev)[:, None] * rho + np.arange(rho)[None, :]  # (nprev, ρ)
            vals = Bk[:, cols].reshape(Rk * nprev, rho)
            wk = Wk[ck].reshape(Rk * nprev)
            # only copies whose weight has the sign of w: then Σ|c_kept| = |ŵ| ≤ |w| + η, so the
            # copies' errors are amplified as in R8 (mixed signs let Σ|c| grow to ~ρ/2 and broke ε)
            same_sign = np.sign(vals) == np.sign(wk)[:, None] if pensia_rule else np.ones(vals.shape, bool)
            keep, ok = self._choose(rule, spec.plan, k + 1, wk, vals, same_sign)
            if pensia_rule and MIXED_FALLBACK and not ok.all():
                # a small |w| may have no same-sign subset sum within η: fall back to the mixed-sign
                # pair c_a + c_b within η of w with the smallest Σ|c| (≤ w_max + 1, R8's budget)
                cap = spec.plan.uniform_half_width ** 2 + 1.0
                for b in np.flatnonzero(~ok):
                    pair = _best_pair(vals[b], float(wk[b]), float(spec.plan.eta), cap)
                    if pair is not None:
                        keep[b] = False
                        keep[b, list(pair)] = True
                        ok[b] = True
            n_failed += int((~ok).sum())
            rr, jj, ss = np.nonzero(keep.reshape(Rk, nprev, rho))
            masks[k + 1][rr, cols[jj, ss]] = True
            copies.append(None if last else ck.tolist())
        stages = [{"layers": [0, 1], "out_copies": copies[0]}] + [
            {"layers": [k + 1], "out_copies": copies[k]} for k in range(1, L)
        ]
        meta = meta_common(
            problem, self, spec.seed, spec.plan,
            stages=json_ready(stages),
            n_failed_weights=n_failed,  # subset sums (weight × half) beyond η
            law_params=spec.law.params(),
            success_event="certified sup error <= eps",
            success=False,
        )
        ticket = Ticket(G, masks, target, meta)
        cert = certified_bound(target, ticket.weights, stages_of(ticket), problem.x_max)
        ticket.meta = meta.updated(certified_at_select=float(cert.bound), success=bool(cert.bound <= problem.eps))
        return ticket
