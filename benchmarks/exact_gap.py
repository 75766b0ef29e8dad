"""How far apart are the certified bound, the exact sup error and the searched error?

    python benchmarks/exact_gap.py                 # ≤ ~10 minutes
    python benchmarks/exact_gap.py --time-limit 20 --budget 120

For orseau and pensia tickets of small random targets (``random_target(widths, 1.0, seed=1)``, ``G``
seed 0, ``δ = 0.1``, box ``‖x‖_∞ ≤ 1``) across widths/depths and ``ε ∈ {0.1, 0.03, 0.01}``, this
records the certified bound and the searched error (:func:`slt_check.certificates.sup_error.sup_error`) and the
exact interval ``[lower, upper]`` (:func:`slt_check.certificates.exact.exact_sup_error`, ``--time-limit`` seconds
per ticket), with

    certified / exact   (exact = lower of a solved MILP: how conservative the certificate is),
    exact / found       (how much the adversarial search misses),

the MILP time, binaries, variables and rows, and per construction the largest target (by weight
count) solved to optimality. Cases run in increasing size; a case is skipped when a smaller case of
the same construction and ε already hit the limit, or when ``--budget`` seconds are spent. Results go
to ``benchmarks/results/exact_gap.json`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slt_check import build_ticket, random_target  # noqa: E402
from slt_check.certificates.exact import exact_sup_error  # noqa: E402
from slt_check.certificates.sup_error import sup_error  # noqa: E402
from slt_check.io.safe_io import atomic_write_json  # noqa: E402
from slt_check.io.textio import json_ready  # noqa: E402

WIDTHS = [(3, 2), (2, 2, 1), (2, 4, 1), (3, 4, 2), (2, 2, 2, 1), (4, 8, 2), (2, 4, 4, 1), (4, 8, 8, 2)]
EPS = [0.1, 0.03, 0.01]
CONSTRUCTIONS = ["orseau", "pensia"]


def _n_weights(w: tuple[int, ...]) -> int:
    return int(sum(a * b for a, b in zip(w[:-1], w[1:], strict=False)))


def run_case(name: str, widths: tuple[int, ...], eps: float, time_limit: float) -> dict[str, Any]:
    F = random_target(list(widths), 1.0, 1)
    t0 = time.perf_counter()
    t = build_ticket(F, eps, 0.1, 0, construction=name, allow_failure=True)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    err = sup_error(F, t, 1.0)
    t_search = time.perf_counter() - t0
    ex = exact_sup_error(F, t, 1.0, time_limit=time_limit)
    exact = ex.lower if ex.solved else None
    return {
        "construction": name,
        "widths": list(widths),
        "depth": len(widths) - 1,
        "target_weights": _n_weights(widths),
        "eps": eps,
        "ticket_ok": bool(t.ok),
        "ticket_net_widths": list(t.network().widths),
        "certified": err.certified,
        "found": err.found,
        "exact_lower": ex.lower,
        "exact_upper": ex.upper,
        "exact_status": ex.status,
        "solved": ex.solved,
        "certified_over_exact": err.certified / exact if exact else None,
        "exact_over_found": exact / err.found if exact and err.found > 0 else None,
        "certified_over_upper": err.certified / ex.upper if ex.upper > 0 else None,
        "lower_over_found": ex.lower / err.found if err.found > 0 else None,
        "upper_minus_lower": ex.upper - ex.lower,
        "milp_time_s": ex.time_s,
        "search_time_s": t_search,
        "build_time_s": t_build,
        "n_binaries": ex.n_binaries,
        "n_variables": ex.n_variables,
        "n_constraints": ex.n_constraints,
        "time_limit_s": time_limit,
    } | _derived(ex.lower, ex.upper, ex.solved)


def _derived(lower: float, upper: float, solved: bool) -> dict[str, Any]:
    """``resolved``: solved and ``upper − lower ≤ 0.1·lower`` — below that the MILP's tolerance
    slack (about 1e-6 here) is as large as the error itself and the ratios are not meaningful."""
    return {"resolved": bool(solved and upper - lower <= 0.1 * lower)}


def _finite(obj: Any) -> Any:
    """Non-finite floats as ``None`` (the JSON is written with ``allow_nan=False``)."""
    return json_ready(obj, nonfinite="null")


def _stats(v: list[float]) -> dict[str, float] | None:
    if not v:
        return None
    a = np.asarray(v, dtype=np.float64)
    return {"min": float(a.min()), "median": float(np.median(a)), "max": float(a.max()), "n": len(v)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in CONSTRUCTIONS:
        mine = [r for r in rows if r["construction"] == name and "skipped" not in r]
        solved = [r for r in mine if r["solved"]]
        largest = max(solved, key=lambda r: (r["target_weights"], r["depth"]), default=None)
        out[name] = {
            "n_cases": len(mine),
            "n_solved": len(solved),
            "largest_solved": None if largest is None else {
                k: largest[k] for k in ("widths", "eps", "milp_time_s", "n_binaries")},
            "unsolved": [{k: r[k] for k in ("widths", "eps", "exact_lower", "exact_upper", "found", "certified")}
                         for r in mine if not r["solved"]],
            "n_resolved": sum(r["resolved"] for r in solved),
            "certified_over_exact": _stats([r["certified_over_exact"] for r in solved]),
            "exact_over_found": _stats([r["exact_over_found"] for r in solved if r["exact_over_found"]]),
            "certified_over_exact_resolved": _stats([r["certified_over_exact"] for r in solved if r["resolved"]]),
            "exact_over_found_resolved": _stats([r["exact_over_found"] for r in solved
                                                 if r["resolved"] and r["exact_over_found"]]),
            "milp_time_s_solved": _stats([r["milp_time_s"] for r in solved]),
        }
    return out


def run_grid(
    run: Callable[[str, tuple[int, ...], float, float], dict[str, Any]], time_limit: float, budget: float,
    start: float, report: Callable[[str, tuple[int, ...], float, dict[str, Any]], None],
) -> list[dict[str, Any]]:
    """``run`` over every (construction, widths, ε) of the grid, smallest targets first; a case whose
    smaller sibling (same construction and ε) hit the MILP time limit, or that comes after ``budget``
    seconds, is recorded as skipped (never dropped). Shared with ``certificate_gap.py``."""
    rows: list[dict[str, Any]] = []
    failed: set[tuple[str, float]] = set()
    cases = [(n, w, e) for w in sorted(WIDTHS, key=lambda w: (_n_weights(w), len(w))) for n in CONSTRUCTIONS
             for e in EPS]
    for name, widths, eps in cases:
        base = {"construction": name, "widths": list(widths), "eps": eps, "depth": len(widths) - 1,
                "target_weights": _n_weights(widths)}
        if (name, eps) in failed:
            rows.append(base | {"skipped": "a smaller case of this construction and eps hit the time limit"})
            continue
        if time.perf_counter() - start > budget:
            rows.append(base | {"skipped": "time budget spent"})
            continue
        r = run(name, widths, eps, time_limit)
        rows.append(r)
        if not r["solved"]:
            failed.add((name, eps))
        report(name, widths, eps, r)
    return rows


def _print_row(name: str, widths: tuple[int, ...], eps: float, r: dict[str, Any]) -> None:
    c_e = r["certified_over_exact"]
    e_f = r["exact_over_found"]
    print(f"{name:7s} {'-'.join(map(str, widths)):9s} eps={eps:<5} {r['exact_status']:10s} "
          f"bin={r['n_binaries']:4d} t={r['milp_time_s']:7.2f}s  cert={r['certified']:.3e} "
          f"exact=[{r['exact_lower']:.3e}, {r['exact_upper']:.3e}] found={r['found']:.3e}  "
          f"cert/exact={'-' if c_e is None else f'{c_e:.3f}'} exact/found={'-' if e_f is None else f'{e_f:.6f}'}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=60.0, help="MILP seconds per ticket")
    ap.add_argument("--budget", type=float, default=540.0, help="stop starting new cases after this many seconds")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "exact_gap.json"))
    ap.add_argument("--resummarise", action="store_true",
                    help="recompute the derived fields and the summary of an existing --out file (no solving)")
    args = ap.parse_args(argv)
    if args.resummarise:
        old = json.loads(Path(args.out).read_text())
        for r in old["cases"]:
            if "skipped" not in r:
                r.update(_derived(r["exact_lower"], r["exact_upper"], r["solved"]))
        old["summary"] = summarise(old["cases"])
        atomic_write_json(args.out, _finite(old), indent=1)
        return 0
    start = time.perf_counter()
    rows = run_grid(run_case, args.time_limit, args.budget, start, _print_row)
    result = {
        "benchmark": "exact_gap",
        "description": "certified bound vs exact sup error (MILP) vs searched error; see benchmarks/exact_gap.py",
        "setup": {"target": "random_target(widths, w_max=1.0, seed=1)", "G_seed": 0, "delta": 0.1, "x_max": 1.0,
                  "time_limit_s": args.time_limit, "budget_s": args.budget},
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpu_count": os.cpu_count(), "loadavg_end": list(os.getloadavg())},
        "total_time_s": time.perf_counter() - start,
        "summary": summarise(rows),
        "cases": rows,
    }
    atomic_write_json(args.out, _finite(result), indent=1)
    print(f"wrote {args.out} ({result['total_time_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
