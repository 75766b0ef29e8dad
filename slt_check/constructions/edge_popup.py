"""Edge-popup (Ramanujan et al. 2020, "What's hidden in a randomly weighted neural network?") on the
same random source ``G`` as a constructive strong-ticket construction.

The constructions of this package *prove* that a ticket exists in ``G`` at a logarithmic width; in
practice tickets are *found* by training one real score ``s_e`` per weight ``e`` of the frozen
``G`` and keeping the ``k`` weights of largest ``|s_e|``. This module does exactly that, on the ``G``
that ``source`` (``"orseau"`` with its ``sharing``, ``"pensia"`` or ``"malach"``) samples — same layout,
law and width formula: :meth:`EdgePopup.sample_G` and :meth:`EdgePopup.plan` delegate to the source
construction (with ``n_samples`` and ``sharing`` passed through), so a ticket is verified against its
seed like any other.

**Training**: :func:`slt_check.constructions.edge_popup_train.train_mask` (torch, float64, every draw
from ``torch.Generator(train_seed)``): straight-through scores, a global or per-layer top-``k``
budget (``budget``), ``k`` or ``fraction`` of ``G``, optional cubic budget annealing and surrogate ReLU
gradient, uniform or Kaiming-uniform scores, Adam or SGD with momentum 0.9, constant or cosine
learning rate, weight decay; MSE then a sup-directed loss on the worst ``q`` of each batch; the mask
with the smallest error on 4096 validation points is kept. For a biased target (built on ``[x; 1]``,
:mod:`slt_check.core.affine`) the pipeline calls :meth:`EdgePopup.with_affine`, so every training and
validation input keeps the constant coordinate at 1 and the MILP fixes it.

**Checkpoints and progress**: at 4 evenly spaced evaluations, a best mask whose validation error is
``≤ ε`` is certified by the MILP at once and the training stops at the first certified success;
``progress=True`` shows a bar with the best validation error (a lower bound) and prints every
certified error with the best so far. ``milp_when="found_le_eps"`` skips the final MILP when the
found error is already above ε (the search fails on that true lower bound; ``certified_at_select``
is then ``None``).

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

``k`` (kept weights): an integer, ``fraction`` of ``G``'s parameters, or (neither) the kept count of
the source construction's own ticket for this target on the same ``G`` (its ``select``), so that
both methods get the same budget. The choice of ``k`` never affects ``G``. ``k`` larger than ``P`` keeps all of ``G``.

The ticket is ``mask ⊙ G`` (a :class:`~slt_check.tickets.ticket.Ticket`); ``meta["stages"] = "pairs"``
names the depth-``2l`` layout (stage ``i`` = ``G`` layers ``2i, 2i+1``), ``meta["certificate"] =
"milp"`` the certificate above. The training runs on CUDA when available; on CPU the ticket is a
deterministic function of ``(G, target, options)`` bit for bit (``torch.use_deterministic_algorithms``
during the training, explicit generators; inputs are always drawn on the CPU).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from slt_check.certificates.exact import exact_sup_error
from slt_check.certificates.stages import recorded
from slt_check.constructions.base import Construction, Problem, meta_common
from slt_check.constructions.edge_popup_train import BUDGETS, INITS, N_VALID, OPTIMIZERS, SCHEDULES, train_mask
from slt_check.constructions.malach import Malach
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.pensia import Pensia
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_count, check_positive
from slt_check.runtime import memory
from slt_check.tickets.plan import Plan
from slt_check.tickets.ticket import Ticket

__all__ = ["EdgePopup", "SOURCES", "MILP_WHEN", "train_mask", "certify_general", "N_VALID"]

SOURCES: dict[str, type[Construction]] = {"orseau": Orseau, "pensia": Pensia, "malach": Malach}
"""The constructions whose ``G`` edge-popup can search."""
MILP_WHEN = ("always", "found_le_eps")
"""When the final mask is certified: always, or only when its found error is ≤ ε (else it fails on the
found error, a true lower bound, and no MILP runs)."""


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
    """Edge-popup on the ``G`` of a constructive source (see the module docstring and
    :mod:`slt_check.constructions.edge_popup_train` for the training).

    Parameters
    ----------
    source: ``"orseau"``, ``"pensia"`` or ``"malach"``: whose ``G`` (layout, law, width formula) is pruned.
    sharing: the source's neuron sharing (e.g. ``"per_input"`` for orseau); default the source's own.
    n_samples: width override passed to the source (samples per group/block); default its formula.
    k: kept weights; ``None`` (and no ``fraction``): the source construction's kept count on the same ``G``.
    fraction: kept weights as a fraction of ``G``'s parameters, ``k = max(1, round(fraction·P))`` (the
        paper's setting, e.g. 0.5); exclusive with ``k``.
    budget: ``"global"`` (top-``k`` over all layers) or ``"per_layer"`` (the same fraction in each layer).
    init: score initialisation, ``"uniform"`` or ``"kaiming"`` (the paper's).
    optimizer: ``"adam"`` or ``"sgd"`` (momentum 0.9, the paper's); ``weight_decay`` on the scores.
    schedule: learning rate ``"constant"`` or ``"cosine"`` (the paper's).
    steps, lr, batch: optimiser steps, learning rate, uniform inputs per step.
    train_seed: seed of the score initialisation and of every training/validation input.
    sup_phase, q: fraction of the steps in the sup-directed phase; fraction of the batch in its loss.
    anneal, k_start: the budget anneals from ``k_start·k`` to ``k`` over the first ``anneal`` of the steps.
    leak: backward slope of the surrogate ReLU gradient for ``z ≤ 0`` (training only; 0: plain ReLU).
    time_limit: seconds for each MILP certificate (:func:`slt_check.certificates.exact.exact_sup_error`).
    milp_when: one of :data:`MILP_WHEN`.
    progress: show a progress bar with the best validation error and print every certified error.
    """

    source: str = "orseau"
    sharing: str | None = None
    n_samples: int | None = None
    k: int | None = None
    fraction: float | None = None
    budget: str = "global"
    init: str = "uniform"
    optimizer: str = "adam"
    weight_decay: float = 0.0
    schedule: str = "constant"
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
    milp_when: str = "always"
    progress: bool = False
    name: str = "edge-popup"

    def __post_init__(self) -> None:
        for field_name, allowed in (("source", tuple(SOURCES)), ("budget", BUDGETS), ("init", INITS),
                                    ("optimizer", OPTIMIZERS), ("schedule", SCHEDULES), ("milp_when", MILP_WHEN)):
            if getattr(self, field_name) not in allowed:
                raise ValueError(f"{field_name}: expected one of {allowed}, got {getattr(self, field_name)!r}")
        if self.sharing is not None and self.sharing not in ("per_weight", "per_input"):
            raise ValueError(f"sharing: expected 'per_weight', 'per_input' or None, got {self.sharing!r}")
        check_count(self.n_samples, "n_samples", optional=True)
        check_count(self.k, "k", optional=True)
        if self.fraction is not None:
            _check_fraction(self.fraction, "fraction", closed_low=False)
            if self.k is not None:
                raise ValueError("k, fraction: give one of them (k kept weights, or a fraction of G), not both")
        check_count(self.steps, "steps")
        check_count(self.batch, "batch")
        for field_name in ("lr", "time_limit"):
            v = getattr(self, field_name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{field_name}: expected a positive real number, got {v!r}")
            check_positive(v, field_name)
        if isinstance(self.weight_decay, bool) or not isinstance(self.weight_decay, (int, float)) \
                or not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"weight_decay: expected a finite number ≥ 0, got {self.weight_decay!r}")
        if isinstance(self.train_seed, bool) or not isinstance(self.train_seed, (int, np.integer)) \
                or self.train_seed < 0:
            raise ValueError(f"train_seed: expected a non-negative integer, got {self.train_seed!r}")
        _check_fraction(self.sup_phase, "sup_phase", closed_low=True)
        _check_fraction(self.q, "q", closed_low=False)
        _check_fraction(self.anneal, "anneal", closed_low=True)
        _check_fraction(self.leak, "leak", closed_low=True)
        check_count(self.k_start, "k_start")
        if not isinstance(self.progress, bool):
            raise ValueError(f"progress: expected true or false, got {self.progress!r}")
        self._affine: dict[str, Any] | None = None

    # ------------------------------------------------------------------ the source
    def source_construction(self) -> Any:
        """The source construction (default options, ``sharing`` and ``n_samples`` passed through)."""
        opts: dict[str, Any] = {"n_samples": self.n_samples}
        if self.sharing is not None:
            opts["sharing"] = self.sharing
        return SOURCES[self.source](**opts)

    def with_affine(self, affine: dict[str, Any]) -> EdgePopup:
        """A copy that trains and certifies on ``[x; 1]`` (a biased target's constant-input reduction:
        the last input is the constant 1, the box ``affine["x_max"]`` is over ``x``); called by the build."""
        con = replace(self)
        con._affine = dict(affine)
        return con

    takes_plan = True  # sample_G accepts the plan the pipeline already computed

    def plan(self, problem: Problem) -> Plan:
        """The source's plan (sizes of ``G``, width formula ``n_samples_formula``) plus ``source``."""
        return self.source_construction().plan(problem).replace(source=self.source)

    def sample_G(self, problem: Problem, seed: int, plan: Plan | None = None) -> tuple[ReLUNet, Any]:
        """``G`` exactly as the source samples it from ``seed`` (bit for bit); returns ``(G, spec)``
        (``plan``: this construction's, as the build computed it; ``None``: the source computes its own)."""
        return self.source_construction().sample_G(problem, seed, None if plan is None else plan.replace(source=None))

    # ------------------------------------------------------------------ the ticket
    def kept_budget(
        self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem, plan: Plan | None = None
    ) -> tuple[int, str]:
        """``(k, origin)``: the option ``k``, ``fraction·P``, or the source construction's kept count on this ``G``."""
        if self.k is not None:
            return int(self.k), "option"
        if self.fraction is not None:
            return max(1, int(round(float(self.fraction) * G.n_params))), f"fraction {self.fraction} of G"
        ticket = self.source_construction().select(
            target, G, spec, problem, None if plan is None else plan.replace(source=None))
        return max(1, int(ticket.n_kept)), f"{self.source} ticket on the same G"

    def select(self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem, plan: Plan | None = None) -> Ticket:
        """Train the scores, keep the top-``k`` mask, certify it (see the module docstring)."""
        problem.check_target(target)
        n_inputs = self.batch + (2**target.n_in if target.n_in <= 10 else 0)
        memory.require(memory.BYTES_PER_ACTIVATION * n_inputs * float(sum(G.widths)), memory.limit(),
                       f"training the scores on a batch of {self.batch} inputs",
                       "use a smaller --option batch (the default is 256)")
        if plan is None:
            plan = self.plan(problem)
        k, k_origin = self.kept_budget(target, G, spec, problem, plan)
        meta = meta_common(problem, self, spec.seed, plan, stages="pairs", certificate="milp", k=k,
                           k_origin=k_origin, law_params=spec.law.params(), affine=self._affine)
        x_box = float(self._affine["x_max"]) if self._affine is not None else problem.x_max
        certified: list[tuple[float, int, list[np.ndarray], dict[str, Any]]] = []

        def certify(masks: list[np.ndarray], valid_err: float, extra: np.ndarray | None = None) -> dict[str, Any]:
            cert = certify_general(target, Ticket(G, masks, target, meta), x_box,
                                   time_limit=float(self.time_limit), extra_points=extra)
            certified.append((cert["certified"], len(certified), masks, cert))
            if self.progress:
                best = min(c[0] for c in certified)
                print(f"edge-popup: certified {cert['certified']:.4g} (found {cert['found']:.4g}, validation "
                      f"{valid_err:.4g}); best certified so far {best:.4g}, ε = {problem.eps:g}", file=sys.stderr)
            return cert

        def on_candidate(masks: list[np.ndarray], valid_err: float) -> bool:
            if valid_err > problem.eps:  # found > ε already: no certificate can succeed
                return False
            return certify(masks, valid_err)["certified"] <= problem.eps

        t0 = time.perf_counter()
        masks, info = train_mask(
            target, G, k, x_max=x_box, steps=self.steps, lr=float(self.lr), batch=self.batch,
            train_seed=int(self.train_seed), sup_phase=float(self.sup_phase), q=float(self.q),
            anneal=float(self.anneal), k_start=int(self.k_start), leak=float(self.leak), budget=self.budget,
            init=self.init, optimizer=self.optimizer, weight_decay=float(self.weight_decay),
            schedule=self.schedule, fixed_last=self._affine is not None, on_candidate=on_candidate,
            progress=self.progress,
        )
        t1 = time.perf_counter()
        worst = info.pop("_worst_points")
        meta = meta.updated(training=info, timing_train_s=t1 - t0, k_kept=info["k_kept"])
        if info["stopped_at"] is None and (self.milp_when == "always" or info["valid_max_error"] <= problem.eps):
            certify(masks, info["valid_max_error"], worst)
        if certified:
            best_cert, _, masks, cert = min(certified, key=lambda c: (c[0], c[1]))
        else:  # found > ε: fails on a true lower bound, no MILP run
            best_cert, cert = math.nan, {"certified": None, "found": info["valid_max_error"],
                                         "method": "none: found error > ε (a lower bound)"}
        return Ticket(G, masks, target, meta.updated(
            certified_at_select=cert["certified"],
            found_at_select=cert["found"],
            certificate_detail=cert,
            milp_runs=len(certified),
            success=bool(best_cert <= problem.eps),
            success_event="certified sup error <= eps (MILP upper bound)",
            timing_certify_s=time.perf_counter() - t1,
        ))


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
    fix_last = recorded(ticket, "affine") is not None
    found, argmax = float(ex.lower), np.asarray(ex.argmax, dtype=np.float64)
    if extra_points is not None and len(extra_points):
        X = np.clip(np.asarray(extra_points, dtype=np.float64), -x_max, x_max)
        if fix_last:
            X[:, -1] = 1.0
        err = np.max(np.abs(target(X) - ticket.network()(X)), axis=1)
        i = int(np.argmax(err))
        if err[i] > found:
            found, argmax = float(err[i]), X[i]
    return {
        "certified": float(ex.upper), "found": found, "argmax": [float(v) for v in argmax],
        "method": "milp", "status": ex.status, "solved": bool(ex.solved), "n_binaries": int(ex.n_binaries),
        "time_s": float(ex.time_s),
    }
