"""The construction interface shared by every strong-ticket construction, and the registry.

A construction turns a :class:`Problem` (declared widths, bounds, ε, δ) and a seed into a random
source ``G`` (:meth:`Construction.sample_G` — never looks at target weights), and then, given the
target, into a :class:`~slt_check.ticket.Ticket` (:meth:`Construction.select`). The failure event
of probability ≤ δ (the sampled ``G`` is too small) is reported, never hidden: ``ticket.ok`` is
False and :func:`build_ticket` raises :class:`ConstructionFailed` unless ``allow_failure=True``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, Protocol

from slt_check import memory
from slt_check.nets import ReLUNet
from slt_check.textio import json_ready  # noqa: F401  (re-exported for the constructions)
from slt_check.ticket import Ticket, versions
from slt_check.validation import check_delta, check_eps, check_positive, check_weight_bound
from slt_check.verify import construction_options

__all__ = [
    "Problem",
    "Construction",
    "ConstructionFailed",
    "CONSTRUCTIONS",
    "register",
    "get_construction",
    "build_ticket",
]


@dataclass(frozen=True)
class Problem:
    """What ``G`` may depend on: the target's architecture and declared bounds, ε and δ.

    ``widths = (n_0, …, n_l)``; every target weight satisfies ``|w| ≤ w_max``; inputs lie in the box
    ``‖x‖_∞ ≤ x_max``; the goal is ``sup_x ‖F(x) − Ĝ(x)‖_∞ ≤ eps`` with probability ``≥ 1 − delta``.
    """

    widths: tuple[int, ...]
    eps: float
    delta: float
    w_max: float = 1.0
    x_max: float = 1.0
    output_relu: bool = False

    def __post_init__(self) -> None:
        ws = tuple(int(n) for n in self.widths)
        if len(ws) < 2 or any(n < 1 for n in ws):
            raise ValueError(f"widths: need (n_0, …, n_l), l ≥ 1, positive integers; got {self.widths!r}")
        object.__setattr__(self, "widths", ws)
        object.__setattr__(self, "eps", check_eps(self.eps))
        object.__setattr__(self, "delta", check_delta(self.delta))
        object.__setattr__(self, "w_max", check_positive(self.w_max, "w_max"))
        object.__setattr__(self, "x_max", check_positive(self.x_max, "x_max"))

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def n_weights(self) -> int:
        return int(sum(a * b for a, b in zip(self.widths[:-1], self.widths[1:], strict=False)))

    def check_target(self, target: ReLUNet) -> None:
        """``ValueError`` unless the target has these widths and satisfies ``|w| ≤ w_max``."""
        if tuple(target.widths) != self.widths:
            raise ValueError(
                f"target: widths {target.widths} differ from the problem's widths {self.widths}"
            )
        if bool(target.output_relu) != bool(self.output_relu):
            raise ValueError(
                f"target: output_relu={target.output_relu} but the problem says {self.output_relu}"
            )
        check_weight_bound(target.dense_weights(), self.w_max)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def for_target(cls, target: ReLUNet, eps: float, delta: float, **kw: Any) -> Problem:
        return cls(tuple(target.widths), eps, delta, output_relu=target.output_relu, **kw)


class ConstructionFailed(RuntimeError):
    """The sampled ``G`` did not contain what the construction needs (an event of probability ≤ δ
    by the theorem). ``.ticket`` holds the best-effort pruning for inspection."""

    def __init__(self, message: str, ticket: Ticket | None = None) -> None:
        super().__init__(message)
        self.ticket = ticket


class Construction(Protocol):
    name: str

    def plan(self, problem: Problem) -> dict[str, Any]:
        """Theoretical sizes (M, η, N, widths and size of G, law) — no sampling."""
        ...

    def sample_G(self, problem: Problem, seed: int) -> tuple[ReLUNet, Any]:
        """Draw ``G`` from ``seed`` (independently of any target); returns ``(G, spec)``."""
        ...

    def select(self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem) -> Ticket:
        """Prune ``G`` into a ticket approximating ``target``."""
        ...


CONSTRUCTIONS: dict[str, Any] = {}


def register(name: str):  # noqa: ANN201
    """Class decorator: ``@register("orseau")`` adds a construction to the registry."""

    def deco(cls: Any) -> Any:
        CONSTRUCTIONS[name] = cls
        return cls

    return deco


def get_construction(name: str, **options: Any) -> Any:
    """Instantiate a registered construction: ``get_construction("orseau", sharing="per_input")``."""
    from slt_check import constructions as _  # noqa: F401  (populate the registry)

    if name not in CONSTRUCTIONS:
        raise ValueError(
            f"construction: unknown construction {name!r}; choose one of {sorted(CONSTRUCTIONS)}"
        )
    cls = CONSTRUCTIONS[name]
    if is_dataclass(cls):
        known = {f.name for f in fields(cls) if f.init and f.name != "name"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(
                f"option: {name!r} has no option(s) {unknown}; its options are {sorted(known)}"
            )
    try:
        return cls(**options)
    except TypeError as exc:  # a wrong value type that the constructor did not name
        raise ValueError(f"option: {name!r} refused its options {options!r} ({exc})") from None


def build_ticket(
    target: ReLUNet,
    eps: float,
    delta: float,
    seed: int,
    *,
    construction: str | Any = "orseau",
    w_max: float = 1.0,
    x_max: float = 1.0,
    allow_failure: bool = False,
    **options: Any,
) -> Ticket:
    """Sample ``G`` from ``seed`` by ``construction`` and prune it into a ticket for ``target``.

    ``G`` depends only on ``(widths, eps, delta, w_max, x_max, seed)`` and the construction's
    options. Raises :class:`ConstructionFailed` when the success event fails (unless
    ``allow_failure``), ``ValueError`` on bad input.
    """
    con, problem = resolve(construction, options, target, eps, delta, w_max, x_max)
    plan = con.plan(problem)
    memory.require(
        memory.dense_build_bytes(plan, max(w.size for w in target.dense_weights())), memory.limit(),
        f"a dense {con.name} build (G: {float(plan.get('G_params', 0)):.3g} parameters)",
        ("build it lazily (lazy=True, --lazy), " if hasattr(con, "source_spec") else "")
        + "use a larger ε, fewer samples or a smaller target, or raise the limit (--max-memory)",
    )
    t0 = time.perf_counter()
    G, spec = con.sample_G(problem, seed)
    t1 = time.perf_counter()
    ticket = con.select(target, G, spec, problem)
    t2 = time.perf_counter()
    ticket.meta.setdefault("versions", versions())
    ticket.meta["timing_s"] = {"sample_G": t1 - t0, "select": t2 - t1}
    raise_if_failed(ticket, con, seed, problem, allow_failure)
    return ticket


def resolve(
    construction: str | Any, options: dict[str, Any], target: ReLUNet, eps: float, delta: float,
    w_max: float, x_max: float,
) -> tuple[Any, Problem]:
    """The construction (by name with ``options``, or as given) and the checked :class:`Problem`
    of ``target`` — the common start of the dense and the lazy builders."""
    con = get_construction(construction, **options) if isinstance(construction, str) else construction
    problem = Problem.for_target(target, eps, delta, w_max=w_max, x_max=x_max)
    problem.check_target(target)
    return con, problem


def raise_if_failed(ticket: Any, con: Any, seed: int, problem: Problem, allow_failure: bool) -> None:
    """:class:`ConstructionFailed` (carrying the ticket) when the success event failed, unless
    ``allow_failure``; the message names the missed weights and, when the success event is the
    certificate, the certified sup error."""
    if ticket.ok or allow_failure:
        return
    cert = ticket.meta.get("certified_at_select")
    raise ConstructionFailed(
        f"{con.name}: the sampled G (seed {seed}) misses {ticket.meta.get('n_failed_weights', '?')} "
        f"target weight(s)"
        + (f" and its certified sup error is {cert:.3g} > ε = {problem.eps}" if cert is not None else "")
        + f" — the failure event of probability ≤ δ = {problem.delta}. G is not re-drawn; pass "
        "allow_failure=True to inspect the partial ticket, or use a larger delta-derived width.",
        ticket,
    )


def meta_common(problem: Problem, con: Any, seed: int, plan: dict[str, Any]) -> dict[str, Any]:
    """The metadata every ticket carries."""
    return {
        "construction": con.name,
        "problem": problem.as_dict(),
        "eps": problem.eps,
        "delta": problem.delta,
        "x_max": problem.x_max,
        "w_max": problem.w_max,
        "seed": int(seed),
        "options": construction_options(con),
        "plan": {k: (list(v) if isinstance(v, tuple) else v) for k, v in plan.items()},
    }
