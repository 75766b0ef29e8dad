"""Empirical minimal width against each theorem's width formula, against ε (log axes).

Per construction variant and ε: :func:`slt_check.minwidth.find_min_width` (doubling + bisection on
``n_samples`` over ONE pre-registered seed grid; a seed fails when the ticket is not ok or its
certified sup error exceeds ε; a width works when the Clopper–Pearson upper bound of the failure
rate is ≤ δ) next to ``plan["n_samples_formula"]``. ``slack = formula ÷ empirical``. Where the CP
criterion needs more than the formula (possible when the union bound is nearly tight and the grid is
small), ``formula_trial`` records the exact binomial test of ``P(fail) ≤ δ`` at the formula width.
Results are resumable (``sweep_minwidth.json``). ``eps_by_label`` limits the ε grid of slow
constructions at a scale (quick: exact subset sums of Pensia/Burkholz cost seconds per ticket;
one ε of Burkholz's search did not finish in 7 min on 2 cores: full scale only).
Claims: R5/R10 (width formula), peers' formulas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from slt_check.constructions import Problem
from slt_check.minwidth import find_min_width, min_seeds_for
from slt_check.plotting import data_path, read_json, write_json
from slt_check.sweep import run_sweep, variants
from slt_check.ticket import versions

NAME = "minwidth"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"eps": [1e-1, 1e-3], "widths": [2, 2, 1], "delta": 0.2,
              "labels": ["orseau/per_weight", "orseau/per_input"]},
    "quick": {"eps": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "widths": [2, 3, 1], "delta": 0.1,
              "eps_by_label": {"pensia": [1e-1, 1e-2, 1e-3], "malach": [1e-1, 1e-2, 1e-3],
                               "burkholz": []}},
    "full": {"eps": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "widths": [3, 4, 2], "delta": 0.05,
             "n_seeds": 200},
}
DEFAULTS = {"delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform", "master_seed": 1,
            "n_seeds": None, "n_max_cap": 20_000}


def _evaluate(p: dict[str, Any]) -> dict[str, Any]:
    prob = Problem(tuple(p["widths"]), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"])
    r = find_min_width(p["construction"], prob, options=p["options"], family=p["family"],
                       master_seed=p["master_seed"], n_seeds=p["n_seeds"], n_cap=p["n_cap"])
    return r.as_dict() | {"consistent": r.consistent}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Find the minimal width for every variant × ε; slack and smallest constant per variant."""
    cfg = {**DEFAULTS, **config}
    n_seeds = int(cfg["n_seeds"] or min_seeds_for(cfg["delta"]) + 1)
    pts = [{"construction": v["construction"], "options": v["options"], "widths": list(cfg["widths"]),
            "eps": e, "delta": cfg["delta"], "w_max": cfg["w_max"], "x_max": cfg["x_max"],
            "family": cfg["family"], "master_seed": cfg["master_seed"], "n_seeds": n_seeds,
            "n_max": None, "n_cap": cfg["n_max_cap"], "label": v["label"], "search": 2}
           for v in variants() if not cfg.get("labels") or v["label"] in cfg["labels"]
           for e in (cfg.get("eps_by_label") or {}).get(v["label"], cfg["eps"])]
    recs = run_sweep(data_path("sweep_minwidth", cfg), pts, fn=_evaluate, desc="min width")
    series: dict[str, dict[str, Any]] = {}
    for r in recs:
        res, lab = r["result"], r["params"]["label"]
        s = series.setdefault(lab, {"rows": []})
        s["rows"].append({"eps": r["params"]["eps"], "n_formula": res["n_formula"],
                          "n_empirical": res["n_empirical"], "slack": res["slack"],
                          "constant": res["constant"], "constant_min": res["constant_min"],
                          "consistent": res["consistent"], "formula_trial": res["formula_trial"],
                          "note": res["note"]})
    for s in series.values():
        sl = [r["slack"] for r in s["rows"] if r["slack"] is not None]
        cm = [r["constant_min"] for r in s["rows"] if r["constant_min"] is not None]
        s["slack_min"] = min(sl) if sl else None
        s["slack_max"] = max(sl) if sl else None
        s["slack_geomean"] = float(np.exp(np.mean(np.log(sl)))) if sl else None
        s["constant_min"] = max(cm) if cm else None  # smallest constant consistent with every ε
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"} | {"n_seeds": n_seeds},
            "series": series, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log-log: formula width (dashed) and empirical minimal width (markers) against ε."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        rows = [r for r in s["rows"] if r["n_formula"]]
        if not rows:
            continue
        ax.plot([r["eps"] for r in rows], [r["n_formula"] for r in rows], "--", color=f"C{i}",
                label=f"{label}: formula")
        emp = [r for r in rows if r["n_empirical"]]
        if emp:
            g = s["slack_geomean"]
            ax.plot([r["eps"] for r in emp], [r["n_empirical"] for r in emp], "o-", color=f"C{i}",
                    label=f"{label}: empirical (slack ×{g:.2g})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε")
    ax.set_ylabel("sampled neurons per group / block (n_samples)")
    ax.set_title(f"Minimal width (CP upper ≤ δ = {data['config']['delta']:g}, {data['config']['n_seeds']} seeds)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line with the slack per construction."""
    parts = [f"{k} ×{s['slack_min']:.2g}–{s['slack_max']:.2g}" for k, s in sorted(data["series"].items())
             if s["slack_min"] is not None]
    return ("Smallest n_samples whose failure rate has CP upper bound ≤ δ (markers) against the width "
            "formula (dashed). Slack formula ÷ empirical: " + "; ".join(parts) + ".")
