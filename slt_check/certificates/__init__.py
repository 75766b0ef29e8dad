"""The sup-norm error over the input box, the quantity the theorems state: the certified upper
bound and the adversarial search (``sup_error``), the layer stages a certificate is built from
(``stages``), linear-bound (CROWN-style) propagation (``crown``), the exact value by a mixed-integer
linear program (``exact``), and the per-layer precision budget a construction must meet for a
certificate to stay below epsilon (``precision``)."""
