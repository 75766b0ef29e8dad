"""Certified and found sup error against ε, every ticket of the ε sweep (R9/R10, §8 item 12).

Data: the shared ε sweep (``sweep_eps.json``) of ``fig_samples`` — resumed, not recomputed.
``certified`` is the sound upper bound of :func:`slt_check.certificates.sup_error.sup_error`, ``found`` the largest
error the adversarial search observed; ``found ≤ certified`` always. A seed *fails* when its ticket
was not built, is not ok, or is certified above ε; R9 says a successful ticket has certified ≤ ε.

Drawn: per construction and ε, the geometric mean of certified (filled) and found (open) errors
over the successful seeds with the 95 % t-interval of the mean of ``ln`` (``plotting.mean_ci``);
every failed seed as a cross at its certified error (a triangle at the top if nothing was built).
The caption counts the failures ``k/n`` per construction.
"""

from __future__ import annotations

from typing import Any

from slt_check.experiments.plotting import (
    COLUMN_WIDTH,
    data_path,
    display_name,
    failure_phrase,
    legend_below,
    load_figure_module,
    mean_ci,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.tickets.ticket import versions

NAME = "error"
FLOOR = 1e-17
"""Found errors of exactly 0 are drawn (and averaged on log scale) at this floor."""

_S = load_figure_module("samples")
CONFIGS = _S.CONFIGS


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per construction and ε: per-seed certified / found / failed, intervals over successful seeds."""
    cfg = {**_S.DEFAULTS, **config}
    series = {}
    for label, rs in _S.eps_records(cfg).items():
        pts = []
        for r in rs:
            if not r["n_seeds"]:
                continue
            good = [i for i, f in enumerate(r["failed"]) if not f]
            p = {"eps": r["eps"], "certified": r["certified"], "found": r["found"], "ok": r["ok"],
                 "built": r["built"], "failed": r["failed"], "n_ok": len(good)}
            if good:
                p["certified_ci"] = mean_ci([r["certified"][i] for i in good], log=True)
                p["found_ci"] = mean_ci([max(r["found"][i], FLOOR) for i in good], log=True)
                p["certified_max_ok"] = max(r["certified"][i] for i in good)
            pts.append(p)
        series[label] = pts
    ratios = [p["certified_max_ok"] / p["eps"] for s in series.values() for p in s if "certified_max_ok" in p]
    fails = [f for s in series.values() for p in s for f in p["failed"]]
    per = {k: {"k": sum(f for p in s for f in p["failed"]), "n": sum(len(p["failed"]) for p in s)}
           for k, s in series.items()}
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "series": series,
            "max_certified_over_eps_ok": max(ratios) if ratios else None,
            "failures": {"k": sum(fails), "n": len(fails)}, "failures_by_label": per, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log-log: successful tickets' certified (filled) / found (open) with 95 % CI; failed seeds as crosses."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.8))
    eps_all = sorted({p["eps"] for s in data["series"].values() for p in s})
    top = 3.0
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        col = f"C{i}"
        jit = 1.0 + 0.06 * (i - 2)
        good = [p for p in s if "certified_ci" in p]
        for key, mfc, name in (("certified_ci", col, "certified"), ("found_ci", "none", "found")):
            if not good:
                continue
            c = [p[key] for p in good]
            ax.errorbar([p["eps"] * jit for p in good], [v["mean"] for v in c],
                        yerr=[[v["mean"] - v["low"] for v in c], [v["high"] - v["mean"] for v in c]],
                        fmt="o", mfc=mfc, color=col, ms=4, capsize=2,
                        label=measured_label(f"{display_name(label)}, {name}"))
        bad = [(p["eps"] * jit, c if c is not None else top) for p in s
               for c, f in zip(p["certified"], p["failed"], strict=True) if f]
        if bad:
            ax.plot(*zip(*bad, strict=True), "x", color=col, ms=8, mew=1.5,
                    label=measured_label(f"{display_name(label)}, failed seed (certified)"))
    if eps_all:
        ax.plot(eps_all, eps_all, "k-", lw=0.8, label=reference_label("error = ε"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε")
    ax.set_ylabel("sup error over the box")
    f = data["failures"]
    ax.set_title(f"Certified and found sup error ({failure_phrase(f['k'], f['n'])} seeds, ×)")
    legend_below(fig, ax, ncol=2)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: failures per construction and the largest certified/ε among successful tickets."""
    r = data["max_certified_over_eps_ok"]
    per = "; ".join(f"{k} {failure_phrase(v['k'], v['n'])}" for k, v in sorted(data["failures_by_label"].items()))
    f = data["failures"]
    return ("Measured: geometric mean over successful seeds (95 % t-interval) of the certified upper bound (filled) "
            "and the adversarially found error (open) against ε; crosses: every failed seed (not built, not ok, or "
            f"certified > ε) at its certified error; the line is error = ε. {failure_phrase(f['k'], f['n'])} seeds "
            f"({per}). Largest certified/ε over successful tickets: "
            + (f"{r:.3g}." if r is not None else "n/a."))
