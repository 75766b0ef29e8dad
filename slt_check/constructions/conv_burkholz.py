"""The depth-``L+1`` convolutional construction after Burkholz (ICML 2022), ``"burkholz-conv"``.

**Confirmed:** depth ``L + 1`` suffices for CNNs with a logarithmic over-parameterisation (Burkholz 2022,
"Convolutional and residual networks provably contain lottery tickets"). **Our choices** (the paper's
widths and constants are UNCONFIRMED here; we follow our MLP reading, :mod:`slt_check.constructions.burkholz`):

* ``G_0``: ``1×1`` convolution ``c_0 → 2ρ c_0``; channel ``(c, h)`` reads input channel ``c`` with weight
  ``a_{c,h}`` (both signs: ``x = σ(x) − σ(−x)``);
* ``G_1``: the first target convolution's shape, ``2ρ c_0 → ρ c_1`` channels (``c_1`` at depth 1): copy
  ``r`` of output channel ``o`` simulates each kernel entry ``W_1[o, c, i, j]`` by an exact subset sum of
  ``a_{c,h} · G_1[(o, r), (c, h), i, j]`` over ``h`` (per half);
* ``G_t``, ``t ≥ 2``: the target layer's shape over copies, ``ρ c_{t−1} → ρ c_t`` (the last: ``c_L``):
  copy ``r`` of ``o`` simulates ``W_t[o, c, i, j]`` by an exact subset sum of its own entries
  ``G_t[(o, r), (c, s), i, j]`` over the copies ``s`` of input channel ``c`` that have the sign of ``w``
  (where none is within ``η``, typically a small ``|w|``, over all copies: mixed signs amplify the copies'
  errors by ``Σ|G|``, which the certificate accounts for).

Every entry ``U[−√w, √w]``, rows from ``block_rng(seed, t, row, 0)`` (``G_0``: one stream per input
channel), before and independently of the target; ``ρ = N_pensia(ρ·W)`` (fixed point). ``G`` is dense
(no lazy path): small targets only. Bias-free targets starting with a ``Conv2d``. Success event: the
certified sup error (:func:`slt_check.certificates.conv_bounds.certify_copies`) ≤ ε.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from slt_check.constructions.conv_2l import ConvProblem
from slt_check.constructions.rules import ExactSubsetSum
from slt_check.constructions.sample_counts import PENSIA_C, pensia_samples
from slt_check.core.conv import ConvNet, conv_precision, layer_shapes, torch_threads
from slt_check.core.laws import Uniform
from slt_check.core.validation import check_count, check_positive
from slt_check.io.textio import json_ready
from slt_check.tickets.conv_copies_ticket import CopiesTicket, copies_layers, flat_hw, g_row
from slt_check.tickets.plan import ConvCopiesPlan

__all__ = ["ConvBurkholz", "MAX_G_PARAMS"]

MAX_G_PARAMS = 50_000_000
"""Largest dense ``G`` this construction samples."""


@dataclass
class ConvBurkholz:
    """Module doc. ``rho``: copies per target channel (default: the plan's); ``window``: exact solver's
    candidates per subset sum; ``C``: Pensia's constant."""

    rho: int | None = None
    window: int = 32
    C: float = PENSIA_C
    name: ClassVar[str] = "burkholz-conv"

    def __post_init__(self) -> None:
        check_count(self.rho, "rho", optional=True)
        check_count(self.window, "window", upper=40)
        check_positive(self.C, "C")

    def options(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def plan(self, problem: ConvProblem) -> ConvCopiesPlan:
        if problem.b_max is not None or any(problem.has_bias):
            raise ValueError("burkholz-conv: bias-free targets only; use conv-orseau or dacunha for biases")
        eta = conv_precision(problem.eps, problem.columns, problem.w_bound, problem.x_max)
        N, extra = pensia_samples(eta, problem.n_params, problem.delta, self.C)
        for _ in range(8):
            N_next, extra = pensia_samples(eta, problem.n_params * int(N), problem.delta, self.C)
            if N_next == N:
                break
            N = N_next
        rho = int(self.rho or N)
        shape, layers = problem.parsed
        shp = [shape] + layer_shapes(shape, layers)
        for i, L in enumerate(layers):  # zero weights: only the shapes matter here
            if L.kind in ("conv", "linear"):
                L.weight = np.zeros((L.out, shp[i][0], L.kernel, L.kernel) if L.kind == "conv" else (L.out, shp[i][0]))
                L.bias = None
        _, shapes, _ = copies_layers(ConvNet(shape, layers), rho)
        g = int(sum(int(np.prod(s)) for s in shapes))
        return ConvCopiesPlan(**json_ready({
            "eta": eta, "rho": rho, "rho_formula": int(N), "n_samples": 2 * rho, "G_params": g,
            "G_depth": len(shapes), "G_shapes": [list(s) for s in shapes],
            "uniform_half_width": math.sqrt(problem.w_bound), "target_params": problem.n_params, **extra}))

    def spec(self, problem: ConvProblem, seed: int, plan: ConvCopiesPlan | None = None) -> dict[str, Any]:
        if plan is None:
            plan = self.plan(problem)
        s = plan.uniform_half_width
        return {"seed": int(seed), "law": Uniform(-s, s)}

    def select(self, target: ConvNet, problem: ConvProblem, seed: int, *, progress: bool = False) -> CopiesTicket:
        problem.check_target(target)
        plan = self.plan(problem)
        if plan.G_params > MAX_G_PARAMS:
            raise ValueError(f"burkholz-conv: G would have {plan.G_params:.3g} parameters (> {MAX_G_PARAMS}); "
                             "this construction has no lazy path — use conv-orseau for large targets")
        spec = self.spec(problem, seed, plan)
        rho, eta = int(plan.rho), float(plan.eta)
        rule = ExactSubsetSum(eta=eta, window=int(self.window), grow_from=min(8, int(self.window)))
        _, shapes, copies = copies_layers(target, rho)
        c0 = target.input_shape[0]
        a = np.stack([g_row(seed, spec["law"], 0, c, 2 * rho) for c in range(c0)])  # (c0, 2ρ)
        idx: list[list[np.ndarray]] = [[] for _ in shapes]
        val: list[list[np.ndarray]] = [[] for _ in shapes]
        n_failed = 0
        signed = problem.signed_inputs()
        for t, L in enumerate(target.weighted):
            s = shapes[t + 1]
            row_len = int(np.prod(s[1:]))
            G = np.stack([g_row(seed, spec["law"], t + 1, r, row_len) for r in range(s[0])]).reshape(s)
            tgt = np.arange(s[0]) if copies[t] is None else copies[t]
            W = L.weight[tgt]  # (g_out, c_in, …) target weights each G row simulates
            cin = L.weight.shape[1]
            if t == 0:
                # candidates over h for every (g, c, i, j): a[c, h] · G[g, c·2ρ + h, i, j]
                Gb = G.reshape(s[0], cin, 2 * rho, *s[2:])
                Gb = np.moveaxis(Gb, 2, -1)  # (g, c, i, j, 2ρ)
                av = np.broadcast_to(a.reshape((1, cin) + (1,) * (Gb.ndim - 3) + (2 * rho,)), Gb.shape)
                p = (av * Gb).reshape(-1, 2 * rho)
                w = W.reshape(-1)
                keep = np.zeros(p.shape, bool)
                for h in ((1, -1) if signed[0] else (1,)):
                    kk, ok = rule.choose(w, p, np.sign(av.reshape(-1, 2 * rho)) == h)
                    keep |= kk
                    n_failed += int((~ok).sum())
                rows, hh = np.nonzero(keep)
                gg, rest = np.divmod(rows, int(np.prod(Gb.shape[1:-1])))
                sub = np.unravel_index(rest, Gb.shape[1:-1])
                cc = sub[0]
                pos = np.ravel_multi_index((gg, cc * 2 * rho + hh, *sub[1:]), s)
                idx[t + 1].append(pos)
                val[t + 1].append(G.reshape(-1)[pos])
                used = np.unique(cc * 2 * rho + hh)  # G_0 rows (channels) feeding kept entries
                idx[0].append(np.ravel_multi_index((used, used // (2 * rho), 0, 0), shapes[0]))
                val[0].append(a.reshape(-1)[used])
            else:
                hw = flat_hw(target, t)
                cand, where = _copy_candidates(G, cin, rho, hw)
                w = W.reshape(-1)
                keep, ok = rule.choose(w, cand, np.sign(cand) == np.sign(w)[:, None])
                if not ok.all():  # small |w|: same-sign sums are sparse near it; allow both signs there
                    bad = np.flatnonzero(~ok)
                    k2, ok2 = rule.choose(w[bad], cand[bad], np.ones(cand[bad].shape, bool))
                    keep[bad], ok[bad] = k2, ok2
                n_failed += int((~ok).sum())
                r, k = np.nonzero(keep)
                pos = where[r, k]
                idx[t + 1].append(pos)
                val[t + 1].append(G.reshape(-1)[pos])
        idx_a = [np.concatenate(x) if x else np.zeros(0, np.int64) for x in idx]
        val_a = [np.concatenate(x) if x else np.zeros(0) for x in val]
        meta = {"construction": self.name, "options": self.options(), "problem": problem.as_dict(), "seed": int(seed),
                "plan": plan.to_dict(), "n_failed_weights": n_failed, "eps": problem.eps, "delta": problem.delta,
                "success_event": "certified sup error <= eps"}
        ticket = CopiesTicket(target, idx_a, val_a, json_ready(meta))
        with torch_threads(1):
            cert = ticket.certified(problem.lo, problem.hi)
        ticket.meta["certified_at_select"] = cert
        ticket.meta["success"] = bool(cert <= problem.eps)
        return ticket


def _copy_candidates(G: np.ndarray, cin: int, rho: int, hw: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Per target weight ``(g, c, …)`` of a later layer: the ``ρ`` entries ``G[g, copies of c, …]`` and their
    flat positions in ``G``."""
    flat = np.arange(G.size).reshape(G.shape)
    if hw is not None:  # linear after a flatten: features (c·ρ + s)·HW + pos
        c = cin // hw
        v = G.reshape(G.shape[0], c, rho, hw).transpose(0, 1, 3, 2).reshape(-1, rho)
        f = flat.reshape(G.shape[0], c, rho, hw).transpose(0, 1, 3, 2).reshape(-1, rho)
        return v, f
    shp = (G.shape[0], cin, rho, *G.shape[2:])
    v = np.moveaxis(G.reshape(shp), 2, -1).reshape(-1, rho)
    f = np.moveaxis(flat.reshape(shp), 2, -1).reshape(-1, rho)
    return v, f
