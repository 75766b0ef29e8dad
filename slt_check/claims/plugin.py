"""What a plugin (or a user's own package) writes to add claims: a :class:`ClaimGroup` and, for the
common probability claim, :func:`rate_claim`.

A plugin's claims live in its own package and are rendered into its own ledger file; the suite
finds them through the entry-point group ``slt_check.claims`` (:mod:`slt_check.core.plugins`)::

    # my_plugin/claims.py
    from pathlib import Path
    from slt_check.claims.plugin import ClaimGroup, rate_claim
    from slt_check.claims.rates import Preregistration, grid, with_targets

    BINARY_RATE = rate_claim(
        "BIN-delta", "binary weights at the plan width: P(no ε-ticket) ≤ δ",
        construction="binary",
        domain={"target widths": ((2, 2, 1),), "ε": (0.1,), "δ": (0.1,)},
        grids={s: with_targets(grid(widths=((2, 2, 1),), eps=(0.1,), delta=(0.1,)), 500)
               for s in ("smoke", "ci", "full")},
        screen_master=20270101, confirmations=(Preregistration(20270102, "abc1234"),),
        files=("my_plugin.construction",), tests=("tests/test_binary.py",))
    CLAIMS = ClaimGroup("my-plugin", (BINARY_RATE,), ledger=Path(__file__).parent / "LEDGER.md")

and in its ``pyproject.toml``::

    [project.entry-points."slt_check.claims"]
    my-plugin = "my_plugin.claims:CLAIMS"

``pytest properties`` then runs the claim's two stages beside the suite's own
(``properties/test_rate_claims.py`` is parametrised over the registry), and ``slt-check ledger``
renders its row into ``LEDGER.md`` (between ``<!-- ledger:start -->`` and ``<!-- ledger:end -->``)
from the recorded results ``LEDGER.json`` beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slt_check.claims.base import Claim, recheck_extra
from slt_check.claims.rates import Preregistration, RateClaim
from slt_check.claims.trials import ticket_trial
from slt_check.core.screening import Cell

__all__ = ["ClaimGroup", "rate_claim"]


@dataclass(frozen=True)
class ClaimGroup:
    """Claims recorded and rendered together: the suite's own (``paper_claims.md``) or a plugin's.

    Attributes
    ----------
    name: the group's name (a plugin: its entry-point name).
    claims: its claims, in ledger order.
    ledger: the markdown file whose ``<!-- ledger:start -->`` … ``<!-- ledger:end -->`` block is
        the rendered table.
    record: the recorded results it is rendered from (default: ``ledger`` with suffix ``.json``).
    baseline: CI regression floors (the suite's ``properties/baseline.json``; plugins: none).
    root: the directory the claims' ``tests`` paths are relative to (default: ``ledger``'s).
    tables: further files with generated blocks ``{path: {block name: renderer(claims) -> text}}``.
    """

    name: str
    claims: tuple[Claim, ...]
    ledger: Path
    record: Path | None = None
    baseline: Path | None = None
    root: Path | None = None
    tables: Mapping[Path, Mapping[str, Callable[[Sequence[Claim]], str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"name: a claim group needs a name, got {self.name!r}")
        claims = tuple(self.claims)
        bad = [c for c in claims if not isinstance(c, Claim)]
        if bad:
            raise ValueError(f"claims: group {self.name!r} holds {bad[0]!r}, not a Claim "
                             "(make one with Claim(...) or rate_claim(...))")
        ids = [c.id for c in claims]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"claims: group {self.name!r} defines claim ids {dup} twice")
        object.__setattr__(self, "claims", claims)
        object.__setattr__(self, "ledger", Path(self.ledger))
        object.__setattr__(self, "record", Path(self.record) if self.record else Path(self.ledger).with_suffix(".json"))
        object.__setattr__(self, "root", Path(self.root) if self.root else Path(self.ledger).parent)


def rate_claim(
    id: str,
    statement: str,
    *,
    domain: Mapping[str, Sequence[Any]],
    grids: Mapping[str, tuple[Cell, ...]],
    screen_master: int,
    confirmations: Sequence[Preregistration],
    files: Sequence[str],
    construction: str | None = None,
    trial: Callable[[tuple[Mapping[str, Any], float, int]], Any] | None = None,
    tests: Sequence[str] = (),
    source: str = "user",
    tag: str | None = None,
    breaks: Sequence[str] = (),
    expect: str | Mapping[str, str] = "holds",
    why: str = "",
    **rate_options: Any,
) -> Claim:
    """A probability claim "P(no ε-ticket) ≤ δ on every cell of ``domain``" in one call.

    With ``construction`` (and no ``trial``) each draw is :func:`slt_check.claims.trials.ticket_trial`:
    build one ticket of the cell's fixed target by that construction at its plan width from the
    draw's seed, and fail when the success event failed or the certified sup error exceeds ε and
    the exact MILP's proven upper bound does too; the construction's name is added to every cell's
    parameters. The ledger row then records the MILP re-checks beside the rates. Measured in two
    stages (:class:`slt_check.claims.rates.RateClaim`; ``rate_options``: ``n_screen``, ``slow_at``,
    ``fallback``, ``requires``, ``at_least``, ``cap``)."""
    if (construction is None) == (trial is None):
        raise ValueError(f"rate_claim {id!r}: give exactly one of construction= (ticket draws) or trial=")
    if construction is not None:
        grids = {s: tuple(Cell(c.label, c.delta, {**c.params, "construction": construction}) for c in cells)
                 for s, cells in grids.items()}
    rate = RateClaim(id, domain, grids, trial or ticket_trial, screen_master, tuple(confirmations),
                     files=tuple(files), expect=expect, why=why,
                     extra=recheck_extra if trial is None else None, **rate_options)
    return Claim(id, statement, source, tag or f"{source}: {id}", "probability", tuple(tests),
                 breaks=tuple(breaks), rate=rate,
                 slack_definition="δ ÷ the 95 % Clopper–Pearson upper limit of the failure rate, smallest over "
                                  "the confirmed cells")
