"""The claim record and the result helpers every claim module shares (no claim lives here).

A claim module (:mod:`slt_check.claims.catalog`, :mod:`slt_check.claims.sampling`,
:mod:`slt_check.claims.success`, :mod:`slt_check.claims.peers`) holds, per claim, its registry row
(:class:`Claim`), its pre-registered case table, its checks and its ``measure(scale)``; the property
test and the ledger run the same table. Claim modules import this module, never each other
(:mod:`slt_check.claims.catalog` collects them).

Verdicts (rule stated once in the preamble of ``paper_claims.md``; probability claims:
:func:`slt_check.core.stats.rate_verdict`):

* ``holds`` — ∀-claims: no counterexample in the stated search; probability claims: the exact
  one-sided binomial test excludes a failure rate of ``2δ`` at ``α`` (``P(X ≤ k | n, 2δ) < α``);
* ``violated`` — a counterexample, or a failure rate significantly above ``δ``
  (``P(X ≥ k | n, δ) < α``);
* ``inconclusive`` — neither;
* ``vacuous`` — the premise never occurred.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slt_check.core.stats import ALPHA_CLAIM, RateVerdict, combine_verdicts, rate_power, rate_verdict, seed_grid

__all__ = ["Claim", "RateCase", "SOURCES", "KINDS", "VERDICTS", "SCALES", "pick", "forall_result",
           "rate_result", "merge_results", "pytest_params"]

SOURCES = ("confirmed", "confirmed (qualitative); constants ours", "third-party", "reconstructed")
"""``confirmed``: the paper's text or review states it, constants included; ``confirmed
(qualitative); constants ours``: the statement is confirmed in substance, the formula's constants are
our reconstruction; ``third-party``: only summaries say it; ``reconstructed``: our R1–R12."""
KINDS = ("forall", "probability", "frequency", "growth", "fixed")
VERDICTS = ("holds", "violated", "inconclusive", "vacuous", "not tested")
SCALES = ("smoke", "ci", "full")


@dataclass(frozen=True)
class Claim:
    """One testable statement.

    Attributes
    ----------
    id: the marker string, e.g. ``"R2"``, ``"P-main"``.
    statement: short statement (with its formula).
    source: one of :data:`SOURCES`.
    tag: provenance tag, e.g. ``"R2"``, ``"C: Fig. 1"``.
    kind: one of :data:`KINDS`.
    tests: paths of the property tests carrying ``@pytest.mark.claim(id)``.
    measure: ``callable(scale) -> {"verdict", "slack", "details"}``, or ``None`` (not measured).
    breaks: broken variants of the library its check is seen to catch (names of
        :data:`slt_check.claims.breaks.MUTATIONS` or of ``tests/test_checker_detects.py`` variants).
    """

    id: str
    statement: str
    source: str
    tag: str
    kind: str
    tests: tuple[str, ...] | list[str] = field(default_factory=tuple)
    measure: Callable[[str], dict[str, Any]] | None = None
    breaks: tuple[str, ...] | list[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source: claim {self.id!r} has source {self.source!r}; use one of {SOURCES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: claim {self.id!r} has kind {self.kind!r}; use one of {KINDS}")
        object.__setattr__(self, "tests", tuple(self.tests))
        object.__setattr__(self, "breaks", tuple(self.breaks))


def pick(scale: str, smoke: Any, ci: Any, full: Any) -> Any:
    """The effort of a scale."""
    if scale not in SCALES:
        raise ValueError(f"scale: expected one of {SCALES}, got {scale!r}")
    return {"smoke": smoke, "ci": ci, "full": full}[scale]


@dataclass(frozen=True)
class RateCase:
    """One pre-registered binomial test of "P(failure) ≤ δ": ``n`` trials on the seeds
    ``seed_grid(master, n)``, the case parameters, and the verdict expected (``"holds"``, or a
    recorded finding such as ``"violated"``; the property test is a strict xfail then)."""

    claim: str
    label: str
    delta: float
    n: int
    master: int
    params: dict[str, Any] = field(default_factory=dict)
    alpha: float = ALPHA_CLAIM
    expect: str = "holds"
    why: str = ""

    def seeds(self) -> list[int]:
        return seed_grid(self.master, self.n)

    def power(self) -> tuple[float, float]:
        """``(P(violated | 2δ), P(holds | δ))`` at this ``n``."""
        return rate_power(self.n, self.delta, self.alpha)

    def verdict(self, k: int, n: int | None = None) -> RateVerdict:
        return rate_verdict(k, self.n if n is None else n, self.delta, self.alpha, label=self.label)

    def row(self) -> dict[str, Any]:
        pw, ph = self.power()
        return {"label": self.label, "delta": self.delta, "n": self.n, "alpha": self.alpha,
                "master_seed": self.master, "power_2delta": pw, "holds_at_delta": ph,
                "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.params.items()},
                "expect": self.expect}


def forall_result(checks: Sequence[Any], slack: float | None = None, **details: Any) -> dict[str, Any]:
    """∀-claim: ``holds`` iff every check holds (``violated`` otherwise, ``vacuous`` when no check
    ran); slack = the smallest slack unless given."""
    if not checks:
        return {"verdict": "vacuous", "slack": None, "details": details}
    holds = all(c.holds for c in checks)
    if slack is None:
        vals = [c.slack for c in checks if c.slack is not None]
        slack = min(vals) if vals else None
    d = dict(details)
    d["checks"] = [c.as_dict() for c in checks]
    d["n_checks"] = len(checks)
    d["n_violated"] = sum(not c.holds for c in checks)
    return {"verdict": "holds" if holds else "violated", "slack": slack, "details": d}


def rate_result(verdicts: Sequence[RateVerdict], cases: Sequence[RateCase] = (), **details: Any) -> dict[str, Any]:
    """Probability claim: the combined verdict of its binomial tests; slack = min over tests of
    ``δ ÷`` the Clopper–Pearson upper limit of the rate; ``details["rate_tests"]`` carries every
    test (k/n, δ, interval, power at 2δ) for the ledger."""
    slacks = [v.delta / v.ci_high for v in verdicts if v.n and v.ci_high > 0]
    d = dict(details)
    d["rate_tests"] = [v.as_dict() for v in verdicts]
    if cases:
        d["case_table"] = [c.row() for c in cases]
    return {"verdict": combine_verdicts([v.verdict for v in verdicts]),
            "slack": min(slacks) if slacks else None, "details": d}


def merge_results(parts: dict[str, dict[str, Any]], slack_from: str | None = None) -> dict[str, Any]:
    """One claim measured by several parts (e.g. a rate test and a ∀-check): verdict by
    :func:`slt_check.core.stats.combine_verdicts`, rate tests concatenated, slack from ``slack_from``."""
    verdicts = [p["verdict"] for p in parts.values()]
    rate_tests = [t for p in parts.values() for t in p.get("details", {}).get("rate_tests", [])]
    slack = parts[slack_from]["slack"] if slack_from else None
    details: dict[str, Any] = {k: p.get("details", {}) for k, p in parts.items()}
    details["part_verdicts"] = {k: p["verdict"] for k, p in parts.items()}
    if rate_tests:
        details["rate_tests"] = rate_tests
    return {"verdict": combine_verdicts(verdicts), "slack": slack, "details": details}


def pytest_params(cases: Sequence[RateCase]) -> list[Any]:
    """``pytest.param`` per case (id = label); a case whose pre-registered ``expect`` is not
    ``holds`` (a recorded finding) is a strict xfail: the test passes while the finding stands and
    fails as soon as the claim starts to hold (then the finding must be re-recorded)."""
    import pytest

    out = []
    for c in cases:
        marks = [pytest.mark.xfail(strict=True, reason=f"recorded finding ({c.expect}): {c.why}")] \
            if c.expect != "holds" else []
        out.append(pytest.param(c, id=c.label, marks=marks))
    return out
