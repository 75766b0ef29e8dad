"""The peers side by side, in common units (docs/peers.md#common-units), and the law × rule factorial.

* :func:`construction_row` — one construction on one small target at one (ε, δ): candidates per
  target weight (the sampled neurons each weight can choose from), neurons / dense parameters of
  ``G`` per target weight, kept parameters per target weight, depth, certified sup error, success.
* :func:`~slt_check.claims.min_candidates.factorial_min_candidates` (the law × rule factorial
  for one weight) and :func:`~slt_check.core.stats.slope_ci` (samples per bit, with a 95 % CI) feed
  the tables.
* :func:`peers_table` — the markdown table written by ``slt-check compare``.

Every loop that builds tickets (construction rows, the factorial's networks, Experiment 1's
networks) or runs the factorial's cells goes through :func:`slt_check.runtime.trials.run_trials`: one
trial per row, serially, on processes or on dask, the rows in the same order and with the same values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.certificates.sup_error import certified_bound, stages_of
from slt_check.claims.min_candidates import factorial_min_candidates
from slt_check.constructions.base import Problem
from slt_check.constructions.factorial import FACTORIAL_LAWS, FACTORIAL_RULES
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.coverage import COVERAGE_LAWS, minimal_samples
from slt_check.core.stats import seed_grid, slope_ci
from slt_check.core.subset_sum import best_subsets, min_size_subsets, subset_errors
from slt_check.pipeline.build import build_ticket
from slt_check.runtime.trials import run_trials
from slt_check.tickets.targets import random_target

__all__ = [
    "CONSTRUCTION_SET",
    "construction_row",
    "candidates_per_weight",
    "peers_table",
]

CONSTRUCTION_SET = ("orseau", "pensia", "malach", "burkholz")


def candidates_per_weight(plan: dict[str, Any], construction: str) -> float:
    """Sampled neurons one target weight chooses from (both halves): ``N`` for the 2l layouts
    (its group or its input's block), ``2ρ`` for Burkholz's first layer."""
    return float(plan.n_samples)


def construction_row(
    construction: str,
    target: Any,
    eps: float,
    delta: float,
    seed: int,
    *,
    max_params: int = 3_000_000,
    **options: Any,
) -> dict[str, Any]:
    """Plan (always) and, when the dense ``G`` has at most ``max_params`` parameters, the built
    ticket's sizes and certified sup error, for one construction in common units."""

    con = get_construction(construction, **options)
    problem = Problem.for_target(target, eps, delta)
    plan = con.plan(problem)
    W = problem.n_weights
    row: dict[str, Any] = {
        "construction": construction,
        "eps": float(eps),
        "log2_inv_eps": math.log2(1.0 / eps),
        "eta": float(plan.eta),
        "candidates_per_weight": candidates_per_weight(plan, construction),
        "G_depth": int(plan.G_depth),
        "G_neurons_per_weight": plan.G_neurons / W,
        "G_params_per_weight": plan.G_params / W,
        "G_neurons_per_target_neuron": plan.G_neurons / sum(problem.widths[1:]),
        "built": False,
    }
    if plan.G_params <= max_params:
        t = build_ticket(target, eps, delta, seed, construction=con, allow_failure=True)
        s = t.sizes()
        cert = certified_bound(target, t.weights, stages_of(t), 1.0).bound
        row.update({
            "built": True,
            "kept_per_weight": s["kept_params_per_weight"],
            "kept_neurons": s["kept_neurons"],
            "certified": float(cert),
            "ok": bool(t.ok),
            "holds": bool(cert <= eps),
        })
    return row


def _row_trial(arg: tuple[str, Any, float, float, int, int, dict[str, Any]]) -> dict[str, Any]:
    """One :func:`construction_row` as a trial of :func:`slt_check.runtime.trials.run_trials`."""
    construction, target, eps, delta, seed, max_params, options = arg
    return construction_row(construction, target, eps, delta, seed, max_params=max_params, **options)


def _factorial_trial(arg: tuple[str, str, tuple[float, ...], list[int]]) -> list[dict[str, Any]]:
    """One law × rule of the factorial: per ε the mean minimal candidates ``n*``, the mean kept at
    ``n*`` and the misses over the seed grid (:func:`factorial_min_candidates`)."""
    law, rule, eps_grid, seeds = arg
    per_eps = []
    for e in eps_grid:
        m = factorial_min_candidates(law, rule, e, seeds)
        good = m["n_star"] >= 0
        per_eps.append({
            "eps": e,
            "mean_n": float(m["n_star"][good].mean()) if good.any() else float("nan"),
            "mean_kept": float(m["kept"][good].mean()) if good.any() else float("nan"),
            "misses": int((~good).sum()),
        })
    return per_eps


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    a = abs(float(v))
    return f"{v:.3g}" if (a >= 1e-2 and a < 1e5) or a == 0 else f"{v:.2e}"


def _slope_cell(f: dict[str, float] | None) -> str:
    if f is None:
        return "—"
    if not (math.isfinite(f["low"]) and math.isfinite(f["high"])):
        return f"{f['slope']:.3g} (exact fit)"
    return f"{f['slope']:.3g} [{f['low']:.3g}, {f['high']:.3g}]"


def _decade_factor(eps: Sequence[float], y: Sequence[float]) -> str:
    """Geometric growth of ``y`` per decade of ε (first to last point): ~1 for log growth in
    1/ε, ~10 for ``1/ε``."""
    e = np.asarray(eps, dtype=np.float64)
    v = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(v) & (v > 0)
    if ok.sum() < 2:
        return "—"
    e, v = e[ok], v[ok]
    dec = math.log10(e[0] / e[-1])
    return f"×{(v[-1] / v[0]) ** (1.0 / dec):.3g}" if dec > 0 else "—"


def peers_table(
    eps_grid: Sequence[float] = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5),
    *,
    widths: Sequence[int] = (2, 2, 1),
    delta: float = 0.05,
    seed: int = 0,
    target_seed: int = 1,
    n_factorial_seeds: int = 20,
    constructions: Sequence[str] = CONSTRUCTION_SET,
    max_params: int = 3_000_000,
    progress: bool | None = None,
) -> tuple[str, dict[str, Any]]:
    """Markdown for ``results/peers_table.md`` and the raw rows (see the module docstring). The
    construction rows and the factorial's law × rule cells run as trials of
    :func:`slt_check.runtime.trials.run_trials` (its progress bar; ``progress`` is kept for callers and
    no longer used)."""

    target = random_target(list(widths), 1.0, target_seed)
    rows = run_trials(_row_trial, [(c, target, e, delta, seed, max_params, {}) for c in constructions
                                   for e in eps_grid], desc="constructions")
    x = [math.log2(1 / e) for e in eps_grid]
    lines = [
        f"Target `random:{'-'.join(map(str, widths))}` (target seed {target_seed}), δ = {delta}, "
        f"G seed {seed}; per target weight (W = {sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=False))}). "
        "*cand.*: sampled neurons each weight chooses from; *kept*: kept parameters per target weight "
        "(— where the dense G exceeds "
        f"{max_params:,} parameters and was not built); *cert.*: certified sup error (≤ ε: holds). "
        "Slopes: least squares against log₂(1/ε) with 95% CI (per bit).",
        "",
        "| construction | ε | η | cand./weight | G neurons/weight | G neurons/target neuron "
        "| G params/weight | kept/weight | depth | cert. | holds |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    slopes: dict[str, Any] = {}
    for c in constructions:
        rs = [r for r in rows if r["construction"] == c]
        for r in rs:
            lines.append(
                f"| {c} | {r['eps']:g} | {_fmt(r['eta'])} | {_fmt(r['candidates_per_weight'])} | "
                f"{_fmt(r['G_neurons_per_weight'])} | {_fmt(r['G_neurons_per_target_neuron'])} | "
                f"{_fmt(r['G_params_per_weight'])} | "
                f"{_fmt(r.get('kept_per_weight'))} | {r['G_depth']} | {_fmt(r.get('certified'))} | "
                f"{_fmt(r.get('holds')) if r['built'] else '—'} |"
            )
        cand = slope_ci(x, [r["candidates_per_weight"] for r in rs])
        built = [(xi, r["kept_per_weight"]) for xi, r in zip(x, rs, strict=True) if r["built"]]
        kept = slope_ci(*zip(*built, strict=True)) if len(built) >= 3 else None
        slopes[c] = {"candidates": cand, "kept": kept}
    lines += ["", "| construction | cand./weight per bit (95% CI) | cand. growth per decade of ε "
              "| kept/weight per bit (95% CI) |", "|---|---|---|---|"]
    for c in constructions:
        rs = [r for r in rows if r["construction"] == c]
        lines.append(
            f"| {c} | {_slope_cell(slopes[c]['candidates'])} | "
            f"{_decade_factor(list(eps_grid), [r['candidates_per_weight'] for r in rs])} | "
            f"{_slope_cell(slopes[c]['kept'])} |"
        )
    # ---- factorial: one weight, one half, precision ε per weight
    seeds = seed_grid(20201106, n_factorial_seeds)
    fac_rows = []
    laws, rules = ("uniform", "hyperbolic", "product"), ("greedy_digits", "exact_subset_sum", "pair")
    combos = [(lw, ru) for lw in laws for ru in rules]
    per_combo = run_trials(_factorial_trial, [(lw, ru, tuple(eps_grid), seeds) for lw, ru in combos],
                           desc="factorial")
    for (lw, ru), per_eps in zip(combos, per_combo, strict=True):
        ok = [(xi, p["mean_n"], p["mean_kept"]) for xi, p in zip(x, per_eps, strict=True)
              if p["misses"] == 0]
        fn = slope_ci([o[0] for o in ok], [o[1] for o in ok]) if len(ok) >= 3 else None
        fk = slope_ci([o[0] for o in ok], [o[2] for o in ok]) if len(ok) >= 3 else None
        fac_rows.append({"law": lw, "rule": ru, "per_eps": per_eps, "slope_n": fn, "slope_kept": fk})
    lines += [
        "",
        f"**Factorial** (one target weight, one half; {n_factorial_seeds} pre-registered seeds, "
        "w ~ U[−1, 1]; precision ε per weight): mean minimal candidates n* / mean kept at n* "
        "(misses: seeds where the cap — 40 for exact, 2·10⁶ otherwise — did not suffice; "
        "slopes only over ε without misses).",
        "",
        "| law × rule | " + " | ".join(f"ε={e:g}" for e in eps_grid)
        + " | n* per bit (95% CI) | n* growth per decade | kept per bit (95% CI) |",
        "|---|" + "---|" * len(eps_grid) + "---|---|---|",
    ]
    for fr in fac_rows:
        cells = [
            (f"{_fmt(p['mean_n'])} / {_fmt(p['mean_kept'])}" + (f" ({p['misses']} miss)" if p["misses"] else ""))
            for p in fr["per_eps"]
        ]
        lines.append(f"| {fr['law']} × {fr['rule']} | " + " | ".join(cells)
                     + f" | {_slope_cell(fr['slope_n'])} | "
                     + _decade_factor(list(eps_grid), [p["mean_n"] if not p["misses"] else np.nan
                                                       for p in fr["per_eps"]])
                     + f" | {_slope_cell(fr['slope_kept'])} |")
    lines += ["", coverage_markdown(coverage_table(eps_grid, n_factorial_seeds), eps_grid).rstrip("\n")]
    fe = 1e-2 if 1e-2 in eps_grid else eps_grid[len(eps_grid) // 2]
    fnet = factorial_networks(target, fe, delta, seed, max_params=max_params)
    lines += ["", factorial_networks_markdown(fnet, fe).rstrip("\n")]
    lines += ["", "Counting lower bound per half (any method, universal over |w| ≤ 1): "
              + ", ".join(f"ε={e:g}: {bounds.counting_lower_bound(2.0, e):.2f}" for e in eps_grid)]
    return "\n".join(lines) + "\n", {"rows": rows, "slopes": slopes, "factorial": fac_rows,
                                      "factorial_networks": fnet}


# ------------------------------------------------------------------------------ Experiment 1
def experiment1_weights(
    weights: np.ndarray, eps: float = 0.01, n: int = 21, seed: int = 0, *, min_size: bool = True
) -> dict[str, Any]:
    """Pensia et al.'s Experiment 1 protocol (docs/peers.md#experiment1) on a vector of target weights:
    per weight ``n`` fresh coefficients ``U[min W, max W]`` (the target's own range), the **exact**
    subset-sum optimum (not a MIP with a gap), errors recomputed from the masks.

    Returns: fraction within ``eps``, max error, mean kept at the exact optimum, mean kept of the
    *sparsest* subset within ``eps`` (exact, :func:`~slt_check.core.subset_sum.min_size_subsets`, on up
    to 2000 weights), minimal candidates per weight (the shortest prefix whose optimum is within
    ``eps``; exact by bisection, the optimum only improves with more candidates), and the solver's
    time per weight at ``n`` (vectorised, one call).
    """


    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    lo, hi = float(w.min()), float(w.max())
    rng = np.random.default_rng(seed)
    coef = rng.uniform(lo, hi, (w.size, n))
    t0 = time.perf_counter()
    keep = best_subsets(coef, w)
    dt = time.perf_counter() - t0
    err = subset_errors(coef, w, keep)
    # minimal prefix per weight (bisection over the prefix length, vectorised over weights)
    lo_n = np.zeros(w.size, dtype=np.int64)  # not within eps at lo_n (unless 0 works)
    hi_n = np.full(w.size, n, dtype=np.int64)
    ok_n = err <= eps
    zero_ok = np.abs(w) <= eps
    hi_n[zero_ok] = 0
    active = ok_n & ~zero_ok
    while True:
        act = active & (hi_n - lo_n > 1)
        if not act.any():
            break
        mid = (lo_n + hi_n) // 2
        for m in np.unique(mid[act]):
            rows = np.flatnonzero(act & (mid == m))
            k = best_subsets(coef[rows, :m], w[rows])
            good = subset_errors(coef[rows, :m], w[rows], k) <= eps
            hi_n[rows[good]] = m
            lo_n[rows[~good]] = m
    out: dict[str, Any] = {
        "n_weights": int(w.size),
        "n": int(n),
        "eps": float(eps),
        "coef_range": [lo, hi],
        "frac_within_eps": float(ok_n.mean()),
        "max_error": float(err.max()),
        "median_error": float(np.median(err)),
        "kept_mean_exact_optimum": float(keep.sum(axis=1).mean()),
        "min_candidates_mean": float(hi_n[ok_n].mean()) if ok_n.any() else float("nan"),
        "min_candidates_median": float(np.median(hi_n[ok_n])) if ok_n.any() else float("nan"),
        "min_candidates_max": int(hi_n[ok_n].max()) if ok_n.any() else -1,
        "solver_us_per_weight": 1e6 * dt / w.size,
    }
    if min_size:
        m = min(w.size, 2000)
        ks, oks = min_size_subsets(coef[:m], w[:m], eps)
        out["kept_mean_sparsest_within_eps"] = float(ks[oks].sum(axis=1).mean())
        out["n_sparsest"] = int(m)
    return out


def experiment1_networks(
    target: Any, eps: float = 0.01, delta: float = 0.05, seed: int = 0
) -> list[dict[str, Any]]:
    """The networks next to Experiment 1: ``pensia`` at its plan, ``pensia`` with Exp. 1's budget
    (per-block ``N = 42``: about 21 candidates per half), and ``orseau`` — each at network ε, δ,
    with kept parameters per weight and the certified sup error (sound)."""


    nets = [
        ("pensia (plan)", "pensia", {}),
        ("pensia (Exp. 1 budget, N = 42)", "pensia", {"n_samples": 42}),
        ("orseau (plan, per_weight)", "orseau", {}),
        ("orseau (plan, per_input)", "orseau", {"sharing": "per_input"}),
    ]
    return run_trials(_experiment1_trial, [(label, name, opts, target, eps, delta, seed) for label, name, opts in nets],
                      desc="experiment 1 networks")


def _experiment1_trial(arg: tuple[str, str, dict[str, Any], Any, float, float, int]) -> dict[str, Any]:
    """One network of :func:`experiment1_networks`: build (timed, ``build_s``) and certify."""
    label, name, opts, target, eps, delta, seed = arg
    t0 = time.perf_counter()
    t = build_ticket(target, eps, delta, seed, construction=name, allow_failure=True, **opts)
    dt = time.perf_counter() - t0
    s = t.sizes()
    cert = certified_bound(target, t.weights, stages_of(t), 1.0).bound
    return {
        "label": label,
        "candidates_per_weight": float(t.meta.plan.n_samples),
        "G_params_per_weight": s["G_params_per_weight"],
        "kept_per_weight": s["kept_params_per_weight"],
        "n_failed_weights": int(t.meta.n_failed_weights or 0),
        "certified": float(cert),
        "holds": bool(cert <= eps),
        "build_s": dt,
    }


def experiment1_markdown(w_res: dict[str, Any], net_rows: list[dict[str, Any]], target_desc: str) -> str:
    """Markdown section for the Experiment 1 numbers."""
    r = w_res
    lines = [
        f"**Pensia et al.'s Experiment 1 protocol, small scale** ({r['n_weights']:,} target weights "
        f"of {target_desc}; per weight n = {r['n']} fresh U[{r['coef_range'][0]:.3g}, "
        f"{r['coef_range'][1]:.3g}] coefficients, ε = {r['eps']:g} per weight; exact solver):",
        "",
        "| quantity | here (exact) | Pensia et al. (Gurobi, MIPGap 0.01) |",
        "|---|---|---|",
        f"| weights within ε | {100 * r['frac_within_eps']:.3f}% (max error {r['max_error']:.2e}, "
        f"median {r['median_error']:.1e}) | 100% |",
        f"| minimal candidates per weight (mean / median / max) | {r['min_candidates_mean']:.2f} / "
        f"{r['min_candidates_median']:.0f} / {r['min_candidates_max']} | 21 used |",
        f"| kept per weight, exact optimum | {r['kept_mean_exact_optimum']:.2f} | — |",
    ]
    if "kept_mean_sparsest_within_eps" in r:
        lines.append(f"| kept per weight, sparsest subset within ε (first {r['n_sparsest']:,} "
                     f"weights) | {r['kept_mean_sparsest_within_eps']:.2f} | 9.39 |")
    lines += [
        f"| solver time per weight at n = {r['n']} (vectorised, one core) | "
        f"{r['solver_us_per_weight']:.1f} µs | 21.5 h / 397,000 weights on 36 cores ≈ 7 s·core |",
        "",
        f"Networks on the same target at network ε = {r['eps']:g}, δ = 0.05 (certified sup error "
        "over ‖x‖∞ ≤ 1):",
        "",
        "| construction | cand./weight | G params/weight | kept/weight | weights beyond η | certified | holds "
        "| build s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n in net_rows:
        lines.append(
            f"| {n['label']} | {_fmt(n['candidates_per_weight'])} | {_fmt(n['G_params_per_weight'])} | "
            f"{_fmt(n['kept_per_weight'])} | {n['n_failed_weights']} | {n['certified']:.2e} | "
            f"{_fmt(n['holds'])} | {n['build_s']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def factorial_networks(
    target: Any, eps: float, delta: float, seed: int, *, max_params: int = 3_000_000,
) -> list[dict[str, Any]]:
    """The whole factorial as networks, one loop: ``factorial`` construction for every law × rule
    at the rule's own default width (greedy: Orseau's ``N_w``; exact: Pensia's ``N``; pair:
    Malach's ``N``), same target, ε, δ and seed of ``G``."""

    combos = [(law, rule) for law in FACTORIAL_LAWS for rule in FACTORIAL_RULES]
    out = run_trials(_row_trial, [("factorial", target, eps, delta, seed, max_params, {"law": lw, "rule": ru})
                                  for lw, ru in combos], desc="factorial networks")
    for r, (law, rule) in zip(out, combos, strict=True):
        r.update({"law": law, "rule": rule})
    return out


def factorial_networks_markdown(rows: list[dict[str, Any]], eps: float) -> str:
    lines = [
        f"**Factorial as networks** (same target, ε = {eps:g}; `factorial` construction, "
        "per_input sharing, each rule at its own default width):",
        "",
        "| law × rule | cand./weight | G params/weight | kept/weight | cert. | holds |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['law']} × {r['rule']} | {_fmt(r['candidates_per_weight'])} | "
            f"{_fmt(r['G_params_per_weight'])} | {_fmt(r.get('kept_per_weight'))} | "
            f"{_fmt(r.get('certified'))} | {_fmt(r.get('holds')) if r['built'] else '—'} |"
        )
    return "\n".join(lines) + "\n"


def coverage_table(
    eps_grid: Sequence[float], n_seeds: int = 20, a: float = 0.5, master: int = 5151
) -> dict[str, list[dict[str, float]]]:
    """Minimal universal-coverage ``n*(ε)`` of ``[−a, a]`` per law (:mod:`slt_check.core.coverage`,
    exact), over a pre-registered seed grid: mean, 95% quantile, misses (> 120 samples)."""

    seeds = seed_grid(master, n_seeds)
    out: dict[str, list[dict[str, float]]] = {}
    for law in COVERAGE_LAWS:
        rows = []
        for e in eps_grid:
            n = minimal_samples(law, e, a, seeds, n_max=120)
            good = n[n >= 0]
            rows.append({"eps": float(e), "mean": float(good.mean()) if good.size else float("nan"),
                         "q95": float(np.quantile(good, 0.95)) if good.size else float("nan"),
                         "misses": int((n < 0).sum())})
        out[law] = rows
    return out


def coverage_markdown(tab: dict[str, list[dict[str, float]]], eps_grid: Sequence[float]) -> str:
    """Markdown for :func:`coverage_table`, with the per-bit slope of the mean (95% CI)."""
    x = [math.log2(1 / e) for e in eps_grid]
    lines = [
        "**Universal coverage, exact** (minimal n such that one sample set ε-covers every "
        "z ∈ [−½, ½]; mean / 95% quantile; `hyperbolic` = |X| log-uniform on [ε, 1]; "
        "an earlier independent measurement found uniform ≈ 1.20·log₂(1/ε) + 2.8, "
        "product ≈ 1.10·log₂(1/ε) + 4.0):",
        "",
        "| law | " + " | ".join(f"ε={e:g}" for e in eps_grid) + " | per bit (95% CI) | intercept |",
        "|---|" + "---|" * len(eps_grid) + "---|---|",
    ]
    for law, rows in tab.items():
        cells = [f"{r['mean']:.2f} / {r['q95']:.0f}" + (f" ({r['misses']} miss)" if r["misses"] else "")
                 for r in rows]
        ok = [(xi, r["mean"]) for xi, r in zip(x, rows, strict=True) if not r["misses"]]
        f = slope_ci(*zip(*ok, strict=True)) if len(ok) >= 3 else None
        lines.append(f"| {law} | " + " | ".join(cells) + f" | {_slope_cell(f)} | "
                     + (f"{f['intercept']:.2f}" if f else "—") + " |")
    lines += ["", "Counting bound log₂(1/(2ε)): " + ", ".join(
        f"{bounds.counting_lower_bound(1.0, e):.2f}" for e in eps_grid)]
    return "\n".join(lines) + "\n"
