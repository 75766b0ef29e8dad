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
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, ClassVar

from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_delta, check_eps, check_scale, check_weight_bound
from slt_check.tickets.ticket import Ticket

__all__ = ["Problem", "Construction", "ConstructionFailed", "construction_options", "meta_common"]


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
        object.__setattr__(self, "eps", check_scale(check_eps(self.eps), "eps"))
        object.__setattr__(self, "delta", check_delta(self.delta))
        object.__setattr__(self, "w_max", check_scale(self.w_max, "w_max"))
        object.__setattr__(self, "x_max", check_scale(self.x_max, "x_max"))

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
    def plan(self, problem: Problem) -> dict[str, Any]:
        """Theoretical sizes (M, η, N, widths and size of G, law) — no sampling."""

    @abstractmethod
    def sample_G(self, problem: Problem, seed: int) -> tuple[ReLUNet, Any]:
        """Draw ``G`` from ``seed`` (independently of any target); returns ``(G, spec)``."""

    @abstractmethod
    def select(self, target: ReLUNet, G: ReLUNet, spec: Any, problem: Problem) -> Ticket:
        """Prune ``G`` into a ticket approximating ``target``."""

    def options(self) -> dict[str, Any]:
        """The options this construction was created with (``meta["options"]``)."""
        return construction_options(self)


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

