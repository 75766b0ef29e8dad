"""The sup error of a convolutional ticket over an input box: certified (interval propagation) and found (PGD).

Let ``F`` be the target and ``T`` the ticket. Every weighted target layer ``t`` (``W``, ``b``) is
simulated by a pair of ``G`` layers whose kept ``A`` channels each hold one entry, so the pair is,
exactly, ``T_t(x) = Ŵ₊ σ(x) − Ŵ₋ σ(−x) + b̂`` with the *effective kernels* ``Ŵ± = Σ_{kept, sign a = ±}
a·b`` (:mod:`slt_check.tickets.conv_ticket`), while ``W x = W σ(x) − W σ(−x)``. Stage by stage, with
the target's interval bounds ``l ≤ h ≤ u`` and a bound ``e ≥ |ĥ − h|`` on the ticket's deviation
(``e = 0`` at the input):

    weighted layer:  e' = |W| e + |Ŵ₊ − W| (u + e)⁺ + |Ŵ₋ − W| (e − l)⁺ + |b̂ − b|
                          + 2 γ_{K+3} (S₊ (u + e)⁺ + S₋ (e − l)⁺ + S_b) + γ_{P+2} (|W| max(|l|, |u|) + |b|)
    ReLU:            e' = min(e, (u + e)⁺)       (both sides ≤ 0 ⇒ no error; ReLU is 1-Lipschitz)
    AvgPool:         e' = avg(e);   Flatten: reshape.

``|W| e`` is a convolution with the kernel ``|W|`` (torch ``conv2d`` in float64, same padding), so
nothing of the size of the unrolled (dense) convolution is ever formed. ``S± = Σ|a b|`` over kept
channels, ``K`` the most kept channels feeding one output and ``P`` the fan-in: the ``γ`` terms bound
the float64 rounding of the effective kernels, of the ticket's and of the target's evaluation
(``γ_n = n u/(1 − n u)``, any summation order). Every bound computed here is itself rounded upwards
(each nonnegative result is multiplied by ``1 + 4γ_{n}`` for its ``n``-term sums), so the returned
bound is sound in floating point. The certified sup error is ``max e`` over the outputs.

The found error is a lower bound: projected gradient ascent on ``‖F(x) − T(x)‖∞`` from the box's
centre, random corners and random points, each point evaluated in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from slt_check.certificates.stages import gamma
from slt_check.core.conv import ConvNet

__all__ = ["certify_conv", "certify_copies", "found_error", "box_arrays", "sensitivities"]

U = 2.0**-53
TINY = 2.0**-1022


def _torch() -> Any:
    import torch

    return torch


def box_arrays(net: ConvNet, lo: Any, hi: Any) -> tuple[np.ndarray, np.ndarray]:
    """The box ``lo ≤ x ≤ hi`` as arrays of the input shape (scalars broadcast); ``ValueError`` when
    empty, not finite or of the wrong shape."""
    shape = net.input_shape
    try:
        lo_a = np.broadcast_to(np.asarray(lo, dtype=np.float64), shape).copy()
        hi_a = np.broadcast_to(np.asarray(hi, dtype=np.float64), shape).copy()
    except ValueError:
        raise ValueError(f"box: lo and hi must be scalars or arrays of the input shape {shape}") from None
    if not (np.all(np.isfinite(lo_a)) and np.all(np.isfinite(hi_a))) or np.any(lo_a > hi_a):
        raise ValueError("box: need finite bounds with lo ≤ hi for every input")
    return lo_a, hi_a


def _apply(L: Any, t: Any, w: np.ndarray, b: np.ndarray | None = None) -> Any:
    torch = _torch()
    import torch.nn.functional as F

    wt = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float64))
    bt = None if b is None else torch.from_numpy(np.ascontiguousarray(b, dtype=np.float64))
    return F.conv2d(t, wt, bt, padding=L.padding) if L.kind == "conv" else F.linear(t, wt, bt)


def _bcast_bias(L: Any, v: np.ndarray | None, like: Any) -> Any:
    torch = _torch()
    if v is None:
        return torch.zeros_like(like)
    vt = torch.from_numpy(np.abs(np.asarray(v, dtype=np.float64)))
    return vt.reshape(1, -1, 1, 1).expand_as(like) if L.kind == "conv" else vt.reshape(1, -1).expand_as(like)


def _propagate(target: ConvNet, lo: Any, hi: Any, step: Callable[..., tuple[Any, int, Any]]) -> tuple[Any, Any, Any]:
    """The stage-wise propagation shared by the certificates: target interval bounds ``[l, u]`` and the
    ticket's deviation bound ``e`` (on ticket units, read through the copy map ``cmap``) through every
    layer; ``step(k, L, l, u, e, mag, cmap) -> (e', K, cmap')`` bounds the deviation after weighted layer
    ``k`` (before the upward rounding applied here). Returns the final ``e``, ``l``, ``u``."""
    torch = _torch()
    import torch.nn.functional as F

    lo_a, hi_a = box_arrays(target, lo, hi)
    with torch.no_grad():
        l = torch.from_numpy(lo_a)[None]
        u = torch.from_numpy(hi_a)[None]
        e = torch.zeros_like(l)
        cmap: np.ndarray | None = None
        k = 0
        for L in target.layers:
            if L.kind in ("conv", "linear"):
                W, aW = L.weight, np.abs(L.weight)
                P = int(np.prod(W.shape[1:]))
                c = (l + u) / 2
                r = (u - l) / 2 * (1 + 4 * U) + 2 * U * c.abs() + TINY
                mag = torch.maximum(l.abs(), u.abs())
                c2 = _apply(L, c, W, L.bias)
                e2, K, cmap_next = step(k, L, l, u, e, mag, cmap)
                up = 1.0 + 4.0 * gamma(P + K + 8)
                r2 = (_apply(L, r, aW) + gamma(P + 2) * (_apply(L, c.abs(), aW) + _bcast_bias(L, L.bias, c2))) * up
                e = e2 * up + TINY
                l = c2 - r2 - (c2.abs() * 4 * U + TINY)
                u = c2 + r2 + (c2.abs() * 4 * U + TINY)
                cmap = cmap_next
                k += 1
            elif L.kind == "relu":
                e = torch.minimum(e, torch.clamp(_expand(u, cmap) + e, min=0.0))
                l, u = torch.clamp(l, min=0.0), torch.clamp(u, min=0.0)
            elif L.kind == "flatten":
                if cmap is not None and l.dim() == 4:
                    hw = l.shape[2] * l.shape[3]
                    f = np.arange(e.shape[1] * hw)
                    cmap = cmap[f // hw] * hw + f % hw
                l, u, e = (v.reshape(1, -1) for v in (l, u, e))
            elif L.kind == "avgpool":
                g = 1.0 + 4.0 * gamma(L.kernel**2 + 2)
                pl, pu = F.avg_pool2d(l, L.kernel, L.stride), F.avg_pool2d(u, L.kernel, L.stride)
                slack = F.avg_pool2d(torch.maximum(l.abs(), u.abs()), L.kernel, L.stride) * (g - 1.0) + TINY
                l, u = pl - slack, pu + slack
                e = F.avg_pool2d(e, L.kernel, L.stride) * g + TINY
    return e, l, u


def certify_conv(target: ConvNet, lo: Any, hi: Any, dev: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    """Certified bound on ``sup_{lo ≤ x ≤ hi} ‖F(x) − T(x)‖∞`` (module doc).

    ``dev[t]`` for weighted layer ``t``: ``Ep``, ``Em`` (``|Ŵ± − W|``, the shape of ``W``), ``Eb``
    (``|b̂ − b|`` or None), ``Sp``, ``Sm``, ``Sb`` (``Σ|ab|``, same shapes) and ``K`` (int).
    ``dev=None``: the ticket is the target itself (only the float evaluation terms remain).
    Returns ``bound`` (max over outputs), ``per_output`` and the target's output bounds."""
    torch = _torch()

    def step(k: int, L: Any, l: Any, u: Any, e: Any, mag: Any, cmap: Any) -> tuple[Any, int, Any]:
        aW = np.abs(L.weight)
        P = int(np.prod(L.weight.shape[1:]))
        m = _apply(L, mag, aW)
        e2 = _apply(L, e, aW) + gamma(P + 2) * (m + _bcast_bias(L, L.bias, m))
        d = None if dev is None else dev[k]
        if d is None:
            return e2, 0, None
        pos, neg = torch.clamp(u + e, min=0.0), torch.clamp(e - l, min=0.0)
        like = _apply(L, pos, d["Ep"])
        e2 = e2 + like + _apply(L, neg, d["Em"]) + _bcast_bias(L, d.get("Eb"), like)
        s = _apply(L, pos, d["Sp"]) + _apply(L, neg, d["Sm"]) + _bcast_bias(L, d.get("Sb"), like)
        return e2 + 2.0 * gamma(int(d["K"]) + 3) * s, int(d["K"]), None

    e, l, u = _propagate(target, lo, hi, step)
    per = e.reshape(-1).numpy().copy()
    return {"bound": float(per.max()), "per_output": per, "out_lo": l.reshape(-1).numpy().copy(),
            "out_hi": u.reshape(-1).numpy().copy()}


def sensitivities(target: ConvNet, lo: Any, hi: Any) -> list[float]:
    """``S_t``: the certified output error per unit of deviation in *every* entry of weighted layer
    ``t`` (and of its bias), the other layers exact — :func:`certify_conv` with ``|Ŵ± − W| = 1`` at
    layer ``t`` only and no rounding allowance of the ticket. ``η_t = ε / (2 l S_t)`` then budgets
    half of ε over the ``l`` layers (the certificate decides, not this choice)."""
    out = []
    n = len(target.weighted)
    for t in range(n):
        dev = []
        for k, L in enumerate(target.weighted):
            z = np.zeros_like(L.weight)
            one = np.ones_like(L.weight) if k == t else z
            b = None if L.bias is None else (np.ones_like(L.bias) if k == t else np.zeros_like(L.bias))
            dev.append({"Ep": one, "Em": one, "Eb": b, "Sp": z, "Sm": z, "Sb": None, "K": 0})
        out.append(certify_conv(target, lo, hi, dev)["bound"])
    return out


def found_error(
    f: Callable[[Any], Any], g: Callable[[Any], Any], lo: np.ndarray, hi: np.ndarray, *,
    rng: np.random.Generator, steps: int = 40, restarts: int = 8,
) -> dict[str, Any]:
    """Largest ``‖f(x) − g(x)‖∞`` found on the box (a lower bound on the sup error): the centre,
    ``restarts`` random corners and random points, each followed by ``steps`` of projected
    sign-gradient ascent (step ``(hi − lo)/10`` decaying linearly). ``f``, ``g``: torch float64
    callables on a batch ``(B, *input_shape)``. Returns ``found`` and ``x`` (the worst point)."""
    torch = _torch()
    lo_t, hi_t = torch.from_numpy(lo)[None], torch.from_numpy(hi)[None]
    shape = (restarts,) + lo.shape
    corner = rng.random(shape) < 0.5
    starts = np.concatenate([((lo + hi) / 2)[None], np.where(corner, lo, hi),
                             lo + rng.random(shape) * (hi - lo)])
    x = torch.from_numpy(starts).clone()
    best, best_x = -1.0, starts[0]
    for step in range(steps + 1):
        x.requires_grad_(True)
        diff = (f(x) - g(x)).reshape(x.shape[0], -1).abs().amax(dim=1)
        vals = diff.detach().numpy()
        i = int(np.argmax(vals))
        if vals[i] > best:
            best, best_x = float(vals[i]), x.detach().numpy()[i].copy()
        if step == steps:
            break
        (grad,) = torch.autograd.grad(diff.sum(), x)
        with torch.no_grad():
            size = (hi_t - lo_t) * (0.1 * (1.0 - step / steps))
            x = torch.minimum(torch.maximum(x + size * grad.sign(), lo_t), hi_t)
    return {"found": best, "x": best_x}


def _expand(t: Any, cmap: np.ndarray | None) -> Any:
    """Target-unit tensor ``t`` (batch, units, …) read at the target unit each ticket unit tracks."""
    if cmap is None:
        return t
    torch = _torch()
    return t.index_select(1, torch.from_numpy(np.asarray(cmap, dtype=np.int64)))


def certify_copies(target: ConvNet, lo: Any, hi: Any, stages: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Certified sup error of a ticket whose hidden units are *copies* of target units (the depth-``L+1``
    layout, :mod:`slt_check.constructions.conv_burkholz`). Weighted target layer ``t`` is one stage:

    * the first (``"Wp"``, ``"Wm"``, ``"Sp"``, ``"Sm"``: effective kernels over the input, one row per
      ticket output unit): ``e' = |Ŵ± − W[copy]| (u + e)⁺/(e − l)⁺ + 2γ_{K+3} S (…) + γ_{P+2}|W[copy]| |h|``;
    * a later one (``"D"``: the kept ``G`` kernel over ticket units, ``"Dhat"``: its sums over the copies
      of each target input unit): ``T_g − z_o = Σ D (ĥ − h) + (D̂ − W_o) h``, so
      ``e' = |D| e + |D̂ − W[copy]| |h| + 2γ_{K+3} |D| (|h| + e) + γ_{P+2} |W[copy]| |h|``;

    ``"copy"``: the target unit of each ticket output unit (None: the identity, the last layer), and
    ``"K"`` the most kept entries of a row. ReLU, pooling and flatten act per unit as in
    :func:`certify_conv` (target bounds read through the copy map)."""
    torch = _torch()

    def step(k: int, L: Any, l: Any, u: Any, e: Any, mag: Any, cmap: Any) -> tuple[Any, int, Any]:
        d = stages[k]
        W = L.weight
        P = int(np.prod(W.shape[1:]))
        K = int(d["K"])
        Wexp = W if d["copy"] is None else W[np.asarray(d["copy"])]
        if "Wp" in d:
            pos, neg = torch.clamp(u + e, min=0.0), torch.clamp(e - l, min=0.0)
            e2 = (_apply(L, pos, np.abs(d["Wp"] - Wexp)) + _apply(L, neg, np.abs(d["Wm"] - Wexp))
                  + 2.0 * gamma(K + 3) * (_apply(L, pos, d["Sp"]) + _apply(L, neg, d["Sm"])))
        else:
            aD = np.abs(d["D"])
            e2 = (_apply(L, e, aD) + _apply(L, mag, np.abs(d["Dhat"] - Wexp))
                  + 2.0 * gamma(K + 3) * _apply(L, _expand(mag, cmap) + e, aD))
        e2 = e2 + gamma(P + 2) * _apply(L, mag, np.abs(Wexp))
        return e2, K, None if d["copy"] is None else np.asarray(d["copy"])

    e, _, _ = _propagate(target, lo, hi, step)
    per = e.reshape(-1).numpy().copy()
    return {"bound": float(per.max()), "per_output": per}
