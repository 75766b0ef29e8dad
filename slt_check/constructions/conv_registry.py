"""The convolutional constructions by name (``slt-check build --construction`` on a CNN target).

* ``conv-orseau`` (default) and ``dacunha`` — the depth-2L layout (:mod:`slt_check.constructions.conv_2l`);
* ``burkholz-conv`` — the depth-``L+1`` layout (:mod:`slt_check.constructions.conv_burkholz`).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from slt_check.constructions.conv_2l import ConvOrseau, DaCunha
from slt_check.constructions.conv_burkholz import ConvBurkholz

__all__ = ["CONV_CONSTRUCTIONS", "get_conv_construction"]

CONV_CONSTRUCTIONS: dict[str, type] = {c.name: c for c in (ConvOrseau, DaCunha, ConvBurkholz)}
"""Convolutional construction classes by ``name``."""


def get_conv_construction(name: str, **options: Any) -> Any:
    """Instantiate a convolutional construction; ``ValueError`` for an unknown name or option."""
    if name not in CONV_CONSTRUCTIONS:
        raise ValueError(f"construction: {name!r} does not build CNN tickets; "
                         f"choose one of {sorted(CONV_CONSTRUCTIONS)}")
    cls = CONV_CONSTRUCTIONS[name]
    known = sorted(f.name for f in fields(cls))
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"option: {name!r} has no option(s) {unknown}; its options are {known}")
    try:
        return cls(**options)
    except TypeError as exc:
        raise ValueError(f"option: {name!r} refused its options {options!r} ({exc})") from None
