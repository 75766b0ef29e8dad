"""The exact sup error of a small convolutional ticket, by the MILP of :mod:`slt_check.certificates.exact`.

A bias-free CNN with stride-1 zero-padded convolutions, ``Flatten``, ``Linear`` and ``AvgPool2d`` is a
bias-free ReLU MLP once every linear operation is *unrolled* into its dense matrix (the convolution
applied to the standard basis) and linear maps not separated by a ReLU are multiplied together. The
target and the ticket (as a :class:`~slt_check.core.conv.ConvNet` of its kept ``G`` layers) are unrolled
so, and :func:`slt_check.certificates.exact.exact_sup_error` models both over the shared box
``‖x‖∞ ≤ x_max``: the interval it returns is the exact sup error up to the solver's tolerances. Only
for tiny CNNs (dense matrices of ``n_in × n_out`` per layer and one binary per unstable ReLU) — the
gap between the interval certificate and this exact value is what :func:`exact_conv` is for.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from slt_check.certificates.exact import ExactSupError, exact_sup_error
from slt_check.core.conv import ConvNet, forward_layers
from slt_check.core.nets import ReLUNet

__all__ = ["unroll", "exact_conv", "MAX_UNROLLED"]

MAX_UNROLLED = 2_000_000
"""Largest dense entries of one unrolled layer."""


def unroll(net: ConvNet) -> ReLUNet:
    """The bias-free CNN as a dense :class:`ReLUNet` (module doc); ``ValueError`` with biases or when too large."""
    import torch

    if any(L.bias is not None and np.any(L.bias) for L in net.weighted):
        raise ValueError("exact: the MILP models bias-free networks; this CNN has biases")
    mats: list[np.ndarray] = []
    cur = np.eye(net.n_in)  # the pending linear map since the last ReLU (rows: outputs)
    shape: tuple[int, ...] = net.input_shape
    for L in net.layers:
        if L.kind == "relu":
            mats.append(cur)
            cur = np.eye(cur.shape[0])
            continue
        n = int(np.prod(shape))
        with torch.no_grad():
            basis = torch.eye(n, dtype=torch.float64).reshape(n, *shape)
            out = forward_layers([L], basis)
        shape = tuple(out.shape[1:])
        M = out.reshape(n, -1).numpy().T
        if M.size > MAX_UNROLLED:
            raise ValueError(f"exact: an unrolled layer has {M.size} entries (> {MAX_UNROLLED}); only tiny CNNs")
        cur = M @ cur
    output_relu = net.layers[-1].kind == "relu"
    if not output_relu:
        mats.append(cur)
    return ReLUNet(mats, output_relu=output_relu)


def exact_conv(target: ConvNet, ticket_net: ConvNet, x_max: float, **kw: Any) -> ExactSupError:
    """``[lower, upper] ∋ sup_{‖x‖∞ ≤ x_max} ‖F(x) − T(x)‖∞`` for tiny bias-free CNNs (module doc)."""
    return exact_sup_error(unroll(target), unroll(ticket_net), x_max, **kw)
