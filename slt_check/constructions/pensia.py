"""Pensia, Rajput, Nagle, Vishwakarma, Papailiopoulos (NeurIPS 2020): ``U[−1,1]`` weights, one
bank of hidden neurons per input neuron shared by its outgoing weights, subset sums
(docs/reconstruction.md#pensia).

Choices (the theorem's constant ``C`` is not explicit in any text we saw; docs/reconstruction.md#pensia):

* law ``U[−s, s]``, ``s = √w_max`` (``U[−1,1]`` for ``w_max = 1``);
* ``sharing="per_input"``: input neuron ``j`` owns a block of ``N`` intermediate neurons, shared by
  all ``n_i`` outgoing weights; only the output weights' masks differ per target weight;
* per-weight precision ``η`` = the R8 precision used by Orseau (``bounds.per_weight_precision``),
  so that every weight within ``η`` implies certified sup error ≤ ε;
* selection per half (``a > 0`` / ``a < 0``, R3): the **exact** subset-sum minimiser
  (:mod:`slt_check.core.subset_sum_grow`) over the first ``window`` eligible candidates;
* ``precision="certificate"`` (for large targets): select instead to the per-layer precisions the
  target's certificate needs (:mod:`slt_check.certificates.precision`; ``η₁ ≈ 4.6e-7`` instead of R8's
  ``3.2e-9`` on a 784-500-10 Kaiming target), growing the candidate prefix from 16 until the exact
  optimum is within them; same ``G``; the ticket is accepted iff its certified sup error is ≤ ε;
* width (samples per block), Pensia's form ``n ≥ C·log(d_{i−1} d_i l / min{ε, δ})`` (third-party) with
  our instance count ``2W`` (weights × halves) and precision ``η``:

      N = ⌈C · log₂(2W / min(η, δ))⌉,   C = 3

  ``C = 3`` is the constant of their Experiment 1 (``n = 3·round(log₂(1/ε))`` candidates per
  weight); it is a documented choice, not a derived constant: the failure rate it gives is
  *measured* (``properties/test_peers_pensia.py``, ``slt-check compare``), never assumed.
  ``min(η, δ)`` is ``η`` whenever ``η < δ`` (every usual case), so this ``N`` does not grow as ``δ``
  shrinks; the ledger's P-pensia-delta row records that reading, kept as the default.
* ``delta_rule="union"``: ``N`` from :func:`slt_check.core.bounds.pensia_union_plan` (``g`` disjoint
  groups of ``m`` candidates per half, ``K π^g ≤ δ/2`` over the ``2W`` halves, and every block holding
  ``g m`` candidates of each sign except with probability ``≤ δ/2``), selected by
  :class:`~slt_check.constructions.rules.GroupedSubsetSum`; ``N`` grows with ``ln(1/δ)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slt_check.constructions import sample_counts
from slt_check.constructions.rule_based import RuleConstruction
from slt_check.constructions.rules import GroupedSubsetSum
from slt_check.constructions.sample_counts import PENSIA_C, pensia_samples  # noqa: F401  (re-exported)
from slt_check.core import bounds
from slt_check.core.validation import check_positive
from slt_check.tickets.plan import TwoLayerPlan

__all__ = ["Pensia", "pensia_samples", "PENSIA_C", "PENSIA_DELTA_RULES"]

PENSIA_DELTA_RULES = ("pensia", "union")
"""``delta_rule`` values: ``N = ⌈C·log₂(2W/min(η, δ))⌉`` (default) and the union plan."""


@dataclass
class Pensia(RuleConstruction):
    """The ``pensia`` construction (see the module docstring). ``C`` overrides the width constant;
    ``delta_rule`` picks the width rule (``"pensia"`` or ``"union"``; ``C`` and ``window`` are unused
    under ``"union"``, whose plan sizes the groups)."""

    law: str = "uniform"
    rule: str = "exact_subset_sum"
    sharing: str = "per_input"
    C: float = PENSIA_C
    delta_rule: str = "pensia"
    name: str = "pensia"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.C, "C")
        if self.delta_rule not in PENSIA_DELTA_RULES:
            raise ValueError(f"delta_rule: expected one of {PENSIA_DELTA_RULES}, got {self.delta_rule!r}")
        if self.delta_rule == "union" and (self.law, self.rule) != ("uniform", "exact_subset_sum"):
            raise ValueError("delta_rule='union' is calibrated for the uniform law and exact subset sums only")

    def _default_samples(self, problem: Any, eta: float, M: int) -> tuple[int, dict[str, Any]]:
        if self.delta_rule == "union":
            s2 = self._unit_scale(problem) ** 2
            if s2 < problem.w_max:
                raise ValueError(
                    f"scale: delta_rule='union' needs products reaching w_max (scale ≥ 1), got {self.scale}")
            n_blocks = sum(problem.widths[:-1]) if self.sharing == "per_input" else problem.n_weights
            u = bounds.pensia_union_plan(eta, problem.n_weights, n_blocks, problem.delta, s2)
            return u["n_samples"], {"delta_rule": "union", **u,
                                    "failure_bound": u["instance_bound"] + u["block_bound"]}
        return sample_counts.pensia_samples(eta, problem.n_weights, problem.delta, self.C)

    def _rule(self, problem: Any, plan: TwoLayerPlan, eta: float, grow_from: int | None) -> Any:
        if self.delta_rule != "union":
            return super()._rule(problem, plan, eta, grow_from)
        return GroupedSubsetSum(eta=eta, m=int(plan.group_size), g=int(plan.n_groups))
