"""Claim group: hyperbolic vs uniform weights (shared/paper.md §2.4, §8 items 17, 18).

* **R11** ("hyperbolic is crucial", [3P]): the mean number of i.i.d. ``(a, b)`` pairs needed to cover all
  ``2M`` categories ``(sign a, k)`` (``ab > 0``) is ``≤ 8M(ln 2M + 1)`` under R7's hyperbolic law
  (one-sided t-test at α = 1e-6), while under ``U[−1,1]`` it grows geometrically:
  ``mean(M+5)/mean(M) ≥ γ^5/2 ≈ 3.8`` at ``M = 15`` (§11: 1368 → 6786).
* **P-fig1** (Figure 1 caption, confirmed): the previous-work 2-neuron search with ``U[−1,1]`` weights
  (``a > 0``, ``|ab − w| ≤ η``) needs ``Θ(1/η)`` samples — ``η·mean`` within 5 standard errors of the exact
  ``η/P`` (→ ``2/ln(1/w)``) for ``η = 1e-1 … 1e-4`` — whereas the digit construction's coverage cost
  ``8M(ln 2M + 1)`` with ``M = ⌈log_γ(2/η)⌉`` grows like ``log(1/η)`` and is far smaller at ``η = 1e-4``.
"""

from __future__ import annotations

import numpy as np
import pytest

from slt_check import checks as C
from slt_check.stats import seed_grid


@pytest.mark.claim("R11")
@pytest.mark.parametrize("M", [5, 10, 20, 30])
def test_hyperbolic_coverage_cost(M: int) -> None:
    c = C.check_hyperbolic_cost(M, 200, np.random.default_rng(seed_grid(1100 + M, 1)[0]))
    assert c.holds, c.message()


@pytest.mark.claim("R11")
def test_uniform_coverage_cost_grows_geometrically() -> None:
    c = C.check_uniform_cost_growth(15, 5, 100, np.random.default_rng(seed_grid(1115, 1)[0]))
    assert c.holds, c.message()


@pytest.mark.claim("P-fig1")
@pytest.mark.parametrize("w", [0.37, 0.05, 0.9])
def test_pair_search_is_inverse_eta(w: float) -> None:
    c = C.check_fig1_baseline(w, [1e-1, 1e-2, 1e-3, 1e-4], 100, np.random.default_rng(seed_grid(1800, 1)[0]))
    assert c.holds, c.message()
