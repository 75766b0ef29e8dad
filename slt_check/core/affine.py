"""The constant-input reduction: a bias is a weight on a constant path.

A target with biases

    F(x) = W_l σ(W_{l−1} … σ(W_1 x + b_1) … + b_{l−1}) + b_l

is, exactly, the bias-free network ``F'`` evaluated on the augmented input ``[x; 1]``:

    W'_k = [[W_k, b_k], [0 … 0, 1]]     (hidden layers k < l; shape (n_k + 1, n_{k−1} + 1))
    W'_l = [W_l, b_l]                   (output layer; shape (n_l, n_{l−1} + 1))

The last row of a hidden ``W'_k`` carries the constant through the ReLU (``σ(1) = 1``), so every
hidden layer of ``F'`` has one more neuron, whose value is 1, and the last column of the next
layer multiplies it by that layer's bias: ``F'([x; 1]) = F(x)`` for every ``x`` (in exact
arithmetic; in float64 the sums differ only in their order, ``|F'([x;1]) − F(x)| ≤ γ_{n+1} Σ|terms|``).

Every construction then builds its ticket for ``F'`` unchanged (:mod:`slt_check.pipeline.build` is the
one place that applies the reduction): ``G`` has one more input, its first layer's weights on the
constant input are ``G``'s first-layer biases, and the constant neuron of each hidden target layer
is simulated like any other neuron. The bounds ``F'`` satisfies are
(:func:`slt_check.core.bounds.biased_bounds`)

    w_max' = max(w_max, b_max, 1)  (the 1 only when l ≥ 2),     x_max' = max(x_max, 1),

where ``b_max`` is the declared bound on ``|b|``.

**Soundness of the error.** ``sup_{x ∈ [−x_max, x_max]^d} |F(x) − Ĝ(x)|`` is the sup of
``|F'(z) − Ĝ'(z)|`` over the augmented points ``z = [x; 1]``, a subset of the symmetric box
``[−x_max', x_max']^{d+1}``: a certificate on that box is a sound upper bound; a search must only
evaluate points whose constant coordinate is exactly 1 (then its value is a true lower bound); the
exact MILP fixes that coordinate to 1 and solves the sup itself.

**The ticket's network on x** (:func:`network_on_x`): ``Ĝ'([x; 1])`` is a network on ``x`` whose
first layer has the bias ``ticket_bias_0 = mask_bias_0 ⊙ G_bias_0`` (the kept weights on the
constant input) and whose deeper layers are bias-free (their constant path runs through kept neurons).

A ticket built this way records :func:`affine_record` under ``meta["affine"]``; reading it back
(checked against the problem) is :class:`slt_check.tickets.meta.AffineRecord` — this module holds the
numerics only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.core.bounds import biased_bounds
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_array_bound, check_scale

__all__ = [
    "AFFINE_KEY",
    "augment",
    "restore",
    "augment_input",
    "bias_bound",
    "check_bias_bound",
    "affine_record",
    "network_on_x",
]

AFFINE_KEY = "affine"
"""The key of :func:`affine_record` in a ticket's ``meta``."""


def augment(net: ReLUNet) -> ReLUNet:
    """``F'`` of the module docstring: the bias-free network on ``[x; 1]`` equal to ``net`` on ``x``
    (a bias-free ``net`` gets zero bias columns: the reduction is applied whenever it is asked for)."""
    Ws = net.dense_weights()
    bs = net.bias_vectors()
    out = []
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        top = np.concatenate([W, b[:, None]], axis=1)
        if k < len(Ws) - 1:
            const = np.zeros((1, W.shape[1] + 1))
            const[0, -1] = 1.0
            top = np.concatenate([top, const], axis=0)
        out.append(top)
    return ReLUNet(out, output_relu=net.output_relu)


def restore(net: ReLUNet, n_in: int) -> ReLUNet:
    """The inverse of :func:`augment`: the biased network on ``n_in`` inputs that ``net`` (a reduced
    ``F'`` on ``n_in + 1`` inputs) computes on ``[x; 1]``. ``ValueError`` unless every hidden layer's
    last row is exactly ``[0 … 0, 1]`` (the constant neuron)."""
    if net.has_biases:
        raise ValueError("net: a reduced network F' is bias-free; this one has biases")
    if net.n_in != int(n_in) + 1:
        raise ValueError(f"net: a reduction of a network on {n_in} inputs has {int(n_in) + 1}, got {net.n_in}")
    Ws = net.dense_weights()
    weights, biases = [], []
    for k, W in enumerate(Ws):
        if k < len(Ws) - 1:
            expect = np.zeros(W.shape[1])
            expect[-1] = 1.0
            if not np.array_equal(W[-1], expect):
                raise ValueError(
                    f"net: layer {k}'s last row must be the constant neuron [0 … 0, 1] of the reduction"
                )
            W = W[:-1]
        weights.append(np.array(W[:, :-1]))
        biases.append(np.array(W[:, -1]))
    return ReLUNet(weights, output_relu=net.output_relu, biases=biases)


def augment_input(x: np.ndarray) -> np.ndarray:
    """``[x; 1]`` for rows ``x`` of shape ``(batch, d)`` (or one ``(d,)`` vector)."""
    X = np.asarray(x, dtype=np.float64)
    X = X[None, :] if X.ndim == 1 else X
    return np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)


def bias_bound(net: ReLUNet) -> float:
    """``max |b|`` over every bias of ``net`` (0 without biases)."""
    return float(max((np.max(np.abs(b)) if b.size else 0.0) for b in net.bias_vectors()))


def check_bias_bound(net: ReLUNet, b_max: float) -> float:
    """``ValueError`` unless every bias is finite and ``|b| ≤ b_max`` (the declared bias bound, like
    ``w_max`` for weights); returns ``b_max`` as a float."""
    return check_array_bound(net.bias_vectors(), b_max, "target.biases", "b", "b_max",
                             "pass a larger b_max (--b-max) or rescale the target (the width formula assumes "
                             "|b| ≤ b_max)")


def affine_record(net: ReLUNet, w_max: float, b_max: float | None, x_max: float) -> dict[str, Any]:
    """What a ticket of the reduction of ``net`` records in ``meta["affine"]``: the original input size
    ``n_in``, its box ``x_max``, the declared ``w_max`` and ``b_max`` (default: ``max |b|`` of ``net``),
    and the reduced problem's ``w_max'``, ``x_max'`` (:func:`slt_check.core.bounds.biased_bounds`).
    ``ValueError`` if a bias or weight is out of its bound."""
    if not net.has_biases:
        raise ValueError("target: has no biases; build it without the constant-input reduction")
    b_max = check_scale(check_bias_bound(net, bias_bound(net) if b_max is None else b_max), "b_max")
    w_prime, x_prime = biased_bounds(w_max, b_max, x_max, net.depth)
    return {"n_in": int(net.n_in), "x_max": float(x_max), "w_max": float(w_max), "b_max": float(b_max),
            "w_max_reduced": float(w_prime), "x_max_reduced": float(x_prime)}


def network_on_x(net: ReLUNet, n_in: int) -> ReLUNet:
    """The network on ``x`` that ``net`` (on ``[x; 1]``, ``n_in + 1`` inputs) computes: the first
    layer's last column becomes its bias, every other layer is unchanged and bias-free. Sparse
    first layers stay sparse (CSR)."""
    if net.n_in != int(n_in) + 1:
        raise ValueError(f"net: expected {int(n_in) + 1} inputs ([x; 1]), got {net.n_in}")
    if net.has_biases:
        raise ValueError("net: the network on [x; 1] must be bias-free")
    W0 = net.weights[0]
    if sp.issparse(W0):
        W0 = sp.csc_matrix(W0)
        first = sp.csr_matrix(W0[:, : int(n_in)])
        b = np.asarray(W0[:, int(n_in)].toarray()).ravel()
    else:
        first = np.array(W0[:, : int(n_in)])
        b = np.array(W0[:, int(n_in)])
    weights = [first] + list(net.weights[1:])
    return ReLUNet(weights, output_relu=net.output_relu, biases=[b] + [None] * (len(weights) - 1))
