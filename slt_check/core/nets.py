"""Float64 ReLU networks, bias-free or with optional biases.

A :class:`ReLUNet` with weights ``W_1 … W_l`` (``W_i`` of shape ``(n_i, n_{i-1})``) computes

    F(x) = W_l σ(W_{l-1} … σ(W_1 x))          (σ(z) = max(0, z) elementwise)

and, with biases ``b_1 … b_l`` (``b_i`` of length ``n_i``),

    F(x) = W_l σ(… σ(W_1 x + b_1) …) + b_l.

Constructions only ever see bias-free networks: a biased target is reduced to a bias-free one on
the input ``[x; 1]`` by :mod:`slt_check.core.affine` (docs/biases.md). Without biases (``biases=None``,
or all of them zero) every computation is the bias-free one, bit for bit.

with an extra σ on the output when ``output_relu=True`` (docs/reconstruction.md#setting: whether the
paper's last layer has a ReLU is not known, so both are supported; the error bounds are the same because σ
is 1-Lipschitz). Inputs are rows: ``net(X)`` takes ``X`` of shape ``(batch, n_0)``.

Weights may be dense ``numpy`` arrays or ``scipy.sparse`` matrices (used for the kept weights of
large tickets; the evaluation is the same sum without the exact zeros).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.core.validation import check_finite_array

__all__ = ["ReLUNet", "Shaped", "relu"]


def relu(z: np.ndarray) -> np.ndarray:
    """σ(z) = max(0, z), elementwise (returns a new array)."""
    return np.maximum(z, 0.0)


class Shaped:
    """Shape facts of a layered network from its ``widths = (n_0, …, n_L)`` alone (shared by
    :class:`ReLUNet` and the weight-less description of a lazily sampled ``G``)."""

    widths: tuple[int, ...]

    @property
    def depth(self) -> int:
        """Number of weight layers."""
        return len(self.widths) - 1

    @property
    def n_in(self) -> int:
        return self.widths[0]

    @property
    def n_out(self) -> int:
        return self.widths[-1]

    @property
    def n_params(self) -> int:
        """Number of weight entries (dense count, zeros included): ``Σ n_{k−1} n_k``."""
        return int(sum(a * b for a, b in zip(self.widths[:-1], self.widths[1:], strict=False)))


@dataclass
class ReLUNet(Shaped):
    """A ReLU network in float64, bias-free unless ``biases`` are given.

    Parameters
    ----------
    weights:
        ``[W_1, …, W_l]``, ``W_i`` of shape ``(n_i, n_{i-1})``; dense arrays are converted to
        float64, scipy sparse matrices to CSR float64.
    output_relu:
        apply σ to the output layer too (default: linear output).
    biases:
        ``None`` (no biases), or one entry per layer: ``None`` (zeros) or a finite real vector
        ``b_i`` of length ``n_i`` (converted to float64); ``forward`` computes ``W_i h + b_i``. When
        every entry is zero the network is bias-free (``biases`` becomes ``None``: a zero bias is
        no bias, and the evaluation stays the bias-free one bit for bit).
    """

    weights: list[Any]
    output_relu: bool = False
    biases: list[Any] | None = None
    widths: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        if len(self.weights) == 0:
            raise ValueError("weights: a network needs at least one layer; got an empty list")
        ws: list[Any] = []
        for k, w in enumerate(self.weights):
            if sp.issparse(w):
                w = sp.csr_matrix(w, dtype=np.float64)
                check_finite_array(w.data, f"weights[{k}]")
            else:
                raw = np.asarray(w)
                if raw.dtype.kind not in "biuf":
                    raise ValueError(
                        f"weights[{k}]: expected real numbers, got dtype {raw.dtype} (complex, text and object "
                        "arrays are refused, not converted)"
                    )
                w = np.asarray(raw, dtype=np.float64)
                if w.ndim != 2:
                    raise ValueError(
                        f"weights[{k}]: expected a 2-D (n_out, n_in) matrix, got shape {w.shape}"
                    )
                check_finite_array(w, f"weights[{k}]")
            if k > 0 and w.shape[1] != ws[-1].shape[0]:
                raise ValueError(
                    f"weights[{k}]: has {w.shape[1]} inputs but layer {k - 1} has "
                    f"{ws[-1].shape[0]} outputs; shapes must chain as (n_i, n_(i-1))"
                )
            ws.append(w)
        self.weights = ws
        self.widths = (ws[0].shape[1],) + tuple(w.shape[0] for w in ws)
        self.biases = self._checked_biases(self.biases)

    def _checked_biases(self, biases: Any) -> list[np.ndarray] | None:
        """``None`` or one float64 vector per layer (``ValueError`` for a wrong count, length, dtype
        or a non-finite entry); ``None`` when every bias is zero."""
        if biases is None:
            return None
        if isinstance(biases, np.ndarray) or not isinstance(biases, Sequence):
            raise ValueError(
                f"biases: expected a list with one vector (or None) per layer, got {type(biases).__name__}"
            )
        if len(biases) != self.depth:
            raise ValueError(f"biases: need one entry per layer ({self.depth}), got {len(biases)}")
        out: list[np.ndarray] = []
        for k, b in enumerate(biases):
            n = self.widths[k + 1]
            if b is None:
                out.append(np.zeros(n))
                continue
            raw = np.asarray(b)
            if raw.dtype.kind not in "biuf":
                raise ValueError(f"biases[{k}]: expected real numbers, got dtype {raw.dtype}")
            v = np.array(raw, dtype=np.float64)
            if v.shape != (n,):
                raise ValueError(
                    f"biases[{k}]: expected a vector of length n_{k + 1} = {n} (one per output of layer {k}), "
                    f"got shape {raw.shape}"
                )
            check_finite_array(v, f"biases[{k}]")
            out.append(v)
        return out if any(np.count_nonzero(b) for b in out) else None

    @property
    def has_biases(self) -> bool:
        """Whether some bias is non-zero (a network without biases has ``biases is None``)."""
        return self.biases is not None

    def bias_vectors(self) -> list[np.ndarray]:
        """The bias of every layer as a float64 vector (zeros when the network has none)."""
        if self.biases is None:
            return [np.zeros(n) for n in self.widths[1:]]
        return list(self.biases)

    @property
    def n_nonzero(self) -> int:
        """Number of non-zero weights."""
        return int(
            sum((w.count_nonzero() if sp.issparse(w) else np.count_nonzero(w)) for w in self.weights)
        )

    def hidden_neurons(self) -> int:
        """Neurons of the hidden layers plus the output layer (inputs not counted)."""
        return int(sum(self.widths[1:]))

    def _check_input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"x: expected shape (batch, {self.n_in}) (or ({self.n_in},)), got {x.shape}"
            )
        check_finite_array(x, "x")
        return x

    def forward(self, x: np.ndarray, *, return_pre: bool = False) -> Any:
        """Evaluate on rows of ``x``; with ``return_pre`` also return every pre-activation."""
        h = self._check_input(x)
        pres = []
        for k, w in enumerate(self.weights):
            z = np.asarray(w @ h.T).T if sp.issparse(w) else h @ w.T
            if self.biases is not None:
                z = z + self.biases[k]
            pres.append(z)
            last = k == len(self.weights) - 1
            h = relu(z) if (not last or self.output_relu) else z
        return (h, pres) if return_pre else h

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def dense_weights(self) -> list[np.ndarray]:
        return [w.toarray() if sp.issparse(w) else w for w in self.weights]

    def copy(self) -> ReLUNet:
        return ReLUNet([w.copy() for w in self.weights], output_relu=self.output_relu,
                       biases=None if self.biases is None else [b.copy() for b in self.biases])


def widths_of(weights: Sequence[np.ndarray]) -> tuple[int, ...]:
    """``(n_0, n_1, …, n_l)`` of a weight list."""
    return (weights[0].shape[1],) + tuple(int(w.shape[0]) for w in weights)
