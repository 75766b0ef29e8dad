"""The claims of the paper and its peers as checks with verdicts: the statistics shared by every
claim (``base``), the checks themselves (``checks``, ``sampling``, ``success``, ``peers``), the catalog
that names each claim and its verdict rule (``catalog``), and the ledger ``paper_claims.md``
rendered from measured results (``ledger``). A claim names the broken variants its check must catch
by string (``Claim.breaks``); the variants themselves, and the Hypothesis strategies of the
properties, are test support (``tests/support/slt_testing``), not part of the library."""
