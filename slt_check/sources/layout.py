"""Where every entry of a depth-``2l`` source ``G`` comes from: one :class:`Layout` per sharing scheme.

For target layer ``t+1`` (``a = n_t`` inputs, ``b = n_{t+1}`` outputs, ``N`` samples) ``G`` has an
``A`` layer (``2t``, shape ``m × a``) and a ``B`` layer (``2t+1``, shape ``b × m``). Target weight
``(o, j)`` may be simulated by ``N`` intermediate neurons ``h = owner(o, j, s)``, ``s = 0…N−1``; only
``A[h, j]`` and ``B[o, h]`` of those neurons can survive a mask (the *usable* entries). Every block of
entries is drawn from its own counter-based stream ``(layer, block, part)``
(:func:`slt_check.sources.source.block_rng`): usable entries from parts ``0`` (``A``) and ``0`` or ``2+o``
(``B``), always-pruned ones from part ``1``.

=============  ==========  ======================  ======================  ==========================
sharing        ``m``       ``owner(o, j, s)``      ``A[h, j]`` stream      ``B[o, h]`` stream
=============  ==========  ======================  ======================  ==========================
``per_weight`` ``a·b·N``   ``(o·a + j)·N + s``     ``(2t, o·a+j, 0)``      ``(2t+1, o·a+j, 0)``
``per_input``  ``a·N``     ``j·N + s``             ``(2t, j, 0)``          ``(2t+1, j, 2+o)``
=============  ==========  ======================  ======================  ==========================

The dense sampler (:func:`slt_check.sources.source.sample_source`), the candidates handed to a selection
rule (dense :func:`~slt_check.sources.source.usable_entries`, lazy :func:`~slt_check.sources.lazy.lazy_candidates`)
and the regeneration of a compact ticket's kept entries (:func:`~slt_check.sources.lazy.stream_keys`) all
read these keys from here, so they cannot disagree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

__all__ = ["Layout", "PerWeight", "PerInput", "LAYOUTS", "layout_for"]


class Layout(ABC):
    """The stream keys and neuron ownership of one sharing scheme (see the module docstring)."""

    sharing: str

    def __init__(self, widths: tuple[int, ...], n_samples: int) -> None:
        self.widths = tuple(int(n) for n in widths)
        self.N = int(n_samples)

    def shape(self, t: int) -> tuple[int, int, int]:
        """``(a, b, N)`` of target layer ``t+1``."""
        return self.widths[t], self.widths[t + 1], self.N

    @abstractmethod
    def hidden(self, t: int) -> int:
        """Intermediate neurons ``m`` of target layer ``t+1``."""

    @abstractmethod
    def group(self, t: int, o: Any, j: Any) -> Any:
        """The block index owning the candidates of weight ``(o, j)`` (arrays broadcast)."""

    def owners(self, t: int, outs: np.ndarray, js: np.ndarray) -> np.ndarray:
        """``h`` of every candidate: shape ``(len(outs), len(js), N)``."""
        g = self.group(t, np.asarray(outs)[:, None], np.asarray(js)[None, :])
        g = np.broadcast_to(g, (len(outs), len(js)))
        return g[:, :, None] * self.N + np.arange(self.N)[None, None, :]

    def a_key(self, t: int, o: int, j: int) -> tuple[int, int, int]:
        """Stream of the ``N`` usable ``A[h, j]`` of weight ``(o, j)``."""
        return (2 * t, int(self.group(t, o, j)), 0)

    @abstractmethod
    def b_key(self, t: int, o: int, j: int) -> tuple[int, int, int]:
        """Stream of the ``N`` usable ``B[o, h]`` of weight ``(o, j)``."""

    def a_shared_by_outputs(self) -> bool:
        """Whether ``A``'s usable streams are the same for every output (then worth caching)."""
        return False

    @abstractmethod
    def fill_dense(self, t: int, draw: Any) -> tuple[np.ndarray, np.ndarray]:
        """Dense ``A`` and ``B`` of target layer ``t+1``; ``draw(key, shape)`` samples a stream."""

    @abstractmethod
    def entry_keys(self, k: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
        """For entries ``(rows, cols)`` of ``G`` layer ``k``: ``(block, part, s, usable)``."""


class PerWeight(Layout):
    """Every target weight ``(o, j)`` owns its own group of ``N`` intermediate neurons."""

    sharing = "per_weight"

    def hidden(self, t: int) -> int:
        a, b, N = self.shape(t)
        return a * b * N

    def group(self, t: int, o: Any, j: Any) -> Any:
        return o * self.widths[t] + j

    def b_key(self, t: int, o: int, j: int) -> tuple[int, int, int]:
        return (2 * t + 1, int(self.group(t, o, j)), 0)

    def fill_dense(self, t: int, draw: Any) -> tuple[np.ndarray, np.ndarray]:
        a, b, N = self.shape(t)
        m = self.hidden(t)
        A, B = np.empty((m, a)), np.empty((b, m))
        others_in, others_out = np.arange(a), np.arange(b)
        for o in range(b):
            for j in range(a):
                g = int(self.group(t, o, j))
                rows = slice(g * N, (g + 1) * N)
                A[rows, j] = draw(self.a_key(t, o, j), N)
                B[o, rows] = draw(self.b_key(t, o, j), N)
                if a > 1:
                    A[rows, others_in != j] = draw((2 * t, g, 1), (N, a - 1))
                if b > 1:
                    B[others_out != o, rows] = draw((2 * t + 1, g, 1), (b - 1, N))
        return A, B

    def entry_keys(self, k: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
        t, is_B = divmod(k, 2)
        a, b, N = self.shape(t)
        h, other = (cols, rows) if is_B else (rows, cols)
        blk, s = np.divmod(h, N)
        usable = (blk // a == other) if is_B else (blk % a == other)
        in_range = (blk < a * b) & (other < (b if is_B else a)) & (h >= 0) & (other >= 0)
        return blk, np.zeros_like(blk), s, usable & in_range


class PerInput(Layout):
    """Every input neuron ``j`` owns one block of ``N`` neurons, shared by its outgoing weights."""

    sharing = "per_input"

    def hidden(self, t: int) -> int:
        a, _, N = self.shape(t)
        return a * N

    def group(self, t: int, o: Any, j: Any) -> Any:
        return j + 0 * o

    def b_key(self, t: int, o: int, j: int) -> tuple[int, int, int]:
        return (2 * t + 1, int(j), 2 + int(o))

    def a_shared_by_outputs(self) -> bool:
        return True

    def fill_dense(self, t: int, draw: Any) -> tuple[np.ndarray, np.ndarray]:
        a, b, N = self.shape(t)
        m = self.hidden(t)
        A, B = np.empty((m, a)), np.empty((b, m))
        others_in = np.arange(a)
        for j in range(a):
            rows = slice(j * N, (j + 1) * N)
            A[rows, j] = draw(self.a_key(t, 0, j), N)
            if a > 1:
                A[rows, others_in != j] = draw((2 * t, j, 1), (N, a - 1))
            for o in range(b):
                B[o, rows] = draw(self.b_key(t, o, j), N)
        return A, B

    def entry_keys(self, k: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
        t, is_B = divmod(k, 2)
        a, b, N = self.shape(t)
        h, other = (cols, rows) if is_B else (rows, cols)
        blk, s = np.divmod(h, N)
        usable = np.ones(len(h), dtype=bool) if is_B else (blk == other)
        part = 2 + other if is_B else np.zeros_like(blk)
        in_range = (blk < a) & (other < (b if is_B else a)) & (h >= 0) & (other >= 0)
        return blk, part, s, usable & in_range


LAYOUTS: dict[str, type[Layout]] = {"per_weight": PerWeight, "per_input": PerInput}
"""The sharing schemes by name."""


def layout_for(widths: tuple[int, ...], n_samples: int, sharing: str) -> Layout:
    """The :class:`Layout` of ``sharing`` (``ValueError`` for an unknown scheme)."""
    if sharing not in LAYOUTS:
        raise ValueError(f"sharing: expected one of {tuple(LAYOUTS)}, got {sharing!r}")
    return LAYOUTS[sharing](widths, n_samples)
