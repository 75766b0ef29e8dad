"""Orseau, Hutter & Rivasplata (2020): hyperbolic weights, product weights, greedy base-3/2 digits,
one-pass ("batch") sampling [RECON, docs/reconstruction.md#digits to #batch; base 3/2, depth 2l,
hyperbolic law, b·a products and the ± ReLU trick are confirmed, the constants are our reconstruction].

Sizes (``Problem`` → :meth:`Orseau.plan`; docs/reconstruction.md#formulas):

    η   = min{1, ε / (l x_max Π_i n_{i−1}(w_max+1))}          (per-weight precision, R8)
    M   = ⌈log_{3/2}(2 w_max / η)⌉                            (digits per weight, R4)
    N_w = ⌈8M ln(2M·W/δ)⌉                                     (samples per group/block, R5)
    α, β = √w_max γ^{−3M/4}, √w_max γ^{M/4}                   (hyperbolic support, R7)

``sharing="per_weight"`` gives every target weight its own group of ``N_w`` intermediate neurons;
``sharing="per_input"`` gives every input neuron one block of ``N_w`` neurons shared by its outgoing
weights (the paper's choice is not known, docs/reconstruction.md#sharing; the union bound of R5
covers both since each (weight, category) pair still sees ``N_w`` independent draws with category
probability ≥ 1/(8M)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from slt_check.constructions.base import Problem
from slt_check.constructions.rules import GreedyDigits
from slt_check.constructions.two_layer import TwoLayerConstruction, check_precision
from slt_check.core import bounds
from slt_check.core.laws import Hyperbolic, Uniform
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_count, check_real
from slt_check.sources.source import SourceSpec
from slt_check.tickets.plan import TwoLayerPlan

__all__ = ["Orseau"]


@dataclass
class Orseau(TwoLayerConstruction):
    """The Orseau et al. construction.

    Parameters
    ----------
    sharing: ``"per_weight"`` (default) or ``"per_input"``.
    gamma: digit base (3/2; other values exist to show that base 2 breaks R2).
    law: ``"hyperbolic"`` (the paper) or ``"uniform"`` (``U[−√w_max, √w_max]``, a broken variant).
    n_samples: override ``N_w`` (e.g. the minimal-width finder); default from R5.
    n_digits: override ``M``; default from η.
    prune_dead_halves: prune the ``a < 0`` half in layers ≥ 2, whose inputs are ≥ 0 (exactly dead).
    precision: ``"r8"`` (the paper's route: ``M`` digits everywhere, success = every category
        present, R9) or ``"certificate"``: the same ``G``, but layer ``i`` keeps only
        ``M_i = ⌈log_γ(w_max/((γ−1)η_i))⌉ ≤ M`` digits for the target certificate's precision ``η_i``
        (:mod:`slt_check.certificates.precision`); the ticket is accepted iff its certified sup error is ≤ ε.
    """

    sharing: str = "per_weight"
    gamma: float = bounds.GAMMA
    law: str = "hyperbolic"
    n_samples: int | None = None
    n_digits: int | None = None
    prune_dead_halves: bool = True
    precision: str = "r8"
    name: str = "orseau"

    def __post_init__(self) -> None:
        check_precision(self.precision)
        check_count(self.n_samples, "n_samples", optional=True)
        check_count(self.n_digits, "n_digits", optional=True)
        check_real(self.gamma, "gamma")
        if not isinstance(self.prune_dead_halves, bool):
            raise ValueError(f"prune_dead_halves: expected true or false, got {self.prune_dead_halves!r}")
        if self.sharing not in ("per_weight", "per_input"):
            raise ValueError(f"sharing: expected 'per_weight' or 'per_input', got {self.sharing!r}")
        if self.law not in ("hyperbolic", "uniform"):
            raise ValueError(f"law: expected 'hyperbolic' or 'uniform', got {self.law!r}")
        if not self.gamma > 1:
            raise ValueError(f"gamma: digit base must be > 1, got {self.gamma}")

    def plan(self, problem: Problem) -> TwoLayerPlan:
        eta = bounds.per_weight_precision(problem.eps, problem.widths, problem.w_max, problem.x_max)
        M = self.n_digits or bounds.n_digits(problem.w_max, eta, self.gamma)
        N_formula = bounds.samples_per_group(M, problem.n_weights, problem.delta)
        N = int(self.n_samples or N_formula)
        alpha, beta = bounds.hyperbolic_support(M, problem.w_max, self.gamma)
        size = bounds.g_size(problem.widths, N, self.sharing)
        return TwoLayerPlan(
            eta=eta,
            M=M,
            n_samples=N,
            n_samples_formula=N_formula,
            gamma=self.gamma,
            alpha=alpha,
            beta=beta,
            sharing=self.sharing,
            law=self.law,
            G_widths=bounds.g_widths(problem.widths, N, self.sharing),
            G_neurons=size["neurons"],
            G_params=size["params"],
            G_depth=size["depth"],
            kept_per_weight_max=2 * M,
            failure_bound=bounds.coverage_failure_bound(M, problem.n_weights, N),
            residual_bound=bounds.greedy_residual_bound(M, problem.w_max, self.gamma),
        )

    def _law(self, plan: TwoLayerPlan, problem: Problem) -> Any:
        if self.law == "hyperbolic":
            return Hyperbolic(plan.alpha, plan.beta)
        s = math.sqrt(problem.w_max)
        return Uniform(-s, s)

    def make_rule(
        self, problem: Problem, spec: SourceSpec, plan: TwoLayerPlan, target: ReLUNet | None = None
    ) -> GreedyDigits | list[GreedyDigits]:
        """Greedy base-γ digits with this plan's ``M`` (``target`` unused), or under
        ``precision="certificate"`` one rule per layer with ``M_i`` digits."""
        if self.precision == "r8":
            return GreedyDigits(M=plan.M, w_max=problem.w_max, gamma=self.gamma)
        return [GreedyDigits(M=self.digits_for(problem, plan, eta), w_max=problem.w_max, gamma=self.gamma)
                for eta in self.certificate_etas(problem, target)]
