"""torch in/out: float64 ``nn.Sequential`` of ``Linear`` (with or without bias) and ``ReLU`` modules.

* :func:`net_from_torch` / :func:`load_torch_target` read a user's network (``--target torch:…``):
  ``Linear`` layers with or without bias (a biased target is built through the constant-input
  reduction, :mod:`slt_check.core.affine`), ``ReLU``, and the no-ops ``Flatten``, ``Identity``,
  ``Dropout``; they refuse what ``slt_check`` cannot represent (other activations, other layers);
* :func:`net_to_torch` writes a :class:`ReLUNet` (``Linear(bias=True)`` where it has biases);
  :func:`ticket_to_torch` exports a ticket, dense ``G`` + ``prune.custom_from_mask`` for small ones,
  kept weights only (sparse layers) for large ones; a ticket of a biased target is exported as its
  network on ``x`` (first-layer bias = the kept weights on the constant input).

Target files come from anywhere, and a ``.pt`` file is a pickle: ``torch.load(weights_only=False)``
runs whatever the pickle names (``os.system``, …). :func:`load_torch_target` therefore only uses
torch's restricted ``weights_only=True`` unpickler, with the few module names of
:data:`TORCH_ALLOWED_GLOBALS` mapped to inert records: a file from a stranger never runs code, and
cannot make the loader allocate more than its declared records.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.core.affine import AFFINE_KEY, network_on_x
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import MAX_TARGET_PARAMS
from slt_check.io.safe_io import check_target_file

__all__ = [
    "net_to_torch",
    "net_from_torch",
    "load_torch_target",
    "TORCH_ALLOWED_GLOBALS",
    "ticket_to_torch",
    "sparse_linear",
    "sparse_net_to_torch",
    "DENSE_LAYER_LIMIT",
    "EXPORT_DTYPES",
    "resolve_dtype",
    "cast_module",
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


EXPORT_DTYPES = ("float64", "float32")
"""The dtypes a ticket can be exported in (:func:`resolve_dtype`); float64 is the default and the only
one in which errors are certified."""


def resolve_dtype(dtype: Any) -> Any:
    """``None`` → ``torch.float64``; ``torch.float32``/``torch.float64`` or their names
    (:data:`EXPORT_DTYPES`) → that torch dtype; anything else → ``ValueError``."""
    torch = _torch()
    if dtype is None:
        return torch.float64
    names = {"float64": torch.float64, "float32": torch.float32}
    if isinstance(dtype, str) and dtype in names:
        return names[dtype]
    if dtype in (torch.float64, torch.float32):
        return dtype
    raise ValueError(
        f"dtype: {dtype!r} is not supported; use torch.float64 (the default, the dtype errors are certified in) "
        "or torch.float32"
    )


def cast_module(module: Any, dtype: Any) -> Any:
    """``module`` (an export of :func:`ticket_to_torch` or :func:`slt_check.io.torch_cnn.ticket_to_torch_cnn`)
    converted in place to ``dtype`` (:func:`resolve_dtype`) and returned.

    Parameters and buffers are rounded to ``dtype`` (masks are 0/1 and stay exact); the attribute that
    ``torch.nn.utils.prune`` recomputes before every forward (``weight = weight_orig * weight_mask``) is
    recomputed now, so the module's ``weight`` has the new dtype before its first call too. In float32
    the exported function differs from the ticket's float64 function by the rounding of the weights
    and of the evaluation: the certified sup error holds for the float64 module only."""
    dtype = resolve_dtype(dtype)
    from torch.nn.utils import prune  # a submodule: not loaded by ``import torch``

    module.to(dtype)
    for m in module.modules():
        for hook in m._forward_pre_hooks.values():
            methods = hook._pruning_methods if isinstance(hook, prune.PruningContainer) else (hook,)
            for method in methods:
                if isinstance(method, prune.BasePruningMethod):
                    setattr(m, method._tensor_name, method.apply_mask(m))
    return module


def net_to_torch(net: ReLUNet) -> Any:
    """``Linear`` layers (float64; ``bias=False``, or ``bias=True`` for a layer with a non-zero bias)
    with ``ReLU`` between them (and at the output if ``net.output_relu``)."""
    torch = _torch()
    mods: list[Any] = []
    for k, w in enumerate(net.dense_weights()):
        b = None if net.biases is None or not np.any(net.biases[k]) else net.biases[k]
        lin = torch.nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w)))
            if b is not None:
                lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        mods.append(lin)
        if k < net.depth - 1 or net.output_relu:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


TORCH_ALLOWED_GLOBALS = (
    "torch.nn.modules.container.Sequential",
    "torch.nn.modules.linear.Linear",
    "torch.nn.modules.activation.ReLU",
    "torch.nn.modules.flatten.Flatten",
    "torch.nn.modules.linear.Identity",
    "torch.nn.modules.dropout.Dropout",
)
"""The names a ``.pt`` file may refer to beyond torch's own ``weights_only`` set (tensors, storages,
``Parameter``, ``collections.OrderedDict``, ``set``, …): the modules of ``torch.save(model)`` for an
``nn.Sequential`` of these layers. Each is mapped to an inert record class, never to the real one."""


class _RecordRefused(ValueError):
    """An inert record refused what the pickle asked of it."""


class _Record:
    """What the unpickler builds for an allow-listed module name: the pickled attribute dict, as is.

    Nothing here runs module code: no ``__init__`` of the real class (a file could otherwise call
    ``Linear(10**6, 10**6)`` and allocate terabytes), no ``__setstate__`` of the real class, no
    ``forward``. The pickle can only fill :attr:`state`, which :func:`_layers_from_record` reads."""

    kind = ""
    state: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _RecordRefused(
            f"the file calls the torch.nn.{self.kind} constructor; torch.save(model) never writes such a call, "
            "so the file is refused"
        )

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise _RecordRefused(f"the torch.nn.{self.kind} in the file has no attribute dict")
        self.state = state


_RECORDS: dict[str, type[_Record]] = {
    name: type(f"_{name.rsplit('.', 1)[1]}Record", (_Record,), {"kind": name.rsplit(".", 1)[1]})
    for name in TORCH_ALLOWED_GLOBALS
}


@dataclass
class _Layer:
    """One entry of a Sequential: ``kind`` is ``"linear"``, ``"relu"`` or ``"skip"``."""

    kind: str
    where: str
    weight: Any = None
    bias: Any = None


def _check_tensor(t: Any, where: str) -> Any:
    """A dense 2-D real floating-point tensor (not sparse, not quantized), or ``ValueError``."""
    torch = _torch()
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{where}: the weight is a {type(t).__name__}, not a tensor")
    if t.layout != torch.strided or t.is_quantized or not t.dtype.is_floating_point:
        raise ValueError(
            f"{where}: the weight is a {t.dtype} {t.layout} tensor; expected a dense real floating-point tensor"
        )
    if t.ndim != 2:
        raise ValueError(f"{where}: expected a 2-D (n_out, n_in) weight, got shape {tuple(t.shape)}")
    return t


def _check_bias(bias: Any, weight: Any, where: str) -> Any:
    """``None`` or a dense real floating-point bias vector of length ``n_out`` (returned); else
    ``ValueError``. (An all-zero bias is no bias: the network comes out bias-free.)"""
    if bias is None:
        return None
    torch = _torch()
    if not isinstance(bias, torch.Tensor):
        raise ValueError(f"{where}: the bias is a {type(bias).__name__}, not a tensor")
    if bias.layout != torch.strided or bias.is_quantized or not bias.dtype.is_floating_point:
        raise ValueError(
            f"{where}: the bias is a {bias.dtype} {bias.layout} tensor; expected a dense real floating-point tensor"
        )
    if tuple(bias.shape) != (int(weight.shape[0]),):
        raise ValueError(
            f"{where}: the bias has shape {tuple(bias.shape)}; expected ({int(weight.shape[0])},), one per output"
        )
    return bias


def _check_flatten(start_dim: Any, end_dim: Any, where: str) -> None:
    """``Flatten`` is accepted where it leaves a ``(batch, n)`` input as it is (the default ``(1, -1)``)."""
    ok = all(isinstance(d, int) and not isinstance(d, bool) and -2 <= d <= 1 for d in (start_dim, end_dim))
    if not ok or start_dim % 2 != end_dim % 2:
        raise ValueError(
            f"{where}: Flatten(start_dim={start_dim!r}, end_dim={end_dim!r}) is not a no-op on (batch, n) input; "
            "only Flatten() (start_dim=1) is accepted"
        )


def _resolve_output_relu(trailing_relu: bool, output_relu: bool | None, what: str) -> bool:
    """The model's trailing ReLU decides; an explicit ``output_relu`` must agree with it."""
    if output_relu is None or bool(output_relu) == trailing_relu:
        return trailing_relu
    if trailing_relu:
        raise ValueError(
            f"{what}: the model ends in ReLU but output_relu=False was asked; a trailing ReLU is the output ReLU "
            "(drop the override, or remove the last ReLU from the model)"
        )
    raise ValueError(
        f"{what}: the model has no trailing ReLU but output_relu=True was asked "
        "(drop the override, or end the model with nn.ReLU())"
    )


def _assemble(layers: list[_Layer], output_relu: bool | None, what: str) -> ReLUNet:
    """Check the layer sequence (ReLU between Linear layers, optional trailing ReLU) and the size,
    then convert the weights to float64 (sizes are checked first: a tensor may be a huge zero-stride view)."""

    torch = _torch()
    tensors: list[Any] = []
    biases: list[Any] = []
    trailing_relu, expect_linear = False, True
    for lay in layers:
        if lay.kind == "linear":
            if not expect_linear:
                raise ValueError(f"{lay.where}: two Linear layers without a ReLU between them")
            tensors.append(lay.weight)
            biases.append(lay.bias)
            expect_linear, trailing_relu = False, False
        elif lay.kind == "relu":
            if expect_linear:
                raise ValueError(f"{lay.where}: ReLU must follow a Linear layer")
            expect_linear, trailing_relu = True, True
    if not tensors:
        raise ValueError(f"{what}: no Linear layer found")
    n = sum(int(t.numel()) for t in tensors)
    if n > MAX_TARGET_PARAMS:
        raise ValueError(
            f"{what}: {n} weights, more than MAX_TARGET_PARAMS={MAX_TARGET_PARAMS}; "
            "a target that large cannot be built into a ticket in memory"
        )
    relu = _resolve_output_relu(trailing_relu, output_relu, what)
    weights = [t.detach().cpu().to(torch.float64).numpy().copy() for t in tensors]
    bs = [None if b is None else b.detach().cpu().to(torch.float64).numpy().copy() for b in biases]
    return ReLUNet(weights, output_relu=relu, biases=bs if any(b is not None for b in bs) else None)


def net_from_torch(module: Any, *, output_relu: bool | None = None) -> ReLUNet:
    """Read an ``nn.Sequential`` of ``Linear`` (with or without bias) and ``ReLU``; refuse anything else.

    * A ``ReLU`` must follow every ``Linear`` but the last. A trailing ``ReLU`` IS the output ReLU:
      ``output_relu=None`` (default) takes it from the model; an explicit ``output_relu`` is only a
      consistency check (``False`` on a model ending in ``ReLU``, or ``True`` on one that does not,
      raises ``ValueError`` instead of silently changing the function).
    * ``Flatten()`` (a no-op on the ``(batch, n)`` inputs ``slt_check`` uses, wherever it stands),
      ``Identity`` and ``Dropout`` (the identity in eval mode; accepted whatever the module's train
      flag, since ``slt_check`` evaluates deterministically) are skipped.
    * Biases are read into :attr:`ReLUNet.biases` (an all-zero bias is no bias); the build reduces
      them to a constant input (:mod:`slt_check.core.affine`). Other layers and activations,
      subclasses of these layers (which may change ``forward``) and non-float, sparse or quantized
      weights or biases raise ``ValueError``.
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Sequential):
        raise ValueError(
            f"module: expected torch.nn.Sequential of Linear and ReLU, got {type(module).__name__}"
        )
    layers: list[_Layer] = []
    for idx, m in enumerate(module):
        where = f"module[{idx}]"
        kind = type(m)
        if kind is torch.nn.Linear:
            w = _check_tensor(m.weight, where)
            layers.append(_Layer("linear", where, w, _check_bias(m.bias, w, where)))
        elif kind is torch.nn.ReLU:
            layers.append(_Layer("relu", where))
        elif kind is torch.nn.Flatten:
            _check_flatten(m.start_dim, m.end_dim, where)
            layers.append(_Layer("skip", where))
        elif kind in (torch.nn.Identity, torch.nn.Dropout):
            layers.append(_Layer("skip", where))
        else:
            raise ValueError(
                f"{where}: unsupported layer {kind.__name__}; only Linear, ReLU, "
                "Flatten, Identity and Dropout"
            )
    return _assemble(layers, output_relu, "module")


_MODULE_KEYS = frozenset({
    "training", "_parameters", "_buffers", "_non_persistent_buffers_set", "_modules", "_is_full_backward_hook",
    "_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_state_dict_hooks",
    "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
})
"""The attribute names ``torch.nn.Module.__init__`` sets (torch 2.x); everything else in a pickled
module's ``__dict__`` is a per-class extra (:data:`_EXTRA_KEYS`) or refused."""

_EXTRA_KEYS = {
    "Sequential": frozenset(), "Identity": frozenset(), "ReLU": frozenset({"inplace"}),
    "Linear": frozenset({"in_features", "out_features"}), "Flatten": frozenset({"start_dim", "end_dim"}),
    "Dropout": frozenset({"p", "inplace"}),
}
_PARAM_NAMES = {"Linear": frozenset({"weight", "bias"})}


def _check_record_state(state: dict[Any, Any], kind: str, where: str) -> dict[str, Any]:
    """The pickled attribute dict of an allow-listed module, refused unless torch's ``forward`` on it
    computes what :func:`_layers_from_record` reads.

    An instance attribute that shadows a parameter (``__dict__["weight"]`` beside
    ``_parameters["weight"]``: torch computes with the attribute), any attribute the class does not
    set, a buffer, a hook, a child module of a leaf layer or a parameter the layer does not have would
    each make the two differ, so each is refused. Returns the ``_parameters`` dict."""
    unknown = sorted(str(k) for k in state if k not in _MODULE_KEYS | _EXTRA_KEYS[kind])
    if unknown:
        shadow = [k for k in unknown if k in _PARAM_NAMES.get(kind, ())]
        why = (f"the instance attribute {shadow[0]!r} shadows its parameter (torch would compute with the "
               "attribute)" if shadow else f"it carries attributes a torch.nn.{kind} does not have: "
               f"{', '.join(repr(k[:40]) for k in unknown[:3])}")
        raise ValueError(f"{where}: refused: {why}; save a plain model (torch.save(model)) or its state dict")
    params = state.get("_parameters", {})
    if not isinstance(params, dict):
        raise ValueError(f"{where}: the torch.nn.{kind} in the file has no _parameters dict")
    extra = sorted(str(k) for k in params if k not in _PARAM_NAMES.get(kind, ()))
    if extra:
        raise ValueError(f"{where}: refused: parameters {extra[:3]} are not those of a torch.nn.{kind}")
    for key in ("_buffers", *(k for k in _MODULE_KEYS if "hook" in k and k != "_is_full_backward_hook")):
        value = state.get(key)
        if value is not None and (not hasattr(value, "__len__") or len(value) != 0):
            raise ValueError(f"{where}: refused: the torch.nn.{kind} in the file has {key.strip('_')} "
                             "(they could change what it computes)")
    if kind != "Sequential" and state.get("_modules"):
        raise ValueError(f"{where}: refused: the torch.nn.{kind} in the file has child modules")
    return params


def _layers_from_record(obj: _Record, what: str) -> list[_Layer]:
    """The layers of an unpickled Sequential record, read from the attribute dicts only — the
    children in the order of ``_modules`` (the order ``Sequential.forward`` runs them), each checked by
    :func:`_check_record_state`."""
    if obj.kind != "Sequential":
        raise ValueError(f"{what}: holds a torch.nn.{obj.kind}, not a torch.nn.Sequential or a state dict")
    _check_record_state(getattr(obj, "state", {}), "Sequential", "the Sequential")
    modules = getattr(obj, "state", {}).get("_modules")
    if not isinstance(modules, dict):
        raise ValueError(f"{what}: the Sequential in the file has no _modules dict")
    layers: list[_Layer] = []
    for idx, child in enumerate(modules.values()):
        where = f"module[{idx}]"
        if not isinstance(child, _Record) or child.kind == "Sequential":
            name = child.kind if isinstance(child, _Record) else type(child).__name__
            raise ValueError(
                f"{where}: unsupported layer {name}; only Linear, ReLU, Flatten, Identity and Dropout"
            )
        state = getattr(child, "state", {})
        params = _check_record_state(state, child.kind, where)
        if child.kind == "Linear":
            if "weight" not in params:
                raise ValueError(f"{where}: the Linear in the file has no weight")
            w = _check_tensor(params["weight"], where)
            layers.append(_Layer("linear", where, w, _check_bias(params.get("bias"), w, where)))
        elif child.kind == "ReLU":
            layers.append(_Layer("relu", where))
        elif child.kind == "Flatten":
            _check_flatten(state.get("start_dim", 1), state.get("end_dim", -1), where)
            layers.append(_Layer("skip", where))
        else:  # Identity, Dropout
            layers.append(_Layer("skip", where))
    return layers


_INDEX = re.compile(r"(?:(.*)\.)?(0|[1-9][0-9]{0,8})")


def _layer_index(prefix: str, what: str) -> tuple[str, int]:
    """``"<stem>.<k>"`` or ``"<k>"`` → ``(stem, k)``: a state dict records no forward, so a layer's
    place is read only from a ``Sequential`` index; other names are refused."""
    m = _INDEX.fullmatch(prefix)
    if m is None:
        raise ValueError(
            f"{what}: state dict layer {prefix[:60]!r} is not a Sequential index ('0', '2', 'net.4', …); a state "
            "dict does not say in which order other layers run, so it is refused — save the nn.Sequential "
            "(torch.save(model)) or name the keys '<index>.weight'"
        )
    return m.group(1) or "", int(m.group(2))


def _net_from_state_dict(sd: dict[Any, Any], output_relu: bool | None, what: str) -> ReLUNet:
    """Linear layers ordered by their Sequential index (``<k>.weight``, optional ``<k>.bias``, all
    under one stem), ReLU between them — not in key order, which a file may shuffle."""
    torch = _torch()
    groups: dict[str, dict[str, Any]] = {}
    for key, value in sd.items():
        prefix, dot, leaf = key.rpartition(".") if isinstance(key, str) else ("", "", "")
        if not dot or leaf not in ("weight", "bias"):
            raise ValueError(
                f"{what}: state dict key {str(key)[:60]!r} is not '<layer>.weight' or '<layer>.bias'; "
                "only the Linear layers of a Sequential are understood"
            )
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{what}: state dict entry {key[:60]!r} is a {type(value).__name__}, not a tensor")
        groups.setdefault(prefix, {})[leaf] = value
    indexed = {prefix: _layer_index(prefix, what) for prefix in groups}
    stems = sorted({stem for stem, _ in indexed.values()})
    if len(stems) > 1:
        raise ValueError(f"{what}: state dict layers under several names ({', '.join(repr(s[:30]) for s in stems[:3])}); "
                         "the order of the layers is ambiguous — save the nn.Sequential itself (torch.save(model))")
    layers: list[_Layer] = []
    for prefix in sorted(groups, key=lambda p: indexed[p][1]):
        entries = groups[prefix]
        where = f"{what}: layer {prefix!r}"
        if "weight" not in entries:
            raise ValueError(f"{where} has a bias but no weight")
        w = _check_tensor(entries["weight"], where)
        b = _check_bias(entries.get("bias"), w, where)
        if layers:
            layers.append(_Layer("relu", where))
        layers.append(_Layer("linear", where, w, b))
    if output_relu:
        layers.append(_Layer("relu", what))
    return _assemble(layers, None, what)


def _torch_load_error(exc: BaseException) -> str:
    """One line out of torch.load's message (its unpickler errors span paragraphs)."""
    text = str(exc)
    m = re.search(r"GLOBAL ([\w.]+)", text)
    if m:
        name = m.group(1)
        if name.startswith("torch.nn.modules."):
            return (
                f"unsupported layer {name.rsplit('.', 1)[1]} ({name}); only Linear, ReLU, Flatten, "
                "Identity and Dropout (the file was refused without running any of it)"
            )
        return f"it refers to {name}, which is not on the allow-list (the file was refused without running any of it)"
    skip = ("Weights only load failed", "In PyTorch 2.6", "Check the documentation", "Please file")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(skip)]
    return f"{type(exc).__name__}: {lines[0] if lines else 'no message'}"


TORCH_READ_FACTOR = 5
"""Peak bytes of loading a ``.pt`` per byte of its records: the tensors, and their float64 copies
(4× for 2-byte floats)."""


def load_torch_target(path: str, *, output_relu: bool | None = None, max_bytes: int | None = None) -> ReLUNet:
    """Load a target network from a ``.pt`` file, safely: a file from a stranger must never run code.

    The file must be a ``torch.save`` zip archive (the format since torch 1.6; older files are
    refused) whose data records total at most ``8 · MAX_TARGET_PARAMS`` bytes plus 16 MiB. It is read
    with ``torch.load(path, map_location="cpu", weights_only=True)``: torch's restricted unpickler,
    which builds tensors, storages, ``Parameter`` and plain containers only, plus the names in
    :data:`TORCH_ALLOWED_GLOBALS`, each mapped to an inert record (the real module classes are never
    called). Any other name in the pickle (``os.system``, a custom class, …) is refused before it is
    looked up, with ``ValueError``. It may hold:

    * ``torch.save(model)`` of an ``nn.Sequential`` of ``Linear``, ``ReLU``, ``Flatten``, ``Identity``,
      ``Dropout`` (the rules of :func:`net_from_torch`; a trailing ``ReLU`` is the output ReLU and an
      explicit ``output_relu`` must agree with the model);
    * a state dict (``torch.save(model.state_dict())``): keys ``<layer>.weight`` (and optional
      ``<layer>.bias``), read as ``Linear`` layers in key order with ``ReLU`` between them. A state
      dict does not record an output ReLU, so it comes from the caller: ``output_relu=None`` → ``False``.

    ``max_bytes``: refuse a file whose records, read as float64, would need more
    (:data:`TORCH_READ_FACTOR` bytes per record byte). Every failure (missing, empty or directory path,
    not a torch file, truncated, refused content) is a one-line ``ValueError`` naming the file.
    """

    what = f"target: {path!r}"
    check_target_file(path, "torch")
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(info.file_size for info in zf.infolist())
            names = [info.filename for info in zf.infolist()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValueError(
            f"{what} is not a torch.save zip archive (truncated, saved in the pre-1.6 legacy format, "
            "or not a torch file)"
        ) from None
    if len(set(names)) != len(names):
        raise ValueError(f"{what} has two zip members of one name; zip readers disagree on which one counts, "
                         "so the file is refused")
    limit = 8 * MAX_TARGET_PARAMS + 2**24
    if declared > limit:
        raise ValueError(
            f"{what} declares {declared} bytes of records, more than {limit} (8 bytes × MAX_TARGET_PARAMS="
            f"{MAX_TARGET_PARAMS} + 16 MiB); a target that large cannot be built into a ticket in memory"
        )
    if max_bytes is not None and TORCH_READ_FACTOR * declared > max_bytes:
        raise ValueError(
            f"{what} declares {declared} bytes of records; reading them as float64 needs about "
            f"{TORCH_READ_FACTOR * declared / 2**20:.0f} MiB, more than the memory limit of {max_bytes / 2**20:.0f} MiB "
            "(--max-memory, SLT_CHECK_MAX_MEMORY)"
        )
    torch = _torch()
    allowed = [(record, name) for name, record in _RECORDS.items()]
    try:
        with torch.serialization.safe_globals(allowed):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except _RecordRefused as exc:
        raise ValueError(f"{what}: {(str(exc).strip().splitlines() or ['refused'])[0]}") from None
    except Exception as exc:  # noqa: BLE001 - any failure of a hostile or broken file becomes one ValueError
        raise ValueError(f"{what} could not be loaded as a torch file: {_torch_load_error(exc)}") from None
    try:
        if isinstance(obj, _Record):
            return _assemble(_layers_from_record(obj, what), output_relu, what)
        if isinstance(obj, dict):
            return _net_from_state_dict(obj, output_relu, what)
    except ValueError as exc:
        msg = str(exc)
        raise ValueError(msg if msg.startswith(what) else f"{what}: {msg}") from None
    raise ValueError(
        f"{what}: holds a {type(obj).__name__}; expected a torch.nn.Sequential (torch.save(model)) or a state dict"
    )


def _sparse_linear_class() -> Any:
    torch = _torch()

    class SparseLinear(torch.nn.Module):
        """Linear map with a sparse (COO) float64 weight ``(n_out, n_in)``: ``y = x Wᵀ`` (``+ b`` with a
        dense ``bias``).

        The kept weights of a large ticket as a torch module: memory ∝ kept entries, not
        ``n_out × n_in``. ``weight`` and ``bias`` are buffers (a pruned ticket is not trained further)."""

        def __init__(self, weight: Any, bias: Any = None) -> None:
            super().__init__()
            self.register_buffer("weight", weight)
            self.register_buffer("bias", bias)
            self.in_features, self.out_features = int(weight.shape[1]), int(weight.shape[0])

        def forward(self, x: Any) -> Any:
            y = torch.sparse.mm(self.weight, x.T).T
            return y if self.bias is None else y + self.bias

        def extra_repr(self) -> str:
            return f"in_features={self.in_features}, out_features={self.out_features}, nnz={self.weight._nnz()}"

    return SparseLinear


def sparse_linear(w: Any, bias: Any = None) -> Any:
    """A ``SparseLinear`` torch module holding the scipy/numpy matrix ``w`` as a COO tensor (and the
    optional bias vector ``bias`` densely)."""
    torch = _torch()
    m = sp.csr_matrix(w, dtype=np.float64).tocoo()
    idx = torch.from_numpy(np.stack([m.row, m.col]).astype(np.int64))
    t = torch.sparse_coo_tensor(
        idx, torch.from_numpy(m.data.copy()), size=m.shape, dtype=torch.float64,
        check_invariants=True,
    ).coalesce()
    b = None if bias is None else torch.from_numpy(np.array(bias, dtype=np.float64))
    return _sparse_linear_class()(t, b)


def sparse_net_to_torch(net: ReLUNet, *, dense_limit: int = DENSE_LAYER_LIMIT) -> Any:
    """Like :func:`net_to_torch`, but a layer with more than ``dense_limit`` entries (``n_out·n_in``)
    becomes a ``SparseLinear`` (memory ∝ its non-zeros)."""
    torch = _torch()
    mods: list[Any] = []
    for k, w in enumerate(net.weights):
        b = None if net.biases is None or not np.any(net.biases[k]) else net.biases[k]
        if w.shape[0] * w.shape[1] > dense_limit:
            mods.append(sparse_linear(w, b))
        else:
            mods.extend(list(net_to_torch(ReLUNet([w.toarray() if sp.issparse(w) else w], biases=[b]))))
        if k < net.depth - 1 or net.output_relu:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def ticket_to_torch(ticket: Any, compact: bool | None = None, *, dense_limit: int = DENSE_LAYER_LIMIT,
                    dtype: Any = None) -> Any:
    """A ticket as a torch ``nn.Sequential`` in ``dtype`` (default ``None`` = float64).

    * ``compact=False`` (default for dense tickets with ``G`` ≤ 5e6 parameters): the dense ``G``
      layers as ``Linear(bias=False)`` pruned with ``torch.nn.utils.prune.custom_from_mask`` (the
      module's ``weight`` is ``weight_orig * weight_mask`` = ``G ⊙ mask``);
    * ``compact=True`` (large tickets; always for a :class:`~slt_check.tickets.compact_ticket.CompactTicket`,
      which has no dense ``G``): the live neurons' kept weights only; layers with more than
      ``dense_limit`` entries become sparse ``SparseLinear`` modules.

    Both compute the numpy ``ticket.network()`` function (tests: equal to 1e-12 in float64). A ticket
    of a biased target (``meta["affine"]``, :mod:`slt_check.core.affine`) is exported as its network on
    ``x``: the first ``Linear`` has ``n_in`` inputs and the bias ``mask_bias_0 ⊙ G_bias_0`` (pruned
    with ``custom_from_mask`` too on the dense path), the deeper ones are bias-free.

    ``dtype=torch.float32`` rounds the exported module to float32 (:func:`cast_module`): the sup error
    certified for the ticket is a float64 statement and does not cover the float32 module, whose outputs
    differ by the float32 rounding (relative ~1e-7 per layer). Like any torch module, the result accepts
    inputs of its own dtype only (a float32 input to the float64 module is a torch ``RuntimeError``
    about ``dtype``): cast the input (``module(x.to(torch.float64))``) or export in the input's dtype."""
    torch = _torch()
    if dtype is not None and resolve_dtype(dtype) != torch.float64:
        return cast_module(ticket_to_torch(ticket, compact, dense_limit=dense_limit), dtype)
    has_dense_G = hasattr(ticket, "masks")
    meta = getattr(ticket, "meta", None)
    aff = getattr(meta, AFFINE_KEY, None)  # the ticket's typed record (tickets.meta.AffineRecord)
    n_in = None if aff is None else int(aff.n_in)
    if compact is None:
        compact = (not has_dense_G) or ticket.G.n_params > 5_000_000
    if compact:
        net = ticket.network(compact=True)
        return sparse_net_to_torch(net if n_in is None else network_on_x(net, n_in), dense_limit=dense_limit)
    if not has_dense_G:
        raise ValueError(
            "compact: a CompactTicket has no dense G to prune with custom_from_mask; use compact=True"
        )
    from torch.nn.utils import prune  # a submodule: not loaded by ``import torch``

    masks = list(ticket.masks)
    G = ticket.G
    if n_in is not None:
        G = network_on_x(G, n_in)
        bias_mask = masks[0][:, n_in]
        masks[0] = masks[0][:, :n_in]
    seq = net_to_torch(G)
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    for lin, mask in zip(linears, masks, strict=True):
        prune.custom_from_mask(lin, "weight", torch.from_numpy(np.ascontiguousarray(mask)))
    if n_in is not None and linears[0].bias is not None:
        prune.custom_from_mask(linears[0], "bias", torch.from_numpy(np.ascontiguousarray(bias_mask)))
    return seq
