"""Depth dependence: per-weight precision η, digits M and width against depth l (§8 item 16).

Widths ``(n_0, n, …, n, n_l)`` with ``l = 1 … 6``: ``η(l)`` (``bounds.per_weight_precision``, R8
closed form), ``M(l)`` (``bounds.n_digits``) against the linear bound ``M(1) + (l−1)⌈log_γ(n_max
(w_max+1))⌉ + log_γ l + 1`` (``bounds.depth_linear_digit_bound``), the formula width ``N_w(l)``,
and one built ticket per depth (shared depth sweep ``sweep_depth.json``) with its certified error.
"""

from __future__ import annotations

from typing import Any

from slt_check import bounds
from slt_check.plotting import data_path, read_json, write_json
from slt_check.sweep import axis_points, default_seeds, run_sweep
from slt_check.ticket import versions

NAME = "depth"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"depths": [1, 2, 3], "n_seeds": 1},
    "quick": {"depths": [1, 2, 3, 4, 5, 6], "n_seeds": 2},
    "full": {"depths": [1, 2, 3, 4, 5, 6], "n_seeds": 10, "widths": [3, 4, 2]},
}
DEFAULTS = {"widths": [2, 3, 1], "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0,
            "sharing": "per_input", "family": "uniform", "master_seed": 3}


def depth_records(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Run (or resume) the depth sweep shared with ``fig_propagation``."""
    c = {**DEFAULTS, **cfg}
    base = {"construction": "orseau", "options": {"sharing": c["sharing"]}, "widths": list(c["widths"]),
            "eps": c["eps"], "delta": c["delta"], "w_max": c["w_max"], "x_max": c["x_max"],
            "family": c["family"], "seeds": default_seeds(c["master_seed"], c["n_seeds"])}
    return run_sweep(data_path("sweep_depth", c), axis_points(base, "depth", c["depths"]), desc="depth sweep")


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """η, M, linear bound, N_w and certified error per depth."""
    cfg = {**DEFAULTS, **config}
    recs = depth_records(cfg)
    M1 = None
    rows = []
    for r in recs:
        ws, plan = r["params"]["widths"], r["result"]["plan"]
        l = len(ws) - 1
        eta = bounds.per_weight_precision(cfg["eps"], ws, cfg["w_max"], cfg["x_max"])
        M = bounds.n_digits(cfg["w_max"], eta)
        if l == 1 or M1 is None:
            eta1 = bounds.per_weight_precision(cfg["eps"], [ws[0], ws[-1]], cfg["w_max"], cfg["x_max"])
            M1 = bounds.n_digits(cfg["w_max"], eta1)
        seeds = r["result"]["seeds"]
        rows.append({"l": l, "widths": ws, "eta": eta, "M": M, "M_plan": plan["M"],
                     "M_linear_bound": bounds.depth_linear_digit_bound(M1, l, max(ws), cfg["w_max"]),
                     "n_formula": plan["n_samples_formula"], "G_neurons": plan["G_neurons"],
                     "certified": [s["certified"] for s in seeds], "found": [s["found"] for s in seeds],
                     "ok": [s["ok"] for s in seeds]})
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "M1": M1,
            "rows": rows, "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def render(data: dict[str, Any]) -> Any:
    """Left: M(l) and its linear bound, N_w(l)/100; right: η(l) (log)."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.2, 3.2))
    rows = data["rows"]
    ls = [r["l"] for r in rows]
    a1.plot(ls, [r["M"] for r in rows], "o-", label="M(l) digits per weight")
    a1.plot(ls, [r["M_linear_bound"] for r in rows], "k--", label="linear bound (claim 16)")
    a1.plot(ls, [r["n_formula"] / 100 for r in rows], "s-", label="N_w(l) / 100")
    a1.set_xlabel("target depth l")
    a1.set_ylabel("count")
    a1.legend(loc="best")
    a2.semilogy(ls, [r["eta"] for r in rows], "o-", color="C3", label="η(l) per-weight precision")
    a2.semilogy(ls, [max(r["certified"]) for r in rows], "^-", color="C4", label="certified sup error")
    a2.axhline(data["config"]["eps"], color="k", ls=":", label="ε")
    a2.set_xlabel("target depth l")
    a2.legend(loc="best")
    fig.suptitle(f"Depth dependence (widths {rows[-1]['widths']} truncated to depth l, ε = {data['config']['eps']:g})",
                 fontsize=9)
    return fig


def caption(data: dict[str, Any]) -> str:
    """One line: growth of M and N_w with depth."""
    r0, r1 = data["rows"][0], data["rows"][-1]
    return (f"Depth l = {r0['l']}…{r1['l']}: digits M {r0['M']}→{r1['M']} (linear bound {r1['M_linear_bound']:.1f}), "
            f"N_w {r0['n_formula']}→{r1['n_formula']}, η {r0['eta']:.2g}→{r1['eta']:.2g}; certified error stays ≤ ε.")
