"""Sampled (formula) and kept (measured) neurons per target weight against log₂(1/ε), every construction.

Data: the shared ε sweep (``sweep_eps.json``, :func:`slt_check.experiments.sweep.run_sweep`) at each
construction's own formula width, over a pre-registered seed grid (``stats.seed_grid``).

* **formula** — sampled neurons of ``G`` per target weight (``Ticket.sizes()["G_neurons_per_weight"]``):
  fixed by the plan (e.g. Orseau's ``N_w + 4/9`` per weight), identical for every seed, so it is drawn
  as a line and no slope is fitted to it; the counting bound ``log₂(w_max/η)``
  (``bounds.counting_lower_bound(2 w_max, η)``, η the plan's per-weight precision) on the *sampled
  candidates* one weight needs at precision η — the matching quantity.
* **measured** — kept intermediate neurons per target weight (varies with the seed): mean and 95 %
  Student-t interval over the seeds; "kept per bit" is the least-squares slope over every (seed, ε)
  pair with its 95 % interval (``plotting.slope_ci``).
* failures (ticket not built, not ok, or certified > ε) are counted per construction (``failed k/n``);
  points whose ``G`` exceeds ``sweep.MAX_G_PARAMS`` are plan-only and named in the caption.

Claims: R10 / §8 item 15 (neurons per weight grow like log(1/ε)), R4 (≤ 2M kept per weight).
"""

from __future__ import annotations

import math
from typing import Any

from slt_check.core import bounds
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
from slt_check.experiments.sweep import default_seeds, run_sweep, variants
from slt_check.tickets.ticket import versions

NAME = "samples"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"eps": [1e-1, 1e-2, 1e-3], "n_seeds": 3, "widths": [2, 2, 1],
              "labels": ["orseau/per_weight", "orseau/per_input"]},
    "quick": {"eps": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5], "n_seeds": 10, "widths": [2, 3, 1],
              "eps_by_label": {"burkholz": [1e-1]}},
    "full": {"eps": [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5], "n_seeds": 30,
             "widths": [3, 4, 2]},
}
DEFAULTS = {"delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform", "master_seed": 0, "eps_by_label": {}}


def eps_points(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """The ε sweep points shared by the ``samples`` and ``error`` figures."""
    c = {**DEFAULTS, **cfg}
    seeds = default_seeds(c["master_seed"], c["n_seeds"])
    return [
        {"construction": v["construction"], "options": v["options"], "widths": list(c["widths"]),
         "eps": e, "delta": c["delta"], "w_max": c["w_max"], "x_max": c["x_max"],
         "family": c["family"], "seeds": seeds}
        for v in variants() if not c.get("labels") or v["label"] in c["labels"]
        for e in (c.get("eps_by_label") or {}).get(v["label"], c["eps"])
    ]


def seed_failed(s: dict[str, Any], eps: float) -> bool:
    """A seed fails when its ticket was not built, is not ok, or its certified error exceeds ε."""
    return (not s.get("built")) or (not s["ok"]) or s["certified"] > eps


def eps_records(cfg: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Run (or resume) the ε sweep; per variant label, one row per ε with the per-seed numbers."""
    path = data_path("sweep_eps", cfg)
    recs = run_sweep(path, eps_points(cfg), desc="ε sweep")
    labels = {(v["construction"], str(sorted(v["options"].items()))): v["label"] for v in variants()}
    out: dict[str, list[dict[str, Any]]] = {}
    for r in recs:
        p, res = r["params"], r["result"]
        label = labels[(p["construction"], str(sorted(p["options"].items())))]
        plan = res.get("plan", {})
        row: dict[str, Any] = {"eps": p["eps"], "bits": math.log2(1.0 / p["eps"]), "plan": plan,
                               "skipped": res.get("skipped", ""), "n_seeds_planned": len(p["seeds"])}
        seeds = res.get("seeds", [])
        built = [s for s in seeds if s.get("built")]
        row.update({
            "n_seeds": len(seeds),
            "failed": [seed_failed(s, p["eps"]) for s in seeds],
            "built": [bool(s.get("built")) for s in seeds],
            "certified": [s["certified"] if s.get("built") else None for s in seeds],
            "found": [s["found"] if s.get("built") else None for s in seeds],
            "ok": [bool(s["ok"]) for s in seeds],
        })
        if built:
            g = sorted({s["sizes"]["G_neurons_per_weight"] for s in built})
            kept = [s["kept_intermediate_per_weight"] for s in built]
            row.update({"G_neurons_per_weight": g[0], "G_same_for_every_seed": len(g) == 1,
                        "kept_per_weight_seeds": kept, "kept_per_weight": mean_ci(kept)})
        out.setdefault(label, []).append(row)
    return out


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Sweep ε for every construction; fit kept per bit (measured) with its 95 % interval."""
    cfg = {**DEFAULTS, **config}
    rows = eps_records(cfg)
    series = {}
    for label, rs in rows.items():
        b = [r for r in rs if "kept_per_weight_seeds" in r]
        xs = [r["bits"] for r in b for _ in r["kept_per_weight_seeds"]]
        ys = [v for r in b for v in r["kept_per_weight_seeds"]]
        fails = [f for r in rs for f in r["failed"]]
        series[label] = {
            "rows": rs,
            "kept_per_bit": slope_ci(xs, ys) if len({r["bits"] for r in b}) >= 3 else None,
            "failures": {"k": sum(fails), "n": len(fails)},
            "plan_only_eps": [r["eps"] for r in rs if r["skipped"]],
        }
    eta = {r["eps"]: r["plan"]["eta"] for s in series.values() for r in s["rows"] if "eta" in r["plan"]}
    counting = [{"eps": e, "bits": math.log2(1 / e), "eta": eta[e],
                 "bound": bounds.counting_lower_bound(2 * cfg["w_max"], eta[e])} for e in sorted(eta, reverse=True)]
    fails = [f for s in series.values() for r in s["rows"] for f in r["failed"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"},
            "series": series, "counting": counting, "failures": {"k": sum(fails), "n": len(fails)},
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log y: formula G neurons per weight (lines), measured kept per weight (markers, 95 % CI),
    failed seeds (crosses at the top), counting bound at η (black dotted)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        b = [r for r in s["rows"] if "kept_per_weight_seeds" in r]
        if not b:
            continue
        col = f"C{i}"
        x = [r["bits"] for r in b]
        ax.plot(x, [r["G_neurons_per_weight"] for r in b], "-", color=col, lw=1.0,
                label=formula_label(f"{label}: sampled G neurons/weight"))
        k = [r["kept_per_weight"] for r in b]
        sl = s["kept_per_bit"]
        txt = f" ({sl['slope']:.2f} [{sl['low']:.2f}, {sl['high']:.2f}]/bit)" if sl else ""
        ax.errorbar(x, [c["mean"] for c in k],
                    yerr=[[c["mean"] - c["low"] for c in k], [c["high"] - c["mean"] for c in k]],
                    fmt="o", color=col, ms=4, capsize=2, label=measured_label(f"{label}: kept/weight{txt}"))
        bad = [r["bits"] for r in s["rows"] for f in r["failed"] if f]
        if bad:
            ax.plot(bad, [3e5] * len(bad), "x", color=col, ms=7, label=measured_label(f"{label}: failed seed"))
    c = data["counting"]
    ax.plot([r["bits"] for r in c], [max(r["bound"], 1e-1) for r in c], "k:",
            label=formula_label("counting bound log₂(w_max/η) on sampled candidates"))
    ax.set_yscale("log")
    ax.set_xlabel("log₂(1/ε)  (bits)")
    ax.set_ylabel("neurons per target weight")
    n = data["config"]["n_seeds"]
    ax.set_title(f"Sampled (formula) and kept (measured, mean ± 95 % CI, {n} seeds) neurons per weight", fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=6)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: measured kept-per-bit slopes with intervals, failures, plan-only points."""
    parts = [f"{k} {s['kept_per_bit']['slope']:.2f} [{s['kept_per_bit']['low']:.2f}, {s['kept_per_bit']['high']:.2f}]"
             for k, s in sorted(data["series"].items()) if s["kept_per_bit"]]
    fails = [f"{k} {failure_phrase(s['failures']['k'], s['failures']['n'])}"
             for k, s in sorted(data["series"].items()) if s["failures"]["n"]]
    plan_only = [f"{k} at ε = {', '.join(f'{e:g}' for e in s['plan_only_eps'])}"
                 for k, s in sorted(data["series"].items()) if s["plan_only_eps"]]
    eps_sets = {k: [r["eps"] for r in s["rows"]] for k, s in data["series"].items()}
    fewer = [f"{k} only at ε = {', '.join(f'{e:g}' for e in v)}" for k, v in sorted(eps_sets.items())
             if len(v) < len(data["config"]["eps"])]
    f = data["failures"]
    return ("Lines are formulas: sampled neurons of G per target weight (fixed by each plan) and the counting bound "
            "log₂(w_max/η) on sampled candidates. Markers are measured: kept neurons per target weight, mean with "
            f"95 % t-interval over {data['config']['n_seeds']} seeds. Measured kept per bit (slope, 95 % CI): "
            + "; ".join(parts) + f". Overall {failure_phrase(f['k'], f['n'])} seeds ("
            + "; ".join(fails) + ")"
            + (". Plan only (G too large to build): " + "; ".join(plan_only) if plan_only else "")
            + (". Reduced ε grid (cost): " + "; ".join(fewer) if fewer else "") + ".")
