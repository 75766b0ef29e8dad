"""The one build pipeline: target + problem + seed → ticket, dense or lazy, verified and certified.

::

    build(target, eps, delta, seed, construction=…)        → BuildResult
      ├─ resolve: construction (registry) + checked Problem; plan computed once, passed down
      │           (build_auto → build_ticket / build_compact_ticket → sample_G / source_spec, select,
      │           make_rule and ticket_meta take it as an argument; verify recomputes its own)
      ├─ memory: refuse a plan whose peak exceeds the limit (slt_check.runtime.memory)
      ├─ dense:  G = construction.sample_G(problem, seed);  ticket = construction.select(…)
      │  lazy:   only the usable streams of G (slt_check.sources.lazy.select_lazy) → CompactTicket
      ├─ validate: ticket == G ⊙ mask, G regenerated from the seed (slt_check.pipeline.verify)
      └─ certify:  certified and found sup error on the box (slt_check.certificates.sup_error)

A target with biases is reduced here, in one place (:func:`reduce_biases`), to the bias-free ``F'``
on ``[x; 1]`` of :mod:`slt_check.core.affine` with ``w_max' = max(w_max, b_max, 1)`` and
``x_max' = max(x_max, 1)``; every construction builds its ticket for ``F'`` unchanged, and the ticket
records ``meta["affine"]`` (docs/biases.md).

:func:`build_ticket` (dense) and :func:`build_compact_ticket` (lazy) are the two paths;
:func:`build_auto` picks one (lazy when asked, or when the dense ``G`` would exceed
:data:`DENSE_PARAMS_LIMIT` parameters); :func:`build` runs the whole pipeline and returns a typed
:class:`BuildResult` (``ok`` is True only when the construction's success event was checked and
held). The construction's failure event (the sampled ``G`` is too small, probability ≤ δ) raises
:class:`~slt_check.constructions.base.ConstructionFailed` unless ``allow_failure``; ``G`` is never
re-drawn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from slt_check.certificates.sup_error import sup_error_any
from slt_check.constructions.base import Construction, ConstructionFailed, Problem
from slt_check.constructions.registry import get_construction
from slt_check.core.affine import affine_record, augment
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.verify import verify_ticket
from slt_check.runtime import memory
from slt_check.sources.lazy import CHUNK_CANDIDATES, select_lazy
from slt_check.tickets.compact_ticket import CompactTicket
from slt_check.tickets.plan import Plan
from slt_check.tickets.ticket import AnyTicket, Ticket, versions

__all__ = [
    "DENSE_PARAMS_LIMIT",
    "BuildResult",
    "build",
    "build_ticket",
    "build_compact_ticket",
    "build_auto",
    "build_and_check",
    "resolve",
    "raise_if_failed",
    "supports_lazy",
    "dense_params",
    "BuildEstimate",
    "estimate_build",
    "LONG_BUILD_S",
]

DENSE_PARAMS_LIMIT = 20_000_000
"""Above this many ``G`` parameters the lazy path is taken automatically (dense ``G`` ≥ 160 MB)."""


def supports_lazy(con: Any) -> bool:
    """Whether a construction has the lazy path (``lazy = True`` and the hooks ``source_spec``,
    ``make_rule``, ``ticket_meta``); constructions opt out by leaving ``lazy`` False."""
    return bool(getattr(con, "lazy", False)) and all(
        hasattr(con, m) for m in ("source_spec", "make_rule", "ticket_meta"))


def dense_params(con: Any, problem: Problem, plan: Plan | None = None) -> int:
    """Parameters of the dense ``G`` the construction would sample (its plan's ``G_params``;
    ``plan`` when already computed)."""
    return int((con.plan(problem) if plan is None else plan).G_params)


def _sample_G(con: Any, problem: Problem, seed: int, plan: Plan) -> tuple[ReLUNet, Any]:
    """``con.sample_G`` with the build's plan when the construction takes one (``takes_plan``)."""
    if getattr(con, "takes_plan", False):
        return con.sample_G(problem, seed, plan)
    return con.sample_G(problem, seed)


def _source_spec(con: Any, problem: Problem, seed: int, plan: Plan) -> Any:
    """``con.source_spec`` with the build's plan when the construction takes one (``takes_plan``)."""
    if getattr(con, "takes_plan", False):
        return con.source_spec(problem, seed, plan)
    return con.source_spec(problem, seed)


def reduce_biases(
    target: ReLUNet, w_max: float, x_max: float, b_max: float | None = None
) -> tuple[ReLUNet, float, float, dict[str, Any] | None]:
    """The constant-input reduction of a biased target (:mod:`slt_check.core.affine`):
    ``(F', w_max', x_max', meta["affine"])`` with ``w_max' = max(w_max, b_max, 1)`` (the 1 only with
    hidden layers) and ``x_max' = max(x_max, 1)``; ``b_max`` is the declared bias bound (default: the
    target's own ``max |b|``; ``ValueError`` for a larger or non-finite bias). A bias-free target is
    returned as it is (``b_max`` is then ignored), with record ``None``."""
    if not target.has_biases:
        return target, w_max, x_max, None
    rec = affine_record(target, w_max, b_max, x_max)
    return augment(target), rec["w_max_reduced"], rec["x_max_reduced"], rec


def resolve(
    construction: str | Construction, options: dict[str, Any], target: ReLUNet, eps: float, delta: float,
    w_max: float, x_max: float,
) -> tuple[Any, Problem]:
    """The construction (by name with ``options``, or as given) and the checked :class:`Problem`
    of ``target`` — the common start of the dense and the lazy builders."""
    if isinstance(construction, str):
        con = get_construction(construction, **options)
    elif options:
        raise ValueError(f"options {sorted(options)}: give them to the construction, not beside an instance")
    else:
        con = construction
    problem = Problem.for_target(target, eps, delta, w_max=w_max, x_max=x_max)
    problem.check_target(target)
    return con, problem


def prepare(
    target: ReLUNet, construction: str | Construction, options: dict[str, Any], eps: float, delta: float,
    w_max: float, x_max: float, b_max: float | None = None,
) -> tuple[ReLUNet, Any, Problem, dict[str, Any] | None]:
    """The common start of every build: :func:`reduce_biases` then :func:`resolve` on the target the
    construction sees — ``(F' or F, construction, problem, meta["affine"] or None)``."""
    seen, w_seen, x_seen, affine = reduce_biases(target, w_max, x_max, b_max)
    con, problem = resolve(construction, options, seen, eps, delta, w_seen, x_seen)
    return seen, con, problem, affine


def raise_if_failed(ticket: AnyTicket, con: Any, seed: int, problem: Problem, allow_failure: bool) -> None:
    """:class:`ConstructionFailed` (carrying the ticket) when the success event failed, unless
    ``allow_failure``; the message names the missed weights and, when the success event is the
    certificate, the certified sup error with its two parts (stage bound + float-evaluation slack):
    "certified bound above ε", which is not the ≤ δ event of the per-weight analysis."""
    if ticket.ok or allow_failure:
        return
    meta = ticket.meta
    cert = meta.certified_at_select
    event = str(meta.success_event or "")
    by_certificate = event.startswith("certified sup error <= eps") or meta.precision == "certificate"
    searched = "MILP" in event  # a trained mask (edge-popup): a search, with no probability guarantee
    stage, slack = meta.certified_stage_bound, meta.certified_float_slack
    parts = (f" (stage bound {stage:.3g} + float-evaluation slack {slack:.3g})"
             if stage is not None and slack is not None else "")
    if searched:
        what = (" — certified bound above ε. The mask was found by a search, which promises no failure "
                "probability")
        advice = "pass allow_failure=True to inspect the ticket, or train longer / keep more weights."
    elif by_certificate:
        what = (" — certified bound above ε. This is not the ≤ δ event of the per-weight analysis"
                + (" (every simulated weight within R8's η, which sizes G; the selection asked this target's "
                   "per-layer η_i)" if meta.precision == "certificate" else "")
                + "; the certificate, not the count of missed weights, decides")
        if slack is not None and slack >= problem.eps:
            what += (f"; this ticket's float-evaluation slack alone is {slack:.3g} ≥ ε, so selecting closer to "
                     "the η_i cannot certify it (the slack grows with the kept |a·b| and with depth; "
                     "docs/peers.md)")
        advice = "pass allow_failure=True to inspect the partial ticket."
    else:
        what = f" — the failure event of probability ≤ δ = {problem.delta}"
        advice = "pass allow_failure=True to inspect the partial ticket, or use a larger delta-derived width."
    missed = meta.n_failed_weights
    head = (f"{con.name}: the sampled G (seed {seed}) misses {missed} target weight(s)" if missed is not None
            else f"{con.name}: the ticket from G (seed {seed})")
    raise ConstructionFailed(
        head
        + (f"{' and its' if missed is not None else ':'} certified sup error is {cert:.3g}{parts} > ε = {problem.eps}"
           if cert is not None else " failed its success event")
        + what + ". G is not re-drawn; " + advice,
        ticket,
    )


def _finish(ticket: AnyTicket, t0: float, t1: float, t2: float, **records: Any) -> None:
    ticket.meta = ticket.meta.updated(**records, versions=ticket.meta.versions or versions(),
                                      timing_s={"sample_G": t1 - t0, "select": t2 - t1})


def build_ticket(
    target: ReLUNet,
    eps: float,
    delta: float,
    seed: int,
    *,
    construction: str | Construction = "orseau",
    w_max: float = 1.0,
    x_max: float = 1.0,
    allow_failure: bool = False,
    b_max: float | None = None,
    plan: Plan | None = None,
    **options: Any,
) -> Ticket:
    """Sample ``G`` from ``seed`` by ``construction`` and prune it into a (dense) ticket for ``target``.

    ``G`` depends only on ``(widths, eps, delta, w_max, x_max, seed)`` and the construction's
    options. A biased target is built as its reduction (:func:`reduce_biases`; ``b_max`` its declared
    bias bound, default its own ``max |b|``). Raises :class:`ConstructionFailed` when the success event fails (unless
    ``allow_failure``), ``ValueError`` on bad input or a plan beyond the memory limit. ``plan``: the
    construction's ``plan(problem)`` when the caller computed it already (:func:`build_auto` does);
    the plan is computed once per build and passed down to sampling and selection.
    """
    target, con, problem, affine = prepare(target, construction, options, eps, delta, w_max, x_max, b_max)
    plan = con.plan(problem) if plan is None else plan
    memory.require(
        memory.dense_build_bytes(plan, max(w.size for w in target.dense_weights())), memory.limit(),
        f"a dense {con.name} build (G: {float(plan.G_params):.3g} parameters)",
        ("build it lazily (lazy=True, --lazy), " if supports_lazy(con) else "")
        + "use a larger ε, fewer samples or a smaller target, or raise the limit (--max-memory)",
    )
    if affine is not None and hasattr(con, "with_affine"):  # a search that must draw inputs on [x; 1]
        con = con.with_affine(affine)
    t0 = time.perf_counter()
    G, spec = _sample_G(con, problem, seed, plan)
    t1 = time.perf_counter()
    ticket = con.select(target, G, spec, problem, plan)
    _finish(ticket, t0, t1, time.perf_counter(), **({"affine": affine} if affine is not None else {}))
    raise_if_failed(ticket, con, seed, problem, allow_failure)
    return ticket


def build_compact_ticket(
    target: ReLUNet,
    eps: float,
    delta: float,
    seed: int,
    *,
    construction: str | Construction = "orseau",
    w_max: float = 1.0,
    x_max: float = 1.0,
    allow_failure: bool = False,
    b_max: float | None = None,
    jobs: int = 1,
    progress: bool | None = None,
    plan: Plan | None = None,
    **options: Any,
) -> Any:
    """:func:`build_ticket` on the lazy path: the same ticket (same kept indices and values) as a
    :class:`~slt_check.tickets.compact_ticket.CompactTicket`, never holding ``G`` (``plan`` as there)."""

    target, con, problem, affine = prepare(target, construction, options, eps, delta, w_max, x_max, b_max)
    if not supports_lazy(con):
        raise ValueError(f"construction: {con.name!r} has no lazy path; build it densely (without --lazy)")
    plan = con.plan(problem) if plan is None else plan
    memory.require(
        memory.lazy_build_bytes(plan, problem.n_weights, jobs, CHUNK_CANDIDATES), memory.limit(),
        f"a lazy {con.name} build ({plan.n_samples} samples per block)",
        "use a larger ε, fewer samples, fewer jobs or a smaller target, or raise the limit (--max-memory)",
    )
    t0 = time.perf_counter()
    spec = _source_spec(con, problem, seed, plan)
    rule = con.make_rule(problem, spec, plan, target=target)
    entries, reports = select_lazy(
        target, spec, rule, prune_dead_halves=getattr(con, "prune_dead_halves", True), jobs=jobs,
        progress=progress,
    )
    meta = con.ticket_meta(problem, spec, plan, reports).updated(
        lazy=True, **({"affine": affine} if affine is not None else {}), jobs=int(jobs))
    ticket = CompactTicket(spec, entries, target, meta)
    ticket.jobs = int(jobs)
    ticket = con.finalize(ticket, target, problem)  # construction-specific success event
    _finish(ticket, t0, t0, time.perf_counter())
    raise_if_failed(ticket, con, seed, problem, allow_failure)
    return ticket


def build_auto(
    target: ReLUNet,
    eps: float,
    delta: float,
    seed: int,
    *,
    construction: str | Construction = "orseau",
    lazy: bool | None = None,
    jobs: int = 1,
    w_max: float = 1.0,
    x_max: float = 1.0,
    allow_failure: bool = False,
    b_max: float | None = None,
    plan: Plan | None = None,
    **options: Any,
) -> AnyTicket:
    """Dense :func:`build_ticket`, or the lazy path when ``lazy`` is True or (``lazy=None``) the
    dense ``G`` would exceed :data:`DENSE_PARAMS_LIMIT` parameters. The plan is computed here, once
    (unless given: the caller's ``con.plan(problem)``), and passed to the builder (which passes it to
    sampling and selection)."""
    _, con, problem, _ = prepare(target, construction, options, eps, delta, w_max, x_max, b_max)
    plan = con.plan(problem) if plan is None else plan
    if lazy is None:
        lazy = supports_lazy(con) and dense_params(con, problem, plan) > DENSE_PARAMS_LIMIT
    common = {"w_max": w_max, "x_max": x_max, "allow_failure": allow_failure, "b_max": b_max, "construction": con,
              "plan": plan}
    if lazy:
        return build_compact_ticket(target, eps, delta, seed, jobs=jobs, **common)
    return build_ticket(target, eps, delta, seed, **common)


NS_PER_DENSE_PARAM = 150e-9
"""Seconds per parameter of a dense ``G`` (sampling, masking, selection): measured 100–190 ns on
Orseau builds of random 8-16-4 and 16-32-8 targets (min of 3, one core of the reference machine)."""
S_PER_LAZY_CANDIDATE = 0.03e-6
"""Seconds per (target weight × candidate) on the lazy path with greedy digits or the pair search:
≈ 0.02 µs of one core on Orseau's 784-500-10 per_input build since the compiled digit scan reads only
a prefix of each stream (selection 37 s on 2 workers for 397,000 weights × 8,841 candidates); the
pair search and small builds, where fixed costs dominate, cost more per candidate."""
S_PER_LAZY_EXACT_CANDIDATE = 0.4e-6
"""The same for the exact subset-sum rule (Pensia's banks: candidates gathered and sorted per weight):
measured 0.39 µs on small Pensia builds."""
S_PER_EXACT_SEARCH = 6.5e-3
"""Seconds per target weight and half of an exact subset-sum search over a 32-candidate window:
measured ≈ 13 ms per weight (both halves) on a Pensia build of a random 8-16-4 target; ×2^{(window−32)/2}."""
S_PER_GROWN_SEARCH = 30e-6
"""Seconds per target weight and half of the *growing* exact search (``grow_from`` set, the default of
``precision="certificate"``: the candidate prefix grows from 16 and stops at the first optimum within
the precision): measured 4–8 µs on Pensia certificate builds of random 196-100-10 targets and ≈ 50 µs
on 784-500-10 (tighter per-layer precisions, longer prefixes); 30 µs is the middle of that range."""
LONG_BUILD_S = 30.0
"""``slt-check build`` prints its estimate before a build estimated to take at least this long."""


@dataclass(frozen=True)
class BuildEstimate:
    """A rough wall time of one build, from its plan only (nothing is sampled):

        seconds = G_params · NS_PER_DENSE_PARAM                      (dense)
                  W · N · S_PER_LAZY_CANDIDATE (or …_EXACT_CANDIDATE)  (lazy)
                + 2 W · S_PER_EXACT_SEARCH · 2^{(window − 32)/2}     (exact subset-sum rule, whole window)
                + 2 W · S_PER_GROWN_SEARCH                           (exact subset-sum rule, growing prefix)

    with ``W`` target weights and ``N`` candidates per weight (the plan's ``n_samples``). The rates
    are single-core measurements on one reference machine: an order of magnitude, not a promise."""

    seconds: float
    lazy: bool
    G_params: int
    n_weights: int
    candidates_per_weight: int
    exact_window: int | None = None

    def text(self) -> str:
        path = "lazy" if self.lazy else "dense"
        rule = f", exact subset sum over {self.exact_window} candidates per weight-half" if self.exact_window else ""
        return (f"estimate: this build may take ≈ {_duration(self.seconds)} (a rough estimate from the plan: "
                f"{path} path, G with {self.G_params:.3g} parameters, {self.n_weights} target weights × "
                f"{self.candidates_per_weight} candidates each{rule}; rates measured on one reference machine, "
                "single core — yours may differ several-fold)")


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h")


def estimate_build(con: Any, problem: Problem, plan: Plan, lazy: bool) -> BuildEstimate:
    """The :class:`BuildEstimate` of building ``problem`` with ``con`` at ``plan`` (dense or ``lazy``)."""
    W, N = int(problem.n_weights), int(plan.n_samples)
    G = int(plan.G_params)
    rule = getattr(plan, "rule", None)
    exact = rule == "exact_subset_sum"
    per_candidate = S_PER_LAZY_EXACT_CANDIDATE if exact else S_PER_LAZY_CANDIDATE
    seconds = W * N * per_candidate if lazy else G * NS_PER_DENSE_PARAM
    window = None
    if exact:
        window = int(getattr(plan, "window", None) or 32)
        grows = getattr(con, "grow_from", None) is not None or getattr(con, "precision", "r8") == "certificate"
        seconds += 2 * W * (S_PER_GROWN_SEARCH if grows else S_PER_EXACT_SEARCH * 2.0 ** ((window - 32) / 2))
    return BuildEstimate(float(seconds), bool(lazy), G, W, N, window)


@dataclass
class BuildResult:
    """What one build produced: the ticket and the measured facts about it (typed, not in ``meta``).

    ``ok`` is True only when the construction's success event was checked and held; ``certified``
    and ``found`` are ``None`` when the build was not certified."""

    ticket: Any
    ok: bool
    certified: float | None
    found: float | None
    sizes: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    lazy: bool = False
    sup_error: Any = None

    def holds(self, eps: float) -> bool:
        """Certified and within ``eps``."""
        return self.certified is not None and self.certified <= eps


def build(
    target: ReLUNet,
    eps: float,
    delta: float,
    seed: int,
    *,
    certify: bool = True,
    x_max: float = 1.0,
    lazy: bool | None = None,
    search_seed: int = 0,
    **kw: Any,
) -> BuildResult:
    """The whole pipeline (module docstring): :func:`build_auto`, ``validate()`` against the seed and,
    with ``certify``, :func:`~slt_check.certificates.sup_error.sup_error` on ``‖x‖∞ ≤ x_max``. Raises
    :class:`ConstructionFailed` like the builders (unless ``allow_failure``)."""

    t0 = time.perf_counter()
    ticket = build_auto(target, eps, delta, seed, x_max=x_max, lazy=lazy, **kw)
    t1 = time.perf_counter()
    verify_ticket(ticket)
    t2 = time.perf_counter()
    timings = {"build": t1 - t0, "validate": t2 - t1}
    err = None
    if certify:
        err = sup_error_any(target, ticket, x_max, rng=search_seed)
        timings["certify"] = time.perf_counter() - t2
    # the build records travel with the file (informational: a checker recomputes what it relies on)
    ticket.meta = ticket.meta.updated(build_s=timings["build"], validate_s=timings["validate"], **(
        {} if err is None else {"sup_error": err.as_dict(), "certify_s": timings["certify"]}))
    return BuildResult(
        ticket=ticket, ok=ticket.meta.success is True,
        certified=None if err is None else float(err.certified), found=None if err is None else float(err.found),
        sizes=ticket.sizes(), timings=timings, lazy=not isinstance(ticket, Ticket), sup_error=err,
    )


def build_and_check(
    target: ReLUNet, eps: float, delta: float, seed: int, *, certify: bool = True, x_max: float = 1.0,
    **kw: Any,
) -> tuple[Any, Any]:
    """:func:`build` returning ``(ticket, sup_error or None)`` (the older interface)."""
    r = build(target, eps, delta, seed, certify=certify, x_max=x_max, **kw)
    return r.ticket, r.sup_error
