"""Edge-popup vs the constructions, on the same random ``G``: the smallest width at which each reaches ε.

    python benchmarks/edge_popup_vs_constructions.py            # the recorded run (≤ 20 min, 1 core)
    python benchmarks/edge_popup_vs_constructions.py --quick    # 1 seed, 2 small targets (under a minute)
    python plots/fig_edge_popup.py [--quick]                    # the figure from the JSON written here

For each target ``random:<widths>`` (target seed ``seed + 1_000_003``, the CLI's convention), source
construction ``S`` ∈ {orseau, pensia}, ``ε`` and ``G`` seed ``s`` (pre-registered seeds ``0 … n_seeds−1``,
no seed is re-drawn or dropped):

* **construction** (:func:`slt_check.pipeline.build.build`): the ticket at ``S``'s formula width ``N_f``
  (``plan.n_samples_formula``): kept weights ``k_S``, certified / found sup error on ``‖x‖∞ ≤ 1``,
  wall time; and the per-seed empirical minimal width ``N_S`` = the smallest ``N`` on the doubling grid
  ``1, 2, 4, … ≤ 2N_f`` with ``ok`` and certified ``≤ ε`` (same ``G`` seed at every width);
* **edge-popup** (:class:`slt_check.constructions.edge_popup.EdgePopup`, ``source = S``, budget
  ``k = k_S`` at every width, ``train_seed = s``): the smallest ``N`` on the doubling grid ``8, 16, …,
  n_cap`` at which its MILP-certified sup error is ``≤ ε`` (the search stops at the first success;
  success is not assumed monotone in ``N``); per width the certified / found error and wall time.

Work is cut to fit a time budget, and every cut is recorded: the cells are run seed by seed (all of
seed 0 first), so the global budget (``--budget-s``) removes whole late seeds, marked ``"not run (time
budget)"``; within a cell, edge-popup widths after the cell budget (``--cell-budget-s``) are marked
``"not run (cell budget)"`` and the cell's grid limit is the last width tried (a minimal width not reached
there is *censored* at that limit). Writes ``benchmarks/results/edge_popup.json`` (``--quick``:
``edge_popup_quick.json``) and the Markdown table of the same name (``.md``), atomically.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from slt_check.certificates.sup_error import sup_error
from slt_check.experiments.minwidth import target_for_seed
from slt_check.io.safe_io import atomic_write_json, atomic_write_text
from slt_check.io.textio import json_ready
from slt_check.pipeline.build import build
from slt_check.tickets.ticket import versions

TARGETS = ((2, 2, 1), (2, 3, 1), (3, 4, 2))
EPSILONS = (0.1, 0.03)
SOURCES = ("orseau", "pensia")
DELTA = 0.05
RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "edge_popup.json"
OUT_QUICK = RESULTS / "edge_popup_quick.json"
FULL = {"seeds": 3, "steps": 800, "n_cap": 64, "budget_s": 960.0, "cell_budget_s": 75.0,
        "targets": [list(t) for t in TARGETS], "eps": list(EPSILONS), "time_limit": 20.0}
QUICK = {"seeds": 1, "steps": 400, "n_cap": 32, "budget_s": 240.0, "cell_budget_s": 20.0,
         "targets": [[2, 2, 1], [2, 3, 1]], "eps": [0.1], "time_limit": 10.0}
METHODS = ("orseau", "pensia", "edge-popup[orseau G]", "edge-popup[pensia G]")
"""Row labels: a construction, or edge-popup on that construction's ``G`` (at its kept budget)."""


def construction_cell(name: str, target: Any, eps: float, seed: int, grid_max: int | None = None) -> dict[str, Any]:
    """The construction's ticket at its formula width (built, validated and certified by
    :func:`slt_check.pipeline.build.build`), and its per-seed minimal doubling-grid width ``≤ 2N_f``
    (or ``≤ grid_max`` when given)."""
    t0 = time.perf_counter()
    res = build(target, eps, DELTA, seed, construction=name, allow_failure=True, search_seed=seed)
    t_formula = time.perf_counter() - t0
    tk = res.ticket
    n_formula = int(tk.meta.plan.n_samples_formula)
    limit = 2 * n_formula if grid_max is None else min(grid_max, 2 * n_formula)
    n_min, kept_min, tried = None, None, []
    N = 1
    t1 = time.perf_counter()
    while N <= limit:
        r = build(target, eps, DELTA, seed, construction=name, n_samples=N, allow_failure=True, certify=False)
        cert = sup_error(target, r.ticket, 1.0, rng=seed, n_random=16, n_starts=0, steps=0).certified
        ok = bool(r.ok) and cert <= eps
        tried.append({"n_samples": N, "ok": bool(r.ok), "certified": cert, "kept": r.ticket.n_kept})
        if ok:
            n_min, kept_min = N, r.ticket.n_kept
            break
        N *= 2
    return {
        "n_formula": n_formula, "kept": tk.n_kept, "ok": bool(res.ok), "certified": res.certified,
        "found": res.found, "certificate": res.sup_error.certificate, "G_params": tk.G.n_params,
        "time_s": t_formula, "timings": res.timings, "n_min_grid": n_min, "kept_at_min": kept_min,
        "grid_limit": limit, "min_grid_trials": tried, "min_grid_time_s": time.perf_counter() - t1,
    }


def edge_popup_cell(source: str, target: Any, eps: float, seed: int, k: int, steps: int, n_cap: int,
                    cell_budget_s: float, time_limit: float) -> dict[str, Any]:
    """Edge-popup on the source's ``G`` at widths ``8, 16, …, n_cap`` until certified ``≤ ε`` (or the cell
    budget is spent: later widths are marked not run). The certificate is the MILP the construction
    runs in ``select`` (``meta.certified_at_select``); the pipeline validates the ticket against its seed."""
    trials: list[dict[str, Any]] = []
    n_min, limit = None, None
    N = 8
    t_cell = time.perf_counter()
    while N <= n_cap:
        if time.perf_counter() - t_cell > cell_budget_s:
            trials.append({"n_samples": N, "status": "not run (cell budget)"})
            N *= 2
            continue
        t0 = time.perf_counter()
        r = build(target, eps, DELTA, seed, construction="edge-popup", source=source, n_samples=N, k=k,
                  steps=steps, train_seed=seed, time_limit=time_limit, allow_failure=True, certify=False)
        m = r.ticket.meta.records
        trials.append({
            "n_samples": N, "status": "done", "k": m["k"], "G_params": r.ticket.G.n_params,
            "certified": r.ticket.meta.certified_at_select, "found": m["found_at_select"],
            "milp_status": m["certificate_detail"]["status"], "valid_max_error": m["training"]["valid_max_error"],
            "ok": bool(r.ok), "train_s": m["timing_train_s"], "certify_s": m["timing_certify_s"],
            "time_s": time.perf_counter() - t0,
        })
        limit = N
        if r.ok:
            n_min = N
            break
        N *= 2
    return {"n_min_grid": n_min, "grid_cap": n_cap, "grid_limit": limit, "k": k, "trials": trials,
            "time_s": time.perf_counter() - t_cell}


def run(cfg: dict[str, Any], log: bool = True) -> dict[str, Any]:
    """The sweep of the module docstring under ``cfg`` (keys of :data:`FULL`); returns the results dict."""
    torch.set_num_threads(1)
    t_start = time.perf_counter()
    cells: list[dict[str, Any]] = []
    for seed in range(cfg["seeds"]):
        for eps in cfg["eps"]:
            for widths in cfg["targets"]:
                for source in SOURCES:
                    key = {"target": "random:" + "-".join(map(str, widths)), "target_seed": seed + 1_000_003,
                           "source": source, "eps": eps, "seed": seed}
                    if time.perf_counter() - t_start > cfg["budget_s"]:
                        cells.append(key | {"status": "not run (time budget)"})
                        continue
                    target = target_for_seed(tuple(widths), 1.0, seed, "uniform")
                    con = construction_cell(source, target, eps, seed, cfg.get("construction_grid_max"))
                    ep = edge_popup_cell(source, target, eps, seed, con["kept"], cfg["steps"], cfg["n_cap"],
                                         cfg["cell_budget_s"], cfg["time_limit"])
                    cells.append(key | {"status": "done", "construction": con, "edge_popup": ep})
                    if log:
                        done = [t for t in ep["trials"] if t["status"] == "done"]
                        print(key, "| constr N_f", con["n_formula"], "N_min", con["n_min_grid"], "kept", con["kept"],
                              f"cert {con['certified']:.2e}", "| edge-popup N_min", ep["n_min_grid"],
                              "best cert {:.3g}".format(min(t["certified"] for t in done)),
                              f"{ep['time_s']:.0f} s | t={time.perf_counter() - t_start:.0f} s", flush=True)
    return {
        "description": __doc__,
        "settings": {**cfg, "sources": list(SOURCES), "delta": DELTA, "seed_list": list(range(cfg["seeds"])),
                     "edge_popup_grid": [8 * 2**i for i in range(20) if 8 * 2**i <= cfg["n_cap"]],
                     "torch_threads": 1, "device": "cuda" if torch.cuda.is_available() else "cpu"},
        "versions": versions() | {"torch": torch.__version__},
        "wall_s": time.perf_counter() - t_start,
        "cells": json_ready(cells),
    }


# ---------------------------------------------------------------------------------------------- summary


def _med_range(vals: list[float], fmt: str = "{:.3g}") -> str:
    if not vals:
        return "—"
    lo, hi = min(vals), max(vals)
    med = statistics.median_low(sorted(vals))
    return fmt.format(med) if lo == hi else f"{fmt.format(med)} [{fmt.format(lo)}–{fmt.format(hi)}]"


def method_rows(cell: dict[str, Any]) -> list[dict[str, Any]]:
    """The two method rows of one done cell (construction, edge-popup on its ``G``), in common fields:
    ``n_min`` (None: not reached), ``grid_limit`` (largest width tried), ``kept``, ``certified`` /
    ``found`` (construction: ticket at ``N_f``; edge-popup: ticket at ``n_min``, else the best-certified
    width tried), ``time_s`` (construction: build+validate+certify at ``N_f`` plus its grid; edge-popup:
    every width tried)."""
    con, ep = cell["construction"], cell["edge_popup"]
    done = [t for t in ep["trials"] if t["status"] == "done"]
    best = next((t for t in done if t["ok"]), None) or min(done, key=lambda t: t["certified"])
    base = {k: cell[k] for k in ("target", "eps", "seed", "source")}
    return [
        base | {"method": cell["source"], "n_formula": con["n_formula"], "n_min": con["n_min_grid"],
                "grid_limit": con["grid_limit"], "kept": con["kept"], "certified": con["certified"],
                "found": con["found"], "time_s": con["time_s"] + con["min_grid_time_s"],
                "time_formula_s": con["time_s"]},
        base | {"method": f"edge-popup[{cell['source']} G]", "n_formula": con["n_formula"], "n_min": ep["n_min_grid"],
                "grid_limit": ep["grid_limit"], "kept": ep["k"], "construction_kept": con["kept"],
                "certified": best["certified"], "found": best["found"], "at_width": best["n_samples"],
                "time_s": ep["time_s"],
                "widths_not_run": [t["n_samples"] for t in ep["trials"] if t["status"] != "done"]},
    ]


def groups(res: dict[str, Any]) -> list[dict[str, Any]]:
    """One summary per (method, target, ε): per-seed rows, seeds not run, medians and ranges."""
    out = []
    st = res["settings"]
    for eps in st["eps"]:
        for widths in st["targets"]:
            tname = "random:" + "-".join(map(str, widths))
            for method in METHODS:
                src = method if method in SOURCES else method.split("[")[1].split(" ")[0]
                cells = [c for c in res["cells"] if c["target"] == tname and c["eps"] == eps and c["source"] == src]
                rows = [r for c in cells if c["status"] == "done" for r in method_rows(c) if r["method"] == method]
                out.append({"method": method, "target": tname, "eps": eps, "rows": rows,
                            "seeds_not_run": [c["seed"] for c in cells if c["status"] != "done"],
                            "n_seeds": len(cells)})
    return out


def markdown(res: dict[str, Any]) -> str:
    """The Markdown table (method × target × ε) of a results dict."""
    st = res["settings"]
    lines = [
        "# Edge-popup vs the constructions (generated by benchmarks/edge_popup_vs_constructions.py)",
        "",
        f"Seeds {st['seed_list']} (pre-registered; target seed = seed + 1 000 003), δ = {st['delta']}, "
        f"edge-popup {st['steps']} Adam steps, widths {st['edge_popup_grid']} at the construction's kept count "
        f"at N_f, MILP limit {st['time_limit']} s; construction grid 1, 2, 4, … ≤ 2 N_f. Torch threads 1, "
        f"{st['device']}; wall {res['wall_s']:.0f} s (budget {st['budget_s']:.0f} s, {st['cell_budget_s']:.0f} s "
        "per edge-popup cell).",
        "",
        "Widths are `n_samples` (samples per group/block of G). Cells: median [min–max] over the seeds run "
        "(lower median for an even count). "
        "*min width*: over seeds that reached certified ε; *not reached k/n*: seeds whose grid (up to the "
        "limit shown) never reached it (censored). Certified/found: construction ticket at N_f; edge-popup "
        "ticket at its minimal width, else its best-certified width. Time: construction build+certify at "
        "N_f plus its width grid; edge-popup all widths tried (training + MILP).",
        "",
        "| ε | target | method | formula width N_f | min width | not reached k/n (limit) | kept | certified | "
        "found | time s | seeds not run |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for g in groups(res):
        rows = g["rows"]
        reached = [r["n_min"] for r in rows if r["n_min"] is not None]
        cens = [r for r in rows if r["n_min"] is None]
        lim = sorted({r["grid_limit"] for r in cens if r["grid_limit"] is not None})
        lim_s = f" (≤ {'/'.join(map(str, lim))})" if lim else ""
        lines.append(
            f"| {g['eps']} | {g['target'].removeprefix('random:')} | {g['method']} | "
            f"{_med_range([r['n_formula'] for r in rows], '{:.0f}')} | {_med_range(reached, '{:.0f}')} | "
            f"{len(cens)}/{len(rows)}{lim_s} | {_med_range([r['kept'] for r in rows], '{:.0f}')} | "
            f"{_med_range([r['certified'] for r in rows], '{:.2g}')} | "
            f"{_med_range([r['found'] for r in rows], '{:.2g}')} | "
            f"{_med_range([r['time_s'] for r in rows], '{:.2g}')} | "
            f"{len(g['seeds_not_run'])}/{g['n_seeds']}" + (f" {g['seeds_not_run']}" if g["seeds_not_run"] else "")
            + " |")
    cut = [c for c in res["cells"] if c["status"] != "done"]
    cut_w = [(c["target"], c["source"], c["eps"], c["seed"], t["n_samples"]) for c in res["cells"]
             if c["status"] == "done" for t in c["edge_popup"]["trials"] if t["status"] != "done"]
    lines += ["", f"Cells not run (global time budget): {len(cut)} of {len(res['cells'])}."
              f" Edge-popup widths not run (cell budget): {len(cut_w)}"
              + (": " + "; ".join(f"{t} {s} ε={e} seed {d} N={n}" for t, s, e, d, n in cut_w) if cut_w else "") + "."]
    return "\n".join(lines + digits_markdown()) + "\n"


def digits_markdown(path: Path = RESULTS / "edge_popup_digits.json") -> list[str]:
    """The digits comparison of ``benchmarks/edge_popup_digits.py`` as Markdown lines (none if not run)."""
    if not path.is_file():
        return []
    d = json.loads(path.read_text())
    c = d["construction"]

    def cert(r: dict[str, Any]) -> str:
        if r.get("certified") is None:
            return r.get("certificate", "not certified")
        return f"{r['certified']:.3g}" + ("" if r.get("certificate", "milp") in ("milp", "stage (pairs)")
                                          else f" ({r['certificate']})")

    lines = ["", f"## Digits: {'-'.join(map(str, d['widths']))} bias-free MLP (benchmarks/edge_popup_digits.py)", "",
             f"Seed {d['seed']}, ε = {d['eps']}, δ = {d['delta']}, box ‖x‖∞ ≤ {d['x_max']}, n_test = {d['n_test']}; "
             f"equal sparsity: edge-popup keeps the construction's k = {c['kept']} on the same G (rows at a smaller "
             "width: pensia's G of the same seed at that width, a diagnostic).", "",
             "| ticket | G width | G params | kept | test acc % | certified | found | time s |",
             "|---|---|---|---|---|---|---|---|",
             f"| target | — | — | — | {d['target_test_acc']:.2f} | — | — | {d['target_train_s']:.2g} (training) |",
             f"| pensia | {c['n_formula']} | {c['G_params']} | {c['kept']} | {c['test_acc']:.2f} | {cert(c)} | "
             f"{c['found']:.2g} | {c['time_s']:.2g} |"]
    for r in [d["edge_popup"], *d.get("edge_popup_smaller_G", [])]:
        lines.append(f"| edge-popup (pensia's G, {r['steps']} steps) | {r['n_samples']} | {r['G_params']} | "
                     f"{r['kept']} | {r['test_acc']:.2f} | {cert(r)} | {r['found']:.3g} | {r['time_s']:.3g} |")
    o = d["orseau"]
    lines.append(f"| orseau | {o['n_formula']} | {o['G_params_planned']:.3g} | — | — | — | — | {o['status']}: "
                 f"{o['reason']} |")
    return lines


def combine(path_a: Path, path_b: Path, out: Path) -> None:
    """``A`` with every cell that ``A`` did not run replaced by ``B``'s cell of the same key (if ``B`` ran it);
    both runs' settings are kept under ``runs``."""
    key = ("target", "source", "eps", "seed")
    a, b = json.loads(path_a.read_text()), json.loads(path_b.read_text())
    done_b = {tuple(c[k] for k in key): c for c in b["cells"] if c["status"] == "done"}
    cells = [done_b.get(tuple(c[k] for k in key), c) if c["status"] != "done" else c for c in a["cells"]]
    runs = a.get("runs", [dict(a["settings"], wall_s=a["wall_s"], name="A")])
    runs = runs + [dict(b["settings"], wall_s=b["wall_s"], name="B")]
    res = dict(a, cells=cells, runs=runs, wall_s=sum(r["wall_s"] for r in runs))
    atomic_write_json(out, res)
    atomic_write_text(out.with_suffix(".md"), markdown(res))
    print(f"wrote {out}: {sum(c['status'] == 'done' for c in cells)} of {len(cells)} cells run")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 seed, ε = 0.1, targets 2-2-1 and 2-3-1, 400 steps")
    ap.add_argument("--seeds", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--n-cap", type=int, default=None)
    ap.add_argument("--budget-s", type=float, default=None)
    ap.add_argument("--cell-budget-s", type=float, default=None)
    ap.add_argument("--eps", type=float, nargs="+", default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--markdown-only", action="store_true", help="rewrite the .md table from the JSON; run nothing")
    ap.add_argument("--combine", type=Path, nargs=2, default=None, metavar=("A", "B"),
                    help="write A with its not-run cells replaced by B's cells of the same key; run nothing")
    args = ap.parse_args()
    out = args.out or (OUT_QUICK if args.quick else OUT)
    if args.combine:
        combine(*args.combine, out)
        return
    if args.markdown_only:
        atomic_write_text(out.with_suffix(".md"), markdown(json.loads(out.read_text())))
        return
    cfg = dict(QUICK if args.quick else FULL)
    for name in ("seeds", "steps", "n_cap", "budget_s", "cell_budget_s", "eps"):
        if getattr(args, name) is not None:
            cfg[name] = getattr(args, name)
    res = run(cfg)
    atomic_write_json(out, res)
    atomic_write_text(out.with_suffix(".md"), markdown(res))
    print(f"wrote {out} and {out.with_suffix('.md')} in {res['wall_s']:.0f} s")


if __name__ == "__main__":
    main()
