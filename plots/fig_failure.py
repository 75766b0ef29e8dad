"""Failure rate against width for every construction, with δ and Clopper–Pearson intervals (R5, R10, peers).

At one ε, each construction (Orseau per weight and per input, Pensia, Malach, Burkholz) is built at widths
``N = round(f · N_formula)`` for fractions ``f`` of its own formula width, over ONE pre-registered seed grid
(:func:`slt_check.experiments.minwidth.failures_at`, no early stop; every seed draws its own target and its
own ``G``; failure = ticket not ok or certified sup error > ε). Drawn: the failure rate with its exact 95 %
Clopper–Pearson interval, δ, and for Orseau the R5 union bound ``2M·W·(1 − 1/(8M))^N``
(``bounds.coverage_failure_bound``); the ledger's verdict (:func:`slt_check.core.stats.rate_verdict`,
claimed rate δ) at each width.

Failure accounting: the claims say ``P(fail) ≤ δ`` *at and above* the formula width. Failures below it are
expected (the figure shows how fast they vanish) and are not counted as failures of the claim; the tally
``failed k/n`` counts the seeds at widths ≥ ``N_formula`` only.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.stats import failure_rate_test, rate_verdict, seed_grid
from slt_check.experiments.minwidth import failures_at, width_option_of
from slt_check.experiments.plotting import (
    COLUMN_WIDTH,
    data_path,
    display_name,
    failure_phrase,
    formula_label,
    legend_below,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.experiments.sweep import run_sweep, variants
from slt_check.tickets.ticket import versions

NAME = "failure"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"fractions": [0.4, 1.0], "n_seeds": 20, "eps": 1e-1, "labels": ["orseau/per_input"]},
    "quick": {"fractions": [0.25, 0.5, 0.75, 1.0, 1.25], "n_seeds": 60},
    "full": {"fractions": [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5], "n_seeds": 500},
}
DEFAULTS = {"widths": [2, 2], "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform",
            "master_seed": 2, "alpha": 1e-3}


def _evaluate(p: dict[str, Any]) -> dict[str, Any]:
    """Failures of the full seed grid at one width (module level: the sweep may ship it to workers)."""
    prob = Problem(tuple(p["widths"]), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"])
    t = failures_at(p["construction"], p["options"], prob, p["n_samples"], p["seeds"], p["family"],
                    early_stop=False, width_option=p["width_option"])
    return asdict(t)


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Failure counts at ``N = round(f · N_formula)`` for each construction and fraction ``f``."""
    cfg = {**DEFAULTS, **config}
    prob = Problem(tuple(cfg["widths"]), cfg["eps"], cfg["delta"], w_max=cfg["w_max"], x_max=cfg["x_max"])
    seeds = seed_grid(cfg["master_seed"], cfg["n_seeds"])
    labs = [v for v in variants() if v["available"] and (not cfg.get("labels") or v["label"] in cfg["labels"])]
    series: dict[str, Any] = {}
    for v in labs:
        plan = get_construction(v["construction"], **v["options"]).plan(prob)
        wopt = width_option_of(v["construction"], plan)
        nf = int(getattr(plan, f"{wopt}_formula"))
        pts = [{"construction": v["construction"], "options": v["options"], "width_option": wopt,
                "eps": cfg["eps"], "delta": cfg["delta"], "widths": list(cfg["widths"]), "w_max": cfg["w_max"],
                "x_max": cfg["x_max"], "n_samples": max(1, round(f * nf)), "seeds": seeds, "family": cfg["family"]}
               for f in cfg["fractions"]]
        rows = []
        for r in run_sweep(data_path("sweep_failure", cfg), pts, fn=_evaluate, desc=f"failure rate {v['label']}"):
            t = r["result"]
            ub = bounds.coverage_failure_bound(plan.M, prob.n_weights, t["n_samples"]) \
                if v["construction"] == "orseau" else None
            bv = failure_rate_test(t["k"], t["n"], ub, cfg["alpha"]) if ub is not None and ub < 1 else None
            rows.append(t | {"fraction": t["n_samples"] / nf, "rate": t["k"] / t["n"], "union_bound": ub,
                             "bound_violated": bool(bv.violated) if bv else False,
                             "verdict": rate_verdict(t["k"], t["n"], cfg["delta"], cfg["alpha"]).verdict})
        above = [r for r in rows if r["n_samples"] >= nf]
        series[v["label"]] = {"n_formula": nf, "width_option": wopt, "M": getattr(plan, "M", None), "rows": rows,
                              "failures": {"k": sum(r["k"] for r in above), "n": sum(r["n"] for r in above)},
                              "below_formula": {"k": sum(r["k"] for r in rows if r not in above),
                                                "n": sum(r["n"] for r in rows if r not in above)}}
    fails = [s["failures"] for s in series.values()]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "series": series,
            "failures": {"k": sum(f["k"] for f in fails), "n": sum(f["n"] for f in fails)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Failure rate (CP bars) against width ÷ formula width per construction, δ, Orseau's union bound."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    n = len(data["series"])
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        col, rows = f"C{i}", s["rows"]
        x = [r["fraction"] * (1 + 0.015 * (i - n / 2)) for r in rows]
        ax.errorbar(x, [r["rate"] for r in rows],
                    yerr=[[r["rate"] - r["cp_low"] for r in rows], [r["cp_high"] - r["rate"] for r in rows]],
                    fmt="o", color=col, ms=3.5, capsize=2, label=measured_label(display_name(label)))
        if label.startswith("orseau") and any(r["union_bound"] is not None for r in rows):
            ax.plot([r["fraction"] for r in rows], [min(1.0, r["union_bound"]) for r in rows], "-", color=col,
                    lw=0.9, label=formula_label(f"union bound, {display_name(label)}"))
    ax.axhline(data["config"]["delta"], color="k", ls=":", label=reference_label(f"δ = {data['config']['delta']:g}"))
    ax.axvline(1.0, color="0.5", ls="--", lw=0.8, label=reference_label("formula width"))
    ax.set_xlabel("width ÷ formula width")
    ax.set_ylabel("failure rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Failure rate against width, ε = {data['config']['eps']:g}")
    legend_below(fig, ax, ncol=2)
    return fig


def caption(data: dict[str, Any]) -> str:
    """The claim, targets, n per point, intervals; per construction: failures and verdict at N ≥ N_formula."""
    c = data["config"]
    parts = []
    for label, s in sorted(data["series"].items()):
        at = [r for r in s["rows"] if r["n_samples"] >= s["n_formula"]]
        bits = ", ".join(f"{r['k']}/{r['n']} at {r['fraction']:.2g}×N_f (CP {r['cp_low']:.3f}–{r['cp_high']:.3f}, "
                         f"{r['verdict']})" for r in at)
        parts.append(f"{display_name(label)} (N_f = {s['n_formula']}): {bits}")
    f = data["failures"]
    return (f"Claim (R5/R10 and each peer's theorem): at its formula width N_f a construction fails with probability "
            f"≤ δ = {c['delta']:g}. Measured failure rate (a seed fails when its ticket is not ok or its certified "
            f"sup error exceeds ε = {c['eps']:g}) at fractions of each construction's formula width, the same "
            f"{c['n_seeds']} pre-registered seeds at every width, every seed its own random "
            f"{'-'.join(map(str, c['widths']))} target (uniform weights) and G; bars: exact 95 % Clopper–Pearson "
            "intervals; line: Orseau's R5 union bound 2MW(1−1/8M)^N. Failures below N_f are expected and not "
            f"counted; at or above N_f: {failure_phrase(f['k'], f['n'])} seeds — " + "; ".join(parts) + ".")
