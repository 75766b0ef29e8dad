"""The claims of the paper and its peers as checks with verdicts: the statistics shared by every
claim (``base``), the checks themselves (``checks``, ``sampling``, ``success``, ``peers``), the catalog
that names each claim and its verdict rule (``catalog``), the mutation each claim must catch
(``breaks``), hypothesis strategies for the properties (``strategies``), and the ledger
``paper_claims.md`` rendered from measured results (``ledger``)."""
