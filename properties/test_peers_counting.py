"""The counting lower bound (docs/reconstruction.md#counting): properties only a bug can break.

* **LB-counting**: ``n`` candidates give ``2^n`` subset sums, so ε-covering a range ``R`` needs
  ``n ≥ log₂(R/(2ε))`` (:func:`slt_check.core.bounds.counting_lower_bound`). For every sample set the
  exact minimal cover ``n*`` respects it; every construction plans at least that many candidates
  per weight-half at its precision η; an exact subset-sum ticket never keeps more than the
  candidates it had (that last pigeonhole identity is a unit test in ``tests/test_peers.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check.claims.peers import check_counting
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core.bounds import counting_lower_bound
from slt_check.core.coverage import covered_intervals, minimal_cover_n


@pytest.mark.claim("LB-counting")
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 30), eps=st.floats(1e-4, 0.2),
       a=st.floats(0.1, 2.0), scale=st.floats(0.1, 3.0))
def test_any_cover_respects_counting(seed, n, eps, a, scale):
    v = np.random.default_rng(seed).uniform(-scale, scale, n)
    k = minimal_cover_n(v, eps, a)
    if k is not None:
        assert k >= counting_lower_bound(2 * a, eps)
    U = covered_intervals(v, eps)
    assert len(U) <= 2**n
    rounding = 4 * len(U) * float(np.spacing(np.abs(U).max()))  # endpoints are float sums
    assert float(np.sum(U[:, 1] - U[:, 0])) <= 2**n * 2 * eps + rounding


@pytest.mark.claim("LB-counting")
@given(
    name=st.sampled_from(["orseau", "pensia", "malach", "burkholz"]),
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    eps=st.floats(1e-8, 0.5),
    delta=st.floats(1e-4, 0.5),
    w_max=st.floats(0.1, 10.0),
)
def test_every_plan_respects_counting(name, widths, eps, delta, w_max):
    plan = get_construction(name).plan(Problem(tuple(widths), eps, delta, w_max=w_max))
    assert plan.n_samples / 2 >= counting_lower_bound(2 * w_max, plan.eta)


@pytest.mark.claim("LB-counting")
def test_measured_counts_respect_counting():
    r = check_counting(n_seeds=10)
    assert r["verdict"] == "holds", r["details"]
