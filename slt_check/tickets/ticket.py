"""The ticket: a random source ``G``, binary masks, and the target it approximates.

The one invariant that makes a ticket a *ticket*: ``ticket.weights[k] == G.weights[k] * masks[k]``
bit for bit (pruning only: no copied, rescaled or trained weight). It is established in the
constructor and re-checked by :meth:`Ticket.validate` and on reading (:func:`read_dense_ticket`).

File format (``.npz``, a public interface, see README "Ticket files"):

* ``target_0 … target_{l−1}``: target weights ``(n_i, n_{i−1})`` float64;
* ``G_0 … G_{L−1}``: the source ``G`` float64 (``L = 2l`` for 2l-depth constructions);
* ``mask_0 … mask_{L−1}``: bool, same shapes as ``G_k``;
* ``ticket_0 … ticket_{L−1}``: ``G_k * mask_k`` float64;
* ``meta``: a JSON string (construction, sharing, eps, delta, x_max, w_max, seed, sizes, versions,
  stages for certification, …; read and written only as a :class:`~slt_check.tickets.meta.TicketMeta`).

A ticket of a **biased target** (built through the constant-input reduction of
:mod:`slt_check.core.affine`; ``meta["affine"]`` records ``n_in``, ``x_max``, ``w_max``, ``b_max`` and
the reduced bounds) is held in memory as the ticket of the bias-free ``F'`` on ``[x; 1]``
(``ticket.target`` is ``F'``, ``G``'s first layer has ``n_0 + 1`` columns). Its file keeps the
natural, biased view and adds:

* ``target_bias_0 … target_bias_{l−1}``: the target's biases ``b_k`` (length ``n_{k+1}``) float64;
  ``target_k`` are the target's own weights ``W_k`` (not ``W'_k``);
* ``G_bias_0``: ``G``'s first-layer weights on the constant input (``G_0`` holds the other ``n_0``
  columns), ``mask_bias_0`` (bool) and ``ticket_bias_0 = mask_bias_0 ⊙ G_bias_0`` bit for bit.

Deeper layers have no bias arrays (their constant path runs through kept neurons). A file without
these arrays (and without ``meta["affine"]``) reads exactly as a bias-free ticket.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy
import scipy.sparse as sp

from slt_check._version import __version__
from slt_check.core.affine import augment, network_on_x, restore
from slt_check.core.nets import ReLUNet, Shaped
from slt_check.io.npz_io import load_npz
from slt_check.io.safe_io import atomic_write
from slt_check.io.textio import loads_json
from slt_check.io.torch_io import ticket_to_torch
from slt_check.runtime import memory
from slt_check.tickets.meta import AffineRecord, TicketMeta

__all__ = ["AnyTicket", "Ticket", "read_dense_ticket", "versions", "size_summary", "save_ticket_npz"]


@runtime_checkable
class AnyTicket(Protocol):
    """What every ticket offers, dense (:class:`Ticket`: ``G`` held in memory) or compact
    (:class:`~slt_check.tickets.compact_ticket.CompactTicket`: only the kept entries and the spec of ``G``).

    ``G`` exposes at least the :class:`~slt_check.core.nets.Shaped` facts; ``weights`` are the pruned
    layers (dense arrays or CSR over live neurons); ``meta`` the recorded construction, problem, seed,
    stages and build records. ``validate`` checks the ticket against its own ``G`` (the mask, or the
    kept entries regenerated from ``G``'s streams); whether that ``G`` is the one its construction
    samples from the recorded seed is :func:`slt_check.pipeline.verify.verify_ticket`."""

    G: Shaped
    target: ReLUNet
    meta: TicketMeta | None
    weights: list[Any]

    @property
    def ok(self) -> bool: ...

    @property
    def n_kept(self) -> int: ...

    def validate(self, *, max_bytes: int | None = None) -> None: ...

    def network(self, compact: bool = True) -> ReLUNet: ...

    def sizes(self) -> dict[str, Any]: ...

    def save(self, path: str | os.PathLike[str]) -> Path: ...

    def to_torch(self, compact: bool | None = None, dtype: Any = None) -> Any: ...


def versions() -> dict[str, str]:
    """Versions of slt_check and its numeric dependencies (for results metadata)."""
    return {"slt_check": __version__, "numpy": np.__version__, "scipy": scipy.__version__}


def size_summary(
    target: ReLUNet, g_widths: tuple[int, ...], g_params: int, kept_params: int, kept_neurons: int
) -> dict[str, Any]:
    """Common units (docs/peers.md): neurons / dense params / kept params / depth of ``G``,
    absolute, per target weight and per target neuron (shared by dense and compact tickets)."""
    W = int(sum(w.shape[0] * w.shape[1] for w in target.weights))
    neurons_t = int(sum(target.widths[1:]))
    g_neurons = int(sum(g_widths[1:]))
    return {
        "target_weights": W,
        "target_neurons": neurons_t,
        "G_depth": len(g_widths) - 1,
        "G_neurons": g_neurons,
        "G_params": int(g_params),
        "kept_params": int(kept_params),
        "kept_neurons": int(kept_neurons),
        "G_neurons_per_weight": g_neurons / W,
        "G_params_per_weight": g_params / W,
        "kept_params_per_weight": kept_params / W,
        "G_neurons_per_target_neuron": g_neurons / neurons_t,
    }


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64)


@dataclass
class Ticket:
    """A pruned subnetwork ``Ĝ = mask ⊙ G`` of a random network ``G``, with the target ``F``.

    Attributes
    ----------
    G: the source network (dense float64).
    masks: one bool array per layer of ``G``.
    target: the target network ``F``.
    meta: the typed record of the construction, problem, seed, plan, … (``None``: a bare pruning,
        which cannot be saved).
    """

    G: ReLUNet
    masks: list[np.ndarray]
    target: ReLUNet
    meta: TicketMeta | None = None
    weights: list[np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        check_meta_type(self.meta)
        if len(self.masks) != self.G.depth:
            raise ValueError(
                f"masks: need one mask per layer of G ({self.G.depth}), got {len(self.masks)}"
            )
        ms = []
        for k, (m, g) in enumerate(zip(self.masks, self.G.weights, strict=True)):
            m = np.asarray(m)
            if m.dtype != np.bool_:
                raise ValueError(f"masks[{k}]: a mask must be a bool array (pruning only), got {m.dtype}")
            if m.shape != g.shape:
                raise ValueError(f"masks[{k}]: shape {m.shape} differs from G layer shape {g.shape}")
            ms.append(m)
        self.masks = ms
        self.weights = [g * m for g, m in zip(self.G.weights, self.masks, strict=True)]
        if self.G.n_in != self.target.n_in or self.G.n_out != self.target.n_out:
            raise ValueError(
                f"target: G maps {self.G.n_in} → {self.G.n_out} but the target maps "
                f"{self.target.n_in} → {self.target.n_out}"
            )

    # ------------------------------------------------------------------ structure
    @property
    def ok(self) -> bool:
        """Whether the construction's success event held (all needed categories/subsets found)."""
        return self.meta is not None and self.meta.success is True

    def network(self, compact: bool = True) -> ReLUNet:
        """``Ĝ`` as a network with sparse (CSR) kept weights; the same function as ``mask ⊙ G``.

        With ``compact`` (default) hidden neurons with no kept input or no kept output are dropped:
        such a neuron outputs ``σ(0) = 0`` or feeds nothing, so the function is unchanged (the sums
        only lose exact zero terms)."""
        ws = [sp.csr_matrix(w) for w in self.weights]
        if compact:
            for k in range(len(ws) - 1):
                live = (np.diff(ws[k].indptr) > 0) & (np.diff(ws[k + 1].tocsc().indptr) > 0)
                idx = np.flatnonzero(live)
                ws[k] = ws[k][idx]
                ws[k + 1] = ws[k + 1].tocsc()[:, idx].tocsr()
        return ReLUNet(ws, output_relu=self.target.output_relu)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.network()(x)

    def network_on_x(self, compact: bool = True) -> ReLUNet:
        """The ticket's network on ``x`` (:func:`slt_check.core.affine.network_on_x`): for a biased
        target's ticket a :class:`ReLUNet` on ``n_0`` inputs whose first layer has the bias
        ``mask_bias_0 ⊙ G_bias_0``; for a bias-free ticket :meth:`network` itself."""
        return _network_on_x(self, self.network(compact))

    def original_target(self) -> ReLUNet:
        """The target as given (with its biases) — ``target`` itself for a bias-free ticket."""
        return _original_target(self)

    def to_torch(self, compact: bool | None = None, dtype: Any = None) -> Any:
        """The ticket as a torch ``nn.Sequential`` (:func:`slt_check.io.torch_io.ticket_to_torch`).

        ``dtype``: ``None`` or ``torch.float64`` (default: the module in which the sup error is
        certified) or ``torch.float32`` (weights rounded to float32: outputs differ from the certified
        float64 function by float32 rounding, which no certificate covers). The module takes inputs of
        its own dtype only — cast yours (``x.to(torch.float64)``); torch raises a ``RuntimeError`` about
        mismatched dtypes otherwise."""

        return ticket_to_torch(self, compact=compact, dtype=dtype)

    @property
    def n_kept(self) -> int:
        """Kept (unpruned) weights; counts mask entries, including kept entries of value 0."""
        return int(sum(int(m.sum()) for m in self.masks))

    def sizes(self) -> dict[str, Any]:
        """Common units (docs/peers.md): neurons / dense params / kept params / depth of G,
        absolute and per target weight and per target neuron."""
        kept_neurons = int(
            sum(int(np.any(m, axis=1).sum()) for m in self.masks[:-1])
        ) + self.G.n_out
        return size_summary(self.target, self.G.widths, self.G.n_params, self.n_kept, kept_neurons)

    # ------------------------------------------------------------------ checks
    def validate(self, *, max_bytes: int | None = None) -> None:
        """Raise ``ValueError`` unless the ticket is exactly ``G ⊙ mask``, bit for bit, with boolean masks
        of ``G``'s shapes. This checks the ticket against its own ``G``; that ``G`` is the network its
        construction samples from the recorded seed is :func:`slt_check.pipeline.verify.verify_ticket`."""
        for k, (w, g, m) in enumerate(zip(self.weights, self.G.weights, self.masks, strict=True)):
            if m.dtype != np.bool_ or m.shape != g.shape or w.shape != g.shape:
                raise ValueError(f"layer {k}: mask/G/ticket shapes or dtype are inconsistent")
            if not np.array_equal(_bits(w), _bits(g * m)):
                raise ValueError(
                    f"ticket layer {k}: weights differ from G ⊙ mask; a ticket may only prune G"
                )

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the ``.npz`` described in the module docstring (atomically: temp file + rename)."""
        arrays: dict[str, np.ndarray] = {}
        for k in range(self.G.depth):
            arrays[f"G_{k}"] = self.G.weights[k]
            arrays[f"mask_{k}"] = self.masks[k]
            arrays[f"ticket_{k}"] = self.weights[k]
        aff = _affine(self)
        if aff is not None:  # the biased view: split off the constant-input column of layer 0
            d = aff.n_in
            for name in ("G", "mask", "ticket"):
                a = arrays[f"{name}_0"]
                arrays[f"{name}_0"], arrays[f"{name}_bias_0"] = np.array(a[:, :d]), np.array(a[:, d])
        return save_ticket_npz(path, _original_target(self), arrays,
                               _saved_meta(self).updated(G_output_relu=bool(self.G.output_relu)))


def check_meta_type(meta: Any) -> None:
    """``TypeError`` unless ``meta`` is a :class:`TicketMeta` or ``None`` (a JSON object is read with
    :meth:`TicketMeta.from_json`)."""
    if meta is not None and not isinstance(meta, TicketMeta):
        raise TypeError(f"meta: expected a TicketMeta or None, got {type(meta).__name__} "
                        "(read a JSON object with TicketMeta.from_json)")


def _saved_meta(ticket: AnyTicket) -> TicketMeta:
    if ticket.meta is None:
        raise ValueError("ticket: has no metadata (construction, problem, seed); only a built ticket can be saved")
    return ticket.meta


def _affine(ticket: AnyTicket) -> AffineRecord | None:
    """The ticket's :class:`~slt_check.tickets.meta.AffineRecord` (``None``: a bias-free ticket)."""
    return None if ticket.meta is None else ticket.meta.affine


def _original_target(ticket: AnyTicket) -> ReLUNet:
    """``restore(ticket.target)`` for a biased target's ticket, else ``ticket.target``."""
    aff = _affine(ticket)
    return ticket.target if aff is None else restore(ticket.target, aff.n_in)


def _network_on_x(ticket: AnyTicket, net: ReLUNet) -> ReLUNet:
    aff = _affine(ticket)
    return net if aff is None else network_on_x(net, aff.n_in)


def save_ticket_npz(
    path: str | os.PathLike[str], target: ReLUNet, arrays: dict[str, np.ndarray], meta: TicketMeta
) -> Path:
    """Write a ticket file atomically (temp file + rename): ``target_i`` arrays, the given arrays,
    and ``meta`` as a JSON string (with versions and ``target_output_relu`` added). Shared by dense
    and compact tickets; ``ValueError`` unless ``path`` ends in ``.npz``. A target with biases also
    writes ``target_bias_i``."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"path: ticket files end in .npz, got {str(path)!r}")
    out = {f"target_{i}": np.asarray(w) for i, w in enumerate(target.weights)} | arrays
    if target.biases is not None:
        out |= {f"target_bias_{i}": np.asarray(b) for i, b in enumerate(target.biases)}
    meta = meta.updated(versions=meta.versions or versions(), target_output_relu=bool(target.output_relu))
    out["meta"] = np.array(json.dumps(meta.to_json(), sort_keys=True, allow_nan=False))
    atomic_write(path, lambda fh: np.savez_compressed(fh, **out))
    return path


def read_dense_ticket(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Ticket:
    """Read a dense ticket written by :meth:`Ticket.save`: array headers are checked before any data is
    read (:func:`slt_check.io.npz_io.load_npz`, ``ValueError`` above ``max_bytes``, default
    :func:`slt_check.runtime.memory.limit`), the arrays must be the documented ones and the stored
    ticket must be ``G ⊙ mask`` bit for bit (:meth:`Ticket.validate`). Whether ``G`` is the construction's
    is not checked here: read files with :func:`slt_check.pipeline.verify.load_ticket`, which does both."""
    path = Path(path)
    limit = memory.limit() if max_bytes is None else int(max_bytes)
    data = load_npz(path, what="ticket", max_bytes=limit)
    meta = _meta_of(data, path)

    def _seq(prefix: str) -> list[np.ndarray]:
        out, k = [], 0
        while f"{prefix}_{k}" in data:
            out.append(data[f"{prefix}_{k}"])
            k += 1
        return out

    target_w, G_w, masks, stored = _seq("target"), _seq("G"), _seq("mask"), _seq("ticket")
    if not target_w or not G_w or len(masks) != len(G_w) or len(stored) != len(G_w):
        raise ValueError(
            f"{path}: need target_*, G_*, mask_* and ticket_* arrays with one mask and ticket "
            f"per G layer; found {len(target_w)} target, {len(G_w)} G, {len(masks)} mask, "
            f"{len(stored)} ticket arrays"
        )
    expected = {"meta"} | {f"target_{i}" for i in range(len(target_w))} | {
        f"{p}_{k}" for p in ("G", "mask", "ticket") for k in range(len(G_w))}
    aff = meta.affine
    bias_names = {f"target_bias_{i}" for i in range(len(target_w))} | {"G_bias_0", "mask_bias_0", "ticket_bias_0"}
    if aff is not None:
        expected |= bias_names
    elif set(data) & bias_names:
        raise ValueError(f"{path}: has bias arrays but no meta['affine'] (the record of the constant-input reduction)")
    if set(data) != expected:
        missing = sorted(expected - set(data))
        raise ValueError(f"{path}: unexpected arrays {sorted(set(data) - expected)}" + (
            f", missing {missing}" if missing else "") + " (a gap in the numbering?)")
    relu = _flag(meta, "target_output_relu")
    if aff is None:
        target = ReLUNet(target_w, output_relu=relu)
    else:
        d = aff.n_in
        for name in ("G", "mask", "ticket"):
            a, b = data[f"{name}_0"], data[f"{name}_bias_0"]
            if a.ndim != 2 or a.shape[1] != d or b.shape != (a.shape[0],) or a.dtype != b.dtype:
                raise ValueError(f"{path}: {name}_0 {a.shape} and {name}_bias_0 {b.shape} are not ({{n}}, n_in = {d}) "
                                 "and ({n},) arrays of one dtype")
        if target_w[0].ndim != 2 or target_w[0].shape[1] != d:
            raise ValueError(f"{path}: target_0 must have n_in = {d} columns (meta['affine']['n_in'])")
        original = ReLUNet(target_w, output_relu=relu, biases=[data[f"target_bias_{i}"] for i in range(len(target_w))])
        target = augment(original)
        G_w[0] = np.concatenate([G_w[0], data["G_bias_0"][:, None]], axis=1)
        masks[0] = np.concatenate([masks[0], data["mask_bias_0"][:, None]], axis=1)
        stored[0] = np.concatenate([stored[0], data["ticket_bias_0"][:, None]], axis=1)
    G = ReLUNet(G_w, output_relu=_flag(meta, "G_output_relu"))
    ticket = Ticket(G, [np.asarray(m) for m in masks], target, meta)
    ticket.validate()
    for k, w in enumerate(stored):
        if w.shape != ticket.weights[k].shape or not np.array_equal(_bits(w), _bits(ticket.weights[k])):
            what = f"ticket_{k}" + (" / ticket_bias_0" if k == 0 and aff is not None else "")
            raise ValueError(f"{path}: {what} differs from G ⊙ mask; the file is corrupt")
    return ticket


def _meta_of(data: dict[str, np.ndarray], path: Path) -> TicketMeta:
    """The record of the JSON object stored as ``meta`` (:meth:`TicketMeta.from_json`; ``ValueError``
    if absent, not JSON, not an object or not a valid record)."""
    if "meta" not in data:
        raise ValueError(f"{path}: missing 'meta'; not a slt_check ticket file")
    meta = loads_json(str(data["meta"]), f"{path}: 'meta'")
    if not isinstance(meta, dict):
        raise ValueError(f"{path}: 'meta' must be a JSON object, got {type(meta).__name__}")
    try:
        return TicketMeta.from_json(meta)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _flag(meta: TicketMeta, key: str) -> bool:
    """The recorded output ReLU flag ``key`` (default: the problem's ``output_relu``)."""
    v = getattr(meta, key)
    return meta.problem.output_relu if v is None else bool(v)
