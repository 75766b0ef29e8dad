"""Failure rate against width, with δ and Clopper–Pearson intervals (R5, §8 items 9 and 13).

Orseau's construction at one ε: for each width ``N`` on a grid around the formula width, the
failures over ONE pre-registered seed grid (:func:`slt_check.experiments.minwidth.failures_at`, no early stop;
failure = ticket not ok or certified > ε), the 95 % CP interval, δ, the formula width and the R5
union bound ``2M·W·(1 − 1/(8M))^N`` (``bounds.coverage_failure_bound``), and the ledger's verdict
(:func:`slt_check.core.stats.rate_verdict`, claimed rate δ) at each width.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slt_check.constructions import Problem, get_construction
from slt_check.core import bounds
from slt_check.core.stats import failure_rate_test, rate_verdict, seed_grid
from slt_check.experiments.minwidth import failures_at
from slt_check.experiments.plotting import (
    data_path,
    failure_phrase,
    formula_label,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.experiments.sweep import run_sweep
from slt_check.tickets.ticket import versions

NAME = "failure"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"fractions": [0.4, 1.0], "n_seeds": 20, "widths": [2, 2, 1], "eps": 1e-1},
    "quick": {"fractions": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2], "n_seeds": 100},
    "full": {"fractions": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.4], "n_seeds": 1000},
}
DEFAULTS = {"widths": [2, 3, 1], "eps": 1e-2, "delta": 0.1, "sharing": "per_input", "w_max": 1.0,
            "x_max": 1.0, "family": "uniform", "master_seed": 2, "alpha": 1e-3}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Failure counts at ``N = round(f · N_formula)`` for each fraction ``f``."""
    cfg = {**DEFAULTS, **config}
    prob = Problem(tuple(cfg["widths"]), cfg["eps"], cfg["delta"], w_max=cfg["w_max"], x_max=cfg["x_max"])
    opts = {"sharing": cfg["sharing"]}
    plan = get_construction("orseau", **opts).plan(prob)
    nf = int(plan["n_samples_formula"])
    seeds = seed_grid(cfg["master_seed"], cfg["n_seeds"])

    def evaluate(p: dict[str, Any]) -> dict[str, Any]:
        t = failures_at("orseau", opts, prob, p["n_samples"], p["seeds"], cfg["family"], early_stop=False)
        return asdict(t)

    pts = [{"eps": cfg["eps"], "delta": cfg["delta"], "widths": list(cfg["widths"]), "options": opts,
            "n_samples": max(1, round(f * nf)), "seeds": seeds, "family": cfg["family"]}
           for f in cfg["fractions"]]
    rows = []
    for r in run_sweep(data_path("sweep_failure", cfg), pts, fn=evaluate, desc="failure rate"):
        t = r["result"]
        ub = bounds.coverage_failure_bound(plan["M"], prob.n_weights, t["n_samples"])
        v = failure_rate_test(t["k"], t["n"], ub, cfg["alpha"]) if ub < 1 else None
        rows.append(t | {"rate": t["k"] / t["n"], "union_bound": ub,
                         "bound_violated": bool(v.violated) if v else False,
                         "verdict": rate_verdict(t["k"], t["n"], cfg["delta"]).verdict})
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"},
            "n_formula": nf, "M": plan["M"], "rows": rows,
            "failures": {"k": sum(r["k"] for r in rows), "n": sum(r["n"] for r in rows)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Failure rate with CP error bars, δ, the R5 union bound and the formula width."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    rows = data["rows"]
    x = [r["n_samples"] for r in rows]
    y = [r["rate"] for r in rows]
    ax.errorbar(x, y, yerr=[[r["rate"] - r["cp_low"] for r in rows], [r["cp_high"] - r["rate"] for r in rows]],
                fmt="o", capsize=3, label=measured_label(f"failure rate ({rows[0]['n']} seeds, 95 % CP)"))
    ax.plot(x, [min(1.0, r["union_bound"]) for r in rows], "-", color="C1",
            label=formula_label("R5 union bound 2MW(1−1/8M)^N"))
    ax.axhline(data["config"]["delta"], color="k", ls=":", label=reference_label(f"δ = {data['config']['delta']:g}"))
    ax.axvline(data["n_formula"], color="C2", ls="--", label=formula_label(f"width N_w = {data['n_formula']}"))
    ax.set_xlabel("sampled neurons per block (n_samples)")
    ax.set_ylabel("failure rate")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Orseau ({data['config']['sharing']}), ε = {data['config']['eps']:g}, M = {data['M']}")
    ax.legend(loc="best")
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: failures and verdicts at and above the formula width, all failures."""
    at = [r for r in data["rows"] if r["n_samples"] >= data["n_formula"]]
    s = ", ".join(f"{r['k']}/{r['n']} at N={r['n_samples']} (CP {r['cp_low']:.3f}–{r['cp_high']:.3f}, {r['verdict']})"
                  for r in at)
    f = data["failures"]
    return (f"Measured failure rate (95 % Clopper–Pearson bars, the same {data['rows'][0]['n']} pre-registered "
            f"seeds at every width) against width, δ = {data['config']['delta']:g}; lines: R5 union bound and the "
            f"formula "
            f"width N_w = {data['n_formula']} (formulas). At or above N_w: {s}. All widths: "
            f"{failure_phrase(f['k'], f['n'])} seed-width pairs.")
