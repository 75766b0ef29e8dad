"""The score training of edge-popup (:mod:`slt_check.constructions.edge_popup`): budgets, score
initialisation, optimiser and loss schedule, as one function :func:`train_mask`.

**Mask.** One real score ``s_e`` per weight ``e`` of the frozen ``G``; the forward uses
``Ŵ = G ⊙ (m + |s| − sg(|s|))`` (``sg``: stop-gradient), i.e. the value ``G ⊙ m`` with the
straight-through gradient ``∂L/∂s_e = ∂L/∂Ŵ_e · G_e · sign(s_e)`` (Ramanujan et al. 2020 use ``s``
itself; with a symmetric initialisation only ``|s|`` matters for the ranking). ``m`` keeps

* ``budget="global"``: the ``k_t`` largest ``|s|`` over all layers jointly;
* ``budget="per_layer"`` (the paper's choice): the ``k_{l,t}`` largest ``|s|`` within each layer ``l``,
  with ``k_l = max(1, round(k · P_l / P))`` (the same kept fraction in every layer; ``P_l`` the
  parameters of layer ``l``, ``P = Σ P_l``), so the kept total may differ from ``k`` by rounding.

Budget annealing (Zhu & Gupta 2017, cubic): ``k_t = k + (k_0 − k)(1 − t/T_a)³`` from ``k_0 =
min(P, k_start·k)`` to ``k`` over ``T_a = anneal · steps`` steps (per layer for ``per_layer``);
``k_start = 1`` switches it off (the paper's setting).

**Scores.** ``init="uniform"``: ``|s| ~ U(0, 1)`` with random signs; ``init="kaiming"`` (the paper's
``kaiming_uniform_(a=√5)``): ``s ~ U(−1/√fan_in, 1/√fan_in)`` per layer.

**Optimiser.** ``optimizer="adam"``; or ``"sgd"`` with momentum 0.9 and ``weight_decay`` (the
paper: lr 0.1, cosine schedule, weight decay 5e-4 on CIFAR-10); ``schedule="cosine"`` sets
``lr_t = lr · ½(1 + cos(π t / steps))``, ``"constant"`` keeps ``lr``.

**Loss.** Inputs ``x ~ U([−x_max, x_max]^{n})`` (plus the ``2^n`` corners when ``n ≤ 10``); with a
biased target (``fixed_last``) the last input coordinate is the constant 1 of the constant-input
reduction (:mod:`slt_check.core.affine`) and the box is over the others. Phase 1 (the first
``1 − sup_phase`` of the steps): ``mean_i ‖F(x_i) − Ĝ(x_i)‖²``; phase 2: the mean of the worst
``⌈q · batch⌉`` squared errors ``‖F(x_i) − Ĝ(x_i)‖²_∞``. Surrogate ReLU gradient (training only):
backward slope ``leak`` for ``z ≤ 0`` (``leak = 0``: the plain ReLU, the paper's setting).

**Selection.** Every ``eval_every`` steps at the final budget the mask's largest error on a fixed
validation set (4096 box points and the corners, from the same generator) is measured; the best
mask is returned. ``on_candidate(masks, valid_error)`` is called at ``n_checkpoints`` evenly spaced
evaluations with the best mask so far (when it changed); it returns True to stop the training (the
construction certifies there and stops at the first certified success).

Deterministic on CPU for fixed arguments (``torch.use_deterministic_algorithms``, one explicit
``torch.Generator``; inputs drawn on the CPU); CUDA when available.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from tqdm import tqdm

from slt_check.core.nets import ReLUNet

__all__ = ["N_VALID", "BUDGETS", "INITS", "OPTIMIZERS", "SCHEDULES", "layer_budgets", "train_mask"]

N_VALID = 4096
"""Validation points (uniform in the box, plus the corners) used to pick the mask."""
BUDGETS = ("global", "per_layer")
INITS = ("uniform", "kaiming")
OPTIMIZERS = ("adam", "sgd")
SCHEDULES = ("constant", "cosine")
SGD_MOMENTUM = 0.9


def layer_budgets(k: int, sizes: list[int], budget: str) -> list[int] | None:
    """Per-layer kept counts ``k_l = max(1, round(k·P_l/P))`` (capped at ``P_l``) for ``"per_layer"``;
    ``None`` for ``"global"``."""
    if budget == "global":
        return None
    P = sum(sizes)
    return [min(p, max(1, int(round(k * p / P)))) for p in sizes]


def _corners(n_in: int, x_max: float) -> np.ndarray:
    if n_in > 10:
        return np.zeros((0, n_in))
    grid = ((np.arange(2**n_in)[:, None] >> np.arange(n_in)[None, :]) & 1).astype(np.float64)
    return (2 * grid - 1) * x_max


def train_mask(
    target: ReLUNet, G: ReLUNet, k: int, *, x_max: float, steps: int, lr: float, batch: int,
    train_seed: int, sup_phase: float = 0.4, q: float = 0.0625, anneal: float = 0.4, k_start: int = 4,
    leak: float = 0.3, budget: str = "global", init: str = "uniform", optimizer: str = "adam",
    weight_decay: float = 0.0, schedule: str = "constant", fixed_last: bool = False,
    on_candidate: Callable[[list[np.ndarray], float], bool] | None = None, n_checkpoints: int = 4,
    progress: bool = False,
) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Edge-popup masks (one bool array per ``G`` layer) and a summary (module docstring).

    Deterministic on CPU for fixed arguments; float64 throughout."""
    import torch

    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    prev_det = torch.are_deterministic_algorithms_enabled()
    if dev.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    try:
        return _train(torch, dev, target, G, k, dict(
            x_max=x_max, steps=steps, lr=lr, batch=batch, train_seed=train_seed, sup_phase=sup_phase, q=q,
            anneal=anneal, k_start=k_start, leak=leak, budget=budget, init=init, optimizer=optimizer,
            weight_decay=weight_decay, schedule=schedule, fixed_last=fixed_last, n_checkpoints=n_checkpoints,
            progress=progress), on_candidate)
    finally:
        torch.use_deterministic_algorithms(prev_det)


def _init_scores(torch: Any, gen: Any, Gw: list[Any], init: str) -> Any:
    f64 = torch.float64
    if init == "kaiming":
        parts = [(2 * torch.rand(w.numel(), generator=gen, dtype=f64) - 1) / math.sqrt(w.shape[1]) for w in Gw]
        return torch.cat(parts)
    P = sum(w.numel() for w in Gw)
    return torch.rand(P, generator=gen, dtype=f64) * torch.where(torch.rand(P, generator=gen) < 0.5, -1.0, 1.0)


def _inputs(torch: Any, gen: Any, n: int, n_in: int, x_max: float, fixed_last: bool, corners: Any) -> Any:
    f64 = torch.float64
    x = (2 * torch.rand(n, n_in, generator=gen, dtype=f64) - 1) * x_max
    x = torch.cat([x, corners])
    if fixed_last:
        x[:, -1] = 1.0
    return x


def _train(torch: Any, dev: Any, target: ReLUNet, G: ReLUNet, k: int, o: dict[str, Any],
           on_candidate: Callable[[list[np.ndarray], float], bool] | None) -> tuple[list[np.ndarray], dict[str, Any]]:
    f64 = torch.float64
    steps, leak, x_max = int(o["steps"]), float(o["leak"]), float(o["x_max"])
    gen = torch.Generator(device="cpu").manual_seed(int(o["train_seed"]))
    Gw = [torch.as_tensor(np.asarray(w, dtype=np.float64), dtype=f64, device=dev) for w in G.dense_weights()]
    Fw = [torch.as_tensor(np.asarray(w, dtype=np.float64), dtype=f64, device=dev) for w in target.dense_weights()]
    sizes = [w.numel() for w in Gw]
    P = int(sum(sizes))
    k = int(min(k, P))
    per_layer = layer_budgets(k, sizes, o["budget"])
    scores = _init_scores(torch, gen, Gw, o["init"]).to(dev).requires_grad_(True)
    if o["optimizer"] == "sgd":
        opt = torch.optim.SGD([scores], lr=o["lr"], momentum=SGD_MOMENTUM, weight_decay=o["weight_decay"])
    else:
        opt = torch.optim.Adam([scores], lr=o["lr"], weight_decay=o["weight_decay"])
    n_in = target.n_in
    n_box = n_in - 1 if o["fixed_last"] else n_in
    corners = torch.as_tensor(_corners(n_box, x_max), dtype=f64)
    if o["fixed_last"]:
        corners = torch.cat([corners, torch.ones(len(corners), 1, dtype=f64)], dim=1)
    xv = _inputs(torch, gen, N_VALID, n_in, x_max, o["fixed_last"], corners).to(dev)

    def fwd(ws: list[Any], x: Any, out_relu: bool, surrogate: bool = False) -> Any:
        for i, w in enumerate(ws):
            x = x @ w.T
            if i < len(ws) - 1 or out_relu:
                x = torch.relu(x) + leak * (x <= 0).to(x.dtype) * (x - x.detach()) if surrogate and leak > 0 \
                    else torch.relu(x)
        return x

    with torch.no_grad():
        yv = fwd(Fw, xv, target.output_relu)

    def anneal_to(kk: int, cap: int, t: int) -> int:
        k0 = min(cap, o["k_start"] * kk)
        return kk if t >= n_ann else int(round(kk + (k0 - kk) * (1 - t / n_ann) ** 3))

    def mask_of(t: int) -> Any:
        a = scores.detach().abs()
        m = torch.zeros(P, dtype=f64, device=dev)
        if per_layer is None:
            m[torch.topk(a, anneal_to(k, P, t), sorted=False).indices] = 1.0
            return m
        off = 0
        for p, kl in zip(sizes, per_layer, strict=True):
            kt = anneal_to(kl, p, t)
            m[off + torch.topk(a[off:off + p], kt, sorted=False).indices] = 1.0
            off += p
        return m

    def layers(flat: Any) -> list[Any]:
        return [c.view_as(w) for c, w in zip(torch.split(flat, sizes), Gw, strict=True)]

    def ticket_ws(m: Any, ste: bool) -> list[Any]:
        if ste:
            a = scores.abs()
            m = m + a - a.detach()
        return [w * mi for w, mi in zip(Gw, layers(m), strict=True)]

    def to_masks(m: Any) -> list[np.ndarray]:
        return [mi.detach().cpu().numpy() > 0.5 for mi in layers(m)]

    n_sup = int(round(o["sup_phase"] * steps))
    n_ann = max(1, int(round(o["anneal"] * steps)))
    n_top = max(1, math.ceil(o["q"] * (o["batch"] + len(corners))))
    best_err, best_mask, best_step, offered = math.inf, None, -1, None
    history: list[list[float]] = []
    eval_every = max(1, min(25, steps // 20))
    eval_steps = [t for t in range(steps) if t >= n_ann and (t % eval_every == 0 or t == steps - 1)]
    checks = set(eval_steps[max(0, len(eval_steps) * (c + 1) // max(1, o["n_checkpoints"]) - 1)]
                 for c in range(o["n_checkpoints"])) if eval_steps else set()
    stopped_at = None
    bar = _bar(steps, o["progress"])
    for t in range(steps):
        if o["schedule"] == "cosine":
            for g in opt.param_groups:
                g["lr"] = o["lr"] * 0.5 * (1 + math.cos(math.pi * t / steps))
        m = mask_of(t)
        x = _inputs(torch, gen, o["batch"], n_in, x_max, o["fixed_last"], corners).to(dev)
        with torch.no_grad():
            y = fwd(Fw, x, target.output_relu)
        diff = fwd(ticket_ws(m, True), x, G.output_relu, surrogate=True) - y
        if t < steps - n_sup:
            loss = (diff**2).sum(dim=1).mean()
        else:
            e = diff.abs().max(dim=1).values
            loss = (torch.topk(e, n_top, sorted=False).values ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if bar is not None:
            bar.update(1)
        if t in eval_steps:
            with torch.no_grad():
                mk = mask_of(steps)  # the final budget
                ev = float((fwd(ticket_ws(mk, False), xv, G.output_relu) - yv).abs().max())
            history.append([t, ev])
            if ev < best_err:
                best_err, best_mask, best_step = ev, mk.clone(), t
            if bar is not None:
                bar.set_postfix_str(f"best validation error {best_err:.3g} (a lower bound)")
            if on_candidate is not None and t in checks and best_step != offered:
                offered = best_step
                if on_candidate(to_masks(best_mask), best_err):
                    stopped_at = t
                    break
    if bar is not None:
        bar.close()
    assert best_mask is not None
    with torch.no_grad():
        err_v = (fwd(ticket_ws(best_mask, False), xv, G.output_relu) - yv).abs().max(dim=1).values
        worst = xv[torch.topk(err_v, min(64, len(err_v))).indices].cpu().numpy()
    masks = to_masks(best_mask)
    info = {
        "device": dev.type, "k_kept": int(sum(int(mi.sum()) for mi in masks)), "k_budget": k,
        "per_layer_budget": per_layer, "kept_per_layer": [int(mi.sum()) for mi in masks], "G_params": P,
        "best_step": best_step, "stopped_at": stopped_at, "offered_step": offered,
        "valid_max_error": best_err, "valid_points": int(len(xv)), "history": history[-40:],
        "_worst_points": worst,
    }
    return masks, info


def _bar(steps: int, progress: bool) -> Any:
    if not progress:
        return None
    return tqdm(total=steps, desc="edge-popup", unit="step", leave=False)
