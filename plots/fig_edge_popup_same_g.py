"""Search vs. construction on the same ``G``: success rate against kept weights (``docs/edge-popup.md``).

    nice -n 10 python benchmarks/edge_popup_same_g.py           # the measurement (JSON + Markdown table)
    python plots/fig_edge_popup_same_g.py [--quick | --tiny]    # data plots/data/edge_popup_same_g.json + figure

One panel per (target, ε); x: kept weights (median over the cell's seeds, log scale), y: the fraction of
seeds whose ticket is certified ≤ ε, with its 95 % Clopper–Pearson interval. Per source ``G`` (orseau
per_weight / per_input, pensia, malach; formula width only) the construction is a filled marker at its
own kept count, edge-popup an open marker per budget (k, 2k, 4k, 50 % of G; per-layer solid, global
dashed error bar). Cells at a width below the formula or with another recipe/step count are left out
(they are in the table).

Data: ``source="benchmark"`` reads ``benchmarks/results/edge_popup_same_g{,_quick}.json`` (recomputes
nothing); ``source="run"`` (``tiny``, for the tests) runs 2 seeds of one cheap cell. :func:`render`
draws from the data JSON only. Not registered in :data:`slt_check.experiments.plotting.FIGURES`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from slt_check.experiments.plotting import (
    benchmark_module,
    data_path,
    load_figure_module,
    read_benchmark,
    read_json,
    write_json,
)
from slt_check.tickets.ticket import versions

NAME = "edge_popup_same_g"
ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = {"full": ROOT / "benchmarks" / "results" / "edge_popup_same_g.json",
              "quick": ROOT / "benchmarks" / "results" / "edge_popup_same_g_quick.json"}
CONFIGS: dict[str, dict[str, Any]] = {
    "tiny": {"source": "run"},
    "quick": {"source": "benchmark", "benchmark": "quick"},
    "full": {"source": "benchmark", "benchmark": "full"},
}
SOURCE_STYLE = {"orseau": ("C0", "o"), "orseau/per_input": ("C2", "D"), "pensia": ("C1", "s"), "malach": ("C3", "v")}


def _bench() -> Any:
    return benchmark_module(ROOT / "benchmarks", "edge_popup_same_g")


def _results(cfg: dict[str, Any]) -> dict[str, Any]:
    if cfg["source"] == "benchmark":
        path = BENCHMARKS[cfg["benchmark"]]
        return read_benchmark(path, f"benchmark: no {path}; run benchmarks/edge_popup_same_g.py or use source='run'")
    if cfg["source"] == "run":
        bench = _bench()
        cell = bench._c("random:2-2-1", "pensia", mult=1, seeds=2)
        out = Path(cfg.get("data_dir") or ROOT / "plots" / "out" / "tiny") / "tiny_bench.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        return bench.run([cell], 600.0, None, out, None, log=False)
    raise ValueError(f"source: expected 'benchmark' or 'run', got {cfg['source']!r}")


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per done cell at the formula width with the tuned recipe: the construction's and the search's
    success counts, intervals and median kept weights. Writes and returns the data JSON."""
    cfg = {**CONFIGS["full"], **config}
    res = _results(cfg)
    tuned = res["settings"]["tuned"]
    bench = _bench()
    points = []
    for row in res["cells"]:
        c = row["cell"]
        if row["status"] != "done" or c.get("n_samples") or c.get("recipe", tuned) != tuned or c.get("steps"):
            continue
        s, k = row["summary"]["construction"], row["summary"]["search"]
        src = c["source"] + ("/" + c["sharing"] if c.get("sharing") else "")
        base = {"target": c["target"], "eps": c["eps"], "source": src}
        points.append(base | {"method": "construction", "budget": "construction", "kept": s["kept"][1],
                              "successes": s["successes"], "n": s["n"], "ci95": s["ci95"]})
        points.append(base | {"method": "search", "budget": bench.budget_label(c), "mode": c["budget"],
                              "kept": k["kept"][1], "successes": k["successes"], "n": k["n"], "ci95": k["ci95"]})
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "tuned": tuned,
            "points": points, "cells": len(res["cells"]),
            "cells_not_run": sum(r["status"] != "done" for r in res["cells"]), "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """One panel per (target, ε): success rate (95 % CP bars) against kept weights (log)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    panels = list(dict.fromkeys((p["target"], p["eps"]) for p in data["points"]))
    ncol = min(3, max(1, len(panels)))
    nrow = (len(panels) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.6 * nrow), squeeze=False, sharey=True)
    seen: dict[str, Any] = {}
    for ax, (target, eps) in zip(axes.flat, panels, strict=False):
        for p in (p for p in data["points"] if (p["target"], p["eps"]) == (target, eps)):
            color, marker = SOURCE_STYLE.get(p["source"], ("0.3", "x"))
            r = p["successes"] / p["n"]
            lo, hi = p["ci95"]
            search = p["method"] == "search"
            eb = ax.errorbar([p["kept"]], [r], yerr=[[r - lo], [hi - r]], fmt=marker, color=color, capsize=3,
                             mfc="none" if search else color, ms=7, ls="none")
            if search and p.get("mode") == "global":
                eb[-1][0].set_linestyle("--")
            label = f"{'measured: edge-popup on' if search else 'measured: construction'} {p['source']}" + \
                ("'s G" if search else "")
            seen.setdefault(label, eb)
            if search:
                ax.annotate(p["budget"], (p["kept"], r), textcoords="offset points", xytext=(4, 4), fontsize=6)
        ax.set_xscale("log")
        kept = [p["kept"] for p in data["points"] if (p["target"], p["eps"]) == (target, eps)]
        ax.set_xlim(min(kept) / 1.6, max(kept) * 1.6)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(f"{target.removeprefix('random:')}, ε = {eps}", fontsize="medium")
        ax.set_xlabel("kept weights (median over seeds)")
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("P(certified ≤ ε) (95 % CP)")
    fig.legend(list(seen.values()), list(seen.keys()), loc="lower center", ncol=2, fontsize="small",
               bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Search vs construction on the same G at its formula width (open: edge-popup; dashed: global top-k)")
    fig.tight_layout(rect=(0, 0.08, 1, 0.96))
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: what is drawn, with the counts."""
    s = [p for p in data["points"] if p["method"] == "search"]
    c = [p for p in data["points"] if p["method"] == "construction"]
    return (f"Success rate (certified sup error ≤ ε; bars: 95 % Clopper–Pearson) against kept weights, on the "
            f"construction's G at its formula width, recipe {data['tuned']}. Constructions: "
            f"{sum(p['successes'] for p in c)}/{sum(p['n'] for p in c)} seed×cells; edge-popup over all budgets: "
            f"{sum(p['successes'] for p in s)}/{sum(p['n'] for p in s)}. Cells not run (budget): "
            f"{data['cells_not_run']}/{data['cells']}.")


def main(argv: list[str] | None = None) -> int:
    return load_figure_module("edge_popup").figure_main(sys.modules[__name__], argv, "edge_popup_same_g_quick.json")


if __name__ == "__main__":
    sys.exit(main())
