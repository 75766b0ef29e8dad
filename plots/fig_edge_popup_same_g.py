"""Search vs. construction on the same ``G``: success rate against kept weights (``docs/edge-popup.md``).

    nice -n 10 python benchmarks/edge_popup_same_g.py           # the measurement (JSON + Markdown table)
    python plots/fig_edge_popup_same_g.py [--quick | --tiny]    # data plots/data/edge_popup_same_g.json + figure

One panel per (target, ε); x: kept weights (median over the cell's seeds, log scale), y: the fraction of
seeds whose ticket is certified ≤ ε, with its 95 % Clopper–Pearson interval. Per source ``G`` (orseau
per_weight / per_input, pensia, malach) the construction is a filled marker at its own kept count,
edge-popup an open marker per budget (k, 2k, 4k, 50 % of G; per-layer solid, global dashed error bar).
``G`` is at the source's formula width ``N_f``; a source that was run on a (target, ε) only below its
formula width (Malach beyond 2-2-1: ``N_f`` ≈ 10⁴ samples a weight) is drawn at that width, named in the
legend. Other below-formula cells and other recipes or step counts are left out (they are in the table).

Data: ``source="benchmark"`` reads ``benchmarks/results/edge_popup_same_g{,_quick}.json`` (recomputes
nothing); ``source="run"`` (``tiny``, for the tests) runs 2 seeds of one cheap cell. :func:`render`
draws from the data JSON only. Not registered in :data:`slt_check.experiments.plotting.FIGURES`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    benchmark_module,
    data_path,
    display_name,
    legend_below,
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
    rows = [r for r in res["cells"] if r["status"] == "done" and r["cell"].get("recipe", tuned) == tuned
            and not r["cell"].get("steps")]

    def src_of(c: dict[str, Any]) -> str:
        return c["source"] + ("/" + c["sharing"] if c.get("sharing") else "")

    at_formula = {(r["cell"]["target"], r["cell"]["eps"], src_of(r["cell"])) for r in rows
                  if not r["cell"].get("n_samples")}
    for row in rows:
        c = row["cell"]
        src = src_of(c)
        if c.get("n_samples") and (c["target"], c["eps"], src) in at_formula:
            continue  # a second axis (widths below the formula) the table shows; the panel keeps N_f
        s, k = row["summary"]["construction"], row["summary"]["search"]
        base = {"target": c["target"], "eps": c["eps"], "source": src,
                "n_samples": s["n_samples"], "n_formula": s["n_formula"]}
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
    fig, axes = plt.subplots(nrow, ncol, figsize=(PAGE_WIDTH, 2.1 * nrow + 0.4), squeeze=False, sharey=True)
    for ax, (target, eps) in zip(axes.flat, panels, strict=False):
        for p in (p for p in data["points"] if (p["target"], p["eps"]) == (target, eps)):
            color, marker = SOURCE_STYLE.get(p["source"], ("0.3", "x"))
            r = p["successes"] / p["n"]
            lo, hi = p["ci95"]
            search = p["method"] == "search"
            eb = ax.errorbar([p["kept"]], [r], yerr=[[r - lo], [hi - r]], fmt=marker, color=color, capsize=2,
                             mfc="none" if search else color, ms=5, ls="none")
            if search and p.get("mode") == "global":
                eb[-1][0].set_linestyle("--")
            eb.set_label(source_label(p))
        ax.set_xscale("log")
        kept = [p["kept"] for p in data["points"] if (p["target"], p["eps"]) == (target, eps)]
        ax.set_xlim(min(kept) / 1.6, max(kept) * 1.6)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(f"({chr(97 + panels.index((target, eps)))}) {target.removeprefix('random:')}, ε = {eps}")
        ax.set_xlabel("kept weights (median)")
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("P(certified ≤ ε)")
    legend_below(fig, axes, ncol=2)
    return fig


def source_label(p: dict[str, Any]) -> str:
    """``measured: construction, Orseau (per input)`` or ``measured: edge-popup on Pensia's G``, marked when G
    is below the formula width (the caption gives the widths)."""
    name = display_name("orseau/per_weight" if p["source"] == "orseau" else p["source"])
    what = f"edge-popup on {name}'s G" if p["method"] == "search" else f"construction, {name}"
    below = p.get("n_samples") is not None and p.get("n_formula") is not None and p["n_samples"] < p["n_formula"]
    return f"measured: {what}" + (" (G below N_f)" if below else "")


def caption(data: dict[str, Any]) -> str:
    """One line: what is drawn, with the counts."""
    s = [p for p in data["points"] if p["method"] == "search"]
    c = [p for p in data["points"] if p["method"] == "construction"]
    below = sorted({(p["source"], p["n_samples"], p["n_formula"]) for p in data["points"]
                    if p.get("n_samples") is not None and p["n_samples"] < p["n_formula"]})
    bel = ("; " + ", ".join(f"{display_name(s)} at {n} samples (N_f = {f})" for s, n, f in below)
           + " where it was not run at N_f") if below else ""
    return (f"Success rate (certified sup error ≤ ε; bars: 95 % Clopper–Pearson; open markers: edge-popup at "
            f"each budget, k = the construction's kept count, 2k, 4k or 50 % of G, told apart by their kept count on "
            f"the x axis; dashed bars: global top-k, else per layer) against kept weights, on the construction's G at "
            f"its formula width{bel}; recipe {data['tuned']}. Constructions: "
            f"{sum(p['successes'] for p in c)}/{sum(p['n'] for p in c)} seed×cells; edge-popup over all budgets: "
            f"{sum(p['successes'] for p in s)}/{sum(p['n'] for p in s)}. Cells not run (budget): "
            f"{data['cells_not_run']}/{data['cells']}.")


def main(argv: list[str] | None = None) -> int:
    return load_figure_module("edge_popup").figure_main(sys.modules[__name__], argv, "edge_popup_same_g_quick.json")


if __name__ == "__main__":
    sys.exit(main())
