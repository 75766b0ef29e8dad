"""Edge-popup (Ramanujan et al. 2020, "What's hidden in a randomly weighted neural network?") on the
same random source ``G`` as a constructive strong-ticket construction.

The constructions of this package *prove* that a ticket exists in ``G`` at a logarithmic width; in
practice tickets are *found* by training one real score ``s_e`` per weight ``e`` of the frozen
``G`` and keeping the ``k`` weights of largest ``|s_e|``. This module does exactly that, on the ``G``
that ``source`` (``"orseau"`` or ``"pensia"``) samples — same depth-``2l`` layout, law and width
formula: :meth:`EdgePopup.sample_G` and :meth:`EdgePopup.plan` delegate to the source construction
(with ``n_samples`` passed through), so a ticket is verified against its seed like any other.

**Training** (torch, float64, every draw from ``torch.Generator(train_seed)``):

* mask ``m_t = 1{|s_e| is among the k_t largest |s|}`` over all layers jointly (global top-``k``);
  the forward uses ``Ŵ = G ⊙ (m + |s| − sg(|s|))`` (``sg``: stop-gradient), i.e. the value
  ``G ⊙ m`` with the straight-through gradient ``∂L/∂s_e = ∂L/∂Ŵ_e · G_e · sign(s_e)``;
* kept budget ``k_t``: cubic annealing (Zhu & Gupta 2017) ``k_t = k + (k_0 − k)(1 − t/T_a)³`` from
  ``k_0 = min(P, k_start·k)`` (``P`` the parameters of ``G``) to ``k`` over the first ``T_a = anneal ·
  steps`` steps, then ``k`` — a ``k ≪ P`` mask drawn at random rarely connects input to output
  through ``2l`` layers, and a disconnected mask has zero gradient;
* surrogate ReLU gradient in training only: the forward value is ``σ(z)`` exactly, the backward
  slope is ``1`` for ``z > 0`` and ``leak`` for ``z ≤ 0`` — without it a hidden layer that is zero on
  the batch (the ``G`` bottleneck between two stages has only ``n_i`` units) stops every gradient
  and the mask freezes (observed);
* phase 1 (the first ``1 − sup_phase`` of the steps), mean squared error on ``x ~ U([−x_max,
  x_max]^{n_0})`` (batch ``batch``, plus the ``2^{n_0}`` corners when ``n_0 ≤ 10``):
  ``L = mean_i ‖F(x_i) − Ĝ(x_i)‖²``;
* phase 2 (sup-directed), the loss of the worst ``q`` of the batch: with ``e_i = ‖F(x_i) −
  Ĝ(x_i)‖_∞``, ``L = mean_{i ∈ top-⌈q·batch⌉(e)} e_i²``;
* Adam (learning rate ``lr``); in phase 2 the mask with the smallest max error on a fixed
  validation set (4096 uniform points and the corners, drawn from the same generator) is kept.

**Acceptance** (a construction failure is reported, never re-drawn): ``meta["success"]`` is
``certified ≤ ε`` with ``certified`` the upper end of :func:`slt_check.certificates.exact.exact_sup_error`
(``time_limit`` seconds). Why not :func:`slt_check.certificates.sup_error.certified_bound`: its ``"pairs"``
certificate needs every kept intermediate neuron of a stage ``(A, B)`` to keep at most one input
(``B σ(A t)`` then collapses to ``Pos σ(t) − Neg σ(−t)``), and it compares each stage with the
target's hidden units one to one; an edge-popup mask keeps several inputs per neuron and may
represent the hidden layer differently (scaled, permuted), so that certificate refuses such a ticket
(``ValueError``) and a per-stage comparison would be meaningless. The MILP models ``F`` and
``Ĝ = mask ⊙ G`` jointly over one shared input and is exact for *any* bias-free ReLU networks: its
``upper = D + S_tol + S_float`` (HiGHS's dual bound on ``max_{j,s} s(F − Ĝ)_j``, widened by the
solver-tolerance and float-evaluation slacks) is an upper bound on the sup error under the stated
assumption that HiGHS's floating-point solves are correct within their tolerances; a subproblem
stopped by the time limit still reports a valid (looser) dual bound. Its stage links are valid for
any pairing of hidden units, so a ticket that does not track the target's hidden units costs
tightness only, never soundness. ``found`` is the float64 error at the MILP's best point and at the
worst validation point (a true lower bound).

``k`` (kept weights): an integer, or ``None`` = the kept count of the source construction's own
ticket for this target on the same ``G`` (its ``select``), so that both methods get the same
budget. The choice of ``k`` never affects ``G``. ``k`` larger than ``P`` keeps all of ``G``.

The ticket is ``mask ⊙ G`` (a :class:`~slt_check.tickets.ticket.Ticket`); ``meta["stages"] = "pairs"``
names the depth-``2l`` layout (stage ``i`` = ``G`` layers ``2i, 2i+1``), ``meta["certificate"] =
"milp"`` the certificate above. The training runs on CUDA when available; on CPU the ticket is a
deterministic function of ``(G, target, options)`` bit for bit (``torch.use_deterministic_algorithms``
during the training, explicit generators; inputs are always drawn on the CPU).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from slt_check.certificates.exact import exact_sup_error
from slt_check.constructions.base import Construction, Problem, meta_common
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.pensia import Pensia
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_count, check_positive
from slt_check.io.textio import json_ready
from slt_check.runtime import memory
from slt_check.tickets.ticket import Ticket

__all__ = ["EdgePopup", "SOURCES", "train_mask", "certify_general"]

N_VALID = 4096
"""Validation points (uniform in the box, plus the corners) used to pick the phase-2 mask."""


SOURCES: dict[str, type[Construction]] = {"orseau": Orseau, "pensia": Pensia}
"""The constructions whose ``G`` edge-popup can search."""


def _check_fraction(value: Any, name: str, *, closed_low: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a real number, got {value!r}")
    v = float(value)
    ok = (0.0 <= v <= 1.0) if closed_low else (0.0 < v <= 1.0)
    if not math.isfinite(v) or not ok:
        raise ValueError(f"{name}: must lie in {'[0, 1]' if closed_low else '(0, 1]'}, got {value!r}")
    return v


@dataclass
class EdgePopup(Construction):
    """Edge-popup on the ``G`` of a constructive source (see the module docstring).

    Parameters
    ----------
    source: ``"orseau"`` or ``"pensia"``: whose ``G`` (layout, law, width formula) is pruned.
    n_samples: width override passed to the source (samples per group/block); default its formula.
    k: kept weights; ``None``: the source construction's kept count on the same ``G``.
    steps: Adam steps in all.
    lr: Adam learning rate on the scores.
    batch: uniform inputs per step.
    train_seed: seed of the score initialisation and of every training/validation input.
    sup_phase: fraction of the steps in the sup-directed phase (loss on the worst ``q``).
    q: fraction of the batch in the sup-directed loss.
    anneal: fraction of the steps over which the kept budget anneals from ``min(P, k_start·k)`` to ``k``.
    k_start: the annealing starts from ``k_start`` times the final budget.
    leak: backward slope of the surrogate ReLU gradient for ``z ≤ 0`` (training only).
    time_limit: seconds for the MILP certificate (:func:`slt_check.certificates.exact.exact_sup_error`).
    """

    source: str = "orseau"
    n_samples: int | None = None
    k: int | None = None
    steps: int = 1500
    lr: float = 0.03
    batch: int = 256
    train_seed: int = 0
    sup_phase: float = 0.4
    q: float = 0.0625
    anneal: float = 0.4
    k_start: int = 4
    leak: float = 0.3
    time_limit: float = 30.0
    name: str = "edge-popup"

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source: expected one of {tuple(SOURCES)}, got {self.source!r}")
        check_count(self.n_samples, "n_samples", optional=True)
        check_count(self.k, "k", optional=True)
        check_count(self.steps, "steps")
        check_count(self.batch, "batch")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)):
            raise ValueError(f"lr: expected a positive real number, got {self.lr!r}")
        check_positive(self.lr, "lr")
        if isinstance(self.train_seed, bool) or not isinstance(self.train_seed, (int, np.integer)) \
                or self.train_seed < 0:
            raise ValueError(f"train_seed: expected a non-negative integer, got {self.train_seed!r}")
        _check_fraction(self.sup_phase, "sup_phase", closed_low=True)
        _check_fraction(self.q, "q", closed_low=False)
        _check_fraction(self.anneal, "anneal", closed_low=True)
        _check_fraction(self.leak, "leak", closed_low=True)
        check_count(self.k_start, "k_start")
        if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, (int, float)):
            raise ValueError(f"time_limit: expected a positive number of seconds, got {self.time_limit!r}")
        check_positive(self.time_limit, "time_limit")

    # ------------------------------------------------------------------ the source
    def source_construction(self) -> Any:
        """The source construction (default options, ``n_samples`` passed through)."""
        return SOURCES[self.source](n_samples=self.n_samples)

    def plan(self, problem: Problem) -> dict[str, Any]:
        """The source's plan (sizes of ``G``, width formula ``n_samples_formula``) plus ``source``."""
        return {**self.source_construction().plan(problem), "source": self.source}

    def sample_G(self, problem: Problem, seed: int) -> tuple[ReLUNet, Any]:
        """``G`` exactly as the source samples it from ``seed`` (bit for bit); returns ``(G, spec)``."""
        return self.source_construction().sample_G(problem, seed)

    # ------------------------------------------------------------------ the ticket
    def kept_budget(self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem) -> tuple[int, str]:
        """``(k, origin)``: the option ``k``, or the source construction's kept count on this ``G``."""
        if self.k is not None:
            return int(self.k), "option"
        ticket = self.source_construction().select(target, G, spec, problem)
        return max(1, int(ticket.n_kept)), f"{self.source} ticket on the same G"

    def select(self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem) -> Ticket:
        """Train the scores, keep the top-``k`` mask, certify it (see the module docstring)."""
        problem.check_target(target)
        n_inputs = self.batch + (2**target.n_in if target.n_in <= 10 else 0)
        memory.require(memory.BYTES_PER_ACTIVATION * n_inputs * float(sum(G.widths)), memory.limit(),
                       f"training the scores on a batch of {self.batch} inputs",
                       "use a smaller --option batch (the default is 256)")
        k, k_origin = self.kept_budget(target, G, spec, problem)
        t0 = time.perf_counter()
        masks, info = train_mask(
            target, G, k, x_max=problem.x_max, steps=self.steps, lr=float(self.lr), batch=self.batch,
            train_seed=int(self.train_seed), sup_phase=float(self.sup_phase), q=float(self.q),
            anneal=float(self.anneal), k_start=int(self.k_start), leak=float(self.leak),
        )
        t1 = time.perf_counter()
        plan = self.plan(problem)
        meta = meta_common(problem, self, spec.seed, plan)
        meta.update({"stages": "pairs", "certificate": "milp", "k": k, "k_origin": k_origin,
                     "law_params": spec.law.params(), "training": info,
                     "timing_train_s": t1 - t0})
        ticket = Ticket(G, masks, target, meta)
        cert = certify_general(target, ticket, problem.x_max, time_limit=float(self.time_limit),
                               extra_points=info.pop("_worst_points"))
        ticket.meta.update({
            "certified_at_select": cert["certified"],
            "found_at_select": cert["found"],
            "certificate_detail": cert,
            "success": bool(cert["certified"] <= problem.eps),
            "success_event": "certified sup error <= eps (MILP upper bound)",
            "timing_certify_s": time.perf_counter() - t1,
        })
        ticket.meta = json_ready(ticket.meta)
        return ticket


# ---------------------------------------------------------------------------------------- training


def _corners(n_in: int, x_max: float) -> np.ndarray:
    if n_in > 10:
        return np.zeros((0, n_in))
    grid = ((np.arange(2**n_in)[:, None] >> np.arange(n_in)[None, :]) & 1).astype(np.float64)
    return (2 * grid - 1) * x_max


def train_mask(
    target: ReLUNet, G: ReLUNet, k: int, *, x_max: float, steps: int, lr: float, batch: int,
    train_seed: int, sup_phase: float = 0.4, q: float = 0.0625, anneal: float = 0.4, k_start: int = 4,
    leak: float = 0.3,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Edge-popup masks (one bool array per ``G`` layer, ``min(k, P)`` kept in all) and a summary.

    Deterministic on CPU for fixed arguments (see the module docstring); float64 throughout."""
    import torch

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    prev_det = torch.are_deterministic_algorithms_enabled()
    if dev.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    try:
        return _train(torch, dev, target, G, k, x_max, steps, lr, batch, train_seed, sup_phase, q, anneal,
                      k_start, leak)
    finally:
        torch.use_deterministic_algorithms(prev_det)


def _train(torch: Any, dev: Any, target: ReLUNet, G: ReLUNet, k: int, x_max: float, steps: int, lr: float,
           batch: int, train_seed: int, sup_phase: float, q: float, anneal: float, k_start: int, leak: float
           ) -> tuple[list[np.ndarray], dict[str, Any]]:
    f64 = torch.float64
    gen = torch.Generator(device="cpu").manual_seed(int(train_seed))
    Gw = [torch.as_tensor(np.asarray(w, dtype=np.float64), dtype=f64, device=dev) for w in G.dense_weights()]
    Fw = [torch.as_tensor(np.asarray(w, dtype=np.float64), dtype=f64, device=dev) for w in target.dense_weights()]
    sizes = [w.numel() for w in Gw]
    P = int(sum(sizes))
    k = int(min(k, P))
    # scores: one per weight of G, |s| ~ U(0, 1), random signs (sign only matters through |s|)
    s0 = torch.rand(P, generator=gen, dtype=f64) * torch.where(torch.rand(P, generator=gen) < 0.5, -1.0, 1.0)
    scores = s0.to(dev).requires_grad_(True)
    opt = torch.optim.Adam([scores], lr=lr)
    n_in = target.n_in
    corners = torch.as_tensor(_corners(n_in, x_max), dtype=f64)
    xv = torch.cat([(2 * torch.rand(N_VALID, n_in, generator=gen, dtype=f64) - 1) * x_max, corners]).to(dev)

    def fwd(ws: list[Any], x: Any, out_relu: bool, surrogate: bool = False) -> Any:
        for i, w in enumerate(ws):
            x = x @ w.T
            if i < len(ws) - 1 or out_relu:
                if surrogate:
                    x = torch.relu(x) + leak * (x <= 0).to(x.dtype) * (x - x.detach())
                else:
                    x = torch.relu(x)
        return x

    with torch.no_grad():
        yv = fwd(Fw, xv, target.output_relu)

    def mask_of(kt: int) -> Any:
        m = torch.zeros(P, dtype=f64, device=dev)
        m[torch.topk(scores.detach().abs(), kt, sorted=False).indices] = 1.0
        return m

    def layers(flat: Any) -> list[Any]:
        return [c.view_as(w) for c, w in zip(torch.split(flat, sizes), Gw, strict=True)]

    def ticket_ws(m: Any, ste: bool) -> list[Any]:
        if ste:
            a = scores.abs()
            m = m + a - a.detach()
        return [w * mi for w, mi in zip(Gw, layers(m), strict=True)]

    n_sup = int(round(sup_phase * steps))
    n_ann = max(1, int(round(anneal * steps)))
    k0 = min(P, k_start * k)
    n_top = max(1, math.ceil(q * (batch + len(corners))))
    best_err, best_mask, best_step = math.inf, None, -1
    history: list[list[float]] = []
    eval_every = max(1, min(25, steps // 20))
    for t in range(steps):
        kt = k if t >= n_ann else int(round(k + (k0 - k) * (1 - t / n_ann) ** 3))
        m = mask_of(kt)
        x = torch.cat([(2 * torch.rand(batch, n_in, generator=gen, dtype=f64) - 1) * x_max, corners]).to(dev)
        with torch.no_grad():
            y = fwd(Fw, x, target.output_relu)
        diff = fwd(ticket_ws(m, True), x, G.output_relu, surrogate=True) - y
        if t < steps - n_sup:
            loss = (diff**2).sum(dim=1).mean()
        else:
            e = diff.abs().max(dim=1).values
            loss = (torch.topk(e, n_top, sorted=False).values ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        last = t == steps - 1
        if kt == k and (t % eval_every == 0 or last) and (t >= steps - n_sup or last):
            with torch.no_grad():
                mk = mask_of(k)
                ev = float((fwd(ticket_ws(mk, False), xv, G.output_relu) - yv).abs().max())
            history.append([t, ev])
            if ev < best_err:
                best_err, best_mask, best_step = ev, mk.clone(), t
    assert best_mask is not None
    with torch.no_grad():
        err_v = (fwd(ticket_ws(best_mask, False), xv, G.output_relu) - yv).abs().max(dim=1).values
        worst = xv[torch.topk(err_v, min(64, len(err_v))).indices].cpu().numpy()
    masks = [mi.detach().cpu().numpy() > 0.5 for mi in layers(best_mask)]
    info = {
        "device": dev.type, "k_kept": k, "k_start": k0, "G_params": P, "best_step": best_step,
        "valid_max_error": best_err, "valid_points": int(len(xv)), "history": history[-40:],
        "_worst_points": worst,
    }
    return masks, info


# ------------------------------------------------------------------------------------ certificate


def certify_general(
    target: ReLUNet, ticket: Any, x_max: float, *, time_limit: float = 30.0,
    extra_points: np.ndarray | None = None,
) -> dict[str, Any]:
    """Sound sup error of a ticket of any structure: ``certified`` = the MILP's upper bound
    (:func:`slt_check.certificates.exact.exact_sup_error`, any bias-free ReLU ``Ĝ``), ``found`` = the largest float64
    error at the MILP's best point and at ``extra_points`` (clipped to the box). ``found ≤ sup ≤
    certified`` (the upper end under the HiGHS assumption of the module docstring)."""

    x_max = check_positive(x_max, "x_max")
    ex = exact_sup_error(target, ticket, x_max, time_limit=time_limit)
    found, argmax = float(ex.lower), np.asarray(ex.argmax, dtype=np.float64)
    if extra_points is not None and len(extra_points):
        X = np.clip(np.asarray(extra_points, dtype=np.float64), -x_max, x_max)
        err = np.max(np.abs(target(X) - ticket.network()(X)), axis=1)
        i = int(np.argmax(err))
        if err[i] > found:
            found, argmax = float(err[i]), X[i]
    return {
        "certified": float(ex.upper), "found": found, "argmax": [float(v) for v in argmax],
        "method": "milp", "status": ex.status, "solved": bool(ex.solved), "n_binaries": int(ex.n_binaries),
        "time_s": float(ex.time_s),
    }
