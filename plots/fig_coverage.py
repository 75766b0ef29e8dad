"""Hyperbolic against uniform: category-coverage cost against M (R7, R11; docs/reconstruction.md#r11).

One draw is a pair ``(a, b)`` of independent weights; with the sign of ``ab`` fixed (positive),
the ``2M`` categories are ``(sign a, tile k)``, ``|ab| ∈ T_k = w_max[γ^{−k}, γ^{1−k})``
(``digits.tile_index``), ``k = 1 … M``. The cost is the number of draws until every category has
appeared; we report its mean over ``n_trials`` seeded trials (``stats.seed_grid``).

* hyperbolic: ``a, b ~ p_h(α, β)``, ``(α, β) = bounds.hyperbolic_support(M, w_max)``; theory: every
  category has probability ≥ 1/(8M) (R7), so the coupon collector gives mean ≤ ``8M(ln 2M + 1)``;
  the exact mean for the true category probabilities (closed-form product CDF,
  ``laws.product_magnitude_cdf``) is ``bounds.coupon_collector_mean``.
* uniform ``U[−1, 1]``: the smallest tile has probability ≈ γ^{−M}, so the cost grows geometrically
  (R11: ratio of means between M and M+5 ≥ 1.5⁵/2 ≈ 3.8 once M ≥ 15).

An earlier independent measurement (docs/reconstruction.md#reference-values, ``OBSERVED``) found
hyperbolic 84/205/516/828 (M = 5/10/20/30), uniform 94/205/1368/6786 (M = 5/10/15/20).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check.core import bounds
from slt_check.core.digits import tile_index
from slt_check.core.laws import Hyperbolic, Product, Uniform, product_magnitude_cdf
from slt_check.core.stats import seed_grid
from slt_check.experiments.plotting import (
    COLUMN_WIDTH,
    data_path,
    failure_phrase,
    formula_label,
    legend_below,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.tickets.ticket import versions

NAME = "coverage"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"M_hyperbolic": [5, 10], "M_uniform": [5, 10], "n_trials": 50},
    "quick": {"M_hyperbolic": [5, 10, 20, 30], "M_uniform": [5, 10, 15, 20], "n_trials": 300},
    "full": {"M_hyperbolic": [5, 10, 15, 20, 25, 30, 40], "M_uniform": [5, 10, 15, 20, 22],
             "n_trials": 2000},
}
DEFAULTS = {"w_max": 1.0, "master_seed": 4}
OBSERVED = {"hyperbolic": {5: 84, 10: 205, 20: 516, 30: 828}, "uniform": {5: 94, 10: 205, 15: 1368, 20: 6786}}


def law_for(kind: str, M: int, w_max: float) -> Any:
    """The weight law of one factor: hyperbolic on R7's support, or ``U[−1, 1]``."""
    if kind == "hyperbolic":
        return Hyperbolic(*bounds.hyperbolic_support(M, w_max))
    if kind == "uniform":
        return Uniform(-1.0, 1.0)
    raise ValueError(f"kind: expected 'hyperbolic' or 'uniform', got {kind!r}")


def coverage_draws(law: Any, M: int, w_max: float, rng: np.random.Generator, chunk: int = 4096) -> int:
    """Draws of ``(a, b)`` until all 2M categories ``(sign a, tile k)`` with ``ab > 0`` appeared."""
    first = np.full(2 * M, -1, dtype=np.int64)
    drawn = 0
    while np.any(first < 0):
        a, b = law.sample(rng, chunk), law.sample(rng, chunk)
        p = a * b
        k = tile_index(np.abs(p), w_max)
        good = (p > 0) & (k >= 1) & (k <= M)
        idx = np.flatnonzero(good)
        cat = (a[idx] > 0).astype(np.int64) * M + (k[idx] - 1)
        pos, where = np.unique(cat, return_index=True)
        new = first[pos] < 0
        first[pos[new]] = drawn + idx[where[new]] + 1
        drawn += chunk
        chunk = min(2 * chunk, 1 << 20)
    return int(first.max())


def category_probs(kind: str, M: int, w_max: float) -> list[float]:
    """Exact category probabilities ``P(sign a, ab > 0, |ab| ∈ T_k) = ¼ P(|ab| ∈ T_k)``."""
    law = law_for(kind, M, w_max)
    edges = w_max * bounds.GAMMA ** -np.arange(M + 1.0)  # T_k = [edges[k], edges[k-1])
    cdf = product_magnitude_cdf(Product(law, law), edges)
    tiles = np.clip(cdf[:-1] - cdf[1:], 0.0, None) / 4.0
    return [float(t) for t in np.concatenate([tiles, tiles])]


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Mean (and standard error) coverage cost per law and M; bounds and exact means."""
    cfg = {**DEFAULTS, **config}
    rows = []
    for j, kind in enumerate(("hyperbolic", "uniform")):
        for M in cfg[f"M_{kind}"]:
            seeds = seed_grid(cfg["master_seed"] * 1000 + 100 * j + M, cfg["n_trials"])
            law = law_for(kind, M, cfg["w_max"])
            costs = np.array([coverage_draws(law, M, cfg["w_max"], np.random.default_rng(s)) for s in seeds])
            probs = category_probs(kind, M, cfg["w_max"])
            rows.append({
                "law": kind, "M": M, "n_trials": len(seeds), "mean": float(costs.mean()),
                "se": float(costs.std(ddof=1) / math.sqrt(len(costs))),
                "coupon_bound": 8 * M * (math.log(2 * M) + 1),
                "exact_mean": bounds.coupon_collector_mean(probs),
                "min_category_prob": min(probs), "observed_paper": OBSERVED[kind].get(M),
            })
    for r in rows:
        h = 1.959963984540054 * r["se"]
        r["ci_low"], r["ci_high"] = r["mean"] - h, r["mean"] + h
    hyp = [r for r in rows if r["law"] == "hyperbolic"]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "rows": rows,
            "failures": {"k": sum(r["ci_low"] > r["coupon_bound"] for r in hyp), "n": len(hyp)},
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Log y: measured mean cost with 95 % interval per law, exact means and the coupon bound (formulas,
    the bound over the hyperbolic M only), the earlier reference values."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.6))
    for i, kind in enumerate(("hyperbolic", "uniform")):
        rs = [r for r in data["rows"] if r["law"] == kind]
        M = [r["M"] for r in rs]
        ax.errorbar(M, [r["mean"] for r in rs], yerr=[[r["mean"] - r["ci_low"] for r in rs],
                                                       [r["ci_high"] - r["mean"] for r in rs]],
                    fmt="o", color=f"C{i}", capsize=3,
                    label=measured_label(f"{kind}: mean draws"))
        ax.plot(M, [r["exact_mean"] for r in rs], "-", color=f"C{i}", lw=0.8,
                label=formula_label(f"{kind}: exact mean"))
        obs = [(r["M"], r["observed_paper"]) for r in rs if r["observed_paper"]]
        if obs:
            ax.plot(*zip(*obs, strict=True), "+", color=f"C{i}", ms=8,
                    label=reference_label(f"{kind}: earlier measurement"))
    hb = sorted((r["M"], r["coupon_bound"]) for r in data["rows"] if r["law"] == "hyperbolic")
    ax.plot(*zip(*hb, strict=True), "k--", label=formula_label("8M(ln 2M + 1), hyperbolic law only"))
    ax.set_yscale("log")
    ax.set_xlabel("M (digits per weight)")
    ax.set_ylabel("draws of (a, b) until all 2M categories")
    ax.set_title("Cost of covering all digit categories")
    legend_below(fig, ax, ncol=1)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: the measured means with 95 % intervals; bound failures."""
    def fmt(kind: str) -> str:
        rs = [r for r in data["rows"] if r["law"] == kind]
        return ", ".join(f"{r['mean']:.0f} [{r['ci_low']:.0f}, {r['ci_high']:.0f}]" for r in rs)

    f = data["failures"]
    return (f"Measured mean draws until all 2M categories (95 % interval, {data['rows'][0]['n_trials']} trials each): "
            f"hyperbolic {fmt('hyperbolic')} (M = {data['config']['M_hyperbolic']}), uniform {fmt('uniform')} "
            f"(M = {data['config']['M_uniform']}); lines: exact means and the coupon bound 8M(ln 2M + 1), which "
            f"applies to the hyperbolic law only (formulas). Hyperbolic M whose interval lies above the bound: "
            f"{failure_phrase(f['k'], f['n'])}.")
