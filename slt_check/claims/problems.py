"""The pre-registered grid of end-to-end problems, drawn once for every claim that runs one.

R9, X-layer and X-cert check the tickets of P-main's grid (:data:`slt_check.claims.success.PMAIN_CASE`);
R-mask, R-sign, R-outrelu and P-size's bookkeeping check those of the end-to-end grid
(:func:`slt_check.claims.catalog.e2e_cases`). Both are the problems of :func:`problem_grid`: one
problem per seed of ``seed_grid(master, n)``, its scales, ε (and δ, unless fixed) drawn from
``default_rng(seed)``, the shape, sharing, output ReLU and weight family cycling with the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.core.stats import seed_grid

__all__ = ["problem_grid"]


def problem_grid(master: int, n: int, shapes: Sequence[Sequence[int]],
                 delta: float | None = None) -> list[dict[str, Any]]:
    """``n`` problems: for the ``i``-th seed ``s`` of ``seed_grid(master, n)``, ``widths =
    shapes[i mod len(shapes)]``, ``w_max ∈ {0.3, 1, 2.5}``, ``x_max ∈ {0.5, 1, 3}``, ``ε ∈ {1e-1,
    1e-2, 1e-4}`` and (when ``delta`` is ``None``) ``δ ∈ {0.05, 0.1}`` drawn in that order from
    ``default_rng(s)``; sharing alternates, the output ReLU every two problems, the family
    (corners, uniform, normal) every problem; ``seed = s`` draws ``G``."""
    out = []
    for i, s in enumerate(seed_grid(master, n)):
        rng = np.random.default_rng(s)
        p: dict[str, Any] = {
            "widths": tuple(shapes[i % len(shapes)]),
            "w_max": float(rng.choice([0.3, 1.0, 2.5])),
            "x_max": float(rng.choice([0.5, 1.0, 3.0])),
            "eps": float(rng.choice([1e-1, 1e-2, 1e-4])),
        }
        p["delta"] = float(rng.choice([0.05, 0.1])) if delta is None else delta
        p.update({"sharing": ("per_weight", "per_input")[i % 2], "output_relu": bool((i // 2) % 2),
                  "family": ("corners", "uniform", "normal")[i % 3], "seed": int(s)})
        out.append(p)
    return out
