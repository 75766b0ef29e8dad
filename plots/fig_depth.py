"""Depth dependence: per-weight precision η, digits M and width against depth l (§8 item 16).

Widths ``(n_0, n, …, n, n_l)`` with ``l = 1 … 6``: ``η(l)`` (``bounds.per_weight_precision``, R8
closed form), ``M(l)`` (``bounds.n_digits``) against the linear bound ``M(1) + (l−1)⌈log_γ(n_max
(w_max+1))⌉ + log_γ l + 1`` (``bounds.depth_linear_digit_bound``), the formula width ``N_w(l)``,
and built tickets per depth over a pre-registered seed grid (shared depth sweep ``sweep_depth.json``).

Left panel: formulas only (lines). Right panel: the formula η(l) (line) and the *measured*
certified sup error, geometric mean over the successful seeds with its 95 % t-interval (markers);
failed seeds (not built, not ok, or certified > ε) as crosses, counted in the caption.
"""

from __future__ import annotations

from typing import Any

from slt_check.core import bounds
from slt_check.experiments.plotting import (
    data_path,
    failure_phrase,
    formula_label,
    mean_ci,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.experiments.sweep import axis_points, default_seeds, run_sweep
from slt_check.tickets.ticket import versions

NAME = "depth"
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
    """η, M, linear bound, N_w and certified error per depth."""
    cfg = {**DEFAULTS, **config}
    recs = depth_records(cfg)
    M1 = None
    rows = []
    for r in recs:
        ws, plan = r["params"]["widths"], r["result"]["plan"]
        l = len(ws) - 1
        eta = bounds.per_weight_precision(cfg["eps"], ws, cfg["w_max"], cfg["x_max"])
        M = bounds.n_digits(cfg["w_max"], eta)
        if l == 1 or M1 is None:
            eta1 = bounds.per_weight_precision(cfg["eps"], [ws[0], ws[-1]], cfg["w_max"], cfg["x_max"])
            M1 = bounds.n_digits(cfg["w_max"], eta1)
        seeds = r["result"]["seeds"]
        failed = [(not s.get("built", True)) or (not s["ok"]) or s["certified"] > cfg["eps"] for s in seeds]
        good = [s["certified"] for s, f in zip(seeds, failed, strict=True) if not f]
        rows.append({"failed": failed, "certified_ci": mean_ci(good, log=True) if good else None,
                     "l": l, "widths": ws, "eta": eta, "M": M, "M_plan": plan["M"],
                     "M_linear_bound": bounds.depth_linear_digit_bound(M1, l, max(ws), cfg["w_max"]),
                     "n_formula": plan["n_samples_formula"], "G_neurons": plan["G_neurons"],
                     "certified": [s["certified"] for s in seeds], "found": [s["found"] for s in seeds],
                     "ok": [s["ok"] for s in seeds]})
    fails = [f for r in rows for f in r["failed"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "M1": M1,
            "rows": rows, "failures": {"k": sum(fails), "n": len(fails)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Left: formulas M(l), its linear bound, N_w(l)/100; right: formula η(l) and measured certified error."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.6, 3.2))
    rows = data["rows"]
    ls = [r["l"] for r in rows]
    a1.plot(ls, [r["M"] for r in rows], "-", label=formula_label("M(l) digits per weight"))
    a1.plot(ls, [r["M_linear_bound"] for r in rows], "k--", label=formula_label("linear bound on M(l)"))
    a1.plot(ls, [r["n_formula"] / 100 for r in rows], "-.", label=formula_label("N_w(l) / 100"))
    a1.set_xlabel("target depth l")
    a1.set_ylabel("count")
    a1.set_title("formulas only", fontsize=8)
    a1.legend(loc="best", fontsize=6)
    a2.semilogy(ls, [r["eta"] for r in rows], "-", color="C3", label=formula_label("η(l) per-weight precision"))
    good = [r for r in rows if r["certified_ci"]]
    c = [r["certified_ci"] for r in good]
    a2.errorbar([r["l"] for r in good], [v["mean"] for v in c],
                yerr=[[v["mean"] - v["low"] for v in c], [v["high"] - v["mean"] for v in c]], fmt="o", color="C4",
                ms=4, capsize=2,
                label=measured_label(f"certified sup error ({data['config']['n_seeds']} seeds, 95 % CI)"))
    bad = [(r["l"], cc) for r in rows for cc, f in zip(r["certified"], r["failed"], strict=True) if f]
    if bad:
        a2.plot(*zip(*bad, strict=True), "x", color="C4", ms=7, label=measured_label("failed seed"))
    a2.axhline(data["config"]["eps"], color="k", ls=":", label=reference_label("ε"))
    a2.set_xlabel("target depth l")
    a2.legend(loc="best", fontsize=6)
    fig.suptitle(f"Depth dependence (widths {rows[-1]['widths']} truncated to depth l, ε = {data['config']['eps']:g})",
                 fontsize=9)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: formula growth of M and N_w with depth; measured certified error and failures."""
    r0, r1 = data["rows"][0], data["rows"][-1]
    f = data["failures"]
    worst = max(r["certified_ci"]["high"] for r in data["rows"] if r["certified_ci"])
    return (f"Formulas: depth l = {r0['l']}…{r1['l']}: digits M {r0['M']}→{r1['M']} (linear bound "
            f"{r1['M_linear_bound']:.1f}), N_w {r0['n_formula']}→{r1['n_formula']}, η {r0['eta']:.2g}→{r1['eta']:.2g}. "
            f"Measured ({data['config']['n_seeds']} seeds per depth): {failure_phrase(f['k'], f['n'])} seeds; "
            f"largest upper 95 % limit of the geometric-mean certified error {worst:.2g} "
            f"(ε = {data['config']['eps']:g}).")
