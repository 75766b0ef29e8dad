"""Build, verify and measure convolutional tickets (the CNN counterpart of :mod:`slt_check.pipeline.build`
and :mod:`slt_check.pipeline.verify`).

``build_conv`` samples ``G`` from the seed through the construction (lazily, column by column), selects
the ticket, re-validates it against its seed, certifies the sup error over the box and searches for the
worst input. ``verify_conv`` is what ``slt-check check`` runs on a file: re-create the construction from
the recorded name and options, recompute the plan (it must equal the stored one), regenerate every kept
entry of ``G`` from the seed and compare bit for bit.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slt_check.certificates.conv_bounds import found_error
from slt_check.constructions.conv_2l import ConvConstruction, ConvProblem
from slt_check.constructions.conv_registry import get_conv_construction
from slt_check.core.conv import ConvNet, torch_threads
from slt_check.tickets.conv_ticket import ConvTicket
from slt_check.tickets.plan import plan_from_dict

__all__ = ["ConvResult", "build_conv", "verify_conv", "measure_conv", "problem_for"]


@dataclass
class ConvResult:
    """A built CNN ticket with its measured error and timings (``ok``: success event held)."""

    ticket: ConvTicket
    certified: float | None
    found: float | None
    ok: bool
    timings: dict[str, float] = field(default_factory=dict)


def problem_for(target: ConvNet, eps: float, delta: float, *, w_max: float | None = None,
                b_max: float | None = None, lo: float = -1.0, hi: float = 1.0) -> ConvProblem:
    """The problem of a target: declared ``w_max`` (default: the target's own max ``|w|``) and ``b_max``
    (default: the target's own max ``|b|``, None without biases)."""
    tb = target.b_max() or None  # all-zero biases: nothing to bound
    return ConvProblem(target.arch, eps, delta, w_max if w_max is not None else target.w_max(),
                       b_max if b_max is not None else tb, float(lo), float(hi))


def measure_conv(ticket: ConvTicket, lo: Any, hi: Any, *, search_seed: int = 0, steps: int = 40,
                 restarts: int = 8) -> dict[str, Any]:
    """Certified bound and found error of ``ticket`` on the box ``[lo, hi]`` (float64)."""
    with torch_threads(1):
        return _measure(ticket, lo, hi, search_seed, steps, restarts)


def _measure(ticket: ConvTicket, lo: Any, hi: Any, search_seed: int, steps: int, restarts: int) -> dict[str, Any]:
    t0 = time.perf_counter()
    cert = {"bound": ticket.certified(lo, hi)}
    t1 = time.perf_counter()
    lo_a = np.broadcast_to(np.asarray(lo, np.float64), ticket.target.input_shape).copy()
    hi_a = np.broadcast_to(np.asarray(hi, np.float64), ticket.target.input_shape).copy()
    f = found_error(ticket.target_fn(), ticket.torch_fn(), lo_a, hi_a, rng=np.random.default_rng(search_seed),
                    steps=steps, restarts=restarts)
    t2 = time.perf_counter()
    return {"certified": cert["bound"], "found": f["found"], "certify_s": t1 - t0, "search_s": t2 - t1,
            "lo": float(np.min(lo_a)), "hi": float(np.max(hi_a))}


def build_conv(target: ConvNet, construction: ConvConstruction, problem: ConvProblem, seed: int, *,
               certify: bool = True, search_seed: int = 0, progress: bool = False) -> ConvResult:
    """Select, validate against the seed, certify and search (module doc); never re-draws ``G``."""
    t0 = time.perf_counter()
    ticket = construction.select(target, problem, seed, progress=progress)
    t1 = time.perf_counter()
    ticket.validate(construction.spec(problem, seed, plan_from_dict(ticket.meta["plan"])), progress=progress)
    t2 = time.perf_counter()
    timings = {"select": t1 - t0, "validate": t2 - t1}
    cert = found = None
    if certify:
        m = measure_conv(ticket, problem.lo, problem.hi, search_seed=search_seed)
        cert, found = m["certified"], m["found"]
        timings.update(certify=m["certify_s"], search=m["search_s"])
        ticket.meta["sup_error"] = {"certified": cert, "found": found, "lo": problem.lo, "hi": problem.hi}
    timings["build"] = time.perf_counter() - t0
    ticket.meta["timings"] = timings
    return ConvResult(ticket, cert, found, ticket.ok, timings)


def verify_conv(ticket: ConvTicket, progress: bool = False) -> tuple[ConvConstruction, ConvProblem]:
    """``ValueError`` unless the file is what its construction builds from its seed (module doc)."""
    meta = ticket.meta
    try:
        con = get_conv_construction(meta["construction"], **meta["options"])
        problem = ConvProblem(**meta["problem"])
        seed = int(meta["seed"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"ticket: metadata incomplete or malformed ({type(exc).__name__}: {exc})") from None
    if problem.arch != ticket.target.arch:
        raise ValueError(f"ticket: the target's architecture {ticket.target.arch} is not the problem's {problem.arch}")
    problem.check_target(ticket.target)
    plan = con.plan(problem)
    if json.dumps(plan.to_dict(), sort_keys=True) != json.dumps(meta.get("plan"), sort_keys=True):
        raise ValueError("ticket: the recorded plan is not the one its construction computes for its problem")
    if seed < 0:
        raise ValueError("ticket: negative seed")
    ticket.validate(con.spec(problem, seed, plan), progress=progress)
    return con, problem
