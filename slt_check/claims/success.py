"""Claim group "success of the Orseau construction at its formula width" (R10, P-main, R9, X-layer,
X-cert): registry rows, ONE pre-registered case table per claim, the runs and the measures.
``properties/test_R10.py`` and ``properties/test_P_main.py`` run these tables; ``slt-check ledger``
runs the same, so the ledger's verdict is the property tests' verdict.

* **R10** and **P-main**'s rate: over independent draws of ``G`` at the formula width, for every
  target of the domain, ``P(no ε-ticket) ≤ δ`` — one two-stage rate claim (:data:`PMAIN_RATE`: a
  screen over the domain — shapes up to ``n_0 = 8`` and depth 3, ε over three decades,
  δ ∈ {0.1, 0.02}, four weight families, both sharings, three scales of ``(w_max, x_max)``, output
  ReLU on/off, one fixed target per cell — then a powered confirmation of the worst cells on fresh
  seeds; :mod:`slt_check.claims.rates`).

**The bound a rate verdict uses** (R10, P-main): a draw fails when its success event failed or its
sup error exceeds ε on the tightest sound bound — the certificate, and where that exceeds ε the
exact MILP's proven upper bound (:func:`slt_check.claims.base.exact_recheck`, HiGHS under a time
limit; a solve whose upper bound falls below an error evaluated at its argmax or at a box corner is
inconsistent and rescues nothing). The pure-certificate count, the trials rescued and the MILP time
are recorded per case beside the counted failures (``details["exact_recheck"]``).
* **P-main**'s ∀ parts run a pre-registered grid of problems (:data:`PMAIN_CASE`: targets of depth
  1–3, widths ≤ 4, ``w_max, x_max ∈ {0.3, 1, 2.5} × {0.5, 1, 3}``, ``ε ∈ {1e-1, 1e-2, 1e-4}``, both
  sharings, output ReLU on/off), each with its own ``G`` at the formula width: R9, X-layer and X-cert
  below. The formula ``N_w`` ÷ the minimal working ``N_w`` (bisection on ``[1, 2·formula]``) is
  recorded beside the rate.
* **R9** (∀, conditional): every draw of the grid whose groups are all covered (``ticket.ok``) has
  certified sup error ≤ ε (``vacuous`` if none is covered).
* **X-layer** (∀): on every covered draw, per-layer ``max|ŵ^± − w| ≤ w_max γ^{-M}/(γ−1) ≤ η`` and each
  stage's certified error ≤ R8's recursion with those deviations.
* **X-cert** (∀): on every draw, the error found (corners, random points, ternary points) is ≤ the
  certified bound; the reported margin is the *smallest* certified ÷ found.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from slt_check.certificates.sup_error import certified_bound, stages_of, sup_error
from slt_check.claims import checks as C
from slt_check.claims.base import (
    Claim,
    RateCase,
    exact_recheck,
    forall_result,
    merge_results,
    recheck_extra,
)
from slt_check.claims.problems import problem_grid
from slt_check.claims.rates import TYPED_RECORDS, Preregistration, RateClaim, design, with_targets
from slt_check.claims.trials import ticket_trial
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.screening import Cell
from slt_check.core.stats import n_for_power, seed_grid
from slt_check.pipeline.build import build_ticket
from slt_check.runtime.trials import run_trials, run_trials_until
from slt_check.tickets.targets import random_target

__all__ = ["PMAIN_RATE", "pmain_rate", "PMAIN_CASE", "CLAIMS", "grid_problems", "grid_runs", "measure_r10",
           "measure_pmain", "measure_r9", "measure_xlayer", "measure_xcert",
           "minimal_width_above"]


PMAIN_CASE = RateCase("P-main", "grid of problems, δ=0.1", 0.1, n_for_power(0.1), 12345,
                      {"shapes": [(1, 1), (2, 2, 1), (3, 4, 2), (2, 3, 3, 1), (4, 3), (2, 2, 2, 2)]})
"""P-main's pre-registered grid (also the cases of R9, X-layer and X-cert)."""


def grid_problems(case: RateCase = PMAIN_CASE) -> list[dict[str, Any]]:
    """The problems of P-main's grid, one per seed of ``seed_grid(master, n)``."""
    return problem_grid(case.master, case.n, case.params["shapes"], delta=case.delta)


class _Sup:
    """The two fields :func:`slt_check.claims.checks.check_layer_errors` reads."""

    def __init__(self, sup: Any) -> None:
        self.per_layer_weight_error = sup.per_layer_weight_error
        self.per_stage_certified = sup.per_stage_certified


@functools.lru_cache(maxsize=2)
def grid_runs(master: int = PMAIN_CASE.master, n: int = PMAIN_CASE.n) -> tuple[dict[str, Any], ...]:
    """Build and check every problem of the grid once per process: ``ok``, certified and found
    error (no gradient search: corners, 64 random and the ternary points), the X-layer check
    (trials run by :func:`slt_check.runtime.trials.run_trials`)."""

    case = PMAIN_CASE if (master, n) == (PMAIN_CASE.master, PMAIN_CASE.n) else RateCase(
        "P-main", "custom", PMAIN_CASE.delta, n, master, PMAIN_CASE.params)
    return tuple(run_trials(_grid_trial, grid_problems(case), desc="P-main grid"))


def _grid_trial(p: dict[str, Any]) -> dict[str, Any]:
    """One problem of P-main's grid: build, certify (no gradient search) and the X-layer check."""

    F = random_target(p["widths"], p["w_max"], p["seed"], family=p["family"], output_relu=p["output_relu"])
    t = build_ticket(F, p["eps"], p["delta"], p["seed"], construction="orseau", sharing=p["sharing"],
                     w_max=p["w_max"], x_max=p["x_max"], allow_failure=True)
    sup = sup_error(F, t, p["x_max"], n_random=64, n_starts=0, steps=0, rng=p["seed"])
    r = {"problem": p, "ok": bool(t.ok), "certified": float(sup.certified), "found": float(sup.found),
         "M": int(t.meta.plan.M), "N_w": int(t.meta.plan.n_samples),
         "recheck": exact_recheck(F, t, p["x_max"], p["eps"], float(sup.certified) if t.ok else None)}
    if t.ok:
        r["layer"] = C.check_layer_errors(t, _Sup(sup))
    return r


def measure_r9(scale: str = "ci") -> dict[str, Any]:
    checks = [C.Check("R9", r["certified"] <= r["problem"]["eps"], r["problem"]["eps"] / r["certified"]
                      if r["certified"] > 0 else float("inf"),
                      {"seed": r["problem"]["seed"], "certified": r["certified"], "eps": r["problem"]["eps"]})
              for r in grid_runs() if r["ok"]]
    return forall_result(checks, n_draws=len(grid_runs()), n_covered=len(checks))


def measure_xlayer(scale: str = "ci") -> dict[str, Any]:
    checks = [r["layer"] for r in grid_runs() if r["ok"]]
    return forall_result(checks, n_draws=len(grid_runs()))


def measure_xcert(scale: str = "ci") -> dict[str, Any]:
    """Found ≤ certified on every draw; slack = the smallest certified ÷ found (the soundness margin:
    1 means the certificate is attained by a found input)."""

    checks = []
    for r in grid_runs():
        if r["found"] > 0:
            checks.append(C.Check("X-cert", r["found"] <= r["certified"], r["certified"] / r["found"],
                                  {"seed": r["problem"]["seed"], "found": r["found"],
                                   "certified": r["certified"]}))
    res = forall_result(checks)
    vals = [c.slack for c in checks]
    if vals:
        res["details"]["median_certified_over_found"] = float(np.median(vals))
        res["details"]["largest_certified_over_found"] = float(max(vals))
        res["details"]["slack_meaning"] = "smallest certified ÷ found (soundness margin)"
        res["details"]["summary"] = (f"certified ÷ found on {len(vals)} draws: min {min(vals):.6g}, "
                                     f"median {float(np.median(vals)):.3g}, max {max(vals):.3g}")
    return res


def _orseau_fails(arg: tuple[Any, float, float, int, float, float, dict[str, Any]]) -> bool:
    """One seed of a minimal-width / minimal-digits search: no certified ε-ticket (``ticket.ok``
    False or certified > ε) from the Orseau construction with the options ``opts``?"""
    F, eps, delta, s, w_max, x_max, opts = arg
    t = build_ticket(F, eps, delta, s, construction="orseau", w_max=w_max, x_max=x_max, allow_failure=True,
                     **opts)
    return not t.ok or bool(certified_bound(F, t.weights, stages_of(t), x_max).bound > eps)


def _any_failed(fails: list[bool]) -> bool:
    """Stop at the first failing seed (the width does not work)."""
    return bool(fails[-1])


def minimal_width_above(problem: dict[str, Any], seeds: list[int], factor: float = 2.0) -> dict[str, Any]:
    """Smallest ``N_w`` in ``[1, factor·formula]`` (bisection) for which every seed gives a certified
    ε-ticket — the interval reaches above the formula, so a formula that is too small shows as
    ``formula ÷ minimal < 1``; ``minimal = None`` when even ``factor·formula`` fails."""

    F = random_target(problem["widths"], problem["w_max"], problem["seed"], family=problem["family"],
                      output_relu=problem["output_relu"])
    plan = get_construction("orseau", sharing=problem["sharing"]).plan(
        Problem(tuple(problem["widths"]), problem["eps"], problem["delta"], problem["w_max"], problem["x_max"]))

    def works(n: int) -> bool:
        opts = {"sharing": problem["sharing"], "n_samples": int(n)}
        cases = [(F, problem["eps"], problem["delta"], s, problem["w_max"], problem["x_max"], opts) for s in seeds]
        return not any(run_trials_until(_orseau_fails, cases, _any_failed, desc=f"N_w={n}"))

    formula = int(plan.n_samples)
    lo, hi = 1, int(np.ceil(factor * formula))
    if not works(hi):
        return {"formula": formula, "minimal": None, "searched_up_to": hi}
    while hi - lo > max(1, hi // 50):
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if works(mid) else (mid, hi)
    return {"formula": formula, "minimal": hi, "M": plan.M, "searched_up_to": int(np.ceil(factor * formula))}


_ORSEAU_FILES = ("slt_check.constructions.orseau", "slt_check.constructions.rules:GreedyDigits",
                 "slt_check.constructions.two_layer", "slt_check.core.digits", "slt_check.core.laws:Hyperbolic",
                 *(f"slt_check.core.bounds:{f}" for f in ("per_weight_precision", "n_digits", "samples_per_group",
                                                           "hyperbolic_support", "g_widths", "g_size")))
_SHAPES_CI = ((1, 1), (2, 3, 2), (8, 1), (8, 3, 1), (2, 2, 2, 1))
_SHAPES_FULL = _SHAPES_CI + ((4, 6, 2), (3, 4, 4, 2), (8, 8, 2))
_SCALES_WX = ((1.0, 1.0), (0.3, 0.5), (2.5, 3.0))


def _orseau_cells(n_cells: int, shapes: tuple[tuple[int, ...], ...], eps: tuple[float, ...],
                  deltas: tuple[float, ...], base: int) -> tuple[Cell, ...]:
    cells = design(n_cells, widths=shapes, eps=eps, delta=deltas, family=("uniform", "normal", "kaiming", "corners"),
                   sharing=("per_weight", "per_input"), wx=_SCALES_WX, output_relu=(False, True))
    out = []
    for c in with_targets(cells, base, construction="orseau"):
        p = dict(c.params)
        p["w_max"], p["x_max"] = p.pop("wx")
        p["options"] = {"sharing": p.pop("sharing")}
        out.append(Cell(c.label, c.delta, p))
    return tuple(out)


PMAIN_RATE = RateClaim(
    "P-main",
    {"target widths": _SHAPES_FULL, "ε": (1e-1, 1e-2, 1e-3), "δ": (0.1, 0.02),
     "family": ("uniform", "normal", "kaiming", "corners"), "sharing": ("per_weight", "per_input"),
     "(w_max, x_max)": _SCALES_WX, "output ReLU": (False, True)},
    {"smoke": _orseau_cells(8, _SHAPES_CI[:3], (1e-1, 1e-2), (0.1,), 7000),
     "ci": _orseau_cells(30, _SHAPES_CI, (1e-1, 1e-2, 1e-3), (0.1, 0.02), 7000),
     "full": _orseau_cells(120, _SHAPES_FULL, (1e-1, 1e-2, 1e-3), (0.1, 0.02), 7000)},
    ticket_trial, 2026_1206_11, (Preregistration(2026_1206_12, "659891b"),
                                 Preregistration(2026_1206_71, "636e244", TYPED_RECORDS)), files=_ORSEAU_FILES,
    extra=recheck_extra,
)
"""P-main and R10 as one rate claim: every cell one fixed target (seed ``7000 + i``), ``G`` at the
formula width ``N_w = ⌈8M ln(2MW/δ)⌉``; two stages (:mod:`slt_check.claims.rates`)."""


@functools.lru_cache(maxsize=4)
def pmain_rate(scale: str = "ci") -> dict[str, Any]:
    """P-main's (and R10's) two-stage result at ``scale`` (once per process)."""
    return PMAIN_RATE.result(scale)


def measure_r10(scale: str = "ci") -> dict[str, Any]:
    """R10 is measured by P-main's two-stage run (the same draws: every cell is one fixed target)."""
    return pmain_rate(scale)


def measure_pmain(scale: str = "ci") -> dict[str, Any]:
    n_cases, n_seeds = {"smoke": (1, 3), "ci": (2, 5), "full": (4, 10)}[scale]
    widths = []
    for p in grid_problems()[:n_cases]:
        mw = minimal_width_above(p, seed_grid(p["seed"], n_seeds))
        widths.append({"problem": {k: v for k, v in p.items() if k != "seed"}, **mw})
    ratios = [w["formula"] / w["minimal"] for w in widths if w.get("minimal")]
    rate = pmain_rate(scale)
    res = merge_results({"rate": rate, "R9_on_covered": measure_r9(scale)})
    res["details"]["two_stage"] = rate["details"]["two_stage"]
    res["details"]["width_ratio"] = min(ratios) if ratios else None
    res["slack"] = rate["slack"]
    res["details"]["minimal_width"] = widths
    res["details"]["slack_definition"] = rate["details"]["slack_definition"]
    res["details"]["summary"] = rate["details"]["summary"] + "<br>minimal working N_w (all seeds; search ≤ 2× " \
        "formula): " + ", ".join(f"{w['minimal']} vs formula {w['formula']}" for w in widths)
    return res


_T = "properties/test_{}.py"

CLAIMS: list[Claim] = [
    Claim("R9", "Deterministic guarantee: if every group has all categories, the §3.4 mask with η, M "
          "gives sup_x ‖F(x)−Ĝ(x)‖∞ ≤ ε (certified)", "reconstructed", "R9", "forall",
          [_T.format("P_main"), "properties/test_r06_end_to_end.py"], measure_r9,
          breaks=("checker: digit base 2", "checker: too few digits for ε"),
          slack_definition="ε ÷ the certified sup error, smallest over the covered draws",
          title="deterministic guarantee",
          figure="error",
          doc="docs/reconstruction.md#r9", code=("constructions/orseau.py", "certificates/sup_error.py")),
    Claim("P-main", "Main claim: w.h.p. pruning alone turns a random G of log width per weight (2l "
          "layers, hyperbolic) into an ε-approximation of F on every input: P(no ε-ticket) ≤ δ "
          "over a grid of problems (sup error on the tightest sound bound: the certificate, else the exact "
          "MILP's proven upper bound)", "confirmed (qualitative); constants ours", "C: abstract, Review 1",
          "probability", [_T.format("rate_claims"), "properties/test_r06_end_to_end.py"], measure_pmain,
          breaks=("orseau-width-half",), rate=PMAIN_RATE,
          title="main claim",
          figure="failure", doc="docs/reconstruction.md#r10",
          code=("constructions/orseau.py", "certificates/sup_error.py", "certificates/exact.py")),
    Claim("R10", "Success probability: over independent draws of G at the formula width, "
          "P(no ε-ticket) ≤ δ (sup error on the tightest sound bound: the certificate, else the exact "
          "MILP's proven upper bound); measured by P-main's two-stage run (every cell one fixed target)",
          "reconstructed", "R10", "probability", [_T.format("rate_claims")], measure_r10,
          breaks=("orseau-width-half", "checker: uniform weights at the same width"), rate=PMAIN_RATE,
          title="success probability (measured with P-main)",
          figure="failure", doc="docs/reconstruction.md#r10", code=("constructions/orseau.py",)),
    Claim("X-layer", "Per built ticket: per-layer max|ŵ^±−w| ≤ w_max γ^-M/(γ−1) ≤ η and each stage's "
          "certified error ≤ R8's recursion with those deviations", "reconstructed", "R4+R8 (added)",
          "forall", [_T.format("P_main")], measure_xlayer, breaks=("checker: digit base 2",),
          slack_definition="R4's per-layer bound ÷ the largest per-layer deviation, smallest over the tickets",
          title="per-layer budget",
          figure="propagation", doc="docs/reconstruction.md#r8", code=("core/bounds.py", "certificates/sup_error.py")),
    Claim("X-cert", "Certification soundness: the error found by search ≤ the certified bound (slack: "
          "the smallest certified ÷ found)", "reconstructed", "certificates/sup_error.py (added)", "forall",
          [_T.format("P_main"), "properties/test_r06_end_to_end.py", "properties/test_x_cert_float_range.py"],
          measure_xcert,
          breaks=("certificate-0.9",),
          slack_definition="certified ÷ found, smallest over the draws (1: a found input attains the certificate)",
          title="certificate soundness",
          figure="certificate_gap",
          doc="docs/certificates.md", code=("certificates/sup_error.py", "certificates/stages.py")),
]


# ------------------------------------------------------------------------------ P-size, P-depth (measured)
SIZE_CASE = {"widths": (2, 1), "w_max": 1.0, "x_max": 1.0, "delta": 0.1, "sharing": "per_weight",
             "output_relu": False, "family": "uniform", "seed": 7, "eps": (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6),
             "n_seeds": 3, "max_growth_per_decade": 2.0}
"""P-size's pre-registered measurement: the minimal working ``N_w`` (every one of ``n_seeds`` draws of
``G`` gives a certified ε-ticket; bisection on ``[1, 2·formula]``) per decade of ε. A logarithmic
law adds a constant per decade (growth factor → 1); ``1/ε^c`` multiplies by ``10^c``. Holds iff the
growth factor of every decade after the first is ≤ 2 (pre-registered)."""


def measure_size_growth() -> dict[str, Any]:
    """P-size, measured: minimal working ``N_w`` of sampled ``G``'s per ε (:data:`SIZE_CASE`)."""

    rows = []
    for e in SIZE_CASE["eps"]:
        p = {**SIZE_CASE, "eps": e}
        mw = minimal_width_above(p, seed_grid(SIZE_CASE["seed"], SIZE_CASE["n_seeds"]))
        rows.append({"eps": e, **mw})
    mins = [r["minimal"] for r in rows]
    if any(m is None for m in mins):
        return forall_result([C.Check("P-size", False, None, {"rows": rows, "why": "no working width ≤ 2·formula"})])
    growth = [b / a for a, b in zip(mins[:-1], mins[1:], strict=True)]
    worst = max(growth[1:]) if len(growth) > 1 else growth[0]
    ok = worst <= SIZE_CASE["max_growth_per_decade"]
    summary = "minimal working N_w at ε = 1e-1…1e-6: " + ", ".join(str(m) for m in mins)
    return forall_result([C.Check("P-size", ok, 10.0 / worst,
                                  {"rows": rows, "minimal_N_w": mins, "growth_per_decade": growth,
                                   "slack_meaning": "10 ÷ the largest growth factor of the minimal N_w per "
                                                    "decade of ε (a 1/ε law: 1)"})], summary=summary)


DEPTH_CASE = {"width": 2, "depths": (1, 2, 3, 4), "w_max": 1.0, "x_max": 1.0, "eps": 1e-2, "delta": 0.1,
              "n_seeds": 3, "target_seed": 11}
"""P-depth's pre-registered measurement: targets of width 2 and depth ``l = 1..4``; per depth the
fewest digits ``M`` (bisection over ``n_digits``, ``N_w`` at the formula for that ``M``) for which
every one of ``n_seeds`` draws gives a certified ε-ticket."""


def minimal_digits(widths: tuple[int, ...], case: dict[str, Any]) -> dict[str, Any]:
    """Fewest digits ``M ≤ M_plan + 8`` with a certified ε-ticket on every seed (``None`` if none)."""

    F = random_target(widths, case["w_max"], case["target_seed"], family="uniform")
    plan = get_construction("orseau").plan(Problem(widths, case["eps"], case["delta"], case["w_max"], case["x_max"]))
    seeds = seed_grid(case["target_seed"] + len(widths), case["n_seeds"])

    def works(M: int) -> bool:
        cases = [(F, case["eps"], case["delta"], s, case["w_max"], case["x_max"], {"n_digits": int(M)})
                 for s in seeds]
        return not any(run_trials_until(_orseau_fails, cases, _any_failed, desc=f"M={M}"))

    lo, hi = 0, int(plan.M) + 8
    if not works(hi):
        return {"plan_M": int(plan.M), "minimal_M": None}
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if works(mid) else (mid, hi)
    return {"plan_M": int(plan.M), "minimal_M": hi}


def measure_depth_digits() -> dict[str, Any]:
    """P-depth, measured: the digits needed grow at most linearly in depth:
    ``M_min(l) ≤ M_min(1) + (l−1)⌈log_γ(n(w_max+1))⌉ + log_γ l + 1``. Slack: min bound ÷ M_min."""

    c = DEPTH_CASE
    rows = [{"depth": l, **minimal_digits((c["width"],) * (l + 1), c)} for l in c["depths"]]
    if any(r["minimal_M"] is None for r in rows):
        return forall_result([C.Check("P-depth", False, None, {"rows": rows, "why": "no working M"})])
    m1 = rows[0]["minimal_M"]
    for r in rows:
        r["bound"] = bounds.depth_linear_digit_bound(m1, r["depth"], c["width"], c["w_max"])
    # l = 1 is the bound's own anchor (M_min(1) ≤ M_min(1) + 1): it cannot fail, so it is not a check
    checks = [C.Check("P-depth", r["minimal_M"] <= r["bound"], r["bound"] / r["minimal_M"], dict(r)) for r in rows[1:]]
    summary = "fewest digits M_min(l), l = 1…4: " + ", ".join(str(r["minimal_M"]) for r in rows) + \
        " (plan: " + ", ".join(str(r["plan_M"]) for r in rows) + ")"
    return forall_result(checks, rows=rows, summary=summary,
                         slack_definition="the bound ÷ the measured M_min(l), smallest over l = 2…4 (l = 1 "
                                          "anchors the bound and is not a check)")
