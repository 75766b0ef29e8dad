"""Claim group: sampling and covering (shared/paper.md §3.4, §8 items 9, 10; R12).

Probabilistic claims: a pre-registered seed grid (``seed_grid(master, n)``), failures counted, a
one-sided exact binomial test of ``P(failure) ≤ p0`` at ``α = 1e-6`` per test (Bonferroni: family
level 1e-4 over ``N_BINOMIAL_TESTS = 100``). Assertion messages carry the Clopper–Pearson interval, the
critical count and the smallest failure rate detected with power 0.9.

* **R5** (group coverage): ``N_w = ⌈8M ln(2M·W/δ)⌉`` pairs per group ⇒ ``P(some of the W groups
  misses one of its 2M categories (sign a, k), sign(ab) = sign w) ≤ δ``.
* **R6** (categorical covering, "batch" lemma): ``N = ⌈(4/p)(m + ln(K/δ))⌉`` draws ⇒
  ``P(∃ category with < m draws) ≤ δ`` for ``(K, m, δ) ∈ {(10,1,0.1), (40,5,0.05), (80,20,0.01)}``.
* **R12** (union bound over groups/layers, confirmed in substance by Review 1): at an ``N`` where
  failures are frequent, ``P(some group misses) ≤ 2M·W(1 − 1/(8M))^N`` (the bound ``N_w`` inverts).
"""

from __future__ import annotations

import numpy as np
import pytest

from slt_check import checks as C
from slt_check.stats import seed_grid


@pytest.mark.claim("R5")
@pytest.mark.parametrize(("M", "groups", "delta", "runs"), [(10, 4, 0.05, 300), (20, 12, 0.1, 150)])
def test_group_coverage(M: int, groups: int, delta: float, runs: int) -> None:
    c = C.check_group_coverage(M, groups, delta, seed_grid(500 + M, runs))
    assert c.holds, c.message()


@pytest.mark.claim("R6")
@pytest.mark.parametrize(("K", "m", "delta"), [(10, 1, 0.1), (40, 5, 0.05), (80, 20, 0.01)])
def test_categorical_covering(K: int, m: int, delta: float) -> None:
    c = C.check_covering(K, m, delta, 2000, np.random.default_rng(seed_grid(600 + K, 1)[0]))
    assert c.holds, c.message()


@pytest.mark.claim("R12")
@pytest.mark.parametrize(("M", "groups"), [(5, 4), (10, 8)])
def test_union_bound(M: int, groups: int) -> None:
    c = C.check_union_bound(M, groups, seed_grid(1200 + M, 400))
    assert c.holds, c.message()
    assert c.details["k"] > 0, "the test point must see failures, else the bound is not exercised"
