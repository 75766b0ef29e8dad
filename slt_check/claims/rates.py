"""Rate claims as typed objects: a domain, a screen grid per scale, a trial, pre-registered master
seeds — measured in two stages (:mod:`slt_check.core.screening`).

A :class:`RateClaim` says "P(failure) ≤ δ on every cell of :attr:`RateClaim.domain`". Its
:meth:`RateClaim.cells` is the grid screened at a scale (``smoke`` / ``ci`` / ``full``: denser grids
at larger scales; every scale covers each value of every axis of the domain that the scale lists);
:meth:`RateClaim.run` screens every cell on seeds of :attr:`RateClaim.screen_master`, confirms the
worst cells on fresh seeds of the latest :attr:`RateClaim.confirmations` master with
``n_for_power(δ, α)`` trials each, and returns the ledger result. The property test and
``slt-check ledger`` call the same :meth:`RateClaim.run`.

**Pre-registration that can be audited.** Every master seed is written in this code before it is
used, with the commit that fixed it (:class:`Preregistration`); ``tests/test_screening.py`` fails when
two tables share a master, when a recorded result was produced with a master that the screen or an
earlier confirmation of the same claim used, or when a claim's construction files changed since its
latest recorded confirmation without a new confirmation master (:func:`audit`). The ledger shows the
first and the latest confirmation of a claim.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slt_check.core.screening import (
    AT_LEAST,
    CONFIRM_CAP,
    Cell,
    ScreenedCell,
    TwoStage,
    cell_seeds,
    cells_to_confirm,
    confirmation_alpha,
    confirmation_n,
    confirmation_verdict,
    rank_cells,
    two_stage_verdict,
)
from slt_check.runtime.trials import run_trials

__all__ = ["Preregistration", "RateClaim", "grid", "design", "with_targets", "profile_scale", "describe",
           "fingerprint", "audit", "PENDING", "SCALE_OF_PROFILE", "TYPED_RECORDS"]

PENDING = "pending"
"""``fixed_at`` of a master seed written but not yet committed (the audit refuses results of it)."""
TYPED_RECORDS = ("construction changed: files rewritten for the typed plan and ticket metadata (tickets bit for "
                 "bit unchanged: benchmarks/reference_tickets.py)")
"""The reason of the confirmations that followed the typed-records refactor of the constructions."""
SCALE_OF_PROFILE = {"dev": "smoke", "ci": "ci", "thorough": "full"}
"""The scale a property test runs under each Hypothesis profile."""


@dataclass(frozen=True)
class Preregistration:
    """One master seed: the value, the commit whose tree first holds it, and why it was added
    (``"first confirmation"``, ``"construction changed: …"``)."""

    master: int
    fixed_at: str
    why: str = "first confirmation"


Trial = Callable[[tuple[Mapping[str, Any], float, int]], Any]


def _outcome(res: Any) -> dict[str, Any]:
    return res if isinstance(res, dict) else {"fail": bool(res)}


def _closeness(outs: Sequence[dict[str, Any]]) -> float:
    """Largest ``closeness`` (measured error ÷ ε) among successful trials; 0 when none reports one."""
    vals = [float(o["closeness"]) for o in outs if not o["fail"] and o.get("closeness") is not None]
    return max(vals) if vals else 0.0


def _run_one(arg: tuple[Trial, Mapping[str, Any], float, int]) -> dict[str, Any]:
    fn, params, delta, seed = arg
    return _outcome(fn((params, delta, seed)))


@dataclass(frozen=True)
class RateClaim:
    """A probability claim measured in two stages.

    Attributes
    ----------
    id: the claim id (ledger row, property marker).
    domain: the axes of the claim's domain and every value it covers (the statement's "for every").
    grids: per scale, the cells screened (each a :class:`~slt_check.core.screening.Cell`).
    trial: ``trial((params, δ, seed)) -> {"fail": bool, …}`` or a bool (a top-level function, so that
        process pools can ship it).
    screen_master: the screen's master seed.
    confirmations: master seeds of the confirmations, oldest first; the last one is used.
    n_screen: trials per cell in the screen, per scale.
    files: the code the draws run — modules or ``module:function`` (:func:`fingerprint`; its hash is
        recorded with each confirmation: a change requires a new confirmation master).
    expect: ``holds`` or a recorded finding (``violated``): the property test asserts it; a mapping
        scale → verdict where the grids of two scales measured different verdicts (a borderline rate).
    why: the finding, when ``expect`` is not ``holds``.
    slow_at: scales whose run is too long for the default test run (the property test is marked
        ``slow`` there); ``fallback``: the scale the default run measures instead (``None``: none).
    requires: modules the trial imports beyond the core dependencies (e.g. ``"torch"``); the property
        test is skipped, saying so, where one is missing.
    extra: ``extra(two_stage, outcomes) -> dict`` added to the result's details (e.g. the exact
        re-check summary of ticket draws, :func:`slt_check.claims.base.recheck_extra`).
    """

    id: str
    domain: Mapping[str, Sequence[Any]]
    grids: Mapping[str, tuple[Cell, ...]]
    trial: Trial
    screen_master: int
    confirmations: tuple[Preregistration, ...]
    n_screen: Mapping[str, int] = field(default_factory=lambda: {"smoke": 4, "ci": 8, "full": 20})
    files: tuple[str, ...] = ()
    expect: str | Mapping[str, str] = "holds"
    why: str = ""
    at_least: int = AT_LEAST
    cap: int = CONFIRM_CAP
    slow_at: frozenset[str] | tuple[str, ...] = frozenset()
    fallback: str | None = None
    requires: tuple[str, ...] = ()
    extra: Callable[[TwoStage, list[list[dict[str, Any]]]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "slow_at", frozenset(self.slow_at))
        object.__setattr__(self, "requires", tuple(self.requires))
        if self.fallback is not None and (self.fallback in self.slow_at or self.fallback not in self.grids):
            raise ValueError(f"fallback: claim {self.id!r} falls back to {self.fallback!r}, which must be a "
                             f"scale with a grid ({sorted(self.grids)}) and not slow")
        if not self.confirmations:
            raise ValueError(f"confirmations: claim {self.id!r} needs at least one confirmation master")
        masters = [self.screen_master] + [p.master for p in self.confirmations]
        if len(set(masters)) != len(masters):
            raise ValueError(f"confirmations: claim {self.id!r} re-uses a master seed {masters}")
        for scale, cells in self.grids.items():
            labels = [c.label for c in cells]
            if len(set(labels)) != len(labels):
                raise ValueError(f"grids: claim {self.id!r} has duplicate cell labels at scale {scale!r}")

    def test_scales(self, scale: str) -> list[tuple[str, bool]]:
        """The scales the property test runs when the Hypothesis profile's scale is ``scale``, each with
        whether it is slow: ``scale`` itself (slow when in :attr:`slow_at`) and, when that one is slow,
        :attr:`fallback` (run by the default suite)."""
        slow = scale in self.slow_at
        return [(scale, slow)] + ([(self.fallback, False)] if slow and self.fallback is not None else [])

    def expected(self, scale: str) -> str | None:
        """The verdict the property test asserts at ``scale`` (``None``: a borderline claim not yet
        measured at this scale; the test then only requires a verdict that is not ``vacuous``)."""
        return self.expect if isinstance(self.expect, str) else self.expect.get(scale)

    @property
    def confirm_master(self) -> int:
        return self.confirmations[-1].master

    def cells(self, scale: str) -> tuple[Cell, ...]:
        if scale not in self.grids:
            raise ValueError(f"scale: claim {self.id!r} has grids for {sorted(self.grids)}, not {scale!r}")
        return self.grids[scale]

    def domain_text(self) -> str:
        """The domain in one line (``axis ∈ {…}``; …)."""
        return "; ".join(f"{k} ∈ {{{', '.join(_fmt(v) for v in vs)}}}" for k, vs in self.domain.items())

    def fingerprint(self) -> str | None:
        return fingerprint(self.files) if self.files else None

    # ------------------------------------------------------------------ the two stages
    def screen(self, scale: str) -> list[ScreenedCell]:
        cells = self.cells(scale)
        n = int(self.n_screen[scale])
        cases = [(self.trial, c.params, c.delta, s) for i, c in enumerate(cells)
                 for s in cell_seeds(self.screen_master, i, n)]
        outs = run_trials(_run_one, cases, desc=f"{self.id} screen ({len(cells)} cells × {n})")
        return [ScreenedCell(i, c, sum(bool(o["fail"]) for o in outs[i * n:(i + 1) * n]), n,
                             _closeness(outs[i * n:(i + 1) * n])) for i, c in enumerate(cells)]

    def run(self, scale: str) -> tuple[TwoStage, list[list[dict[str, Any]]]]:
        """Screen, rank, confirm; returns the :class:`~slt_check.core.screening.TwoStage` and the
        confirmation trials' outcomes (per confirmed cell)."""
        ranked = rank_cells(self.screen(scale), self.screen_master)
        chosen, unconfirmed = cells_to_confirm(ranked, self.at_least, self.cap)
        alpha = confirmation_alpha(len(chosen))
        confirmed, outcomes = [], []
        for sc in chosen:
            n = confirmation_n(sc.cell.delta, alpha)
            seeds = cell_seeds(self.confirm_master, sc.index, n)
            outs = [_outcome(o) for o in run_trials(
                _run_one, [(self.trial, sc.cell.params, sc.cell.delta, s) for s in seeds],
                desc=f"{self.id} confirm {sc.cell.label}")]
            k = sum(bool(o["fail"]) for o in outs)
            confirmed.append((sc, confirmation_verdict(k, n, sc.cell.delta, alpha, label=sc.cell.label)))
            outcomes.append(outs)
        ts = TwoStage(self.screen_master, self.confirm_master, tuple(ranked), tuple(confirmed),
                      tuple(unconfirmed), alpha, two_stage_verdict(confirmed, unconfirmed))
        return ts, outcomes

    def result(self, scale: str, extra: Callable[[TwoStage, list[list[dict[str, Any]]]], dict[str, Any]]
               | None = None) -> dict[str, Any]:
        """The ledger result of :meth:`run`: verdict, slack (δ ÷ the worst confirmed cell's
        Clopper–Pearson upper limit), the rate tests (one per confirmation) and the two-stage record,
        with ``extra`` (default: the claim's own :attr:`extra`) added to the details."""
        extra = self.extra if extra is None else extra
        fp = self.fingerprint()  # of the code the draws run, read before they run
        ts, outcomes = self.run(scale)
        tests = [v for _, v in ts.confirmed]
        slacks = [v.delta / v.ci_high for v in tests if v.n and v.ci_high > 0]
        details: dict[str, Any] = {
            "two_stage": {**ts.as_dict(), "scale": scale, "fingerprint": fp,
                          "fixed_at": self.confirmations[-1].fixed_at},
            "rate_tests": [v.as_dict() for v in tests],
            "domain": {k: [_fmt(v) for v in vs] for k, vs in self.domain.items()},
            "grid": [c.row() for c in self.cells(scale)],
            "slack_definition": "δ ÷ the 95 % Clopper–Pearson upper limit of the failure rate, smallest over "
                                "the confirmed cells",
        }
        if extra is not None:
            details.update(extra(ts, outcomes))
        return {"verdict": ts.verdict, "slack": min(slacks) if slacks else None, "details": details}


def profile_scale() -> str:
    """The scale a property test runs at: :data:`SCALE_OF_PROFILE` of the Hypothesis profile
    (``HYPOTHESIS_PROFILE``; default ``ci`` when ``CI`` is set, else ``dev``)."""
    profile = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
    return SCALE_OF_PROFILE.get(profile, "ci")


def describe(res: Mapping[str, Any]) -> str:
    """A failed property's message: the verdict, the worst confirmed cell and every confirmation."""
    ts = res["details"]["two_stage"]
    lines = [f"verdict {ts['verdict_label']} ({ts['cells_screened']} cells screened, α = {ts['alpha']:.3g})"]
    for c in ts["confirmations"]:
        t = c["test"]
        lines.append(f"  {c['cell']['label']}: {t['k']}/{t['n']} vs δ={t['delta']:g}, "
                     f"CP [{t['ci_low']:.3g}, {t['ci_high']:.3g}] → {t['verdict']}")
    for c in ts["flagged_unconfirmed"]:
        lines.append(f"  flagged, unconfirmed: {c['label']} ({c['k']}/{c['n']})")
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, (tuple, list)):
        return "-".join(str(x) for x in v)
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _label(params: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={_fmt(v)}" for k, v in params.items())


def grid(delta_key: str = "delta", **axes: Sequence[Any]) -> tuple[Cell, ...]:
    """Every combination of the axes (a full factorial), one :class:`Cell` each; ``δ`` from the axis
    ``delta_key``."""
    names = list(axes)
    out = []
    for combo in itertools.product(*(axes[k] for k in names)):
        p = dict(zip(names, combo, strict=True))
        out.append(Cell(_label(p), float(p.pop(delta_key)), p))
    return tuple(out)


def design(n_cells: int, delta_key: str = "delta", design_seed: int = 0, **axes: Sequence[Any]) -> tuple[Cell, ...]:
    """``n_cells`` cells that cover every value of every axis (a balanced random design, for screens
    where the full factorial is too large): each axis' values are repeated to length ``n_cells`` (each
    value ``⌊n_cells / len(axis)⌋`` or one more times) and shuffled by
    ``np.random.default_rng((design_seed, axis number))``, independently per axis, so every pair of
    axes is seen in varied combinations. Duplicate cells are dropped."""
    if n_cells < max(len(v) for v in axes.values()):
        raise ValueError(f"n_cells: need at least as many cells as the longest axis, got {n_cells}")
    cols = {}
    for j, (k, vals) in enumerate(axes.items()):
        idx = np.resize(np.arange(len(vals)), n_cells)
        cols[k] = [vals[i] for i in np.random.default_rng((design_seed, j)).permutation(idx)]
    seen, out = set(), []
    for i in range(n_cells):
        p = {k: cols[k][i] for k in axes}
        key = _label(p)
        if key in seen:
            continue
        seen.add(key)
        d = float(p.pop(delta_key))
        out.append(Cell(key, d, p))
    return tuple(out)


def with_targets(cells: Sequence[Cell], base: int, **fixed: Any) -> tuple[Cell, ...]:
    """The cells with ``fixed`` parameters added and a target seed of their own (``base + i``): each
    cell is one fixed target, so the screen spans as many targets as cells."""
    return tuple(Cell(c.label, c.delta, {**c.params, **fixed, "target_seed": base + i}) for i, c in enumerate(cells))


def fingerprint(sources: Sequence[str]) -> str:
    """SHA-256 (first 16 hex digits) of the source text of the construction's code, in order: each
    entry a module (``"slt_check.constructions.orseau"``) or a function or class in one
    (``"slt_check.core.bounds:samples_per_group"``). Only what the claim's draws execute counts, so an
    unrelated addition to a shared module does not force a new confirmation."""
    h = hashlib.sha256()
    for src in sources:
        mod, _, name = src.partition(":")
        try:
            obj: Any = importlib.import_module(mod)
            for part in filter(None, name.split(".")):
                obj = getattr(obj, part)
            text = inspect.getsource(obj)
        except (ImportError, AttributeError, OSError, TypeError) as exc:
            raise ValueError(f"files: cannot read the source of {src!r} ({exc})") from exc
        h.update(src.encode())
        h.update(text.encode())
    return h.hexdigest()[:16]


def audit(claims: Sequence[RateClaim], recorded: Mapping[str, Any]) -> list[str]:
    """Problems with the pre-registration of ``claims`` against the recorded ledger results
    (``{"claims": {id: {"details": {"two_stage": …, "history": […]}}}}``):

    * a master seed used by two tables (screen or confirmation, any claim);
    * a recorded confirmation whose master is the claim's screen master, or whose master was already
      used by an earlier recorded confirmation of the claim with other construction files;
    * a recorded latest confirmation run on a master other than the claim's latest;
    * construction files changed since the latest recorded confirmation, with no new master.
    """
    problems: list[str] = []
    owner: dict[int, str] = {}
    for c in claims:
        for m in [c.screen_master] + [p.master for p in c.confirmations]:
            if m in owner:
                problems.append(f"master seed {m} is used by {owner[m]} and {c.id}")
            owner[m] = c.id
    rows = recorded.get("claims", {})
    for c in claims:
        det = rows.get(c.id, {}).get("details", {})
        ts = det.get("two_stage")
        if ts is None:
            continue
        used = [(h["confirm_master"], h.get("fingerprint")) for h in det.get("history", [])]
        used.append((ts["confirm_master"], ts.get("fingerprint")))
        for m, _fp in used:
            if m == c.screen_master or m == ts.get("screen_master"):
                problems.append(f"{c.id}: a confirmation ran on the screen's master seed {m}")
        by_master: dict[int, set[Any]] = {}
        for m, fp in used:
            by_master.setdefault(m, set()).add(fp)
        for m, fps in by_master.items():
            if len(fps) > 1:
                problems.append(f"{c.id}: master seed {m} confirmed two versions of the construction")
        if ts["confirm_master"] != c.confirm_master:
            problems.append(f"{c.id}: recorded confirmation used master {ts['confirm_master']}, the table's "
                            f"latest is {c.confirm_master}; run `slt-check ledger --run`")
        fp = c.fingerprint()
        if fp is not None and ts.get("fingerprint") not in (None, fp):
            problems.append(f"{c.id}: its construction changed since the confirmation on master "
                            f"{ts['confirm_master']}; add a new Preregistration (fresh master) and re-run")
        if c.confirmations[-1].fixed_at == PENDING:
            problems.append(f"{c.id}: confirmation master {c.confirm_master} is not yet fixed at a commit")
    return problems
