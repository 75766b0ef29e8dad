"""Sampling the random source network ``G`` (depth ``2l``) from a seed, block by block.

``G`` is drawn **before and independently of the target**: its law and shape depend only on the
declared architecture (widths), bounds (``w_max``, ``x_max``), ``ε``, ``δ`` and the seed — never on
target weight values.

Layout [RECON §3.4] for target layer ``i`` (``a = n_{i−1}`` inputs, ``b = n_i`` outputs, ``N``
samples): ``G`` layer ``2i−2`` is ``A`` (``m × a``), ``G`` layer ``2i−1`` is ``B`` (``b × m``).

* ``sharing="per_weight"``: ``m = a·b·N``; group ``g = o·a + j`` (target weight ``(o, j)``) owns
  intermediate neurons ``h ∈ [gN, (g+1)N)``; only ``A[h, j]`` and ``B[o, h]`` can survive the mask.
* ``sharing="per_input"``: ``m = a·N``; block ``j`` owns ``h ∈ [jN, (j+1)N)``, shared by every
  output ``o``: ``A[h, j]`` and all of ``B[:, h]`` can survive.

**Counter-based streams.** Every block of entries is drawn from its own generator
``default_rng(SeedSequence(seed, spawn_key=(layer, block, part)))``. The entries a mask may keep
(``part = 0, 2, 3, …``) and the entries that are always pruned (``part = 1``) come from different
streams, so a lazy sampler that generates only the usable entries reproduces exactly the same values
as the dense ``G`` (the streams are independent, so the joint law is that of i.i.d. entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from slt_check.core.bounds import g_widths
from slt_check.core.nets import ReLUNet
from slt_check.sources.layout import LAYOUTS, Layout, layout_for

__all__ = ["SourceSpec", "block_rng", "sample_source", "usable_entries"]

SHARINGS = tuple(LAYOUTS)


def block_rng(seed: int, *key: int) -> np.random.Generator:
    """The generator of one block of ``G``: ``SeedSequence(seed, spawn_key=key)``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)))


@dataclass(frozen=True)
class SourceSpec:
    """Everything ``G`` depends on: target widths, samples per group/block, sharing, law, seed."""

    widths: tuple[int, ...]
    n_samples: int
    sharing: str
    law: Any
    seed: int
    output_relu: bool = False

    def __post_init__(self) -> None:
        if self.sharing not in SHARINGS:
            raise ValueError(f"sharing: expected one of {SHARINGS}, got {self.sharing!r}")
        if int(self.n_samples) < 1:
            raise ValueError(f"n_samples: need at least one sampled neuron, got {self.n_samples}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed: need a non-negative integer, got {self.seed!r}")

    @property
    def g_widths(self) -> tuple[int, ...]:
        return g_widths(self.widths, self.n_samples, self.sharing)

    @property
    def layout(self) -> Layout:
        """Where each entry of ``G`` comes from (:mod:`slt_check.sources.layout`)."""
        return layout_for(self.widths, self.n_samples, self.sharing)


def _layer_pair(spec: SourceSpec, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense ``A`` (layer ``2t``) and ``B`` (layer ``2t+1``) for target layer ``t+1``."""
    return spec.layout.fill_dense(t, lambda key, shape: spec.law.sample(block_rng(spec.seed, *key), shape))


def sample_source(spec: SourceSpec) -> ReLUNet:
    """Draw the dense ``G`` (depth ``2l``, float64) of ``spec``; see the module doc for the layout."""
    weights: list[np.ndarray] = []
    for t in range(len(spec.widths) - 1):
        A, B = _layer_pair(spec, t)
        weights += [A, B]
    return ReLUNet(weights, output_relu=spec.output_relu)


def usable_entries(
    spec: SourceSpec, t: int, G_A: np.ndarray, G_B: np.ndarray, outputs: Sequence[int] | None = None
) -> dict[str, np.ndarray]:
    """Candidate factors of target layer ``t+1``: for every target weight ``(o, j)`` the ``N``
    neurons that may simulate it (:meth:`Layout.owners`), as arrays of shape ``(len(outputs), a, N)``:
    ``rows`` (intermediate neuron index ``h``), ``a`` (= ``A[h, j]``), ``b`` (= ``B[o, h]``)."""
    a, b = spec.widths[t], spec.widths[t + 1]
    outs = np.arange(b) if outputs is None else np.asarray(outputs, dtype=np.int64)
    j = np.arange(a)
    rows = spec.layout.owners(t, outs, j)
    cand_a = G_A[rows, np.broadcast_to(j[None, :, None], rows.shape)]
    cand_b = G_B[np.broadcast_to(outs[:, None, None], rows.shape), rows]
    return {"rows": np.ascontiguousarray(rows), "a": cand_a, "b": cand_b}
