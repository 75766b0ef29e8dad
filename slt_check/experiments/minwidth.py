"""Minimal working width: the smallest ``n_samples`` at which a construction meets (ε, δ) empirically.

For a construction (any entry of the registry that accepts the option ``n_samples``), a target
family and a :class:`~slt_check.constructions.base.Problem`, a seed of the pre-registered grid
``seeds = stats.seed_grid(master_seed, n_seeds)`` *fails* at width ``N`` when

    ticket.ok is False  (ConstructionFailed: the sampled G misses a category)   or
    sup_error(F, ticket).certified > ε          (sound upper bound, slt_check.certificates.sup_error).

Width ``N`` *works* when the Clopper–Pearson upper bound (95 %, two-sided) of the failure rate
``k/n`` over the grid is ``≤ δ``; with ``n`` seeds that needs ``n ≳ 3.7/δ`` and ``k`` small.

Search (documented assumption): bisection assumes the failure count is monotone in ``N``. The
failure *probability* is (more i.i.d. candidates per group can only help coverage), and the draws
at two widths are nested per seed (every block of ``G`` has its own stream and ``Hyperbolic.sample``
/ ``Uniform.sample`` are prefix-consistent), so coverage failures are monotone per seed too; the
certified error of a covered ticket can still move either way when a new digit appears, so the
observed count is monotone only up to that. We double ``N`` from ``n_min`` until a width works, then
bisect between the last failing and the first working width; the reported ``n_empirical`` is the
smallest width that worked among all widths tried (the formula width's full-grid trial included).
The SAME seed grid is used at every ``N``; seeds are never re-drawn. Each width's failure count
stops early once the CP bound already exceeds δ (the remaining seeds cannot rescue it; ``k`` is then
a lower bound and ``complete`` is False).

Because the CP criterion asks for *confidence* that the rate is ≤ δ, a formula whose union bound
is nearly tight (R5 is: the edge tiles have probability ≈ 1/(8M)) can have ``N_empirical >
N_formula`` on a small grid without contradicting the theorem. The theorem itself is therefore
checked at the formula width with the full grid (no early stop) by the one-sided exact binomial test
(``stats.failure_rate_test``, ``H0: P(fail) ≤ δ`` at level ``alpha``): ``formula_trial``.

``slack = N_formula / N_empirical`` (``N_formula = plan["n_samples_formula"]``). When the formula
carries an unspecified constant (``plan["constant"]``, e.g. Pensia's ``C``) and is linear in it,
the smallest constant consistent with the data is ``C · N_empirical / N_formula``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tqdm.auto import tqdm

from slt_check.certificates.sup_error import sup_error
from slt_check.claims.trials import cell_target
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction
from slt_check.core.stats import clopper_pearson, failure_rate_test, holds_max_failures, rate_verdict, seed_grid
from slt_check.core.validation import check_delta, check_eps
from slt_check.pipeline.build import build_ticket
from slt_check.runtime.trials import run_trials_until
from slt_check.tickets.plan import Plan
from slt_check.tickets.targets import random_target

__all__ = [
    "bracket_smallest",
    "MinWidthResult",
    "WidthTrial",
    "available",
    "target_for_seed",
    "seed_outcome",
    "failures_at",
    "find_min_width",
    "cp_allows",
]

CONSTANT_KEYS = ("constant", "C", "pensia_C")
"""Plan keys under which a construction may expose an unspecified constant of its width formula."""


def available(name: str) -> bool:
    """Whether construction ``name`` is registered (peers may not be installed yet)."""

    return name in CONSTRUCTIONS


def target_for_seed(widths: tuple[int, ...], w_max: float, seed: int, family: str, b_max: float | None = None) -> Any:
    """The target of one seed: drawn from ``seed + 1_000_003`` (the CLI's convention), so that the
    target and ``G`` (drawn from ``seed``) are independent. With a bias bound ``b_max``: the same draw with
    the family's random biases (``random_target(…, bias=True)``, ``|b| ≤ w_max``), every bias multiplied by
    ``b_max / w_max`` so that the biases span the declared bound (:func:`slt_check.claims.trials.cell_target`)."""
    if b_max is None:
        return random_target(widths, w_max, seed + 1_000_003, family=family)
    return cell_target({"widths": list(widths), "w_max": w_max, "target_seed": seed + 1_000_003, "family": family,
                        "bias": True, "bias_scale": b_max / w_max})


def seed_outcome(
    name: str,
    options: dict[str, Any],
    problem: Problem,
    seed: int,
    family: str = "uniform",
    search: bool = False,
    b_max: float | None = None,
) -> dict[str, Any]:
    """Build and certify one ticket; ``{"fail", "ok", "certified", "found"}`` (found only if ``search``).

    ``fail = (not ticket.ok) or certified > ε``; ConstructionFailed counts as a failure. ``problem`` is the
    declared one (the target's widths and bounds); with ``b_max`` the seed's target has biases
    (:func:`target_for_seed`), the build reduces it (``build_ticket(…, b_max=b_max)``) and the certificate is
    taken on the original biased target.
    """
    target = target_for_seed(problem.widths, problem.w_max, seed, family, b_max)
    kw_bias = {} if b_max is None else {"b_max": b_max}
    try:
        ticket = build_ticket(
            target, problem.eps, problem.delta, seed, construction=get_construction(name, **options),
            w_max=problem.w_max, x_max=problem.x_max, allow_failure=True, **kw_bias,
        )
    except ConstructionFailed:  # constructions that raise instead of flagging
        return {"fail": True, "ok": False, "certified": math.inf, "found": math.inf}
    kw = {"n_random": 256, "n_starts": 4, "steps": 30} if search else {"n_random": 16, "n_starts": 0, "steps": 0}
    err = sup_error(target, ticket, problem.x_max, rng=seed, **kw)
    ok = bool(ticket.ok)
    return {"fail": (not ok) or err.certified > problem.eps, "ok": ok,
            "certified": err.certified, "found": err.found}


def _seed_fails(case: tuple[str, dict[str, Any], Problem, int, str]) -> bool:
    """One trial of :func:`failures_at` (module-level, so that :func:`run_trials` can ship it)."""
    name, opts, problem, seed, family = case
    return bool(seed_outcome(name, opts, problem, seed, family)["fail"])


def cp_allows(k: int, n: int, delta: float) -> bool:
    """``CP_upper(k, n) ≤ δ`` (95 % two-sided Clopper–Pearson): ``k`` failures in ``n`` are acceptable."""
    return clopper_pearson(k, n)[1] <= delta


@dataclass
class WidthTrial:
    """Failures of the seed grid at one width (``complete`` False: stopped early, ``k`` is a lower bound)."""

    n_samples: int
    k: int
    n: int
    complete: bool
    works: bool
    cp_low: float
    cp_high: float


def failures_at(
    name: str,
    options: dict[str, Any],
    problem: Problem,
    n_samples: int,
    seeds: list[int],
    family: str = "uniform",
    early_stop: bool = True,
    width_option: str = "n_samples",
) -> WidthTrial:
    """Count failing seeds of the grid at width ``n_samples`` (the value of the construction option
    ``width_option``; same grid at every width). The seeds run through
    :func:`slt_check.runtime.trials.run_trials_until` (serially, on processes or on dask): the early
    stop is taken in seed order, so ``k`` and ``complete`` are the serial ones on every executor."""
    opts = dict(options, **{width_option: int(n_samples)})
    n = len(seeds)
    cases = [(name, opts, problem, s, family) for s in seeds]

    def rejected(fails: list[bool]) -> bool:  # the CP bound already exceeds δ: the rest cannot rescue it
        return early_stop and not cp_allows(sum(fails), n, problem.delta)

    fails = run_trials_until(_seed_fails, cases, rejected, desc=f"{name} N={int(n_samples)}")
    k, done = int(sum(fails)), len(fails)
    lo, hi = clopper_pearson(k, n)
    return WidthTrial(int(n_samples), k, n, done == n, done == n and cp_allows(k, n, problem.delta), lo, hi)


@dataclass
class MinWidthResult:
    """Outcome of :func:`find_min_width`. ``n_empirical`` is None when no width up to ``n_max`` works."""

    construction: str
    options: dict[str, Any]
    problem: dict[str, Any]
    family: str
    seeds: list[int]
    n_formula: int
    n_empirical: int | None
    slack: float | None
    constant: float | None
    constant_min: float | None
    trials: list[dict[str, Any]] = field(default_factory=list)
    formula_trial: dict[str, Any] | None = None
    note: str = ""

    @property
    def consistent(self) -> bool:
        """The data do not contradict the formula: ``N_empirical ≤ N_formula``, or the failure count
        at ``N_formula`` passes the exact binomial test of ``P(fail) ≤ δ``."""
        if self.n_empirical is not None and self.n_empirical <= self.n_formula:
            return True
        if self.note.startswith("unresolved"):
            return True  # nothing measured up to the formula width: no contradiction
        return bool(self.formula_trial) and not self.formula_trial["violated"]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def bracket_smallest(
    passes: Callable[[int], bool], start: int, cap: int, *, floor: int = 1, resolution: float = 0.0
) -> tuple[int, int | None]:
    """``(lo, hi)`` around the smallest width in ``[floor, cap]`` where the monotone test ``passes``:
    ``hi`` the smallest passing width found (``None`` if none up to ``cap``), ``lo`` the largest failing
    one below it (``floor − 1`` if none). From ``start`` it halves while passing (not below ``floor``) or
    doubles while failing (up to ``cap``), then bisects until ``hi − lo ≤ max(1, resolution·lo)``. Every
    width is tested at most once if ``passes`` caches (the minimal-width finder and its figure do)."""
    lo, hi = floor - 1, None
    if floor > cap:
        return lo, hi
    N = min(max(floor, start), cap)
    if passes(N):
        hi = N
        while N > floor:
            N = max(floor, N // 2)
            if passes(N):
                hi = N
            else:
                lo = N
                break
    else:
        lo = N
        while N < cap:
            N = min(2 * N, cap)
            if passes(N):
                hi = N
                break
            lo = N
    if hi is not None:
        while hi - lo > max(1, int(resolution * lo)):
            mid = (lo + hi) // 2
            if passes(mid):
                hi = mid
            else:
                lo = mid
    return lo, hi


def find_min_width(
    name: str,
    problem: Problem,
    *,
    options: dict[str, Any] | None = None,
    family: str = "uniform",
    master_seed: int = 0,
    n_seeds: int = 40,
    n_min: int = 1,
    n_max: int | None = None,
    n_cap: int | None = None,
    progress: bool | None = None,
    alpha: float = 1e-3,
    max_formula_params: float = 2e7,
    width_option: str | None = None,
) -> MinWidthResult:
    """Smallest working ``n_samples`` by doubling then bisection over one pre-registered seed grid.

    ``n_max`` defaults to ``4 × N_formula``, capped at ``n_cap`` (a compute budget). The formula
    width itself is run on the full grid and tested at level ``alpha`` unless ``G`` would exceed
    ``max_formula_params`` dense parameters. ``width_option``: the construction option searched
    (default: ``n_samples`` if the construction accepts it, else the first option ``x`` with
    ``plan["x_formula"]``, e.g. Burkholz's ``rho``). A missing construction or one without such an
    option gives ``n_empirical=None`` and a ``note`` (no exception).
    """
    check_eps(problem.eps)
    check_delta(problem.delta)
    options = dict(options or {})
    seeds = seed_grid(master_seed, n_seeds)
    base = {"construction": name, "options": options, "problem": problem.as_dict(), "family": family,
            "seeds": seeds}
    if not available(name):
        return MinWidthResult(**base, n_formula=0, n_empirical=None, slack=None, constant=None,
                              constant_min=None, note=f"construction {name!r} is not registered")
    try:
        plan_record = get_construction(name, **options).plan(problem)
    except TypeError as exc:
        return MinWidthResult(**base, n_formula=0, n_empirical=None, slack=None, constant=None,
                              constant_min=None, note=f"bad options: {exc}")
    plan = plan_record.to_dict()  # the plan's named entries (``<option>_formula``, constants)
    wopt = width_option or _width_option(name, options, plan)
    if wopt is None or f"{wopt}_formula" not in plan:
        return MinWidthResult(**base, n_formula=0, n_empirical=None, slack=None, constant=None,
                              constant_min=None, note="no width option with a '<option>_formula' in plan()")
    base["options"] = dict(options, width_option=wopt)
    n_formula = int(plan[f"{wopt}_formula"])
    constant = next((float(plan[k]) for k in CONSTANT_KEYS if k in plan), None)
    n_max = int(n_max or 4 * n_formula)
    if n_cap is not None:
        n_max = min(n_max, int(n_cap))
    trials: dict[int, WidthTrial] = {}

    def trial(N: int) -> WidthTrial:
        if N not in trials:
            trials[N] = failures_at(name, options, problem, N, seeds, family, width_option=wopt)
            bar.update(1)
        return trials[N]

    with tqdm(desc=f"min width {name}", disable=progress is False or None, leave=False) as bar:
        bracket_smallest(lambda N: trial(N).works, n_min, n_max, floor=n_min)
    ftrial = None
    if float(plan_record.G_params) <= max_formula_params:
        ft = trials.get(n_formula)
        if ft is None or not ft.complete:
            ft = failures_at(name, options, problem, n_formula, seeds, family, early_stop=False,
                             width_option=wopt)
        v = failure_rate_test(ft.k, ft.n, problem.delta, alpha)
        ftrial = dict(asdict(ft), pvalue=v.pvalue, alpha=alpha, violated=v.violated)
        trials.setdefault(n_formula, ft)
    working = [t.n_samples for t in trials.values() if t.works]
    n_emp = min(working) if working else None
    slack = n_formula / n_emp if n_emp else None
    cmin = constant * n_emp / n_formula if (constant is not None and n_emp) else None
    if n_emp:
        note = ""
    elif n_max < n_formula and ftrial is None:
        note = f"unresolved: no width ≤ {n_max} (the search budget, below the formula {n_formula}) met δ"
    else:
        note = f"no width ≤ {n_max} met δ={problem.delta} (CP upper bound)"
    return MinWidthResult(
        **base, n_formula=n_formula, n_empirical=n_emp, slack=slack, constant=constant,
        constant_min=cmin, trials=[asdict(trials[k]) for k in sorted(trials)], formula_trial=ftrial, note=note,
    )


def _width_option(name: str, options: dict[str, Any], plan: dict[str, Any]) -> str | None:
    """``n_samples`` if accepted, else the first accepted option ``x`` with ``plan["x_formula"]``."""
    cands = ["n_samples"] + [k[: -len("_formula")] for k in plan if k.endswith("_formula") and k != "n_samples_formula"]
    for opt in cands:
        if f"{opt}_formula" not in plan:
            continue
        try:
            get_construction(name, **dict(options, **{opt: 1}))
        except (TypeError, ValueError):
            continue
        return opt
    return None


def min_seeds_for(delta: float) -> int:
    """Smallest grid size whose zero-failure CP upper bound is ≤ δ (the grid must be at least this)."""
    n = 1
    while not cp_allows(0, n, delta):
        n += 1
    return n


__all__.append("min_seeds_for")


# ------------------------------------------------------------------ the claim's own rule (one definition)
def count_rate_failures(p: dict[str, Any], N: int, full: bool = False) -> dict[str, Any]:
    """Failing seeds of ``seed_grid(p["master_seed"], p["n_seeds"])`` at width ``N`` (the value of the
    construction option ``p["width_option"]``) and the ledger's verdict ``stats.rate_verdict(k, n, δ, α)``.

    The count stops once ``k`` exceeds ``holds_max_failures(n, δ, α)`` (``k`` is then a lower bound and
    the verdict ``"not holds (stopped)"``) unless ``full``. A seed fails when its ticket is not ok or its
    certified sup error exceeds ε (:func:`seed_outcome`; every seed draws its own target, with biases spanning
    ``p["b_max"]`` when that is given and not ``None``)."""
    prob = Problem(tuple(p["widths"]), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"])
    seeds = seed_grid(p["master_seed"], p["n_seeds"])
    opts = dict(p["options"], **{p["width_option"]: int(N)})
    crit = holds_max_failures(len(seeds), p["delta"], p["alpha"])
    k = done = 0
    for s in seeds:
        k += int(seed_outcome(p["construction"], opts, prob, s, p["family"], b_max=p.get("b_max"))["fail"])
        done += 1
        if not full and k > crit:
            break
    complete = done == len(seeds)
    verdict = rate_verdict(k, len(seeds), p["delta"], p["alpha"]).verdict if complete else "not holds (stopped)"
    return {"n_samples": int(N), "k": k, "n": len(seeds), "done": done, "complete": complete, "verdict": verdict,
            "holds": complete and verdict == "holds"}


def width_option_of(construction: str, plan: Plan) -> str:
    """The option a width search varies: ``n_samples`` (per group / block), Burkholz's ``rho``."""
    return "n_samples" if getattr(plan, "n_samples_formula", None) is not None and construction != "burkholz" else "rho"


def neurons_per_weight(construction: str, options: dict[str, Any], problem: Problem, width_option: str,
                       N: int, n_params: int | None = None) -> float:
    """Neurons of ``G`` per target weight when the width option is ``N``: ``plan["G_neurons"] / W`` —
    the unit of ``Ticket.sizes()["G_neurons_per_weight"]`` and of every width formula in the figures.
    ``n_params``: divide by this count instead of ``W`` (a biased target's weights + biases, ``problem``
    then being its reduction)."""
    plan = get_construction(construction, **dict(options, **{width_option: int(N)})).plan(problem)
    return float(plan.G_neurons) / (problem.n_weights if n_params is None else n_params)


def rate_rule_search(p: dict[str, Any], max_formula_params: float = 2e7) -> dict[str, Any]:
    """The minimal width that meets the claim by the ledger's own rule, for one (construction, ε) point.

    ``p``: construction, options, widths, eps, delta, w_max, x_max, family, master_seed, n_seeds, n_cap,
    resolution, alpha. :func:`bracket_smallest` from ``N_formula/8`` with the monotone test "``rate_verdict``
    says holds" (:func:`count_rate_failures`); ``(lo, hi]``: ``hi`` the smallest holding width, ``lo`` the
    largest width seen not to hold; ``hi = None`` (censored) when none ≤ ``n_cap`` holds. The formula width is
    counted on the full grid whenever ``G`` has ≤ ``max_formula_params`` dense parameters (``formula_trial``).
    Widths are also given in neurons of ``G`` per target weight (:func:`neurons_per_weight`):
    ``g_formula``, ``g_lo``, ``g_hi``. ``slack = N_formula ÷ hi`` (in the width option);
    ``constant_min = C · hi / N_formula`` for formulas with a free constant ``C``.

    Optional ``p["b_max"]`` (``None`` or absent: bias-free targets, the result as without it): every seed's
    target then has biases spanning ``[−b_max, b_max]`` (:func:`target_for_seed`), and the formula width is
    the plan of the *reduced* problem (:meth:`Problem.reduced`: widths ``n_i + 1`` but the output,
    ``w_max' = max(w_max, b_max, 1)``, ``x_max' = max(x_max, 1)``) — the width a biased build samples; the
    neurons of ``G`` are counted per target *parameter* (weights + biases, :func:`n_parameters`), and the
    result also holds ``b_max``, ``n_params`` and the ``reduced`` problem."""
    b_max = p.get("b_max")
    prob = Problem.reduced(p["widths"], p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"], b_max=b_max)
    per = prob.n_weights if b_max is None else n_parameters(p["widths"])  # the unit: per weight / per parameter
    plan = get_construction(p["construction"], **p["options"]).plan(prob)
    p = dict(p, width_option=width_option_of(p["construction"], plan))
    nf = int(getattr(plan, f"{p['width_option']}_formula"))
    trials: dict[int, dict[str, Any]] = {}

    def holds(N: int) -> bool:
        if N not in trials:
            trials[N] = count_rate_failures(p, N)
        return trials[N]["holds"]

    lo, hi = bracket_smallest(holds, max(1, nf // 8), p["n_cap"], resolution=p["resolution"])
    formula = None
    if float(plan.G_params) <= max_formula_params:
        ft = trials.get(nf)
        formula = ft if ft is not None and ft["complete"] else count_rate_failures(p, nf, full=True)
        trials[nf] = formula
    constant = next((float(getattr(plan, k)) for k in CONSTANT_KEYS if getattr(plan, k, None) is not None), None)

    def g(N: int) -> float:
        return neurons_per_weight(p["construction"], p["options"], prob, p["width_option"], N, per)

    out = {"n_formula": nf, "width_option": p["width_option"], "lo": lo, "hi": hi, "censored": hi is None,
           "n_cap": p["n_cap"], "g_formula": float(plan.G_neurons) / per,
           "g_lo": g(lo) if lo >= 1 else None, "g_hi": g(hi) if hi else None, "g_cap": g(p["n_cap"]),
           "slack": nf / hi if hi else None, "constant": constant,
           "constant_min": constant * hi / nf if (constant and hi) else None,
           "formula_trial": formula, "trials": [trials[k] for k in sorted(trials)]}
    if b_max is not None:
        out.update(b_max=float(b_max), n_params=per, reduced=prob.as_dict())
    return out


def n_parameters(widths: list[int] | tuple[int, ...], bias: bool = True) -> int:
    """Weights (and, with ``bias``, biases) of a target of these widths: ``Σ n_{i−1} n_i (+ Σ_{i ≥ 1} n_i)``."""
    return int(sum(a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:], strict=False)))


__all__ += ["count_rate_failures", "width_option_of", "neurons_per_weight", "rate_rule_search", "n_parameters"]
