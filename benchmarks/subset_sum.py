"""Time the exact subset-sum solver per weight and check every optimum against brute force.

    python benchmarks/subset_sum.py                          # ≈ 1 minute
    python benchmarks/subset_sum.py --before fd70a9d         # also time the solver of that revision
    python benchmarks/subset_sum.py --before fd70a9d --build # and one pensia build with each

For each ``n`` a seeded batch of rows (candidates ``U[−1, 1]``, targets ``U[−1, 1]``, all eligible,
``tol = 0``: the plain exact minimiser) is solved ``--repeats`` times by
:func:`slt_check.core.subset_sum_grow.grow_subsets` in this process (single-threaded: the compiled
solver uses one thread, numpy no BLAS); the CPU time per row (``time.process_time``, which a busy
shared machine inflates less than the wall clock) is reported as min and median over the repeats,
the wall time as its min; compilation is timed apart.

Check, for ``n ≤ 21`` on every row of the batch: the error ``|Σ_kept v − t|`` recomputed from the
returned mask (:func:`slt_check.core.subset_sum.subset_errors`) against the minimal error over all
``2^n`` subsets (a compiled enumeration here, itself checked against
:func:`~slt_check.core.subset_sum.brute_force_subsets` on a few rows), also recomputed from its mask.
A *mismatch* is a row where the solver's error exceeds the brute-force minimum by more than the float64
rounding of two differently ordered sums, ``2(n+1)·2u·(Σ|v| + |t|)`` (``u = 2⁻⁵³``); rows where both
errors are equal bit for bit are counted too.

``--before REV`` loads ``slt_check/core/subset_sum_grow.py`` of git revision ``REV`` beside the current
package (its solver replaces only the compiled batch loop), times it on the same rows and counts rows
whose masks differ from the current solver's (ties included: must be 0, tickets are bit for bit).
``--build`` runs ``slt-check build --target random:64-32-10:kaiming --eps 0.01 --delta 0.05
--construction pensia`` under ``/usr/bin/time -v`` with the current solver and, with ``--before``, with
that revision's solver patched in (a subprocess), and compares the tickets' arrays bit for bit.

Writes ``benchmarks/results/subset_sum.json`` and ``benchmarks/results/subset_sum.md`` (atomically).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gnu_time import parse_time_v  # noqa: E402

import slt_check.core.subset_sum_grow as sg  # noqa: E402
from slt_check.core.subset_sum import brute_force_subsets, subset_errors  # noqa: E402
from slt_check.io.safe_io import atomic_write_json, atomic_write_text  # noqa: E402

SIZES = {12: 4000, 16: 2000, 21: 500, 24: 200, 32: 20}
"""``n`` → rows per batch (about the same time per batch)."""
BRUTE_MAX_N = 21
BUILD_ARGS = [
    "build",
    "--target",
    "random:64-32-10:kaiming",
    "--eps",
    "0.01",
    "--delta",
    "0.05",
    "--construction",
    "pensia",
]


@njit(cache=True)
def _brute_masks(v: np.ndarray, t: np.ndarray, keep: np.ndarray) -> None:  # pragma: no cover - compiled
    """Per row, the mask minimising ``|E[mask] − t|`` over all ``2^n`` subset sums ``E`` (built by doubling,
    ``E[i | 2^k] = E[i] + v_k``)."""
    B, n = v.shape
    E = np.empty(1 << n)
    for r in range(B):
        E[0] = 0.0
        m = 1
        for k in range(n):
            x = v[r, k]
            for i in range(m):
                E[m + i] = E[i] + x
            m *= 2
        best = np.inf
        arg = 0
        for i in range(m):
            e = abs(E[i] - t[r])
            if e < best:
                best = e
                arg = i
        for k in range(n):
            keep[r, k] = ((arg >> k) & 1) == 1


def brute_force(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    keep = np.zeros(v.shape, dtype=np.bool_)
    _brute_masks(np.ascontiguousarray(v), np.ascontiguousarray(t), keep)
    return keep


def _allowance(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    n = v.shape[1]
    return 2 * (n + 1) * 2.0**-52 * (np.abs(v).sum(axis=1) + np.abs(t))


def load_solver_of(rev: str) -> Any:
    """The module ``slt_check/core/subset_sum_grow.py`` of git revision ``rev``, imported from a temporary
    copy (it imports the current ``slt_check.core.subset_sum``; compiled in each process, timed apart)."""
    src = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:slt_check/core/subset_sum_grow.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    src = src.replace("cache=True", "cache=False")  # compiled afresh: numba's cache cannot reload a file module
    with tempfile.TemporaryDirectory(prefix="subset_sum_before_") as d:
        path = Path(d) / "subset_sum_grow_before.py"
        path.write_text(src)
        spec = importlib.util.spec_from_file_location("subset_sum_grow_before", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def solve(batch_fn: Any, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``grow_subsets(v, t)`` with ``batch_fn`` as the compiled batch loop (all eligible, ``tol = 0``)."""
    B, n = v.shape
    keep = np.zeros((B, n), dtype=np.bool_)
    used = np.zeros(B, dtype=np.int64)
    batch_fn(np.ascontiguousarray(v), np.full(B, n, np.int64), np.ascontiguousarray(t), np.zeros(B), n, keep, used)
    return keep


def time_solver(batch_fn: Any, v: np.ndarray, t: np.ndarray, repeats: int) -> tuple[dict[str, float], np.ndarray]:
    B = v.shape[0]
    t0 = time.perf_counter()
    solve(batch_fn, v[:2], t[:2])
    compile_s = time.perf_counter() - t0
    cpu, wall, keep = [], [], None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        keep = solve(batch_fn, v, t)
        cpu.append((time.process_time() - c0) / B * 1e6)
        wall.append((time.perf_counter() - w0) / B * 1e6)
    stats = {
        "cpu_us_min": min(cpu),
        "cpu_us_median": float(np.median(cpu)),
        "wall_us_min": min(wall),
        "compile_s": compile_s,
    }
    return stats, keep


def run_n(n: int, rows: int, repeats: int, seed: int, before: Any | None) -> dict[str, Any]:
    rng = np.random.default_rng([seed, n])
    v = rng.uniform(-1, 1, (rows, n))
    t = rng.uniform(-1, 1, rows)
    out: dict[str, Any] = {"n": n, "rows": rows, "repeats": repeats}
    out["after"], keep = time_solver(sg._grow_batch, v, t, repeats)
    if before is not None:
        out["before"], keep_b = time_solver(before._grow_batch, v, t, repeats)
        out["rows_with_other_mask_than_before"] = int(np.any(keep != keep_b, axis=1).sum())
    if n <= BRUTE_MAX_N:
        ref = brute_force(v, t)
        err, err_ref = subset_errors(v, t, keep), subset_errors(v, t, ref)
        out["checked"] = rows
        out["mismatches"] = int(np.sum(err > err_ref + _allowance(v, t)))
        out["equal_bit_for_bit"] = int(np.sum(err == err_ref))
        out["max_excess_over_brute"] = float(np.max(err - err_ref))
        if n <= 16:  # the compiled enumeration against the library's brute force
            lib = brute_force_subsets(v[:20], t[:20])
            out["brute_force_matches_library"] = bool(
                np.array_equal(subset_errors(v[:20], t[:20], ref[:20]), subset_errors(v[:20], t[:20], lib))
            )
    return out


def run_build(out_npz: Path, before_rev: str | None) -> dict[str, Any]:
    """One pensia build in a subprocess under ``/usr/bin/time -v``; with ``before_rev`` the solver of that
    revision is patched into ``slt_check.core.subset_sum_grow`` first (the library files are untouched)."""
    patch = ""
    if before_rev is not None:
        patch = (
            f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import subset_sum as b; "
            f"import slt_check.core.subset_sum_grow as sg; "
            f"sg._grow_batch = b.load_solver_of({before_rev!r})._grow_batch; "
            "import numpy as np; sg.grow_subsets(np.ones((2, 4)), np.zeros(2)); "  # compiled before the build
        )
    code = patch + f"from slt_check.cli.main import main; sys.exit(main({[*BUILD_ARGS, '--out', str(out_npz)]!r}))"
    code = "import sys; " + code
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if p.returncode != 0:
        raise RuntimeError(f"build failed ({p.returncode}): {p.stderr[-2000:]}")
    res = parse_time_v(p.stderr)
    with np.load(out_npz, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    res["select_s"] = meta["timing_s"]["select"]
    res["build_s"] = meta["build_s"]
    return res


def same_arrays(a: Path, b: Path) -> bool:
    """All arrays of two ticket files equal bit for bit, except the metadata (timings)."""
    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        if sorted(x.files) != sorted(y.files):
            return False
        return all(
            x[k].dtype == y[k].dtype and x[k].shape == y[k].shape and x[k].tobytes() == y[k].tobytes()
            for k in x.files
            if k != "meta"
        )


def _fmt(x: float | None, nd: int = 1) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def markdown(res: dict[str, Any]) -> str:
    lines = [
        "# Exact subset sum: µs per weight (benchmarks/subset_sum.py)",
        "",
        f"{res['machine']}; CPU time per row, single-threaded, min / median of {res['repeats']} repeats "
        f"(seed {res['seed']}, candidates and targets U[−1, 1]); before = the solver of revision "
        f"`{res.get('before_rev') or '–'}`, after = this tree. Checked: every row against brute force "
        f"(n ≤ {BRUTE_MAX_N}); mismatches = rows beyond the brute-force minimum plus float64 rounding.",
        "",
        "| n | rows | before µs/weight (min / median) | after µs/weight (min / median) | speed-up (min) "
        "| checked | mismatches | masks ≠ before |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in res["sizes"]:
        b, a = r.get("before"), r["after"]
        lines.append(
            f"| {r['n']} | {r['rows']} | "
            + (f"{_fmt(b['cpu_us_min'])} / {_fmt(b['cpu_us_median'])}" if b else "–")
            + f" | {_fmt(a['cpu_us_min'])} / {_fmt(a['cpu_us_median'])} | "
            + (f"{b['cpu_us_min'] / a['cpu_us_min']:.1f}×" if b else "–")
            + f" | {r.get('checked', '–')} | {r.get('mismatches', '–')} | "
            + f"{r.get('rows_with_other_mask_than_before', '–')} |"
        )
    if res.get("build"):
        bd = res["build"]
        lines += [
            "",
            f"Pensia build, `slt-check {' '.join(BUILD_ARGS)}` (window 32: up to 32 candidates per subset sum), "
            "`/usr/bin/time -v`:",
            "",
            "(selection and build: the ticket's own timings; the before run compiles its solver first, uncached,"
            " which its user CPU includes, ≈ 2 s)",
            "",
            "| solver | selection s | build s | user CPU s | wall s | peak RSS MiB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for k in ("before", "after"):
            if k in bd:
                x = bd[k]
                lines.append(
                    f"| {k} | {x['select_s']:.2f} | {x['build_s']:.2f} | {x['user_s']:.2f} | "
                    f"{x['wall_s']:.2f} | {x['peak_rss_mib']:.0f} |"
                )
        if "same_ticket_arrays" in bd:
            lines += ["", f"Ticket arrays identical bit for bit: **{bd['same_ticket_arrays']}**."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="values of n (default: %(default)s)")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--before", default=None, help="git revision whose solver to time and compare masks with")
    ap.add_argument("--build", action="store_true", help="also time one pensia build (before/after)")
    ap.add_argument(
        "--out",
        default=str(ROOT / "benchmarks" / "results" / "subset_sum"),
        help="output path without suffix (.json and .md are written)",
    )
    args = ap.parse_args(argv)
    bad = [n for n in args.sizes if not 1 <= n <= sg.MAX_N]
    if bad or args.repeats < 1:
        raise SystemExit(f"--sizes must lie in 1..{sg.MAX_N} (got {bad}) and --repeats ≥ 1 (got {args.repeats})")
    before = load_solver_of(args.before) if args.before else None
    res: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}",
        "seed": args.seed,
        "repeats": args.repeats,
        "before_rev": args.before,
        "sizes": [],
    }
    for n in args.sizes:
        r = run_n(n, SIZES.get(n, max(20, 4000 >> max(0, (n - 12) // 2))), args.repeats, args.seed, before)
        res["sizes"].append(r)
        print(json.dumps(r), flush=True)
    if args.build:
        with tempfile.TemporaryDirectory() as d:
            bd: dict[str, Any] = {"args": BUILD_ARGS}
            bd["after"] = run_build(Path(d) / "after.npz", None)
            if args.before:
                bd["before"] = run_build(Path(d) / "before.npz", args.before)
                bd["same_ticket_arrays"] = same_arrays(Path(d) / "before.npz", Path(d) / "after.npz")
            res["build"] = bd
            print(json.dumps(bd), flush=True)
    out = Path(args.out)
    atomic_write_json(out.with_suffix(".json"), res)
    atomic_write_text(out.with_suffix(".md"), markdown(res))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.md')}")
    return (
        0
        if all(r.get("mismatches", 0) == 0 and r.get("rows_with_other_mask_than_before", 0) == 0 for r in res["sizes"])
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
