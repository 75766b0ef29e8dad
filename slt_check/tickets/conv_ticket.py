"""The convolutional ticket: kept entries of ``G`` (compact: only what the mask keeps) and the target.

For weighted target layer ``t`` (layout: :mod:`slt_check.sources.conv_source`) the ticket keeps
*channels* ``(q, s)`` of ``A_t`` — each with its one usable entry ``a = a_q[s]`` (a kernel entry at
column ``q``, or the channel's bias for the bias column) — and *entries* ``(o, channel)`` of ``B_t``
with value ``b = b_q[s, o]``. Everything else of ``G`` is pruned. ``validate(spec)`` regenerates every
kept value from its stream and compares bit for bit, so a file cannot hold a copied or rescaled
weight. Since each kept ``A`` channel has one entry, the pair is exactly
``Ŵ₊ σ(x) − Ŵ₋ σ(−x) + b̂`` with ``Ŵ±[o, q] = Σ_{kept (o, q, s), sign a_s = ±} a_s b_s`` (the
*effective kernels*, :meth:`ConvTicket.effective`), which the certificate reads.

File (``.npz``, no pickles): ``meta`` (JSON, ``meta["kind"] = "cnn"``), the target's ``W{t}``,
``b{t}`` (when it has a bias), and per layer ``ch_q{t}``, ``ch_s{t}``, ``ch_a{t}`` (kept ``A``
channels) and ``en_o{t}``, ``en_c{t}``, ``en_b{t}`` (kept ``B`` entries: output, channel index, value).
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from slt_check._version import __version__
from slt_check.certificates.conv_bounds import certify_conv
from slt_check.core.conv import ConvLayer, ConvNet, layers_fn, parse_arch
from slt_check.io.npz_io import load_npz
from slt_check.io.safe_io import atomic_write
from slt_check.io.textio import loads_json
from slt_check.sources.conv_source import ConvSourceSpec, column_candidates
from slt_check.tickets.conv_copies_ticket import read_copies_ticket

__all__ = ["ConvTicket", "LayerKeep", "read_conv_ticket", "is_conv_ticket"]


@dataclass
class LayerKeep:
    """Kept channels ``(q, s, a)`` of ``A_t`` and kept entries ``(o, c, b)`` of ``B_t`` (``c`` indexes channels)."""

    q: np.ndarray
    s: np.ndarray
    a: np.ndarray
    o: np.ndarray
    c: np.ndarray
    b: np.ndarray

    @classmethod
    def from_entries(cls, o: np.ndarray, q: np.ndarray, s: np.ndarray, a: np.ndarray, b: np.ndarray,
                     N: int) -> LayerKeep:
        """From one row per kept ``B`` entry ``(o, q, s)`` with its ``a_q[s]`` and ``b_q[s, o]``."""
        h = np.asarray(q, np.int64) * int(N) + np.asarray(s, np.int64)
        uniq, first, inv = np.unique(h, return_index=True, return_inverse=True)
        return cls(q=(uniq // N).astype(np.int64), s=(uniq % N).astype(np.int64), a=np.asarray(a)[first],
                   o=np.asarray(o, np.int64), c=inv.astype(np.int64), b=np.asarray(b, np.float64))

    @property
    def n_kept(self) -> int:
        """Kept parameters: one per kept channel (its ``A`` entry) plus the kept ``B`` entries."""
        return int(self.q.size + self.o.size)


class ConvTicket:
    """A ticket of a :class:`~slt_check.core.conv.ConvNet` target (module doc)."""

    def __init__(self, target: ConvNet, keeps: list[LayerKeep], meta: dict[str, Any]) -> None:
        if len(keeps) != len(target.weighted):
            raise ValueError(f"ticket: {len(keeps)} kept layers for {len(target.weighted)} weighted target layers")
        self.target, self.keeps, self.meta = target, keeps, meta
        for t, (k, L) in enumerate(zip(keeps, target.weighted, strict=True)):
            P = _columns(L)
            if k.s.size and k.s.min() < 0:
                raise ValueError(f"ticket: layer {t} keeps a negative sample index")
            if k.q.size and (k.q.min() < 0 or k.q.max() >= P):
                raise ValueError(f"ticket: layer {t} keeps a channel of column ≥ {P}")
            if k.o.size and (k.o.min() < 0 or k.o.max() >= L.out or k.c.min() < 0 or k.c.max() >= k.q.size):
                raise ValueError(f"ticket: layer {t} keeps a B entry outside the layer")
            for name in ("a", "b"):
                if not np.all(np.isfinite(getattr(k, name))):
                    raise ValueError(f"ticket: layer {t} has non-finite kept values ({name})")

    # ---- the ticket as a function -------------------------------------------------------------
    def effective(self, t: int) -> dict[str, Any]:
        """Effective kernels of layer ``t``: ``Wp``, ``Wm`` (shape of ``W``), ``bhat`` (or None), and
        ``Sp``, ``Sm``, ``Sb`` (``Σ|ab|``), ``K`` (most kept entries feeding one output)."""
        L, k = self.target.weighted[t], self.keeps[t]
        P0 = int(np.prod(L.weight.shape[1:]))
        cols = P0 + (1 if L.has_bias else 0)
        prod = k.a[k.c] * k.b
        q = k.q[k.c]
        out: dict[str, Any] = {}
        for name, sel in (("p", k.a[k.c] > 0), ("m", k.a[k.c] < 0)):
            W = np.zeros((L.out, cols))
            S = np.zeros((L.out, cols))
            np.add.at(W, (k.o[sel], q[sel]), prod[sel])
            np.add.at(S, (k.o[sel], q[sel]), np.abs(prod[sel]))
            out["W" + name], out["S" + name] = W, S
        bhat = out["Wp"][:, P0] if L.has_bias else None  # σ(a) = a for a > 0; a < 0 channels are 0
        Sb = out["Sp"][:, P0] if L.has_bias else None
        res = {"Wp": out["Wp"][:, :P0].reshape(L.weight.shape), "Wm": out["Wm"][:, :P0].reshape(L.weight.shape),
               "Sp": out["Sp"][:, :P0].reshape(L.weight.shape), "Sm": out["Sm"][:, :P0].reshape(L.weight.shape),
               "bhat": bhat, "Sb": Sb,
               "K": int(np.bincount(k.o, minlength=L.out).max()) if k.o.size else 0}
        return res

    def deviations(self) -> list[dict[str, Any]]:
        """What :func:`slt_check.certificates.conv_bounds.certify_conv` reads, per weighted layer."""
        out = []
        for t, L in enumerate(self.target.weighted):
            e = self.effective(t)
            eb = None if L.bias is None else np.abs(e["bhat"] - L.bias)
            out.append({"Ep": np.abs(e["Wp"] - L.weight), "Em": np.abs(e["Wm"] - L.weight), "Eb": eb,
                        "Sp": e["Sp"], "Sm": e["Sm"], "Sb": e["Sb"], "K": e["K"]})
        return out

    def certified(self, lo: Any, hi: Any) -> float:
        """The certified sup error over the box (:func:`~slt_check.certificates.conv_bounds.certify_conv`)."""
        return float(certify_conv(self.target, lo, hi, self.deviations())["bound"])

    def torch_fn(self) -> Any:
        """The ticket as a differentiable torch float64 function of a batch (effective kernels)."""
        import torch
        import torch.nn.functional as F

        pairs = []
        for t, L in enumerate(self.target.weighted):
            e = self.effective(t)
            Wp, Wm = torch.from_numpy(e["Wp"]), torch.from_numpy(e["Wm"])
            bh = None if e["bhat"] is None else torch.from_numpy(e["bhat"])

            def pair(x: Any, L: ConvLayer = L, Wp: Any = Wp, Wm: Any = Wm, bh: Any = bh) -> Any:
                if L.kind == "conv":
                    return F.conv2d(torch.relu(x), Wp, bh, padding=L.padding) - F.conv2d(
                        torch.relu(-x), Wm, None, padding=L.padding)
                return F.linear(torch.relu(x), Wp, bh) - F.linear(torch.relu(-x), Wm)

            pairs.append(pair)
        return layers_fn(self.target.layers, self.target.input_shape, pairs)

    def target_fn(self) -> Any:
        """The target as a torch float64 function of a batch."""
        return layers_fn(self.target.layers, self.target.input_shape)

    def pair_modules(self, t: int, dtype: Any = None, dense_limit: int | None = None) -> tuple[Any, Any, Any, Any]:
        """The literal ``G`` layers of layer ``t`` restricted to its kept channels, as torch modules
        with their masks: ``(A, A_masks, B, B_mask)`` (``A_masks``: weight mask and bias mask or None).

        A ``Linear`` ``A`` with more than ``dense_limit`` dense entries gets a sparse CSR weight holding
        exactly the kept entries (its sparsity pattern is its mask: ``A_masks[0]`` is None then); a
        convolution that large is refused (``ValueError``)."""
        import torch

        dtype = dtype or torch.float64
        L, k = self.target.weighted[t], self.keeps[t]
        P0 = int(np.prod(L.weight.shape[1:]))
        n_ch = max(int(k.q.size), 1)
        cin = L.weight.shape[1]
        bias_ch = k.q == P0
        idx = np.flatnonzero(~bias_ch)
        sparse = dense_limit is not None and n_ch * P0 > dense_limit
        if sparse and L.kind == "conv":
            raise ValueError(f"export: layer {t}'s k×k convolution over {n_ch} kept channels has {n_ch * P0} "
                             f"entries (> {dense_limit}); torch has no sparse Conv2d")
        if L.kind == "conv":
            A = torch.nn.Conv2d(cin, n_ch, L.kernel, padding=L.padding, bias=L.has_bias, dtype=dtype)
            B = torch.nn.Conv2d(n_ch, L.out, 1, bias=False, dtype=dtype)
        else:
            A = torch.nn.Linear(1, 1, bias=L.has_bias, dtype=dtype)  # real sizes set below (no dense alloc)
            A.in_features, A.out_features = cin, n_ch
            B = torch.nn.Linear(n_ch, L.out, bias=False, dtype=dtype)
        mb = np.zeros((L.out, n_ch), bool)
        mb[k.o, k.c] = True
        wb = np.zeros((L.out, n_ch))
        wb[k.o, k.c] = k.b
        with torch.no_grad():
            if sparse:
                ind = torch.from_numpy(np.stack([idx, k.q[idx]]))
                w = torch.sparse_coo_tensor(ind, torch.from_numpy(k.a[idx]).to(dtype), (n_ch, P0),
                                            check_invariants=True)
                with warnings.catch_warnings():  # "sparse CSR support is in beta": linear layers work
                    warnings.simplefilter("ignore", UserWarning)
                    A.weight = torch.nn.Parameter(w.coalesce().to_sparse_csr(), requires_grad=False)
                mask_a = None
            else:
                ma = np.zeros((n_ch, P0), bool)
                ma[idx, k.q[idx]] = True
                wa = np.zeros((n_ch, P0))
                wa[idx, k.q[idx]] = k.a[idx]
                if L.kind == "linear":
                    A.weight = torch.nn.Parameter(torch.from_numpy(wa).to(dtype))
                else:
                    A.weight.copy_(torch.from_numpy(wa).reshape(A.weight.shape))
                mask_a = torch.from_numpy(ma).to(dtype).reshape(A.weight.shape)
            B.weight.copy_(torch.from_numpy(wb).reshape(B.weight.shape))
            mask_b = None
            if L.has_bias:
                ba = np.where(bias_ch, k.a, 0.0) if k.q.size else np.zeros(1)
                A.bias = torch.nn.Parameter(torch.from_numpy(ba).to(dtype))
                mask_b = torch.from_numpy(bias_ch if k.q.size else np.zeros(1, bool)).to(dtype)
        mask_B = torch.from_numpy(mb).to(dtype).reshape(B.weight.shape)
        return A, (mask_a, mask_b), B, mask_B

    def as_convnet(self) -> ConvNet:
        """The ticket itself as a :class:`ConvNet`: every weighted target layer becomes its kept ``A``
        channels (``conv``/``linear``, one entry each), a ReLU and ``B`` (``1×1`` conv / ``linear``)."""
        layers: list[ConvLayer] = []
        t = 0
        for L in self.target.layers:
            if L.kind not in ("conv", "linear"):
                layers.append(ConvLayer(L.kind, kernel=L.kernel, stride=L.stride))
                continue
            A, _, B, _ = self.pair_modules(t)
            aw, bw = A.weight.detach().numpy().copy(), B.weight.detach().numpy().copy()
            ab = None if A.bias is None else A.bias.detach().numpy().copy()
            k = aw.shape[-1] if L.kind == "conv" else 0
            layers += [ConvLayer(L.kind, aw, ab, padding=L.padding, kernel=k, out=aw.shape[0]), ConvLayer("relu"),
                       ConvLayer(L.kind, bw, None, kernel=1 if L.kind == "conv" else 0, out=bw.shape[0])]
            t += 1
        return ConvNet(self.target.input_shape, layers)

    # ---- checks --------------------------------------------------------------------------------
    def validate(self, spec: ConvSourceSpec, progress: bool = False) -> None:
        """``ValueError`` unless every kept value equals ``G``'s entry regenerated from ``spec`` bit for bit
        (``progress``: a bar over the kept columns)."""
        if tuple(spec.columns) != tuple(_columns(L) for L in self.target.weighted):
            raise ValueError("ticket: the spec of G does not match the target's layers")
        bar = tqdm(total=sum(np.unique(k.q).size for k in self.keeps), desc="validate against the seed",
                   unit="col", disable=not progress, leave=False)
        for t, k in enumerate(self.keeps):
            if k.s.size and k.s.max() >= spec.n_samples:
                raise ValueError(f"ticket: layer {t} keeps sample {int(k.s.max())} ≥ N = {spec.n_samples}")
            qs, inv = np.unique(k.q, return_inverse=True)
            Lmax = np.zeros(qs.size, np.int64)
            np.maximum.at(Lmax, inv, k.s + 1)
            order = np.argsort(Lmax)
            for lo in range(0, qs.size, 256):  # blocks of columns, prefix of the longest
                sel = order[lo:lo + 256]
                a, b = column_candidates(spec, t, qs[sel], int(Lmax[sel].max()))
                pos = np.full(qs.size, -1)
                pos[sel] = np.arange(sel.size)
                ch = np.flatnonzero(pos[inv] >= 0)
                if not np.array_equal(a[pos[inv[ch]], k.s[ch]], k.a[ch]):
                    raise ValueError(f"ticket: layer {t}: a kept A entry is not G's entry (seed {spec.seed})")
                en = np.flatnonzero(pos[inv[k.c]] >= 0)
                c = k.c[en]
                if not np.array_equal(b[pos[inv[c]], k.s[c], k.o[en]], k.b[en]):
                    raise ValueError(f"ticket: layer {t}: a kept B entry is not G's entry (seed {spec.seed})")
                bar.update(sel.size)
        bar.close()

    def sizes(self) -> dict[str, Any]:
        kept = sum(k.n_kept for k in self.keeps)
        W = self.target.n_params
        return {"target_weights": W, "kept_params": kept, "kept_params_per_weight": kept / max(W, 1),
                "G_params": int(self.meta.get("plan", {}).get("G_params", 0)),
                "kept_per_layer": [k.n_kept for k in self.keeps]}

    @property
    def ok(self) -> bool:
        return bool(self.meta.get("success", False))

    # ---- files -----------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        arrays: dict[str, np.ndarray] = {}
        for t, (L, k) in enumerate(zip(self.target.weighted, self.keeps, strict=True)):
            arrays[f"W{t}"] = L.weight
            if L.bias is not None:
                arrays[f"b{t}"] = L.bias
            for name in ("q", "s", "a"):
                arrays[f"ch_{name}{t}"] = getattr(k, name)
            for name in ("o", "c", "b"):
                arrays[f"en_{name}{t}"] = getattr(k, name)
        meta = dict(self.meta, kind="cnn", arch=self.target.arch, version=__version__)
        arrays["meta"] = np.array(json.dumps(meta, sort_keys=True, allow_nan=False, default=float))

        def write(fh: Any) -> None:
            np.savez(fh, **arrays)

        return atomic_write(path, write)


def _columns(L: ConvLayer) -> int:
    return int(np.prod(L.weight.shape[1:])) + (1 if L.has_bias else 0)


def is_conv_ticket(path: str | os.PathLike[str]) -> bool:
    """Whether a ticket file holds a CNN ticket (its ``meta`` says ``kind = "cnn"``)."""
    try:
        meta = loads_json(str(load_npz(path, names={"meta"})["meta"]), "meta")
    except (ValueError, KeyError, OSError):
        return False
    return isinstance(meta, dict) and meta.get("kind") == "cnn"


def read_conv_ticket(path: str | os.PathLike[str], max_bytes: int = 2**34) -> Any:
    """Read a CNN ticket file (no pickles; header limits first); ``ValueError`` on anything malformed."""
    what = f"ticket: {str(path)!r}"
    data = load_npz(path, what=what, max_bytes=max_bytes)
    try:
        meta = loads_json(str(data["meta"]), f"{what}: meta")
        if meta.get("layout") == "copies":
            return read_copies_ticket(data, meta)
        shape, layers = parse_arch(meta["arch"])
        n_w = sum(L.kind in ("conv", "linear") for L in layers)
        weighted = [L for L in layers if L.kind in ("conv", "linear")]
        for t, L in enumerate(weighted):
            L.weight = data[f"W{t}"].astype(np.float64)
            L.bias = data[f"b{t}"].astype(np.float64) if f"b{t}" in data else None
        target = ConvNet(shape, layers)
        keeps = []
        for t in range(n_w):
            keeps.append(LayerKeep(**{n: data[f"ch_{n}{t}"] for n in ("q", "s", "a")},
                                   **{n: data[f"en_{n}{t}"] for n in ("o", "c", "b")}))
        for k in keeps:
            for n in ("q", "s", "o", "c"):
                if getattr(k, n).dtype.kind not in "iu":
                    raise ValueError(f"index array {n} is not integer")
            k.a, k.b = k.a.astype(np.float64), k.b.astype(np.float64)
            if k.o.shape != k.c.shape or k.o.shape != k.b.shape or k.q.shape != k.s.shape or k.q.shape != k.a.shape:
                raise ValueError("kept arrays of different lengths")
        return ConvTicket(target, keeps, meta)
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{what}: not a CNN ticket ({type(exc).__name__}: {exc})") from None
