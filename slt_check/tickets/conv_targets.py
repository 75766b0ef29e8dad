"""CNN targets: ``random-cnn:`` specs (Kaiming-scaled weights), torch files, and their SHA-256 identity.

``random-cnn:<arch>`` (architecture language of :func:`slt_check.core.conv.parse_arch`) draws every
weight of a layer with fan-in ``P`` (``c_in k²`` or ``n_in``) from the Kaiming-uniform law for ReLU,
``U[−√(6/P), √(6/P)]``, clipped to ``[−w_max, w_max]``, and every bias (layers marked ``b``) from
``U[−1/√P, 1/√P]`` (torch's default bias scale), all from ``default_rng(seed)``, layer by layer.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from slt_check.core.conv import ConvNet, layer_shapes, parse_arch
from slt_check.io.torch_cnn import load_torch_cnn, torch_file_is_cnn

__all__ = ["random_cnn", "cnn_target_from_spec", "is_cnn_spec", "cnn_digest", "parse_input_shape"]

RANDOM_CNN = "random-cnn:"


def random_cnn(arch: str, seed: int, w_max: float | None = None) -> ConvNet:
    """A Kaiming-scaled random CNN of architecture ``arch`` (module doc)."""
    rng = np.random.default_rng(int(seed))
    shape, layers = parse_arch(arch)
    shapes = [shape] + layer_shapes(shape, layers)
    for i, L in enumerate(layers):
        if L.kind not in ("conv", "linear"):
            continue
        cin = shapes[i][0]
        wshape = (L.out, cin, L.kernel, L.kernel) if L.kind == "conv" else (L.out, cin)
        P = int(np.prod(wshape[1:]))
        s = math.sqrt(6.0 / P)
        W = rng.uniform(-s, s, wshape)
        L.weight = np.clip(W, -w_max, w_max) if w_max is not None else W
        L.bias = rng.uniform(-1 / math.sqrt(P), 1 / math.sqrt(P), L.out) if L.has_bias else None
        if L.bias is not None and w_max is not None:
            L.bias = np.clip(L.bias, -w_max, w_max)
    return ConvNet(shape, layers)


def parse_input_shape(text: str | None) -> tuple[int, int, int] | None:
    """``"1x28x28"`` → ``(1, 28, 28)``; None stays None."""
    if text is None:
        return None
    dims = str(text).split("x")
    if len(dims) != 3 or not all(d.isdigit() and int(d) > 0 for d in dims):
        raise ValueError(f"--input-shape: expected CxHxW with positive integers, got {text!r}")
    return (int(dims[0]), int(dims[1]), int(dims[2]))


def is_cnn_spec(spec: str, arch: str | None = None) -> bool:
    """Whether ``--target spec`` names a CNN: ``random-cnn:…``, or a torch file with convolutions,
    pooling or a 4-D weight, or any torch file when ``--arch`` is given."""
    if spec.startswith(RANDOM_CNN):
        return True
    if spec.startswith("torch:"):
        return arch is not None or torch_file_is_cnn(spec[len("torch:"):])
    return False


def cnn_target_from_spec(spec: str, *, seed: int, w_max: float | None = None, arch: str | None = None,
                         input_shape: str | None = None) -> ConvNet:
    """The CNN of a ``--target`` spec (``random-cnn:<arch>`` or ``torch:<file>``)."""
    if spec.startswith(RANDOM_CNN):
        if arch is not None:
            raise ValueError("--arch: a random-cnn: target carries its architecture in the spec")
        return random_cnn(spec[len(RANDOM_CNN):], seed, w_max)
    if spec.startswith("torch:"):
        return load_torch_cnn(spec[len("torch:"):], arch=arch, input_shape=parse_input_shape(input_shape))
    raise ValueError(f"target: {spec!r} is not a CNN target (random-cnn:<arch> or torch:<file.pt>)")


def cnn_digest(net: ConvNet) -> str:
    """SHA-256 of the architecture string and every float64 weight and bias (layer order)."""
    h = hashlib.sha256(net.arch.encode())
    for L in net.weighted:
        h.update(np.ascontiguousarray(L.weight, dtype=np.float64).tobytes())
        if L.bias is not None:
            h.update(b"bias" + np.ascontiguousarray(L.bias, dtype=np.float64).tobytes())
    return h.hexdigest()
