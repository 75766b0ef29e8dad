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
from slt_check.core.plugins import plugin_objects
from slt_check.core.subset_sum import MAX_N

__all__ = ["CONSTRUCTIONS", "all_constructions", "get_construction", "option_names", "OPTION_RANGES",
           "check_option_ranges"]

CONSTRUCTIONS: dict[str, type[Construction]] = {
    cls.name: cls for cls in (Orseau, Pensia, Malach, Factorial, Burkholz, EdgePopup)  # type: ignore[misc]
}
"""Construction classes by their ``name``."""


def _check_construction(name: str, cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Construction)) or getattr(cls, "name", None) != name:
        raise ValueError(f"construction {name!r}: a plugin construction must be a Construction subclass "
                         f"whose ``name`` is its entry-point name, got {cls!r}")


def all_constructions() -> dict[str, type[Construction]]:
    """Every construction by name: the built-ins (:data:`CONSTRUCTIONS`) and those of installed plugins
    (entry-point group ``slt_check.constructions``, :mod:`slt_check.core.plugins`)."""
    return {**CONSTRUCTIONS, **plugin_objects("slt_check.constructions", CONSTRUCTIONS, _check_construction)}


def option_names(cls: type[Any]) -> list[str]:
    """The options a construction class accepts (its init fields but ``name``)."""
    return sorted(f.name for f in fields(cls) if f.init and f.name != "name") if is_dataclass(cls) else []


OPTION_RANGES: dict[str, tuple[float, float, bool]] = {
    # name: (lowest, highest, must be an integer); the constructions check the finer rules
    "gamma": (1.0, 16.0, False),
    "n_digits": (1, 200, True),
    "n_samples": (1, 10**9, True),
    "window": (1, MAX_N, True),
    "grow_from": (1, MAX_N, True),
    "scale": (1e-100, 1e3, False),
    "C": (1e-3, 1e3, False),
    "rho": (1, 10**6, True),
    "k": (1, 10**9, True),
    "steps": (1, 10**7, True),
    "lr": (1e-12, 1e3, False),
    "batch": (1, 10**6, True),
    "train_seed": (0, 2**63 - 1, True),
    "k_start": (1, 10**9, True),
    "time_limit": (1e-3, 7 * 86400.0, False),
    "sup_phase": (0.0, 1.0, False),
    "q": (0.0, 1.0, False),
    "anneal": (0.0, 1.0, False),
    "leak": (0.0, 1.0, False),
}
"""The documented range of every numeric construction option (docs/checking.md, "Limits"): wide enough
for any real use, narrow enough that no plan formula (``γ^M``, sample counts, widths) overflows
float64 or asks for an absurd allocation. ``get_construction`` refuses a value outside it (a
``ValueError`` naming the option and the range), for ``build --option`` and for a file's options."""


def check_option_ranges(options: dict[str, Any]) -> None:
    """``ValueError`` for a numeric option outside :data:`OPTION_RANGES` (or not an integer where one
    is needed); ``None`` (the default) and non-numeric values pass (the construction checks them)."""
    for key, value in options.items():
        if key not in OPTION_RANGES or value is None or isinstance(value, (bool, str)):
            continue
        lo, hi, integer = OPTION_RANGES[key]
        kind = "an integer" if integer else "a number"
        if not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise ValueError(f"option {key}: expected {kind} in [{lo:g}, {hi:g}], got {value!r}")
        if not lo <= value <= hi:  # also false for NaN
            shown = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else f"a {len(str(value))}-digit number"
            raise ValueError(f"option {key}: must lie in [{lo:g}, {hi:g}], got {shown}")


def get_construction(name: str, **options: Any) -> Construction:
    """Instantiate a registered construction: ``get_construction("orseau", sharing="per_input")``.

    ``ValueError`` for an unknown name, an unknown option (naming the valid ones) or a value the
    construction refuses."""
    known_classes = CONSTRUCTIONS if name in CONSTRUCTIONS else all_constructions()
    if name not in known_classes:
        raise ValueError(f"construction: unknown construction {name!r}; choose one of {sorted(known_classes)} "
                         "(a plugin's construction is found once its package is installed)")
    cls = known_classes[name]
    known = option_names(cls)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"option: {name!r} has no option(s) {unknown}; its options are {known}")
    check_option_ranges(options)
    try:
        return cls(**options)
    except TypeError as exc:  # a wrong value type that the constructor did not name
        raise ValueError(f"option: {name!r} refused its options {options!r} ({exc})") from None
