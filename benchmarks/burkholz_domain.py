"""Burkholz's domain: where the ``burkholz`` construction meets ε with probability ≥ 1 − δ.

    python benchmarks/burkholz_domain.py calibrate      # ≈ 5 minutes (2 cores, niced)
    python benchmarks/burkholz_domain.py screen         # ≈ 30–60 minutes
    python benchmarks/burkholz_domain.py diagnose --target 4-6-2 --eps 0.01 --seeds 1000 1016

Seeds: 1000–1999 only (diagnosis and screening; never a confirmation's seeds).

* ``calibrate``: the per-group miss probability ``π`` of the union plan
  (:func:`slt_check.core.bounds.burkholz_union_plan`). For each law of candidates (``uniform``:
  ``U[−1, 1]``, the copies' weights of layers ≥ 2; ``product``: ``a·b``, ``a ~ U[0, 1]``,
  ``b ~ U[−1, 1]``, one half of a layer-1 block), precision ``η`` and target ``w ∈ [0, 1]`` (both laws
  are symmetric, so ``±w`` miss alike), ``n`` groups of ``m = ⌈log₂(1/η)⌉ + m₀`` candidates are drawn
  and the exact subset-sum optimum is compared with ``η``; the table gives the misses and the
  one-sided 99.9 % Clopper–Pearson upper bound of each cell. Written to
  ``benchmarks/results/burkholz_calibration.{json,md}``; the edge check (``--etas`` just above
  ``2^{−(m−10)}``, where ``2^m η`` is smallest, products near ``w = 1``) to ``burkholz_calibration_edge``:

      python benchmarks/burkholz_domain.py calibrate --laws product --seed 1400 --ws 0.9 0.95 0.99 1 \
          --etas 9.5377e-07 5.9611e-08 3.7257e-09 --name burkholz_calibration_edge
* ``screen``: ``build`` over a grid of targets × ε × δ × seeds, per cell the failures (certified
  sup error > ε, or the build refused), the width ``ρ``, ``G``'s parameters and the wall time,
  for the former plan (``delta_rule="pensia"``) and the union plan. Written to
  ``benchmarks/results/burkholz_domain.{json,md}``.
* ``diagnose``: per seed (``G`` seeds ``[first, last)``, target seed + 500), every subset-sum instance
  beyond ``η`` (layer, copy, input, half, ``w``, residual, kept candidates), recomputed from the
  ticket's masks, and per layer the misses over the instances (stdout; ``--rule`` picks the plan).
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
from slt_check.constructions.pensia import Pensia  # noqa: E402
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


def calibrate(m0: int, n: int, seed0: int, etas: tuple[float, ...] = CAL_ETAS, ws: tuple[float, ...] = CAL_WS,
              laws: tuple[str, ...] = ("uniform", "product"), name: str = "burkholz_calibration") -> dict[str, Any]:
    rows, k = [], 0
    for law in laws:
        for eta in etas:
            m = max(math.ceil(math.log2(1.0 / eta) - 1e-12) + m0, BURKHOLZ_MIN_GROUP)
            for w in ws:
                t0 = time.perf_counter()
                miss = group_misses(law, m, eta, w, n, seed0 + k)
                rows.append({"law": law, "eta": eta, "m": m, "w": w, "n": n, "misses": miss, "seed": seed0 + k,
                             "cp_upper": cp_upper(miss, n), "seconds": time.perf_counter() - t0})
                k += 1
                print(rows[-1], flush=True)
    worst = max(rows, key=lambda r: r["cp_upper"])
    data = {"m0": m0, "n": n, "confidence": 1 - CONF, "rows": rows, "worst": worst, "python": platform.python_version()}
    md = [f"# Per-group miss probability of the exact subset sum "
          f"(m = max(⌈log₂(1/η)⌉ + {m0}, {BURKHOLZ_MIN_GROUP}), "
          f"n = {n} groups/cell)", "",
          "| law | η | m | " + " | ".join(f"w={w:g}" for w in ws) + " | max 99.9% upper |",
          "|---|---|---|" + "---|" * (len(ws) + 1)]
    for law in laws:
        for eta in etas:
            rs = [r for r in rows if r["law"] == law and r["eta"] == eta]
            md.append(f"| {law} | {eta:g} | {rs[0]['m']} | " + " | ".join(str(r["misses"]) for r in rs)
                      + f" | {max(r['cp_upper'] for r in rs):.4f} |")
    md += ["", f"Worst cell: {worst['law']}, η = {worst['eta']:g}, w = {worst['w']:g}: {worst['misses']}/{n} misses, "
           f"upper bound {worst['cp_upper']:.4f}."]
    _write(name, data, "\n".join(md) + "\n")
    return data


SCREEN_TARGETS = ("2-2-1", "2-3-2", "3-4-2", "4-6-2", "8-8-2", "4-6-2:kaiming", "8-8-2:kaiming",
                  "4-6-2:corners", "8-8-2:corners")
SCREEN_EPS = (0.1, 0.01, 0.001)
SCREEN_DELTAS = (0.1, 0.02, 0.005)


def _construction(name: str, rule: str) -> Any:
    return Burkholz(delta_rule=rule) if name == "burkholz" else Pensia(delta_rule=rule)


def one_build(spec: str, eps: float, delta: float, seed: int, rule: str, name: str = "burkholz") -> dict[str, Any]:
    """Sample ``G`` from ``seed``, the target from ``seed + 500``, select. Failure: the ticket's success
    event fails — burkholz: its certificate (``certified_at_select``) > ε; pensia: a weight beyond ``η``
    and a certificate > ε. ``certified`` is the certificate when the construction computed one."""
    widths, _, family = spec.partition(":")
    F = random_target(tuple(int(x) for x in widths.split("-")), 1.0, rng=seed + 500, family=family or "uniform")
    pb = Problem.for_target(F, eps, delta)
    con = _construction(name, rule)
    t0 = time.perf_counter()
    try:
        plan = con.plan(pb)
    except ValueError as e:
        return {"refused": str(e), "seconds": time.perf_counter() - t0}
    G, gspec = con.sample_G(pb, seed)
    T = con.select(F, G, gspec, pb)
    cert = T.meta.certified_at_select
    return {"rho": getattr(plan, "rho", plan.n_samples), "G_params": plan.G_params,
            "misses": int(T.meta.n_failed_weights), "certified": None if cert is None else float(cert),
            "fail": not T.meta.success, "seconds": time.perf_counter() - t0}


def screen(seeds: list[int], targets: tuple[str, ...], eps_list: tuple[float, ...], name: str = "burkholz",
           deltas: tuple[float, ...] = SCREEN_DELTAS, rules: tuple[str, ...] = ("pensia", "union"),
           out: str = "burkholz_domain") -> dict[str, Any]:
    """Every cell of targets × ε × δ × rule (the ``"pensia"`` rule's plan ignores δ: built at the
    first δ only, checked identical at the others)."""
    out_path = RESULTS / f"{out}.json"
    data: dict[str, Any] = {"seeds": seeds, "target_seed": "seed + 500", "cells": []}
    if out_path.exists():
        data = json.loads(out_path.read_text())
    done = {_key(c) for c in data["cells"]}
    for spec in targets:
        for eps in eps_list:
            for rule in rules:
                for delta in deltas:
                    if (name, spec, eps, delta, rule) in done:
                        continue
                    if name == "burkholz" and rule == "pensia" and delta != deltas[0]:
                        ws = tuple(int(x) for x in spec.split(":")[0].split("-"))
                        plans = [Burkholz().plan(Problem(ws, eps, d)) for d in (deltas[0], delta)]
                        same = plans[0]["rho"] == plans[1]["rho"]
                        data["cells"].append({"target": spec, "eps": eps, "delta": delta, "rule": rule,
                                              "same_as_delta": deltas[0], "same_rho": same})
                        continue
                    runs = [one_build(spec, eps, delta, s, rule, name) for s in seeds]
                    cell = {"construction": name, "target": spec, "eps": eps, "delta": delta, "rule": rule,
                            "runs": runs}
                    print(json.dumps({k: v for k, v in cell.items() if k != "runs"}),
                          [(r.get("fail"), r.get("misses"), round(r["seconds"], 1)) for r in runs], flush=True)
                    data["cells"].append(cell)
                    _write(out, data, screen_md(data))
    _write(out, data, screen_md(data))
    return data


def residuals(target: Any, ticket: Any, rho: int) -> list[tuple[int, int, int, int, float, float, int]]:
    """``(layer, copy r, input j, half, w, Σ_kept − w, #kept)`` of every subset-sum instance of a
    burkholz ticket (half 0: layers ≥ 2), from its masks."""
    Gw, M, L = [np.asarray(w) for w in ticket.G.weights], [np.asarray(m) for m in ticket.masks], len(target.weights)
    W1 = np.asarray(target.weights[0])
    A, B1, out = Gw[0], Gw[1], []
    for r in range(B1.shape[0]):
        for j in range(W1.shape[1]):
            hs = np.arange(2 * rho * j, 2 * rho * (j + 1))
            for half in (1, -1):
                sel = M[1][r, hs] & (np.sign(A[hs, j]) == half)
                w = float(W1[r // (rho if L > 1 else 1), j])
                out.append((1, r, j, half, w, float((A[hs, j] * B1[r, hs])[sel].sum()) - w, int(sel.sum())))
    for k in range(1, L):
        Wk, Bk = np.asarray(target.weights[k]), Gw[k + 1]
        for r in range(Bk.shape[0]):
            for j in range(Wk.shape[1]):
                cols = np.arange(rho * j, rho * (j + 1))
                sel, w = M[k + 1][r, cols], float(Wk[r // (1 if k == L - 1 else rho), j])
                out.append((k + 1, r, j, 0, w, float(Bk[r, cols][sel].sum()) - w, int(sel.sum())))
    return out


def diagnose(spec: str, eps: float, delta: float, seeds: range, rule: str) -> None:
    widths, _, family = spec.partition(":")
    for seed in seeds:
        F = random_target(tuple(int(x) for x in widths.split("-")), 1.0, rng=seed + 500, family=family or "uniform")
        pb = Problem.for_target(F, eps, delta)
        con = Burkholz(delta_rule=rule)
        G, gspec = con.sample_G(pb, seed)
        T = con.select(F, G, gspec, pb)
        plan = gspec.plan
        etas = plan.etas or [plan.eta] * pb.depth
        res = residuals(F, T, gspec.rho)
        bad = [x for x in res if abs(x[5]) > etas[x[0] - 1]]
        per = {k: (sum(x[0] == k for x in bad), sum(x[0] == k for x in res)) for k in range(1, pb.depth + 1)}
        print(f"seed {seed}: rho {gspec.rho}, certified {T.meta.certified_at_select:.4g} (eps {eps:g}), "
              "misses/instances per layer " + ", ".join(f"{k}: {a}/{b}" for k, (a, b) in per.items()))
        for x in bad:
            print(f"   layer {x[0]} copy {x[1]} input {x[2]} half {x[3]:+d} w {x[4]:+.4f} "
                  f"residual {x[5]:+.3e} kept {x[6]}")


def _key(c: dict[str, Any]) -> tuple[Any, ...]:
    return (c.get("construction", "burkholz"), c["target"], c["eps"], c["delta"], c["rule"])


def screen_md(data: dict[str, Any]) -> str:
    """The screen's table: per cell failures/seeds, ``ρ``, ``G`` parameters, misses, worst certified/ε, time."""
    lines = ["# burkholz: failures per cell (certified sup error > ε), former plan vs union plan", "",
             f"Seeds {data['seeds']} (G), target seed = seed + 500; `pensia` = `delta_rule=\"pensia\"` "
             "(default), `union` = `delta_rule=\"union\"`. Width and failures of the former plan do not depend "
             "on δ (same ρ, same G, same ticket): its rows at δ < 0.1 repeat δ = 0.1.", "",
             "The pensia rows: `N` samples per block in the ρ column; a failure is a weight beyond η *and* a "
             "certificate above ε (the construction's success event); max cert/ε only over tickets it certified.", "",
             "| construction | target | ε | δ | rule | fail/seeds | ρ (N) | G params | misses (max) | max cert/ε "
             "| s/build (max) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    by_key = {_key(c): c for c in data["cells"]}
    for c in data["cells"]:
        name = c.get("construction", "burkholz")
        runs = c.get("runs") or by_key[(name, c["target"], c["eps"], c["same_as_delta"], c["rule"])]["runs"]
        built = [r for r in runs if "refused" not in r]
        head = f"| {name} | {c['target']} | {c['eps']:g} | {c['delta']:g} | {c['rule']} |"
        if not built:
            lines.append(head + " refused (plan: group > 40 candidates) | – | – | – | – | – |")
            continue
        nf = sum(r["fail"] for r in built)
        certs = [r["certified"] for r in built if r.get("certified") is not None]
        cert = f"{max(certs) / c['eps']:.3g}" if certs else "–"
        lines.append(
            f"{head} {nf}/{len(built)} | {built[0]['rho']} | {built[0]['G_params']} | "
            f"{max(r['misses'] for r in built)} | {cert} | {max(r['seconds'] for r in built):.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("calibrate", help="per-group miss probability of the union plan")
    c.add_argument("--m0", type=int, default=10)
    c.add_argument("--n", type=int, default=2000)
    c.add_argument("--seed", type=int, default=1100)
    c.add_argument("--etas", type=float, nargs="+", default=list(CAL_ETAS))
    c.add_argument("--ws", type=float, nargs="+", default=list(CAL_WS))
    c.add_argument("--laws", nargs="+", choices=("uniform", "product"), default=["uniform", "product"])
    c.add_argument("--name", default="burkholz_calibration",
                   help="results file name (benchmarks/results/NAME.{json,md})")
    sc = sub.add_parser("screen", help="failures per cell, former plan vs union plan")
    sc.add_argument("--seeds", type=int, nargs="+", default=[1200, 1201, 1202])
    sc.add_argument("--targets", nargs="+", default=list(SCREEN_TARGETS))
    sc.add_argument("--eps", type=float, nargs="+", default=list(SCREEN_EPS))
    sc.add_argument("--deltas", type=float, nargs="+", default=list(SCREEN_DELTAS))
    sc.add_argument("--construction", choices=("burkholz", "pensia"), default="burkholz")
    sc.add_argument("--rules", nargs="+", choices=("pensia", "union"), default=["pensia", "union"])
    sc.add_argument("--name", default="burkholz_domain", help="results file name (benchmarks/results/NAME.{json,md})")
    dg = sub.add_parser("diagnose", help="every subset sum beyond η, per seed")
    dg.add_argument("--target", default="4-6-2")
    dg.add_argument("--eps", type=float, default=0.01)
    dg.add_argument("--delta", type=float, default=0.05)
    dg.add_argument("--seeds", type=int, nargs=2, default=[1000, 1016], metavar=("FIRST", "END"))
    dg.add_argument("--rule", choices=("pensia", "union"), default="pensia")
    args = ap.parse_args(argv)
    if args.cmd == "diagnose":
        if not (1000 <= args.seeds[0] and args.seeds[1] <= 2000):
            ap.error("seeds: diagnosis uses seeds 1000–1999 only")
        diagnose(args.target, args.eps, args.delta, range(*args.seeds), args.rule)
    elif args.cmd == "calibrate":
        calibrate(args.m0, args.n, args.seed, tuple(args.etas), tuple(args.ws), tuple(args.laws), args.name)
    elif args.cmd == "screen":
        if any(not 1000 <= s < 2000 for s in args.seeds):
            ap.error("seeds: the screen uses seeds 1000–1999 only")
        screen(args.seeds, tuple(args.targets), tuple(args.eps), args.construction, tuple(args.deltas),
               tuple(args.rules), args.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
