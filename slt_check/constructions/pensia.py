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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slt_check.constructions import sample_counts
from slt_check.constructions.rule_based import RuleConstruction
from slt_check.constructions.sample_counts import PENSIA_C, pensia_samples  # noqa: F401  (re-exported)
from slt_check.core.validation import check_positive

__all__ = ["Pensia", "pensia_samples", "PENSIA_C"]


@dataclass
class Pensia(RuleConstruction):
    """The ``pensia`` construction (see the module docstring). ``C`` overrides the width constant."""

    law: str = "uniform"
    rule: str = "exact_subset_sum"
    sharing: str = "per_input"
    C: float = PENSIA_C
    name: str = "pensia"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self.C, "C")

    def _default_samples(self, problem: Any, eta: float, M: int) -> tuple[int, dict[str, Any]]:
        return sample_counts.pensia_samples(eta, problem.n_weights, problem.delta, self.C)
