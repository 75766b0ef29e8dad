"""Edge-popup vs the constructions: empirical minimal width against the formula width (``docs/edge-popup.md``).

    python benchmarks/edge_popup_vs_constructions.py [--quick]   # the measurement (JSON + Markdown table)
    python plots/fig_edge_popup.py [--quick | --tiny] [--out DIR] # data plots/data/edge_popup.json + figure

Per method (``orseau``, ``pensia``, edge-popup on each one's ``G`` at that construction's kept count),
target and ε: the per-seed empirical minimal width (smallest ``n_samples`` on the doubling grid at
which the method's ticket is certified ``≤ ε``), and the formula width ``N_f`` of the ``G`` it prunes.
A seed that never reached ε within its grid is *censored* at its grid limit (the largest width tried):
drawn as an upward arrow there, counted ``k/n`` in the caption, never dropped.

Data: ``source="benchmark"`` (configs ``quick`` / ``full``) reads the benchmark JSON
(``benchmarks/results/edge_popup_quick.json`` / ``edge_popup.json``) and recomputes nothing;
``source="run"`` (config ``tiny``, for the tests, < 20 s) runs the benchmark's own code on one tiny cell.
:func:`render` draws from the data JSON only. Not registered in :data:`slt_check.experiments.plotting.FIGURES`
(run it with the command above).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    benchmark_module,
    data_path,
    display_name,
    legend_below,
    read_benchmark,
    read_json,
    save_figure,
    style,
    write_json,
)
from slt_check.tickets.ticket import versions

NAME = "edge_popup"
ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = {"full": ROOT / "benchmarks" / "results" / "edge_popup.json",
              "quick": ROOT / "benchmarks" / "results" / "edge_popup_quick.json"}
TINY_RUN = {"seeds": 1, "steps": 40, "n_cap": 8, "budget_s": 60.0, "cell_budget_s": 10.0, "targets": [[2, 2, 1]],
            "eps": [0.1], "time_limit": 5.0, "construction_grid_max": 64}
CONFIGS: dict[str, dict[str, Any]] = {
    "tiny": {"source": "run", "run": TINY_RUN},
    "quick": {"source": "benchmark", "benchmark": "quick"},
    "full": {"source": "benchmark", "benchmark": "full"},
}
DEFAULTS: dict[str, Any] = {"source": "benchmark", "benchmark": "full"}
METHOD_STYLE = {"orseau": ("C0", "o"), "pensia": ("C1", "s"), "edge-popup[orseau G]": ("C2", "D"),
                "edge-popup[pensia G]": ("C3", "v")}


def method_name(method: str) -> str:
    """The printed name of a benchmark method (``edge-popup[orseau G]`` → ``edge-popup on Orseau's G``)."""
    if method.startswith("edge-popup["):
        return f"edge-popup on {display_name(method.split('[')[1].split(' ')[0])}'s G"
    return display_name(method)


def _bench() -> Any:
    return benchmark_module(ROOT / "benchmarks", "edge_popup_vs_constructions")


def _results(cfg: dict[str, Any]) -> dict[str, Any]:
    if cfg["source"] == "benchmark":
        path = BENCHMARKS[cfg["benchmark"]]
        return read_benchmark(path, f"benchmark: no {path}; run benchmarks/edge_popup_vs_constructions.py"
                                    f"{' --quick' if cfg['benchmark'] == 'quick' else ''} or use source='run'")
    if cfg["source"] == "run":
        return _bench().run(dict(cfg["run"]), log=False)
    raise ValueError(f"source: expected 'benchmark' or 'run', got {cfg['source']!r}")


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per (method, target, ε): formula widths, per-seed minimal widths or censoring, kept count,
    certified / found errors, times; seeds not run listed. Writes and returns the data JSON."""
    cfg = {**DEFAULTS, **config}
    bench = _bench()
    res = _results(cfg)
    groups = []
    for g in bench.groups(res):
        seeds = [{"seed": r["seed"], "n_formula": r["n_formula"], "n_min": r["n_min"], "censored": r["n_min"] is None,
                  "grid_limit": r["grid_limit"], "kept": r["kept"], "certified": r["certified"],
                  "found": r["found"], "ok": r["n_min"] is not None, "time_s": r["time_s"],
                  **({"construction_kept": r["construction_kept"], "at_width": r["at_width"],
                      "widths_not_run": r["widths_not_run"]} if "construction_kept" in r else {})}
                 for r in g["rows"]]
        reached = [s["n_min"] for s in seeds if not s["censored"]]
        groups.append({
            "method": g["method"], "target": g["target"], "eps": g["eps"], "seeds": seeds,
            "seeds_not_run": g["seeds_not_run"], "n_formula_median": statistics.median_low(
                [s["n_formula"] for s in seeds]) if seeds else None,
            "n_min_median": statistics.median_low(reached) if reached else None,
            "n_min_range": [min(reached), max(reached)] if reached else None,
            "n_censored": len(seeds) - len(reached), "n_run": len(seeds),
        })
    pts = [s for g in groups for s in g["seeds"]]
    data = {
        "name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"},
        "settings": {k: res["settings"][k] for k in ("seed_list", "eps", "targets", "steps", "n_cap", "delta",
                                                     "edge_popup_grid", "budget_s", "cell_budget_s")},
        "benchmark_wall_s": res["wall_s"], "groups": groups,
        "censored": {"k": sum(s["censored"] for s in pts), "n": len(pts)},
        "censored_by_kind": {kind: {"k": sum(s["censored"] for g in groups for s in g["seeds"]
                                             if g["method"].startswith("edge") == (kind == "edge-popup")),
                                    "n": sum(len(g["seeds"]) for g in groups
                                             if g["method"].startswith("edge") == (kind == "edge-popup"))}
                             for kind in ("construction", "edge-popup")},
        "cells_not_run": sum(c["status"] != "done" for c in res["cells"]), "cells": len(res["cells"]),
        "versions": versions(),
    }
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """One panel per ε; x: target; per method a column of markers (small: per seed; large with bar:
    median and min–max of the seeds that reached ε), upward arrows at the grid limit for censored seeds,
    and a short dashed line at the formula width ``N_f`` (legend labels ``"formula: …"`` for the formula,
    ``"measured: …"`` for measurements, the convention of the other figures)."""
    import matplotlib.pyplot as plt

    eps_all = sorted({g["eps"] for g in data["groups"]}, reverse=True)
    targets = list(dict.fromkeys(g["target"] for g in data["groups"]))
    methods = [m for m in METHOD_STYLE if any(g["method"] == m for g in data["groups"])]
    fig, axes = plt.subplots(1, len(eps_all), figsize=(PAGE_WIDTH, 2.8), sharey=True, squeeze=False)
    off = {m: (i - (len(methods) - 1) / 2) * 0.18 for i, m in enumerate(methods)}
    for ax, eps in zip(axes[0], eps_all, strict=True):
        for g in (g for g in data["groups"] if g["eps"] == eps):
            color, marker = METHOD_STYLE[g["method"]]
            x = targets.index(g["target"]) + off[g["method"]]
            for s in g["seeds"]:
                ax.plot([x - 0.07, x + 0.07], [s["n_formula"]] * 2, "--", color=color, lw=1.4)
                if s["censored"]:
                    lim = s["grid_limit"]
                    ax.annotate("", xy=(x, lim * 1.9), xytext=(x, lim),
                                arrowprops={"arrowstyle": "->", "color": color, "lw": 1.1})
                    ax.plot([x - 0.04, x + 0.04], [lim, lim], "-", color=color, lw=1.1)
                else:
                    ax.plot(x, s["n_min"], marker, color=color, ms=3.5, alpha=0.55, ls="none")
            if g["n_min_median"] is not None:
                lo, hi = g["n_min_range"]
                ax.errorbar([x], [g["n_min_median"]], yerr=[[g["n_min_median"] - lo], [hi - g["n_min_median"]]],
                            fmt=marker, color=color, ms=7, mfc="none", capsize=3)
        ax.set_yscale("log", base=2)
        ax.set_xticks(range(len(targets)), [t.removeprefix("random:") for t in targets])
        ax.set_xlim(-0.6, len(targets) - 0.4)
        ax.set_title(f"({chr(97 + list(eps_all).index(eps))}) ε = {eps}")
        ax.set_xlabel("target widths")
    axes[0][0].set_ylabel("samples per group or block")
    for m in methods:
        color, marker = METHOD_STYLE[m]
        axes[0][0].plot([], [], marker, color=color, mfc="none", ls="none",
                        label=f"measured: {method_name(m)}, smallest working width")
        axes[0][0].plot([], [], "--", color=color, label=f"formula: {method_name(m)}, N_f of the G pruned")
    axes[0][0].plot([], [], marker=r"$\uparrow$", color="0.3", ls="none", ms=9,
                    label="measured: not reached within the grid (censored at its limit)")
    legend_below(fig, axes[0], ncol=2)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: what is drawn, the censored counts k/n, and how far edge-popup's grid reaches below N_f."""
    c, by = data["censored"], data["censored_by_kind"]
    st = data["settings"]
    top = max(st["edge_popup_grid"])
    short = {}
    for g in data["groups"]:
        if g["method"].startswith("edge"):
            nf = [s["n_formula"] for s in g["seeds"]]
            if nf and min(nf) > top:
                short.setdefault(method_name(g["method"]), []).extend(nf)
    reach = (f" Edge-popup was searched on widths up to {top} samples only: below the formula width of the G it "
             "prunes for " + ", ".join(f"{m} (N_f {min(v)}–{max(v)})" for m, v in sorted(short.items()))
             + ", so a censored seed there says nothing about wider G; benchmarks/edge_popup_same_g.py trains it "
             "on the construction's own G at N_f.") if short else ""
    return (f"Minimal width on a doubling grid at which the certified sup error is ≤ ε (markers: seeds "
            f"{st['seed_list']}; open marker and bar: median, min–max over seeds that reached ε), dashed: the "
            f"formula width N_f of the G pruned. Censored (not reached within the grid, arrows at the grid limit): "
            f"failed {c['k']}/{c['n']} seed×cells — constructions {by['construction']['k']}/{by['construction']['n']}, "
            f"edge-popup {by['edge-popup']['k']}/{by['edge-popup']['n']} (edge-popup grid "
            f"{st['edge_popup_grid']}, {st['steps']} steps). Cells not run (time budget): "
            f"{data['cells_not_run']}/{data['cells']}.{reach}")


def figure_main(mod: Any, argv: list[str] | None, quick_json: str) -> int:
    """The command line of a benchmark-reading figure ``mod`` (its ``NAME``, ``CONFIGS``, ``compute``,
    ``render``, ``caption``): ``--quick`` reads ``quick_json``, ``--tiny`` runs a tiny cell."""
    ap = argparse.ArgumentParser(description=mod.__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"read benchmarks/results/{quick_json}")
    ap.add_argument("--tiny", action="store_true", help="run one tiny cell (seconds) instead of reading a benchmark")
    ap.add_argument("--data-dir", type=Path, default=None, help="default plots/data")
    ap.add_argument("--out", type=Path, default=ROOT / "plots" / "out" / "figures")
    a = ap.parse_args(argv)
    cfg = dict(mod.CONFIGS["tiny" if a.tiny else "quick" if a.quick else "full"])
    if a.data_dir is not None:
        cfg["data_dir"] = str(a.data_dir)
    data = mod.compute(cfg)
    with style():
        paths = save_figure(mod.render(data), a.out / f"fig_{mod.NAME}")
    print("wrote", data_path(mod.NAME, cfg), *paths)
    print(mod.caption(data))
    return 0


def main(argv: list[str] | None = None) -> int:
    return figure_main(sys.modules[__name__], argv, "edge_popup_quick.json")


if __name__ == "__main__":
    sys.exit(main())
