"""Registered constructions (importing this package fills the registry)."""

from slt_check.constructions.base import (
    CONSTRUCTIONS,
    Construction,
    ConstructionFailed,
    Problem,
    build_ticket,
    get_construction,
    register,
)
from slt_check.constructions.burkholz import Burkholz  # noqa: E402,F401
from slt_check.constructions.edge_popup import EdgePopup  # noqa: F401
from slt_check.constructions.factorial import Factorial  # noqa: E402,F401
from slt_check.constructions.malach import Malach  # noqa: E402,F401
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.pensia import Pensia  # noqa: E402,F401

__all__ = [
    "CONSTRUCTIONS",
    "Construction",
    "ConstructionFailed",
    "Problem",
    "build_ticket",
    "get_construction",
    "register",
    "Orseau",
]
