"""Per-layer certified error against the R8 propagation bound (§8 item 11).

From the shared depth sweep (``sweep_depth.json``, resumed): per ticket and stage ``i``,
``SupError.per_stage_certified[i]`` against ``bounds.propagation_bound`` with (a) the measured
per-layer weight error ``η_i = SupError.per_layer_weight_error[i]`` (must dominate: the certificate
is R8 with measured deviations and interval bounds) and (b) the planned precision ``η`` (closed form
≤ ε by construction of η).
"""

from __future__ import annotations

from typing import Any

from slt_check import bounds
from slt_check.plotting import data_path, load_figure_module, read_json, write_json
from slt_check.targets import default_target_seed, random_target
from slt_check.ticket import versions

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
    ratios = [b / c for r in rows
              for c, b in zip(r["per_stage_certified"], r["bound_planned_eta"], strict=True) if c > 0]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "rows": rows,
            "slack_planned_over_certified_min": min(ratios), "slack_planned_over_certified_max": max(ratios),
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Per stage: certified (dots) vs R8 with measured η (crosses) and planned η (line), log y."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    deepest = max(r["l"] for r in data["rows"])
    for i, l in enumerate(sorted({r["l"] for r in data["rows"]})):
        if l not in (1, 2, deepest) and l != (deepest + 1) // 2 + 1:
            continue
        rs = [r for r in data["rows"] if r["l"] == l]
        st = list(range(1, l + 1))
        r0 = rs[0]
        ax.plot(st, r0["bound_planned_eta"], "_-", ms=10, color=f"C{i}", label=f"l={l}: R8 bound, planned η")
        for j, r in enumerate(rs):
            ax.plot(st, r["bound_measured_eta"], "x", color=f"C{i}", label=f"l={l}: R8, measured η" if j == 0 else None)
            ax.plot(st, r["per_stage_certified"], "o", mfc="none", color=f"C{i}",
                    label=f"l={l}: certified" if j == 0 else None)
    ax.axhline(data["config"]["eps"], color="k", ls=":", label="ε")
    ax.set_yscale("log")
    ax.set_xlabel("target layer (stage) i")
    ax.set_ylabel("error bound after layer i")
    ax.set_title("Per-layer error against the propagation bound (R8)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: slack of R8 with planned η over the certified error."""
    return ("Per-layer certified error (circles) ≤ R8 with measured η (crosses) ≤ R8 with planned η (lines); "
            f"planned/certified = {data['slack_planned_over_certified_min']:.3g}"
            f"–{data['slack_planned_over_certified_max']:.3g}.")
