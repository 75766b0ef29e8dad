"""The strong-ticket constructions (one module each), their typed base and the registry.

* :mod:`~slt_check.constructions.base`: :class:`Problem`, the :class:`Construction` base class,
  :class:`ConstructionFailed`, the common ticket metadata;
* :mod:`~slt_check.constructions.two_layer`: the shared machinery of the depth-``2l`` constructions
  (source spec, selection, lazy-path hooks);
* ``orseau``, ``pensia``, ``malach``, ``factorial``, ``burkholz``, ``edge_popup``: the constructions;
* :mod:`~slt_check.constructions.registry`: every construction by name, :func:`get_construction`.

Building a ticket (dense or lazy, verified, certified) is :mod:`slt_check.pipeline.build`.

Like every subpackage, this one re-exports nothing: import from the module that defines a name
(``from slt_check.constructions.registry import get_construction``), or from the top-level
``slt_check``. A face that imported its own modules would close a loop with any of them that
imports a sibling through the package (``from slt_check.constructions import sample_counts``).
"""
