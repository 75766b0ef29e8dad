"""A ticket that stores only the kept entries of ``G`` (for sources too large to materialise).

A :class:`CompactTicket` holds the :class:`~slt_check.sources.source.SourceSpec` of ``G`` (seed, law,
shapes — everything ``G`` is a function of) and, per ``G`` layer ``k``, the kept entries as COO
arrays ``rows_k``, ``cols_k``, ``vals_k``. The ticket invariant "weights = G ⊙ mask, bit for bit"
becomes: every kept entry is a usable entry of ``G`` and its value equals the value regenerated
from its counter-based stream (:meth:`CompactTicket.validate`, see :mod:`slt_check.sources.lazy`).

It duck-types what :func:`slt_check.certificates.sup_error.sup_error`, the CLI and :mod:`slt_check.io.torch_io` use:
``weights`` (CSR matrices over the *live* intermediate neurons only — dropping neurons with no kept
entry removes exact zero terms, the function is unchanged), ``meta`` (``stages``, ``x_max``, ``eps``),
``network()``, ``G`` (a light :class:`SourceShape`: ``n_in``, ``n_out``, ``widths``, ``depth``,
``n_params``), ``target``, ``ok``, ``sizes()``, ``to_torch()``, ``save()``.

File format (``.npz``, compressed; ``meta["format"] == "slt_check.compact_ticket/1"``):

* ``target_0 … target_{l−1}``: target weights ``(n_i, n_{i−1})`` float64;
* ``rows_k``, ``cols_k`` (int64) and ``vals_k`` (float64), ``k = 0 … 2l−1``: kept entries
  ``G_k[rows, cols] = vals`` in ``G``'s own indexing;
* ``meta``: JSON — the ticket metadata plus ``"source"``: ``widths``, ``n_samples``, ``sharing``,
  ``law`` (``law_params``), ``seed``, ``output_relu``, ``G_widths``.

A ticket of a **biased target** (``meta["affine"]``, :mod:`slt_check.core.affine`) holds the entries of
the reduced ``G`` on ``[x; 1]`` in memory; its file keeps the biased view: ``target_k`` are the
target's weights and ``target_bias_k`` its biases, ``rows_0, cols_0, vals_0`` the kept first-layer
entries on ``x`` and ``bias_rows_0``, ``bias_vals_0`` the kept entries on the constant input (column
``n_0`` of ``G``'s first layer: the ticket's first-layer biases), regenerated from ``G``'s streams like
every other kept entry. A file without them reads as a bias-free ticket.

:func:`slt_check.pipeline.verify.load_ticket` reads and verifies either this format or a dense
:class:`~slt_check.tickets.ticket.Ticket` file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.core.affine import augment
from slt_check.core.laws import make_law
from slt_check.core.nets import ReLUNet, Shaped
from slt_check.io.npz_io import load_npz
from slt_check.io.torch_io import ticket_to_torch
from slt_check.runtime import memory
from slt_check.sources.lazy import regenerate_entries
from slt_check.sources.source import SourceSpec
from slt_check.tickets.meta import TicketMeta
from slt_check.tickets.ticket import (
    _affine,
    _flag,
    _meta_of,
    _network_on_x,
    _original_target,
    _saved_meta,
    check_meta_type,
    save_ticket_npz,
    size_summary,
)

__all__ = ["CompactTicket", "SourceShape", "BatchedReLUNet", "read_compact_ticket", "read_ticket_meta", "FORMAT"]

FORMAT = "slt_check.compact_ticket/1"


@dataclass(frozen=True)
class SourceShape(Shaped):
    """The shape facts of ``G`` that callers need (``n_in``, ``n_out``, ``depth``, ``n_params`` from
    :class:`~slt_check.core.nets.Shaped`), without its weights."""

    widths: tuple[int, ...]
    output_relu: bool = False


class BatchedReLUNet(ReLUNet):
    """A :class:`ReLUNet` evaluated on row batches, so that a wide sparse hidden layer (millions of
    kept neurons) never holds more than ``max_floats`` activations at once. Same values as
    :meth:`ReLUNet.forward` (each row is computed independently)."""

    max_floats: int = 30_000_000

    def forward(self, x: np.ndarray, *, return_pre: bool = False) -> Any:
        X = self._check_input(x)
        step = max(1, self.max_floats // max(self.widths))
        if return_pre or len(X) <= step:
            return super().forward(X, return_pre=return_pre)
        parts = []
        for i in range(0, len(X), step):
            parts.append(super().forward(X[i : i + step]))
        return np.concatenate(parts)


def spec_to_dict(spec: SourceSpec) -> dict[str, Any]:
    return {
        "widths": list(spec.widths),
        "n_samples": int(spec.n_samples),
        "sharing": spec.sharing,
        "law": spec.law.params(),
        "seed": int(spec.seed),
        "output_relu": bool(spec.output_relu),
        "G_widths": list(spec.g_widths),
    }


def spec_from_dict(d: dict[str, Any]) -> SourceSpec:
    law = dict(d["law"])
    name = law.pop("law")
    return SourceSpec(
        widths=tuple(int(n) for n in d["widths"]),
        n_samples=int(d["n_samples"]),
        sharing=str(d["sharing"]),
        law=make_law(name, **law),
        seed=int(d["seed"]),
        output_relu=bool(d.get("output_relu", False)),
    )


class CompactTicket:
    """Kept entries of a lazily sampled ``G`` + its spec + the target (see the module docstring).

    Parameters
    ----------
    spec: the source spec (seed, law, shapes) the entries were drawn from.
    entries: per ``G`` layer a dict of ``rows``, ``cols`` (int) and ``vals`` (float64) arrays.
    target: the target network.
    meta: the typed record (:class:`~slt_check.tickets.meta.TicketMeta`: construction, problem,
        seed, stages, …), or ``None``.
    """

    def __init__(
        self, spec: SourceSpec, entries: list[dict[str, np.ndarray]], target: ReLUNet,
        meta: TicketMeta | None = None,
    ) -> None:
        check_meta_type(meta)
        self.spec = spec
        self.target = target
        self.meta = meta
        self.G = SourceShape(tuple(spec.g_widths), bool(spec.output_relu))
        if len(entries) != self.G.depth:
            raise ValueError(f"entries: need one entry set per G layer ({self.G.depth}), got {len(entries)}")
        if self.G.n_in != target.n_in or self.G.n_out != target.n_out:
            raise ValueError(
                f"target: G maps {self.G.n_in} → {self.G.n_out} but the target maps "
                f"{target.n_in} → {target.n_out}"
            )
        self.entries = []
        for k, e in enumerate(entries):
            r = np.asarray(e["rows"], dtype=np.int64)
            c = np.asarray(e["cols"], dtype=np.int64)
            v = np.asarray(e["vals"], dtype=np.float64)
            if not (r.shape == c.shape == v.shape and r.ndim == 1):
                raise ValueError(f"entries[{k}]: rows, cols, vals must be 1-D arrays of one length")
            n_out, n_in = self.G.widths[k + 1], self.G.widths[k]
            if r.size and (r.min() < 0 or r.max() >= n_out or c.min() < 0 or c.max() >= n_in):
                raise ValueError(f"entries[{k}]: indices outside G layer shape ({n_out}, {n_in})")
            self.entries.append({"rows": r, "cols": c, "vals": v})
        self.weights = self._live_weights()
        self.jobs = 1  # worker processes used by validate() when not given
        self.certify_options: dict[str, Any] = {}  # the search's effort (certify.sup_error defaults)

    # ------------------------------------------------------------------ structure
    def _live_weights(self) -> list[sp.csr_matrix]:
        """CSR weights over live neurons: intermediate ``G`` neurons with a kept entry, relabelled. The
        neurons that end a pair stage (even layers: one per target neuron) are all kept, even those with
        no kept entry (they output 0), so that stage ``i``'s outputs stay target layer ``i``'s neurons."""
        L = self.G.depth
        live: list[np.ndarray] = [np.arange(self.G.widths[0])]
        for k in range(1, L):
            live.append(np.arange(self.G.widths[k]) if k % 2 == 0
                        else np.union1d(self.entries[k - 1]["rows"], self.entries[k]["cols"]))
        live.append(np.arange(self.G.widths[-1]))
        ws = []
        for k, e in enumerate(self.entries):
            r = np.searchsorted(live[k + 1], e["rows"])
            c = np.searchsorted(live[k], e["cols"])
            ws.append(sp.csr_matrix((e["vals"], (r, c)), shape=(len(live[k + 1]), len(live[k]))))
        self.live = live
        return ws

    @property
    def ok(self) -> bool:
        return self.meta is not None and self.meta.success is True

    @property
    def n_kept(self) -> int:
        return int(sum(len(e["vals"]) for e in self.entries))

    def network(self, compact: bool = True) -> BatchedReLUNet:
        """``Ĝ`` over its live neurons (sparse CSR, batched evaluation); ``compact`` is accepted for
        compatibility with :meth:`Ticket.network` — the compact form is the only one."""
        return BatchedReLUNet(list(self.weights), output_relu=self.target.output_relu)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.network()(x)

    def network_on_x(self, compact: bool = True) -> ReLUNet:
        """As :meth:`slt_check.tickets.ticket.Ticket.network_on_x` (first-layer biases for a biased target)."""
        return _network_on_x(self, self.network(compact))

    def original_target(self) -> ReLUNet:
        """The target as given (with its biases)."""
        return _original_target(self)

    def to_torch(self, compact: bool | None = None, dtype: Any = None) -> Any:
        """The live neurons' kept weights as a torch ``nn.Sequential`` in ``dtype`` (``compact`` is
        ignored: there is no dense ``G``); ``dtype`` as in :meth:`slt_check.tickets.ticket.Ticket.to_torch`
        (float64 by default; float32 is not covered by the certificate)."""
        return ticket_to_torch(self, compact=True, dtype=dtype)

    def sizes(self) -> dict[str, Any]:
        """The same keys as :meth:`slt_check.tickets.ticket.Ticket.sizes`."""
        kept_neurons = int(sum(len(np.unique(e["rows"])) for e in self.entries[:-1])) + self.G.n_out
        return size_summary(self.target, self.G.widths, self.G.n_params, self.n_kept, kept_neurons)

    # ------------------------------------------------------------------ checks
    def validate(self, *, jobs: int | None = None, max_bytes: int | None = None) -> None:
        """``ValueError`` unless every kept entry is regenerated bit for bit from the stream of the
        recorded spec of ``G`` (:meth:`validate_entries`). Whether that spec is the one its construction
        samples for the recorded problem and seed is :func:`slt_check.pipeline.verify.verify_ticket`."""
        self.validate_entries(jobs=jobs)

    def validate_entries(self, *, jobs: int | None = None, progress: bool | None = None) -> None:
        """``ValueError`` unless every kept entry is a usable entry of ``G``, appears once, and its
        value equals (bit for bit) the value regenerated from its stream — i.e. the ticket only
        prunes the ``G`` of :attr:`spec`."""
        jobs = self.jobs if jobs is None else int(jobs)
        for k, e in enumerate(self.entries):
            key = np.sort(e["rows"] * self.G.widths[k] + e["cols"])  # (np.unique: ~20× slower on 8·10⁶ keys)
            if np.any(key[1:] == key[:-1]):
                raise ValueError(f"G layer {k}: a kept entry appears twice")
            ref = regenerate_entries(self.spec, k, e["rows"], e["cols"], jobs=jobs, progress=progress)
            same = np.ascontiguousarray(ref).view(np.uint64) == np.ascontiguousarray(e["vals"]).view(np.uint64)
            if not same.all():
                i = int(np.argmin(same))
                raise ValueError(
                    f"G layer {k}: kept entry ({e['rows'][i]}, {e['cols'][i]}) = {e['vals'][i]!r} differs "
                    f"from G's value {ref[i]!r} regenerated from seed {self.spec.seed}; a ticket may "
                    "only prune G"
                )

    # ------------------------------------------------------------------ I/O
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the compact ``.npz`` of the module docstring (atomically)."""
        arrays: dict[str, np.ndarray] = {}
        for k, e in enumerate(self.entries):
            arrays[f"rows_{k}"], arrays[f"cols_{k}"], arrays[f"vals_{k}"] = e["rows"], e["cols"], e["vals"]
        aff = _affine(self)
        if aff is not None:  # the kept entries on the constant input (column n_in) apart
            const = arrays["cols_0"] == aff.n_in
            arrays["bias_rows_0"], arrays["bias_vals_0"] = arrays["rows_0"][const], arrays["vals_0"][const]
            for name in ("rows", "cols", "vals"):
                arrays[f"{name}_0"] = arrays[f"{name}_0"][~const]
        meta = _saved_meta(self).updated(format=FORMAT, source=spec_to_dict(self.spec))
        return save_ticket_npz(path, _original_target(self), arrays, meta)


def _read_npz(path: Path, meta_only: bool = False, max_bytes: int | None = None
              ) -> tuple[dict[str, np.ndarray], TicketMeta]:
    limit = memory.limit() if max_bytes is None else int(max_bytes)
    data = load_npz(path, what="ticket", max_bytes=limit, names={"meta"} if meta_only else None)
    return data, _meta_of(data, path)


def spec_from_meta(meta: TicketMeta, path: Path) -> SourceSpec:
    """:func:`spec_from_dict` of ``meta.source`` with a ``ValueError`` for a malformed one."""
    src = meta.source
    if not isinstance(src, dict):
        raise ValueError(f"{path}: meta['source'] (the spec of G) is missing or not an object")
    try:
        if not isinstance(src.get("law"), dict) or not isinstance(src["law"].get("law"), str):
            raise TypeError("law must be an object with a 'law' name")
        for key in ("n_samples", "seed"):
            if not isinstance(src.get(key), int) or isinstance(src.get(key), bool):
                raise TypeError(f"{key} must be an integer")
        widths = src.get("widths")
        if not isinstance(widths, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                                   for n in widths):
            raise TypeError("widths must be a list of positive integers")
        return spec_from_dict(src)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: meta['source'] is not a valid spec of G ({type(exc).__name__}: {exc})") from None


def read_ticket_meta(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> TicketMeta:
    """The ``meta`` record of a ticket file of either format, read without loading any other array."""
    return _read_npz(Path(path), meta_only=True, max_bytes=max_bytes)[1]


def read_compact_ticket(
    path: str | os.PathLike[str], *, jobs: int = 1, max_bytes: int | None = None
) -> CompactTicket:
    """Read a file written by :meth:`CompactTicket.save` (``ValueError`` if corrupt; array headers are
    checked against ``max_bytes`` first). The kept entries are not regenerated here and the spec of
    ``G`` is not compared with the construction's: :func:`slt_check.pipeline.verify.load_ticket` does both."""
    path = Path(path)
    if int(jobs) < 1:
        raise ValueError(f"jobs: need at least one worker, got {jobs}")
    data, meta = _read_npz(path, max_bytes=max_bytes)
    if meta.format != FORMAT:
        raise ValueError(f"{path}: not a compact ticket (format {meta.format!r}, expected {FORMAT!r})")
    spec = spec_from_meta(meta, path)
    n_kept = sum(int(a.size) for k, a in data.items() if k.startswith(("rows_", "bias_rows_")))
    need = memory.compact_read_bytes(spec.g_widths, n_kept)
    limit = memory.limit() if max_bytes is None else int(max_bytes)
    if need > limit:  # the file's own declaration: a refused ticket, not a wrong argument
        raise ValueError(f"{path}: its G of widths {list(spec.g_widths)[:6]} needs about {memory.format_size(need)} "
                         f"to index, more than the memory limit of {memory.format_size(limit)}; the file is refused")
    n_t = len(spec.widths) - 1
    aff = meta.affine
    expected = {"meta"} | {f"target_{i}" for i in range(n_t)} | {
        f"{p}_{k}" for p in ("rows", "cols", "vals") for k in range(2 * n_t)}
    if aff is not None:
        expected |= {f"target_bias_{i}" for i in range(n_t)} | {"bias_rows_0", "bias_vals_0"}
    if set(data) != expected:
        missing, extra = sorted(expected - set(data)), sorted(set(data) - expected)
        raise ValueError(f"{path}: arrays do not match the spec of G (missing {missing}, unexpected {extra})")
    for k in range(2 * n_t):
        for name, kind in (("rows", "iu"), ("cols", "iu"), ("vals", "f")):
            if data[f"{name}_{k}"].dtype.kind not in kind:
                raise ValueError(f"{path}: {name}_{k} has dtype {data[f'{name}_{k}'].dtype}")
    if aff is not None:
        for name, kind in (("bias_rows_0", "iu"), ("bias_vals_0", "f")):
            if data[name].dtype.kind not in kind or data[name].ndim != 1:
                raise ValueError(f"{path}: {name} has dtype {data[name].dtype} / shape {data[name].shape}")
    relu = _flag(meta, "target_output_relu")
    tw = [data[f"target_{i}"] for i in range(n_t)]
    if aff is None:
        target = ReLUNet(tw, output_relu=relu)
    else:
        if tw[0].ndim != 2 or tw[0].shape[1] != aff.n_in:
            raise ValueError(f"{path}: target_0 must have n_in = {aff.n_in} columns (meta['affine']['n_in'])")
        target = augment(ReLUNet(tw, output_relu=relu, biases=[data[f"target_bias_{i}"] for i in range(n_t)]))
    entries = [
        {"rows": data[f"rows_{k}"], "cols": data[f"cols_{k}"], "vals": data[f"vals_{k}"]}
        for k in range(2 * n_t)
    ]
    if aff is not None:
        if entries[0]["cols"].size and int(entries[0]["cols"].max()) >= aff.n_in:
            raise ValueError(f"{path}: cols_0 names the constant input; its entries belong in bias_rows_0, bias_vals_0")
        br = data["bias_rows_0"]
        entries[0] = {"rows": np.concatenate([entries[0]["rows"], br]),
                      "cols": np.concatenate([entries[0]["cols"], np.full(br.shape, aff.n_in, dtype=np.int64)]),
                      "vals": np.concatenate([entries[0]["vals"], data["bias_vals_0"]])}
    ticket = CompactTicket(spec, entries, target, meta)
    ticket.jobs = int(jobs)
    return ticket
