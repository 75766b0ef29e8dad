"""torch in/out for convolutional targets and tickets, without running code from the file.

Reading (:func:`load_torch_cnn`) accepts

* ``torch.save(model)`` of an ``nn.Sequential`` of ``Conv2d`` (stride 1, dilation 1, groups 1, zero
  padding ``p`` or ``"same"`` for odd kernels), ``ReLU``, ``Flatten``, ``Linear``, ``AvgPool2d``
  (no padding, no ceil mode), ``Identity``, ``Dropout``; modules pruned by ``torch.nn.utils.prune``
  (``weight_orig`` and the buffer ``weight_mask``) are read as ``weight = weight_orig * weight_mask``.
  The input shape is ``--input-shape`` / the ``arch``'s, or inferred for a square input from the first
  ``Linear`` after the convolutions;
* a state dict (``torch.save(model.state_dict())``, masks included) together with an architecture
  string (:func:`slt_check.core.conv.parse_arch`): the weighted layers take the dict's
  ``<prefix>.weight``/``weight_orig``/``weight_mask``/``bias``… entries in key order.

Like :func:`slt_check.io.torch_io.load_torch_target`, the file is read by torch's restricted
``weights_only`` unpickler with the allowed module names (:data:`CNN_ALLOWED_GLOBALS`) mapped to inert
records whose attribute dicts are read, never called. :func:`ticket_to_torch_cnn` writes a ticket as
an ``nn.Sequential`` of ``Conv2d``/``Linear`` pairs with ``prune.custom_from_mask`` masks.
"""

from __future__ import annotations

import re
import zipfile
from typing import Any

import numpy as np

from slt_check.core.conv import MAX_CNN_PARAMS, ConvLayer, ConvNet, layer_shapes, parse_arch
from slt_check.io.safe_io import check_target_file

__all__ = ["load_torch_cnn", "CNN_ALLOWED_GLOBALS", "ticket_to_torch_cnn", "torch_file_is_cnn", "module_from_net"]

_MODULES = ("container.Sequential", "conv.Conv2d", "linear.Linear", "activation.ReLU", "flatten.Flatten",
            "pooling.AvgPool2d", "linear.Identity", "dropout.Dropout")
_PRUNE = ("CustomFromMask", "PruningContainer", "L1Unstructured", "RandomUnstructured", "LnStructured",
          "RandomStructured", "Identity")
CNN_ALLOWED_GLOBALS = tuple(f"torch.nn.modules.{m}" for m in _MODULES) + tuple(
    f"torch.nn.utils.prune.{p}" for p in _PRUNE)
"""Names a CNN ``.pt`` may refer to beyond torch's ``weights_only`` set; each maps to an inert record."""


class _Refused(ValueError):
    pass


class _Rec:
    kind = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise _Refused(f"the file calls the {self.kind} constructor, which torch.save(model) never writes")

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise _Refused(f"the {self.kind} in the file has no attribute dict")
        self.state = state


_RECS = {n: type(f"_{n.rsplit('.', 1)[1]}Rec", (_Rec,), {"kind": n.rsplit(".", 1)[1]}) for n in CNN_ALLOWED_GLOBALS}


def _load(path: str) -> Any:
    import torch

    what = f"target: {path!r}"
    check_target_file(path, "torch")
    try:
        with zipfile.ZipFile(path) as zf:
            declared = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ValueError(f"{what} is not a torch.save zip archive (truncated, legacy format, or not torch)") from None
    if declared > 16 * MAX_CNN_PARAMS + 2**24:
        raise ValueError(f"{what} declares {declared} bytes of records, more than a CNN target may hold")
    try:
        with torch.serialization.safe_globals([(rec, name) for name, rec in _RECS.items()]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except _Refused as exc:
        raise ValueError(f"{what}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a hostile or broken file is one ValueError
        m = re.search(r"GLOBAL ([\w.]+)", str(exc))
        why = (f"it refers to {m.group(1)}, which is not a supported layer (the file was refused without running it)"
               if m else f"{type(exc).__name__}: {(str(exc).strip().splitlines() or ['?'])[0]}")
        raise ValueError(f"{what} could not be loaded: {why}") from None


def torch_file_is_cnn(path: str) -> bool:
    """Whether a readable torch file holds a Sequential with a ``Conv2d`` or ``AvgPool2d``, or a state
    dict with a 4-D weight (``False`` for anything else, including unreadable files)."""
    try:
        obj = _load(path)
    except ValueError:
        return False
    if isinstance(obj, _Rec):
        mods = obj.state.get("_modules", {}) if hasattr(obj, "state") else {}
        return any(isinstance(m, _Rec) and m.kind in ("Conv2d", "AvgPool2d") for m in mods.values())
    if isinstance(obj, dict):
        return any(getattr(v, "ndim", 0) == 4 for v in obj.values())
    return False


def _array(t: Any, where: str) -> np.ndarray:
    import torch

    if not isinstance(t, torch.Tensor) or t.layout != torch.strided or not t.dtype.is_floating_point:
        raise ValueError(f"{where}: expected a dense real floating-point tensor, got {type(t).__name__}")
    a = t.detach().to(torch.float64).numpy().copy()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{where}: holds non-finite values")
    return a


def _param(params: dict[str, Any], buffers: dict[str, Any], name: str, where: str) -> np.ndarray | None:
    """``name`` or ``name_orig * name_mask`` (torch.nn.utils.prune), or None when absent."""
    if params.get(name) is not None:
        return _array(params[name], f"{where} {name}")
    if params.get(name + "_orig") is not None:
        orig = _array(params[name + "_orig"], f"{where} {name}_orig")
        mask = buffers.get(name + "_mask")
        if mask is None:
            raise ValueError(f"{where}: has {name}_orig but no {name}_mask buffer")
        m = _array(mask.to(dtype=params[name + "_orig"].dtype) if hasattr(mask, "to") else mask, f"{where} {name}_mask")
        if m.shape != orig.shape:
            raise ValueError(f"{where}: {name}_mask has shape {m.shape}, {name}_orig {orig.shape}")
        return orig * m
    return None


def _pair(v: Any, where: str, name: str) -> int:
    vals = v if isinstance(v, (tuple, list)) else (v, v)
    if len(vals) != 2 or vals[0] != vals[1] or not isinstance(vals[0], int):
        raise ValueError(f"{where}: {name}={v!r}; only equal integers in both directions are supported")
    return int(vals[0])


def _layer_from_record(rec: _Rec, where: str) -> ConvLayer | None:
    st = getattr(rec, "state", {})
    params, buffers = st.get("_parameters", {}) or {}, st.get("_buffers", {}) or {}
    if rec.kind == "Conv2d":
        w = _param(params, buffers, "weight", where)
        if w is None or w.ndim != 4:
            raise ValueError(f"{where}: Conv2d without a 4-D weight")
        k = w.shape[2]
        if w.shape[3] != k:
            raise ValueError(f"{where}: non-square kernel {w.shape[2:]}; only k×k kernels")
        for name, want in (("stride", 1), ("dilation", 1)):
            if _pair(st.get(name, 1), where, name) != want:
                raise ValueError(f"{where}: Conv2d {name}={st.get(name)!r}; only {name} 1 is supported")
        if st.get("groups", 1) != 1 or st.get("padding_mode", "zeros") != "zeros":
            raise ValueError(f"{where}: Conv2d groups={st.get('groups')}, padding_mode={st.get('padding_mode')!r}; "
                             "only groups=1 and zero padding")
        pad = st.get("padding", 0)
        if pad == "same" and k % 2 == 1:
            p = k // 2
        elif pad == "valid":
            p = 0
        else:
            p = _pair(pad, where, "padding")
        return ConvLayer("conv", w, _param(params, buffers, "bias", where), padding=p, kernel=k, out=w.shape[0])
    if rec.kind == "Linear":
        w = _param(params, buffers, "weight", where)
        if w is None or w.ndim != 2:
            raise ValueError(f"{where}: Linear without a 2-D weight")
        return ConvLayer("linear", w, _param(params, buffers, "bias", where), out=w.shape[0])
    if rec.kind == "AvgPool2d":
        k = _pair(st.get("kernel_size"), where, "kernel_size")
        s = _pair(st.get("stride") or k, where, "stride")
        if _pair(st.get("padding", 0), where, "padding") != 0 or st.get("ceil_mode", False) or st.get(
                "divisor_override") is not None:
            raise ValueError(f"{where}: AvgPool2d with padding, ceil_mode or divisor_override is not supported")
        return ConvLayer("avgpool", kernel=k, stride=s)
    if rec.kind == "ReLU":
        return ConvLayer("relu")
    if rec.kind == "Flatten":
        if st.get("start_dim", 1) != 1 or st.get("end_dim", -1) != -1:
            raise ValueError(f"{where}: only Flatten() (start_dim=1, end_dim=-1)")
        return ConvLayer("flatten")
    if rec.kind in ("Identity", "Dropout"):
        return None
    raise ValueError(f"{where}: unsupported layer {rec.kind}")


def _infer_shape(layers: list[ConvLayer]) -> tuple[int, int, int]:
    """The square input ``(C, H, H)`` that makes the first ``Linear`` fit with no row cropped by a pooling
    layer; ``ValueError`` when there is none or several."""
    first = next(L for L in layers if L.kind in ("conv", "linear"))
    if first.kind != "conv":
        raise ValueError("the first layer is not a Conv2d; give the input shape (--input-shape CxHxW)")
    C = first.weight.shape[1]
    fits = []
    for H in range(1, 1025):
        try:
            shapes = [(C, H, H)] + layer_shapes((C, H, H), layers)
            ConvNet((C, H, H), layers)
        except ValueError:
            continue
        # average pooling floors: of the sizes that fit, keep those that no pooling layer crops
        if all((shapes[i][1] - L.kernel) % L.stride == 0 for i, L in enumerate(layers) if L.kind == "avgpool"):
            fits.append(H)
    if len(fits) != 1:
        raise ValueError("cannot infer the input shape from the layers; give it (--input-shape CxHxW)")
    return (C, fits[0], fits[0])


def load_torch_cnn(path: str, *, arch: str | None = None, input_shape: tuple[int, int, int] | None = None) -> ConvNet:
    """Read a CNN target from a torch file (module doc); every failure is one ``ValueError``."""
    what = f"target: {path!r}"
    obj = _load(path)
    try:
        if isinstance(obj, _Rec):
            if obj.kind != "Sequential":
                raise ValueError(f"holds a {obj.kind}, not an nn.Sequential or a state dict")
            layers = []
            for i, child in enumerate(getattr(obj, "state", {}).get("_modules", {}).values()):
                if not isinstance(child, _Rec):
                    raise ValueError(f"module[{i}]: unsupported content {type(child).__name__}")
                L = _layer_from_record(child, f"module[{i}]")
                if L is not None:
                    layers.append(L)
            if arch is not None:
                shape, declared = parse_arch(arch)
                if [d.kind for d in declared] != [L.kind for L in layers]:
                    raise ValueError(f"the module's layers differ from --arch {arch!r}")
            else:
                shape = input_shape or _infer_shape(layers)
            return ConvNet(shape, layers)
        if isinstance(obj, dict):
            if arch is None:
                raise ValueError("a state dict does not record the architecture; give it with --arch "
                                 "(e.g. --arch 1x28x28:conv32k3p1,relu,flatten,linear10)")
            return _from_state_dict(obj, arch)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None
    raise ValueError(f"{what}: holds a {type(obj).__name__}; expected an nn.Sequential or a state dict")


def _from_state_dict(sd: dict[Any, Any], arch: str) -> ConvNet:
    shape, layers = parse_arch(arch)
    groups: dict[str, dict[str, Any]] = {}
    for key, value in sd.items():
        prefix, dot, leaf = key.rpartition(".") if isinstance(key, str) else ("", "", "")
        if not dot or leaf not in ("weight", "bias", "weight_orig", "weight_mask", "bias_orig", "bias_mask"):
            raise ValueError(f"state dict key {key!r} is not '<layer>.weight|bias' (or their _orig/_mask)")
        groups.setdefault(prefix, {})[leaf] = value
    weighted = [L for L in layers if L.kind in ("conv", "linear")]
    if len(groups) != len(weighted):
        raise ValueError(f"the state dict has {len(groups)} weighted layers, --arch {arch!r} has {len(weighted)}")
    for L, (prefix, g) in zip(weighted, groups.items(), strict=True):
        params = {k: v for k, v in g.items() if not k.endswith("_mask")}
        buffers = {k: v for k, v in g.items() if k.endswith("_mask")}
        L.weight = _param(params, buffers, "weight", f"layer {prefix!r}")
        L.bias = _param(params, buffers, "bias", f"layer {prefix!r}")
        if L.weight is None:
            raise ValueError(f"layer {prefix!r} has no weight")
    return ConvNet(shape, layers)


def module_from_net(net: ConvNet) -> Any:
    """The target as a float64 ``nn.Sequential`` (for tests and examples)."""
    import torch

    mods: list[Any] = []
    shapes = [net.input_shape] + layer_shapes(net.input_shape, net.layers)
    for i, L in enumerate(net.layers):
        if L.kind == "conv":
            m = torch.nn.Conv2d(shapes[i][0], L.out, L.kernel, padding=L.padding, bias=L.bias is not None,
                                dtype=torch.float64)
        elif L.kind == "linear":
            m = torch.nn.Linear(shapes[i][0], L.out, bias=L.bias is not None, dtype=torch.float64)
        else:
            mods.append({"relu": torch.nn.ReLU, "flatten": torch.nn.Flatten}.get(L.kind, lambda: None)()
                        if L.kind != "avgpool" else torch.nn.AvgPool2d(L.kernel, L.stride))
            continue
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(L.weight))
            if L.bias is not None:
                m.bias.copy_(torch.from_numpy(L.bias))
        mods.append(m)
    return torch.nn.Sequential(*mods)


def ticket_to_torch_cnn(ticket: Any, dense_limit: int = 20_000_000) -> Any:
    """The ticket as a float64 ``nn.Sequential``: each weighted target layer becomes ``A`` (``Conv2d``
    ``k×k`` / ``Linear``) → ``ReLU`` → ``B`` (``Conv2d`` ``1×1`` / ``Linear``) over the kept channels
    of ``G`` (pruned channels are left out), each weight with its ``prune.custom_from_mask`` mask
    (``weight_orig`` holds the kept values of ``G`` and zeros where pruned); the weightless layers are
    copied. A ``Linear`` ``A`` over more than ``dense_limit`` entries (e.g. the first linear layer of an
    MNIST CNN) is written with a sparse CSR weight holding exactly its kept entries, no mask."""
    import torch
    from torch.nn.utils import prune

    if not hasattr(ticket, "pair_modules"):  # the depth-L+1 layout: G's layers with their masks
        module = module_from_net(ticket.as_convnet())
        weighted = [m for m in module if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
        for t, m in enumerate(weighted):
            mask = torch.zeros(m.weight.numel(), dtype=m.weight.dtype)
            mask[torch.from_numpy(ticket.idx[t])] = 1.0
            prune.custom_from_mask(m, "weight", mask.reshape(m.weight.shape))
        return module
    mods: list[Any] = []
    t = 0
    for L in ticket.target.layers:
        if L.kind in ("conv", "linear"):
            A, (mask_a, mask_ab), B, mask_b = ticket.pair_modules(t, dense_limit=dense_limit)
            if mask_a is not None:
                prune.custom_from_mask(A, "weight", mask_a)
            if mask_ab is not None:
                prune.custom_from_mask(A, "bias", mask_ab)
            prune.custom_from_mask(B, "weight", mask_b)
            mods += [A, torch.nn.ReLU(), B]
            t += 1
        elif L.kind == "relu":
            mods.append(torch.nn.ReLU())
        elif L.kind == "flatten":
            mods.append(torch.nn.Flatten())
        elif L.kind == "avgpool":
            mods.append(torch.nn.AvgPool2d(L.kernel, L.stride))
    return torch.nn.Sequential(*mods)
