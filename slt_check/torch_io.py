"""torch in/out: float64 ``nn.Sequential`` of bias-free ``Linear`` and ``ReLU`` modules.

* :func:`net_from_torch` / :func:`load_torch_target` read a user's network (``--target torch:…``) and
  refuse what ``slt_check`` cannot represent (biases, other activations, other layers);
* :func:`net_to_torch` writes a :class:`ReLUNet`; :func:`ticket_to_torch` exports a ticket, dense
  ``G`` + ``prune.custom_from_mask`` for small ones, kept weights only (sparse layers) for large ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.nets import ReLUNet

__all__ = [
    "net_to_torch",
    "net_from_torch",
    "load_torch_target",
    "ticket_to_torch",
    "sparse_linear",
    "sparse_net_to_torch",
    "DENSE_LAYER_LIMIT",
]

DENSE_LAYER_LIMIT = 4_000_000
"""Layers with more entries than this are exported as sparse ``SparseLinear`` modules."""


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


def _sparse_linear_class() -> Any:
    torch = _torch()

    class SparseLinear(torch.nn.Module):
        """Bias-free linear map with a sparse (COO) float64 weight ``(n_out, n_in)``: ``y = x Wᵀ``.

        The kept weights of a large ticket as a torch module: memory ∝ kept entries, not
        ``n_out × n_in``. ``weight`` is a buffer (a pruned ticket is not trained further)."""

        def __init__(self, weight: Any) -> None:
            super().__init__()
            self.register_buffer("weight", weight)
            self.in_features, self.out_features = int(weight.shape[1]), int(weight.shape[0])

        def forward(self, x: Any) -> Any:
            return torch.sparse.mm(self.weight, x.T).T

        def extra_repr(self) -> str:
            return f"in_features={self.in_features}, out_features={self.out_features}, nnz={self.weight._nnz()}"

    return SparseLinear


def sparse_linear(w: Any) -> Any:
    """A ``SparseLinear`` torch module holding the scipy/numpy matrix ``w`` as a COO tensor."""
    torch = _torch()
    m = sp.csr_matrix(w, dtype=np.float64).tocoo()
    idx = torch.from_numpy(np.stack([m.row, m.col]).astype(np.int64))
    t = torch.sparse_coo_tensor(
        idx, torch.from_numpy(m.data.copy()), size=m.shape, dtype=torch.float64,
        check_invariants=True,
    ).coalesce()
    return _sparse_linear_class()(t)


def sparse_net_to_torch(net: ReLUNet, *, dense_limit: int = DENSE_LAYER_LIMIT) -> Any:
    """Like :func:`net_to_torch`, but a layer with more than ``dense_limit`` entries (``n_out·n_in``)
    becomes a ``SparseLinear`` (memory ∝ its non-zeros)."""
    torch = _torch()
    mods: list[Any] = []
    for k, w in enumerate(net.weights):
        if w.shape[0] * w.shape[1] > dense_limit:
            mods.append(sparse_linear(w))
        else:
            mods.extend(list(net_to_torch(ReLUNet([w.toarray() if sp.issparse(w) else w]))))
        if k < net.depth - 1 or net.output_relu:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def ticket_to_torch(ticket: Any, compact: bool | None = None, *, dense_limit: int = DENSE_LAYER_LIMIT) -> Any:
    """A ticket as a float64 torch ``nn.Sequential``.

    * ``compact=False`` (default for dense tickets with ``G`` ≤ 5e6 parameters): the dense ``G``
      layers as ``Linear(bias=False)`` pruned with ``torch.nn.utils.prune.custom_from_mask`` (the
      module's ``weight`` is ``weight_orig * weight_mask`` = ``G ⊙ mask``);
    * ``compact=True`` (large tickets; always for a :class:`~slt_check.compact_ticket.CompactTicket`,
      which has no dense ``G``): the live neurons' kept weights only; layers with more than
      ``dense_limit`` entries become sparse ``SparseLinear`` modules.

    Both compute the numpy ``ticket.network()`` function (tests: equal to 1e-12 in float64)."""
    torch = _torch()
    has_dense_G = hasattr(ticket, "masks")
    if compact is None:
        compact = (not has_dense_G) or ticket.G.n_params > 5_000_000
    if compact:
        return sparse_net_to_torch(ticket.network(compact=True), dense_limit=dense_limit)
    if not has_dense_G:
        raise ValueError(
            "compact: a CompactTicket has no dense G to prune with custom_from_mask; use compact=True"
        )
    from torch.nn.utils import prune  # a submodule: not loaded by ``import torch``

    seq = net_to_torch(ticket.G)
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    for lin, mask in zip(linears, ticket.masks, strict=True):
        prune.custom_from_mask(lin, "weight", torch.from_numpy(mask))
    return seq
