"""The claim registry: one :class:`Claim` per testable statement (shared/paper.md §8 and additions).

Every claim id is the same string in the property-test marker ``@pytest.mark.claim("<id>")``, in
this registry, in the ledger ``paper_claims.md`` and in the results JSON. Claims of peer
constructions (Pensia, Malach, Burkholz, counting bound) live in :mod:`slt_check.claims_peers` as a
list ``PEER_CLAIMS`` of the same :class:`Claim` type; :func:`all_claims` includes them when that
module exists.

A claim's ``measure(scale)`` runs the same check functions as its property tests
(:mod:`slt_check.checks`) at a given effort (``"smoke"`` seconds, ``"ci"``, ``"full"``) and returns
``{"verdict": "holds"|"fails"|"vacuous"|"not tested", "slack": float | None, "details": {...}}``;
``slack`` is theory ÷ empirical (> 1: the claim holds with room to spare).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Claim", "SOURCES", "KINDS", "VERDICTS", "SCALES"]

SOURCES = ("confirmed", "third-party", "reconstructed")
KINDS = ("forall", "probability", "frequency", "growth", "fixed")
VERDICTS = ("holds", "fails", "vacuous", "not tested")
SCALES = ("smoke", "ci", "full")


@dataclass(frozen=True)
class Claim:
    """One testable statement.

    Attributes
    ----------
    id: the marker string, e.g. ``"R2"``, ``"P-main"``.
    statement: short statement (with its formula).
    source: ``"confirmed"`` | ``"third-party"`` | ``"reconstructed"``.
    tag: provenance tag, e.g. ``"R2"``, ``"C: Fig. 1"``.
    kind: ``"forall"`` | ``"probability"`` | ``"frequency"`` | ``"growth"`` | ``"fixed"``.
    tests: paths of the property tests carrying ``@pytest.mark.claim(id)``.
    measure: ``callable(scale) -> {"verdict", "slack", "details"}``, or ``None`` (not measured).
    """

    id: str
    statement: str
    source: str
    tag: str
    kind: str
    tests: tuple[str, ...] | list[str] = field(default_factory=tuple)
    measure: Callable[[str], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source: claim {self.id!r} has source {self.source!r}; use one of {SOURCES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: claim {self.id!r} has kind {self.kind!r}; use one of {KINDS}")
        object.__setattr__(self, "tests", tuple(self.tests))
