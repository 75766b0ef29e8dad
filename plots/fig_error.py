"""Certified and found sup error against ε, with the line error = ε (R9/R10, §8 item 12).

Data: the shared ε sweep (``sweep_eps.json``) of ``fig_samples`` — resumed, not recomputed.
``certified`` is the sound upper bound of :func:`slt_check.certify.sup_error`, ``found`` the largest
error the adversarial search observed; ``found ≤ certified`` always and, for tickets whose
construction succeeded, ``certified ≤ ε`` (R9).
"""

from __future__ import annotations

from typing import Any

from slt_check.plotting import data_path, load_figure_module, read_json, write_json
from slt_check.ticket import versions

NAME = "error"


_S = load_figure_module("samples")
CONFIGS = _S.CONFIGS


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Per construction and ε: max certified / found error over seeds, and success flags."""
    cfg = {**_S.DEFAULTS, **config}
    series = {}
    for label, rs in _S.eps_records(cfg).items():
        series[label] = [
            {"eps": r["eps"], "certified": r["certified"], "found": r["found"], "ok": r["ok"],
             "certified_max": max(r["certified"]), "found_max": max(r["found"])}
            for r in rs if "certified" in r
        ]
    ratios = [p["certified_max"] / p["eps"] for s in series.values() for p in s if all(p["ok"])]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "series": series,
            "max_certified_over_eps": max(ratios) if ratios else None, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log-log: certified (filled) and found (open) over successful tickets per construction, failed
    tickets' certified error as crosses; the diagonal error = ε."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    eps_all = sorted({p["eps"] for s in data["series"].values() for p in s})
    failed_label = "failed ticket (not ok): certified"
    for i, (label, s) in enumerate(sorted(data["series"].items())):
        good = [p for p in s if any(p["ok"])]
        if good:
            x = [p["eps"] for p in good]
            ax.plot(x, [max(c for c, ok in zip(p["certified"], p["ok"], strict=True) if ok) for p in good],
                    "o-", color=f"C{i}", label=f"{label}: certified")
            ax.plot(x, [max(max(f for f, ok in zip(p["found"], p["ok"], strict=True) if ok), 1e-17) for p in good],
                    "o--", mfc="none", color=f"C{i}", label=f"{label}: found")
        bad = [(p["eps"], c) for p in s for c, ok in zip(p["certified"], p["ok"], strict=True) if not ok]
        if bad:
            ax.plot(*zip(*bad, strict=True), "x", color=f"C{i}", ms=7, label=f"{label}: {failed_label}")
    if eps_all:
        ax.plot(eps_all, eps_all, "k-", lw=0.8, label="error = ε")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ε")
    ax.set_ylabel("sup error over the box")
    ax.set_title("Certified (upper) and found (lower) sup error, successful tickets")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line with the largest certified/ε ratio."""
    r = data["max_certified_over_eps"]
    return ("Certified upper bound (filled) and adversarially found error (open) against ε; the line is "
            f"error = ε. Largest certified/ε over successful tickets: {r:.3g}"
            + (f" (≥ {1 / r:.0f}× below ε)." if r else "."))
