"""The construction interface shared by every strong-ticket construction.

A construction turns a :class:`Problem` (declared widths, bounds, ε, δ) and a seed into a random
source ``G`` (:meth:`Construction.sample_G` — never looks at target weights), and then, given the
target, into a :class:`~slt_check.tickets.ticket.Ticket` (:meth:`Construction.select`). A failed success
event (the sampled ``G`` is too small — probability ≤ δ for a per-weight event; or, for a certificate
event, a certified bound above ε) is reported, never hidden: ``ticket.ok`` is False and
:func:`slt_check.pipeline.build.build_ticket` raises :class:`ConstructionFailed` unless
``allow_failure=True``. The registry of constructions is :mod:`slt_check.constructions.registry`; the
build pipeline is :mod:`slt_check.pipeline.build`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import fields, is_dataclass
from typing import Any, ClassVar

from slt_check.core.nets import ReLUNet
from slt_check.tickets.meta import TicketMeta
from slt_check.tickets.plan import Plan
from slt_check.tickets.problem import Problem
from slt_check.tickets.ticket import Ticket

__all__ = ["Problem", "Construction", "ConstructionFailed", "construction_options", "meta_common"]


class ConstructionFailed(RuntimeError):
    """The construction's success event failed on the sampled ``G``; ``.ticket`` holds the
    best-effort pruning for inspection.

    Under a per-weight success event ("every simulated weight within ``η``") this is the event of
    probability ≤ δ of the theorem. Under a certificate success event (``precision="certificate"``,
    or a ticket with missed weights accepted by its certificate) it means "certified bound above ε",
    which is *not* that event: the certified bound also holds the certificate's float-evaluation
    slack, which no per-weight analysis bounds (docs/peers.md, "pensia at depth 3")."""

    def __init__(self, message: str, ticket: Ticket | None = None) -> None:
        super().__init__(message)
        self.ticket = ticket


def construction_options(con: Any) -> dict[str, Any]:
    """The options a construction was created with (its dataclass init fields but ``name``), as
    recorded in ``meta["options"]`` so that a checker can re-create exactly the same construction."""
    if not is_dataclass(con):
        return {}
    return {f.name: getattr(con, f.name) for f in fields(con) if f.name != "name" and f.init}


class Construction(ABC):
    """The typed base of every construction (``plan``, ``sample_G``, ``select``).

    A construction is a dataclass whose fields are its options (recorded in every ticket's
    ``meta["options"]``, so that a checker can re-create it); ``name`` is its registry name. It is
    lazy-capable (``lazy = True``: the hooks ``source_spec``, ``make_rule``, ``ticket_meta`` and
    ``finalize`` of :class:`~slt_check.constructions.two_layer.TwoLayerConstruction`) unless it opts
    out by leaving ``lazy`` False. The registry (:mod:`slt_check.constructions.registry`) lists them.
    """

    name: str
    lazy: ClassVar[bool] = False

    @abstractmethod
    def plan(self, problem: Problem) -> Plan:
        """Theoretical sizes (M, η, N, widths and size of G, law) — no sampling."""

    @abstractmethod
    def sample_G(self, problem: Problem, seed: int) -> tuple[ReLUNet, Any]:
        """Draw ``G`` from ``seed`` (independently of any target); returns ``(G, spec)``."""

    @abstractmethod
    def select(self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem, plan: Plan | None = None) -> Ticket:
        """Prune ``G`` into a ticket approximating ``target`` (``plan``: this problem's plan, as the
        build computed it; ``None``: computed here)."""

    def options(self) -> dict[str, Any]:
        """The options this construction was created with (``meta["options"]``)."""
        return construction_options(self)


def meta_common(problem: Problem, con: Any, seed: int, plan: Plan, **entries: Any) -> TicketMeta:
    """The metadata every ticket carries (construction, options, problem, seed, plan) and the
    construction's ``entries``: the one writer, :meth:`TicketMeta.create`."""
    return TicketMeta.create(construction=con.name, problem=problem, seed=int(seed),
                             options=construction_options(con), plan=plan, **entries)

