"""Search vs. construction on the same ``G``: success rates of edge-popup and of the construction, per
budget, with Clopper–Pearson intervals.

    nice -n 10 python benchmarks/edge_popup_same_g.py            # the recorded run (see the table's CPU line)
    python benchmarks/edge_popup_same_g.py --quick               # 2 seeds of 3 cells (about a minute)
    python benchmarks/edge_popup_same_g.py --markdown-only       # the table from the JSON
    python plots/fig_edge_popup_same_g.py                        # the figure from the JSON

Every trial is :func:`slt_check.claims.search_vs_construction.trial`: on ``G`` sampled from seed ``s``
by the source construction at the cell's width (default its formula width ``N_f``), the construction's
own ticket (kept count ``k_S``; success = certified ≤ ε by its stage certificate, else by the exact
MILP re-check) and edge-popup on the *same* ``G`` with ``train_seed = s`` at the cell's budget
(``k = mult·k_S`` or ``fraction·P``; per-layer or global top-k); success = MILP-certified ≤ ε (a mask
whose found error, a true lower bound, is above ε fails without a MILP). Targets ``random:<w>`` are
drawn from ``s + 1_000_003``; ``digits`` is the fixed trained MLP with biases of
:func:`~slt_check.claims.search_vs_construction.digits_target`.

**Pre-registered seeds**: 0–19 for every cell (malach at its formula width ``N_f`` = 10 121, whose ``G`` has
222 662 parameters, cost 80 CPU s a seed; see :data:`COSTLY_NOTE`); ``--workers N`` runs a cell's seeds
on N processes with the same results;
the recipe is tuned first on the separate seeds 1000–1002 (:data:`TUNE_SEEDS`). Cells run in the
order of :data:`CELLS` (most informative first) under a CPU budget (``--budget-s``, process CPU
seconds) and a wall-clock deadline; a cell that would start after either is recorded as "not run".
Nothing is re-drawn or dropped. Writes ``benchmarks/results/edge_popup_same_g.{json,md}`` after every
cell (atomically), so a cut run keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

from slt_check.claims import search_vs_construction as svc
from slt_check.cli.options import positive_count
from slt_check.core.stats import clopper_pearson
from slt_check.io.safe_io import atomic_write_json, atomic_write_text
from slt_check.io.textio import json_ready
from slt_check.tickets.ticket import versions

RESULTS = Path(__file__).resolve().parent / "results"
OUT = RESULTS / "edge_popup_same_g.json"
OUT_QUICK = RESULTS / "edge_popup_same_g_quick.json"
SEEDS = list(range(20))
TUNE_SEEDS = [1000, 1001, 1002]
TUNE_CELLS = [{"target": "random:2-2-1", "eps": 0.1, "source": "pensia"},
              {"target": "random:2-2-1", "eps": 0.1, "source": "orseau", "sharing": "per_input"}]
S_PER_PARAM_STEP = 1.2e-8
"""CPU seconds per (G parameter × input × step) of the score training (measured on orseau's G for
random:2-2-1, 14 798 parameters, 200 steps of 132 inputs: 4.5 s), plus :data:`S_FIXED` per trial."""
S_FIXED = 0.35


def _c(target: str, source: str, eps: float = 0.1, budget: str = "per_layer", seeds: int = 20,
       **kw: Any) -> dict[str, Any]:
    return {"target": target, "source": source, "eps": eps, "budget": budget, "n_seeds": seeds, **kw}


R221, R231, R342, DIG = "random:2-2-1", "random:2-3-1", "random:3-4-2", "digits"
PI = {"sharing": "per_input"}
CELLS: list[dict[str, Any]] = [
    # same G at the formula width, budgets k, 2k, 4k, 50 %, per-layer and global
    _c(R221, "pensia", mult=1), _c(R221, "pensia", mult=1, budget="global"), _c(R221, "pensia", mult=2),
    _c(R221, "pensia", mult=4), _c(R221, "pensia", fraction=0.5),
    _c(R221, "orseau", mult=1, **PI), _c(R221, "orseau", mult=1, budget="global", **PI),
    _c(DIG, "pensia", mult=1), _c(DIG, "pensia", mult=1, budget="global"), _c(DIG, "pensia", mult=4),
    _c(DIG, "pensia", fraction=0.5),
    _c(R231, "pensia", mult=1), _c(R231, "pensia", mult=4), _c(R231, "pensia", fraction=0.5),
    _c(R342, "pensia", mult=1), _c(R342, "pensia", fraction=0.5),
    # ε = 0.03
    _c(R221, "pensia", 0.03, mult=1), _c(R221, "pensia", 0.03, mult=4), _c(DIG, "pensia", 0.03, mult=1),
    # the paper's recipe as written, 4× the steps, widths below the formula (the construction's own
    # kept count at that width)
    _c(R221, "pensia", mult=1, recipe="paper"), _c(R221, "pensia", mult=1, steps=800),
    _c(R221, "pensia", mult=1, n_samples=16), _c(R221, "pensia", mult=4, n_samples=16),
    _c(R221, "pensia", mult=1, n_samples=8), _c(R221, "orseau", mult=1, n_samples=128, **PI),
    # the costly G (orseau per_weight, malach, orseau on digits)
    _c(R221, "orseau", mult=1, budget="global"), _c(R221, "malach", mult=1, n_samples=632),
    _c(R221, "orseau", mult=4, **PI), _c(R221, "orseau", mult=1, recipe="paper", **PI),
    _c(R221, "orseau", mult=1),
    _c(DIG, "orseau", mult=1, **PI),
    # orseau per_input on the wider random targets (run last: cut first by the budget)
    _c(R231, "orseau", mult=1, **PI), _c(R342, "orseau", mult=1, **PI),
    # every source on four targets and two values of ε (added after the first 33 cells; cheapest first). Malach
    # beyond 2-2-1 runs at 632 samples, below its formula width (N_f = 16 305 on 2-3-1: about 4 700 CPU s a cell)
    _c(R221, "orseau", 0.03, mult=1, **PI), _c(R221, "malach", 0.03, mult=1, n_samples=632),
    _c(R231, "malach", mult=1, n_samples=632), _c(R221, "orseau", 0.03, mult=1),
    _c(R231, "orseau", mult=1), _c(R342, "malach", mult=1, n_samples=632),
    _c(DIG, "orseau", 0.03, mult=1, **PI), _c(DIG, "malach", mult=1, n_samples=632),
    _c(R342, "orseau", mult=1), _c(R221, "malach", mult=1, seeds=20), _c(DIG, "orseau", mult=1),
]
"""The cells, most informative per CPU second first (defaults: ε = 0.1, per-layer budget, 20 seeds, formula width,
the tuned recipe, 200 steps of 128 inputs)."""
COSTLY_NOTE = ("malach at its formula width N_f = 10 121 (G of 222 662 parameters) cost 80 CPU s a seed; beyond "
               "2-2-1 malach runs at 632 samples, below its formula width (N_f = 16 305 on 2-3-1 would cost about "
               "4 700 CPU s a cell)")
"""The costliest cell and why Malach's other targets are below its formula width (the table's header repeats it)."""
QUICK_CELLS = [_c(R221, "pensia", mult=1, seeds=2), _c(R221, "pensia", mult=1, budget="global", seeds=2),
               _c(DIG, "pensia", mult=1, seeds=2)]


def cell_label(c: dict[str, Any]) -> str:
    """``pensia · k per_layer`` style label of a cell's method and budget."""
    src = c["source"] + ("/" + c["sharing"] if c.get("sharing") else "")
    extra = "".join(f", {k}={c[k]}" for k in ("recipe", "steps", "n_samples") if k in c)
    return f"{src} · {budget_label(c)}{extra}"


def budget_label(c: dict[str, Any]) -> str:
    """``k per_layer``, ``4k global``, ``50% of G per_layer``."""
    bud = f"{c['fraction']:.0%} of G" if c.get("fraction") else ("k" if c.get("mult", 1) == 1 else f"{c['mult']}k")
    return f"{bud} {c['budget']}"


def estimate_s(cell: dict[str, Any]) -> float:
    """Rough CPU seconds of a cell (G parameters from the source's plan)."""
    from slt_check.pipeline.build import prepare

    F = svc.make_target(cell["target"], 0)
    opts = {k: cell[k] for k in ("sharing", "n_samples") if k in cell}
    _, con, problem, _ = prepare(F, cell["source"], opts, cell["eps"], svc.DELTA_G, 1.0, 1.0)
    P = float(con.plan(problem).G_params)
    steps = cell.get("steps", svc.STEPS)
    return cell["n_seeds"] * (S_FIXED + S_PER_PARAM_STEP * steps * (svc.BATCH + 16) * P)


def rate(successes: int, n: int) -> dict[str, Any]:
    lo, hi = clopper_pearson(successes, n) if n else (0.0, 1.0)
    return {"successes": successes, "n": n, "rate": successes / n if n else None, "ci95": [lo, hi]}


def summarize(cell: dict[str, Any], trials: list[dict[str, Any]]) -> dict[str, Any]:
    """Success rates with intervals, kept counts, error distributions and times of one cell."""
    con = [t["construction"] for t in trials]
    srch = [t["search"] for t in trials]

    def q(vals: list[float]) -> list[float] | None:
        v = sorted(x for x in vals if x is not None)
        return [v[0], statistics.median(v), v[-1]] if v else None

    return {
        "construction": rate(sum(c["success"] for c in con), len(con)) | {
            "kept": q([c["kept"] for c in con]), "certified": q([c["certified"] for c in con]),
            "time_s": q([c["time_s"] for c in con]), "G_params": q([c["G_params"] for c in con]),
            "n_samples": con[0]["n_samples"] if con else None, "n_formula": con[0]["n_formula"] if con else None},
        "search": rate(sum(s["success"] for s in srch), len(srch)) | {
            "kept": q([s["kept"] for s in srch]), "found": q([s["found"] for s in srch]),
            "certified": q([s["certified"] for s in srch]),
            "n_certified": sum(s["certified"] is not None for s in srch),
            "time_s": q([s["time_s"] for s in srch])},
    }


def tune(log: bool = True) -> dict[str, Any]:
    """Each recipe of :data:`svc.RECIPES` on :data:`TUNE_CELLS` × :data:`TUNE_SEEDS` (k per layer); the
    pick: most successes, then the smallest median found error (summed over the cells' ranks)."""
    rows = []
    for name in svc.RECIPES:
        succ, found = 0, []
        for cell in TUNE_CELLS:
            for sd in TUNE_SEEDS:
                t = svc.trial(({**cell, "budget": "per_layer", "mult": 1, "recipe": name}, sd))
                succ += int(t["search"]["success"])
                found.append(t["search"]["found"])
        rows.append({"recipe": name, "successes": succ, "n": len(found), "median_found": statistics.median(found)})
        if log:
            print("tune", rows[-1], flush=True)
    best = min(rows, key=lambda r: (-r["successes"], r["median_found"]))
    return {"seeds": TUNE_SEEDS, "cells": TUNE_CELLS, "rows": rows, "picked": best["recipe"],
            "recipe_used": svc.TUNED}


def _timed_trial(arg: tuple[dict[str, Any], int]) -> tuple[dict[str, Any], float]:
    """One trial and the CPU seconds of the process that ran it (torch on one thread)."""
    torch.set_num_threads(1)
    c0 = time.process_time()
    return svc.trial(arg), time.process_time() - c0


def _trials(cell: dict[str, Any], seeds: list[int], pool: Any) -> tuple[list[dict[str, Any]], float]:
    """The cell's trials in seed order (in the worker ``pool`` when given) and the CPU seconds the workers
    used (0 without a pool: the caller's process clock counts them)."""
    if pool is None:
        return [svc.trial((cell, sd)) for sd in seeds], 0.0
    done = list(pool.map(_timed_trial, [(cell, sd) for sd in seeds]))
    return [t for t, _ in done], sum(c for _, c in done)


def run(cells: list[dict[str, Any]], budget_s: float, deadline: float | None, out: Path, tuning: dict[str, Any] | None,
        log: bool = True, resume: dict[str, Any] | None = None, workers: int = 1) -> dict[str, Any]:
    """Run the cells in order under the CPU budget and the wall deadline; write the JSON after each.
    ``resume``: an earlier result whose done cells (same cell dict) are kept, not re-run (their CPU
    seconds count against the budget). The deadline uses the wall/CPU ratio observed so far (≥ 2.5,
    divided by ``workers``). ``workers`` > 1 runs a cell's seeds in that many spawned processes; every
    trial depends only on its (cell, seed), so the results are the same as serial."""
    pool = None
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        return _run(cells, budget_s, deadline, out, tuning, log, resume, pool, workers)
    finally:
        if pool is not None:
            pool.shutdown()


def _run(cells: list[dict[str, Any]], budget_s: float, deadline: float | None, out: Path, tuning: dict[str, Any] | None,
         log: bool, resume: dict[str, Any] | None, pool: Any, workers: int) -> dict[str, Any]:
    done_before = {json.dumps(r["cell"], sort_keys=True): r for r in (resume or {}).get("cells", [])
                   if r["status"] == "done"}
    torch.set_num_threads(1)
    est = [estimate_s(c) for c in cells]
    print(f"estimate: {sum(est):.0f} CPU s for {len(cells)} cells (budget {budget_s:.0f} s); per cell: "
          + ", ".join(f"{e:.0f}" for e in est), flush=True)
    c0, w0 = time.process_time(), time.time()
    kept = [done_before[k] for k in (json.dumps(json_ready(c), sort_keys=True) for c in cells) if k in done_before]
    cpu_before = sum(r["cpu_s"] for r in kept)  # only the cells this run keeps (a changed cell is re-run)
    ratio = [2.5]
    worker_cpu = 0.0  # CPU seconds of the worker processes (the process clock misses them)
    res: dict[str, Any] = {"description": __doc__, "settings": {
        "seeds": SEEDS, "steps": svc.STEPS, "batch": svc.BATCH, "milp_s": svc.MILP_S, "delta_G": svc.DELTA_G,
        "recipes": svc.RECIPES, "tuned": svc.TUNED, "budget_s": budget_s, "torch_threads": 1, "workers": workers,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "digits_test_accuracy": svc.digits_accuracy(), "digits_widths": list(svc.digits_target().widths)},
        "versions": versions() | {"torch": torch.__version__}, "tuning": tuning, "cells": []}
    for cell, e in zip(cells, est, strict=True):
        prev = done_before.get(json.dumps(json_ready(cell), sort_keys=True))
        if prev is not None:
            res["cells"].append(prev)
            continue
        used = time.process_time() - c0 + cpu_before + worker_cpu
        late = deadline is not None and time.time() + e * max(ratio) / workers > deadline
        if used + e > budget_s or late:
            res["cells"].append({"cell": cell, "label": cell_label(cell), "status": "not run (budget)",
                                 "estimate_s": e})
            continue
        t0, cpu0 = time.time(), time.process_time()
        trials, cpu = _trials(cell, SEEDS[: cell["n_seeds"]], pool)
        worker_cpu += cpu
        row = {"cell": cell, "label": cell_label(cell), "status": "done", "estimate_s": e,
               "cpu_s": time.process_time() - cpu0 + cpu, "wall_s": time.time() - t0, "trials": trials,
               "summary": summarize(cell, trials)}
        res["cells"].append(row)
        ratio.append(row["wall_s"] * workers / max(row["cpu_s"], 1e-3))
        if log:
            s = row["summary"]
            print(f"{cell['target']} ε={cell['eps']} {row['label']}: construction {s['construction']['successes']}/"
                  f"{s['construction']['n']}, search {s['search']['successes']}/{s['search']['n']} "
                  f"(found median {s['search']['found'][1]:.3g}) cpu {row['cpu_s']:.0f} s", flush=True)
        res["cpu_s"], res["wall_s"] = time.process_time() - c0 + cpu_before + worker_cpu, time.time() - w0
        atomic_write_json(out, json_ready(res))
        atomic_write_text(out.with_suffix(".md"), markdown(res))
    res["cpu_s"], res["wall_s"] = time.process_time() - c0 + cpu_before + worker_cpu, time.time() - w0
    res["wall_s_resumed_cells"] = sum(r["wall_s"] for r in kept)
    atomic_write_json(out, json_ready(res))
    atomic_write_text(out.with_suffix(".md"), markdown(res))
    return res


def _ci(r: dict[str, Any]) -> str:
    return f"{r['successes']}/{r['n']} [{r['ci95'][0]:.2f}, {r['ci95'][1]:.2f}]"


def _q(v: list[float] | None, fmt: str = "{:.2g}") -> str:
    return "—" if not v else (fmt.format(v[1]) + f" [{fmt.format(v[0])}–{fmt.format(v[2])}]")


def markdown(res: dict[str, Any]) -> str:
    """The success-rate table (construction vs search per cell) of a results dict."""
    st = res["settings"]
    lines = ["# Search vs. construction on the same G (generated by benchmarks/edge_popup_same_g.py)", "",
             f"Seeds 0–19 per cell, pre-registered ({COSTLY_NOTE}); recipe `{st['tuned']}` "
             f"({json.dumps(st['recipes'][st['tuned']])}), {st['steps']} steps of {st['batch']} inputs, MILP "
             f"{st['milp_s']} s; torch 1 thread, {st['device']}; CPU {res.get('cpu_s', 0):.0f} s (the cells shown), wall "
             f"{res.get('wall_s', 0):.0f} s (last sitting; its resumed cells took {res.get('wall_s_resumed_cells', 0):.0f} s "
             f"wall earlier). Digits target: {'-'.join(map(str, st['digits_widths']))} with biases, "
             f"test accuracy {st['digits_test_accuracy']:.1%}.", "",
             "Success = certified sup error ≤ ε (construction: stage certificate, else exact MILP; search: MILP; "
             "a search whose found error > ε fails on that lower bound). Rates with 95 % Clopper–Pearson "
             "intervals; kept, found, certified: median [min–max].", "",
             "| target | ε | G width | method · budget | construction ok | construction kept | search ok | "
             "search kept | search found | search certified (n) | search s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in res["cells"]:
        c = row["cell"]
        if row["status"] != "done":
            lines.append(f"| {c['target']} | {c['eps']} | — | {cell_label(c)} | not run | | | | | | |")
            continue
        s, k = row["summary"]["construction"], row["summary"]["search"]
        width = f"{s['n_samples']}" + (" (N_f)" if s["n_samples"] == s["n_formula"] else f" (N_f {s['n_formula']})")
        lines.append(f"| {c['target']} | {c['eps']} | {width} | {cell_label(c)} | {_ci(s)} | "
                     f"{_q(s['kept'], '{:.0f}')} | "
                     f"{_ci(k)} | {_q(k['kept'], '{:.0f}')} | {_q(k['found'])} | {_q(k['certified'])} "
                     f"({k['n_certified']}) | {_q(k['time_s'])} |")
    tun = res.get("tuning")
    if tun:
        lines += ["", f"Tuning (seeds {tun['seeds']}, k per layer, random:2-2-1 ε = 0.1 on pensia's and orseau "
                  f"per_input's G): " + "; ".join(f"{r['recipe']} {r['successes']}/{r['n']}, median found "
                                                  f"{r['median_found']:.3g}" for r in tun["rows"])
                  + f" → picked `{tun['picked']}`."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 seeds of 3 cheap cells, no tuning")
    ap.add_argument("--budget-s", type=float, default=2400.0, help="process CPU seconds for the cells")
    ap.add_argument("--deadline-unix", type=float, default=None, help="start no cell that would end after this")
    ap.add_argument("--tune-only", action="store_true", help="run the recipe tuning and print it")
    ap.add_argument("--tuning-json", type=Path, default=None, help="a tuning result to record (from --tune-only)")
    ap.add_argument("--markdown-only", action="store_true", help="rewrite the .md table from the JSON")
    ap.add_argument("--resume", action="store_true", help="keep the done cells of the existing JSON")
    ap.add_argument("--workers", type=positive_count("--workers"), default=1, help="processes per cell (seeds in parallel; same results)")
    args = ap.parse_args()
    out = OUT_QUICK if args.quick else OUT
    if args.markdown_only:
        atomic_write_text(out.with_suffix(".md"), markdown(json.loads(out.read_text())))
        return
    if args.tune_only:
        torch.set_num_threads(1)
        print(json.dumps(tune()), flush=True)
        return
    resume = json.loads(out.read_text()) if args.resume and out.is_file() else None
    tuning = json.loads(args.tuning_json.read_text()) if args.tuning_json else (resume or {}).get("tuning")
    res = run(QUICK_CELLS if args.quick else CELLS, args.budget_s, args.deadline_unix, out, tuning, resume=resume,
              workers=args.workers)
    print(f"wrote {out} and {out.with_suffix('.md')}: CPU {res['cpu_s']:.0f} s, wall {res['wall_s']:.0f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
