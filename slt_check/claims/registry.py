"""The claim registry: the suite's own claims and those of installed plugins, by group.

:func:`groups` lists the :class:`~slt_check.claims.plugin.ClaimGroup` s: first the suite's
(``slt_check``: :func:`slt_check.claims.catalog.all_claims`, rendered into ``paper_claims.md`` from
``properties/ledger_results.json``, with the generated claim tables of ``README.md`` and
``properties/README.md``), then one per plugin entry point of the group ``slt_check.claims``.
Everything that lists claims reads it: the ledger (:mod:`slt_check.claims.ledger`), the parametrised
property test of every rate claim (``properties/test_rate_claims.py``), the claim tables and the
staleness check. Claim ids are unique across groups.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from slt_check.claims import catalog
from slt_check.claims.base import Claim
from slt_check.claims.plugin import ClaimGroup
from slt_check.claims.rates import RateClaim
from slt_check.claims.tables import claim_files_table, claim_modules_table
from slt_check.core.plugins import plugin_objects
from slt_check.io.paths import project_root

__all__ = ["SUITE", "ROOT", "builtin_group", "plugin_groups", "groups", "all_claims", "get_claim", "group_of",
           "rate_claims"]

SUITE = "slt_check"
"""The name of the suite's own claim group."""
ROOT = project_root() or Path.cwd()
"""The checkout (:func:`slt_check.io.paths.project_root`); outside one, the working directory."""


@cache
def builtin_group() -> ClaimGroup:
    """The suite's own claims: ledger ``paper_claims.md``, record ``properties/ledger_results.json``,
    CI floors ``properties/baseline.json``, and the generated tables of README.md and
    properties/README.md."""
    return ClaimGroup(SUITE, tuple(catalog.all_claims()), ledger=ROOT / "paper_claims.md",
                      record=ROOT / "properties" / "ledger_results.json",
                      baseline=ROOT / "properties" / "baseline.json", root=ROOT,
                      tables={ROOT / "README.md": {"claims": claim_files_table},
                              ROOT / "properties" / "README.md": {"claim-modules": claim_modules_table}})


def _as_group(name: str, obj: Any) -> ClaimGroup:
    group = obj() if callable(obj) and not isinstance(obj, ClaimGroup) else obj
    if not isinstance(group, ClaimGroup):
        raise ValueError(f"plugin claims {name!r}: the entry point must give a ClaimGroup "
                         f"(slt_check.claims.plugin.ClaimGroup), got {type(group).__name__}")
    return group


def plugin_groups() -> list[ClaimGroup]:
    """The claim groups of installed plugins (entry-point group ``slt_check.claims``)."""
    return [_as_group(name, obj) for name, obj in plugin_objects("slt_check.claims", (SUITE,)).items()]


def groups() -> list[ClaimGroup]:
    """The suite's group, then every plugin's; ``ValueError`` when two groups share a claim id."""
    out = [builtin_group(), *plugin_groups()]
    owner: dict[str, str] = {}
    for g in out:
        for c in g.claims:
            if c.id in owner:
                raise ValueError(f"claim id {c.id!r} is defined by both {owner[c.id]!r} and {g.name!r}; "
                                 "rename one")
            owner[c.id] = g.name
    return out


def all_claims() -> list[Claim]:
    """Every registered claim, the suite's first."""
    return [c for g in groups() for c in g.claims]


def get_claim(claim_id: str) -> Claim:
    """The claim with this id (``ValueError`` listing the known ids otherwise)."""
    for c in all_claims():
        if c.id == claim_id:
            return c
    raise ValueError(f"claim_id: unknown claim {claim_id!r}; known: {[c.id for c in all_claims()]}")


def group_of(claim_id: str) -> ClaimGroup:
    """The group that defines ``claim_id``."""
    for g in groups():
        if any(c.id == claim_id for c in g.claims):
            return g
    raise ValueError(f"claim_id: unknown claim {claim_id!r}")


def rate_claims() -> dict[str, tuple[RateClaim, tuple[str, ...]]]:
    """Every distinct rate claim by its id, with the ids of the claims it measures (P-main's also
    measures R10)."""
    out: dict[str, tuple[RateClaim, tuple[str, ...]]] = {}
    for c in all_claims():
        if c.rate is not None:
            rate, ids = out.get(c.rate.id, (c.rate, ()))
            out[c.rate.id] = (rate, (*ids, c.id))
    return out
