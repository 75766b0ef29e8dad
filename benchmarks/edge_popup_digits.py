"""Edge-popup vs a construction at equal sparsity on a small trained target: scikit-learn's digits.

    python benchmarks/edge_popup_digits.py            # 64-8-10, ε = 0.1, pensia's G at its formula width
    python benchmarks/edge_popup_digits.py --hidden 16

Steps (every random draw from an explicit seed; float64 throughout; torch one thread):

1. The target ``F``: ``examples/digits.py``'s bias-free ``64-h-10`` ReLU MLP (pixels/16 in ``[0, 1]``,
   80/20 split ``random_state=seed``, full-batch Adam, ``torch.manual_seed(seed)``), each layer divided
   by its largest ``|w|`` (predictions unchanged).
2. **Construction**: ``pensia`` at ``ε``, ``δ``, ``G`` seed ``seed`` (:func:`slt_check.pipeline.build.build`:
   build, validate against the seed, certified sup error on ``‖x‖∞ ≤ 1`` by the stage certificate).
3. **Edge-popup** on the *same* ``G`` with the *same* kept count ``k`` (the construction's ``n_kept``):
   :func:`slt_check.constructions.edge_popup.train_mask` (``train_seed = seed``; uniform box inputs —
   it optimises the sup error on the box, not the data), certified by the MILP of
   :func:`slt_check.constructions.edge_popup.certify_general` within ``--milp-s`` seconds. When the MILP
   is too large to build (over ``exact.MAX_BINARIES`` binaries) the ticket is reported "not certified";
   when it stops at the time limit its (valid, looser) dual bound is reported with its status.
4. For both tickets: test accuracy (numpy float64), and the *found* error = the largest float64
   ``‖F(x) − ticket(x)‖∞`` over the test images, 4096 uniform box points (seed ``seed``) and, for
   edge-popup, the training's worst validation points (a lower bound on the sup error).

Diagnostic (``--extra-widths``, default 16): the same ``k`` on pensia's ``G`` at a smaller width (same
seed), with the kept weights per layer and the largest ``|ticket(x)|`` on the probe points recorded.

``orseau``'s ``G`` for this target has ~10⁸ parameters at its formula width: out of reach for dense
score training on a CPU within the budget; it is listed as not run, with the reason.
Writes ``benchmarks/results/edge_popup_digits.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from slt_check.constructions.base import Problem
from slt_check.constructions.edge_popup import certify_general, train_mask
from slt_check.constructions.registry import get_construction
from slt_check.io.safe_io import atomic_write_json
from slt_check.io.textio import json_ready
from slt_check.io.torch_io import net_from_torch
from slt_check.pipeline.build import build, dense_params
from slt_check.tickets.ticket import Ticket, versions

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "edge_popup_digits.json"
DELTA = 0.05


def _examples() -> Any:
    sys.path.insert(0, str(ROOT / "examples"))
    import digits

    return digits


def found_error(F: Any, net: Any, X: np.ndarray) -> float:
    """Largest float64 ``‖F(x) − net(x)‖∞`` over the rows of ``X``."""
    return float(np.max(np.abs(F(X) - net(X))))


def edge_popup_row(F: Any, G: Any, k: int, n_samples: int, seed: int, steps: int, milp_s: float, eps: float,
                   Xte: np.ndarray, yte: np.ndarray, probe: np.ndarray) -> dict[str, Any]:
    """Edge-popup (``train_mask``) on ``G`` keeping ``k`` weights: accuracy, found error, MILP certificate,
    times, and diagnostics (kept weights per layer, largest ``|ticket(x)|`` on the probe points)."""
    dg = _examples()
    t0 = time.perf_counter()
    masks, info = train_mask(F, G, k, x_max=1.0, steps=steps, lr=0.03, batch=256, train_seed=seed)
    t_train = time.perf_counter() - t0
    worst = info.pop("_worst_points")
    ep = Ticket(G, masks, F)  # a bare pruning: certified below with the box given explicitly
    net = ep.network()
    row: dict[str, Any] = {
        "source": "pensia", "n_samples": n_samples, "G_params": int(G.n_params), "k": k, "steps": steps,
        "kept": int(ep.n_kept), "kept_per_layer": [int(np.asarray(m).sum()) for m in masks],
        "train_s": t_train, "valid_max_error": info["valid_max_error"], "history_tail": info["history"][-5:],
        "test_acc": dg.accuracy(net, Xte, yte), "max_abs_ticket_output": float(np.max(np.abs(net(probe)))),
        "max_abs_target_output": float(np.max(np.abs(F(probe)))),
        "found": max(found_error(F, net, probe), found_error(F, net, np.clip(worst, -1, 1))),
    }
    t1 = time.perf_counter()
    try:
        cert = certify_general(F, ep, 1.0, time_limit=milp_s, extra_points=worst)
        finite = bool(np.isfinite(cert["certified"]))
        row.update({"certified": cert["certified"] if finite else None, "milp_status": cert["status"],
                    "milp_solved": cert["solved"], "n_binaries": cert["n_binaries"],
                    "found": max(row["found"], cert["found"]),
                    "certificate": "milp" if cert["solved"] else (
                        f"milp stopped ({cert['status']}): loose bound" if finite
                        else f"not certified (milp stopped, {cert['status']}, no finite bound)")})
    except ValueError as exc:
        row.update({"certified": None, "certificate": "not certified", "reason": str(exc)})
    row["certify_s"] = time.perf_counter() - t1
    row["time_s"] = t_train + row["certify_s"]
    row["ok"] = row["certified"] is not None and row["certified"] <= eps
    return row


def run(hidden: int, epochs: int, eps: float, seed: int, steps: int, milp_s: float,
        extra_widths: tuple[int, ...] = ()) -> dict[str, Any]:
    """The comparison of the module docstring; returns the results dict."""
    torch.set_num_threads(1)
    dg = _examples()
    Xtr, Xte, ytr, yte = dg.load_data(seed)
    t0 = time.perf_counter()
    F, factor = dg.scale_to_bound(net_from_torch(dg.train_mlp(Xtr, ytr, hidden, epochs, seed)))
    train_s = time.perf_counter() - t0
    probe = np.vstack([Xte, np.random.default_rng(seed).uniform(-1.0, 1.0, size=(4096, Xte.shape[1]))])
    res: dict[str, Any] = {
        "description": __doc__, "widths": list(F.widths), "hidden": hidden, "epochs": epochs, "eps": eps,
        "delta": DELTA, "seed": seed, "x_max": 1.0, "target_train_s": train_s, "logit_scale": factor,
        "target_test_acc": dg.accuracy(F, Xte, yte), "n_test": len(yte), "versions": versions() | {
            "torch": torch.__version__},
    }
    problem = Problem.for_target(F, eps, DELTA)
    orseau = get_construction("orseau")
    res["orseau"] = {"status": "not run", "n_formula": int(orseau.plan(problem).n_samples_formula),
                     "G_params_planned": int(dense_params(orseau, problem)),
                     "reason": "dense G too large for score training on a CPU within the budget"}
    t0 = time.perf_counter()
    con = build(F, eps, DELTA, seed, construction="pensia", allow_failure=True, search_seed=seed)
    tk = con.ticket
    res["construction"] = {
        "name": "pensia", "n_formula": int(tk.meta.plan.n_samples_formula), "G_params": int(tk.G.n_params),
        "kept": int(tk.n_kept), "ok": bool(con.ok), "certified": con.certified, "certificate": "stage (pairs)",
        "found": max(float(con.found), found_error(F, tk.network(), probe)),
        "test_acc": dg.accuracy(tk.network(), Xte, yte), "time_s": time.perf_counter() - t0, "timings": con.timings,
    }
    print("construction", {k: v for k, v in res["construction"].items() if k != "timings"}, flush=True)
    k = int(tk.n_kept)
    res["edge_popup"] = edge_popup_row(F, tk.G, k, res["construction"]["n_formula"], seed, steps, milp_s, eps,
                                       Xte, yte, probe)
    print("edge-popup", res["edge_popup"], flush=True)
    res["edge_popup_smaller_G"] = []
    for n in extra_widths:  # diagnostic: the same k on pensia's G at a smaller width (same seed)
        g = build(F, eps, DELTA, seed, construction="pensia", n_samples=n, allow_failure=True, certify=False).ticket.G
        row = edge_popup_row(F, g, k, n, seed, steps, milp_s, eps, Xte, yte, probe)
        res["edge_popup_smaller_G"].append(row)
        print("edge-popup", row, flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--eps", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--milp-s", type=float, default=90.0)
    ap.add_argument("--extra-widths", type=int, nargs="*", default=[16],
                    help="also run edge-popup (same k) on pensia's G at these smaller widths (diagnostic)")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    res = run(a.hidden, a.epochs, a.eps, a.seed, a.steps, a.milp_s, tuple(a.extra_widths))
    atomic_write_json(a.out, json_ready(res))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
