"""The random source ``G`` of the convolutional 2L constructions, generated lazily by patch column.

Layout (da Cunha, Natale & Viennot 2022, as we read it; docs/cnn.md). Weighted target layer ``t``
(a ``Conv2d(c_in, c_out, k, padding p)`` or a ``Linear``) with ``P_t`` patch columns ``q``
(``q = c·k² + i·k + j``; one more, ``q = P_t``, for the bias when the layer has one) becomes two
``G`` layers:

* ``A_t``: ``Conv2d(c_in, (P_t + β) N, k, padding p)`` (``Linear(n_in, (P_t + β) N)`` for a linear
  layer; ``β = 1`` with a bias) with a bias vector. Channel ``h = q·N + s`` (``s < N``) is owned by
  column ``q``: its usable entry is the kernel entry at column ``q`` (``A[h, c, i, j]``), or, for the
  bias column, the channel's bias ``A_bias[h]`` (then ``σ(A_bias[h])`` is a constant channel);
* ``ReLU``;
* ``B_t``: ``Conv2d((P_t + β) N, c_out, 1)`` (``Linear`` for a linear layer), every entry usable.

The same ``G`` entries serve every spatial position (weight sharing), so ``G``'s size is per kernel
parameter, not per pixel. Usable entries come from counter-based streams, one per column:
``a_q[s] = law.sample(block_rng(seed, 2t, q, 0), N)[s]`` and ``b_q[s, o] =
law.sample(block_rng(seed, 2t + 1, q, 0), (N, c_out))[s, o]``; the always-pruned entries of ``A_t``
belong to the streams ``part = 1`` and are never generated. Both laws draw *nested* samples, so the
first ``L`` samples of a stream do not depend on ``N``: a selection can read a prefix and a checker
can regenerate any kept entry from its stream alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from slt_check.sources.source import block_rng

__all__ = ["ConvSourceSpec", "column_candidates"]


@dataclass(frozen=True)
class ConvSourceSpec:
    """What ``G`` depends on: per weighted layer the columns ``P_t + β_t`` and outputs, ``N``, law, seed."""

    columns: tuple[int, ...]
    outputs: tuple[int, ...]
    n_samples: int
    law: Any
    seed: int

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.outputs) or not self.columns:
            raise ValueError("columns, outputs: one entry per weighted layer")
        if int(self.n_samples) < 1:
            raise ValueError(f"n_samples: need at least one sample per column, got {self.n_samples}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed: need a non-negative integer, got {self.seed!r}")

    def g_params(self, kernel_sizes: Sequence[int]) -> int:
        """Dense parameters of ``G`` (``A`` kernels and biases, ``B`` weights)."""
        total = 0
        for P, o, kk in zip(self.columns, self.outputs, kernel_sizes, strict=True):
            ch = P * self.n_samples
            total += ch * kk + ch + ch * o
        return int(total)


def column_candidates(spec: ConvSourceSpec, t: int, qs: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``L`` samples of columns ``qs`` of layer ``t``: ``a`` ``(len(qs), L)`` and
    ``b`` ``(len(qs), L, c_out)`` (module doc; ``L ≤ N``)."""
    L = int(min(L, spec.n_samples))
    o = spec.outputs[t]
    a = np.empty((len(qs), L))
    b = np.empty((len(qs), L, o))
    for i, q in enumerate(np.asarray(qs, dtype=np.int64)):
        a[i] = spec.law.sample(block_rng(spec.seed, 2 * t, int(q), 0), L)
        b[i] = spec.law.sample(block_rng(spec.seed, 2 * t + 1, int(q), 0), (L, o))
    return a, b
