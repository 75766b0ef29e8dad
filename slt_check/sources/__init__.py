"""The random network G and how a construction looks at it: one stream layout per sharing scheme
(``layout``), G sampled from a seed, dense or entry by entry (``source``), the choice of usable entries
for each target weight (``selection``), and the same choice made on G's streams without storing G
(``lazy``)."""
