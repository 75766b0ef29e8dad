"""The claim tables generated from the registry (never typed by hand): README.md's "claims → files"
and properties/README.md's "one claim, one place". ``slt-check ledger`` writes them between
``<!-- claims:start -->`` / ``<!-- claims:end -->`` (and ``claim-modules``) markers, and
``slt-check ledger --check`` fails when one is stale.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from slt_check.claims import biases, catalog, conv, peers, sampling, search_vs_construction, success
from slt_check.claims.base import Claim
from slt_check.io.textio import md_cell

__all__ = ["claim_files_table", "claim_modules_table", "defined_in"]


def _tests(c: Claim) -> str:
    return ", ".join(f"`{t.removeprefix('properties/')}`" for t in c.tests) or "—"


def _title(c: Claim) -> str:
    title = md_cell(c.title or c.statement, 80)
    return f"[{title}]({c.doc})" if c.doc else title


def defined_in(c: Claim) -> str:
    """The module that defines the claim: its rate claim's trial's or its measure's module, refined
    by the module that holds the row (the claim modules each list their rows in ``CLAIMS``)."""
    for mod, rows in ((sampling, sampling.CLAIMS), (success, success.CLAIMS), (biases, biases.CLAIMS),
                      (peers, peers.PEER_CLAIMS), (conv, conv.CONV_CLAIMS),
                      (search_vs_construction, [search_vs_construction.CLAIM]), (catalog, catalog.CLAIMS)):
        if any(r is c for r in rows):
            return mod.__name__
    target = c.measure or (c.rate.trial if c.rate is not None else None)
    module = inspect.getmodule(target) if target is not None else None
    return module.__name__ if module is not None else "?"


def _path(module: str) -> str:
    return module.replace(".", "/").removeprefix("slt_check/") + ".py" if module.startswith("slt_check.") else module


def claim_files_table(claims: Sequence[Claim]) -> str:
    """README.md's table: per claim its statement (linked to where it is stated with its formula), the
    property tests carrying its marker, the module that defines it, the library code it checks and the
    figure that draws it."""
    lines = ["| claim | statement | property test (`properties/`) | defined in (`slt_check/`) | "
             "checks (`slt_check/`) | figure (`plots/`) |", "|---|---|---|---|---|---|"]
    for c in claims:
        code = ", ".join(f"`{p}`" for p in c.code) or "—"
        fig = f"`fig_{c.figure}.py`" if c.figure else "—"
        lines.append(f"| {c.id} | {_title(c)} | {_tests(c)} | `{_path(defined_in(c))}` | {code} | {fig} |")
    return "\n".join(lines) + "\n"


def claim_modules_table(claims: Sequence[Claim]) -> str:
    """properties/README.md's table: per defining module its claims, which are rate claims (two stages,
    run by ``test_rate_claims.py``) and the property files."""
    by_module: dict[str, list[Claim]] = {}
    for c in claims:
        by_module.setdefault(defined_in(c), []).append(c)
    lines = ["| module | claims | rate claims (two stages) | property files |", "|---|---|---|---|"]
    for mod, cs in by_module.items():
        tests = sorted({t.removeprefix("properties/") for c in cs for t in c.tests})
        rates = ", ".join(c.id for c in cs if c.rate is not None) or "—"
        lines.append(f"| `{_path(mod)}` | {', '.join(c.id for c in cs)} | {rates} | "
                     f"{', '.join(f'`{t}`' for t in tests)} |")
    return "\n".join(lines) + "\n"
