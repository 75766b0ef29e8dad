"""P-pensia-delta: Pensia's failure rate at its formula width against δ, with Clopper–Pearson intervals.

Pensia et al.'s width ``n = C·log₂(…/δ)`` per block carries an unspecified constant (``C = 3`` in use). The
claim: at the formula width for δ, the construction fails with probability ≤ δ. For each δ of the grid,
Pensia is built at its formula width for that δ on one pre-registered seed grid
(:func:`slt_check.experiments.minwidth.failures_at`, no early stop; every seed its own random target and
``G``; failure = ticket not ok or certified sup error > ε). Drawn: the failure rate with its exact 95 %
Clopper–Pearson interval against δ, the line rate = δ, and the ledger's own P-pensia-delta cases (read from
the ledger's results, not recomputed) with their verdicts.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core.stats import rate_verdict, seed_grid
from slt_check.experiments.minwidth import failures_at
from slt_check.experiments.plotting import (
    COLUMN_WIDTH,
    data_path,
    failure_phrase,
    ledger_claim,
    ledger_record,
    legend_below,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.experiments.sweep import run_sweep
from slt_check.tickets.ticket import versions

NAME = "pensia_delta"
READS_LEDGER = True
"""This figure shows ledger quantities: the report passes it its run's ``claims.json`` (``ledger_results``)."""
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"deltas": [0.2, 0.1], "n_seeds": 30, "eps": 1e-1},
    "quick": {"deltas": [0.2, 0.05, 0.01, 0.002, 0.0005], "n_seeds": 200},
    "full": {"deltas": [0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005], "n_seeds": 2000},
}
DEFAULTS = {"widths": [2, 2], "eps": 1e-2, "w_max": 1.0, "x_max": 1.0, "family": "uniform", "master_seed": 4,
            "alpha": 1e-3}


def _evaluate(p: dict[str, Any]) -> dict[str, Any]:
    """Failures of the full seed grid at Pensia's formula width for ``p["delta"]``."""
    prob = Problem(tuple(p["widths"]), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"])
    n = int(get_construction("pensia").plan(prob).n_samples_formula)
    return asdict(failures_at("pensia", {}, prob, n, p["seeds"], p["family"], early_stop=False))


def ledger_cases(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The ledger's P-pensia-delta rate tests (label, δ, k, n, CP interval, verdict), as recorded."""
    d = ledger_claim(results, "P-pensia-delta")["details"]
    keys = ("label", "delta", "k", "n", "ci_low", "ci_high", "verdict")
    return [{k: t[k] for k in keys} for t in d.get("rate_tests", [])]


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Failure count at the formula width for every δ; the ledger's cases."""
    cfg = {**DEFAULTS, **config}
    seeds = seed_grid(cfg["master_seed"], cfg["n_seeds"])
    pts = [{"widths": list(cfg["widths"]), "eps": cfg["eps"], "delta": d, "w_max": cfg["w_max"],
            "x_max": cfg["x_max"], "family": cfg["family"], "seeds": seeds} for d in cfg["deltas"]]
    rows = []
    for r in run_sweep(data_path("sweep_pensia_delta", cfg), pts, fn=_evaluate, desc="Pensia failure rate"):
        t, d = r["result"], r["params"]["delta"]
        v = rate_verdict(t["k"], t["n"], d, cfg["alpha"])
        rows.append(t | {"delta": d, "rate": t["k"] / t["n"], "verdict": v.verdict})
    results, where = ledger_record(cfg)
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k not in ("data_dir", "ledger_results")},
            "rows": rows, "ledger_cases": ledger_cases(results), "ledger": where,
            "failures": {"k": sum(r["k"] for r in rows), "n": sum(r["n"] for r in rows)}, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log–log: failure rate (CP bars) against δ, this run and the ledger's cases; the line rate = δ."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    floor = 0.5 / max(r["n"] for r in data["rows"])

    def draw(rows: list[dict[str, Any]], fmt: str, col: str, label: str) -> None:
        ax.errorbar([r["delta"] for r in rows], [max(r["rate"], floor) for r in rows],
                    yerr=[[max(r["rate"], floor) - max(r["cp_low"], floor) for r in rows],
                          [r["cp_high"] - max(r["rate"], floor) for r in rows]],
                    fmt=fmt, color=col, ms=4, capsize=2, label=measured_label(label))

    c = data["config"]
    draw(data["rows"], "o", "C0", f"this run, {'-'.join(map(str, c['widths']))} targets, ε = {c['eps']:g}")
    lc = [dict(r, rate=r["k"] / r["n"], cp_low=r["ci_low"], cp_high=r["ci_high"]) for r in data["ledger_cases"]]
    if lc:
        draw(lc, "s", "C3", "ledger cases")
    ds = sorted({r["delta"] for r in data["rows"]} | {r["delta"] for r in lc})
    ax.plot(ds, ds, "k-", lw=0.9, label=reference_label("failure rate = δ"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("δ")
    ax.set_ylabel("failure rate at the formula width")
    ax.set_title("Pensia: failure rate against δ")
    legend_below(fig, ax, ncol=1)
    return fig


def caption(data: dict[str, Any]) -> str:
    """The claim, targets, n per point, intervals; per δ: k/n, CP interval, verdict; the ledger's cases."""
    c = data["config"]
    per = "; ".join(f"δ = {r['delta']:g}: width {r['n_samples']}, {r['k']}/{r['n']} "
                    f"(CP {r['cp_low']:.3f}–{r['cp_high']:.3f}, {r['verdict']})"
                    for r in data["rows"])
    led = "; ".join(f"{r['label']}: {r['k']}/{r['n']} ({r['verdict']})" for r in data["ledger_cases"])
    f = data["failures"]
    return ("Claim (P-pensia-delta): at its formula width for δ (C = 3), Pensia's construction fails with probability "
            f"≤ δ. Measured failure rate (not ok, or certified sup error > ε = {c['eps']:g}) over {c['n_seeds']} "
            f"pre-registered seeds per δ, every seed its own random {'-'.join(map(str, c['widths']))} target (uniform "
            "weights) and G; bars: exact 95 % Clopper–Pearson intervals (zero rates drawn at half a count); verdict: "
            f"the ledger's rule rate_verdict. {per}. Overall {failure_phrase(f['k'], f['n'])} seeds. Ledger cases "
            f"(read from {data['ledger']}): {led}.")
