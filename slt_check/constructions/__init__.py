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
from slt_check.constructions.orseau import Orseau

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
