"""Width and kept neurons against δ, target width, w_max and x_max: "logarithmic in all variables but depth".

Orseau's construction (per input) on the standard sweep axes (``slt_check.experiments.sweep.AXES``) around one
base point (shared sweep ``sweep_axes.json``), over a pre-registered seed grid.

* **formula** (lines): ``N_w = ⌈8M ln(2MW/δ)⌉`` (R5, with ``M`` from η of R8) and ``100·M``; these
  grow logarithmically *by construction* — the figure shows their size, it does not test R10.
* **measured** (markers, mean with 95 % t-interval over the seeds): kept intermediate neurons per
  target weight; the fitted slope per decade of the parameter (``plotting.slope_ci`` over every
  (seed, value) pair) with its 95 % interval is the measured growth.
* failures (not built, not ok, certified > ε): crosses, counted in the caption.

Claims: R10 (N_w logarithmic in 1/δ, n_i, w_max, x_max), R9 (certified ≤ ε).
"""

from __future__ import annotations

import math
from typing import Any

from slt_check.experiments.plotting import (
    data_path,
    failure_phrase,
    formula_label,
    mean_ci,
    measured_label,
    read_json,
    slope_ci,
    write_json,
)
from slt_check.experiments.sweep import AXES, axis_points, default_seeds, run_sweep
from slt_check.tickets.ticket import versions

NAME = "axes"
PANELS = ("delta", "width", "w_max", "x_max")
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"n_seeds": 3, "values": {"delta": [0.2, 0.01], "width": [1, 3], "w_max": [0.5, 2.0],
                                       "x_max": [0.5, 2.0]}},
    "quick": {"n_seeds": 10, "values": {"delta": [0.2, 0.01, 0.001], "width": [1, 2, 8], "w_max": [0.25, 1.0, 4.0],
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
                         "kept_per_weight_seeds": kept, "kept_per_weight": mean_ci(kept) if kept else None,
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
    """Four panels (log x, ticks at the swept values): formula N_w and 100·M (lines), measured kept/weight."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    fig, axs = plt.subplots(1, 4, figsize=(10, 3.0), sharey=True)
    names = {"delta": "δ", "width": "hidden width n", "w_max": "w_max", "x_max": "x_max"}
    for ax, axis in zip(axs, PANELS, strict=True):
        rows = data["panels"][axis]
        x = [r["value"] for r in rows]
        ax.plot(x, [r["n_formula"] for r in rows], "-", label=formula_label("N_w"))
        ax.plot(x, [100 * r["M"] for r in rows], "--", label=formula_label("100·M"))
        good = [r for r in rows if r["kept_per_weight"]]
        c = [r["kept_per_weight"] for r in good]
        ax.errorbar([r["value"] for r in good], [v["mean"] for v in c],
                    yerr=[[v["mean"] - v["low"] for v in c], [v["high"] - v["mean"] for v in c]], fmt="o",
                    color="C2", ms=4, capsize=2, label=measured_label("kept per weight (95 % CI)"))
        bad = [r["value"] for r in rows for f in r["failed"] if f]
        if bad:
            ax.plot(bad, [1.0] * len(bad), "x", color="C3", ms=7, label=measured_label("failed seed"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_major_locator(FixedLocator(x))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.set_xlabel(names[axis])
        worst = max((cc for r in rows for cc in r["certified"] if cc is not None), default=float("nan"))
        ax.set_title(f"max certified = {worst:.2g}", fontsize=7)
    axs[0].set_ylabel("neurons per block / per weight")
    handles, labels = axs[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=7)
    n = data["config"]["n_seeds"]
    fig.suptitle(f"Orseau ({data['config']['sharing']}) around widths {data['config']['widths']}, "
                 f"ε = {data['config']['eps']:g}, {n} seeds per point", fontsize=9, y=1.06)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: formula N_w range per axis; measured kept-per-weight slope per decade; failures."""
    parts = []
    for a in PANELS:
        rows, sl = data["panels"][a], data["kept_slope_per_decade"][a]
        s = f"{a}: formula N_w {rows[0]['n_formula']}→{rows[-1]['n_formula']}"
        if sl:
            s += f", measured kept/weight {sl['slope']:.2f} [{sl['low']:.2f}, {sl['high']:.2f}] per decade"
        parts.append(s)
    f = data["failures"]
    return ("Lines are formulas (N_w and 100·M, logarithmic in each parameter by construction); markers are "
            f"measured kept neurons per weight (mean, 95 % t-interval, {data['config']['n_seeds']} seeds). "
            + "; ".join(parts) + f". {failure_phrase(f['k'], f['n'])} seeds.")
