"""Kept neurons per target weight against log₂(1/ε), every construction, beside the bound on them.

Data: the shared ε sweep (``sweep_eps.json``, :func:`slt_check.experiments.sweep.run_sweep`) at each
construction's own formula width, over a pre-registered seed grid (``stats.seed_grid``).

* **measured** — kept intermediate neurons per target weight (varies with the seed): mean and 95 %
  Student-t interval over the built seeds; "kept per bit" is the least-squares slope over every
  (seed, ε) pair with its 95 % interval (``plotting.slope_ci``). Failed seeds are drawn as crosses at
  their own kept count.
* **formula** — ``2M`` per weight (R4: Orseau keeps at most two neurons per digit): the bound on the
  quantity drawn. The width of ``G`` (sampled neurons) is *not* drawn here: kept ≤ 2M by construction
  cannot test it; ``fig_width_vs_eps`` measures the width.
* failures (ticket not built, not ok, or certified > ε) are counted per construction (``failed k/n``);
  points whose ``G`` exceeds ``sweep.MAX_G_PARAMS`` are plan-only and named in the caption.

Claims: R4 (≤ 2M kept per weight); R10 / §8 item 15 through the kept count's growth per bit.
"""

from __future__ import annotations

import math
from typing import Any

from slt_check.core import bounds
from slt_check.experiments.plotting import (
    COLUMN_WIDTH,
    data_path,
    display_name,
    failure_phrase,
    formula_label,
    legend_below,
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
              "eps_by_label": {"burkholz": [1e-1], "malach": [1e-1]}},
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
    """Kept neurons per target weight (measured, 95 % CI) beside the bound that applies to it: Orseau's
    2M per weight (R4; a line per ε). Failed seeds are drawn at their own kept count (crosses)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    n = len(data["series"])
    drew_bound = False
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        b = [r for r in s["rows"] if "kept_per_weight_seeds" in r]
        if not b:
            continue
        col, jit = f"C{i}", 0.08 * (i - n / 2)
        k = [r["kept_per_weight"] for r in b]
        ax.errorbar([r["bits"] + jit for r in b], [c["mean"] for c in k],
                    yerr=[[c["mean"] - c["low"] for c in k], [c["high"] - c["mean"] for c in k]],
                    fmt="o", color=col, ms=3.5, capsize=2, label=measured_label(display_name(label)))
        bad = [(r["bits"] + jit, v) for r in b for v, f, built in
               zip(_kept_all(r), r["failed"], r["built"], strict=True) if f and built]
        if bad:
            ax.plot(*zip(*bad, strict=True), "x", color=col, ms=6,
                    label=measured_label(f"{display_name(label)}: failed seed"))
        if label.startswith("orseau") and not drew_bound:
            ax.plot([r["bits"] for r in b], [2 * r["plan"]["M"] for r in b], "k-", lw=1.0,
                    label=formula_label("2M, Orseau's bound on kept per weight"))
            drew_bound = True
    ax.set_yscale("log")
    ax.set_xlabel("log₂(1/ε)")
    ax.set_ylabel("kept neurons per target weight")
    ax.set_title("Kept neurons per target weight against ε")
    legend_below(fig, ax, ncol=2)
    return fig


def _kept_all(r: dict[str, Any]) -> list[float | None]:
    """Kept per weight of every seed of a row (``None`` for a seed whose ticket was not built)."""
    it = iter(r["kept_per_weight_seeds"])
    return [next(it) if built else None for built in r["built"]]




def caption(data: dict[str, Any]) -> str:
    """The claim, targets, n per point, intervals; measured kept-per-bit slopes; failures; plan-only points."""
    c = data["config"]
    parts = [f"{display_name(k)} {s['kept_per_bit']['slope']:.2f} [{s['kept_per_bit']['low']:.2f}, "
             f"{s['kept_per_bit']['high']:.2f}]" for k, s in sorted(data["series"].items()) if s["kept_per_bit"]]
    fails = [f"{k} {failure_phrase(s['failures']['k'], s['failures']['n'])}"
             for k, s in sorted(data["series"].items()) if s["failures"]["n"]]
    plan_only = [f"{k} at ε = {', '.join(f'{e:g}' for e in s['plan_only_eps'])}"
                 for k, s in sorted(data["series"].items()) if s["plan_only_eps"]]
    eps_sets = {k: [r["eps"] for r in s["rows"]] for k, s in data["series"].items()}
    fewer = [f"{k} only at ε = {', '.join(f'{e:g}' for e in v)}" for k, v in sorted(eps_sets.items())
             if len(v) < len(c["eps"])]
    f = data["failures"]
    return ("Claim (R4): a ticket keeps at most 2M neurons per target weight (M digits). Markers: kept neurons "
            f"per target weight at each construction's formula width, mean with 95 % t-interval over {c['n_seeds']} "
            f"seeds, every seed its own random {'-'.join(map(str, c['widths']))} target (uniform weights) and G; "
            "crosses: failed seeds (not ok, or certified > ε) at their own kept count; line: 2M (Orseau). The width "
            "of G itself is in the width-against-1/ε figure. Kept neurons per bit of 1/ε (least-squares slope, 95 % "
            "interval): " + "; ".join(parts) + f". Overall {failure_phrase(f['k'], f['n'])} seeds ("
            + "; ".join(fails) + ")"
            + (". Plan only (G too large to build): " + "; ".join(plan_only) if plan_only else "")
            + (". Reduced ε grid (cost): " + "; ".join(fewer) if fewer else "") + ".")
