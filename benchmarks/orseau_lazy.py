"""Time the stages of Orseau's lazy build (per_input sharing) and check the kept arrays bit for bit.

    python benchmarks/orseau_lazy.py                        # mid size, this tree, ≈ 1 minute
    python benchmarks/orseau_lazy.py --before f460166       # and the same stages with that revision
    python benchmarks/orseau_lazy.py --full                 # and the full 784-500-10 build (CLI, --jobs 2)

**Stages at a mid size** (default ``random:196-100-10:kaiming``, target seed ``default_target_seed(0)``,
``ε = δ = 0.01``, seed 0, ``--jobs 1``), each in a fresh subprocess per repetition: *selection*
(:func:`slt_check.pipeline.build.build_compact_ticket`, the lazy path), *validation*
(:func:`slt_check.pipeline.verify.verify_ticket`: every kept entry regenerated from its stream) and
*certification* (:func:`slt_check.certificates.sup_error.sup_error_any`). Each stage's CPU time
(``time.process_time``: a busy shared machine inflates it less than the wall clock) is reported as
min and median over ``--repeats``; the compiled code is loaded (and, after an edit, compiled) by a
warm-up build of a tiny target first, outside the timings. The SHA-256 of the kept arrays (``rows``,
``cols``, ``vals`` of every layer, in order) is recorded per run and must be the same in every run.

``--before REV`` extracts ``slt_check/`` of git revision ``REV`` (``git archive``) into a temporary
folder and times the same stages with it (``PYTHONPATH``; the working tree is untouched); its kept
arrays must hash to the same value (tickets are bit for bit).

``--full`` runs ``nice slt-check build --target random:784-500-10:kaiming --eps 0.01 --delta 0.01
--seed 0 --sharing per_input --jobs 2`` once under ``/usr/bin/time -v`` (wall, user + system CPU of
the process and its workers, peak RSS) with the stage wall times the ticket records (``build_s``,
``validate_s``, ``certify_s``), and ``uptime`` before and after (the machine's load).

Writes ``benchmarks/results/orseau_lazy.json`` and ``benchmarks/results/orseau_lazy.md`` (atomically;
a run without ``--full`` keeps the full-size results already recorded there — every ``--full`` run is
appended to ``full_history`` —, one without ``--before`` the recorded "before" stages of the same target).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from gnu_time import parse_time_v  # noqa: E402

from slt_check.io.safe_io import atomic_write_json, atomic_write_text  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "orseau_lazy"
MID_TARGET = "random:196-100-10:kaiming"
FULL_ARGS = ["build", "--target", "random:784-500-10:kaiming", "--eps", "0.01", "--delta", "0.01", "--seed", "0",
             "--sharing", "per_input", "--jobs", "2"]

STAGES_CODE = r'''
import hashlib, json, sys, time
import numpy as np
from slt_check.pipeline.build import build_compact_ticket
from slt_check.pipeline.verify import verify_ticket
from slt_check.certificates.sup_error import sup_error_any
from slt_check.tickets.targets import default_target_seed, random_target, target_from_spec

spec = sys.argv[1]
build_compact_ticket(random_target((3, 4, 2), 1.0, 0), 0.05, 0.1, 0, sharing="per_input", progress=False)  # warm-up
F = target_from_spec(spec, seed=default_target_seed(0), output_relu=False)
c0 = time.process_time(); w0 = time.perf_counter()
t = build_compact_ticket(F, 0.01, 0.01, 0, sharing="per_input", jobs=1, progress=False)
c1 = time.process_time(); w1 = time.perf_counter()
verify_ticket(t, jobs=1)
c2 = time.process_time(); w2 = time.perf_counter()
err = sup_error_any(F, t, 1.0, rng=0)
c3 = time.process_time(); w3 = time.perf_counter()
h = hashlib.sha256()
for e in t.entries:
    for key in ("rows", "cols", "vals"):
        h.update(np.ascontiguousarray(e[key]).tobytes())
print(json.dumps({
    "cpu_s": {"selection": c1 - c0, "validation": c2 - c1, "certification": c3 - c2},
    "wall_s": {"selection": w1 - w0, "validation": w2 - w1, "certification": w3 - w2},
    "sha256": h.hexdigest(), "kept": int(t.n_kept), "weights": int(F.n_params),
    "n_samples": int(t.meta.plan.n_samples), "M": int(t.meta.plan.M),
    "certified": float(err.certified), "found": float(err.found), "ok": bool(t.ok),
}))
'''


def uptime() -> str:
    """The load averages (``uptime``), for the record."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return os.getloadavg().__repr__()


def run_stages(target: str, pythonpath: Path) -> dict[str, Any]:
    """One repetition of the three stages in a fresh interpreter importing ``slt_check`` from ``pythonpath``."""
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    p = subprocess.run([sys.executable, "-c", STAGES_CODE, target], capture_output=True, text=True, env=env,
                       cwd=tempfile.gettempdir())
    if p.returncode != 0:
        raise RuntimeError(f"stages failed ({p.returncode}): {p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def time_stages(target: str, pythonpath: Path, repeats: int) -> dict[str, Any]:
    """``repeats`` runs of :func:`run_stages`: CPU min/median and wall min per stage, the hashes."""
    runs = [run_stages(target, pythonpath) for _ in range(repeats)]
    hashes = sorted({r["sha256"] for r in runs})
    out: dict[str, Any] = {k: runs[0][k] for k in ("kept", "weights", "n_samples", "M", "certified", "found", "ok")}
    out["sha256"] = hashes[0] if len(hashes) == 1 else hashes
    out["deterministic"] = len(hashes) == 1
    for stage in ("selection", "validation", "certification"):
        cpu = [r["cpu_s"][stage] for r in runs]
        out[stage] = {"cpu_min_s": min(cpu), "cpu_median_s": statistics.median(cpu),
                      "wall_min_s": min(r["wall_s"][stage] for r in runs)}
    out["total_cpu_min_s"] = sum(out[s]["cpu_min_s"] for s in ("selection", "validation", "certification"))
    out["candidates"] = out["weights"] * out["n_samples"]
    out["selection_ns_per_candidate"] = 1e9 * out["selection"]["cpu_min_s"] / out["candidates"]
    return out


def extract(rev: str, dest: Path) -> Path:
    """``slt_check/`` of revision ``rev`` under ``dest`` (``git archive``); returns ``dest``."""
    archive = subprocess.run(["git", "archive", rev, "slt_check"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def run_full() -> dict[str, Any]:
    """The full-size CLI build, once, under ``nice`` and ``/usr/bin/time -v``."""
    with tempfile.TemporaryDirectory() as tmp:
        out_npz = Path(tmp) / "orseau_784.npz"
        before = uptime()
        cmd = ["nice", "/usr/bin/time", "-v", sys.executable, "-m", "slt_check.cli.main", *FULL_ARGS,
               "--out", str(out_npz)]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        after = uptime()
        if p.returncode != 0:
            raise RuntimeError(f"full build failed ({p.returncode}): {p.stderr[-3000:]}")
        res = parse_time_v(p.stderr)
        kept = re.search(r"kept\s+params=(\d+).*neurons=(\d+)", p.stdout)
        res["kept_params"], res["kept_neurons"] = (int(kept.group(1)), int(kept.group(2))) if kept else (None, None)
        with np.load(out_npz, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
        res.update({
            "command": "slt-check " + " ".join(FULL_ARGS) + " --out o.npz",
            "subprocess_wall_s": wall, "uptime_before": before, "uptime_after": after,
            "build_s": meta.get("build_s"), "validate_s": meta.get("validate_s"), "certify_s": meta.get("certify_s"),
            "certified": meta.get("sup_error", {}).get("certified"), "found": meta.get("sup_error", {}).get("found"),
            "success": meta.get("success"), "stdout_tail": p.stdout[-1500:],
        })
    return res


def _f(x: Any, nd: int = 2) -> str:
    return "–" if x is None else f"{x:.{nd}f}"


def markdown(res: dict[str, Any]) -> str:
    lines = [
        "# Orseau's lazy build (per_input): stage times",
        "",
        f"Generated by `python benchmarks/orseau_lazy.py` on {res['date']} ({res['machine']}); "
        f"load: `{res['uptime']}`.",
        "",
        f"## Mid size: `{res['target']}`, ε = δ = 0.01, seed 0, `--jobs 1`",
        "",
        "CPU seconds (`time.process_time`, one fresh process per repetition), min / median of "
        f"{res['repeats']}; the kept arrays' SHA-256 must agree between revisions.",
        "",
        "| code | selection | validation | certification | total (min) | ns per candidate (selection) | kept "
        "| SHA-256 of kept arrays |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ("before", "after"):
        r = res.get(name)
        if not r:
            continue
        label = f"{name} ({res.get('before_rev', '')})" if name == "before" else f"after ({res['rev']})"
        cells = [f"{_f(r[s]['cpu_min_s'])} / {_f(r[s]['cpu_median_s'])}"
                 for s in ("selection", "validation", "certification")]
        sha = r["sha256"] if isinstance(r["sha256"], str) else " ≠ ".join(r["sha256"])
        lines.append(f"| {label} | {' | '.join(cells)} | {_f(r['total_cpu_min_s'])} | "
                     f"{r['selection_ns_per_candidate']:.1f} | {r['kept']} | `{sha[:16]}…` |")
    if "before" in res:
        lines += ["", f"Same kept arrays before and after: **{res['same_tickets']}**. "
                  f"Selection speed-up (CPU, min): {res['speedup_selection']:.1f}×, validation "
                  f"{res['speedup_validation']:.1f}×."]
    runs = res.get("full_history") or ([res["full"]] if res.get("full") else [])
    if runs:
        lines += [
            "",
            "## Full size (each run once, in order; the machine is shared: see the load)",
            "",
            f"`nice /usr/bin/time -v {runs[-1]['command']}`",
            "",
            "| code | wall | CPU (user + sys, all processes) | build (select) | validate | certify | peak RSS "
            "| kept params | kept neurons | certified | found | load before → after (1-min avg) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for full in runs:
            load = " → ".join(re.findall(r"load average: ([\d.]+)", full["uptime_before"] + full["uptime_after"]))
            lines.append(
                f"| {full.get('rev', '?')} | {_f(full['wall_s'], 1)} s | {_f(full['cpu_s'], 1)} s | "
                f"{_f(full['build_s'], 1)} s | {_f(full['validate_s'], 1)} s | {_f(full['certify_s'], 1)} s | "
                f"{_f(full['peak_rss_gib'], 2)} GiB | {full['kept_params']} | {full['kept_neurons']} | "
                f"{full['certified']!r} | {full['found']!r} | {load} |")
        lines += [
            "",
            "Before this change (benchmarks/results/full.json, 2 idle cores): 253 s wall (select 201 + validate 38 "
            "+ certify 8), peak RSS 1.41 GiB, kept params 8145103, kept neurons 899583, found 9.010940402731649e-07 "
            "(its certified bound, 3.5359979886482846e-05, predates the stage-wise float slack of the certificate).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default=MID_TARGET, help="the mid-size target spec")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--before", metavar="REV", help="also time the stages with this git revision's slt_check")
    ap.add_argument("--full", action="store_true", help="also run the full 784-500-10 build once")
    ap.add_argument("--out", type=Path, default=OUT, help="results path without suffix")
    args = ap.parse_args(argv)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    res: dict[str, Any] = {
        "target": args.target, "repeats": args.repeats, "rev": rev.strip(), "machine": f"{platform.machine()}, "
        f"{os.cpu_count()} CPUs", "date": time.strftime("%Y-%m-%d %H:%M"), "uptime": uptime(),
    }
    previous = args.out.with_suffix(".json")
    old = json.loads(previous.read_text()) if previous.exists() else {}
    if not args.full and "full" in old:
        res["full"] = old["full"]
    res["after"] = time_stages(args.target, ROOT, args.repeats)
    print(json.dumps(res["after"], indent=1))
    if not args.before and "before" in old and old.get("target") == args.target:  # kept from the last run
        res["before"], res["before_rev"] = old["before"], old["before_rev"]
        res["same_tickets"] = res["before"]["sha256"] == res["after"]["sha256"] and res["after"]["deterministic"]
        for s in ("selection", "validation"):
            res[f"speedup_{s}"] = res["before"][s]["cpu_min_s"] / res["after"][s]["cpu_min_s"]
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            res["before_rev"] = args.before
            res["before"] = time_stages(args.target, extract(args.before, Path(tmp)), args.repeats)
        res["same_tickets"] = res["before"]["sha256"] == res["after"]["sha256"] and res["after"]["deterministic"]
        for s in ("selection", "validation"):
            res[f"speedup_{s}"] = res["before"][s]["cpu_min_s"] / res["after"][s]["cpu_min_s"]
        print(json.dumps(res["before"], indent=1))
    res["full_history"] = old.get("full_history", [])
    if args.full:
        res["full"] = run_full()
        res["full"]["rev"] = res["rev"]
        res["full_history"].append(res["full"])
        print(json.dumps(res["full"], indent=1))
    res["uptime_end"] = uptime()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out.with_suffix(".json"), res)
    atomic_write_text(args.out.with_suffix(".md"), markdown(res))
    if "before" in res and not res["same_tickets"]:
        print("DIFFERENT TICKETS before and after", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
