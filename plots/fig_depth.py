"""Depth dependence (§8 item 16): digits, per-weight error and sup error against depth l.

Left panel — the claim "the digits needed grow at most linearly in depth", measured: the fewest digits
``M_min(l)`` with which every seed gives a certified ε-ticket (ledger claim P-depth, read from the ledger's
results, not recomputed) beside the linear bound built from the measured ``M_min(1)``,
``M_min(1) + (l−1)⌈log_γ(n(w_max+1))⌉ + log_γ l + 1`` (``bounds.depth_linear_digit_bound``), and the
planned ``M(l)`` (formula).

Right panel — each formula beside the quantity it bounds, on built tickets of the shared depth sweep
(``sweep_depth.json``; widths ``(n_0, n, …, n, n_l)``, ``l = 1 … 6``, pre-registered seeds): the measured
largest per-layer weight error ``max_i |ŵ_i − w_i|`` beside the planned precision η(l) (R8 closed form,
``bounds.per_weight_precision``), and the measured certified sup error beside ε. Geometric means over the
successful seeds with 95 % t-intervals; failed seeds (not built, not ok, or certified > ε) as crosses at
their certified error.
"""

from __future__ import annotations

from typing import Any

from slt_check.claims.success import DEPTH_CASE
from slt_check.core import bounds
from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    data_path,
    failure_phrase,
    formula_label,
    ledger_claim,
    ledger_record,
    legend_below,
    mean_ci,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.experiments.sweep import axis_points, default_seeds, run_sweep
from slt_check.tickets.ticket import versions

NAME = "depth"
READS_LEDGER = True
"""This figure shows ledger quantities: the report passes it its run's ``claims.json`` (``ledger_results``)."""
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"depths": [1, 2, 3], "n_seeds": 3},
    "quick": {"depths": [1, 2, 3, 4, 5, 6], "n_seeds": 10},
    "full": {"depths": [1, 2, 3, 4, 5, 6], "n_seeds": 30, "widths": [3, 4, 2]},
}
DEFAULTS = {"widths": [2, 3, 1], "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0,
            "sharing": "per_input", "family": "uniform", "master_seed": 3}


def depth_records(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Run (or resume) the depth sweep shared with ``fig_propagation``."""
    c = {**DEFAULTS, **cfg}
    base = {"construction": "orseau", "options": {"sharing": c["sharing"]}, "widths": list(c["widths"]),
            "eps": c["eps"], "delta": c["delta"], "w_max": c["w_max"], "x_max": c["x_max"],
            "family": c["family"], "seeds": default_seeds(c["master_seed"], c["n_seeds"])}
    return run_sweep(data_path("sweep_depth", c), axis_points(base, "depth", c["depths"]), desc="depth sweep")


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per depth: η, planned M, measured weight and sup errors; the ledger's M_min(l) and its linear bound."""
    cfg = {**DEFAULTS, **config}
    recs = depth_records(cfg)
    rows = []
    for r in recs:
        ws, plan = r["params"]["widths"], r["result"]["plan"]
        l = len(ws) - 1
        eta = bounds.per_weight_precision(cfg["eps"], ws, cfg["w_max"], cfg["x_max"])
        seeds = r["result"]["seeds"]
        failed = [(not s.get("built", True)) or (not s["ok"]) or s["certified"] > cfg["eps"] for s in seeds]
        good = [s for s, f in zip(seeds, failed, strict=True) if not f]
        werr = [max(s["per_layer_weight_error"]) for s in good if max(s["per_layer_weight_error"]) > 0]
        cert = [s["certified"] for s in good]
        rows.append({"failed": failed, "certified_ci": mean_ci(cert, log=True) if good else None,
                     "weight_error_max": [max(s["per_layer_weight_error"]) if s.get("built", True) else None
                                          for s in seeds],
                     "weight_error_ci": mean_ci(werr, log=True) if werr else None,
                     "l": l, "widths": ws, "eta": eta, "M": bounds.n_digits(cfg["w_max"], eta), "M_plan": plan["M"],
                     "n_formula": plan["n_samples_formula"], "G_neurons": plan["G_neurons"],
                     "certified": [s["certified"] for s in seeds], "found": [s["found"] for s in seeds],
                     "ok": [s["ok"] for s in seeds]})
    results, where = ledger_record(cfg)
    pd = ledger_claim(results, "P-depth")
    lrows = [dict(r) for r in pd["details"]["rows"]]  # every depth, l = 1 (the anchor) included
    fails = [f for r in rows for f in r["failed"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k not in ("data_dir", "ledger_results")},
            "rows": rows, "ledger_depth": {"rows": lrows, "verdict": pd["verdict"], "case": dict(DEPTH_CASE),
                                           "source": where},
            "failures": {"k": sum(fails), "n": len(fails)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Left: measured M_min(l) against its linear bound; right: weight error against η, sup error against ε."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 2.7))
    ld = data["ledger_depth"]["rows"]
    a1.plot([r["depth"] for r in ld], [r["bound"] for r in ld], "k--",
            label=formula_label("linear bound from M_min(1)"))
    a1.plot([r["depth"] for r in ld], [r["plan_M"] for r in ld], "-", color="C0", label=formula_label("planned M(l)"))
    a1.plot([r["depth"] for r in ld], [r["minimal_M"] for r in ld], "o", color="C3",
            label=measured_label(f"fewest digits M_min(l), {data['ledger_depth']['case']['n_seeds']} seeds"))
    a1.set_xticks([r["depth"] for r in ld])
    a1.set_xlabel("target depth l")
    a1.set_ylabel("digits per weight")
    a1.set_title("(a) digits against depth")
    rows = data["rows"]
    ls = [r["l"] for r in rows]
    a2.plot(ls, [r["eta"] for r in rows], "-", color="C2", label=formula_label("η(l), bound on the weight error"))
    for key, col, name in (("weight_error_ci", "C2", "largest per-layer weight error"),
                           ("certified_ci", "C4", "certified sup error")):
        good = [r for r in rows if r[key]]
        c = [r[key] for r in good]
        a2.errorbar([r["l"] for r in good], [v["mean"] for v in c],
                    yerr=[[v["mean"] - v["low"] for v in c], [v["high"] - v["mean"] for v in c]], fmt="o",
                    color=col, ms=3.5, capsize=2, label=measured_label(name))
    bad = [(r["l"], cc) for r in rows for cc, f in zip(r["certified"], r["failed"], strict=True) if f and cc]
    if bad:
        a2.plot(*zip(*bad, strict=True), "x", color="C4", ms=6, label=measured_label("failed seed, certified error"))
    a2.axhline(data["config"]["eps"], color="C4", ls=":", label=reference_label(f"ε = {data['config']['eps']:g}"))
    a2.set_yscale("log")
    a2.set_xticks(ls)
    a2.set_xlabel("target depth l")
    a2.set_ylabel("error")
    a2.set_title("(b) errors against their bounds")
    legend_below(fig, [a1, a2], ncol=3)
    return fig


def caption(data: dict[str, Any]) -> str:
    """The claim, the targets, n per point, the intervals; measured digits against the bound; failures."""
    c, ld = data["config"], data["ledger_depth"]
    lc = ld["case"]
    r0, r1 = data["rows"][0], data["rows"][-1]
    f = data["failures"]
    worst = max(r["certified_ci"]["high"] for r in data["rows"] if r["certified_ci"])
    return ("Claim (§8 item 16): the digits needed per weight grow at most linearly in depth. (a) Fewest digits "
            f"M_min(l) with which all {lc['n_seeds']} seeds give a certified ε-ticket (ε = {lc['eps']:g}, one width-"
            f"{lc['width']} target per depth; ledger claim P-depth, {ld['verdict']}, read from {ld['source']}): "
            + ", ".join(f"l = {r['depth']}: {r['minimal_M']} ≤ {r['bound']:.1f}" for r in ld["rows"])
            + f". (b) Built tickets at the planned width (ε = {c['eps']:g}, widths "
            f"{r1['widths']} truncated to depth l, {c['n_seeds']} seeds per depth, each its own target and G): "
            "largest per-layer weight error against η(l) and certified sup error against ε, geometric mean over "
            f"successful seeds with 95 % t-intervals; η {r0['eta']:.2g} → {r1['eta']:.2g}; largest upper 95 % limit "
            f"of the certified error {worst:.2g}; {failure_phrase(f['k'], f['n'])} seeds (crosses).")
