"""Core numerics, with no notion of tickets or files: argument validation (``validation``), bias-free
ReLU networks (``nets``), the weight laws (``laws``: hyperbolic, uniform, products), the width and
sample-count formulas (``bounds``), the exact binomial verdicts and interval estimates (``stats``), the
subset-sum solvers (``subset_sum``, ``subset_sum_grow``), the base-3/2 digit expansions (``digits``),
the coupon-collector coverage model (``coverage``) and the two-stage rate verdicts (``screening``).
Everything above imports from here; nothing here imports from above."""
