"""Shared machinery of the depth-``2l`` constructions (``orseau``, ``pensia``, ``malach``,
``factorial``): the source spec, sampling, selection through :func:`slt_check.sources.selection.select_masks`
and the ticket metadata. Subclasses provide ``plan(problem)``, ``_law(plan, problem)`` and
``make_rule(problem, spec, plan, target=None)`` (one rule, or one per target layer), and may override
``extra_meta`` and ``finalize``. The plan is computed once per build and passed to every hook.

The hooks ``source_spec``, ``make_rule``, ``ticket_meta`` and ``finalize`` are also what the lazy
path (:mod:`slt_check.sources.lazy`) calls, so dense and lazy tickets share every decision.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from slt_check.certificates.precision import layer_precisions
from slt_check.certificates.sup_error import certified_bound, stages_of
from slt_check.constructions.base import Construction, Problem, meta_common
from slt_check.core import bounds
from slt_check.core.nets import ReLUNet
from slt_check.sources import selection
from slt_check.sources.selection import select_masks
from slt_check.sources.source import SourceSpec, sample_source
from slt_check.tickets.meta import TicketMeta
from slt_check.tickets.plan import Plan, TwoLayerPlan
from slt_check.tickets.ticket import AnyTicket, Ticket

__all__ = ["TwoLayerConstruction", "PRECISIONS", "check_precision"]

PRECISIONS = ("r8", "certificate")
"""Selection precisions: R8's one ``η`` for every weight, or the target certificate's per-layer
``η_i`` (:mod:`slt_check.certificates.precision`; the ticket is then accepted iff certified ≤ ε)."""


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {PRECISIONS}, got {precision!r}")
    return precision


class TwoLayerConstruction(Construction):
    """Mixin: needs attributes ``sharing``, ``prune_dead_halves``, ``name`` and the methods
    ``plan``, ``_law``, ``make_rule``; an attribute ``precision`` (default ``"r8"``) switches the
    selection to the certificate's per-layer precisions (:meth:`certificate_etas`)."""

    sharing: str
    prune_dead_halves: bool
    lazy = True  # the hooks below serve the lazy path too
    certify_on_miss = False  # r8 selection: may a ticket with weights beyond η pass by certificate?

    takes_plan = True  # sample_G / source_spec accept the plan the pipeline already computed

    def source_spec(self, problem: Problem, seed: int, plan: Plan | None = None) -> SourceSpec:
        """The :class:`SourceSpec` of ``G`` (shapes, law, seed) without sampling it (lazy path).

        ``plan``: ``self.plan(problem)`` as the caller computed it (the build pipeline computes it
        once per build and passes it to every hook); ``None``: computed here."""
        if plan is None:
            plan = self.plan(problem)
        return SourceSpec(
            widths=problem.widths,
            n_samples=plan.n_samples,
            sharing=self.sharing,
            law=self._law(plan, problem),  # type: ignore[attr-defined]
            seed=int(seed),
            output_relu=problem.output_relu,
        )

    def sample_G(self, problem: Problem, seed: int, plan: Plan | None = None) -> tuple[ReLUNet, SourceSpec]:
        """``G`` sampled from its :meth:`source_spec` (``plan`` as there)."""
        spec = self.source_spec(problem, seed, plan)
        return sample_source(spec), spec

    def extra_meta(self) -> dict[str, Any]:
        """Construction-specific metadata entries (e.g. law and rule names)."""
        return {}

    def ticket_meta(self, problem: Problem, spec: SourceSpec, plan: Plan, reports: list[Any]) -> TicketMeta:
        """The ticket's metadata from the per-layer selection reports (shared with the lazy path)."""
        n_failed = int(sum(int((~r["ok"]).sum()) for r in reports))
        entries: dict[str, Any] = {
            "sharing": self.sharing,
            "success": n_failed == 0,
            "n_failed_weights": n_failed,
            "failed_weights": [
                [r["layer"], *map(int, ij)] for r in reports for ij in np.argwhere(~r["ok"])
            ][:100],
            "layers": [{k: v for k, v in r.items() if k != "ok"} for r in reports],
            "stages": "pairs",
            "law_params": spec.law.params(),
            "prune_dead_halves": self.prune_dead_halves,
            **self.extra_meta(),
        }
        if self._certificate_mode():
            entries.update({"precision": "certificate", "success_event": "certified sup error <= eps"})
        return meta_common(problem, self, spec.seed, plan, **entries)

    def _certificate_mode(self) -> bool:
        return getattr(self, "precision", "r8") == "certificate"

    def certificate_etas(self, problem: Problem, target: ReLUNet | None) -> list[float]:
        """Per-layer selection precisions from the target's certificate
        (:func:`slt_check.certificates.precision.layer_precisions`; instances = weights × selected halves)."""
        if target is None:
            raise ValueError("precision='certificate': the per-layer precisions need the target")

        instances = [W.size * len(selection.layer_halves(t, self.prune_dead_halves))
                     for t, W in enumerate(target.dense_weights())]
        return layer_precisions(target, problem.eps, problem.x_max, instances)

    def digits_for(self, problem: Problem, plan: TwoLayerPlan, eta: float) -> int:
        """Greedy digits for precision ``eta``: ``min(M, ⌈log_γ(w_max/((γ−1)η))⌉)`` (``M`` the plan's,
        which ``G``'s law was sized for)."""

        gamma = getattr(self, "gamma", bounds.GAMMA)
        return min(plan.M, bounds.n_digits(problem.w_max, min(eta, problem.w_max), gamma))

    def finalize(self, ticket: AnyTicket, target: ReLUNet, problem: Problem) -> AnyTicket:
        """Last step after selection, shared with the lazy path (works on any ticket with
        ``weights`` and ``meta``): under ``precision="certificate"`` — and, when
        ``certify_on_miss``, for a ticket with weights beyond ``η`` — success is decided by the
        certified sup error (sound, :func:`slt_check.certificates.sup_error.certified_bound`) being ≤ ε."""
        meta = ticket.meta
        if meta is None:
            raise ValueError("ticket: has no metadata; finalize works on a ticket this construction selected")
        if self._certificate_mode() or (self.certify_on_miss and not meta.success):
            cert = certified_bound(target, ticket.weights, stages_of(ticket), problem.x_max)
            success = bool(cert.bound <= problem.eps)
            # the two parts of the bound (a failure message says which one exceeds what)
            ticket.meta = meta.updated(
                certified_at_select=float(cert.bound), certified_stage_bound=float(cert.per_stage[-1]),
                certified_float_slack=float(cert.slack), success=success,
                **({"success_event": "certified sup error <= eps"} if success else {}))
        return ticket

    def select(
        self, target: ReLUNet, G: ReLUNet, spec: SourceSpec, problem: Problem, plan: Plan | None = None
    ) -> Ticket:
        problem.check_target(target)
        if plan is None:
            plan = self.plan(problem)
        masks, reports = select_masks(
            target, G, spec, self.make_rule(problem, spec, plan, target=target),  # type: ignore[attr-defined]
            prune_dead_halves=self.prune_dead_halves,
        )
        ticket = Ticket(G, masks, target, self.ticket_meta(problem, spec, plan, reports))
        return self.finalize(ticket, target, problem)
