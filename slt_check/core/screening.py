"""Two-stage rate verdicts: a cheap *screen* over a claim's domain, then a powered *confirmation* of
its worst cells on fresh seeds. Pure statistics (no trials are run here; :mod:`slt_check.claims.rates`
runs them).

A probability claim "P(failure) ≤ δ on every problem of the domain D" is tested in two stages:

1. **Screen.** Every cell ``c`` of a grid over ``D`` (a target shape, ε, δ, a weight family …) runs
   ``n_screen`` trials on the seeds ``cell_seeds(screen_master, c, n_screen)``. Cells are ranked by
   the one-sided exact p-value ``P(X ≥ k_c | n_screen, δ_c)`` (smallest first: the strongest evidence
   of a rate above δ), then by ``k_c / (n_screen δ_c)`` (largest first), then by the largest
   measured error ÷ ε among the cell's successful trials (the cell nearest to failing), then by a
   tie-break drawn from the screen master (reproducible, not chosen by anyone).
2. **Confirmation.** The cells to confirm (:func:`cells_to_confirm`) are the ``at_least`` worst
   ones *and* every cell whose screen rate exceeds its δ (at most ``cap``; the rest are listed as
   flagged and unconfirmed, which makes the claim ``inconclusive`` at best). Each runs
   ``n_for_power(δ_c, α)`` trials on **fresh** seeds ``cell_seeds(confirm_master, c, n)``: a master
   the screen never used, so a cell picked because its screen seeds happened to fail is judged on
   new draws (no winner's curse, no re-use of the seeds a construction was tuned on).

The verdict comes from the confirmations only, by :func:`slt_check.core.stats.rate_verdict` at the
per-test level ``α`` of :func:`confirmation_alpha` (Bonferroni: the suite's family-wise budget
:data:`slt_check.core.stats.FAMILY_ALPHA_CLAIMS` split evenly over the rate claims, and each claim's
share split over its confirmations). The claim is ``violated`` if a confirmation is; else
``inconclusive`` if one is or a flagged cell went unconfirmed; else ``holds``.

Wording of ``holds`` (:func:`verdict_label`): the test excludes a failure rate of ``2δ`` —
"holds (rate < 2δ)"; "consistent with δ" is added only when the Clopper–Pearson upper limit of every
confirmed cell is ≤ δ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from slt_check.core.stats import FAMILY_ALPHA_CLAIMS, RateVerdict, clopper_pearson, n_for_power, rate_verdict

__all__ = ["Cell", "ScreenedCell", "TwoStage", "cell_seeds", "rank_cells", "cells_to_confirm",
           "confirmation_alpha", "two_stage_verdict", "verdict_label", "N_RATE_CLAIMS", "AT_LEAST",
           "CONFIRM_CAP"]

N_RATE_CLAIMS = 12
"""Number of rate claims the family-wise budget is split over (checked against the registry by
``tests/test_screening.py``: every registered rate claim counts)."""
AT_LEAST = 3
"""Cells confirmed per claim at least (the worst three of the screen)."""
CONFIRM_CAP = 6
"""Most confirmations per claim (the rest of the flagged cells are reported, unconfirmed)."""


@dataclass(frozen=True)
class Cell:
    """One cell of a claim's domain grid: a label, its parameters and the claimed rate ``δ``."""

    label: str
    delta: float
    params: Mapping[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"label": self.label, "delta": self.delta,
                "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()}}


def cell_seeds(master: int, index: int, n: int) -> list[int]:
    """``n`` seeds of cell number ``index`` under ``master``: ``SeedSequence(master, spawn_key=(index,))``
    spawned ``n`` times (independent streams per cell and per master)."""
    if n < 1:
        raise ValueError(f"n: need at least one seed, got {n}")
    if index < 0:
        raise ValueError(f"index: need a non-negative cell index, got {index}")
    ss = np.random.SeedSequence(int(master), spawn_key=(int(index),))
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in ss.spawn(n)]


@dataclass(frozen=True)
class ScreenedCell:
    """A cell's screen: ``k`` failures in ``n`` trials; ``pvalue = P(X ≥ k | n, δ)``."""

    index: int
    cell: Cell
    k: int
    n: int
    closeness: float = 0.0  # largest measured error ÷ ε over the screen's trials (0 when not measured)

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else 0.0

    @property
    def pvalue(self) -> float:
        return float(stats.binom.sf(self.k - 1, self.n, self.cell.delta)) if self.n else 1.0

    def as_dict(self) -> dict[str, Any]:
        lo, hi = clopper_pearson(self.k, self.n) if self.n else (0.0, 1.0)
        return {"index": self.index, **self.cell.row(), "k": self.k, "n": self.n, "rate": self.rate,
                "pvalue": self.pvalue, "closeness": self.closeness, "ci_low": lo, "ci_high": hi}


def _tiebreak(master: int, label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{int(master)}:{label}".encode()).digest()[:8], "big")


def rank_cells(screened: Sequence[ScreenedCell], master: int) -> list[ScreenedCell]:
    """Worst first: smallest ``P(X ≥ k | n, δ)``, then largest ``k/(nδ)``, then the largest
    ``closeness`` (the worst measured error ÷ ε of the screen's trials: the cell nearest to failing),
    then a tie-break hashed from ``master`` and the label (reproducible; nobody picks the order)."""
    return sorted(screened, key=lambda s: (s.pvalue, -s.rate / s.cell.delta, -s.closeness,
                                           _tiebreak(master, s.cell.label)))


def cells_to_confirm(ranked: Sequence[ScreenedCell], at_least: int = AT_LEAST,
                     cap: int = CONFIRM_CAP) -> tuple[list[ScreenedCell], list[ScreenedCell]]:
    """``(to_confirm, flagged_unconfirmed)``: the ``at_least`` worst cells and every cell whose screen
    rate exceeds its δ, in rank order, at most ``cap``; flagged cells beyond the cap come second."""
    if at_least < 1 or cap < at_least:
        raise ValueError(f"at_least, cap: need 1 ≤ at_least ≤ cap, got {at_least}, {cap}")
    chosen = [s for i, s in enumerate(ranked) if i < at_least or s.rate > s.cell.delta]
    return chosen[:cap], chosen[cap:]


def confirmation_alpha(n_confirmations: int, n_claims: int = N_RATE_CLAIMS,
                       family: float = FAMILY_ALPHA_CLAIMS) -> float:
    """Bonferroni level of one confirmation test: ``family / (n_claims · n_confirmations)``. Summed
    over every confirmation of every rate claim the false-alarm probability is ≤ ``family``."""
    if n_confirmations < 1 or n_claims < 1:
        raise ValueError(f"n_confirmations, n_claims: need ≥ 1, got {n_confirmations}, {n_claims}")
    return family / (n_claims * n_confirmations)


def confirmation_n(delta: float, alpha: float) -> int:
    """Pre-registered size of a confirmation: :func:`slt_check.core.stats.n_for_power` at ``(δ, α)``
    (power ≥ 0.9 to report ``violated`` at ``2δ`` and to report ``holds`` at ``δ``)."""
    return n_for_power(float(delta), float(alpha))


@dataclass(frozen=True)
class TwoStage:
    """A claim's two-stage result: the ranked screen, the confirmations (worst first) and the verdict."""

    screen_master: int
    confirm_master: int
    ranked: tuple[ScreenedCell, ...]
    confirmed: tuple[tuple[ScreenedCell, RateVerdict], ...]
    unconfirmed: tuple[ScreenedCell, ...]
    alpha: float
    verdict: str

    @property
    def worst(self) -> tuple[ScreenedCell, RateVerdict] | None:
        """The confirmed cell with the largest Clopper–Pearson upper limit relative to its δ."""
        if not self.confirmed:
            return None
        return max(self.confirmed, key=lambda cv: (cv[1].ci_high / cv[1].delta, cv[1].k / max(cv[1].n, 1)))

    def label(self) -> str:
        return verdict_label(self.verdict, [v for _, v in self.confirmed])

    def as_dict(self) -> dict[str, Any]:
        w = self.worst
        return {
            "screen_master": self.screen_master, "confirm_master": self.confirm_master, "alpha": self.alpha,
            "verdict": self.verdict, "verdict_label": self.label(),
            "cells_screened": len(self.ranked), "screen_trials": sum(s.n for s in self.ranked),
            "screen": [s.as_dict() for s in self.ranked],
            "confirmations": [{"cell": s.as_dict(), "test": v.as_dict()} for s, v in self.confirmed],
            "flagged_unconfirmed": [s.as_dict() for s in self.unconfirmed],
            "worst": None if w is None else {"label": w[0].cell.label, "k": w[1].k, "n": w[1].n,
                                             "delta": w[1].delta, "ci_low": w[1].ci_low,
                                             "ci_high": w[1].ci_high, "verdict": w[1].verdict},
        }


def two_stage_verdict(confirmed: Sequence[tuple[ScreenedCell, RateVerdict]],
                      unconfirmed: Sequence[ScreenedCell]) -> str:
    """``violated`` if a confirmation is; ``inconclusive`` if one is or a flagged cell went
    unconfirmed; ``vacuous`` if nothing was confirmed; else ``holds``."""
    vs = [v.verdict for _, v in confirmed]
    if "violated" in vs:
        return "violated"
    if "inconclusive" in vs or unconfirmed:
        return "inconclusive"
    if not vs or all(v == "vacuous" for v in vs):
        return "vacuous"
    return "holds"


def verdict_label(verdict: str, tests: Sequence[RateVerdict]) -> str:
    """What was shown, in words: ``holds (rate < 2δ)``, with ``; consistent with δ`` only when every
    test's Clopper–Pearson upper limit is ≤ its δ; other verdicts as they are."""
    if verdict != "holds":
        return verdict
    label = "holds (rate < 2δ)"
    if tests and all(t.ci_high <= t.delta for t in tests):
        label += "; consistent with δ"
    return label


def confirmation_verdict(k: int, n: int, delta: float, alpha: float, label: str = "") -> RateVerdict:
    """The rate rule of :func:`slt_check.core.stats.rate_verdict` at the confirmation's level."""
    return rate_verdict(k, n, delta, alpha, label=label)
