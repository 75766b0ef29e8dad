"""Edge-popup vs the constructions, on the same random ``G``: the smallest width at which each reaches ε.

For each target ``random:<widths>`` (target seed ``seed + 1_000_003``, the CLI's convention), source
construction ``S`` ∈ {orseau, pensia}, ``ε`` and ``G`` seed ``s`` (pre-registered grid ``0 … n_seeds−1``,
no seed is re-drawn or dropped):

* **construction**: the ticket at ``S``'s formula width ``N_f`` (``plan["n_samples_formula"]``): kept
  weights ``k_S``, certified / found sup error (:func:`slt_check.certify.sup_error`), wall time; and the
  per-seed empirical minimal width ``N_S`` = the smallest ``N`` on the doubling grid ``1, 2, 4, … ≤ 2N_f``
  with ``ticket.ok`` and certified ``≤ ε`` (same ``G`` seed at every width);
* **edge-popup** (:class:`slt_check.constructions.edge_popup.EdgePopup`, ``source = S``, budget
  ``k = k_S`` at every width, ``train_seed = s``): the smallest ``N`` on the doubling grid ``8, 16, …,
  n_cap`` at which its MILP-certified sup error is ``≤ ε`` (the search stops at the first success;
  success is not assumed monotone in ``N``); per width the certified / found error and wall time.

Writes ``benchmarks/results/edge_popup.json`` (atomically). A wall-clock budget (``--budget-s``) stops
the sweep; cells not run are listed as such, never silently dropped.

    python benchmarks/edge_popup_vs_constructions.py [--seeds 5] [--steps 800] [--budget-s 780]
    # the recorded result: run A (defaults) ran out of budget before its ε = 0.03 cells; run B
    # (--eps 0.03 --seeds 3 --budget-s 400 --out b.json) ran them in parallel; then
    python benchmarks/edge_popup_vs_constructions.py --combine benchmarks/results/edge_popup.json b.json
    # replaces A's cells marked 'not run' by B's cells of the same key (nothing is re-run)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import torch

from slt_check.certify import sup_error
from slt_check.constructions import build_ticket, get_construction
from slt_check.constructions.base import json_ready
from slt_check.minwidth import target_for_seed
from slt_check.safe_io import atomic_write_json
from slt_check.ticket import versions

TARGETS = ((2, 2, 1), (2, 3, 1), (3, 4, 2))
EPSILONS = (0.1, 0.03)
SOURCES = ("pensia", "orseau")
DELTA = 0.05
OUT = Path(__file__).resolve().parent / "results" / "edge_popup.json"


def construction_cell(name: str, target: Any, eps: float, seed: int) -> dict[str, Any]:
    """The construction's ticket at its formula width, and its per-seed minimal doubling-grid width."""
    t0 = time.perf_counter()
    tk = build_ticket(target, eps, DELTA, seed, construction=name, allow_failure=True)
    err = sup_error(target, tk, 1.0, rng=seed, n_random=1024, n_starts=4, steps=30)
    t_formula = time.perf_counter() - t0
    n_formula = int(tk.meta["plan"]["n_samples_formula"])
    n_min, tried = None, []
    N = 1
    t1 = time.perf_counter()
    while N <= 2 * n_formula:
        t = build_ticket(target, eps, DELTA, seed, construction=get_construction(name, n_samples=N),
                         allow_failure=True)
        cert = sup_error(target, t, 1.0, rng=seed, n_random=16, n_starts=0, steps=0).certified
        ok = bool(t.ok) and cert <= eps
        tried.append({"n_samples": N, "ok": bool(t.ok), "certified": cert, "kept": t.n_kept})
        if ok:
            n_min = N
            break
        N *= 2
    return {
        "n_formula": n_formula, "kept": tk.n_kept, "ok": bool(tk.ok), "certified": err.certified,
        "found": err.found, "G_params": tk.G.n_params, "time_s": t_formula, "n_min_grid": n_min,
        "min_grid_trials": tried, "min_grid_time_s": time.perf_counter() - t1,
    }


def edge_popup_cell(source: str, target: Any, eps: float, seed: int, k: int, steps: int,
                    n_cap: int) -> dict[str, Any]:
    """Edge-popup on the source's ``G`` at widths ``8, 16, …, n_cap`` until certified ``≤ ε``."""
    trials, n_min = [], None
    N = 8
    while N <= n_cap:
        t0 = time.perf_counter()
        tk = build_ticket(target, eps, DELTA, seed, construction="edge-popup", source=source, n_samples=N, k=k,
                          steps=steps, train_seed=seed, allow_failure=True)
        m = tk.meta
        trials.append({
            "n_samples": N, "k": m["k"], "G_params": tk.G.n_params, "certified": m["certified_at_select"],
            "found": m["found_at_select"], "milp_status": m["certificate_detail"]["status"],
            "valid_max_error": m["training"]["valid_max_error"], "ok": bool(tk.ok),
            "train_s": m["timing_train_s"], "certify_s": m["timing_certify_s"],
            "time_s": time.perf_counter() - t0,
        })
        if tk.ok:
            n_min = N
            break
        N *= 2
    return {"n_min_grid": n_min, "grid_cap": n_cap, "trials": trials}


KEY = ("target", "source", "eps", "seed")


def combine(path_a: Path, path_b: Path, out: Path) -> None:
    """``A`` with every cell that ``A`` did not run replaced by ``B``'s cell of the same key (if ``B`` ran it);
    both runs' settings are kept under ``runs``."""
    a, b = json.loads(path_a.read_text()), json.loads(path_b.read_text())
    done_b = {tuple(c[k] for k in KEY): c for c in b["cells"] if c["status"] == "done"}
    cells = [done_b.get(tuple(c[k] for k in KEY), c) if c["status"] != "done" else c for c in a["cells"]]
    runs = a.get("runs", [dict(a["settings"], wall_s=a["wall_s"], name="A")])
    runs = runs + [dict(b["settings"], wall_s=b["wall_s"], name="B")]
    atomic_write_json(out, dict(a, cells=cells, runs=runs, wall_s=sum(r["wall_s"] for r in runs)))
    print(f"wrote {out}: {sum(c['status'] == 'done' for c in cells)} of {len(cells)} cells run")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--n-cap", type=int, default=64)
    ap.add_argument("--budget-s", type=float, default=780.0)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--eps", type=float, nargs="+", default=list(EPSILONS))
    ap.add_argument("--combine", type=Path, nargs=2, default=None, metavar=("A", "B"),
                    help="write A with its not-run cells replaced by B's cells of the same key; run nothing")
    args = ap.parse_args()
    if args.combine:
        combine(*args.combine, args.out)
        return
    torch.set_num_threads(1)
    t_start = time.perf_counter()
    cells: list[dict[str, Any]] = []
    for eps in args.eps:
        for widths in TARGETS:
            for source in SOURCES:
                for seed in range(args.seeds):
                    key = {"target": "random:" + "-".join(map(str, widths)), "target_seed": seed + 1_000_003,
                           "source": source, "eps": eps, "seed": seed}
                    if time.perf_counter() - t_start > args.budget_s:
                        cells.append(key | {"status": "not run (time budget)"})
                        continue
                    target = target_for_seed(widths, 1.0, seed, "uniform")
                    con = construction_cell(source, target, eps, seed)
                    ep = edge_popup_cell(source, target, eps, seed, con["kept"], args.steps, args.n_cap)
                    cells.append(key | {"status": "done", "construction": con, "edge_popup": ep})
                    print(key, "| constr N_f", con["n_formula"], "N_min", con["n_min_grid"], "kept", con["kept"],
                          "cert {:.2e}".format(con["certified"]), "| edge-popup N_min", ep["n_min_grid"],
                          "best cert {:.3g}".format(min(t["certified"] for t in ep["trials"])), flush=True)
    wall = time.perf_counter() - t_start
    out = {
        "description": __doc__,
        "settings": {"targets": [list(t) for t in TARGETS], "eps": list(args.eps), "sources": list(SOURCES),
                     "delta": DELTA, "seeds": list(range(args.seeds)), "edge_popup_steps": args.steps,
                     "edge_popup_grid": [8 * 2**i for i in range(int(math.log2(args.n_cap / 8)) + 1)],
                     "budget_s": args.budget_s, "torch_threads": 1,
                     "device": "cuda" if torch.cuda.is_available() else "cpu"},
        "versions": versions() | {"torch": torch.__version__},
        "wall_s": wall,
        "cells": json_ready(cells),
    }

    atomic_write_json(args.out, out)
    print(f"wrote {args.out} in {wall:.0f} s")


if __name__ == "__main__":
    main()
