"""Width and error against δ, target width, w_max and x_max: "logarithmic in all variables but depth".

Orseau's construction (per input) on the standard sweep axes (``slt_check.sweep.AXES``) around one
base point: the formula width ``N_w = ⌈8M ln(2MW/δ)⌉`` (R5, with ``M`` from η of R8) and G's
neurons per target weight, and the certified sup error of built tickets (shared sweep
``sweep_axes.json``). Claims: R10 (N_w logarithmic in 1/δ, n_i, w_max, x_max), R9 (certified ≤ ε).
"""

from __future__ import annotations

from typing import Any

from slt_check.plotting import data_path, read_json, write_json
from slt_check.sweep import AXES, axis_points, default_seeds, run_sweep
from slt_check.ticket import versions

NAME = "axes"
PANELS = ("delta", "width", "w_max", "x_max")
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"n_seeds": 1, "values": {"delta": [0.2, 0.01], "width": [1, 3], "w_max": [0.5, 2.0],
                                       "x_max": [0.5, 2.0]}},
    "quick": {"n_seeds": 1},
    "full": {"n_seeds": 5, "widths": [3, 4, 2]},
}
DEFAULTS = {"widths": [2, 3, 1], "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0,
            "sharing": "per_input", "family": "uniform", "master_seed": 5, "values": {}}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """One row per (axis, value): formula width, G neurons per weight, certified/found error."""
    cfg = {**DEFAULTS, **config}
    base = {"construction": "orseau", "options": {"sharing": cfg["sharing"]}, "widths": list(cfg["widths"]),
            "eps": cfg["eps"], "delta": cfg["delta"], "w_max": cfg["w_max"], "x_max": cfg["x_max"],
            "family": cfg["family"], "seeds": default_seeds(cfg["master_seed"], cfg["n_seeds"])}
    panels = {}
    for axis in PANELS:
        vals = cfg["values"].get(axis, AXES[axis])
        recs = run_sweep(data_path("sweep_axes", cfg), axis_points(base, axis, vals), desc=f"axis {axis}")
        rows = []
        for v, r in zip(vals, recs, strict=True):
            res = r["result"]
            rows.append({"value": v, "n_formula": res["plan"]["n_samples_formula"], "M": res["plan"]["M"],
                         "G_neurons_per_weight": res["seeds"][0]["sizes"]["G_neurons_per_weight"],
                         "certified": [s["certified"] for s in res["seeds"]],
                         "found": [s["found"] for s in res["seeds"]], "ok": [s["ok"] for s in res["seeds"]]})
        panels[axis] = rows
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "panels": panels,
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Four panels (log x): N_w and M·100 against each parameter; ε/certified annotated."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    fig, axs = plt.subplots(1, 4, figsize=(9.6, 2.8), sharey=True)
    names = {"delta": "δ", "width": "hidden width n", "w_max": "w_max", "x_max": "x_max"}
    for ax, axis in zip(axs, PANELS, strict=True):
        rows = data["panels"][axis]
        x = [r["value"] for r in rows]
        ax.plot(x, [r["n_formula"] for r in rows], "o-", label="formula N_w")
        ax.plot(x, [100 * r["M"] for r in rows], "s--", label="100·M")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(names[axis])
        worst = max(max(r["certified"]) for r in rows)
        ax.set_title(f"max certified = {worst:.2g}", fontsize=7)
    axs[0].set_ylabel("sampled neurons per block")
    axs[0].legend(loc="best")
    fig.suptitle(f"Orseau ({data['config']['sharing']}) around widths {data['config']['widths']}, "
                 f"ε = {data['config']['eps']:g}", fontsize=9, y=1.06)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: range of N_w along each axis."""
    parts = [f"{a}: N_w {data['panels'][a][0]['n_formula']}→{data['panels'][a][-1]['n_formula']}" for a in PANELS]
    return ("Formula width and digits against δ, hidden width, w_max and x_max (log x; each grows "
            "logarithmically); every built ticket certified ≤ ε. " + "; ".join(parts) + ".")
