"""The one place for plain-data and Markdown helpers: JSON-ready copies of results, and the
generated blocks between ``<!-- name:start … -->`` / ``<!-- name:end -->`` markers in Markdown files
(the ledger, the peers table, the README figures)."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

__all__ = ["round_sig", "json_ready", "replace_block", "block_markers"]


def round_sig(x: float, digits: int = 12) -> float:
    """``x`` rounded to ``digits`` significant digits (``ValueError`` on NaN/inf)."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"value: JSON results must be finite, got {x!r}; fix the computation")
    return float(f"{x:.{digits}g}")


def json_ready(obj: Any, *, digits: int | None = None, nonfinite: str = "keep", strict: bool = False) -> Any:
    """A plain-Python copy of ``obj`` for JSON: numpy arrays and scalars become lists and Python
    numbers, tuples become lists, dict keys strings.

    * ``digits``: round floats to that many significant digits (stable diffs of committed data);
    * ``nonfinite``: ``"keep"`` (leave NaN/inf), ``"string"`` (``"inf"``, ``"nan"``), ``"null"`` (``None``)
      or ``"error"``;
    * ``strict``: refuse objects that are not plain data instead of passing them through.
    """

    def conv(x: Any) -> Any:
        if isinstance(x, dict):
            return {str(k): conv(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        if isinstance(x, np.ndarray):
            return conv(x.tolist())
        if isinstance(x, np.generic):
            x = x.item()
        if isinstance(x, bool) or x is None or isinstance(x, str):
            return x
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            if not math.isfinite(x):
                if nonfinite == "error":
                    raise ValueError(f"value: JSON results must be finite, got {x!r}; fix the computation")
                return {"string": str(x), "null": None}.get(nonfinite, x)
            return round_sig(x, digits) if digits is not None else x
        if strict:
            raise ValueError(f"value: cannot store {type(x).__name__} in results JSON")
        return x

    return conv(obj)


def block_markers(name: str) -> tuple[re.Pattern[str], str]:
    """The start-marker pattern (``<!-- name:start`` with any note) and the end marker of a block."""
    return re.compile(rf"<!-- {re.escape(name)}:start[^>]*-->"), f"<!-- {name}:end -->"


def replace_block(text: str, name: str, block: str, where: str = "document") -> str:
    """``text`` with what lies between the ``name`` markers replaced by ``block`` (markers kept;
    ``ValueError`` naming ``where`` when the markers are missing)."""
    start_re, end = block_markers(name)
    m = start_re.search(text)
    if m is None or end not in text[m.end():]:
        raise ValueError(f"{where}: no '<!-- {name}:start … -->' … '{end}' markers found")
    stop = text.index(end, m.end())
    return text[: m.end()] + "\n" + block + text[stop:]
