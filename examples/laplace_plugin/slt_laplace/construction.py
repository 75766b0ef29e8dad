"""The ``laplace`` construction: ``G`` of depth ``2l`` with ``Laplace(0, b)`` entries, pruned by exact
subset sums of the candidate products ``a_h b_h`` (Pensia et al.'s selection, another law).

Everything but the law is slt_check's depth-``2l`` machinery (``TwoLayerConstruction``): the layout of
``G`` per sharing scheme, sampling from counter-based streams keyed by the seed (so ``G`` never sees
the target), the selection per half, the lazy path and compact tickets, the ticket metadata and the
certificate. This module supplies the three hooks:

* ``plan(problem)`` — the width ``N = ⌈C·log₂(2W/min(η, δ))⌉`` per block (Pensia's form, ``C = 3``)
  at the R8 per-weight precision ``η``, and the size of ``G``;
* ``_law(plan, problem)`` — ``Laplace(0, b)`` with ``b = scale·√(w_max/2)`` (products ``a·b`` then
  have mean magnitude ``scale²·w_max/2``);
* ``make_rule(problem, spec, plan)`` — the exact subset-sum minimiser over the first ``window``
  candidates of each half.

The success event is every weight within ``η`` or, failing that, a certified sup error ≤ ε.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from slt_check.constructions.rules import ExactSubsetSum
from slt_check.constructions.sample_counts import pensia_samples
from slt_check.constructions.two_layer import TwoLayerConstruction
from slt_check.core import bounds
from slt_check.tickets.plan import TwoLayerPlan
from slt_check.tickets.problem import Problem

from slt_laplace.law import Laplace


@dataclass
class LaplaceSubsetSum(TwoLayerConstruction):
    """``laplace``: ``get_construction("laplace", sharing="per_input", scale=1.0)``.

    Options (JSON values, recorded in every ticket): ``sharing`` (``"per_input"`` or
    ``"per_weight"``), ``scale`` (of ``b``), ``window`` (exact solver's candidates per half),
    ``n_samples`` (override ``N``)."""

    sharing: str = "per_input"
    scale: float = 1.0
    window: int = 24
    n_samples: int | None = None
    prune_dead_halves: bool = True
    name: str = "laplace"

    certify_on_miss = True  # a ticket with weights beyond η may still pass by its certificate

    def __post_init__(self) -> None:
        if self.sharing not in ("per_weight", "per_input"):
            raise ValueError(f"sharing: expected 'per_weight' or 'per_input', got {self.sharing!r}")
        if not (isinstance(self.scale, (int, float)) and math.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale: need a finite number > 0, got {self.scale!r}")
        if not (isinstance(self.window, int) and 1 <= self.window <= 40):
            raise ValueError(f"window: need an integer in [1, 40] (the exact search costs 2^(window/2)), "
                             f"got {self.window!r}")
        if self.n_samples is not None and not (isinstance(self.n_samples, int) and self.n_samples >= 1):
            raise ValueError(f"n_samples: need a positive integer, got {self.n_samples!r}")

    def plan(self, problem: Problem) -> TwoLayerPlan:
        eta = bounds.per_weight_precision(problem.eps, problem.widths, problem.w_max, problem.x_max)
        n_formula, extra = pensia_samples(eta, problem.n_weights, problem.delta)
        n = int(self.n_samples or n_formula)
        size = bounds.g_size(problem.widths, n, self.sharing)
        return TwoLayerPlan(eta=eta, M=bounds.n_digits(problem.w_max, eta), n_samples=n, n_samples_formula=n_formula,
                            law="laplace", rule="exact_subset_sum", sharing=self.sharing, window=self.window,
                            G_widths=bounds.g_widths(problem.widths, n, self.sharing), G_neurons=size["neurons"],
                            G_params=size["params"], G_depth=size["depth"], **extra)

    def _law(self, plan: TwoLayerPlan, problem: Problem) -> Laplace:
        return Laplace(b=self.scale * math.sqrt(problem.w_max / 2.0))

    def make_rule(self, problem: Problem, spec: Any, plan: TwoLayerPlan, target: Any = None) -> ExactSubsetSum:
        return ExactSubsetSum(eta=plan.eta, window=self.window)

    def extra_meta(self) -> dict[str, Any]:
        return {"law": "laplace", "rule": "exact_subset_sum", "success_event": "all weights within eta"}
