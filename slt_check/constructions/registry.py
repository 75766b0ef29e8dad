"""The registry of constructions: every construction class, by name.

This module imports the constructions (they do not import it), so the registry is the one place
that lists them; :func:`get_construction` instantiates one by name with checked options. To add a
construction, see docs/add-a-construction.md.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from slt_check.constructions.base import Construction
from slt_check.constructions.burkholz import Burkholz
from slt_check.constructions.edge_popup import EdgePopup
from slt_check.constructions.factorial import Factorial
from slt_check.constructions.malach import Malach
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.pensia import Pensia

__all__ = ["CONSTRUCTIONS", "get_construction", "option_names"]

CONSTRUCTIONS: dict[str, type[Construction]] = {
    cls.name: cls for cls in (Orseau, Pensia, Malach, Factorial, Burkholz, EdgePopup)  # type: ignore[misc]
}
"""Construction classes by their ``name``."""


def option_names(cls: type[Any]) -> list[str]:
    """The options a construction class accepts (its init fields but ``name``)."""
    return sorted(f.name for f in fields(cls) if f.init and f.name != "name") if is_dataclass(cls) else []


def get_construction(name: str, **options: Any) -> Construction:
    """Instantiate a registered construction: ``get_construction("orseau", sharing="per_input")``.

    ``ValueError`` for an unknown name, an unknown option (naming the valid ones) or a value the
    construction refuses."""
    if name not in CONSTRUCTIONS:
        raise ValueError(f"construction: unknown construction {name!r}; choose one of {sorted(CONSTRUCTIONS)}")
    cls = CONSTRUCTIONS[name]
    known = option_names(cls)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"option: {name!r} has no option(s) {unknown}; its options are {known}")
    try:
        return cls(**options)
    except TypeError as exc:  # a wrong value type that the constructor did not name
        raise ValueError(f"option: {name!r} refused its options {options!r} ({exc})") from None
