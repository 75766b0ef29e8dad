"""Figure 1, measured: neurons of G per target weight against 1/ε, every construction (log–log).

The paper's headline (its Figure 1): G needs only ~log(1/ε) neurons per target weight, where a pair
search needs ~1/ε² (at the edge of the weight range; ~1/ε inside).

Left panel, per construction (Orseau per weight and per input, Pensia, Malach, Burkholz):

* **formula** (line over the whole ε range): the width each theorem prescribes, in neurons of ``G`` per
  target weight (``plan.G_neurons / W``, the unit of ``Ticket.sizes()["G_neurons_per_weight"]``).
  Planned only (never built) where ``G`` would be too large — the line is a formula either way.
* **measured** (markers): the minimal working width by the claim's own rule, converted to the same unit:
  the smallest width at which ``stats.rate_verdict(k, n, δ)`` says *holds* on one pre-registered seed
  grid (:func:`slt_check.experiments.minwidth.rate_rule_search`; every seed draws its own target and its
  own ``G``); the bar reaches down to the largest width seen not to hold (the bisection bracket).
  Triangles: no holding width up to the search limit (censored, drawn at the limit).
* **reference**: guide lines ∝ 1/ε and ∝ 1/ε²; the ledger's P-size minimal widths (a different rule:
  every one of 3 seeds on one target), read from the ledger results, not recomputed.
* Fitted slopes (measured points only, ``slope_ci``: least squares, 95 % t-interval): neurons per
  decade of 1/ε (width against log₁₀(1/ε)) and the log–log exponent (ln width against ln(1/ε)).

Right panel (P-fig1, read from the ledger's results): the previous-work pair search's mean cost (pairs
drawn until ``|ab − w| ≤ η``) against 1/η for interior weights and the edge ``|w| = 1``, with its exact
expectation 1/P(η) (formula) and Orseau's hyperbolic cost 8M(ln 2M + 1); κ is the ledger's fitted
exponent of cost ∝ η^-κ.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check.claims.success import SIZE_CASE
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.stats import holds_max_failures
from slt_check.experiments.minwidth import neurons_per_weight, rate_rule_search, width_option_of
from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    data_path,
    display_name,
    failure_phrase,
    formula_label,
    ledger_claim,
    ledger_record,
    legend_below,
    measured_label,
    read_json,
    reference_label,
    slope_ci,
    write_json,
)
from slt_check.experiments.sweep import MAX_G_PARAMS, run_sweep, variants
from slt_check.tickets.ticket import versions

NAME = "width_vs_eps"
EPS6 = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]
MALACH_EPS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4]
"""Malach's six values of ε (2.5 decades): its minimal width grows like 1/ε, so at ε = 1e-4 it passes the
default width cap ``n_cap`` = 200 000 (censored); the ``full`` config raises the cap to 10⁶ and adds 1e-4."""
READS_LEDGER = True
"""This figure shows ledger quantities: the report passes it its run's ``claims.json`` (``ledger_results``)."""
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"eps": [1e-1, 1e-2, 1e-3], "delta": 0.3, "n_seeds": 10, "resolution": 0.25,
              "labels": ["orseau/per_weight", "orseau/per_input"]},
    "quick": {"eps": EPS6, "n_seeds": 40, "resolution": 0.1,
              "eps_by_label": {"malach": MALACH_EPS}},
    "full": {"eps": [10 ** (-i / 2) for i in range(2, 13)], "n_seeds": 100, "resolution": 0.05,
             "eps_by_label": {"malach": [*MALACH_EPS, 1e-4]}, "n_cap": 1_000_000},
}
DEFAULTS = {"widths": [2, 2], "delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform",
            "master_seed": 11, "n_seeds": 40, "n_cap": 200_000, "resolution": 0.1, "alpha": 1e-3,
            "formula_eps": [10 ** (-i / 4) for i in range(4, 25)]}
LOG_WIDTH = ("orseau/per_weight", "orseau/per_input", "pensia", "burkholz")
"""Constructions whose width formula is logarithmic in 1/ε (Malach's is polynomial)."""


def _problem(cfg: dict[str, Any], eps: float) -> Problem:
    return Problem(tuple(cfg["widths"]), eps, cfg["delta"], w_max=cfg["w_max"], x_max=cfg["x_max"])


def formula_curve(v: dict[str, Any], cfg: dict[str, Any]) -> list[dict[str, float]]:
    """The construction's planned width at every ε of ``cfg["formula_eps"]`` (plan only, nothing built)."""
    con = get_construction(v["construction"], **v["options"])
    out = []
    for e in cfg["formula_eps"]:
        prob = _problem(cfg, e)
        plan = con.plan(prob)
        out.append({"eps": e, "g": float(plan.G_neurons) / prob.n_weights,
                    "width": int(getattr(plan, f"{width_option_of(v['construction'], plan)}_formula")),
                    "built_at_quick": float(plan.G_params) <= MAX_G_PARAMS})
    return out


def fit_slopes(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Slopes of the measured minimal width (neurons of G per weight, non-censored points):
    ``per_decade`` — width against log₁₀(1/ε); ``exponent`` — ln width against ln(1/ε); 95 % t-intervals
    (``None`` with fewer than 3 points)."""
    pts = [(r["eps"], r["g_hi"]) for r in rows if not r["censored"]]
    x = [math.log10(1 / e) for e, _ in pts]
    return {"per_decade": slope_ci(x, [g for _, g in pts]),
            "exponent": slope_ci([math.log(1 / e) for e, _ in pts], [math.log(g) for _, g in pts]),
            "n_points": len(pts)}


def pair_search(results: dict[str, Any]) -> list[dict[str, Any]]:
    """P-fig1's cases as the ledger recorded them: per weight ``w``, rows ``eta, mean, se`` and κ.
    ``se`` is recovered from the ledger's ``z = |mean − 1/P| / se`` (``None`` when ``z = 0``)."""
    out = []
    for chk in ledger_claim(results, "P-fig1")["details"]["checks"]:
        d = chk["details"]
        rows = []
        for r in d["rows"]:
            expect = r["theory_eta_mean"] / r["eta"]
            se = abs(r["mean"] - expect) / r["z"] if r["z"] > 0 else None
            rows.append({"eta": r["eta"], "mean": r["mean"], "se": se, "expected": expect,
                         "digit_cost": r["digit_cost"]})
        out.append({"w": d["w"], "kappa": d["kappa"], "rows": rows})
    return out


def pair_expected(w: float, eta: float) -> float:
    """Exact mean pairs drawn: ``1/P``, ``P = ¼ ∫_{max(w−η,0)}^{min(w+η,1)} −ln z dz`` (``a, b ~ U[−1, 1]``,
    ``a > 0``, ``|ab − w| ≤ η``; :func:`slt_check.claims.checks.check_fig1_baseline`)."""
    def F(z: float) -> float:
        return z - z * math.log(z) if z > 0 else 0.0
    return 1.0 / (0.25 * (F(min(w + eta, 1.0)) - F(max(w - eta, 0.0))))


def size_reference(results: dict[str, Any]) -> dict[str, Any] | None:
    """The ledger's P-size minimal working ``N_w`` per ε (rule: every one of its seeds works, one target),
    in neurons of G per target weight, read from the ledger results (``None`` if absent)."""
    try:
        d = ledger_claim(results, "P-size")["details"]["minimal_width_growth"]
        chk = d["checks"][0]["details"]
    except (KeyError, IndexError, ValueError):
        return None
    c = SIZE_CASE
    rows = []
    for r in chk["rows"]:
        if r.get("minimal") is None:
            continue
        prob = Problem(tuple(c["widths"]), r["eps"], c["delta"], w_max=c["w_max"], x_max=c["x_max"])
        rows.append({"eps": r["eps"], "minimal": r["minimal"],
                     "g": neurons_per_weight("orseau", {"sharing": c["sharing"]}, prob, "n_samples", r["minimal"])})
    return {"rows": rows, "n_seeds": c["n_seeds"], "widths": list(c["widths"]), "sharing": c["sharing"]}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Minimal working width per construction × ε (resumable sweep ``sweep_width_vs_eps.json``), the
    formula curves, fitted slopes, and the ledger's P-fig1 and P-size numbers."""
    cfg = {**DEFAULTS, **config}
    labs = [v for v in variants() if v["available"] and (not cfg.get("labels") or v["label"] in cfg["labels"])]
    pts = [{"construction": v["construction"], "options": v["options"], "widths": list(cfg["widths"]),
            "eps": e, "delta": cfg["delta"], "w_max": cfg["w_max"], "x_max": cfg["x_max"],
            "family": cfg["family"], "master_seed": cfg["master_seed"], "n_seeds": cfg["n_seeds"],
            "n_cap": cfg["n_cap"], "resolution": cfg["resolution"], "alpha": cfg["alpha"],
            "label": v["label"], "criterion": "rate_verdict holds"}
           for v in labs for e in (cfg.get("eps_by_label") or {}).get(v["label"], cfg["eps"])]
    recs = run_sweep(data_path("sweep_width_vs_eps", cfg), pts, fn=rate_rule_search, desc="minimal width")
    series: dict[str, dict[str, Any]] = {v["label"]: {"rows": [], "formula": formula_curve(v, cfg)} for v in labs}
    for r in recs:
        series[r["params"]["label"]]["rows"].append({"eps": r["params"]["eps"], **r["result"]})
    for s in series.values():
        s["slopes"] = fit_slopes(s["rows"])
        fts = [r["formula_trial"] for r in s["rows"] if r["formula_trial"]]
        s["formula_failures"] = {"k": sum(t["k"] for t in fts), "n": sum(t["n"] for t in fts)}
        s["censored_eps"] = [r["eps"] for r in s["rows"] if r["censored"]]
    results, where = ledger_record(cfg)
    fts = [r["formula_trial"] for s in series.values() for r in s["rows"] if r["formula_trial"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k not in ("data_dir", "ledger_results")},
            "series": series, "holds_max_k": holds_max_failures(cfg["n_seeds"], cfg["delta"], cfg["alpha"]),
            "pair_search": pair_search(results), "size_reference": size_reference(results), "ledger": where,
            "not_shown": {v["label"]: "construction not registered" for v in variants() if not v["available"]},
            "failures": {"k": sum(t["k"] for t in fts), "n": sum(t["n"] for t in fts)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


MARK = {"orseau/per_weight": "o", "orseau/per_input": "s", "pensia": "D", "malach": "h", "burkholz": "P"}


def render(data: dict[str, Any]) -> Any:
    """Left: width against 1/ε (formula lines, measured minimal widths, guides); right: pair-search cost."""
    import matplotlib.pyplot as plt

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.0), gridspec_kw={"width_ratios": [1.25, 1]})
    allx = []
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        col, name = f"C{i}", display_name(label)
        fx = [1 / r["eps"] for r in s["formula"]]
        allx += fx
        ax.plot(fx, [r["g"] for r in s["formula"]], "-", color=col, lw=1.0, alpha=0.8, label=formula_label(name))
        emp = [r for r in s["rows"] if not r["censored"]]
        if emp:
            sl = s["slopes"]["exponent"]
            txt = f", log–log slope {sl['slope']:.2f}" if sl else ""
            ax.errorbar([1 / r["eps"] for r in emp], [r["g_hi"] for r in emp],
                        yerr=[[r["g_hi"] - (r["g_lo"] or r["g_hi"]) for r in emp], [0] * len(emp)],
                        fmt=MARK.get(label, "o"), color=col, ms=4, capsize=2,
                        label=measured_label(f"{name}{txt}"))
        cen = [r for r in s["rows"] if r["censored"]]
        if cen:
            ax.plot([1 / r["eps"] for r in cen], [r["g_cap"] for r in cen], "^", color=col, ms=7, mfc="none",
                    label=measured_label(f"{name}: none holds ≤ limit"))
    ref = data.get("size_reference")
    if ref and ref["rows"]:
        ax.plot([1 / r["eps"] for r in ref["rows"]], [r["g"] for r in ref["rows"]], "k+", ms=6,
                label=reference_label(f"ledger P-size (all {ref['n_seeds']} seeds, one target)"))
    x = np.array([min(allx), max(allx)])
    y0 = float(np.median([s["formula"][0]["g"] for s in data["series"].values()]))  # guides start mid-pack
    ax.plot(x, y0 * (x / x[0]), ":", color="0.4", lw=0.9, label=reference_label("∝ 1/ε"))
    ax.plot(x, y0 * (x / x[0]) ** 2, "--", color="0.6", lw=0.9, label=reference_label("∝ 1/ε²"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    hi = max(r["g"] for s in data["series"].values() for r in s["formula"])
    lo = min(r["g"] for s in data["series"].values() for r in s["formula"])
    ax.set_ylim(0.5 * lo, 3 * hi)
    ax.set_xlabel("1/ε")
    ax.set_ylabel("neurons of G per target weight")
    ax.set_title("(a) width of G against 1/ε")
    for j, case in enumerate(data["pair_search"]):
        col = f"C{j + 5}"
        rows = case["rows"]
        xs = np.geomspace(1 / rows[0]["eta"], 1 / rows[-1]["eta"], 40)
        bx.plot(xs, [pair_expected(case["w"], 1 / v) for v in xs], "-", color=col, lw=1.0,
                label=formula_label(f"1/P(η), w = {case['w']:g}"))
        bx.errorbar([1 / r["eta"] for r in rows], [r["mean"] for r in rows],
                    yerr=[1.96 * (r["se"] or 0.0) for r in rows], fmt="o", color=col, ms=3.5, capsize=2,
                    label=measured_label(f"w = {case['w']:g}, κ = {case['kappa']:.2f}"))
    eta_all = sorted({r["eta"] for c in data["pair_search"] for r in c["rows"]}, reverse=True)
    xs = np.geomspace(1 / eta_all[0], 1 / eta_all[-1], 40)
    bx.plot(xs, [8 * M * (math.log(2 * M) + 1) for M in (bounds.n_digits(1.0, 1 / v) for v in xs)], "k-", lw=1.4,
            label=formula_label("hyperbolic 8M(ln 2M + 1)"))
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("1/η")
    bx.set_ylabel("candidates drawn per weight")
    bx.set_title("(b) pair search vs hyperbolic sampling")
    legend_below(fig, [ax, bx], ncol=3)
    return fig


def _slope_txt(sl: dict[str, Any] | None, fmt: str = ".2f") -> str:
    return f"{sl['slope']:{fmt}} [{sl['low']:{fmt}}, {sl['high']:{fmt}}]" if sl else "— (fewer than 3 points)"


def caption(data: dict[str, Any]) -> str:
    """The claim, the targets, n per point, the intervals; slopes per construction; failures; κ."""
    c = data["config"]
    parts = []
    for label, s in sorted(data["series"].items()):
        sl = s["slopes"]
        f = s["formula_failures"]
        bit = (f"{display_name(label)}: {_slope_txt(sl['per_decade'], '.3g')} neurons per decade, log–log "
               f"exponent {_slope_txt(sl['exponent'])} ({sl['n_points']} ε values"
               + (f"; censored at ε = {', '.join(f'{e:g}' for e in s['censored_eps'])}" if s["censored_eps"] else "")
               + (f"; at the formula width {failure_phrase(f['k'], f['n'])}" if f["n"] else "") + ")")
        parts.append(bit)
    ks = "; ".join(f"w = {p['w']:g}: κ = {p['kappa']:.2f}" for p in data["pair_search"])
    f = data["failures"]
    ref = data.get("size_reference")
    return ("Claim (the paper's Figure 1): the neurons of G needed per target weight grow like log(1/ε) for "
            "Orseau, Pensia and Burkholz, polynomially for Malach. (a) Lines: each width formula over the whole "
            "ε range (planned, not built, where G is too large). Markers: the minimal working width — the "
            f"smallest width at which the ledger's rule rate_verdict(k, n = {c['n_seeds']}, δ = {c['delta']:g}) "
            f"says holds (k ≤ {data['holds_max_k']} failures), n = {c['n_seeds']} seeds per width, every seed its "
            f"own random {'-'.join(map(str, c['widths']))} target (uniform weights, w_max = {c['w_max']:g}) and "
            "its own G; bars: the bisection bracket down to the largest width that does not hold; triangles: "
            "none holds up to the search limit. Both in neurons of G per target weight. Slopes (least squares "
            "over the measured points, 95 % t-interval): " + "; ".join(parts) + ". "
            + (f"Crosses: the ledger's P-size minimal widths (a stricter rule: all {ref['n_seeds']} seeds, one "
               f"{'-'.join(map(str, ref['widths']))} target). " if ref and ref["rows"] else "")
            + f"At the formula widths, all constructions: {failure_phrase(f['k'], f['n'])} seeds. "
            "(b) Previous work's pair search (pairs a, b ~ U[−1, 1] drawn until |ab − w| ≤ η; mean of 100 runs "
            f"per point, bars ±1.96 SE) against its exact mean 1/P(η) and the hyperbolic cost; {ks} "
            f"(ledger P-fig1, read from {data['ledger']}).")
