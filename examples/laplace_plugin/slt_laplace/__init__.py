"""slt-laplace: an example plugin of slt_check.

It adds, without editing slt_check, a weight law (``laplace``), a construction that prunes a random
network of Laplace weights by exact subset sums (``laplace``), and a claim about that construction
(``LAP-delta``) with its own ledger (``LEDGER.md``). Installed beside slt_check, all three are found
by name: ``slt-check build --construction laplace``, ``slt-check check`` of its tickets,
``pytest properties`` and ``slt-check ledger``.
"""
