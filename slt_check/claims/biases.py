"""Claim **B-bias** (ours) — targets with biases, through the constant-input reduction.

A biased target ``F`` is built as the bias-free ``F'`` on ``[x; 1]`` (:mod:`slt_check.core.affine`,
docs/biases.md) with ``w_max' = max(w_max, b_max, 1)`` and ``x_max' = max(x_max, 1)``. The end-to-end
claim: at the construction's formula width, ``P(no certified ε-ticket of F on ‖x‖∞ ≤ x_max) ≤ δ``.

Rate claim :data:`BIAS_RATE` (the property test and the ledger run the same), over its domain — shapes
up to ``n_0 = 8`` and depth 3, ε over three decades, δ ∈ {0.1, 0.02}, weight-and-bias families uniform,
Kaiming-scaled and corners, constructions pensia and orseau (both sharings) — in two stages
(:mod:`slt_check.claims.rates`). Each cell is one fixed biased target; ``G`` from the trial's seed. A
draw fails when the construction's success event failed or the certified sup error (the stage
certificate on the superset box ``[−x_max', x_max']^{d+1}``, sound) exceeds ε — never re-drawn. No
MILP re-check here: the certificate alone decides, which can only over-count failures.
"""

from __future__ import annotations

from typing import Any

from slt_check.claims.base import Claim
from slt_check.claims.rates import TYPED_RECORDS, Preregistration, RateClaim, design, with_targets
from slt_check.claims.trials import ticket_trial
from slt_check.core.screening import Cell

__all__ = ["BIAS_RATE", "CLAIMS", "measure_bbias"]

_SHAPES_CI = ((2, 3, 2), (8, 1), (8, 3, 1), (2, 2, 2, 1))
_SHAPES_FULL = _SHAPES_CI + ((4, 6, 2), (3, 4, 4, 2))
_CONSTRUCTIONS = ("pensia", "orseau-per_input", "orseau-per_weight")
"""``pensia`` runs its union plan (``delta_rule="union"``), whose width accounts for δ."""
_BIAS_SCALES = (1.0, 3.0)
_X_MAX = (0.5, 1.0, 3.0)


def _bias_cells(n_cells: int, shapes: tuple[tuple[int, ...], ...], eps: tuple[float, ...],
                deltas: tuple[float, ...]) -> tuple[Cell, ...]:
    out = []
    for c in with_targets(design(n_cells, widths=shapes, eps=eps, delta=deltas,
                                 family=("uniform", "kaiming", "corners"), construction=_CONSTRUCTIONS,
                                 bias_scale=_BIAS_SCALES, x_max=_X_MAX), 9000, bias=True):
        p = dict(c.params)
        name, _, sharing = p["construction"].partition("-")
        p["construction"], p["options"] = name, ({"sharing": sharing} if sharing else {"delta_rule": "union"})
        out.append(Cell(c.label, c.delta, p))
    return tuple(out)


BIAS_RATE = RateClaim(
    "B-bias",
    {"target widths": _SHAPES_FULL, "ε": (0.1, 0.05, 1e-2, 1e-3), "δ": (0.1, 0.02),
     "family (weights and biases)": ("uniform", "kaiming", "corners"), "construction": _CONSTRUCTIONS,
     "b_max ÷ w_max": _BIAS_SCALES, "x_max": _X_MAX},
    {"smoke": _bias_cells(6, _SHAPES_CI[:2], (0.1, 0.05), (0.1,)),
     "ci": _bias_cells(24, _SHAPES_CI, (0.1, 0.05, 1e-2, 1e-3), (0.1, 0.02)),
     "full": _bias_cells(60, _SHAPES_FULL, (0.1, 0.05, 1e-2, 1e-3), (0.1, 0.02))},
    ticket_trial, 2026_1206_31,
    (Preregistration(2026_1206_32, "659891b"),
     Preregistration(2026_1206_33, "825539c", "construction changed: pensia cells use the union plan, after the first "
                     "confirmation found pensia's default width blind to δ (63/1374 at δ = 0.02)"),
     Preregistration(2026_1206_34, "51e6395", "construction changed: the reduction refuses bias bounds above "
                     "1e100 (float safety); confirmed again on the final code"),
     Preregistration(2026_1206_72, "636e244", TYPED_RECORDS)),
    files=("slt_check.core.affine", "slt_check.constructions.pensia", "slt_check.constructions.rule_based",
           "slt_check.constructions.orseau", "slt_check.constructions.two_layer"),
)
"""B-bias over its domain (two stages, :mod:`slt_check.claims.rates`): each cell one fixed biased
target (seed ``9000 + i``), the certificate decides."""


def measure_bbias(scale: str = "ci") -> dict[str, Any]:
    """The ledger's B-bias: the two-stage result; found ≤ certified on every confirmation draw is
    recorded beside the rates."""

    def extra(ts: Any, outcomes: list[list[dict[str, Any]]]) -> dict[str, Any]:
        draws = [o for out in outcomes for o in out]
        unsound = sum(o["found"] > o["certified"] for o in draws)
        worst = max((o["certified"] / ts_eps for (sc, _), out in zip(ts.confirmed, outcomes, strict=True)
                     for o in out if not o["fail"] for ts_eps in [sc.cell.params["eps"]]), default=None)
        return {"found_above_certified": unsound, "largest_certified_over_eps": worst,
                "summary": f"found > certified on {unsound} of {len(draws)} confirmation draws; largest "
                           f"certified ÷ ε among successes {worst:.3g}" if worst is not None else
                           f"found > certified on {unsound} of {len(draws)} confirmation draws"}

    return BIAS_RATE.result(scale, extra=extra)


_P = "properties/"
CLAIMS: list[Claim] = [
    Claim("B-bias", "Targets with biases (ours): F(x) = F'([x;1]) exactly, with W'_k = [[W_k, b_k],[0…0, 1]] "
          "(hidden), W'_l = [W_l, b_l]; tickets of biased targets built for F' with w_max' = max(w_max, b_max, 1), "
          "x_max' = max(x_max, 1) meet certified sup error ≤ ε on ‖x‖∞ ≤ x_max with probability ≥ 1−δ "
          "(orseau, both sharings; pensia with its union plan, whose width accounts for δ); "
          "found ≤ exact ≤ certified on [x;1]. Broken by: dropping the bias column of the reduction, a search "
          "off the constant plane, a certificate that ignores biases", "reconstructed",
          "ours: constant-input reduction (slt_check.core.affine, added)", "probability",
          [_P + "test_biases.py", _P + "test_rate_claims.py"], measure_bbias,
          breaks=("bias-column-dropped",), rate=BIAS_RATE,
          title="targets with biases", figure="biases",
          doc="docs/biases.md", code=("core/affine.py", "pipeline/build.py")),
]
"""B-bias's registry row."""
