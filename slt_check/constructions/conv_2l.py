"""Depth-2L convolutional constructions: a pair of ``G`` layers per weighted target layer.

Layout (:mod:`slt_check.sources.conv_source`): da Cunha, Natale & Viennot (ICLR 2022, "Proving the
lottery ticket hypothesis for convolutional neural networks") simulate a ``k×k`` convolution by a
``k×k`` convolution into many channels followed by a ``1×1`` recombination, each kernel entry
``w[o, c, i, j]`` by a subset sum of products ``a_s b_s`` over the channels owned by its patch column
``(c, i, j)`` — shared by every output channel ``o`` and by every spatial position (weight sharing).
**Confirmed:** the two-layer (``2L``) shape, one intermediate ``k×k`` conv and a ``1×1`` recombination
per layer, subset sums per kernel entry, a logarithmic width per kernel parameter. **Our choices**
(the paper's constants and exact channel layout are UNCONFIRMED; docs/cnn.md): the per-column
channel blocks, the counter-based streams, the bias column (a constant channel ``σ(A_bias[h])``),
Pensia's sample count for the subset sums, and the R8-on-patches precision
(:func:`slt_check.core.conv.conv_precision`).

* :class:`DaCunha` (``"dacunha"``): uniform law ``U[−√w, √w]``, exact subset sums
  (:class:`~slt_check.constructions.rules.ExactSubsetSum`) within ``η`` per kernel entry and half,
  ``N = ⌈C log₂(2W/min(η, δ))⌉`` channels per column.
* :class:`ConvOrseau` (``"conv-orseau"``) — **ours**, not a published construction: the same layout
  with Orseau et al.'s hyperbolic law and greedy base-3/2 digits per kernel entry,
  ``N = ⌈8M ln(2M W/δ)⌉`` (:func:`slt_check.core.conv.conv_plan_orseau`). The selection reads only
  the prefix of each column's stream that the greedy rule needs (nested samples), so ``G`` is never
  materialised.

``G`` depends on the architecture string, ε, δ, the declared bounds and the seed — never on target
values. Success: ``precision="r8"`` — every kernel entry's subset sum within ``η`` / every digit
present (the ≤ δ event); ``precision="certificate"`` — the same ``G``, layer ``t`` selected to
``η_t = ε/(2 l S_t)`` (``S_t`` the target's certified sensitivity to layer ``t``), accepted iff the
certified sup error is ≤ ε.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from tqdm import tqdm

from slt_check.certificates.conv_bounds import certify_conv, sensitivities
from slt_check.constructions.rules import ExactSubsetSum, GreedyDigits
from slt_check.constructions.sample_counts import PENSIA_C, pensia_samples
from slt_check.core import bounds
from slt_check.core.conv import (
    ConvNet,
    conv_plan_orseau,
    conv_precision,
    fan_ins,
    layer_shapes,
    parse_arch,
    torch_threads,
)
from slt_check.core.laws import Hyperbolic, Uniform
from slt_check.core.validation import check_count, check_delta, check_eps, check_positive
from slt_check.io.textio import json_ready
from slt_check.sources.conv_source import ConvSourceSpec, column_candidates
from slt_check.tickets.conv_ticket import ConvTicket, LayerKeep
from slt_check.tickets.plan import ConvPlan

__all__ = ["ConvProblem", "ConvConstruction", "ConvOrseau", "DaCunha"]

BATCH_VALUES = 2**23
"""Candidate values (``columns × L × outputs``) generated at once by the selection (64 MiB)."""


@dataclass(frozen=True)
class ConvProblem:
    """What ``G`` may depend on: the architecture (no weights), ε, δ, declared bounds and the box.

    ``w_max`` bounds every kernel and linear weight, ``b_max`` every bias (None: no layer has one);
    inputs lie in ``[lo, hi]`` per entry (the target's own units)."""

    arch: str
    eps: float
    delta: float
    w_max: float = 1.0
    b_max: float | None = None
    lo: float = -1.0
    hi: float = 1.0

    def __post_init__(self) -> None:
        check_eps(self.eps)
        check_delta(self.delta)
        check_positive(self.w_max, "w_max")
        if self.b_max is not None:
            check_positive(self.b_max, "b_max")
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo <= self.hi):
            raise ValueError(f"box: need finite lo ≤ hi, got [{self.lo}, {self.hi}]")
        parse_arch(self.arch)

    @property
    def parsed(self) -> tuple[tuple[int, int, int], list[Any]]:
        return parse_arch(self.arch)

    @property
    def has_bias(self) -> list[bool]:
        return [L.has_bias for L in self.parsed[1] if L.kind in ("conv", "linear")]

    @property
    def columns(self) -> tuple[int, ...]:
        shape, layers = self.parsed
        return tuple(P + int(b) for P, b in zip(fan_ins(shape, layers), self.has_bias, strict=True))

    @property
    def outputs(self) -> tuple[int, ...]:
        return tuple(L.out for L in self.parsed[1] if L.kind in ("conv", "linear"))

    @property
    def n_params(self) -> int:
        return int(sum(c * o for c, o in zip(self.columns, self.outputs, strict=True)))

    @property
    def x_max(self) -> float:
        return max(abs(self.lo), abs(self.hi), 1.0 if any(self.has_bias) else 0.0) or 1.0

    @property
    def w_bound(self) -> float:
        """``max(w_max, b_max)``: the bias is the weight of a constant input 1."""
        return max(self.w_max, self.b_max or 0.0)

    def signed_inputs(self) -> list[bool]:
        """Per weighted layer: may its input be negative (no ReLU before it, or a box with ``lo < 0``)?"""
        _, layers = self.parsed
        out, after_relu = [], False
        for L in layers:
            if L.kind in ("conv", "linear"):
                out.append(not (after_relu or (not out and self.lo >= 0)))
                after_relu = False
            elif L.kind == "relu":
                after_relu = True
        return out

    def check_target(self, target: ConvNet) -> None:
        """``ValueError`` unless the target has this architecture and respects the declared bounds."""
        if target.arch != self.arch:
            raise ValueError(f"target: architecture {target.arch} differs from the problem's {self.arch}")
        if target.w_max() > self.w_max:
            raise ValueError(f"target: a weight of magnitude {target.w_max():.6g} exceeds --w-max {self.w_max:g}")
        b = target.b_max()
        if b is not None and b > (self.b_max or 0.0):
            raise ValueError(f"target: a bias of magnitude {b:.6g} exceeds --b-max {self.b_max}")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class ConvConstruction:
    """Shared machinery of the 2L convolutional constructions (module doc)."""

    n_samples: int | None = None
    precision: str = "r8"
    name: ClassVar[str] = ""

    def __post_init__(self) -> None:
        check_count(self.n_samples, "n_samples", optional=True)
        if self.precision not in ("r8", "certificate"):
            raise ValueError(f"precision: expected 'r8' or 'certificate', got {self.precision!r}")

    def options(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # subclasses: _sizes(problem, eta) -> dict with n_samples (and M); law(plan, problem); rule(...)
    def plan(self, problem: ConvProblem) -> ConvPlan:
        """Sizes of ``G`` — no sampling, no target values."""
        shape, layers = problem.parsed
        eta = conv_precision(problem.eps, problem.columns, problem.w_bound, problem.x_max)
        sizes = self._sizes(problem, eta)
        N = int(self.n_samples or sizes["n_samples"])
        kk = _kernel_entries(shape, layers)
        spec_g = ConvSourceSpec(problem.columns, problem.outputs, N, None, 0)
        return ConvPlan(**json_ready({**sizes, "eta": eta, "n_samples": N, "n_samples_formula": sizes["n_samples"],
                                      "columns": list(problem.columns), "outputs": list(problem.outputs),
                                      "G_params": spec_g.g_params(kk), "G_depth": 2 * len(kk),
                                      "G_channels": [c * N for c in problem.columns],
                                      "target_params": problem.n_params}))

    def spec(self, problem: ConvProblem, seed: int, plan: ConvPlan | None = None) -> ConvSourceSpec:
        if plan is None:
            plan = self.plan(problem)
        return ConvSourceSpec(problem.columns, problem.outputs, int(plan.n_samples), self.law(plan, problem),
                              int(seed))

    def layer_etas(self, problem: ConvProblem, target: ConvNet, plan: ConvPlan) -> list[float]:
        """Selection precision per weighted layer: ``η`` (r8) or ``ε/(2 l S_t)`` (certificate)."""
        n = len(problem.columns)
        if self.precision == "r8":
            return [float(plan.eta)] * n
        with torch_threads(1):
            S = sensitivities(target, problem.lo, problem.hi)
        return [max(float(plan.eta), problem.eps / (2 * n * max(s, 1e-300))) for s in S]

    def select(self, target: ConvNet, problem: ConvProblem, seed: int, *, progress: bool = False) -> ConvTicket:
        """Prune ``G`` (sampled from ``seed``, lazily) into a ticket for ``target``."""
        problem.check_target(target)
        plan = self.plan(problem)
        spec = self.spec(problem, seed, plan)
        etas = self.layer_etas(problem, target, plan)
        signed = problem.signed_inputs()
        keeps, n_failed, layers_meta = [], 0, []
        total_rows = sum(c * o for c, o in zip(problem.columns, problem.outputs, strict=True))
        bar = tqdm(total=total_rows, desc=f"{self.name} selection", unit="w", disable=not progress, leave=False)
        for t, L in enumerate(target.weighted):
            Wmat = L.weight.reshape(L.out, -1)
            if L.bias is not None:
                Wmat = np.concatenate([Wmat, L.bias[:, None]], axis=1)
            P0 = int(np.prod(L.weight.shape[1:]))
            parts = [(np.arange(P0), (1, -1) if signed[t] else (1,))]
            if L.bias is not None:
                parts.append((np.array([P0]), (1,)))
            rows = []
            for cols, halves in parts:
                o, q, s, a, b, failed = self._select_columns(spec, t, Wmat, cols, halves, etas[t], plan, problem, bar)
                rows.append((o, q, s, a, b))
                n_failed += failed
            o, q, s, a, b = (np.concatenate(x) for x in zip(*rows, strict=True))
            keeps.append(LayerKeep.from_entries(o, q, s, a, b, spec.n_samples))
            layers_meta.append({"layer": t, "eta": etas[t], **self._layer_meta(etas[t], problem)})
        bar.close()
        meta = {"construction": self.name, "options": self.options(), "problem": problem.as_dict(),
                "seed": int(seed), "plan": plan.to_dict(), "layers": layers_meta, "n_failed_weights": int(n_failed),
                "law_params": spec.law.params(), "eps": problem.eps, "delta": problem.delta,
                "success_event": "every kernel entry within its precision" if self.precision == "r8"
                else "certified sup error <= eps"}
        ticket = ConvTicket(target, keeps, json_ready(meta))
        if self.precision == "r8":
            ticket.meta["success"] = n_failed == 0
        else:
            with torch_threads(1):
                cert = certify_conv(target, problem.lo, problem.hi, ticket.deviations())["bound"]
            ticket.meta["certified_at_select"] = cert
            ticket.meta["success"] = bool(cert <= problem.eps)
        return ticket

    def _layer_meta(self, eta: float, problem: ConvProblem) -> dict[str, Any]:
        return {}

    def _select_columns(self, spec: ConvSourceSpec, t: int, Wmat: np.ndarray, cols: np.ndarray,
                        halves: tuple[int, ...], eta: float, plan: ConvPlan, problem: ConvProblem,
                        bar: Any) -> tuple[np.ndarray, ...]:
        raise NotImplementedError


def _kernel_entries(shape: tuple[int, int, int], layers: list[Any]) -> list[int]:
    shapes = [tuple(shape)] + layer_shapes(shape, layers)
    return [shapes[i][0] * (L.kernel**2 if L.kind == "conv" else 1)
            for i, L in enumerate(layers) if L.kind in ("conv", "linear")]


def _gather(cols_batch: np.ndarray, a: np.ndarray, b: np.ndarray, keep_pos: np.ndarray, row_q: np.ndarray,
            row_o: np.ndarray, L: int) -> tuple[np.ndarray, ...]:
    """Kept ``(o, q, s, a, b)`` from per-row kept positions (padded with ``L``)."""
    r, j = np.nonzero(keep_pos < L)
    s = keep_pos[r, j]
    qi = row_q[r]
    return row_o[r], cols_batch[qi], s, a[qi, s], b[qi, s, row_o[r]]


@dataclass
class ConvOrseau(ConvConstruction):
    """Hyperbolic law, greedy base-γ digits per kernel entry (ours; module doc). ``gamma``: digit base."""

    gamma: float = bounds.GAMMA
    name: ClassVar[str] = "conv-orseau"

    def _sizes(self, problem: ConvProblem, eta: float) -> dict[str, Any]:
        p = conv_plan_orseau(problem.eps, problem.delta, problem.columns, problem.n_params, problem.w_bound,
                             problem.x_max, self.gamma)
        alpha, beta = bounds.hyperbolic_support(p["M"], problem.w_bound, self.gamma)
        return {**p, "alpha": alpha, "beta": beta, "gamma": self.gamma,
                "failure_bound": bounds.coverage_failure_bound(p["M"], problem.n_params, p["n_samples"])}

    def law(self, plan: ConvPlan, problem: ConvProblem) -> Hyperbolic:
        return Hyperbolic(plan.alpha, plan.beta)

    def digits(self, eta: float, problem: ConvProblem) -> int:
        plan_M = bounds.n_digits(problem.w_bound, conv_precision(problem.eps, problem.columns, problem.w_bound,
                                                                 problem.x_max), self.gamma)
        return min(plan_M, bounds.n_digits(problem.w_bound, eta, self.gamma))

    def _layer_meta(self, eta: float, problem: ConvProblem) -> dict[str, Any]:
        return {"M": self.digits(eta, problem)}

    def _select_columns(self, spec, t, Wmat, cols, halves, eta, plan, problem, bar):  # noqa: ANN001, ANN202
        M = self.digits(eta, problem)
        rule = GreedyDigits(M=M, w_max=problem.w_bound, gamma=self.gamma)
        out_n = Wmat.shape[0]
        N = spec.n_samples
        pending = cols
        L = min(N, max(64, 16 * M * len(halves)))
        found: list[tuple[np.ndarray, ...]] = []
        failed = 0
        pend_rows: np.ndarray | None = None  # per pending column, which outputs are still undecided
        while pending.size:
            complete = L >= N
            nb = max(1, BATCH_VALUES // (L * out_n))
            next_cols, next_rows = [], []
            for i0 in range(0, pending.size, nb):
                cb = pending[i0:i0 + nb]
                a, b = column_candidates(spec, t, cb, L)
                live = np.ones((cb.size, out_n), bool) if pend_rows is None else pend_rows[i0:i0 + nb]
                row_q, row_o = np.nonzero(live)
                w = Wmat[row_o, cb[row_q]]
                brows = b[row_q, :, row_o]
                pos, ok, decided = rule.choose_factors(w, a, row_q, brows, halves, complete)
                d = decided
                found.append(_gather(cb, a, b, pos[d], row_q[d], row_o[d], a.shape[1]))
                failed += int((~ok[d]).sum())
                bar.update(int(d.sum()))
                if not d.all():
                    und = np.zeros((cb.size, out_n), bool)
                    und[row_q[~d], row_o[~d]] = True
                    keep_c = und.any(axis=1)
                    next_cols.append(cb[keep_c])
                    next_rows.append(und[keep_c])
            pending = np.concatenate(next_cols) if next_cols else np.zeros(0, np.int64)
            pend_rows = np.concatenate(next_rows) if next_rows else None
            L = min(N, 2 * L)
        if not found:
            z = np.zeros(0, np.int64)
            return z, z, z, np.zeros(0), np.zeros(0), failed
        return (*(np.concatenate(x) for x in zip(*found, strict=True)), failed)


@dataclass
class DaCunha(ConvConstruction):
    """Uniform law, exact subset sums per kernel entry and half (module doc). ``window``: candidates
    per exact search; ``C``: Pensia's width constant."""

    window: int = 32
    C: float = PENSIA_C
    name: ClassVar[str] = "dacunha"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_count(self.window, "window", upper=40)
        check_positive(self.C, "C")

    def _sizes(self, problem: ConvProblem, eta: float) -> dict[str, Any]:
        N, extra = pensia_samples(eta, problem.n_params, problem.delta, self.C)
        return {"n_samples": N, "uniform_half_width": math.sqrt(problem.w_bound), **extra}

    def law(self, plan: ConvPlan, problem: ConvProblem) -> Uniform:
        s = math.sqrt(problem.w_bound)
        return Uniform(-s, s)

    def _select_columns(self, spec, t, Wmat, cols, halves, eta, plan, problem, bar):  # noqa: ANN001, ANN202
        rule = ExactSubsetSum(eta=eta, window=int(self.window), grow_from=min(8, int(self.window)))
        out_n, N = Wmat.shape[0], spec.n_samples
        nb = max(1, BATCH_VALUES // (N * out_n))
        found, failed = [], 0
        for i0 in range(0, cols.size, nb):
            cb = cols[i0:i0 + nb]
            a, b = column_candidates(spec, t, cb, N)
            row_q, row_o = np.nonzero(np.ones((cb.size, out_n), bool))
            w = Wmat[row_o, cb[row_q]]
            p = a[row_q] * b[row_q, :, row_o]
            keep = np.zeros(p.shape, bool)
            for h in halves:
                k, ok = rule.choose(w, p, np.sign(a[row_q]) == h)
                keep |= k
                failed += int((~ok).sum())
            pos = np.where(keep, np.arange(N)[None, :], N)
            found.append(_gather(cb, a, b, pos, row_q, row_o, N))
            bar.update(int(row_q.size))
        return (*(np.concatenate(x) for x in zip(*found, strict=True)), failed)
