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

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slt_check.certificates.exact import exact_sup_error
from slt_check.certificates.stages import recorded
from slt_check.claims.rates import RateClaim
from slt_check.core.affine import AFFINE_KEY, network_on_x, restore
from slt_check.core.stats import ALPHA_CLAIM, RateVerdict, combine_verdicts, rate_power, rate_verdict, seed_grid
from slt_check.tickets.ticket import AnyTicket

__all__ = ["Claim", "RateCase", "SOURCES", "KINDS", "VERDICTS", "SCALES", "pick", "forall_result",
           "rate_result", "merge_results", "pytest_params", "RECHECK_TIME_LIMIT", "exact_recheck",
           "recheck_summary", "recheck_line", "recheck_extra"]

SOURCES = ("confirmed", "confirmed (qualitative); constants ours", "third-party", "reconstructed", "user")
"""``confirmed``: the paper's text or review states it, constants included; ``confirmed
(qualitative); constants ours``: the statement is confirmed in substance, the formula's constants are
our reconstruction; ``third-party``: only summaries say it; ``reconstructed``: our R1–R12 and our
added checks; ``user``: a claim a user or a plugin adds (neither the paper's nor ours)."""
KINDS = ("forall", "probability", "frequency", "growth", "fixed")
VERDICTS = ("holds", "violated", "inconclusive", "vacuous", "not tested")
SCALES = ("smoke", "ci", "full")

Measure = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Claim:
    """One testable statement, and everything the suite derives from it.

    A claim is defined once, in the module of its group (or a plugin's); the ledger row, the
    generated claim tables of README.md and properties/README.md, the staleness check and — for a
    probability claim — the property test (``properties/test_rate_claims.py``, parametrised over the
    registry :func:`slt_check.claims.registry.all_claims`) are all read from this record.

    Attributes
    ----------
    id: the marker string, e.g. ``"R2"``, ``"P-main"``.
    statement: short statement (with its formula).
    source: one of :data:`SOURCES` (provenance).
    tag: provenance tag, e.g. ``"R2"``, ``"C: Fig. 1"``.
    kind: one of :data:`KINDS`.
    tests: paths of the property tests carrying ``@pytest.mark.claim(id)``.
    measure: ``callable(scale) -> {"verdict", "slack", "details"}``, or ``None``: then the rate
        claim's two-stage result (``rate.result(scale)``) when ``rate`` is set, else not measured.
    breaks: broken variants of the library its check is seen to catch (names of the mutations of
        ``tests/support/slt_testing/breaks.py`` or of ``tests/test_checker_detects.py`` variants).
    sanity: ``True`` for a row no library bug can flip (a fact of the mathematics or of NumPy's
        sampling, e.g. the pair-search cost of P-fig1): kept and rendered apart, not counted among
        the verdicts.
    rate: the probability part (:class:`slt_check.claims.rates.RateClaim`: domain, grids, trial,
        pre-registered masters, expected verdict), ``None`` for other kinds. Two rows may share one
        (R10 is measured by P-main's draws); it is run once.
    slack_definition: what the slack column means for this claim (theory ÷ empirical), when its
        result does not state it.
    title: a short name for the generated claim tables; ``doc``: the documentation anchor that
        states the claim with its formula; ``code``: the library files it checks (paths under
        ``slt_check/``, or a plugin's); ``figure``: the figure that draws it (``plots/fig_<name>.py``).
    cases: the pre-registered case table of a claim that is not a rate claim (JSON-able; recorded
        with its result, so that ``slt-check ledger --check`` sees a table changed since).
    """

    id: str
    statement: str
    source: str
    tag: str
    kind: str
    tests: tuple[str, ...] | list[str] = field(default_factory=tuple)
    measure: Measure | None = None
    breaks: tuple[str, ...] | list[str] = field(default_factory=tuple)
    sanity: bool = False
    rate: RateClaim | None = None
    slack_definition: str | None = None
    title: str | None = None
    doc: str | None = None
    code: tuple[str, ...] | list[str] = field(default_factory=tuple)
    figure: str | None = None
    cases: Any = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id or any(ch.isspace() or ch in "|,`" for ch in self.id):
            raise ValueError(f"id: a claim id is a non-empty string without spaces, '|', ',' or '`', got {self.id!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source: claim {self.id!r} has source {self.source!r}; use one of {SOURCES}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: claim {self.id!r} has kind {self.kind!r}; use one of {KINDS}")
        if self.rate is not None and self.kind != "probability":
            raise ValueError(f"rate: claim {self.id!r} has a rate claim but kind {self.kind!r}; use 'probability'")
        for name in ("tests", "breaks", "code"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "sanity", bool(self.sanity))
        if self.measure is None and self.rate is not None:
            object.__setattr__(self, "measure", self.rate.result)


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
        marks = [pytest.mark.xfail(strict=True, raises=AssertionError,
                                   reason=f"recorded finding ({c.expect}): {c.why}")] if c.expect != "holds" else []
        out.append(pytest.param(c, id=c.label, marks=marks))
    return out


# ------------------------------------------------------------------------------ the tightest sound bound
RECHECK_TIME_LIMIT = 20.0
"""Seconds of HiGHS time per re-checked trial (:func:`exact_recheck`); a solve stopped by the limit
still has a valid dual bound, just a looser one."""


def _corners(n_in: int, x_max: float, cap: int = 10) -> np.ndarray:
    """The ``2^n_in`` corners of the box (the first ``cap`` inputs varied when there are more)."""
    k = min(n_in, cap)
    pts = np.array(list(itertools.product((-x_max, x_max), repeat=k)), dtype=np.float64)
    return np.hstack([pts, np.full((len(pts), n_in - k), x_max)])


def exact_recheck(target: Any, ticket: AnyTicket, x_max: float, eps: float, certified: float | None, *,
                  time_limit: float = RECHECK_TIME_LIMIT) -> dict[str, Any]:
    """One trial of a rate claim on the tightest sound bound it can afford.

    A trial fails by the certificate when its success event failed (``ticket.ok`` False) or its
    certified bound ``C ≥ sup_x ‖F(x) − Ĝ(x)‖_∞`` exceeds ``ε`` (``certified=None``: the success
    event failed for a reason other than the bound). Where it failed by its bound only
    (``ticket.ok``, or its success event is the certificate: ``meta["certified_at_select"]``), the
    trial is first evaluated at the box's corners (an error > ε there is a true failure: no MILP),
    then re-checked by the exact MILP (:func:`slt_check.certificates.exact.exact_sup_error`,
    HiGHS, ``time_limit`` seconds), whose interval ``[L, U]`` has ``U`` = the proven dual bound plus
    the tolerance and float slacks and ``L`` = ``‖F(x*) − Ĝ(x*)‖_∞`` re-evaluated in float64 at
    its argmax. The failure is lifted (*rescued*) only when

        U ≤ ε   and   U ≥ max(L, max over the box's corners of ‖F − Ĝ‖_∞)

    — the second condition is a consistency check independent of the solver's bound (a dual bound
    below an evaluated error is a broken solve, never a rescue). Returns ``{"fail",
    "certificate_fail", "rescued", "rechecked", "milp_s", "milp_upper", "milp_lower", "inconsistent",
    "milp_status"}``; ``fail`` is what the rate test counts, ``certificate_fail`` the pure-certificate
    count kept beside it.

    A ticket of a biased target (``meta["affine"]``) is a network on ``[x; 1]``: the corners and the MILP's
    argmax are evaluated on ``x`` (the ticket as :func:`slt_check.core.affine.network_on_x`, the target as
    given, or restored from its reduction ``F'``), and the MILP runs on the reduction.
    """
    out: dict[str, Any] = {"fail": False, "certificate_fail": False, "rescued": False, "rechecked": False,
                           "milp_s": 0.0, "milp_upper": None, "milp_lower": None, "inconsistent": False,
                           "milp_status": None}
    if certified is not None and bool(ticket.ok) and certified <= eps:
        return out
    out["fail"] = out["certificate_fail"] = True
    by_bound = certified is not None and (bool(ticket.ok) or ticket.meta.certified_at_select is not None)
    if not by_bound:
        return out
    net, target = _on_x(target, ticket)
    corners = _corners(target.n_in, x_max)
    at_corners = float(np.max(np.abs(target(corners) - net(corners))))
    if at_corners > eps:  # an input with error > ε: a true failure, no MILP needed
        out["milp_lower"] = at_corners
        return out
    t0 = time.perf_counter()
    try:
        ex = exact_sup_error(target, ticket, x_max, time_limit=time_limit)
    except ValueError as exc:  # e.g. more binaries than the MILP accepts: the certificate's verdict stands
        out.update(rechecked=True, milp_s=time.perf_counter() - t0, milp_status=f"not solved: {exc}")
        return out
    x_star = np.asarray(ex.argmax, dtype=np.float64)[None, : target.n_in]  # a biased target's argmax is [x*; 1]
    lower = max(float(ex.lower), at_corners, float(np.max(np.abs(target(x_star) - net(x_star)))))
    upper = float(ex.upper)
    inconsistent = not (np.isfinite(upper) and upper >= lower)
    rescued = (not inconsistent) and upper <= eps
    out.update(fail=not rescued, rescued=rescued, rechecked=True, milp_s=time.perf_counter() - t0,
               milp_upper=upper, milp_lower=lower, inconsistent=inconsistent, milp_status=ex.status)
    return out


def _on_x(target: Any, ticket: AnyTicket) -> tuple[Any, Any]:
    """``(Ĝ, F)`` both as networks on ``x``: for a ticket of a biased target (its ``affine`` record) the
    ticket's network on ``[x; 1]`` is folded back to a biased network on ``x``, and a reduced target ``F'``
    is restored; otherwise both unchanged."""
    net = ticket.network(compact=True)
    aff = recorded(ticket, AFFINE_KEY)
    if aff is None:
        return net, target
    return network_on_x(net, aff.n_in), (restore(target, aff.n_in) if target.n_in == aff.n_in + 1 else target)


def recheck_summary(label: str, outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Per case: failures counted (``k``), the pure-certificate count (``k_certificate``), trials
    re-checked by the MILP, rescued, inconsistent solves (counted as failures) and the MILP time."""
    return {"label": label, "n": len(outcomes),
            "k": sum(bool(o["fail"]) for o in outcomes),
            "k_certificate": sum(bool(o["certificate_fail"]) for o in outcomes),
            "milp_rechecked": sum(bool(o["rechecked"]) for o in outcomes),
            "rescued_by_milp": sum(bool(o["rescued"]) for o in outcomes),
            "milp_inconsistent": sum(bool(o["inconsistent"]) for o in outcomes),
            "milp_s": round(sum(float(o["milp_s"]) for o in outcomes), 3)}


def recheck_line(summaries: Sequence[dict[str, Any]]) -> str:
    """One line for the ledger: per case, failures on the certificate → failures counted after the
    exact MILP re-check (rescued, inconsistent solves). The MILP's wall time stays in the summaries'
    ``milp_s`` (a timing, so that the line is the same on every machine and executor)."""
    return "failures certificate → after exact MILP re-check: " + "; ".join(
        f"{s['label']}: {s['k_certificate']} → {s['k']} ({s['rescued_by_milp']} rescued"
        + (f", {s['milp_inconsistent']} inconsistent solves" if s["milp_inconsistent"] else "")
        + ")" for s in summaries)


def recheck_extra(ts: Any, outcomes: Sequence[Sequence[dict[str, Any]]]) -> dict[str, Any]:
    """The ``extra`` of a two-stage rate claim whose trials carry :func:`exact_recheck` outcomes: one
    :func:`recheck_summary` per confirmed cell (``ts``: a :class:`slt_check.core.screening.TwoStage`)
    and their :func:`recheck_line`."""
    summaries = [recheck_summary(sc.cell.label, out) for (sc, _), out in zip(ts.confirmed, outcomes, strict=True)]
    return {"exact_recheck": summaries, "summary": recheck_line(summaries)}
