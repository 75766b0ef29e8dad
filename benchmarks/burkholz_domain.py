"""Burkholz's domain: where the ``burkholz`` construction meets ε with probability ≥ 1 − δ.

    python benchmarks/burkholz_domain.py calibrate      # ≈ 5 minutes (2 cores, niced)
    python benchmarks/burkholz_domain.py screen         # ≈ 30–60 minutes
    python benchmarks/burkholz_domain.py diagnose --widths 4-6-2 --eps 0.01 --seeds 1000 1012

Seeds: 1000–1999 only (diagnosis and screening; never a confirmation's seeds).

* ``calibrate``: the per-group miss probability ``π`` of the union plan
  (:func:`slt_check.core.bounds.burkholz_union_plan`). For each law of candidates (``uniform``:
  ``U[−1, 1]``, the copies' weights of layers ≥ 2; ``product``: ``a·b``, ``a ~ U[0, 1]``,
  ``b ~ U[−1, 1]``, one half of a layer-1 block), precision ``η`` and target ``w ∈ [0, 1]`` (both laws
  are symmetric, so ``±w`` miss alike), ``n`` groups of ``m = ⌈log₂(1/η)⌉ + m₀`` candidates are drawn
  and the exact subset-sum optimum is compared with ``η``; the table gives the misses and the
  one-sided 99.9 % Clopper–Pearson upper bound of each cell. Written to
  ``benchmarks/results/burkholz_calibration.{json,md}``.
* ``screen``: ``build`` over a grid of targets × ε × δ × seeds, per cell the failures (certified
  sup error > ε, or the build refused), the width ``ρ``, ``G``'s parameters and the wall time,
  for the former plan (``delta_rule="pensia"``) and the union plan. Written to
  ``benchmarks/results/burkholz_domain.{json,md}``.
* ``diagnose``: per seed, every subset-sum instance beyond ``η`` (layer, copy, input, half, ``w``,
  residual, kept candidates) of the former plan.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from slt_check.constructions.base import Problem  # noqa: E402
from slt_check.constructions.burkholz import Burkholz  # noqa: E402
from slt_check.core.bounds import BURKHOLZ_MIN_GROUP  # noqa: E402
from slt_check.core.subset_sum_grow import grow_subsets  # noqa: E402
from slt_check.tickets.targets import random_target  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CAL_ETAS = (1e-2, 1e-4, 1e-6, 1e-8)
CAL_WS = (0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 1.0)
CONF = 1e-3


def cp_upper(k: int, n: int, alpha: float = CONF) -> float:
    """One-sided ``1 − alpha`` Clopper–Pearson upper bound on a rate with ``k`` events in ``n``."""
    return 1.0 if k >= n else float(stats.beta.ppf(1.0 - alpha, k + 1, n - k))


def draw_group(law: str, rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """``n`` groups of ``m`` candidates of ``law`` (module docstring)."""
    if law == "uniform":
        return rng.uniform(-1.0, 1.0, (n, m))
    return rng.uniform(0.0, 1.0, (n, m)) * rng.uniform(-1.0, 1.0, (n, m))


def group_misses(law: str, m: int, eta: float, w: float, n: int, seed: int) -> int:
    """How many of ``n`` groups have no subset sum within ``η`` of ``w`` (exact optimum)."""
    v = draw_group(law, np.random.default_rng(seed), n, m)
    keep, _ = grow_subsets(v, np.full(n, w), tol=eta * (1 - 1e-9), n_min=max(1, m - 10))
    return int((np.abs(np.where(keep, v, 0.0).sum(axis=1) - w) > eta).sum())


def _write(name: str, data: dict[str, Any], md: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for ext, text in ((".json", json.dumps(data, indent=1)), (".md", md)):
        tmp = RESULTS / f"{name}{ext}.tmp"
        tmp.write_text(text)
        os.replace(tmp, RESULTS / f"{name}{ext}")


def calibrate(m0: int, n: int, seed0: int) -> dict[str, Any]:
    rows, k = [], 0
    for law in ("uniform", "product"):
        for eta in CAL_ETAS:
            m = max(math.ceil(math.log2(1.0 / eta) - 1e-12) + m0, BURKHOLZ_MIN_GROUP)
            for w in CAL_WS:
                t0 = time.perf_counter()
                miss = group_misses(law, m, eta, w, n, seed0 + k)
                rows.append({"law": law, "eta": eta, "m": m, "w": w, "n": n, "misses": miss, "seed": seed0 + k,
                             "cp_upper": cp_upper(miss, n), "seconds": time.perf_counter() - t0})
                k += 1
                print(rows[-1], flush=True)
    worst = max(rows, key=lambda r: r["cp_upper"])
    data = {"m0": m0, "n": n, "confidence": 1 - CONF, "rows": rows, "worst": worst, "python": platform.python_version()}
    md = [f"# Per-group miss probability of the exact subset sum (m = max(⌈log₂(1/η)⌉ + {m0}, {BURKHOLZ_MIN_GROUP}), "
          f"n = {n} groups/cell)", "",
          "| law | η | m | " + " | ".join(f"w={w:g}" for w in CAL_WS) + " | max 99.9% upper |",
          "|---|---|---|" + "---|" * (len(CAL_WS) + 1)]
    for law in ("uniform", "product"):
        for eta in CAL_ETAS:
            rs = [r for r in rows if r["law"] == law and r["eta"] == eta]
            md.append(f"| {law} | {eta:g} | {rs[0]['m']} | " + " | ".join(str(r["misses"]) for r in rs)
                      + f" | {max(r['cp_upper'] for r in rs):.4f} |")
    md += ["", f"Worst cell: {worst['law']}, η = {worst['eta']:g}, w = {worst['w']:g}: {worst['misses']}/{n} misses, "
           f"upper bound {worst['cp_upper']:.4f}."]
    _write("burkholz_calibration", data, "\n".join(md) + "\n")
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("calibrate", help="per-group miss probability of the union plan")
    c.add_argument("--m0", type=int, default=10)
    c.add_argument("--n", type=int, default=2000)
    c.add_argument("--seed", type=int, default=1100)
    args = ap.parse_args(argv)
    if args.cmd == "calibrate":
        calibrate(args.m0, args.n, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
