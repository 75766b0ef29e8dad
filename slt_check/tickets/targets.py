"""Random target networks ``F`` with ``|w| ≤ w_max``, and parsing of ``--target`` strings.

Weight families (``family=``):

* ``uniform`` — i.i.d. ``U[−w_max, w_max]``;
* ``normal`` — ``N(0, (w_max/2)²)`` clipped to ``[−w_max, w_max]``;
* ``sparse`` — uniform, each entry zeroed with probability ½ (exact zeros);
* ``corners`` — a mix of exact zeros, ``±w_max``, tiny values (``±w_max·10^{−8}``) and uniform draws;
* ``kaiming`` — ``N(0, 2/n_in)`` clipped to ``[−w_max, w_max]`` (realistic scales).

With ``bias=True`` (``--target random:4-8-2:kaiming:bias``, or ``random:4-8-2:bias`` for the
uniform family) every layer also gets a bias vector, drawn *after* all the weights from the same
stream (so the weights are those of the bias-free target of the same seed): ``U[−w_max, w_max]``
for ``uniform``, ``sparse`` and ``corners``, ``N(0, (w_max/2)²)`` clipped for ``normal``, and
``U[−1/√n_in, 1/√n_in]`` clipped to ``w_max`` for ``kaiming`` (torch's default bias scale). Biased
targets are built through the constant-input reduction (:mod:`slt_check.core.affine`, docs/biases.md).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.core.nets import ReLUNet
from slt_check.core.validation import MAX_TARGET_PARAMS, as_rng, check_positive
from slt_check.io.npz_io import array_bytes, read_npy_header
from slt_check.io.safe_io import check_target_file
from slt_check.io.torch_io import load_torch_target
from slt_check.runtime import memory

__all__ = [
    "FAMILIES",
    "MAX_TARGET_PARAMS",
    "random_target",
    "parse_widths",
    "target_from_spec",
    "load_npz_target",
    "check_target_file",
    "TARGET_SEED_OFFSET",
    "default_target_seed",
]

FAMILIES = ("uniform", "normal", "sparse", "corners", "kaiming")


_NPZ_PREFIXES = ("W", "target")
_BIAS_PREFIX = {"W": "b", "target": "target_bias"}
_DIGITS = re.compile(r"\s*[0-9]+\s*")
_INDEX = re.compile(r"0|[1-9][0-9]*")


def _layer(rng: np.random.Generator, shape: tuple[int, int], w_max: float, family: str) -> np.ndarray:
    if family == "uniform":
        return rng.uniform(-w_max, w_max, size=shape)
    if family == "normal":
        return np.clip(rng.normal(0.0, w_max / 2.0, size=shape), -w_max, w_max)
    if family == "sparse":
        w = rng.uniform(-w_max, w_max, size=shape)
        return np.where(rng.random(shape) < 0.5, 0.0, w)
    if family == "corners":
        choice = rng.integers(0, 5, size=shape)
        sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        vals = np.stack(
            [
                np.zeros(shape),
                sign * w_max,
                sign * w_max * 1e-8,
                rng.uniform(-w_max, w_max, size=shape),
                rng.uniform(-w_max, w_max, size=shape),
            ]
        )
        return np.take_along_axis(vals, choice[None], axis=0)[0]
    if family == "kaiming":
        return np.clip(rng.normal(0.0, np.sqrt(2.0 / shape[1]), size=shape), -w_max, w_max)
    raise ValueError(f"family: unknown target family {family!r}; choose one of {FAMILIES}")


TARGET_SEED_OFFSET = 1_000_003
"""A random target built beside ``G`` from seed ``s`` is drawn from seed ``s + TARGET_SEED_OFFSET``
(the CLI's ``--target-seed`` default, the minimal-width finder's and the figures' convention), so
that ``G`` and the target never share a stream."""


def _bias(rng: np.random.Generator, n_out: int, n_in: int, w_max: float, family: str) -> np.ndarray:
    """One bias vector of the family's law (module docstring)."""
    if family == "normal":
        return np.clip(rng.normal(0.0, w_max / 2.0, size=n_out), -w_max, w_max)
    if family == "kaiming":
        r = min(1.0 / np.sqrt(n_in), w_max)
        return rng.uniform(-r, r, size=n_out)
    return rng.uniform(-w_max, w_max, size=n_out)


def default_target_seed(seed: int) -> int:
    """``seed + TARGET_SEED_OFFSET`` (see :data:`TARGET_SEED_OFFSET`)."""
    return int(seed) + TARGET_SEED_OFFSET


def _require_target_memory(n_weights: float, what: str) -> None:
    """``ValueError`` before a target of ``n_weights`` weights (float64-equivalent) is allocated beyond
    the memory limit (:func:`slt_check.runtime.memory.target_bytes`)."""
    memory.require(memory.target_bytes(n_weights), memory.limit(), what,
                   "use a smaller target, or raise --max-memory (SLT_CHECK_MAX_MEMORY) if the machine has the memory")


def random_target(
    widths: Sequence[int],
    w_max: float = 1.0,
    rng: Any = 0,
    *,
    family: str = "uniform",
    output_relu: bool = False,
    bias: bool = False,
) -> ReLUNet:
    """A random target with widths ``(n_0, …, n_l)`` and every ``|w| ≤ w_max``; bias-free, or with
    ``bias=True`` a bias ``|b| ≤ w_max`` per layer, drawn after the weights (module docstring).

    More than :data:`MAX_TARGET_PARAMS` weights raise ``ValueError`` before anything is allocated."""
    w_max = check_positive(w_max, "w_max")
    ws = parse_widths(widths)
    if family not in FAMILIES:
        raise ValueError(f"family: unknown target family {family!r}; choose one of {FAMILIES}")
    n = sum(a * b for a, b in zip(ws[:-1], ws[1:], strict=False))
    if n > MAX_TARGET_PARAMS:
        raise ValueError(
            f"widths: {'-'.join(map(str, ws))} has {n} weights, more than MAX_TARGET_PARAMS={MAX_TARGET_PARAMS}; "
            "a target that large cannot be built into a ticket in memory"
        )
    _require_target_memory(n, f"target: random:{'-'.join(map(str, ws))}")
    gen = as_rng(rng)
    weights = [_layer(gen, (b, a), w_max, family) for a, b in zip(ws[:-1], ws[1:], strict=False)]
    biases = [_bias(gen, b, a, w_max, family) for a, b in zip(ws[:-1], ws[1:], strict=False)] if bias else None
    return ReLUNet(weights, output_relu=output_relu, biases=biases)


def parse_widths(widths: Sequence[int] | str) -> tuple[int, ...]:
    """``"4-8-8-2"`` (or ``"4,8,8,2"``) or ``[4, 8, 8, 2]`` → ``(4, 8, 8, 2)`` (at least two positive integers).

    In a string every part must be digits: ``"-4-8-2"``, ``"4--8"`` or ``"4-8-"`` (an empty part, or a
    sign) raise ``ValueError`` rather than being read as something else."""
    if isinstance(widths, str):
        parts = widths.replace(",", "-").split("-")
        if not all(_DIGITS.fullmatch(p) for p in parts):
            raise ValueError(
                f"widths: expected positive integers joined by '-', e.g. '4-8-8-2' (no empty parts, no signs); "
                f"got {widths!r}"
            )
        ws = tuple(int(p) for p in parts)
    else:
        ws = tuple(int(n) for n in widths)
    if len(ws) < 2 or any(n < 1 for n in ws):
        raise ValueError(f"widths: need at least n_0 and n_1, all ≥ 1; got {widths!r}")
    return ws


def _check_header(key: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Real integer or float entries, a 2-D shape without zero dimensions."""
    if dtype.kind == "c":
        raise ValueError(f"array {key!r} is complex ({dtype}); weights must be real (the imaginary part would be lost)")
    if dtype.kind not in "iuf" or dtype.hasobject or dtype.subdtype is not None:
        raise ValueError(f"array {key!r} has dtype {dtype}; weights must be real integers or floats")
    if len(shape) != 2:
        raise ValueError(f"array {key!r}: expected a 2-D (n_out, n_in) matrix, got shape {shape}")
    if 0 in shape:
        raise ValueError(f"array {key!r}: shape {shape} has a zero dimension; every width must be ≥ 1")


def _bias_keys(keys: list[str], layer_keys: list[str], what: str) -> list[str | None]:
    """``b_0, b_1, …`` beside ``W_0 …`` (``target_bias_0 …`` beside ``target_0 …``): numbered without
    gaps from 0, none past the last layer; ``[None, …]`` when there are none."""
    prefix = layer_keys[0].rsplit("_", 1)[0]
    bp = _BIAS_PREFIX[prefix]
    idx: list[int] = []
    for k in keys:
        if not k.startswith(f"{bp}_"):
            continue
        if not _INDEX.fullmatch(k[len(bp) + 1:]):
            raise ValueError(f"{what}: array {k!r} is not {bp}_<k> with k = 0, 1, 2, …")
        idx.append(int(k[len(bp) + 1:]))
    if not idx:
        return [None] * len(layer_keys)
    idx.sort()
    if idx != list(range(len(idx))):
        missing = sorted(set(range(max(idx) + 1)) - set(idx))[0]
        raise ValueError(
            f"{what} has {', '.join(f'{bp}_{i}' for i in idx)} but no {bp}_{missing}; biases must be "
            f"{bp}_0 … {bp}_(l-1) without gaps (one per layer {prefix}_k)"
        )
    if len(idx) > len(layer_keys):
        raise ValueError(f"{what} has {bp}_{idx[-1]} but only {len(layer_keys)} layers; one bias per layer at most")
    if len(idx) < len(layer_keys):
        raise ValueError(
            f"{what} has biases {bp}_0 … {bp}_{idx[-1]} but {len(layer_keys)} layers; give one bias per layer "
            "(an all-zero vector for a layer without bias)"
        )
    return [f"{bp}_{i}" for i in idx]


def _check_bias_header(key: str, shape: tuple[int, ...], dtype: np.dtype, n_out: int) -> None:
    """Real integer or float entries, a 1-D shape ``(n_out,)`` matching its layer."""
    if dtype.kind not in "iuf" or dtype.hasobject or dtype.subdtype is not None:
        raise ValueError(f"array {key!r} has dtype {dtype}; biases must be real integers or floats")
    if shape != (n_out,):
        raise ValueError(
            f"array {key!r}: expected a vector of length {n_out} (the outputs of its layer), got shape {shape}"
        )


def _read_array(zf: zipfile.ZipFile, member: str, key: str, header: Any) -> np.ndarray:
    """The data of one checked ``.npy`` member (its header must not have changed since it was checked)."""
    with zf.open(member) as fp:
        if read_npy_header(fp) != header:
            raise ValueError(f"array {key!r} changed while it was read")
        shape, fortran, dtype = header
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        buf = fp.read(nbytes)
    if len(buf) != nbytes:
        raise ValueError(f"array {key!r} is truncated ({len(buf)} of {nbytes} bytes)")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order="F" if fortran else "C").astype(np.float64)


def _layer_keys(keys: list[str], what: str) -> list[str]:
    """``W_0 … W_{l−1}`` (or ``target_0 …``): one prefix, consecutive indices, nothing else with that prefix."""
    prefixes = [p for p in _NPZ_PREFIXES if any(k.startswith(f"{p}_") and not k.startswith("target_bias_")
                                                 for k in keys)]
    if not prefixes:
        raise ValueError(f"{what} has no W_0… or target_0… arrays")
    if len(prefixes) > 1:
        raise ValueError(f"{what} has both W_k and target_k arrays; keep one set of layers")
    prefix = prefixes[0]
    idx: list[int] = []
    for k in keys:
        if not k.startswith(f"{prefix}_") or k.startswith("target_bias_"):
            continue
        m = _INDEX.fullmatch(k[len(prefix) + 1:])
        if not m:
            raise ValueError(f"{what}: array {k!r} is not {prefix}_<k> with k = 0, 1, 2, …")
        idx.append(int(k[len(prefix) + 1:]))
    idx.sort()
    missing = sorted(set(range(max(idx) + 1)) - set(idx))
    if missing:
        have = ", ".join(f"{prefix}_{i}" for i in idx)
        raise ValueError(
            f"{what} has {have} but no {prefix}_{missing[0]}; the layers must be {prefix}_0 … {prefix}_(l-1) "
            "without gaps"
        )
    return [f"{prefix}_{i}" for i in idx]


def load_npz_target(path: str, *, output_relu: bool | None = None) -> ReLUNet:
    """A target from an ``.npz`` file from anyone: every array is checked from its header before its data.

    * layers ``W_0 … W_{l−1}`` or a ticket file's ``target_0 …`` (other arrays are ignored), numbered
      without gaps, one prefix only;
    * optional biases ``b_0 … b_{l−1}`` beside ``W_k`` (``target_bias_k`` beside ``target_k``): one
      real vector of length ``n_{k+1}`` per layer, numbered without gaps — a gap, a missing layer's
      bias or a wrong length is a ``ValueError``;
    * each a 2-D ``(n_out, n_in)`` array of real integers or floats (converted to float64): complex,
      boolean, string, object and structured dtypes are refused (no pickles are ever read);
    * at most :data:`MAX_TARGET_PARAMS` entries in all, checked on the declared shapes (a 1 KB file may
      declare a ``(10⁶, 10⁶)`` array, a compressed member may inflate a thousandfold) before any
      data is read;
    * ``output_relu=None`` → ``False`` (an ``.npz`` does not record it).

    Every failure is a one-line ``ValueError`` naming the file.
    """
    what = f"target: {path!r}"
    check_target_file(path, "npz")
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            members = {n[:-4] if n.endswith(".npy") else n: n for n in names}
            if len(members) != len(names):
                raise ValueError(f"{what}: an array name occurs twice in the archive")
            keys = _layer_keys(list(members), what)
            headers = []
            for key in keys:
                with zf.open(members[key]) as fp:
                    shape, fortran, dtype = read_npy_header(fp)
                _check_header(key, shape, dtype)
                headers.append((shape, fortran, dtype))
            n = sum(s[0] * s[1] for s, _, _ in headers)
            if n > MAX_TARGET_PARAMS:
                raise ValueError(
                    f"{what}: its arrays declare {n} weights, more than MAX_TARGET_PARAMS={MAX_TARGET_PARAMS}; "
                    "a target that large cannot be built into a ticket in memory (nothing was read)"
                )
            _require_target_memory(sum(array_bytes(s[0] * s[1], d.itemsize, d.kind) for s, _, d in headers) / 8, what)
            bkeys = _bias_keys(list(members), keys, what)
            bheaders = []
            for bkey, (shape, _, _) in zip(bkeys, headers, strict=True):
                if bkey is None:
                    continue
                with zf.open(members[bkey]) as fp:
                    bheader = read_npy_header(fp)
                _check_bias_header(bkey, bheader[0], bheader[2], shape[0])
                bheaders.append(bheader)
            ws = [_read_array(zf, members[key], key, header) for key, header in zip(keys, headers, strict=True)]
            bs = [_read_array(zf, members[k], k, h) for k, h in zip([b for b in bkeys if b], bheaders, strict=True)]
        return ReLUNet(ws, output_relu=bool(output_relu), biases=bs or None)
    except ValueError as exc:
        msg = (str(exc).strip().splitlines() or ["invalid"])[0]
        raise ValueError(msg if msg.startswith(what) else f"{what}: {msg}") from None
    except Exception as exc:  # noqa: BLE001 - a broken or hostile archive (zip, zlib, OS errors) is one ValueError
        msg = (str(exc).strip().splitlines() or ["no message"])[0]
        raise ValueError(f"{what} is not a readable .npz archive ({type(exc).__name__}: {msg})") from None


def target_from_spec(spec: str, *, w_max: float = 1.0, seed: int = 0, output_relu: bool | None = None) -> ReLUNet:
    """Parse a ``--target`` string.

    * ``random:4-8-8-2`` or ``random:4-8-8-2:normal`` — a random target (seeded by ``seed``); a last
      part ``:bias`` adds biases (``random:4-8-2:bias``, ``random:4-8-2:kaiming:bias``);
    * ``torch:model.pt`` — a saved ``nn.Sequential`` of ``Linear`` (with or without bias) + ``ReLU``
      (``Flatten``, ``Identity``, ``Dropout`` skipped) or a state dict, loaded without running code
      from the file (:func:`slt_check.io.torch_io.load_torch_target`);
    * ``npz:file.npz`` — arrays ``W_0 … W_{l−1}`` and optional biases ``b_0 … b_{l−1}`` (or a ticket
      file's ``target_*``, ``target_bias_*``), checked before they are read (:func:`load_npz_target`).

    ``output_relu=None`` (default) means: from the model for a torch file (an explicit value must
    agree with its trailing ReLU), ``False`` for a random or ``.npz`` target, which record none.
    Files from strangers are safe to name here; every problem is a one-line ``ValueError``.
    """
    kind, _, rest = spec.partition(":")
    if kind == "random":
        widths, *opts = rest.split(":")
        bias = bool(opts) and opts[-1] == "bias"
        if bias:
            opts = opts[:-1]
        if len(opts) > 1:
            raise ValueError(
                f"target: expected 'random:<widths>[:family][:bias]', got {spec!r} (too many ':' parts)"
            )
        family = opts[0] if opts else ""
        return random_target(
            parse_widths(widths), w_max, seed, family=family or "uniform", output_relu=bool(output_relu),
            bias=bias,
        )
    if kind == "torch":
        return load_torch_target(rest, output_relu=output_relu, max_bytes=memory.limit())
    if kind == "npz":
        return load_npz_target(rest, output_relu=output_relu)
    raise ValueError(
        f"target: expected 'random:<widths>[:family][:bias]', 'torch:<file.pt>' or 'npz:<file.npz>', got {spec!r}"
    )
