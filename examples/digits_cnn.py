"""A trained CNN target on scikit-learn's 8×8 digits, pruned out of random networks through the command line.

    python examples/digits_cnn.py            # train, then slt-check build / check / export per construction
    python examples/digits_cnn.py --quick    # fewer epochs, one construction (used by the tests)

Steps:

1. ``sklearn.datasets.load_digits`` (1797 images, bundled); pixels ``0..16`` scaled to ``[0, 1]`` and
   then *normalised* (``(x − mean)/std`` over the training pixels), so the input box in the target's own
   units is ``[lo, hi] = [−mean/std, (1 − mean)/std]`` per pixel; a fixed 80/20 split.
2. Train ``Conv2d(1,8,3,p=1) ReLU Conv2d(8,8,3,p=1) ReLU AvgPool2d(2) Flatten Linear(128,10)`` (with
   biases) in float32 (Adam, fixed torch seed), prune 30 % of the first convolution's weights with
   ``torch.nn.utils.prune.l1_unstructured`` and save *both* forms: the whole module and its state dict
   (``weight_orig`` and ``weight_mask`` entries).
3. Through ``slt-check`` only (nothing edited by hand): ``build --target torch:<state dict> --arch … --box
   LO,HI`` for each construction, ``check`` the ticket, ``export`` it to torch (Conv2d modules with
   pruning masks), and also ``build`` from the whole-module file (same target, same digest).
4. Test accuracy of the target and of the ticket (its exported module, float64) — equal whenever no
   test image's top-two logit margin is below twice the certified error.

Results are printed and written to ``<out>/digits_cnn.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.nn.utils import prune

from slt_check.cli.main import main as slt_check
from slt_check.io.torch_cnn import load_torch_cnn
from slt_check.tickets.conv_ticket import read_conv_ticket

ARCH = "1x8x8:conv8k3p1b,relu,conv8k3p1b,relu,avg2,flatten,linear10b"


def data(seed: int) -> tuple[np.ndarray, ...]:
    d = load_digits()
    x = d.images.astype(np.float64) / 16.0
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=0.2, random_state=seed, stratify=d.target)
    mean, std = float(xtr.mean()), float(xtr.std())
    return (xtr - mean) / std, (xte - mean) / std, ytr, yte, np.array([-mean / std, (1 - mean) / std])


def train(xtr: np.ndarray, ytr: np.ndarray, epochs: int, seed: int) -> torch.nn.Sequential:
    torch.set_num_threads(1)  # small batches: one thread is faster (and deterministic)
    torch.manual_seed(seed)
    m = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 8, 3, padding=1),
                            torch.nn.ReLU(), torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(128, 10))
    x = torch.tensor(xtr[:, None], dtype=torch.float32)
    y = torch.tensor(ytr)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(m(x[idx]), y[idx]).backward()
            opt.step()
    prune.l1_unstructured(m[0], "weight", amount=0.3)
    return m


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    return float((logits.argmax(axis=1) == y).mean())


def run(out: Path, quick: bool, seed: int = 0, eps: float = 0.01) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    xtr, xte, ytr, yte, box = data(seed)
    model = train(xtr, ytr, 5 if quick else 30, seed)
    torch.save(model, out / "digits_cnn_module.pt")
    torch.save(model.state_dict(), out / "digits_cnn_state.pt")
    target = load_torch_cnn(str(out / "digits_cnn_state.pt"), arch=ARCH)
    acc_target = accuracy(target.forward(xte[:, None]), yte)
    res: dict = {"arch": ARCH, "box": box.tolist(), "eps": eps, "target_test_accuracy": acc_target,
                 "target_params": target.n_params, "constructions": {}}
    boxarg = f"--box={float(box[0])!r},{float(box[1])!r}"
    cert = ["--option", "precision=certificate"]
    runs = [("conv-orseau", [])] if quick else [("conv-orseau", []), ("conv-orseau", cert),
                                                ("dacunha", cert)]
    for name, extra in runs:
        key = name + ("[certificate]" if extra else "")
        tfile, pt = out / f"ticket_{key}.npz", out / f"ticket_{key}.pt"
        t0 = time.perf_counter()
        code = slt_check(["build", "--target", f"torch:{out / 'digits_cnn_state.pt'}", "--arch", ARCH, boxarg,
                          "--eps", str(eps), "--delta", "0.05", "--construction", name, "--out", str(tfile), *extra])
        wall = time.perf_counter() - t0
        row = {"build_exit": code, "wall_s": round(wall, 2)}
        if tfile.exists():
            row["check_exit"] = slt_check(["check", str(tfile)])
            row["export_exit"] = slt_check(["export", str(tfile), "--torch", str(pt)])
            ticket = read_conv_ticket(tfile)
            exported = load_torch_cnn(str(pt), input_shape=(1, 8, 8))
            row.update(ticket_test_accuracy=accuracy(exported.forward(xte[:, None]), yte),
                       certified=ticket.meta["sup_error"]["certified"], found=ticket.meta["sup_error"]["found"],
                       kept_per_weight=ticket.sizes()["kept_params_per_weight"], success=ticket.ok)
        res["constructions"][key] = row
    code = slt_check(["build", "--target", f"torch:{out / 'digits_cnn_module.pt'}", boxarg, "--eps", str(eps),
                      "--out", str(out / "ticket_module.npz"), "--option", "precision=certificate"])
    res["whole_module_build_exit"] = code
    (out / "digits_cnn.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("digits_cnn_out"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--eps", type=float, default=0.01)
    a = ap.parse_args()
    print(json.dumps(run(a.out, a.quick, eps=a.eps), indent=1))
