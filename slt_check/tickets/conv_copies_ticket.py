"""The ticket of the depth-``L+1`` convolutional construction: kept entries of every ``G`` layer (COO).

``G`` (:mod:`slt_check.constructions.conv_burkholz`) is a :class:`~slt_check.core.conv.ConvNet` of
``L + 1`` weighted layers: a ``1×1`` expansion ``G_0`` (``2ρ`` channels per input channel), then one
layer per target layer whose output units are ``ρ`` copies of each target unit (the last: the target's
outputs). The ticket keeps entries ``(flat index, value)`` of each ``G_t``; ``validate(spec)`` regenerates
every row holding a kept entry from its stream and compares bit for bit. ``meta["kind"] = "cnn"``,
``meta["layout"] = "copies"``; file arrays ``W{t}`` (target), ``g_idx{t}``, ``g_val{t}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from slt_check._version import __version__
from slt_check.certificates.conv_bounds import certify_copies
from slt_check.core.conv import ConvLayer, ConvNet, layer_shapes, layers_fn, parse_arch
from slt_check.io.safe_io import atomic_write
from slt_check.sources.source import block_rng

__all__ = ["CopiesTicket", "copies_layers", "g_row", "flat_hw", "read_copies_ticket"]


def g_row(seed: int, law: Any, t: int, row: int, size: int) -> np.ndarray:
    """Row ``row`` of ``G_t`` (its usable entries): ``law.sample(block_rng(seed, t, row, 0), size)``."""
    return law.sample(block_rng(seed, t, row, 0), size)


def copies_layers(target: ConvNet, rho: int) -> tuple[list[ConvLayer], list[tuple[int, ...]], list[np.ndarray | None]]:
    """``G``'s layers without weights, the weight shape of each ``G_t`` and the copy map of each target
    layer's outputs (ticket output unit → target unit; None for the last layer)."""
    if target.layers[0].kind != "conv":
        raise ValueError("burkholz-conv: the target must start with a Conv2d (G's first layer is a 1×1 expansion)")
    c0 = target.input_shape[0]
    layers: list[ConvLayer] = [ConvLayer("conv", out=2 * rho * c0, kernel=1), ConvLayer("relu")]
    shapes: list[tuple[int, ...]] = [(2 * rho * c0, c0, 1, 1)]
    copies: list[np.ndarray | None] = []
    weighted = target.weighted
    cin = 2 * rho * c0
    shp = [target.input_shape] + layer_shapes(target.input_shape, target.layers)
    t = 0
    for i, L in enumerate(target.layers):
        if L.kind in ("conv", "linear"):
            last = t == len(weighted) - 1
            out = L.out if last else rho * L.out
            if L.kind == "conv":
                layers.append(ConvLayer("conv", out=out, kernel=L.kernel, padding=L.padding))
                shapes.append((out, cin, L.kernel, L.kernel))
            else:
                layers.append(ConvLayer("linear", out=out))
                shapes.append((out, cin))
            copies.append(None if last else np.arange(out) // rho)
            cin = out
            t += 1
        else:
            layers.append(ConvLayer(L.kind, kernel=L.kernel, stride=L.stride))
            if L.kind == "flatten" and len(shp[i]) == 3:
                cin = cin * shp[i][1] * shp[i][2]
    return layers, shapes, copies


class CopiesTicket:
    """Ticket of the depth-``L+1`` layout (module doc)."""

    def __init__(self, target: ConvNet, idx: list[np.ndarray], val: list[np.ndarray], meta: dict[str, Any]) -> None:
        self.target, self.idx, self.val, self.meta = target, idx, val, meta
        _, shapes, _ = copies_layers(target, int(meta["plan"]["rho"]))
        if len(idx) != len(shapes) or len(val) != len(shapes):
            raise ValueError(f"ticket: {len(idx)} kept layers for a G of {len(shapes)} layers")
        for t, (i, v, s) in enumerate(zip(idx, val, shapes, strict=True)):
            if i.shape != v.shape or (i.size and (i.min() < 0 or i.max() >= int(np.prod(s)))):
                raise ValueError(f"ticket: layer {t}'s kept entries lie outside G's layer of shape {s}")
            if not np.all(np.isfinite(v)):
                raise ValueError(f"ticket: layer {t} has non-finite kept values")

    def dense(self, t: int) -> np.ndarray:
        _, shapes, _ = copies_layers(self.target, int(self.meta["plan"]["rho"]))
        w = np.zeros(int(np.prod(shapes[t])))
        w[self.idx[t]] = self.val[t]
        return w.reshape(shapes[t])

    def as_convnet(self) -> ConvNet:
        layers, shapes, _ = copies_layers(self.target, int(self.meta["plan"]["rho"]))
        k = 0
        for L in layers:
            if L.kind in ("conv", "linear"):
                L.weight = self.dense(k)
                k += 1
        return ConvNet(self.target.input_shape, layers)

    def stages(self) -> list[dict[str, Any]]:
        """What :func:`~slt_check.certificates.conv_bounds.certify_copies` reads."""
        rho = int(self.meta["plan"]["rho"])
        _, _, copies = copies_layers(self.target, rho)
        out = []
        A = self.dense(0)[:, :, 0, 0]  # (2ρ c0, c0): one usable entry per row, at its own channel
        a = A.sum(axis=1)
        for t, L in enumerate(self.target.weighted):
            D = self.dense(t + 1)
            K = int((D.reshape(D.shape[0], -1) != 0).sum(axis=1).max())
            if t == 0:
                prod = D * (a.reshape((1, -1) + (1,) * (D.ndim - 2)))  # a_h b_{g,h,…}
                c0 = L.weight.shape[1]
                blk = prod.reshape(D.shape[0], c0, -1, *D.shape[2:])  # (g, c, 2ρ, …)
                ab = a.reshape(c0, -1).reshape((1, c0, -1) + (1,) * (D.ndim - 2))
                st = {"Wp": np.where(ab > 0, blk, 0).sum(axis=2), "Wm": np.where(ab < 0, blk, 0).sum(axis=2),
                      "Sp": np.abs(np.where(ab > 0, blk, 0)).sum(axis=2),
                      "Sm": np.abs(np.where(ab < 0, blk, 0)).sum(axis=2)}
            else:
                cin = L.weight.shape[1]
                st = {"D": D, "Dhat": _sum_copies(D, cin, rho, flat_hw(self.target, t))}
            out.append({**st, "K": K, "copy": copies[t]})
        return out

    def certified(self, lo: Any, hi: Any) -> float:
        return float(certify_copies(self.target, lo, hi, self.stages())["bound"])

    def torch_fn(self) -> Any:
        return layers_fn(self.as_convnet().layers, self.target.input_shape)

    def target_fn(self) -> Any:
        return layers_fn(self.target.layers, self.target.input_shape)

    def validate(self, spec: dict[str, Any], progress: bool = False) -> None:
        """``ValueError`` unless every kept value is ``G``'s entry regenerated from ``spec`` (seed, law)."""
        _, shapes, _ = copies_layers(self.target, int(self.meta["plan"]["rho"]))
        rho = int(self.meta["plan"]["rho"])
        for t, (i, v, s) in enumerate(zip(self.idx, self.val, shapes, strict=True)):
            row_len = int(np.prod(s[1:]))
            rows, cols = i // row_len, i % row_len
            for r in np.unique(rows):
                sel = rows == r
                if t == 0:  # G_0: only the row's own input channel is usable
                    c = int(r) // (2 * rho)
                    if np.any(cols[sel] != c):
                        raise ValueError("ticket: layer 0 keeps an entry off its block's input channel")
                    got = g_row(spec["seed"], spec["law"], 0, c, 2 * rho)[int(r) % (2 * rho)]
                    ok = np.all(v[sel] == got)
                else:
                    ok = np.array_equal(g_row(spec["seed"], spec["law"], t, int(r), row_len)[cols[sel]], v[sel])
                if not ok:
                    raise ValueError(f"ticket: layer {t}: a kept entry is not G's entry (seed {spec['seed']})")

    def sizes(self) -> dict[str, Any]:
        kept = int(sum(i.size for i in self.idx))
        W = self.target.n_params
        return {"target_weights": W, "kept_params": kept, "kept_params_per_weight": kept / max(W, 1),
                "G_params": int(self.meta["plan"]["G_params"]), "kept_per_layer": [int(i.size) for i in self.idx]}

    @property
    def ok(self) -> bool:
        return bool(self.meta.get("success", False))

    def save(self, path: str | os.PathLike[str]) -> Path:
        arrays: dict[str, np.ndarray] = {f"W{t}": L.weight for t, L in enumerate(self.target.weighted)}
        for t, (i, v) in enumerate(zip(self.idx, self.val, strict=True)):
            arrays[f"g_idx{t}"], arrays[f"g_val{t}"] = i, v
        meta = dict(self.meta, kind="cnn", layout="copies", arch=self.target.arch, version=__version__)
        arrays["meta"] = np.array(json.dumps(meta, sort_keys=True, allow_nan=False, default=float))
        return atomic_write(path, lambda fh: np.savez(fh, **arrays))


def flat_hw(target: ConvNet, t: int) -> int | None:
    """For weighted layer ``t``: the ``H·W`` of the feature map a ``flatten`` right before it (through
    weightless layers) flattened, or None (its inputs are channels or plain features)."""
    shp = [target.input_shape] + layer_shapes(target.input_shape, target.layers)
    k = -1
    for i, L in enumerate(target.layers):
        if L.kind not in ("conv", "linear"):
            continue
        k += 1
        if k != t:
            continue
        j = i - 1
        while j >= 0 and target.layers[j].kind not in ("flatten", "conv", "linear"):
            j -= 1
        if L.kind == "linear" and j >= 0 and target.layers[j].kind == "flatten" and len(shp[j]) == 3:
            return int(shp[j][1] * shp[j][2])
        return None
    return None


def _sum_copies(D: np.ndarray, cin: int, rho: int, hw: int | None) -> np.ndarray:
    """``D̂[g, c, …] = Σ_s D[g, (c, s), …]``: the kept weights summed over the copies of each target input
    (channels ``c·ρ + s``; after a flatten, features ``(c·ρ + s)·HW + pos``)."""
    if hw is None:
        return D.reshape(D.shape[0], cin, rho, *D.shape[2:]).sum(axis=2) if D.ndim == 4 else \
            D.reshape(D.shape[0], cin, rho).sum(axis=2)
    c = cin // hw
    return D.reshape(D.shape[0], c, rho, hw).sum(axis=2).reshape(D.shape[0], cin)


def read_copies_ticket(data: dict[str, np.ndarray], meta: dict[str, Any]) -> CopiesTicket:
    """A :class:`CopiesTicket` from the arrays of its file (``KeyError``/``ValueError`` when malformed)."""
    shape, layers = parse_arch(meta["arch"])
    for t, L in enumerate(x for x in layers if x.kind in ("conv", "linear")):
        L.weight, L.bias = data[f"W{t}"].astype(np.float64), None
    target = ConvNet(shape, layers)
    n = len(target.weighted) + 1
    idx, val = [], []
    for t in range(n):
        i = data[f"g_idx{t}"]
        if i.dtype.kind not in "iu":
            raise ValueError(f"ticket: g_idx{t} is not an integer array")
        idx.append(i.astype(np.int64))
        val.append(data[f"g_val{t}"].astype(np.float64))
    return CopiesTicket(target, idx, val, meta)
