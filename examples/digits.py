"""A trained target: a bias-free ReLU MLP on scikit-learn's bundled 8×8 digits, pruned out of random
networks by every registered construction.

    python examples/digits.py                 # 64-32-10 MLP, ε = 0.01, every construction
    python examples/digits.py --quick         # smaller and faster (used by the tests)

Steps:

1. ``sklearn.datasets.load_digits`` (1797 images, bundled: no download); pixels ``0..16`` are
   scaled to ``[0, 1]``; a fixed 80/20 split (``random_state=seed``).
2. Train ``nn.Sequential(Linear(64, h, bias=False), ReLU, Linear(h, 10, bias=False))`` in float64
   (full-batch Adam, fixed torch seed); save it to ``<out>/digits_model.pt``.
3. Scale to the bound ``w_max = 1``: each layer is divided by its largest ``|w|``. ReLU is positively
   homogeneous, so the logits are multiplied by ``1/Π_i max|W_i| > 0`` and the predictions (argmax)
   are unchanged; this scaled network is the target ``F``, saved as ``<out>/digits_target.pt`` so
   that ``slt-check build --target torch:<out>/digits_target.pt`` works on it too.
4. For each registered construction: build a ticket at ``ε``, ``δ`` (lazy path when the dense ``G``
   would be large), validate it (``ticket == G ⊙ mask``), certify its sup error on the input box
   ``‖x‖_∞ ≤ x_max = 1`` (which contains the pixel cube ``[0, 1]^64``), and compare test accuracy of
   ``F`` and of the ticket (numpy float64 evaluation of the pruned network). A construction whose
   plan is out of reach (``G`` over 2e9 parameters, or over 2e7 without a lazy path) or that does
   not finish within ``--time-limit`` seconds (default 300) is reported as skipped with the reason,
   not hidden.

Results are printed as a table and written to ``<out>/digits.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction
from slt_check.core.nets import ReLUNet
from slt_check.io.textio import json_ready
from slt_check.io.torch_io import net_from_torch, net_to_torch
from slt_check.pipeline.build import DENSE_PARAMS_LIMIT, build_and_check, dense_params, supports_lazy


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits, pixels scaled to [0, 1], fixed 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64) / 16.0
    return train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)


def train_mlp(X: np.ndarray, y: np.ndarray, hidden: int, epochs: int, seed: int) -> Any:
    """Full-batch Adam on a float64 bias-free ReLU MLP."""
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], hidden, bias=False), torch.nn.ReLU(),
        torch.nn.Linear(hidden, 10, bias=False),
    ).double()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y).long()
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        opt.step()
    return model


def scale_to_bound(net: ReLUNet, w_max: float = 1.0) -> tuple[ReLUNet, float]:
    """Divide each layer by ``max|W_i| / w_max``; returns the network and the positive logit factor."""
    ws, factor = [], 1.0
    for W in net.dense_weights():
        m = float(np.max(np.abs(W))) / w_max
        ws.append(W / m)
        factor /= m
    return ReLUNet(ws, output_relu=net.output_relu), factor


def accuracy(net: Any, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(net(X), axis=1) == y) * 100.0)


def ticket_row(
    F: ReLUNet, Xte: np.ndarray, yte: np.ndarray, name: str, opts: dict[str, Any], eps: float,
    delta: float, seed: int, jobs: int,
) -> dict[str, Any]:
    """Build (lazy when large), validate, certify on ‖x‖∞ ≤ 1, and score one ticket."""
    try:
        ticket, err = build_and_check(F, eps, delta, seed, construction=name, jobs=jobs, **opts)
    except ConstructionFailed as exc:
        return {"failed": str(exc)}
    m = ticket.meta
    s = ticket.sizes()
    return {
        "lazy": bool(m.lazy), "build_validate_s": m.records["build_s"] + m.records["validate_s"],
        "certify_s": m.records["certify_s"],
        "ticket_test_acc": accuracy(ticket.network(), Xte, yte),
        "certified": err.certified, "found": err.found, "holds": err.certified <= eps,
        "kept_params": s["kept_params"], "kept_per_weight": s["kept_params_per_weight"],
        "G_params": s["G_params"],
    }


def _child(q: Any, fn: Any, args: tuple[Any, ...]) -> None:
    q.put(fn(*args))


def _in_time(fn: Any, time_limit: float | None, *args: Any) -> dict[str, Any]:
    """``fn(*args)`` in a spawned child stopped after ``time_limit`` seconds (None: in-process).
    Spawn, not fork: a forked child of a process whose torch/OpenMP thread pool is running can hang."""
    if time_limit is None:
        return fn(*args)
    import multiprocessing as mp
    import queue

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_child, args=(q, fn, args))
    proc.start()
    try:
        return q.get(timeout=time_limit)
    except queue.Empty:
        return {"skipped": f"not done within the example's time limit of {time_limit:.0f} s "
                           "(use --time-limit 0 to wait)"}
    finally:
        proc.join(timeout=1)
        if proc.is_alive():
            proc.terminate()
            proc.join()


def run(
    *, hidden: int = 32, epochs: int = 300, eps: float = 0.01, delta: float = 0.01, seed: int = 0,
    constructions: list[str] | None = None, max_params: int = 2 * 10**9, jobs: int = 1,
    out: Path | None = None, time_limit: float | None = 300.0,
) -> dict[str, Any]:
    """Train, scale, build a ticket per construction; return the results dict (also saved)."""
    Xtr, Xte, ytr, yte = load_data(seed)
    t0 = time.perf_counter()
    model = train_mlp(Xtr, ytr, hidden, epochs, seed)
    train_s = time.perf_counter() - t0
    F, factor = scale_to_bound(net_from_torch(model))
    if out is not None:
        import torch

        out.mkdir(parents=True, exist_ok=True)
        torch.save(model, out / "digits_model.pt")
        torch.save(net_to_torch(F), out / "digits_target.pt")  # scaled: |w| ≤ 1
    res: dict[str, Any] = {
        "data": "sklearn load_digits, pixels/16 in [0,1], 80/20 split (random_state=seed)",
        "widths": list(F.widths), "hidden": hidden, "epochs": epochs, "train_s": train_s,
        "eps": eps, "delta": delta, "seed": seed, "x_max": 1.0, "w_max": 1.0,
        "box": "‖x‖∞ ≤ 1 (contains the pixel cube [0,1]^64)", "logit_scale": factor,
        "target_test_acc": accuracy(F, Xte, yte), "n_test": len(yte), "tickets": [],
    }
    get_construction("orseau")  # populate the registry
    # "factorial" at its defaults (uniform law × exact subset sum, per_input) duplicates "pensia"
    names = constructions or sorted(n for n in CONSTRUCTIONS if n != "factorial")
    variants = [(n, {"sharing": s}) for n in names for s in (["per_weight", "per_input"] if n == "orseau" else [None])]
    for name, opts in variants:
        opts = {k: v for k, v in opts.items() if v is not None}
        label = name + (f"[{opts['sharing']}]" if opts else "")
        row: dict[str, Any] = {"construction": label}
        con = get_construction(name, **opts)
        problem = Problem.for_target(F, eps, delta)
        planned = dense_params(con, problem)
        row["G_params_planned"] = planned
        if planned > max_params or (planned > DENSE_PARAMS_LIMIT and not supports_lazy(con)):
            row["skipped"] = f"G needs {planned:.3g} parameters (limit {max_params:.3g}, lazy={supports_lazy(con)})"
            res["tickets"].append(row)
            continue
        print(f"  building {label} …", file=sys.stderr, flush=True)
        row.update(_in_time(ticket_row, time_limit, F, Xte, yte, name, opts, eps, delta, seed, jobs))
        if "ticket_test_acc" in row:
            row["acc_gap_points"] = abs(row["ticket_test_acc"] - res["target_test_acc"])
        res["tickets"].append(row)
    if out is not None:
        (out / "digits.json").write_text(json.dumps(json_ready(res), indent=1, sort_keys=True))
    return res


def print_table(res: dict[str, Any]) -> None:
    print(f"target {res['widths']}  test accuracy {res['target_test_acc']:.2f}%  (n_test={res['n_test']}, "
          f"ε={res['eps']}, δ={res['delta']}, box {res['box']})")
    print(f"{'construction':24s} {'acc %':>7s} {'certified':>10s} {'found':>10s} {'kept/w':>7s} "
          f"{'G params':>10s} {'time s':>7s}")
    for r in res["tickets"]:
        if "ticket_test_acc" not in r:
            print(f"{r['construction']:24s} {r.get('skipped') or r.get('failed')}")
            continue
        print(f"{r['construction']:24s} {r['ticket_test_acc']:7.2f} {r['certified']:10.3g} {r['found']:10.3g} "
              f"{r['kept_per_weight']:7.2f} {r['G_params']:10.3g} {r['build_validate_s'] + r['certify_s']:7.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="hidden 16, 150 epochs, orseau only")
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--epochs", type=int, default=300)
    p.add_argument("--eps", type=float, default=0.01)
    p.add_argument("--delta", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--construction", action="append", default=None,
                   help="repeatable; default: every registered one but 'factorial' (= pensia here)")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="examples/results")
    p.add_argument("--time-limit", type=float, default=300.0,
                   help="seconds per construction (0: no limit); slower ones are reported as skipped")
    a = p.parse_args(argv)
    if a.quick:
        a.hidden, a.epochs, a.construction = 16, 150, a.construction or ["orseau"]
    res = run(hidden=a.hidden, epochs=a.epochs, eps=a.eps, delta=a.delta, seed=a.seed,
              constructions=a.construction, jobs=a.jobs, out=Path(a.out),
              time_limit=None if a.quick or a.time_limit <= 0 else a.time_limit)
    print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
