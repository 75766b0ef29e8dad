"""Samples and kept neurons per target weight against log₂(1/ε), every registered construction.

Data: the shared ε sweep (``sweep_eps.json``, :func:`slt_check.sweep.run_sweep`) at each
construction's own formula width. Per construction and ε: sampled neurons of ``G`` per target weight
(``Ticket.sizes()["G_neurons_per_weight"]``), kept intermediate neurons per weight, the plan's
``M``. Fitted slopes (least squares against ``log₂(1/ε)``) are "samples per bit" and "kept per bit".
Reference: the counting lower bound ``log₂(2 w_max / (2ε))`` (``bounds.counting_lower_bound``) on
the candidates one weight needs for precision ε (a 1×1 target at ``x_max = 1``).
Claims: R10 / §8 item 15 (neurons per weight grow like log(1/ε)), R4 (≤ 2M kept per weight).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check import bounds
from slt_check.plotting import data_path, read_json, write_json
from slt_check.sweep import default_seeds, run_sweep, variants
from slt_check.ticket import versions

NAME = "samples"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"eps": [1e-1, 1e-2, 1e-3], "n_seeds": 1, "widths": [2, 2, 1],
              "labels": ["orseau/per_weight", "orseau/per_input"]},
    "quick": {"eps": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "n_seeds": 2, "widths": [2, 3, 1]},
    "full": {"eps": [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5], "n_seeds": 10,
             "widths": [3, 4, 2]},
}
DEFAULTS = {"delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform", "master_seed": 0}


def eps_points(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """The ε sweep points shared by the ``samples`` and ``error`` figures."""
    c = {**DEFAULTS, **cfg}
    seeds = default_seeds(c["master_seed"], c["n_seeds"])
    return [
        {"construction": v["construction"], "options": v["options"], "widths": list(c["widths"]),
         "eps": e, "delta": c["delta"], "w_max": c["w_max"], "x_max": c["x_max"],
         "family": c["family"], "seeds": seeds}
        for v in variants() if not c.get("labels") or v["label"] in c["labels"] for e in c["eps"]
    ]


def eps_records(cfg: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Run (or resume) the ε sweep; per variant label, one summary row per ε."""
    path = data_path("sweep_eps", cfg)
    recs = run_sweep(path, eps_points(cfg), desc="ε sweep")
    labels = {(v["construction"], str(sorted(v["options"].items()))): v["label"] for v in variants()}
    out: dict[str, list[dict[str, Any]]] = {}
    for r in recs:
        p, res = r["params"], r["result"]
        label = labels[(p["construction"], str(sorted(p["options"].items())))]
        row: dict[str, Any] = {"eps": p["eps"], "bits": math.log2(1.0 / p["eps"]),
                               "plan": res.get("plan", {}), "skipped": res.get("skipped", "")}
        built = [s for s in res.get("seeds", []) if s.get("built")]
        if built:
            row.update({
                "n_seeds": len(built),
                "n_ok": sum(int(s["ok"]) for s in built),
                "G_neurons_per_weight": float(np.mean([s["sizes"]["G_neurons_per_weight"] for s in built])),
                "kept_per_weight": float(np.mean([s["kept_intermediate_per_weight"] for s in built])),
                "certified": [s["certified"] for s in built],
                "found": [s["found"] for s in built],
                "ok": [bool(s["ok"]) for s in built],
            })
        out.setdefault(label, []).append(row)
    return out


def _slope(x: list[float], y: list[float]) -> float | None:
    """Least-squares slope; None with fewer than 3 built points (e.g. Malach's G is too large to
    build below ε = 1e-2: its 1/ε² growth shows in the plan, not in a 2-point "slope")."""
    return float(np.polyfit(x, y, 1)[0]) if len(x) >= 3 else None


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Sweep ε for every construction; fit samples/kept per bit; write ``plots/data/samples.json``."""
    cfg = {**DEFAULTS, **config}
    rows = eps_records(cfg)
    series = {}
    for label, rs in rows.items():
        b = [r for r in rs if "G_neurons_per_weight" in r]
        bits = [r["bits"] for r in b]
        series[label] = {
            "rows": rs,
            "samples_per_bit": _slope(bits, [r["G_neurons_per_weight"] for r in b]),
            "kept_per_bit": _slope(bits, [r["kept_per_weight"] for r in b]),
        }
    counting = [{"eps": e, "bits": math.log2(1 / e),
                 "bound": bounds.counting_lower_bound(2 * cfg["w_max"], e)} for e in cfg["eps"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"},
            "series": series, "counting": counting, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log-scale y: G neurons per weight (solid), kept per weight (dashed), counting bound (black)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        b = [r for r in s["rows"] if "G_neurons_per_weight" in r]
        if not b:
            continue
        col = f"C{i}"
        x = [r["bits"] for r in b]
        sl = s["samples_per_bit"]
        ax.plot(x, [r["G_neurons_per_weight"] for r in b], "o-", color=col,
                label=f"{label}: G neurons/weight" + (f" ({sl:.0f}/bit)" if sl is not None else ""))
        ax.plot(x, [r["kept_per_weight"] for r in b], "s--", color=col, label=f"{label}: kept/weight")
    c = data["counting"]
    ax.plot([r["bits"] for r in c], [max(r["bound"], 1e-1) for r in c], "k:", label="counting bound log₂(w_max/ε)")
    ax.set_yscale("log")
    ax.set_xlabel("log₂(1/ε)  (bits)")
    ax.set_ylabel("neurons per target weight")
    ax.set_title("Sampled and kept neurons per target weight")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line with the fitted slopes."""
    parts = [f"{k} {s['samples_per_bit']:.3g} sampled / {s['kept_per_bit']:.2f} kept per bit"
             for k, s in sorted(data["series"].items()) if s["samples_per_bit"] is not None]
    return ("Neurons of G (solid) and kept intermediate neurons (dashed) per target weight against "
            "log₂(1/ε); dotted: counting bound on the candidates one weight needs. Slopes: " + "; ".join(parts) + ".")
