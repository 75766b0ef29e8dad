"""Kept neurons per target weight against target width, w_max and x_max, beside the bound on them.

Orseau's construction (per input) on the standard sweep axes (``slt_check.experiments.sweep.AXES``) around one
base point (shared sweep ``sweep_axes.json``), over a pre-registered seed grid.

* **formula** (line): ``2M`` per weight (R4), the bound on the quantity drawn, with ``M`` from η of R8 —
  logarithmic in each parameter by construction.
* **measured** (markers, mean with 95 % t-interval over the seeds): kept intermediate neurons per target
  weight; the fitted slope per decade of the parameter (``plotting.slope_ci`` over every (seed, value)
  pair) with its 95 % interval is the measured growth. Failed seeds (not ok, certified > ε) as crosses at
  their own kept count.
* There is no δ panel: the digits ``M`` do not depend on δ, so the kept count at every δ comes from the
  same tickets (a slope fitted over δ would fit copies of one sample). The width's dependence on δ is the
  formula's (``N_w = ⌈8M ln(2MW/δ)⌉``) and is tested by the ledger (R10).

Claims: R4 (kept ≤ 2M per weight), R10 (logarithmic in n_i, w_max, x_max), R9 (certified ≤ ε).
"""

from __future__ import annotations

import math
from typing import Any

from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    data_path,
    failure_phrase,
    formula_label,
    legend_below,
    mean_ci,
    measured_label,
    read_json,
    slope_ci,
    write_json,
)
from slt_check.experiments.sweep import AXES, axis_points, default_seeds, run_sweep
from slt_check.tickets.ticket import versions

NAME = "axes"
PANELS = ("width", "w_max", "x_max")
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"n_seeds": 3, "values": {"width": [1, 3], "w_max": [0.5, 2.0],
                                       "x_max": [0.5, 2.0]}},
    "quick": {"n_seeds": 10, "values": {"width": [1, 2, 8], "w_max": [0.25, 1.0, 4.0],
                                        "x_max": [0.25, 1.0, 4.0]}},
    "full": {"n_seeds": 30, "widths": [3, 4, 2]},
}
DEFAULTS = {"widths": [2, 3, 1], "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0,
            "sharing": "per_input", "family": "uniform", "master_seed": 5, "values": {}}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """One row per (axis, value): formula width and M, measured kept per weight, certified/found error."""
    cfg = {**DEFAULTS, **config}
    base = {"construction": "orseau", "options": {"sharing": cfg["sharing"]}, "widths": list(cfg["widths"]),
            "eps": cfg["eps"], "delta": cfg["delta"], "w_max": cfg["w_max"], "x_max": cfg["x_max"],
            "family": cfg["family"], "seeds": default_seeds(cfg["master_seed"], cfg["n_seeds"])}
    panels, slopes = {}, {}
    for axis in PANELS:
        vals = cfg["values"].get(axis, AXES[axis])
        recs = run_sweep(data_path("sweep_axes", cfg), axis_points(base, axis, vals), desc=f"axis {axis}")
        rows = []
        for v, r in zip(vals, recs, strict=True):
            res = r["result"]
            seeds = res["seeds"]
            eps = r["params"]["eps"]
            failed = [(not s.get("built", True)) or (not s["ok"]) or s["certified"] > eps for s in seeds]
            kept = [s["kept_intermediate_per_weight"] for s in seeds if s.get("built", True)]
            rows.append({"value": v, "n_formula": res["plan"]["n_samples_formula"], "M": res["plan"]["M"],
                         "kept_per_weight_seeds": kept,
                         "kept_all": [s.get("kept_intermediate_per_weight") for s in seeds],
                         "kept_per_weight": mean_ci(kept) if kept else None,
                         "certified": [s.get("certified") for s in seeds], "found": [s.get("found") for s in seeds],
                         "ok": [s["ok"] for s in seeds], "failed": failed})
        panels[axis] = rows
        xs = [math.log10(r["value"]) for r in rows for _ in r["kept_per_weight_seeds"]]
        ys = [k for r in rows for k in r["kept_per_weight_seeds"]]
        slopes[axis] = slope_ci(xs, ys) if len(vals) >= 2 and len(xs) >= 3 else None
    fails = [f for rows in panels.values() for r in rows for f in r["failed"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "panels": panels,
            "kept_slope_per_decade": slopes, "failures": {"k": sum(fails), "n": len(fails)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Three panels (log x, ticks at the swept values): formula 2M (line), measured kept per weight."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    fig, axs = plt.subplots(1, len(PANELS), figsize=(PAGE_WIDTH, 2.4), sharey=True)
    names = {"width": "hidden width n", "w_max": "weight bound w_max", "x_max": "input bound x_max"}
    for ax, axis in zip(axs, PANELS, strict=True):
        rows = data["panels"][axis]
        x = [r["value"] for r in rows]
        ax.plot(x, [2 * r["M"] for r in rows], "k-", label=formula_label("2M, bound on kept per weight"))
        good = [r for r in rows if r["kept_per_weight"]]
        c = [r["kept_per_weight"] for r in good]
        ax.errorbar([r["value"] for r in good], [v["mean"] for v in c],
                    yerr=[[v["mean"] - v["low"] for v in c], [v["high"] - v["mean"] for v in c]], fmt="o",
                    color="C2", ms=3.5, capsize=2, label=measured_label("kept neurons per weight"))
        bad = [(r["value"], k) for r in rows for k, f in zip(r["kept_all"], r["failed"], strict=True)
               if f and k is not None]
        if bad:
            ax.plot(*zip(*bad, strict=True), "x", color="C3", ms=6, label=measured_label("failed seed"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(x))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.set_xlabel(names[axis])
    axs[0].set_ylabel("kept neurons per target weight")
    legend_below(fig, axs, ncol=3)
    return fig


def caption(data: dict[str, Any]) -> str:
    """The claim, targets, n per point, intervals; measured kept-per-weight slope per decade; failures."""
    c = data["config"]
    parts = []
    for a in PANELS:
        rows, sl = data["panels"][a], data["kept_slope_per_decade"][a]
        s = f"{a}: 2M {2 * rows[0]['M']}→{2 * rows[-1]['M']}"
        if sl:
            s += f", measured {sl['slope']:.2f} [{sl['low']:.2f}, {sl['high']:.2f}] per decade"
        parts.append(s)
    f = data["failures"]
    return ("Claim (R4, R10): a ticket keeps at most 2M neurons per target weight, and M grows logarithmically in "
            "the target's width, w_max and x_max. Orseau (per input) at the formula width, ε = "
            f"{c['eps']:g}, δ = {c['delta']:g}, around widths {'-'.join(map(str, c['widths']))} (one parameter varied "
            f"per panel), {c['n_seeds']} seeds per point, every seed its own random target and G. Markers: kept "
            "neurons per target weight, mean with 95 % t-interval; line: 2M (formula). Slope of the kept count per "
            "decade of the parameter (least squares, 95 % interval): " + "; ".join(parts)
            + f". {failure_phrase(f['k'], f['n'])} seeds (crosses). No δ panel: M does not depend on δ.")
