"""Plugins: packages installed beside ``slt_check`` that add constructions, weight laws and claims.

A plugin declares entry points in its own ``pyproject.toml``, one group per kind of object::

    [project.entry-points."slt_check.constructions"]
    binary = "my_plugin.construction:BinaryWeights"      # a Construction class; key = its name
    [project.entry-points."slt_check.laws"]
    rademacher = "my_plugin.laws:Rademacher"             # a law class; key = its name
    [project.entry-points."slt_check.claims"]
    my_plugin = "my_plugin.claims:CLAIMS"                # a ClaimGroup (or a callable returning one)

Each layer of the library reads its own group when a name is not one of its built-ins
(:func:`slt_check.core.laws.make_law`, :func:`slt_check.constructions.registry.get_construction`,
:func:`slt_check.claims.registry.all_claims`), so a ticket built by a plugin's construction is
re-created and verified by ``slt-check check`` like any other, in worker processes too. A plugin
that cannot be imported, or whose key clashes with a built-in, is a ``ValueError`` naming the plugin
and saying how to fix it, never a silent omission.
"""

from __future__ import annotations

import importlib.metadata as metadata
from collections.abc import Callable, Collection
from functools import cache
from typing import Any

__all__ = ["GROUPS", "plugin_objects", "clear_cache"]

GROUPS = ("slt_check.constructions", "slt_check.laws", "slt_check.claims")
"""The entry-point groups a plugin may declare."""


@cache
def _load(group: str) -> tuple[tuple[str, str, Any], ...]:
    out = []
    for ep in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        dist = getattr(ep.dist, "name", "?") if ep.dist is not None else "?"
        try:
            obj = ep.load()
        except Exception as exc:  # any import error of a third-party package
            raise ValueError(f"plugin {dist!r}: its entry point {ep.name!r} in group {group!r} "
                             f"({ep.value}) cannot be loaded: {type(exc).__name__}: {exc}; fix or "
                             "uninstall the plugin") from exc
        out.append((ep.name, dist, obj))
    return tuple(out)


def plugin_objects(group: str, builtin: Collection[str] = (),
                   check: Callable[[str, Any], None] | None = None) -> dict[str, Any]:
    """The objects installed plugins declare in ``group`` (:data:`GROUPS`), by entry-point name.

    ``ValueError`` when a plugin cannot be loaded, when two plugins or a plugin and a built-in
    (``builtin``) use one name, or when ``check(name, obj)`` refuses an object."""
    if group not in GROUPS:
        raise ValueError(f"group: expected one of {GROUPS}, got {group!r}")
    out: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for name, dist, obj in _load(group):
        if name in builtin:
            raise ValueError(f"plugin {dist!r}: {group} name {name!r} is already a built-in; rename it")
        if name in out:
            raise ValueError(f"plugin {dist!r}: {group} name {name!r} is also declared by {owner[name]!r}")
        if check is not None:
            check(name, obj)
        out[name] = obj
        owner[name] = dist
    return out


def clear_cache() -> None:
    """Forget the loaded entry points (after installing a plugin in a running interpreter; tests)."""
    _load.cache_clear()
