"""The distribution × selection factorial on the depth-``2l`` layout: any weight law × any rule.

One code path (:func:`slt_check.sources.selection.select_masks`) serves every combination; only the law of
``G``'s entries and the rule that picks a subset of candidate products ``p_h = a_h b_h`` per half
change, which isolates *why* the hyperbolic law helps — greedy digits — and where it does not —
exact selection (docs/peers.md#factorial).

* laws: ``"uniform"`` ``U[−s, s]`` with ``s = scale·√w_max``; ``"hyperbolic"`` Orseau's
  ``α = √w_max γ^{−3M/4}``, ``β = √w_max γ^{M/4}`` (R7); ``"product"`` each entry is itself a
  product of two ``U[−s, s]``.
* rules (:data:`slt_check.constructions.rules.RULES`): ``"greedy_digits"`` (R2/R4, ``M`` digits),
  ``"exact_subset_sum"`` (exact meet-in-the-middle), ``"pair"`` (single closest product).

Precision: every combination aims at the same per-weight precision ``η`` (R8, as Orseau), so that
"all weights within η" implies certified sup error ≤ ε. With ``precision="certificate"`` the
selection instead aims at per-layer precisions ``η_i`` computed from the target's certificate
(:mod:`slt_check.certificates.precision`: much looser than R8 on realistic targets); ``G`` is the same (its size
never depends on the target), and the ticket is accepted iff its certified sup error is ≤ ε.

**Success event** (``ticket.ok``): every simulated weight is within ``η`` (the sufficient R8
condition) — or, failing that, the *certified* sup error of the selected ticket
(:func:`slt_check.certificates.sup_error.certified_bound`, sound) is ≤ ε, which is the theorem's event itself.
``meta["n_failed_weights"]`` always counts the weights beyond ``η``.

:class:`~slt_check.constructions.rule_based.RuleConstruction` is the shared base of ``factorial``, ``pensia`` and
``malach``; subclasses
only choose the law, the rule and the default number of samples ``N`` (``_default_samples``).
"""

from __future__ import annotations

from dataclasses import dataclass

from slt_check.constructions.rule_based import (  # noqa: F401  (re-exported)
    CERTIFICATE_GROW_FROM,
    FACTORIAL_LAWS,
    FACTORIAL_RULES,
    RuleConstruction,
)

__all__ = ["RuleConstruction", "Factorial", "FACTORIAL_LAWS", "FACTORIAL_RULES"]


@dataclass
class Factorial(RuleConstruction):
    """``factorial``: ``get_construction("factorial", law="hyperbolic", rule="exact_subset_sum")``."""

    name: str = "factorial"
