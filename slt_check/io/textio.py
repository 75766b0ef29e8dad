"""The one place for plain-data and Markdown helpers: JSON-ready copies of results, the generated
blocks between ``<!-- name:start … -->`` / ``<!-- name:end -->`` markers in Markdown files (the
ledger, the peers table, the README figures), and the handling of text from untrusted files:
:func:`loads_json` (bounded nesting), :func:`printable` (what a terminal is shown) and
:func:`md_cell` (what a Markdown table is given)."""

from __future__ import annotations

import math
import json
import re
import unicodedata
from typing import Any

import numpy as np

__all__ = ["round_sig", "json_ready", "replace_block", "block_markers", "loads_json", "printable", "md_cell",
           "MAX_JSON_DEPTH", "MAX_MESSAGE_CHARS"]


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


MAX_JSON_DEPTH = 64
"""Deepest nesting :func:`loads_json` accepts (slt_check's own files nest at most 6 deep)."""

MAX_MESSAGE_CHARS = 600
"""Longest untrusted text :func:`printable` shows (the rest is counted, not printed)."""


def loads_json(text: str, what: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(text)``, or one ``ValueError`` naming ``what`` for invalid JSON, non-finite
    constants (``NaN``, ``Infinity``) or nesting deeper than ``max_depth`` (which would exhaust the
    recursion of any code walking it)."""

    def refuse(c: str) -> Any:
        raise ValueError(f"{c} is not a finite number")

    try:
        obj = json.loads(text, parse_constant=refuse)
    except RecursionError:
        raise ValueError(f"{what}: nested deeper than {max_depth} levels; not a file slt_check wrote") from None
    except ValueError as exc:  # json.JSONDecodeError included
        raise ValueError(f"{what}: not valid JSON ({printable(str(exc), 120)})") from None
    stack = [(obj, 1)]
    while stack:
        x, depth = stack.pop()
        if depth > max_depth:
            raise ValueError(f"{what}: nested deeper than {max_depth} levels; not a file slt_check wrote")
        if isinstance(x, dict):
            stack.extend((v, depth + 1) for v in x.values())
        elif isinstance(x, list):
            stack.extend((v, depth + 1) for v in x)
    return obj


def printable(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``str(text)`` safe to print on a terminal: control and format characters (newlines, ANSI escapes,
    bidirectional overrides, …) become ``\\n``, ``\\x1b``, ``\\u202e`` escapes, and text longer
    than ``limit`` characters is cut with ``… (N more characters)``."""
    s = str(text)
    extra = len(s) - limit
    if extra > 0:
        s = s[:limit]
    out = "".join(ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" else repr(ch)[1:-1]
                  if ch.isascii() else f"\\u{ord(ch):04x}" for ch in s)
    return out + (f"… ({extra} more characters)" if extra > 0 else "")


def md_cell(text: Any, limit: int = MAX_MESSAGE_CHARS) -> str:
    """:func:`printable` text for one cell of a Markdown table: ``|`` escaped and ``<`` as ``&lt;``
    (no table breaks, no HTML tags, no new lines)."""
    return printable(text, limit).replace("<", "&lt;").replace("|", "\\|")
