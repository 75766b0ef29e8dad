"""How conservative are the certificates, and how much does the search miss? (``docs/certificates.md``)

Per ticket (orseau / pensia on small random targets, the case list of ``benchmarks/exact_gap.py``):
``certified ÷ exact`` for both sound bounds — propagation (:func:`slt_check.certificates.sup_error.certified_bound`)
and CROWN (:mod:`slt_check.certificates.crown`) — and ``exact ÷ found`` (exact = the MILP's value,
:func:`slt_check.certificates.exact.exact_sup_error`, tickets it solves to optimality; found = the adversarial
search of :func:`slt_check.certificates.sup_error.sup_error`), against the target's hidden width, depth and ε.

Data: ``source="benchmark"`` (``quick``/``full``) reads the committed measurement
``benchmarks/results/certificate_gap.json`` (written by ``benchmarks/certificate_gap.py``);
``source="run"`` (``small``) recomputes a few tiny cases with the same code. Ratios are identities
``a ÷ b`` of the stored numbers; ``certified ÷ exact ≥ 1`` and ``crown ≤ propagation`` up to rounding
on these tickets are the figure's claims.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    benchmark_module,
    data_path,
    failure_phrase,
    legend_below,
    measured_label,
    read_benchmark,
    read_json,
    reference_label,
    write_json,
)
from slt_check.tickets.ticket import versions

NAME = "certificate_gap"
DATA_NAME = "certificate_gap"
"""Data file stem: ``plots/data/certificate_gap.json``."""
ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "benchmarks" / "results" / "certificate_gap.json"

CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"source": "run", "widths": [[3, 2], [2, 2, 1]], "eps": [0.1], "time_limit": 10.0},
    "quick": {"source": "benchmark"},
    "full": {"source": "benchmark"},
}
DEFAULTS: dict[str, Any] = {"source": "benchmark", "constructions": ["orseau", "pensia"]}
"""The MILP time limit is the one the tickets were solved with (the benchmark's ``setup.time_limit_s`` or the
small run's ``time_limit``), recorded once as ``milp_time_limit_s``; the config carries no second value."""

FIELDS = ("construction", "widths", "depth", "width", "eps", "target_weights", "solved", "resolved", "propagation",
          "crown", "exact_lower", "exact_upper", "found_search", "propagation_over_exact", "crown_over_exact",
          "exact_over_found", "propagation_over_crown", "time_milp_s", "time_crown_s", "n_binaries")


def _rows(cfg: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if cfg["source"] == "benchmark":
        res = read_benchmark(BENCHMARK, f"source: no {BENCHMARK}; run benchmarks/certificate_gap.py or use "
                                        "source='run'")
        return ([r for r in res["cases"] if "skipped" not in r and r.get("construction") in cfg["constructions"]],
                res.get("setup", {}))
    run_case = benchmark_module(ROOT / "benchmarks", "certificate_gap").run_case

    rows = [run_case(n, tuple(w), e, cfg["time_limit"]) for w in cfg["widths"] for n in cfg["constructions"]
            for e in cfg["eps"]]
    return rows, {"time_limit_s": cfg["time_limit"]}


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per ticket: both certificates, exact interval, found; and the largest MILP-solved target."""
    cfg = {**DEFAULTS, **config}
    rows, setup = _rows(cfg)
    pts = [{k: r.get(k) for k in FIELDS} for r in rows]
    if "time_limit_s" not in setup:
        raise ValueError("benchmark: its setup has no 'time_limit_s'; rerun benchmarks/certificate_gap.py")
    limit = float(setup["time_limit_s"])
    largest = {}
    for name in cfg["constructions"]:
        ok = [p for p in pts if p["construction"] == name and p["solved"] and p["time_milp_s"] <= limit]
        best = max(ok, key=lambda p: (p["target_weights"], p["depth"]), default=None)
        unsolved = sorted({tuple(p["widths"]) for p in pts if p["construction"] == name and not p["solved"]})
        largest[name] = {"widths": None if best is None else best["widths"],
                         "target_weights": None if best is None else best["target_weights"],
                         "time_milp_s": None if best is None else best["time_milp_s"],
                         "unsolved_widths": [list(w) for w in unsolved]}
    solved = [p for p in pts if p["solved"]]
    bad = [p for p in solved if p["propagation_over_exact"] < 1 - 1e-9 or p["crown_over_exact"] < 1 - 1e-9
           or p["crown"] > p["propagation"] * (1 + 1e-9)]
    data = {"failures": {"k": len(bad), "n": len(solved)}, "n_unsolved": len(pts) - len(solved),
            "name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "milp_time_limit_s": limit,
            "points": pts, "largest_solved": largest,
            "max_propagation_over_exact": max((p["propagation_over_exact"] for p in solved), default=None),
            "max_crown_over_exact": max((p["crown_over_exact"] for p in solved), default=None),
            "max_exact_over_found": max((p["exact_over_found"] for p in solved if p["exact_over_found"]),
                                        default=None),
            "versions": versions()}
    write_json(data_path(DATA_NAME, cfg), data)
    return read_json(data_path(DATA_NAME, cfg))


_MARK = {"orseau": "o", "pensia": "s"}


def render(data: dict[str, Any]) -> Any:
    """Three panels (hidden width, depth, ε) of ``certified ÷ exact`` (propagation filled, CROWN open)
    and ``exact ÷ found`` (crosses), one marker shape per construction; log y."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(PAGE_WIDTH, 2.5), sharey=True)
    pts = [p for p in data["points"] if p["solved"]]
    for ax, (key, label) in zip(axes, [("width", "largest hidden width of the target"), ("depth", "target depth l"),
                                       ("eps", "ε")], strict=True):
        for name in sorted({p["construction"] for p in pts}):
            mine = [p for p in pts if p["construction"] == name]
            m = _MARK.get(name, "^")
            x = [p[key] for p in mine]
            jit = [1.0 + 0.04 * ((i % 5) - 2) for i in range(len(mine))]
            xj = [v * j for v, j in zip(x, jit, strict=True)]
            ax.plot(xj, [p["propagation_over_exact"] for p in mine], m, color="C0", ms=4, alpha=0.8,
                    label=measured_label(f"{name}: propagation ÷ exact"))
            ax.plot(xj, [p["crown_over_exact"] for p in mine], m, mfc="none", color="C1", ms=5,
                    label=measured_label(f"{name}: CROWN ÷ exact"))
            ax.plot(xj, [p["exact_over_found"] or 1.0 for p in mine], "x" if name == "orseau" else "+",
                    color="C2", ms=5, label=measured_label(f"{name}: exact ÷ found"))
        ax.axhline(1.0, color="k", lw=0.6, label=reference_label("ratio 1"))
        ax.set_xlabel(label)
        if key in ("width", "eps"):
            ax.set_xscale("log")
        ax.set_yscale("log")
    axes[0].set_ylabel("ratio (solved MILP tickets)")
    lg = data["largest_solved"]
    txt = "; ".join(f"{k}: {'-'.join(map(str, v['widths'])) if v['widths'] else 'none'}" for k, v in sorted(lg.items()))
    fig.suptitle(f"Largest target the MILP solved within {data['milp_time_limit_s']:.0f} s: {txt}")
    legend_below(fig, axes, ncol=3)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line with the largest ratios."""

    def f(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3g}"

    fl = data["failures"]
    return (f"Claim: both sound certificates (interval propagation and CROWN) are ≥ the exact sup error, and CROWN ≤ "
            f"propagation. Measured on {fl['n']} MILP-solved tickets (MILP time limit "
            f"{data['milp_time_limit_s']:.0f} s per ticket; {data['n_unsolved']} unsolved within it, "
            f"not drawn: no exact value): sound bounds over the exact sup error, propagation ≤ "
            f"{f(data['max_propagation_over_exact'])}×, CROWN ≤ {f(data['max_crown_over_exact'])}×; the search "
            f"misses at most a factor {f(data['max_exact_over_found'])}. Certified below exact or CROWN above "
            f"propagation: {failure_phrase(fl['k'], fl['n'])} tickets.")
