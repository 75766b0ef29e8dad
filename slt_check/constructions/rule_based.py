"""The shared base of the rule-based depth-``2l`` constructions (``factorial``, ``pensia``,
``malach``): a weight law for ``G``'s entries and a selection rule for the candidate products
``p_h = a_h b_h`` of each half; subclasses choose the law, the rule and the default number of samples
``N`` (``_default_samples``). The law × rule combinations and the success event are described in
:mod:`slt_check.constructions.factorial`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from slt_check.constructions import sample_counts
from slt_check.constructions.base import Problem
from slt_check.constructions.rules import ExactSubsetSum, GreedyDigits, PairSearch
from slt_check.constructions.two_layer import TwoLayerConstruction, check_precision
from slt_check.core import bounds
from slt_check.core.laws import factor_law
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_count, check_real
from slt_check.sources.source import SourceSpec
from slt_check.tickets.plan import TwoLayerPlan

__all__ = ["RuleConstruction", "FACTORIAL_LAWS", "FACTORIAL_RULES", "CERTIFICATE_GROW_FROM"]

FACTORIAL_LAWS = ("uniform", "hyperbolic", "product")
FACTORIAL_RULES = ("greedy_digits", "exact_subset_sum", "pair")
CERTIFICATE_GROW_FROM = 16
"""First prefix length of the growing exact search under ``precision="certificate"``."""


@dataclass
class RuleConstruction(TwoLayerConstruction):
    """Depth-``2l`` construction from a law name and a rule name (see the module docstring).

    Parameters
    ----------
    law: one of :data:`FACTORIAL_LAWS`.
    rule: one of :data:`FACTORIAL_RULES`.
    sharing: ``"per_weight"`` or ``"per_input"`` (see :mod:`slt_check.sources.source`).
    n_samples: override ``N`` (samples per group/block); default from ``_default_samples``.
    scale: uniform half-width factor ``s = scale·√w_max``.
    window: exact solver's candidates per half (``O(2^{window/2})`` per weight).
    grow_from: exact solver: grow the candidate prefix from this length and stop at the first whose
        optimum is within the precision (:class:`~slt_check.constructions.rules.ExactSubsetSum`); ``None``: the
        optimum over the whole window (default for ``precision="r8"``; ``16`` for "certificate").
    precision: ``"r8"`` (one ``η`` for every weight, from the widths) or ``"certificate"``
        (per-layer ``η_i`` from the target's certificate, :func:`slt_check.certificates.precision.layer_precisions`).
    gamma: digit base of greedy digits / hyperbolic support.
    prune_dead_halves: prune the ``a < 0`` half in layers ≥ 2 (inputs ≥ 0, exactly dead).
    """

    law: str = "uniform"
    rule: str = "exact_subset_sum"
    sharing: str = "per_input"
    n_samples: int | None = None
    scale: float = 1.0
    window: int = 32
    gamma: float = bounds.GAMMA
    prune_dead_halves: bool = True
    grow_from: int | None = None
    precision: str = "r8"
    name: str = "factorial"

    def __post_init__(self) -> None:
        check_precision(self.precision)
        check_count(self.window, "window")
        check_count(self.grow_from, "grow_from", optional=True)
        check_count(self.n_samples, "n_samples", optional=True)
        for name in ("scale", "gamma"):
            check_real(getattr(self, name), name)
        if self.grow_from is not None and not 1 <= int(self.grow_from) <= int(self.window):
            raise ValueError(f"grow_from: need 1 ≤ grow_from ≤ window = {self.window}, got {self.grow_from}")
        if self.law not in FACTORIAL_LAWS:
            raise ValueError(f"law: expected one of {FACTORIAL_LAWS}, got {self.law!r}")
        if self.rule not in FACTORIAL_RULES:
            raise ValueError(f"rule: expected one of {FACTORIAL_RULES}, got {self.rule!r}")
        if self.sharing not in ("per_weight", "per_input"):
            raise ValueError(f"sharing: expected 'per_weight' or 'per_input', got {self.sharing!r}")
        if self.n_samples is not None and int(self.n_samples) < 1:
            raise ValueError(f"n_samples: need a positive number of samples, got {self.n_samples}")
        if not (math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale: need a finite uniform scale > 0, got {self.scale}")
        if not self.gamma > 1:
            raise ValueError(f"gamma: digit base must be > 1, got {self.gamma}")

    # ------------------------------------------------------------------ sizes
    def _default_samples(self, problem: Problem, eta: float, M: int) -> tuple[int, dict[str, Any]]:
        """``N`` from the rule's own theory when no override is given."""
        if self.rule == "greedy_digits":
            return bounds.samples_per_group(M, problem.n_weights, problem.delta), {}
        if self.rule == "pair":
            return sample_counts.pair_samples(self._unit_scale(problem), problem.w_max, eta,
                                2 * problem.n_weights, problem.delta)
        return sample_counts.pensia_samples(eta, problem.n_weights, problem.delta)

    def _unit_scale(self, problem: Problem) -> float:
        return self.scale * math.sqrt(problem.w_max)

    def plan(self, problem: Problem) -> TwoLayerPlan:
        eta = bounds.per_weight_precision(problem.eps, problem.widths, problem.w_max, problem.x_max)
        M = bounds.n_digits(problem.w_max, eta, self.gamma)
        N_formula, extra = self._default_samples(problem, eta, M)
        N = int(self.n_samples or N_formula)
        size = bounds.g_size(problem.widths, N, self.sharing)
        out: dict[str, Any] = {
            "eta": eta,
            "M": M,
            "n_samples": N,
            "n_samples_formula": N_formula,
            "law": self.law,
            "rule": self.rule,
            "sharing": self.sharing,
            "G_widths": bounds.g_widths(problem.widths, N, self.sharing),
            "G_neurons": size["neurons"],
            "G_params": size["params"],
            "G_depth": size["depth"],
            "counting_lower_bound_per_half": bounds.counting_lower_bound(2 * problem.w_max, eta),
        }
        if self.law == "hyperbolic":
            out["alpha"], out["beta"] = bounds.hyperbolic_support(M, problem.w_max, self.gamma)
        else:
            out["uniform_half_width"] = self._unit_scale(problem)
        if self.rule == "exact_subset_sum":
            out["window"] = int(self.window)
        out.update(extra)
        return TwoLayerPlan(**out)

    def _law(self, plan: TwoLayerPlan, problem: Problem) -> Any:
        return factor_law(self.law, self._unit_scale(problem), (plan.alpha, plan.beta))

    # ------------------------------------------------------------------ hooks (shared with lazy)
    def make_rule(self, problem: Problem, spec: SourceSpec, plan: TwoLayerPlan, target: ReLUNet | None = None) -> Any:
        """One rule for every layer (``precision="r8"``), or one per target layer with the
        certificate's precisions ``η_i`` (``precision="certificate"``, needs ``target``)."""
        if self.precision == "r8":
            return self._rule(problem, plan, plan.eta, self.grow_from)
        etas = self.certificate_etas(problem, target)
        grow = CERTIFICATE_GROW_FROM if self.grow_from is None else self.grow_from
        return [self._rule(problem, plan, eta, min(grow, self.window)) for eta in etas]

    def _rule(self, problem: Problem, plan: TwoLayerPlan, eta: float, grow_from: int | None) -> Any:
        if self.rule == "greedy_digits":
            return GreedyDigits(M=self.digits_for(problem, plan, eta), w_max=problem.w_max, gamma=self.gamma)
        if self.rule == "pair":
            return PairSearch(eta=eta)
        return ExactSubsetSum(eta=eta, window=self.window, grow_from=grow_from)

    certify_on_miss = True  # a ticket with weights beyond η may still pass by its certificate

    def extra_meta(self) -> dict[str, Any]:
        return {"law": self.law, "rule": self.rule, "success_event": "all weights within eta"}
