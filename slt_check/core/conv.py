"""Convolutional ReLU networks (float64): the architecture language, the network and its forward pass.

A :class:`ConvNet` is a sequence of layers on an input of shape ``(C, H, W)``:

* ``conv`` — ``Conv2d(c_in, c_out, k, stride=1, padding=p)``, weight ``(c_out, c_in, k, k)``, bias optional;
* ``linear`` — ``Linear(n_in, n_out)``, weight ``(n_out, n_in)``, bias optional (needs a flat input);
* ``relu``, ``flatten`` and ``avgpool`` (``AvgPool2d(k, stride s)``, no padding) — no weights.

Every weighted layer is a linear map on *patches*: with ``q = c·k² + i·k + j`` the patch column
(``im2col``), ``y[o, pos] = Σ_q W_mat[o, q] x_patch[q, pos] + b[o]``, ``W_mat = W.reshape(c_out, c_in k²)``.
Its **fan-in** ``P = c_in k²`` (``n_in`` for ``linear``) bounds the ∞→∞ norm of the map by ``P·w_max``
(zero padding only removes terms), which is all the error budgets of :func:`conv_precision` use.

The architecture language (``ARCH``), used by ``random-cnn:`` targets and by ``--arch`` for state dicts::

    1x28x28:conv32k3p1,relu,conv32k3p1,relu,flatten,linear10

``convC kK pP`` (``p`` optional, default 0; a trailing ``b`` = with bias), ``linearN`` (``b``: with
bias), ``relu``, ``flatten``, ``avgK`` (stride K) or ``avgKsS``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slt_check.core.bounds import n_digits, per_weight_precision, samples_per_group
from slt_check.core.validation import check_finite_array

__all__ = ["ConvLayer", "ConvNet", "parse_arch", "arch_string", "layer_shapes", "fan_ins",
           "conv_precision", "conv_plan_orseau", "MAX_CNN_PARAMS", "torch_threads", "forward_layers",
           "layers_fn"]

MAX_CNN_PARAMS = 50_000_000
"""Largest target (weights + biases) a CNN file or spec may declare."""

_TOKEN = re.compile(r"^(?:conv(\d+)k(\d+)(?:p(\d+))?(b?)|linear(\d+)(b?)|relu|flatten|avg(\d+)(?:s(\d+))?)$")


@dataclass
class ConvLayer:
    """One layer; ``weight``/``bias`` float64 arrays for ``conv``/``linear`` (``bias`` may be None)."""

    kind: str
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    padding: int = 0
    kernel: int = 0
    stride: int = 0
    out: int = 0  # output channels / features (conv, linear) as declared by the architecture
    has_bias: bool = False

    def token(self) -> str:
        if self.kind == "conv":
            return f"conv{self.out}k{self.kernel}" + (f"p{self.padding}" if self.padding else "") + (
                "b" if self.has_bias else "")
        if self.kind == "linear":
            return f"linear{self.out}" + ("b" if self.has_bias else "")
        if self.kind == "avgpool":
            return f"avg{self.kernel}" + (f"s{self.stride}" if self.stride != self.kernel else "")
        return self.kind


def parse_arch(text: str) -> tuple[tuple[int, int, int], list[ConvLayer]]:
    """``"1x28x28:conv32k3p1,relu,flatten,linear10"`` → input shape and weightless layer records.

    ``ValueError`` naming the bad token and the syntax otherwise."""
    head, sep, body = str(text).strip().partition(":")
    dims = head.split("x")
    if not sep or len(dims) != 3 or not all(d.isdigit() and int(d) > 0 for d in dims):
        raise ValueError(f"arch: expected 'CxHxW:layer,layer,…' (e.g. 1x28x28:conv32k3p1,relu,flatten,linear10), "
                         f"got {text!r}")
    shape = (int(dims[0]), int(dims[1]), int(dims[2]))
    layers: list[ConvLayer] = []
    for tok in (t.strip() for t in body.split(",")):
        m = _TOKEN.match(tok)
        if not m:
            raise ValueError(f"arch: unknown layer {tok!r}; use convCkK[pP][b], linearN[b], relu, flatten, avgK[sS]")
        if tok.startswith("conv"):
            layers.append(ConvLayer("conv", out=int(m.group(1)), kernel=int(m.group(2)),
                                    padding=int(m.group(3) or 0), has_bias=m.group(4) == "b"))
        elif tok.startswith("linear"):
            layers.append(ConvLayer("linear", out=int(m.group(5)), has_bias=m.group(6) == "b"))
        elif tok.startswith("avg"):
            k = int(m.group(7))
            layers.append(ConvLayer("avgpool", kernel=k, stride=int(m.group(8) or k)))
        else:
            layers.append(ConvLayer(tok))
    layer_shapes(shape, layers)  # refuses inconsistent shapes
    return shape, layers


def arch_string(shape: Sequence[int], layers: Sequence[ConvLayer]) -> str:
    """Inverse of :func:`parse_arch`."""
    return "x".join(str(int(d)) for d in shape) + ":" + ",".join(layer.token() for layer in layers)


def layer_shapes(shape: Sequence[int], layers: Sequence[ConvLayer]) -> list[tuple[int, ...]]:
    """The shape after every layer (``(C, H, W)`` or ``(n,)``); ``ValueError`` where a layer does not fit."""
    cur: tuple[int, ...] = tuple(int(d) for d in shape)
    out = []
    for idx, L in enumerate(layers):
        where = f"arch: layer {idx} ({L.token()})"
        if L.kind == "conv":
            if len(cur) != 3:
                raise ValueError(f"{where}: a convolution needs a (C, H, W) input, got shape {cur}")
            if L.kernel < 1 or L.out < 1 or L.padding < 0:
                raise ValueError(f"{where}: kernel, channels must be ≥ 1 and padding ≥ 0")
            h, w = cur[1] + 2 * L.padding - L.kernel + 1, cur[2] + 2 * L.padding - L.kernel + 1
            if h < 1 or w < 1:
                raise ValueError(f"{where}: kernel {L.kernel} larger than the padded input {cur[1:]}")
            cur = (L.out, h, w)
        elif L.kind == "linear":
            if len(cur) != 1:
                raise ValueError(f"{where}: a linear layer needs a flat input; add 'flatten' before it")
            cur = (L.out,)
        elif L.kind == "avgpool":
            if len(cur) != 3 or L.kernel < 1 or L.stride < 1 or L.kernel > min(cur[1:]):
                raise ValueError(f"{where}: pooling needs a (C, H, W) input at least {L.kernel} wide, got {cur}")
            cur = (cur[0], (cur[1] - L.kernel) // L.stride + 1, (cur[2] - L.kernel) // L.stride + 1)
        elif L.kind == "flatten":
            cur = (int(np.prod(cur)),)
        elif L.kind != "relu":
            raise ValueError(f"{where}: unknown kind {L.kind!r}")
        out.append(cur)
    if not any(L.kind in ("conv", "linear") for L in layers):
        raise ValueError("arch: a network needs at least one conv or linear layer")
    return out


def fan_ins(shape: Sequence[int], layers: Sequence[ConvLayer]) -> list[int]:
    """Patch columns ``P`` of every weighted layer (``c_in k²`` or ``n_in``), bias column not included."""
    shapes = [tuple(shape)] + layer_shapes(shape, layers)
    return [shapes[i][0] * L.kernel**2 if L.kind == "conv" else shapes[i][0]
            for i, L in enumerate(layers) if L.kind in ("conv", "linear")]


@dataclass
class ConvNet:
    """A float64 convolutional ReLU network (module doc). ``output_relu``: a trailing ``relu`` layer."""

    input_shape: tuple[int, int, int]
    layers: list[ConvLayer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(d) for d in self.input_shape)  # type: ignore[assignment]
        shapes = [self.input_shape] + layer_shapes(self.input_shape, self.layers)
        for i, L in enumerate(self.layers):
            if L.kind not in ("conv", "linear"):
                continue
            cin = shapes[i][0]
            want = (L.out, cin, L.kernel, L.kernel) if L.kind == "conv" else (L.out, cin)
            if L.weight is None or tuple(L.weight.shape) != want:
                got = None if L.weight is None else tuple(L.weight.shape)
                raise ValueError(f"target: layer {i} ({L.token()}) needs a weight of shape {want}, got {got}")
            L.weight = np.ascontiguousarray(L.weight, dtype=np.float64)
            check_finite_array(L.weight, f"layer {i} weight")
            if L.bias is not None:
                L.bias = np.ascontiguousarray(L.bias, dtype=np.float64).reshape(-1)
                if L.bias.shape != (L.out,):
                    raise ValueError(f"target: layer {i} bias has {L.bias.size} entries, expected {L.out}")
                check_finite_array(L.bias, f"layer {i} bias")
            L.has_bias = L.bias is not None
        if self.n_params > MAX_CNN_PARAMS:
            raise ValueError(f"target: {self.n_params} parameters, more than {MAX_CNN_PARAMS}")

    @property
    def weighted(self) -> list[ConvLayer]:
        return [L for L in self.layers if L.kind in ("conv", "linear")]

    @property
    def n_params(self) -> int:
        return int(sum(L.weight.size + (0 if L.bias is None else L.bias.size) for L in self.weighted))

    @property
    def n_weights(self) -> int:
        return int(sum(L.weight.size for L in self.weighted))

    @property
    def n_in(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def n_out(self) -> int:
        return int(np.prod(layer_shapes(self.input_shape, self.layers)[-1]))

    @property
    def output_relu(self) -> bool:
        return self.layers[-1].kind == "relu"

    @property
    def arch(self) -> str:
        return arch_string(self.input_shape, self.layers)

    def w_max(self) -> float:
        return float(max(np.abs(L.weight).max() for L in self.weighted))

    def b_max(self) -> float | None:
        bs = [np.abs(L.bias).max() for L in self.weighted if L.bias is not None and L.bias.size]
        return float(max(bs)) if bs else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Outputs ``(batch, n_out)`` for inputs ``(batch, C, H, W)`` (or flat ``(batch, C·H·W)``), float64."""
        import torch

        with torch.no_grad():
            t = torch.as_tensor(np.asarray(x, dtype=np.float64)).reshape(-1, *self.input_shape)
            return forward_layers(self.layers, t).reshape(t.shape[0], -1).numpy()


@contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """Run torch on ``n`` threads inside the block (restored after). The CNN certificates and searches
    run many small convolutions, for which torch's thread pool costs more than it gains: measured
    46 ms vs 0.03 ms per ``conv2d`` of a 17×3×6×6 batch on the shared 2-core machine."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def forward_layers(layers: Sequence[ConvLayer], t: Any, weights: Sequence[Any] | None = None) -> Any:
    """Run ``layers`` on the torch float64 tensor ``t`` (batch first); ``weights`` (optional) replaces
    each weighted layer by a callable ``f(t) -> t`` (the ticket's pair of ``G`` layers)."""
    import torch
    import torch.nn.functional as F

    k = 0
    for L in layers:
        if L.kind in ("conv", "linear"):
            if weights is not None:
                t = weights[k](t)
            else:
                w = torch.from_numpy(L.weight)
                b = None if L.bias is None else torch.from_numpy(L.bias)
                t = F.conv2d(t, w, b, padding=L.padding) if L.kind == "conv" else F.linear(t, w, b)
            k += 1
        elif L.kind == "relu":
            t = torch.relu(t)
        elif L.kind == "flatten":
            t = t.reshape(t.shape[0], -1)
        elif L.kind == "avgpool":
            t = F.avg_pool2d(t, L.kernel, L.stride)
    return t


def layers_fn(layers: Sequence[ConvLayer], input_shape: Sequence[int], weights: Sequence[Any] | None = None) -> Any:
    """``layers`` (see :func:`forward_layers`) as a torch float64 function ``(batch, …) -> (batch, n_out)``."""

    def fn(x: Any) -> Any:
        x = x.reshape(-1, *input_shape)
        return forward_layers(layers, x, weights).reshape(x.shape[0], -1)

    return fn


def conv_precision(eps: float, fanins: Sequence[int], w_max: float, x_max: float) -> float:
    """[RECON, ours] per-kernel-entry precision of an ``l``-weighted-layer CNN (R8 on patches):

        η = ε / (l · x_max · Π_t P_t (w_max + 1)),

    ``P_t`` the fan-in of weighted layer ``t`` (bias column included, then ``w_max ≥ b_max`` and
    ``x_max ≥ 1``). A convolution's ∞→∞ norm is at most ``P_t w_max`` and average pooling has norm 1,
    so R8's recursion holds with ``n_{t−1}`` replaced by ``P_t``: every simulated entry within ``η``
    gives sup error ≤ ε (before float rounding)."""
    return per_weight_precision(eps, (*fanins, 1), w_max, x_max)


def conv_plan_orseau(eps: float, delta: float, fanins: Sequence[int], n_params: int, w_max: float,
                     x_max: float, gamma: float = 1.5) -> dict[str, Any]:
    """[RECON, ours] Orseau-style sizes per kernel entry: ``η`` (:func:`conv_precision`),
    ``M = ⌈log_γ(w_max/((γ−1)η))⌉`` digits and ``N = ⌈8M ln(2M·W/δ)⌉`` samples per patch column
    (``W`` = kernel parameters, biases included): the union bound of R5 over every kernel entry's
    ``2M`` categories. ``N`` grows like ``log(1/ε)`` (``M`` does) times ``log(W M/δ)``."""
    eta = conv_precision(eps, fanins, w_max, x_max)
    M = n_digits(w_max, eta, gamma)
    return {"eta": eta, "M": M, "n_samples": samples_per_group(M, int(n_params), delta),
            "log_inv_eps": math.log(1.0 / eps)}
