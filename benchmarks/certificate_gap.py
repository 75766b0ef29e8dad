"""How tight are the two certificates? Propagation vs CROWN vs the exact sup error (MILP) vs the search.

    python benchmarks/certificate_gap.py                       # ≈ 5–10 minutes
    python benchmarks/certificate_gap.py --full pensia=/tmp/p.npz --full orseau=/tmp/o.npz

Three parts, written to ``benchmarks/results/certificate_gap.json`` (atomically):

* ``cases``: the case list of ``benchmarks/exact_gap.py`` (orseau and pensia tickets of
  ``random_target(widths, 1.0, seed=1)``, ``G`` seed 0, ``δ = 0.1``, box ``‖x‖_∞ ≤ 1``); per ticket the
  propagation certificate, the CROWN certificate (:mod:`slt_check.certificates.crown`), the exact interval
  (:func:`slt_check.certificates.exact.exact_sup_error`, ``--time-limit`` seconds) and the searched error, with
  ``propagation/exact``, ``crown/exact``, ``exact/found``, ``propagation/crown`` and the times. A case
  is skipped when a smaller one of the same construction and ε hit the MILP limit (as exact_gap).
* ``selection``: what the tighter certificate buys at certificate precision. For random:4-8-8-2
  (and ``--selection-widths``) and ε = 0.01, tickets are built with ``precision="certificate"`` for a
  looser ``ε' = k ε`` (k = 1, 2, 4, …; the constructions unchanged) and kept when their CROWN bound is
  still ``≤ ε``: the kept-weight count of the loosest such ticket against the one built for ε.
* ``full``: tickets given with ``--full name=path`` (e.g. the 784-500-10 Kaiming target at ε = 0.01,
  built as in ``docs/scale.md``): both certificates, times, and ``propagation/crown`` — to first order
  both bounds are linear in the weight deviations, so ``propagation/crown`` is the factor by which every
  per-layer selection tolerance ``η_i`` could grow at the same certified ε.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from exact_gap import CONSTRUCTIONS, _finite, _n_weights, _stats, run_grid  # noqa: E402

from slt_check import build_ticket, random_target  # noqa: E402
from slt_check.certificates.crown import crown_from_reduced  # noqa: E402
from slt_check.certificates.exact import exact_sup_error  # noqa: E402
from slt_check.certificates.sup_error import reduce_stages, stages_of, sup_error  # noqa: E402
from slt_check.io.safe_io import atomic_write_json  # noqa: E402

SELECTION_K = [1, 2, 4, 8, 16, 32, 64, 128]


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def run_case(name: str, widths: tuple[int, ...], eps: float, time_limit: float) -> dict[str, Any]:
    F = random_target(list(widths), 1.0, 1)
    t0 = time.perf_counter()
    t = build_ticket(F, eps, 0.1, 0, construction=name, allow_failure=True)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    err = sup_error(F, t, 1.0)
    t_search = time.perf_counter() - t0
    red = reduce_stages(t.weights, stages_of(t))
    t0 = time.perf_counter()
    from slt_check.certificates.sup_error import _bound_from_reduced

    prop = _bound_from_reduced(F, t.weights, red, 1.0).bound
    t_prop = time.perf_counter() - t0
    cr = crown_from_reduced(F, t.weights, red, 1.0)
    cr0 = crown_from_reduced(F, t.weights, red, 1.0, refine=False)
    ex = exact_sup_error(F, t, 1.0, time_limit=time_limit)
    found = max(err.found, ex.lower)
    exact = ex.lower if ex.solved else None
    return {
        "construction": name, "widths": list(widths), "depth": len(widths) - 1,
        "width": max(widths[1:-1], default=widths[-1]), "target_weights": _n_weights(widths), "eps": eps,
        "ticket_ok": bool(t.ok), "ticket_net_widths": list(t.network().widths),
        "propagation": prop, "crown": cr["bound"], "crown_no_refine": cr0["bound"], "crown_slack": cr["slack"],
        # found: the larger of the search and the MILP's float-evaluated lower; exact/found uses the search's
        "found": found, "found_search": err.found, "exact_lower": ex.lower, "exact_upper": ex.upper,
        "exact_status": ex.status, "solved": ex.solved,
        "propagation_over_exact": _ratio(prop, exact), "crown_over_exact": _ratio(cr["bound"], exact),
        "exact_over_found": _ratio(exact, err.found), "propagation_over_crown": _ratio(prop, cr["bound"]),
        "crown_over_exact_upper": _ratio(cr["bound"], ex.upper),
        "crown_below_exact_upper": bool(cr["bound"] < ex.upper),
        "resolved": bool(ex.solved and ex.upper - ex.lower <= 0.1 * ex.lower),
        "time_propagation_s": t_prop, "time_crown_s": cr["time_s"], "time_milp_s": ex.time_s,
        "time_search_s": t_search, "time_build_s": t_build, "n_binaries": ex.n_binaries,
        "n_unstable": cr["n_unstable"], "time_limit_s": time_limit,
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in CONSTRUCTIONS:
        mine = [r for r in rows if r["construction"] == name and "skipped" not in r]
        solved = [r for r in mine if r["solved"]]
        res = [r for r in solved if r["resolved"]]
        largest = max(solved, key=lambda r: (r["target_weights"], r["depth"]), default=None)
        out[name] = {
            "n_cases": len(mine), "n_solved": len(solved), "n_resolved": len(res),
            "largest_solved": None if largest is None else {
                k: largest[k] for k in ("widths", "eps", "time_milp_s", "n_binaries")},
            "propagation_over_exact": _stats([r["propagation_over_exact"] for r in solved]),
            "crown_over_exact": _stats([r["crown_over_exact"] for r in solved]),
            "exact_over_found": _stats([r["exact_over_found"] for r in solved if r["exact_over_found"]]),
            "propagation_over_exact_resolved": _stats([r["propagation_over_exact"] for r in res]),
            "crown_over_exact_resolved": _stats([r["crown_over_exact"] for r in res]),
            "propagation_over_crown": _stats([r["propagation_over_crown"] for r in mine]),
            "time_crown_s": _stats([r["time_crown_s"] for r in mine]),
            "time_milp_s_solved": _stats([r["time_milp_s"] for r in solved]),
            "unsolved": [{k: r[k] for k in ("widths", "eps", "exact_lower", "exact_upper", "found", "propagation",
                                            "crown")} for r in mine if not r["solved"]],
        }
    return out


def selection(widths: tuple[int, ...], eps: float, budget_end: float) -> dict[str, Any]:
    """Tickets built for ``ε' = k ε`` at certificate precision; the loosest one CROWN certifies at ε."""
    F = random_target(list(widths), 1.0, 1)
    out: dict[str, Any] = {"widths": list(widths), "eps": eps, "per_construction": {}}
    for name in CONSTRUCTIONS:
        rows = []
        for k in SELECTION_K:
            if time.perf_counter() > budget_end:
                break
            t0 = time.perf_counter()
            t = build_ticket(F, k * eps, 0.1, 0, construction=name, allow_failure=True, precision="certificate")
            red = reduce_stages(t.weights, stages_of(t))
            from slt_check.certificates.sup_error import _bound_from_reduced

            prop = _bound_from_reduced(F, t.weights, red, 1.0).bound
            cr = crown_from_reduced(F, t.weights, red, 1.0)["bound"]
            rows.append({"k": k, "eps_built": k * eps, "ok": bool(t.ok), "n_kept": int(t.n_kept),
                         "propagation": prop, "crown": cr, "crown_holds": bool(cr <= eps and t.ok),
                         "propagation_holds": bool(prop <= eps and t.ok), "time_s": time.perf_counter() - t0})
            if cr > eps:
                break
        base = next((r for r in rows if r["k"] == 1), None)
        best = max((r for r in rows if r["crown_holds"]), key=lambda r: r["k"], default=None)
        out["per_construction"][name] = {
            "rows": rows,
            "kept_at_eps": None if base is None else base["n_kept"],
            "loosest_crown_certified": None if best is None else {k: best[k] for k in ("k", "n_kept", "crown")},
            "kept_saving": None if base is None or best is None else 1 - best["n_kept"] / base["n_kept"],
        }
    return out


def full(name: str, path: str) -> dict[str, Any]:
    from slt_check.certificates.sup_error import _bound_from_reduced
    from slt_check.pipeline.verify import load_ticket

    t0 = time.perf_counter()
    t = load_ticket(path)
    t_load = time.perf_counter() - t0
    F = t.target
    x_max = float(t.meta.problem.x_max)
    t0 = time.perf_counter()
    red = reduce_stages(t.weights, stages_of(t))
    t_reduce = time.perf_counter() - t0
    t0 = time.perf_counter()
    prop = _bound_from_reduced(F, t.weights, red, x_max)
    t_prop = time.perf_counter() - t0
    cr = crown_from_reduced(F, t.weights, red, x_max)
    t0 = time.perf_counter()
    err = sup_error(F, t, x_max, n_random=1024, n_starts=8, steps=50)
    t_search = time.perf_counter() - t0
    eps = float(t.meta.problem.eps)
    return {
        "construction": name, "path": Path(path).name, "target_widths": list(F.widths), "eps": eps,
        "x_max": x_max, "n_kept": int(getattr(t, "n_kept", 0)), "ok": bool(getattr(t, "ok", True)),
        "propagation": prop.bound, "propagation_per_stage": prop.per_stage, "crown": cr["bound"],
        "crown_per_stage": cr["per_stage"], "crown_slack": cr["slack"], "found": err.found,
        "propagation_over_crown": prop.bound / cr["bound"], "crown_over_found": cr["bound"] / err.found,
        "propagation_over_eps": prop.bound / eps, "crown_over_eps": cr["bound"] / eps,
        "time_load_validate_s": t_load, "time_reduce_s": t_reduce, "time_propagation_s": t_prop,
        "time_crown_s": cr["time_s"], "time_search_s": t_search, "n_unstable": cr["n_unstable"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=30.0, help="MILP seconds per ticket")
    ap.add_argument("--budget", type=float, default=480.0, help="stop starting new cases after this many seconds")
    ap.add_argument("--selection-widths", default="4-8-8-2", help="comma-separated widths for the selection part")
    ap.add_argument("--full", action="append", default=[], help="name=path of a full-size ticket file")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "certificate_gap.json"))
    ap.add_argument("--merge-full", action="store_true",
                    help="only compute the --full tickets and add them to an existing --out file")
    ap.add_argument("--resummarise", action="store_true",
                    help="recompute the ratios and the summary of an existing --out file (no solving)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    if args.resummarise:
        old = json.loads(Path(args.out).read_text())
        for r in old["cases"]:
            if "skipped" not in r:
                exact = r["exact_lower"] if r["solved"] else None
                r["exact_over_found"] = _ratio(exact, r["found_search"])
        old["summary"] = summarise(old["cases"])
        atomic_write_json(args.out, _finite(old), indent=1)
        return 0
    if args.merge_full:
        old = json.loads(Path(args.out).read_text())
        names = {name for name, _ in (item.split("=", 1) for item in args.full)}
        old["full"] = [r for r in old.get("full", []) if r["construction"] not in names]
        for item in args.full:
            name, path = item.split("=", 1)
            old["full"].append(full(name, path))
            print("full", name, {k: old["full"][-1][k] for k in ("propagation", "crown", "found", "time_crown_s")})
        atomic_write_json(args.out, _finite(old), indent=1)
        return 0
    def report(name: str, widths: tuple[int, ...], eps: float, r: dict[str, Any]) -> None:
        def f(v: float | None) -> str:
            return "-" if v is None else f"{v:.3f}"

        print(f"{name:7s} {'-'.join(map(str, widths)):9s} eps={eps:<5} {r['exact_status']:10s} "
              f"prop/ex={f(r['propagation_over_exact'])} crown/ex={f(r['crown_over_exact'])} "
              f"ex/found={f(r['exact_over_found'])} prop/crown={f(r['propagation_over_crown'])} "
              f"t_crown={r['time_crown_s']:.3f}s t_milp={r['time_milp_s']:.2f}s", flush=True)

    rows = run_grid(run_case, args.time_limit, args.budget, start, report)
    sel = []
    for spec in args.selection_widths.split(","):
        if spec:
            sel.append(selection(tuple(int(v) for v in spec.split("-")), 0.01, start + args.budget + 120))
            print("selection", spec, {k: v["loosest_crown_certified"] for k, v in sel[-1]["per_construction"].items()},
                  flush=True)
    fulls = []
    for item in args.full:
        name, path = item.split("=", 1)
        fulls.append(full(name, path))
        print("full", name, {k: fulls[-1][k] for k in ("propagation", "crown", "found", "time_crown_s")}, flush=True)
    result = {
        "benchmark": "certificate_gap",
        "description": "propagation vs CROWN certificate vs exact sup error (MILP) vs searched error; "
                       "see benchmarks/certificate_gap.py",
        "setup": {"target": "random_target(widths, w_max=1.0, seed=1)", "G_seed": 0, "delta": 0.1, "x_max": 1.0,
                  "time_limit_s": args.time_limit, "budget_s": args.budget},
        "machine": {"python": platform.python_version(),
                    "cpu_count": os.cpu_count(), "loadavg_end": list(os.getloadavg())},
        "total_time_s": time.perf_counter() - start,
        "summary": summarise(rows),
        "cases": rows,
        "selection": sel,
        "full": fulls,
    }
    atomic_write_json(args.out, _finite(result), indent=1)
    print(f"wrote {args.out} ({result['total_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
