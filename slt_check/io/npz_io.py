"""Reading ``.npz`` files from strangers without trusting them.

``numpy.load`` on an ``.npz`` reads each member's ``.npy`` header, then allocates what the header
declares — a 4 KB file may declare a ``(10⁶, 10⁶)`` array, and a compressed member may inflate a
thousandfold. :func:`npz_headers` reads only the headers (``numpy.lib.format``, no pickles: object
arrays are refused), and :func:`load_npz` checks every declared shape, dtype and the total size
against limits *before* reading any data.
"""

from __future__ import annotations

import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npformat

__all__ = ["NpzMember", "npz_headers", "read_npy_header", "load_npz", "array_bytes", "DEFAULT_MAX_BYTES"]

DEFAULT_MAX_BYTES = 8 * 2**30
"""Default bound on the total decoded size of the arrays read from one file (8 GiB)."""


class NpzMember:
    """A member's declared ``shape`` and ``dtype`` (from its header; nothing else read)."""

    __slots__ = ("name", "shape", "dtype")

    def __init__(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.name, self.shape, self.dtype = name, shape, dtype

    @property
    def nbytes(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n * int(self.dtype.itemsize)

    def __repr__(self) -> str:
        return f"NpzMember({self.name!r}, shape={self.shape}, dtype={self.dtype})"


def read_npy_header(fp: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` from a ``.npy`` stream's header (format 1.0, 2.0 or 3.0);
    the stream is left at the first data byte and no data is read."""
    version = npformat.read_magic(fp)
    if version == (1, 0):
        shape, fortran, dtype = npformat.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = npformat.read_array_header_2_0(fp)
    else:  # pragma: no cover - numpy writes only these
        raise ValueError(f"npy format version {version[0]}.{version[1]} is not read here")
    return tuple(int(d) for d in shape), bool(fortran), np.dtype(dtype)


def _open_zip(path: Path, what: str) -> zipfile.ZipFile:
    if not path.exists():
        raise ValueError(f"{what}: no {what} file at {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"{what}: {str(path)!r} is a directory, not an .npz file")
    if not path.is_file():  # a FIFO or a device would block or never end
        raise ValueError(f"{what}: {str(path)!r} is not a regular file (a FIFO, socket or device), not an .npz file")
    if path.stat().st_size == 0:
        raise ValueError(f"{what}: {str(path)!r} is empty")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{what}: {str(path)!r} is not a readable .npz file ({exc})") from None


def npz_headers(path: str | os.PathLike[str], what: str = "file") -> dict[str, NpzMember]:
    """Every member's declared shape and dtype, read from the ``.npy`` headers only.

    ``ValueError`` for a missing, empty or non-zip file, a member that is not an ``.npy`` array, a
    damaged header or an object (pickled) dtype."""
    p = Path(path)
    out: dict[str, NpzMember] = {}
    with _open_zip(p, what) as zf:
        dups = [n for n, c in Counter(info.filename for info in zf.infolist()).items() if c > 1]
        if dups:
            dup = dups[0]
            raise ValueError(f"{what}: {str(p)!r} has two members named {dup[:60]!r}; zip readers disagree on "
                             "which one counts, so the file is refused")
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{what}: member {info.filename!r} of {str(p)!r} is not an .npy array")
            name = info.filename[: -len(".npy")]
            try:
                with zf.open(info) as fh:
                    shape, _, dtype = read_npy_header(fh)
            except Exception as exc:  # zlib.error, EOFError, ValueError, SyntaxError …
                raise ValueError(f"{what}: member {name!r} of {str(p)!r} has a damaged header ({exc})") from None
            if dtype.hasobject:
                raise ValueError(f"{what}: member {name!r} of {str(p)!r} holds Python objects (pickles are never read)")
            if any(int(d) < 0 for d in shape):
                raise ValueError(f"{what}: member {name!r} declares a negative shape {shape}")
            out[name] = NpzMember(name, tuple(int(d) for d in shape), dtype)
    return out


def array_bytes(n_elements: float, itemsize: int, kind: str) -> float:
    """Bytes of reading ``n_elements`` entries of ``itemsize`` bytes and kind ``kind`` (numpy's
    ``dtype.kind``): the array itself, plus its 8-byte copy (float64 weights, int64 indices) when it
    is a number of another width (booleans are used as they are)."""
    convert = kind in "iuf" and not (itemsize == 8 and kind in "fi")
    return float(n_elements) * (itemsize + (8 if convert else 0))


def _read_bytes(m: NpzMember) -> float:
    """A member's declared size plus its float64 copy (:func:`array_bytes`)."""
    n = 1.0
    for d in m.shape:
        n *= d
    return array_bytes(n, int(m.dtype.itemsize), m.dtype.kind)


def load_npz(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    max_bytes: int = DEFAULT_MAX_BYTES,
    names: set[str] | None = None,
    kinds: str = "biuf",
    text_members: tuple[str, ...] = ("meta",),
) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (``names``: only those), after checking the declared headers.

    * numeric members must have a dtype kind in ``kinds`` (``b`` bool, ``i``/``u`` integer, ``f``
      float — complex and strings refused), ``text_members`` must be 0-d unicode strings;
    * the declared total size, counting each numeric array that is not float64 once more as its
      float64 copy (an ``int8`` array costs 9 bytes per entry), must be ≤ ``max_bytes``.
    ``ValueError`` (naming the member and the limit) otherwise; no data is read before the checks."""
    p = Path(path)
    headers = npz_headers(p, what)
    wanted = {k: v for k, v in headers.items() if names is None or k in names}
    total = 0
    for name, m in wanted.items():
        if name in text_members:
            if m.dtype.kind != "U" or m.shape != ():
                raise ValueError(f"{what}: member {name!r} must be a text string, got {m.dtype} {m.shape}")
        elif m.dtype.kind not in kinds:
            raise ValueError(
                f"{what}: member {name!r} has dtype {m.dtype}; expected real numbers "
                f"({', '.join(sorted(kinds))} kinds), e.g. float64"
            )
        total += _read_bytes(m)
    if total > max_bytes:
        big = max(wanted.values(), key=_read_bytes)
        raise ValueError(
            f"{what}: {str(p)!r} declares {total / 2**30:.3g} GiB of arrays once read as float64 (largest: "
            f"{big.name!r} of shape {big.shape[:8]}, {big.dtype}), more than the limit of {max_bytes / 2**30:.3g} "
            "GiB; raise --max-memory if the file is trusted and the machine has the memory"
        )
    out: dict[str, Any] = {}
    try:
        with np.load(p, allow_pickle=False) as z:
            for name in wanted:
                out[name] = z[name]
    except Exception as exc:  # zlib.error, EOFError, ValueError (truncated data) …
        raise ValueError(f"{what}: {str(p)!r} could not be read ({type(exc).__name__}: {exc})") from None
    return out
