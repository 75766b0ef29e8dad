"""The strong-ticket constructions (one module each), their typed base and the registry.

* :mod:`~slt_check.constructions.base`: :class:`Problem`, the :class:`Construction` base class,
  :class:`ConstructionFailed`, the common ticket metadata;
* :mod:`~slt_check.constructions.two_layer`: the shared machinery of the depth-``2l`` constructions
  (source spec, selection, lazy-path hooks);
* ``orseau``, ``pensia``, ``malach``, ``factorial``, ``burkholz``, ``edge_popup``: the constructions;
* :mod:`~slt_check.constructions.registry`: every construction by name, :func:`get_construction`.

Building a ticket (dense or lazy, verified, certified) is :mod:`slt_check.pipeline.build`.
"""

from slt_check.constructions.base import Construction, ConstructionFailed, Problem
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction

__all__ = [
    "CONSTRUCTIONS",
    "Construction",
    "ConstructionFailed",
    "Problem",
    "get_construction",
    "Orseau",
]

