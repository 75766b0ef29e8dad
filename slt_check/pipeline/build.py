"""The one build pipeline: one request, resolved once, then built — dense or lazy, verified, certified.

::

    resolve_request(target, eps, delta, seed, construction=…, options=…, lazy=…, flags=…) → BuildRequest
      ├─ reduce:   a biased target → F' on [x; 1] (reduce_biases)
      ├─ resolve:  construction (registry, its options only) + checked Problem
      ├─ plan:     construction.plan(problem), computed once
      ├─ path:     dense or lazy, with its reason (asked, or G above DENSE_PARAMS_LIMIT)
      └─ estimate: time and peak memory from the plan (slt_check.pipeline.estimate)
    build(request)                                                          → BuildResult
      ├─ build_path(request): build_dense or build_lazy — nothing here resolves or plans again
      │    memory: refuse a request whose peak exceeds the limit (slt_check.runtime.memory)
      │    dense:  G = construction.sample_G(problem, seed, plan);  ticket = construction.select(…)
      │    lazy:   only the usable streams of G (slt_check.sources.lazy.select_lazy) → CompactTicket
      ├─ validate: ticket == G ⊙ mask, G regenerated from the seed (slt_check.pipeline.verify)
      └─ certify:  certified and found sup error on the box (slt_check.certificates.sup_error)

The plan travels in the request to sampling and selection (``sample_G`` / ``source_spec`` → the
spec's ``extra["plan"]``, read by ``make_rule`` and ``ticket_meta``); the verifier, a checker,
recomputes its own. A request's construction options and its build flags are separate
(:class:`~slt_check.pipeline.request.BuildFlags`); a flag given as an option is refused.

A target with biases is reduced here, in one place (:func:`reduce_biases`), to the bias-free ``F'``
on ``[x; 1]`` of :mod:`slt_check.core.affine` with ``w_max' = max(w_max, b_max, 1)`` and
``x_max' = max(x_max, 1)``; every construction builds its ticket for ``F'`` unchanged, and the ticket
records ``meta["affine"]`` (docs/biases.md).

:func:`build_ticket` (dense), :func:`build_compact_ticket` (lazy), :func:`build_auto` (the lazy path
when asked, or when the dense ``G`` would exceed :data:`DENSE_PARAMS_LIMIT` parameters) and
:func:`build` (the whole pipeline, a typed :class:`BuildResult` whose ``ok`` is True only when the
construction's success event was checked and held) take a resolved request, or today's arguments
(then they resolve one and call through). The construction's failure event (the sampled ``G`` is
too small, probability ≤ δ) raises :class:`~slt_check.constructions.base.ConstructionFailed` unless
``allow_failure``; ``G`` is never re-drawn.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slt_check.certificates.sup_error import sup_error_any
from slt_check.constructions.base import Construction, ConstructionFailed, Problem
from slt_check.core.affine import affine_record, augment
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.estimate import (
    LONG_BUILD_S,
    NS_PER_DENSE_PARAM,
    S_PER_EXACT_SEARCH,
    S_PER_GROWN_SEARCH,
    S_PER_LAZY_CANDIDATE,
    S_PER_LAZY_EXACT_CANDIDATE,
    BuildEstimate,
    estimate_build,
    plan_value,
)
from slt_check.pipeline.request import (
    PATH_ASKED,
    PATH_LARGE_G,
    PATH_NO_LAZY,
    PATH_SMALL_G,
    BuildFlags,
    BuildRequest,
    check_certifiable,
    resolve_construction,
    supports_lazy,
)
from slt_check.pipeline.verify import verify_ticket
from slt_check.runtime import memory
from slt_check.sources.lazy import CHUNK_CANDIDATES, select_lazy
from slt_check.tickets.compact_ticket import CompactTicket
from slt_check.tickets.ticket import AnyTicket, Ticket, versions

__all__ = [
    "DENSE_PARAMS_LIMIT",
    "BuildFlags",
    "BuildRequest",
    "BuildResult",
    "resolve_request",
    "build",
    "build_ticket",
    "build_compact_ticket",
    "build_auto",
    "build_dense",
    "build_lazy",
    "build_path",
    "build_request",
    "build_and_check",
    "resolve",
    "prepare",
    "reduce_biases",
    "raise_if_failed",
    "supports_lazy",
    "dense_params",
    "BuildEstimate",
    "estimate_build",
    "LONG_BUILD_S",
    "NS_PER_DENSE_PARAM",
    "S_PER_LAZY_CANDIDATE",
    "S_PER_LAZY_EXACT_CANDIDATE",
    "S_PER_EXACT_SEARCH",
    "S_PER_GROWN_SEARCH",
]

DENSE_PARAMS_LIMIT = 20_000_000
"""Above this many ``G`` parameters the lazy path is taken automatically (dense ``G`` ≥ 160 MB)."""


def dense_params(con: Any, problem: Problem, plan: Any = None) -> int:
    """Parameters of the dense ``G`` the construction would sample (its plan's ``G_params``;
    ``plan`` when already computed)."""
    return int(plan_value(con.plan(problem) if plan is None else plan, "G_params", 0))


def _sample_G(con: Any, problem: Problem, seed: int, plan: Any) -> tuple[ReLUNet, Any]:
    """``con.sample_G`` with the build's plan when the construction takes one (``takes_plan``)."""
    if getattr(con, "takes_plan", False):
        return con.sample_G(problem, seed, plan)
    return con.sample_G(problem, seed)


def _source_spec(con: Any, problem: Problem, seed: int, plan: Any) -> Any:
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
    construction: str | Construction, options: Mapping[str, Any], target: ReLUNet, eps: float, delta: float,
    w_max: float, x_max: float,
) -> tuple[Any, Problem]:
    """The construction (:func:`~slt_check.pipeline.request.resolve_construction`) and the checked
    :class:`Problem` of ``target`` (a part of :func:`resolve_request`)."""
    con = resolve_construction(construction, options)
    problem = Problem.for_target(target, eps, delta, w_max=w_max, x_max=x_max)
    problem.check_target(target)
    return con, problem


def prepare(
    target: ReLUNet, construction: str | Construction, options: Mapping[str, Any], eps: float, delta: float,
    w_max: float, x_max: float, b_max: float | None = None,
) -> tuple[ReLUNet, Any, Problem, dict[str, Any] | None]:
    """:func:`reduce_biases` then :func:`resolve` on the target the construction sees —
    ``(F' or F, construction, problem, meta["affine"] or None)`` (the start of :func:`resolve_request`)."""
    seen, w_seen, x_seen, affine = reduce_biases(target, w_max, x_max, b_max)
    con, problem = resolve(construction, options, seen, eps, delta, w_seen, x_seen)
    return seen, con, problem, affine


def _choose_path(con: Any, plan: Any, lazy: bool | None) -> tuple[bool, str]:
    """Dense or lazy, and why: as asked, else lazy iff the construction has a lazy path and its dense
    ``G`` would exceed :data:`DENSE_PARAMS_LIMIT` parameters."""
    if lazy is not None:
        return bool(lazy), PATH_ASKED
    if not supports_lazy(con):
        return False, PATH_NO_LAZY
    large = int(plan_value(plan, "G_params", 0)) > DENSE_PARAMS_LIMIT
    return large, PATH_LARGE_G if large else PATH_SMALL_G


def _peak_bytes(target: ReLUNet, problem: Problem, plan: Any, lazy: bool, jobs: int) -> float:
    """The peak memory of the build (:mod:`slt_check.runtime.memory`), dense or lazy."""
    if lazy:
        return memory.lazy_build_bytes(plan, problem.n_weights, jobs, CHUNK_CANDIDATES)
    return memory.dense_build_bytes(plan, max(w.size for w in target.dense_weights()))


def resolve_request(
    target: ReLUNet,
    eps: float,
    delta: float,
    seed: int,
    *,
    construction: str | Construction = "orseau",
    options: Mapping[str, Any] | None = None,
    w_max: float = 1.0,
    x_max: float = 1.0,
    b_max: float | None = None,
    lazy: bool | None = None,
    flags: BuildFlags | None = None,
    plan: Any = None,
) -> BuildRequest:
    """The one resolution of a build (module docstring): bias reduction, construction (by name with
    its ``options``, or an instance), checked problem, plan (``plan`` when the caller computed it),
    path (``lazy``: True/False as asked, ``None`` automatic) and estimate.

    ``ValueError`` on bad input: an unknown construction or option, a build flag given as an option,
    a target outside the problem, a bias above ``b_max``, ``lazy=True`` for a construction without a
    lazy path, and (with ``flags.require_certifiable``) an ε below the target's float64 floor."""
    flags = BuildFlags() if flags is None else flags
    seen, con, problem, affine = prepare(target, construction, options or {}, eps, delta, w_max, x_max, b_max)
    if flags.require_certifiable:
        check_certifiable(seen, problem)
    if lazy and not supports_lazy(con):
        raise ValueError(f"construction: {con.name!r} has no lazy path; build it densely (without --lazy)")
    plan = con.plan(problem) if plan is None else plan
    path, reason = _choose_path(con, plan, lazy)
    estimate = estimate_build(con, problem, plan, path, _peak_bytes(seen, problem, plan, path, flags.jobs))
    return BuildRequest(seen, target, affine, problem, con, seed, x_max, plan, path, reason, estimate, flags)


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


def _require_memory(req: BuildRequest) -> None:
    """Refuse a request whose estimated peak exceeds the limit (``flags.max_memory`` or
    :func:`slt_check.runtime.memory.limit`), before anything is sampled."""
    con, plan = req.construction, req.plan
    limit = memory.limit() if req.flags.max_memory is None else int(req.flags.max_memory)
    if req.lazy:
        what = f"a lazy {con.name} build ({plan_value(plan, 'n_samples')} samples per block)"
        way_out = "use a larger ε, fewer samples, fewer jobs or a smaller target, or raise the limit (--max-memory)"
    else:
        what = f"a dense {con.name} build (G: {float(plan_value(plan, 'G_params', 0)):.3g} parameters)"
        way_out = (("build it lazily (lazy=True, --lazy), " if supports_lazy(con) else "")
                   + "use a larger ε, fewer samples or a smaller target, or raise the limit (--max-memory)")
    memory.require(req.estimate.memory_bytes or 0.0, limit, what, way_out)


def _on_path(req: BuildRequest, lazy: bool) -> None:
    if req.lazy != lazy:
        raise ValueError(f"request: resolved for the {'lazy' if req.lazy else 'dense'} path ({req.path_reason}); "
                         f"build it with build_path or build, not the {'lazy' if lazy else 'dense'} builder")


def build_dense(req: BuildRequest) -> Ticket:
    """The dense ticket of a resolved request: ``G`` sampled from its seed at its plan, pruned by its
    construction. Raises :class:`ConstructionFailed` when the success event fails (unless
    ``flags.allow_failure``), ``ValueError`` for a lazy request or one beyond the memory limit."""
    _on_path(req, False)
    _require_memory(req)
    con, problem = req.construction, req.problem
    if req.affine is not None and hasattr(con, "with_affine"):  # a search that must draw inputs on [x; 1]
        con = con.with_affine(req.affine)
    t0 = time.perf_counter()
    G, spec = _sample_G(con, problem, req.seed, req.plan)
    t1 = time.perf_counter()
    ticket = con.select(req.target, G, spec, problem, req.plan)
    _finish(ticket, t0, t1, time.perf_counter(), **({"affine": req.affine} if req.affine is not None else {}))
    raise_if_failed(ticket, con, req.seed, problem, req.flags.allow_failure)
    return ticket


def build_lazy(req: BuildRequest) -> Any:
    """:func:`build_dense` on the lazy path: the same ticket (same kept indices and values) as a
    :class:`~slt_check.tickets.compact_ticket.CompactTicket`, never holding ``G`` (``flags.jobs``
    workers, ``flags.progress``)."""
    _on_path(req, True)
    _require_memory(req)
    con, problem, jobs = req.construction, req.problem, int(req.flags.jobs)
    t0 = time.perf_counter()
    spec = _source_spec(con, problem, req.seed, req.plan)
    rule = con.make_rule(problem, spec, req.plan, target=req.target)
    entries, reports = select_lazy(
        req.target, spec, rule, prune_dead_halves=getattr(con, "prune_dead_halves", True), jobs=req.flags.jobs,
        progress=req.flags.progress,
    )
    meta = con.ticket_meta(problem, spec, req.plan, reports).updated(
        lazy=True, **({"affine": req.affine} if req.affine is not None else {}), jobs=jobs)
    ticket = CompactTicket(spec, entries, req.target, meta)
    ticket.jobs = jobs
    ticket = con.finalize(ticket, req.target, problem)  # construction-specific success event
    _finish(ticket, t0, t0, time.perf_counter())
    raise_if_failed(ticket, con, req.seed, problem, req.flags.allow_failure)
    return ticket


def build_path(req: BuildRequest) -> AnyTicket:
    """The ticket of a resolved request on its path: :func:`build_lazy` or :func:`build_dense`."""
    return build_lazy(req) if req.lazy else build_dense(req)


def _or_request(core: Callable[[BuildRequest], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let a builder with today's arguments also take a resolved request alone (then ``core(request)``)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(target: Any, *args: Any, **kw: Any) -> Any:
            if not isinstance(target, BuildRequest):
                return fn(target, *args, **kw)
            if args or kw:
                raise TypeError(f"{fn.__name__}(request): the request holds every argument; got also "
                                f"{len(args)} positional and {sorted(kw)}")
            return core(target)

        return call

    return wrap


@_or_request(build_dense)
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
    plan: Any = None,
    **options: Any,
) -> Ticket:
    """Sample ``G`` from ``seed`` by ``construction`` and prune it into a (dense) ticket for ``target``
    (:func:`resolve_request` with ``lazy=False``, then :func:`build_dense`; or ``build_ticket(request)``).

    ``G`` depends only on ``(widths, eps, delta, w_max, x_max, seed)`` and the construction's
    ``options``. A biased target is built as its reduction (:func:`reduce_biases`; ``b_max`` its declared
    bias bound, default its own ``max |b|``). Raises :class:`ConstructionFailed` when the success event fails
    (unless ``allow_failure``), ``ValueError`` on bad input or a plan beyond the memory limit. ``plan``: the
    construction's ``plan(problem)`` when the caller computed it already.
    """
    return build_dense(resolve_request(
        target, eps, delta, seed, construction=construction, options=options, w_max=w_max, x_max=x_max,
        b_max=b_max, lazy=False, flags=BuildFlags(allow_failure=allow_failure), plan=plan))


@_or_request(build_lazy)
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
    plan: Any = None,
    **options: Any,
) -> Any:
    """:func:`build_ticket` on the lazy path (:func:`resolve_request` with ``lazy=True``, then
    :func:`build_lazy`; or ``build_compact_ticket(request)``); ``ValueError`` for a construction
    without a lazy path."""
    return build_lazy(resolve_request(
        target, eps, delta, seed, construction=construction, options=options, w_max=w_max, x_max=x_max,
        b_max=b_max, lazy=True, flags=BuildFlags(allow_failure=allow_failure, jobs=jobs, progress=progress),
        plan=plan))


@_or_request(build_path)
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
    plan: Any = None,
    **options: Any,
) -> AnyTicket:
    """Dense :func:`build_ticket`, or the lazy path when ``lazy`` is True or (``lazy=None``) the
    dense ``G`` would exceed :data:`DENSE_PARAMS_LIMIT` parameters (:func:`resolve_request`, then
    :func:`build_path`; or ``build_auto(request)``)."""
    return build_path(resolve_request(
        target, eps, delta, seed, construction=construction, options=options, w_max=w_max, x_max=x_max,
        b_max=b_max, lazy=lazy, flags=BuildFlags(allow_failure=allow_failure, jobs=jobs), plan=plan))


@dataclass
class BuildResult:
    """What one build produced: the ticket and the measured facts about it (typed, not in ``meta``).

    ``ok`` is True only when the construction's success event was checked and held; ``certified``
    and ``found`` are ``None`` when the build was not certified."""

    ticket: AnyTicket
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


def build_request(req: BuildRequest) -> BuildResult:
    """The whole pipeline of a resolved request (module docstring): :func:`build_path`, ``validate()``
    against the seed and, with ``flags.certify``, :func:`~slt_check.certificates.sup_error.sup_error`
    of the original target on ``‖x‖∞ ≤ x_max``. Raises :class:`ConstructionFailed` like the builders
    (unless ``flags.allow_failure``)."""
    t0 = time.perf_counter()
    ticket = build_path(req)
    t1 = time.perf_counter()
    verify_ticket(ticket)
    t2 = time.perf_counter()
    timings = {"build": t1 - t0, "validate": t2 - t1}
    err = None
    if req.flags.certify:
        err = sup_error_any(req.original, ticket, req.x_max, rng=req.flags.search_seed)
        timings["certify"] = time.perf_counter() - t2
    # the build records travel with the file (informational: a checker recomputes what it relies on)
    ticket.meta = ticket.meta.updated(build_s=timings["build"], validate_s=timings["validate"], **(
        {} if err is None else {"sup_error": err.as_dict(), "certify_s": timings["certify"]}))
    return BuildResult(
        ticket=ticket, ok=ticket.meta.success is True,
        certified=None if err is None else float(err.certified), found=None if err is None else float(err.found),
        sizes=ticket.sizes(), timings=timings, lazy=not isinstance(ticket, Ticket), sup_error=err,
    )


_REQUEST_KEYWORDS = ("construction", "w_max", "b_max", "plan")
_FLAG_KEYWORDS = ("allow_failure", "jobs")


@_or_request(build_request)
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
    """The whole pipeline: ``build(request)`` (:func:`build_request`), or :func:`resolve_request` of
    these arguments first — ``kw``: :func:`build_auto`'s keywords (``construction``, ``w_max``,
    ``b_max``, ``plan``, ``allow_failure``, ``jobs``) and the construction's options."""
    request_kw = {k: kw.pop(k) for k in _REQUEST_KEYWORDS if k in kw}
    flags = BuildFlags(certify=certify, search_seed=search_seed, **{k: kw.pop(k) for k in _FLAG_KEYWORDS if k in kw})
    return build_request(resolve_request(target, eps, delta, seed, x_max=x_max, lazy=lazy, flags=flags,
                                         options=kw, **request_kw))


def build_and_check(
    target: ReLUNet, eps: float, delta: float, seed: int, *, certify: bool = True, x_max: float = 1.0,
    **kw: Any,
) -> tuple[Any, Any]:
    """:func:`build` returning ``(ticket, sup_error or None)`` (the older interface)."""
    r = build(target, eps, delta, seed, certify=certify, x_max=x_max, **kw)
    return r.ticket, r.sup_error
