"""Trained MLPs with biases, pruned out of random networks: does the ticket keep the test accuracy?

    python examples/trained_mlps.py                    # 64-32-16-10 and 64-128-64-32-10, ε = 0.01
    python examples/trained_mlps.py --quick            # one small MLP, fewer epochs (used by the tests)

Steps:

1. ``sklearn.datasets.load_digits`` (1797 8×8 images, bundled: no download); pixels ``0..16`` scaled
   to ``[0, 1]``; a fixed stratified 80/20 split.
2. Train each MLP the usual way: ``nn.Sequential`` of ``nn.Flatten``, ``nn.Linear(…, bias=True)``,
   ``nn.ReLU`` and ``nn.Dropout(p)`` (identity in eval), float64, Adam with a fixed torch seed;
   saved with ``torch.save`` to ``<out>/<name>.pt``. Nothing is rescaled: the target is the trained
   network as it is, read back through ``--target torch:<file>``'s loader (which never runs the file's
   pickle code).
3. For ``orseau`` (``sharing=per_input``) and ``pensia`` (``precision=certificate``): build a ticket
   at ``ε``, ``δ`` with :func:`slt_check.build` (the bias reduction of :mod:`slt_check.core.affine`:
   ``G`` gets one more input, a constant 1, whose weights are ``G``'s first-layer biases), verify it
   against its seed, certify its sup error on the box ``‖x‖_∞ ≤ 1`` (which holds the pixel cube),
   and compare the test accuracy of the ticket (numpy float64, the pruned network with its biases)
   with the target's.

Results are printed as a table and written to ``<out>/trained_mlps.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import slt_check
from slt_check.io.textio import json_ready
from slt_check.tickets.targets import target_from_spec

ARCHS = {"mlp-64-32-16-10": (64, 32, 16, 10), "mlp-64-128-64-32-10": (64, 128, 64, 32, 10)}
CONSTRUCTIONS = {
    "orseau[per_input]": {"construction": "orseau", "sharing": "per_input"},
    "pensia[certificate]": {"construction": "pensia", "precision": "certificate"},
}


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits, pixels scaled to [0, 1], fixed stratified 80/20 split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64) / 16.0
    return train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)


def train(X: np.ndarray, y: np.ndarray, widths: tuple[int, ...], epochs: int, seed: int, dropout: float) -> Any:
    """Full-batch Adam on a float64 ReLU MLP with biases (Flatten first, Dropout after each ReLU)."""
    import torch

    torch.manual_seed(seed)
    layers: list[Any] = [torch.nn.Flatten()]
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1], bias=True))
        if i < len(widths) - 2:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(dropout)]
    model = torch.nn.Sequential(*layers).double()
    opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-4)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y).long()
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt), yt).backward()
        opt.step()
    return model.eval()


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy in percent."""
    return float(100.0 * np.mean(np.argmax(logits, axis=1) == y))


def run_one(name: str, target: Any, X_test: np.ndarray, y_test: np.ndarray, eps: float, delta: float,
            seed: int) -> list[dict[str, Any]]:
    """Every construction of :data:`CONSTRUCTIONS` on one target: sizes, times, error, accuracy."""
    acc_target = accuracy(target.forward(X_test), y_test)
    # the declared weight bound: the trained weights' own largest |w| (the bias bound defaults to the
    # biases' own largest |b|); nothing is rescaled
    w_max = max(float(np.max(np.abs(w))) for w in target.dense_weights())
    rows = []
    for label, opts in CONSTRUCTIONS.items():
        t0 = time.perf_counter()
        r = slt_check.build(target, eps, delta, seed, x_max=1.0, w_max=w_max, allow_failure=True, **opts)
        net = r.ticket.network_on_x()  # the pruned network on x, with its first-layer biases
        acc = accuracy(net.forward(X_test), y_test)
        rows.append({
            "model": name, "construction": label, "w_max": w_max, "ok": r.ok, "holds": r.holds(eps),
            "certified": r.certified, "found": r.found, "target_test_acc": acc_target,
            "ticket_test_acc": acc, "acc_gap_points": abs(acc - acc_target),
            "n_kept": r.ticket.n_kept, "G_params": int(r.ticket.G.n_params), "lazy": r.lazy,
            "target_params": int(sum(np.size(w) for w in target.dense_weights())
                                 + sum(np.size(b) for b in (target.biases or []))),
            "time_s": time.perf_counter() - t0, "timings": r.timings,
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eps", type=float, default=0.01)
    ap.add_argument("--delta", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0, help="data split, torch init and G's seed")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--quick", action="store_true", help="only a 64-16-10 MLP (for the tests)")
    ap.add_argument("--out", type=Path, default=Path("results/trained_mlps"))
    args = ap.parse_args(argv)
    import torch

    archs = {"mlp-64-16-10": (64, 16, 10)} if args.quick else ARCHS
    args.out.mkdir(parents=True, exist_ok=True)
    X_tr, X_te, y_tr, y_te = load_data(args.seed)
    rows: list[dict[str, Any]] = []
    for name, widths in archs.items():
        model = train(X_tr, y_tr, widths, args.epochs, args.seed, args.dropout)
        path = args.out / f"{name}.pt"
        torch.save(model, path)
        target = target_from_spec(f"torch:{path}")
        rows += run_one(name, target, X_te, y_te, args.eps, args.delta, args.seed)
    print(f"{'model':22} {'construction':20} {'target %':>8} {'ticket %':>8} {'certified':>10} {'found':>10}"
          f" {'kept':>9} {'G params':>11} {'time s':>7}")
    for r in rows:
        print(f"{r['model']:22} {r['construction']:20} {r['target_test_acc']:8.2f} {r['ticket_test_acc']:8.2f} "
              f"{r['certified']:10.3e} {r['found']:10.3e} {r['n_kept']:9d} {r['G_params']:11d} {r['time_s']:7.1f}")
    (args.out / "trained_mlps.json").write_text(json.dumps(json_ready(
        {"eps": args.eps, "delta": args.delta, "seed": args.seed, "epochs": args.epochs, "rows": rows}),
        indent=1, sort_keys=True))
    return 0 if all(r["holds"] and r["acc_gap_points"] <= 0.5 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
