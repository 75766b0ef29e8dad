"""Full-size CNN benchmark: a certified ticket for a Kaiming-scaled MNIST-shaped CNN.

Target: ``Conv2d(1,32,3,p=1) ReLU Conv2d(32,32,3,p=1) ReLU Flatten Linear(25088,10)`` on 28×28 inputs
(260,384 weights), ``random-cnn:`` with target seed ``seed + 1_000_003`` (the CLI's default), ε = 0.01,
δ = 0.01, box ``[−1, 1]`` per pixel. Prints the estimate up front and a progress bar while it runs; then
wall time, CPU time, peak resident memory (``ru_maxrss``), kept parameters per target weight, the
certified and the found error. Results are appended to ``benchmarks/results/cnn_full_size.json``.

    nice -n 10 python benchmarks/cnn_full_size.py [--construction conv-orseau] [--precision r8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from slt_check.cli.cnn import estimate_text
from slt_check.constructions.conv_registry import get_conv_construction
from slt_check.pipeline.conv_build import build_conv, problem_for
from slt_check.tickets.conv_targets import random_cnn
from slt_check.tickets.targets import default_target_seed

ARCH = "1x28x28:conv32k3p1,relu,conv32k3p1,relu,flatten,linear10"
RESULTS = Path(__file__).parent / "results" / "cnn_full_size.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--construction", default="conv-orseau")
    ap.add_argument("--precision", default="r8", choices=("r8", "certificate"))
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--delta", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--arch", default=ARCH)
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    net = random_cnn(args.arch, default_target_seed(args.seed))
    con = get_conv_construction(args.construction, precision=args.precision)
    prob = problem_for(net, args.eps, args.delta, lo=-1.0, hi=1.0)
    plan = con.plan(prob)
    est_s, line = estimate_text(con, prob, plan)
    print(line, file=sys.stderr, flush=True)
    r = build_conv(net, con, prob, args.seed, progress=True)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    s = r.ticket.sizes()
    row = {
        "arch": args.arch, "construction": args.construction, "precision": args.precision, "eps": args.eps,
        "delta": args.delta, "seed": args.seed, "target_params": s["target_weights"], "G_params": plan["G_params"],
        "n_samples": plan["n_samples"], "M": plan.get("M"), "kept_params": s["kept_params"],
        "kept_per_weight": round(s["kept_params_per_weight"], 3), "success": r.ok, "certified": r.certified,
        "found": r.found, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "estimate_s": round(est_s, 1),
        "timings": {k: round(v, 2) for k, v in r.timings.items()}, "peak_rss_gib": round(peak / 2**30, 3),
        "cores": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version(),
        "revision": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                   cwd=Path(__file__).parent).stdout.strip(),
    }
    print(json.dumps(row, indent=1))
    if not args.no_save:
        rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(rows + [row], indent=1) + "\n")


if __name__ == "__main__":
    main()
