"""Benchmarks: one command, a table, JSON results and a figure.

    python benchmarks/run.py --quick     # ~1–2 minutes: small cases only
    python benchmarks/run.py             # + larger scaling cases and the full-size 784-500-10 runs

Measured (each build case in its own subprocess, so peak memory is that case's alone):

* ``subset_sum``: the library's exact subset sum (compiled, ``slt_check.core.subset_sum_grow``) at
  ``n = 21`` candidates, µs per weight over a batch of 20 000 weights (Pensia et al.'s ``n = 3·7``),
  against the vectorised numpy reference (``slt_check.core.subset_sum.best_subsets``), and the growing
  mode at the full-size run's layer-1 tolerance (``4.6e-7``, prefixes from 16 up to 32);
* ``scaling``: per construction, build time (sampling + selection, lazy path where the dense ``G``
  would exceed 2e7 parameters), validation time, certification time (``certify.sup_error``) and peak
  resident memory (``ru_maxrss`` of the case process and its workers) against the number of target
  weights ``W`` (targets ``random:k-k-10:kaiming``, ε = δ = 0.01); a least-squares slope of
  ``log time`` against ``log W`` (≈ 1 means linear cost; the plan's ``N`` also grows like ``log W``);
* ``full``: ``slt-check build`` on ``random:784-500-10:kaiming`` (397 000 weights) at ε = δ = 0.01
  (input box ``‖x‖∞ ≤ 1``) for ``orseau --sharing per_input`` (R8 and certificate precision) and
  ``pensia --option precision=certificate``, and on LeNet-300-100's shape ``random:784-300-100-10:kaiming``
  (depth 3) for pensia (seeds 0, 2, 3) and orseau, ``--jobs 2``; ``--full-only`` runs just these, wall time
  and peak memory per run.

Machine load (``os.getloadavg``, ``uptime``) is stored with the results, which go to
``benchmarks/results/<name>.json``; the figure (cost against size) to
``benchmarks/results/scaling.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

QUICK_SIZES = (8, 16, 32)
FULL_SIZES = (8, 16, 32, 64, 128, 256)
SERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("orseau[per_weight]", "orseau", {"sharing": "per_weight"}),
    ("orseau[per_input]", "orseau", {"sharing": "per_input"}),
    ("pensia", "pensia", {}),
    ("pensia[certificate]", "pensia", {"precision": "certificate"}),
]
"""Scaling series: label, construction, options."""
MAX_K = {"pensia": 64}
"""Largest ``k`` per series in the scaling sweep: pensia at R8's η optimises over the whole window of
32 candidates per half (≈ 3 ms per weight and half), so k = 128 would take minutes."""
FULL_RUNS: list[tuple[str, str, list[str]]] = [
    ("orseau[per_input]", "orseau", ["--sharing", "per_input"]),
    ("pensia[certificate]", "pensia", ["--option", "precision=certificate"]),
    ("orseau[per_input,certificate]", "orseau", ["--sharing", "per_input", "--option", "precision=certificate"]),
]
DEPTH3_TARGET = "random:784-300-100-10:kaiming"
DEPTH3_RUNS: list[tuple[str, str, list[str], int]] = [
    ("pensia[certificate]", "pensia", ["--option", "precision=certificate"], 0),
    ("pensia[certificate]", "pensia", ["--option", "precision=certificate"], 2),
    ("pensia[certificate]", "pensia", ["--option", "precision=certificate"], 3),
    ("orseau[per_input]", "orseau", ["--sharing", "per_input"], 0),
]
"""LeNet-300-100's shape (depth 3) at ε = δ = 0.01: pensia on seeds 0, 2, 3 (2 and 3 failed before the
stage-wise float slack) and orseau on seed 0."""
"""The full-size runs: label, construction, extra ``slt-check build`` arguments. pensia at R8's η
(window 32 over all 397,000 weights) is the ≈ 40-minute run the certificate precision avoids."""
EPS, DELTA = 0.01, 0.01


def machine() -> dict[str, Any]:
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return {"uptime": up, "loadavg": list(os.getloadavg()), "cpus": os.cpu_count(),
            "python": platform.python_version(), "platform": platform.platform(),
            "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def peak_rss_mib() -> float:
    """Peak RSS of this process and of its (waited-for) children, MiB (Linux: ru_maxrss in KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


# ----------------------------------------------------------------------------- cases (subprocess)


def case_build(label: str, construction: str, options: dict[str, Any], k: int, jobs: int) -> dict[str, Any]:
    """Build + validate + certify one ticket for ``random:k-k-10:kaiming``; timings and sizes."""
    from slt_check.pipeline.build import build_and_check
    from slt_check.tickets.targets import target_from_spec

    F = target_from_spec(f"random:{k}-{k}-10:kaiming", seed=1)
    ticket, err = build_and_check(F, EPS, DELTA, 0, construction=construction, jobs=jobs, **options)
    s = ticket.sizes()
    return {
        "construction": label, "k": k,
        "target_weights": s["target_weights"], "lazy": bool(ticket.meta.lazy),
        **{key: ticket.meta.records[key] for key in ("build_s", "validate_s", "certify_s")},
        "G_params": s["G_params"], "kept_params": s["kept_params"],
        "kept_per_weight": s["kept_params_per_weight"], "n_samples": ticket.meta.plan.n_samples,
        "certified": err.certified, "found": err.found, "holds": err.certified <= EPS,
        "peak_rss_mib": peak_rss_mib(),
    }


def _best_time(fn: Any, repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def case_subset_sum(n: int = 21, batch: int = 20_000, repeats: int = 3) -> dict[str, Any]:
    """µs per weight of the exact solver (best of ``repeats``; JIT compilation timed apart), of the
    numpy reference, and of the growing mode; checked against brute force on a sample of rows."""
    from slt_check.core import subset_sum as ss
    from slt_check.core.subset_sum_grow import grow_subsets

    rng = np.random.default_rng(0)
    v = rng.uniform(-1, 1, (batch, n)) * rng.uniform(-1, 1, (batch, n))
    t = rng.uniform(-0.5, 0.5, batch) * 0.1  # |w| of a Kaiming 784-wide layer: ≈ 0.05
    t0 = time.perf_counter()
    grow_subsets(v[:2], t[:2])
    compile_s = time.perf_counter() - t0
    best, (keep, _) = _best_time(lambda: grow_subsets(v, t), repeats)
    best_np, keep_np = _best_time(lambda: ss.best_subsets(v[: batch // 10], t[: batch // 10]), 1)
    v32 = rng.uniform(-1, 1, (batch, 32)) * rng.uniform(-1, 1, (batch, 32))
    best_grow, (keep_g, used) = _best_time(lambda: grow_subsets(v32, t, tol=4.6e-7, n_min=16), repeats)
    ref = ss.brute_force_subsets(v[:20, :16], t[:20])
    got, _ = grow_subsets(v[:20, :16], t[:20])
    same = np.allclose(ss.subset_errors(v[:20, :16], t[:20], got), ss.subset_errors(v[:20, :16], t[:20], ref),
                       rtol=0, atol=1e-14)
    err = ss.subset_errors(v, t, keep)
    err_g = ss.subset_errors(v32, t, keep_g)
    return {"n": n, "batch": batch, "us_per_weight": best / batch * 1e6, "compile_s": compile_s,
            "numpy_reference_us_per_weight": best_np / (batch // 10) * 1e6,
            "max_error": float(np.max(err)), "median_error": float(np.median(err)),
            "same_optimum_as_numpy": bool(np.allclose(err[: batch // 10],
                                                      ss.subset_errors(v[: batch // 10], t[: batch // 10], keep_np),
                                                      rtol=0, atol=1e-14)),
            "grow_us_per_weight": best_grow / batch * 1e6, "grow_tol": 4.6e-7,
            "grow_mean_candidates": float(used.mean()), "grow_within_tol": float(np.mean(err_g <= 4.6e-7)),
            "matches_brute_force_n16": bool(same), "peak_rss_mib": peak_rss_mib()}


def case_cli_full(label: str, construction: str, args: list[str], jobs: int, target: str,
                  seed: int = 0) -> dict[str, Any]:
    """``slt-check build`` as a user runs it; reads the saved ticket's meta."""
    from slt_check.tickets.compact_ticket import _read_npz

    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "t.npz"
        cmd = [sys.executable, "-m", "slt_check", "build", "--target", target, "--eps", str(EPS),
               "--delta", str(DELTA), "--seed", str(seed), "--construction", construction,
               "--jobs", str(jobs), "--out", str(out)]
        cmd += list(args)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        res: dict[str, Any] = {"construction": label, "seed": seed,
                               "target": target, "command": " ".join(cmd[1:]), "rc": proc.returncode,
                               "wall_s": wall, "stdout": proc.stdout[-3000:], "stderr": proc.stderr[-3000:],
                               "peak_rss_mib": peak_rss_mib()}
        if proc.returncode == 0:
            _, meta = _read_npz(out, meta_only=True)
            res.update({k: meta.to_json().get(k) for k in ("build_s", "validate_s", "certify_s", "sup_error", "lazy")})
            res["file_mib"] = out.stat().st_size / 2**20
            res["kept_per_weight"] = _kept_per_weight(proc.stdout)
    return res


def _kept_per_weight(stdout: str) -> float | None:
    for line in stdout.splitlines():
        if line.startswith("kept") and "/weight" in line:
            return float(line.split("(")[1].split("/")[0])
    return None


CASES = {"build": case_build, "subset_sum": case_subset_sum, "cli_full": case_cli_full}


def run_case(kind: str, timeout: float, **kw: Any) -> dict[str, Any]:
    """Run one case in a fresh interpreter; its JSON result (or the error)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", json.dumps({"kind": kind, **kw})]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"kind": kind, **kw, "error": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"kind": kind, **kw, "error": proc.stderr[-2000:]}
    return {"kind": kind, **json.loads(proc.stdout.strip().splitlines()[-1])}


# ----------------------------------------------------------------------------- driver




def loglog_slope(W: list[float], t: list[float]) -> float | None:
    """Least-squares slope of ``log t`` against ``log W``."""
    if len(W) < 2:
        return None
    return float(np.polyfit(np.log(W), np.log(t), 1)[0])


def figure(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for name in sorted({r["construction"] for r in rows}):
        rs = sorted((r for r in rows if r["construction"] == name and "error" not in r),
                    key=lambda r: r["target_weights"])
        if not rs:
            continue
        W = [r["target_weights"] for r in rs]
        ax[0].loglog(W, [r["build_s"] for r in rs], "o-", label=name)
        ax[1].loglog(W, [r["peak_rss_mib"] for r in rs], "o-", label=name)
    ax[0].set(xlabel="target weights W", ylabel="build time (s)", title=f"ε = δ = {EPS}")
    ax[1].set(xlabel="target weights W", ylabel="peak RSS (MiB)")
    ax[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def full_runs(jobs: int) -> list[dict[str, Any]]:
    """Every full-size run: :data:`FULL_RUNS` on 784-500-10 and :data:`DEPTH3_RUNS` on 784-300-100-10."""
    runs = [(label, con, args, 0, "random:784-500-10:kaiming") for label, con, args in FULL_RUNS]
    runs += [(label, con, args, seed, DEPTH3_TARGET) for label, con, args, seed in DEPTH3_RUNS]
    out = []
    for label, con, args, seed, target in runs:
        print(f"full size {target}: {label} seed {seed} …", flush=True)
        r = run_case("cli_full", 1800, label=label, construction=con, args=args, jobs=jobs, target=target, seed=seed)
        out.append(r)
        wall, peak = r.get("wall_s", float("nan")), r.get("peak_rss_mib", float("nan"))
        print(f"  rc {r.get('rc')}  wall {wall:.0f} s  peak {peak:.0f} MiB", flush=True)
        print("  " + (r.get("stdout") or r.get("error", "")).replace("\n", "\n  "), flush=True)
    return out


def full_only(out: dict[str, Any], jobs: int, name: str) -> int:
    """``--full-only``: the full-size runs alone, to ``benchmarks/results/<name>.json``."""
    out["full"] = full_runs(jobs)
    out["machine_after"] = machine()
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(out, indent=1, default=float))
    print(f"results: {path}; load before {out['machine_before']['loadavg']}, after {out['machine_after']['loadavg']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small cases only (no full-size runs)")
    p.add_argument("--full-only", action="store_true",
                   help="only the full-size runs (784-500-10 and the depth-3 784-300-100-10)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes for lazy builds")
    p.add_argument("--name", default=None, help="results file name (default: quick or full)")
    p.add_argument("--case", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.case:  # child process: one case, one JSON line
        spec = json.loads(a.case)
        print(json.dumps(CASES[spec.pop("kind")](**spec), default=float))
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = a.name or ("quick" if a.quick else "full")
    out: dict[str, Any] = {"machine_before": machine(), "eps": EPS, "delta": DELTA, "quick": a.quick}

    if a.full_only:
        return full_only(out, a.jobs, name if a.name else "full_size")
    print("exact subset sum, n = 21 …", flush=True)
    out["subset_sum"] = run_case("subset_sum", 600)
    ssr = out["subset_sum"]
    if "error" not in ssr:
        print(f"  {ssr['us_per_weight']:.1f} µs/weight (batch {ssr['batch']}; numpy reference "
              f"{ssr['numpy_reference_us_per_weight']:.1f}; compile {ssr['compile_s']:.1f} s), max |error| "
              f"{ssr['max_error']:.2e}, brute-force check {ssr['matches_brute_force_n16']}; growing to "
              f"tol {ssr['grow_tol']:.1e}: {ssr['grow_us_per_weight']:.1f} µs/weight, "
              f"{ssr['grow_mean_candidates']:.2f} candidates")
    else:
        print("  ", ssr["error"][-300:])

    rows = []
    sizes = QUICK_SIZES if a.quick else FULL_SIZES
    for label, con, opts in SERIES:
        for k in sizes:
            if k > MAX_K.get(label, k):
                break
            r = run_case("build", 900, label=label, construction=con, options=opts, k=k, jobs=a.jobs)
            r.setdefault("construction", label)
            r.setdefault("target_weights", k * k + 10 * k)
            rows.append(r)
            if "error" in r:
                print(f"  {r['construction']:20s} k={k}: ERROR {r['error'][-200:]}", flush=True)
                break
            print(f"  {r['construction']:20s} W={r['target_weights']:7d}  build {r['build_s']:7.2f} s  "
                  f"validate {r['validate_s']:6.2f} s  certify {r['certify_s']:6.2f} s  "
                  f"{r['peak_rss_mib']:7.0f} MiB  kept/w {r['kept_per_weight']:.2f}  "
                  f"certified {r['certified']:.2e}", flush=True)
    out["scaling"] = rows
    out["slopes"] = {}
    for name_c in sorted({r["construction"] for r in rows}):
        rs = [r for r in rows if r["construction"] == name_c and "error" not in r]
        out["slopes"][name_c] = {
            "build_time": loglog_slope([r["target_weights"] for r in rs], [r["build_s"] for r in rs]),
            "kept_params": loglog_slope([r["target_weights"] for r in rs], [r["kept_params"] for r in rs]),
        }

    if not a.quick:
        out["full"] = full_runs(a.jobs)

    out["machine_after"] = machine()
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(out, indent=1, default=float))
    figure(rows, RESULTS / f"scaling_{name}.png")

    print()
    print(f"{'construction':22s} {'W':>8s} {'build s':>8s} {'valid s':>8s} {'cert s':>8s} {'MiB':>7s} {'kept/w':>7s}")
    for r in rows:
        if "error" not in r:
            print(f"{r['construction']:22s} {r['target_weights']:8d} {r['build_s']:8.2f} {r['validate_s']:8.2f} "
                  f"{r['certify_s']:8.2f} {r['peak_rss_mib']:7.0f} {r['kept_per_weight']:7.2f}")
    for c, s in out["slopes"].items():
        if s["build_time"] is not None:
            print(f"log-log slope {c:22s} build time {s['build_time']:.2f}   kept params {s['kept_params']:.2f}")
    print(f"results: {path}  figure: {RESULTS / f'scaling_{name}.png'}")
    print(f"load before {out['machine_before']['loadavg']}, after {out['machine_after']['loadavg']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
