"""Per-layer certified error against the R8 propagation bound (§8 item 11).

From the shared depth sweep (``sweep_depth.json``, resumed): per ticket and stage ``i``,
``SupError.per_stage_certified[i]`` against ``bounds.propagation_bound`` with (a) the measured
per-layer weight error ``η_i = SupError.per_layer_weight_error[i]`` (must dominate: the certificate
is R8 with measured deviations and interval bounds) and (b) the planned precision ``η`` (closed form
≤ ε by construction of η).

The bound depends on the target, which changes with the seed, so the figure shows per seed and stage
the ratio ``certified ÷ bound`` of that seed's own target (measured ÷ formula), then the geometric
mean over the seeds with its 95 % t-interval (markers): ``≤ 1`` everywhere is the claim.
"""

from __future__ import annotations

from typing import Any

from slt_check.core import bounds
from slt_check.experiments.plotting import (
    COLUMN_WIDTH,
    data_path,
    failure_phrase,
    legend_below,
    load_figure_module,
    mean_ci,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.tickets.targets import default_target_seed, random_target
from slt_check.tickets.ticket import versions

NAME = "propagation"


_D = load_figure_module("depth")
CONFIGS = _D.CONFIGS


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per depth, seed and stage: certified, R8 bound with measured η, R8 bound with planned η."""
    cfg = {**_D.DEFAULTS, **config}
    rows = []
    for r in _D.depth_records(cfg):
        p, res = r["params"], r["result"]
        eta = res["plan"]["eta"]
        for s in res["seeds"]:
            F = random_target(p["widths"], p["w_max"], default_target_seed(s["seed"]), family=p["family"])
            Ws = F.dense_weights()
            planned = [bounds.propagation_bound(Ws[: i + 1], eta, p["x_max"]) for i in range(len(Ws))]
            rows.append({"l": len(Ws), "seed": s["seed"], "per_stage_certified": s["per_stage_certified"],
                         "bound_measured_eta": s["propagation_measured_eta"], "bound_planned_eta": planned,
                         "closed_form": bounds.propagation_bound_closed_form(eta, p["widths"], p["w_max"], p["x_max"])})
    stages = []
    for l in sorted({r["l"] for r in rows}):
        rs = [r for r in rows if r["l"] == l]
        for i in range(l):
            rp = [r["per_stage_certified"][i] / r["bound_planned_eta"][i] for r in rs
                  if r["per_stage_certified"][i] > 0]
            rm = [r["per_stage_certified"][i] / r["bound_measured_eta"][i] for r in rs
                  if r["per_stage_certified"][i] > 0 and r["bound_measured_eta"][i] > 0]
            stages.append({"l": l, "stage": i + 1, "n": len(rs),
                           "over_planned": mean_ci(rp, log=True) if rp else None,
                           "over_measured": mean_ci(rm, log=True) if rm else None})
    fails = [r["per_stage_certified"][-1] > cfg["eps"] for r in rows]
    over_measured = [c / b for r in rows for c, b in zip(r["per_stage_certified"], r["bound_measured_eta"], strict=True)
                     if b > 0]
    ratios = [b / c for r in rows
              for c, b in zip(r["per_stage_certified"], r["bound_planned_eta"], strict=True) if c > 0]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "rows": rows,
            "stages": stages, "max_certified_over_measured_bound": max(over_measured),
            "failures": {"k": sum(fails), "n": len(fails)},
            "slack_planned_over_certified_min": min(ratios), "slack_planned_over_certified_max": max(ratios),
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Per depth and stage: certified ÷ R8(planned η) (filled) and ÷ R8(measured η) (open), 95 % CI, log y."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    depths = sorted({s["l"] for s in data["stages"]})
    for i, l in enumerate(depths):
        st = [s for s in data["stages"] if s["l"] == l]
        off = 0.08 * (i - len(depths) / 2)
        for key, mfc, what in (("over_planned", f"C{i}", "planned η"), ("over_measured", "none", "measured η")):
            pts = [s for s in st if s[key]]
            if not pts:
                continue
            c = [s[key] for s in pts]
            ax.errorbar([s["stage"] + off for s in pts], [v["mean"] for v in c],
                        yerr=[[v["mean"] - v["low"] for v in c], [v["high"] - v["mean"] for v in c]],
                        fmt="o" if mfc != "none" else "s", mfc=mfc, color=f"C{i}", ms=4, capsize=2,
                        label=measured_label(f"depth {l}, {what}"))
    ax.axhline(1.0, color="k", ls=":", label=reference_label("ratio 1 (bound attained)"))
    ax.set_yscale("log")
    ax.set_xticks(range(1, max(depths, default=1) + 1))
    ax.set_xlabel("target layer i")
    ax.set_ylabel("certified error ÷ R8 bound")
    n = data["stages"][0]["n"] if data["stages"] else 0
    ax.set_title(f"Certified error over the propagation bound, {n} seeds")
    legend_below(fig, ax, ncol=2)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: ratio of certified error to R8 with planned η (per seed's own target), failures."""
    f = data["failures"]
    return ("Measured ÷ formula, per seed on its own target: certified per-layer error over R8 with the measured "
            "per-layer weight error (open, must be ≤ 1) and with the planned η (filled); geometric means with 95 % "
            f"t-intervals. Bound with planned η ÷ certified: {data['slack_planned_over_certified_min']:.3g}"
            f"–{data['slack_planned_over_certified_max']:.3g}; largest certified ÷ R8(measured η) over every seed "
            f"and stage: {data['max_certified_over_measured_bound']:.3g}. Final-stage certified > ε: "
            f"{failure_phrase(f['k'], f['n'])} tickets.")
