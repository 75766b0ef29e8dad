"""torch in/out: float64 ``nn.Sequential`` of bias-free ``Linear`` and ``ReLU`` modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from slt_check.nets import ReLUNet

__all__ = ["net_to_torch", "net_from_torch", "load_torch_target"]


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "torch is needed for this; install it with: pip install torch==2.13.0"
        ) from exc
    return torch


def net_to_torch(net: ReLUNet) -> Any:
    """``Linear(bias=False)`` layers (float64) with ``ReLU`` between them (and at the output if
    ``net.output_relu``)."""
    torch = _torch()
    mods: list[Any] = []
    for k, w in enumerate(net.dense_weights()):
        lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=False, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
        mods.append(lin)
        if k < net.depth - 1 or net.output_relu:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def net_from_torch(module: Any, *, output_relu: bool | None = None) -> ReLUNet:
    """Read an ``nn.Sequential`` of bias-free ``Linear`` and ``ReLU``; refuse anything else.

    A ``ReLU`` must follow every ``Linear`` but the last; a trailing ``ReLU`` sets
    ``output_relu`` (unless given). Biases, other activations and other layers raise ``ValueError``.
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(
            f"module: expected torch.nn.Sequential of Linear(bias=False) and ReLU, got {type(module).__name__}"
        )
    weights: list[np.ndarray] = []
    trailing_relu = False
    expect_linear = True
    for idx, m in enumerate(module):
        if isinstance(m, torch.nn.Linear):
            if not expect_linear:
                raise ValueError(f"module[{idx}]: two Linear layers without a ReLU between them")
            if m.bias is not None:
                raise ValueError(
                    f"module[{idx}]: Linear has a bias; slt_check handles bias-free networks only "
                    "(create it with bias=False, or fold biases via a constant input)"
                )
            weights.append(m.weight.detach().to(torch.float64).cpu().numpy().copy())
            expect_linear, trailing_relu = False, False
        elif isinstance(m, torch.nn.ReLU):
            if expect_linear:
                raise ValueError(f"module[{idx}]: ReLU must follow a Linear layer")
            expect_linear, trailing_relu = True, True
        else:
            raise ValueError(
                f"module[{idx}]: unsupported layer {type(m).__name__}; only Linear(bias=False) and ReLU"
            )
    if not weights:
        raise ValueError("module: no Linear layer found")
    return ReLUNet(weights, output_relu=trailing_relu if output_relu is None else output_relu)


def load_torch_target(path: str, *, output_relu: bool | None = None) -> ReLUNet:
    """Load a saved ``nn.Sequential`` (``torch.save(model, path)`` or a state dict is refused)."""
    torch = _torch()
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except FileNotFoundError:
        raise ValueError(f"target: no torch file at {path!r}") from None
    return net_from_torch(obj, output_relu=output_relu)


def ticket_to_torch(ticket: Any, compact: bool | None = None) -> Any:
    """A ticket as torch: dense ``G`` layers pruned with ``torch.nn.utils.prune.custom_from_mask``
    (small tickets), or a compact module of the live neurons' kept weights (``compact=True``)."""
    torch = _torch()
    if compact is None:
        compact = ticket.G.n_params > 5_000_000
    if compact:
        return net_to_torch(ticket.network(compact=True))
    seq = net_to_torch(ticket.G)
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    for lin, mask in zip(linears, ticket.masks, strict=True):
        torch.nn.utils.prune.custom_from_mask(lin, "weight", torch.from_numpy(mask))
    return seq
