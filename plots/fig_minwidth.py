"""Empirical minimal width against each theorem's width formula, against ε (log axes).

The criterion is the claim's own: a width ``N`` *holds* when :func:`slt_check.core.stats.rate_verdict`
(``k`` failing seeds of ``n``, the claimed δ; the four-valued rule of the ledger) says ``holds``;
a seed fails when its ticket is not ok or its certified sup error exceeds ε
(:func:`slt_check.experiments.minwidth.seed_outcome`). The same pre-registered seed grid
(``stats.seed_grid(master_seed, n_seeds)``) is used at every width.

Search, per construction variant and ε: start at ``N_formula / 8`` (at least 1, at most ``n_cap``); halve while the
width holds, double while it does not (up to ``n_cap``), then bisect until the bracket
``(lo, hi]`` is within ``resolution`` (relative). The minimal width is reported as ``hi`` with the
interval ``(lo, hi]`` (``lo``: the largest width seen not to hold). A count stops early once ``k``
exceeds the largest count that could still hold (``k`` is then a lower bound). No width ≤ ``n_cap``
holding is a *censored* point (drawn as an arrow at the search limit). The formula width itself is
tested on the full grid whenever ``G`` fits in memory (``formula_verdict``).

``slack = N_formula ÷ N_empirical``; for formulas with a free constant ``C`` (Pensia, Burkholz)
``C_min = C · N_empirical / N_formula`` is the constant the measured width implies.
Claims: R5/R10 (width formula), peers' formulas.
"""

from __future__ import annotations

from typing import Any

from slt_check.constructions import Problem, get_construction
from slt_check.core.stats import holds_max_failures, rate_verdict, seed_grid
from slt_check.experiments.minwidth import CONSTANT_KEYS, bracket_smallest, seed_outcome
from slt_check.experiments.plotting import (
    data_path,
    failure_phrase,
    formula_label,
    measured_label,
    read_json,
    write_json,
)
from slt_check.experiments.sweep import MAX_G_PARAMS, run_sweep, variants
from slt_check.tickets.ticket import versions

NAME = "minwidth"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"eps": [1e-1], "widths": [2, 2, 1], "delta": 0.2, "n_seeds": 16, "resolution": 0.25,
              "labels": ["orseau/per_weight", "orseau/per_input"]},
    "quick": {"eps": [1e-1, 1e-3, 1e-5], "widths": [2, 3, 1], "delta": 0.1, "n_seeds": 60,
              "eps_by_label": {"pensia": [1e-1, 1e-2], "malach": [1e-1, 1e-3], "burkholz": []}},
    "full": {"eps": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "widths": [3, 4, 2], "delta": 0.1, "n_seeds": 251,
             "resolution": 0.02},
}
DEFAULTS = {"delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform", "master_seed": 1,
            "n_seeds": 60, "n_cap": 20_000, "resolution": 0.05, "alpha": 1e-3}


def count_failures(p: dict[str, Any], N: int, full: bool = False) -> dict[str, Any]:
    """Failing seeds at width ``N`` (stop once ``k`` exceeds the largest count that can still hold)."""
    prob = Problem(tuple(p["widths"]), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"])
    seeds = seed_grid(p["master_seed"], p["n_seeds"])
    opts = dict(p["options"], **{p["width_option"]: int(N)})
    crit = holds_max_failures(len(seeds), p["delta"], p["alpha"])
    k = done = 0
    for s in seeds:
        k += int(seed_outcome(p["construction"], opts, prob, s, p["family"])["fail"])
        done += 1
        if not full and k > crit:
            break
    complete = done == len(seeds)
    verdict = rate_verdict(k, len(seeds), p["delta"], p["alpha"]).verdict if complete else "not holds (stopped)"
    return {"n_samples": int(N), "k": k, "n": len(seeds), "done": done, "complete": complete, "verdict": verdict,
            "holds": complete and verdict == "holds"}


def _width_option(p: dict[str, Any], plan: dict[str, Any]) -> str:
    return "n_samples" if "n_samples_formula" in plan and p["construction"] != "burkholz" else "rho"


def search(p: dict[str, Any]) -> dict[str, Any]:
    """The minimal holding width's bracket ``(lo, hi]`` for one (construction, ε) point."""
    prob = Problem(tuple(p["widths"]), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"])
    plan = get_construction(p["construction"], **p["options"]).plan(prob)
    p = dict(p, width_option=_width_option(p, plan))
    nf = int(plan[f"{p['width_option']}_formula"])
    trials: dict[int, dict[str, Any]] = {}

    def holds(N: int) -> bool:
        if N not in trials:
            trials[N] = count_failures(p, N)
        return trials[N]["holds"]

    lo, hi = bracket_smallest(holds, max(1, nf // 8), p["n_cap"], resolution=p["resolution"])
    formula = None
    if float(plan.get("G_params", 0)) <= MAX_G_PARAMS:
        ft = trials.get(nf)
        formula = ft if ft is not None and ft["complete"] else count_failures(p, nf, full=True)
        trials[nf] = formula
    constant = next((float(plan[k]) for k in CONSTANT_KEYS if k in plan), None)
    return {"n_formula": nf, "width_option": p["width_option"], "lo": lo, "hi": hi, "censored": hi is None,
            "n_cap": p["n_cap"], "slack": nf / hi if hi else None,
            "slack_low": nf / hi if hi else None, "slack_high": nf / max(lo, 1) if hi else None,
            "constant": constant, "constant_min": constant * hi / nf if (constant and hi) else None,
            "formula_trial": formula, "trials": [trials[k] for k in sorted(trials)]}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Search the minimal holding width for every variant × ε; slack and implied constant per variant."""
    cfg = {**DEFAULTS, **config}
    labs = [v for v in variants() if v["available"] and (not cfg.get("labels") or v["label"] in cfg["labels"])]
    pts = [{"construction": v["construction"], "options": v["options"], "widths": list(cfg["widths"]),
            "eps": e, "delta": cfg["delta"], "w_max": cfg["w_max"], "x_max": cfg["x_max"],
            "family": cfg["family"], "master_seed": cfg["master_seed"], "n_seeds": cfg["n_seeds"],
            "n_cap": cfg["n_cap"], "resolution": cfg["resolution"], "alpha": cfg["alpha"],
            "label": v["label"], "criterion": "rate_verdict holds"}
           for v in labs for e in (cfg.get("eps_by_label") or {}).get(v["label"], cfg["eps"])]
    recs = run_sweep(data_path("sweep_minwidth", cfg), pts, fn=search, desc="min width")
    series: dict[str, dict[str, Any]] = {}
    for r in recs:
        s = series.setdefault(r["params"]["label"], {"rows": []})
        s["rows"].append({"eps": r["params"]["eps"], **r["result"]})
    for v in labs:
        series.setdefault(v["label"], {"rows": []})
    for s in series.values():
        sl = [r["slack"] for r in s["rows"] if r["slack"] is not None]
        s["slack_min"] = min(sl) if sl else None
        s["slack_max"] = max(sl) if sl else None
        cm = [r["constant_min"] for r in s["rows"] if r["constant_min"] is not None]
        s["constant_min"] = max(cm) if cm else None
        s["constant"] = next((r["constant"] for r in s["rows"] if r["constant"] is not None), None)
        s["censored_eps"] = [r["eps"] for r in s["rows"] if r["censored"]]
        s["formula_verdicts"] = {f"{r['eps']:g}": (r["formula_trial"] or {}).get("verdict", "not run (G too large)")
                                 for r in s["rows"]}
    omitted = {v["label"]: "not searched at this scale (cost)" for v in variants()
               if v["label"] in (cfg.get("eps_by_label") or {}) and not cfg["eps_by_label"][v["label"]]}
    omitted |= {v["label"]: "construction not registered" for v in variants() if not v["available"]}
    fails = [t for s in series.values() for r in s["rows"] if r["formula_trial"] for t in [r["formula_trial"]]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "series": series,
            "omitted": omitted, "holds_max_k": holds_max_failures(cfg["n_seeds"], cfg["delta"], cfg["alpha"]),
            "formula_failures": {"k": sum(t["k"] for t in fails), "n": sum(t["n"] for t in fails)},
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log-log: formula width (line), measured minimal holding width (markers, bracket as error bar),
    censored searches (arrow up from the search limit)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        rows = s["rows"]
        if not rows:
            continue
        col = f"C{i}"
        ax.plot([r["eps"] for r in rows], [r["n_formula"] for r in rows], "--", color=col,
                label=formula_label(f"{label}"))
        emp = [r for r in rows if not r["censored"]]
        if emp:
            ax.errorbar([r["eps"] for r in emp], [r["hi"] for r in emp],
                        yerr=[[r["hi"] - max(r["lo"], 1) for r in emp], [0] * len(emp)], fmt="o", color=col,
                        ms=4, capsize=2, label=measured_label(f"{label}: minimal holding width (lo, hi]"))
        cen = [r for r in rows if r["censored"]]
        if cen:
            ax.plot([r["eps"] for r in cen], [r["n_cap"] for r in cen], "^", color=col, ms=8, mfc="none",
                    label=measured_label(f"{label}: none holds ≤ search limit"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε")
    ax.set_ylabel("width (n_samples per group / block; Burkholz: ρ)")
    c = data["config"]
    ax.set_title(f"Minimal width where rate_verdict(k, {c['n_seeds']}, δ={c['delta']:g}) = holds "
                 f"(k ≤ {data['holds_max_k']})", fontsize=8)
    if data["omitted"]:
        ax.text(0.01, 0.01, "not shown: " + "; ".join(f"{k} ({v})" for k, v in sorted(data["omitted"].items())),
                transform=ax.transAxes, fontsize=6, va="bottom")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: slack range, censored points, implied constants, formula-width verdicts."""
    c = data["config"]
    parts = []
    for k, s in sorted(data["series"].items()):
        if not s["rows"]:
            continue
        bits = []
        if s["slack_min"] is not None:
            bits.append(f"slack ×{s['slack_min']:.3g}–{s['slack_max']:.3g}")
        if s["censored_eps"]:
            bits.append(f"no holding width ≤ {c['n_cap']} at ε = " + ", ".join(f"{e:g}" for e in s["censored_eps"]))
        if s["constant_min"] is not None:
            bits.append(f"implied C ≥ {s['constant_min']:.3g} vs C = {s['constant']:g} in use"
                        + (" (formula width too small)" if s["constant_min"] > s["constant"] else ""))
        bits.append("formula width: " + ", ".join(f"ε={e} {v}" for e, v in s["formula_verdicts"].items()))
        parts.append(f"{k}: " + "; ".join(bits))
    om = "; ".join(f"{k}: {v}" for k, v in sorted(data["omitted"].items()))
    f = data["formula_failures"]
    return (f"Smallest width at which the ledger's rule rate_verdict(k, n = {c['n_seeds']}, δ = {c['delta']:g}) "
            f"says holds (k ≤ {data['holds_max_k']} failures; markers, bar = bisection bracket (lo, hi]) against "
            f"the width formula (dashed); triangles: censored at the search limit. At the formula widths "
            f"{failure_phrase(f['k'], f['n'])} seeds. " + " | ".join(parts) + (f" | Not shown: {om}." if om else "."))
