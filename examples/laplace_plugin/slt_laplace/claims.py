"""The plugin's claim, in one place: ``LAP-delta``, a rate claim made with
:func:`slt_check.claims.plugin.rate_claim`, and the group that registers it with its own ledger.

LAP-delta: a random network of Laplace weights, pruned by exact subset sums at Pensia's width
``N = ⌈3·log₂(2W/min(η, δ))⌉``, contains an ε-ticket of the target except with probability ≤ δ —
over the domain below, in two stages (a screen over every cell, then the worst cells confirmed on
fresh pre-registered seeds), the sup error on the tightest sound bound (the certificate, else the
exact MILP's proven upper bound).
"""

from __future__ import annotations

from pathlib import Path

from slt_check.claims.plugin import ClaimGroup, rate_claim
from slt_check.claims.rates import Preregistration, grid, with_targets

_WIDTHS = ((2, 2, 1), (2, 3, 1), (3, 3, 2))
_EPS = (0.1, 0.05)
_FAMILIES = ("uniform", "kaiming")

LAP_DELTA = rate_claim(
    "LAP-delta",
    "Laplace weights pruned by exact subset sums at Pensia's width N = ⌈3·log₂(2W/min(η,δ))⌉: "
    "P(no ε-ticket) ≤ δ (sup error on the tightest sound bound)",
    construction="laplace",
    domain={"target widths": _WIDTHS, "ε": _EPS, "δ": (0.1,), "family": _FAMILIES},
    grids={"smoke": with_targets(grid(widths=_WIDTHS[:1], eps=_EPS[:1], delta=(0.1,), family=_FAMILIES[:1]), 500),
           "ci": with_targets(grid(widths=_WIDTHS, eps=_EPS, delta=(0.1,), family=_FAMILIES), 500),
           "full": with_targets(grid(widths=_WIDTHS, eps=_EPS, delta=(0.1,), family=_FAMILIES), 500)},
    screen_master=2026_1206_61,
    confirmations=(Preregistration(2026_1206_62, "636e244"),),
    files=("slt_laplace.construction", "slt_laplace.law"),
    tests=("tests/test_laplace.py",),
    tag="slt-laplace (example plugin)",
    n_screen={"smoke": 3, "ci": 4, "full": 10},
    expect={"ci": "inconclusive"},
    why="Pensia's width (C = 3, blind to δ since min(η, δ) = η) on Laplace weights: the first confirmation's worst "
        "cell, 2-3-1 Kaiming at ε = 0.05, failed 38/253 (CP [0.11, 0.20]) at δ = 0.1 — neither below 2δ nor "
        "significantly above δ at the Bonferroni level",
)

HERE = Path(__file__).resolve().parent
CLAIMS = ClaimGroup("slt-laplace", (LAP_DELTA,), ledger=HERE / "LEDGER.md", root=HERE.parent)
"""The entry point ``slt_check.claims`` names this group: its ledger is ``LEDGER.md`` beside this module,
rendered from ``LEDGER.json`` by ``slt-check ledger``."""
