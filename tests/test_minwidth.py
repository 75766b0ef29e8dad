"""Minimal-width finder: the search finds the threshold, uses one seed grid throughout, reports slack
and handles missing constructions; a real small run is consistent with the formula."""

from __future__ import annotations

import json

import numpy as np
import pytest

import slt_check.experiments.minwidth as mw
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core.stats import clopper_pearson, seed_grid
from slt_check.tickets.targets import random_target


def test_min_seeds_for_is_the_smallest_zero_failure_grid() -> None:
    for delta in (0.2, 0.1, 0.05):
        n = mw.min_seeds_for(delta)
        assert clopper_pearson(0, n)[1] <= delta < clopper_pearson(0, n - 1)[1]
        assert mw.cp_allows(0, n, delta) and not mw.cp_allows(1, n, delta / 10)


@pytest.mark.parametrize("threshold", [1, 2, 37, 64, 65, 1000])
def test_search_finds_the_threshold_with_one_seed_grid(monkeypatch, threshold: int) -> None:
    """With a stub outcome failing every seed below ``threshold``, the search returns ``threshold``,
    and every width is tried on the same pre-registered seeds."""
    seen: dict[int, list[int]] = {}

    def fake(name, options, problem, seed, family="uniform", search=False):  # noqa: ANN001, ANN202
        seen.setdefault(options["n_samples"], []).append(seed)
        return {"fail": options["n_samples"] < threshold}

    monkeypatch.setattr(mw, "seed_outcome", fake)
    prob = Problem((1, 1), 0.1, 0.2)
    r = mw.find_min_width("orseau", prob, n_seeds=20, master_seed=5, max_formula_params=0)
    assert r.n_empirical == threshold
    grid = seed_grid(5, 20)
    assert r.seeds == grid
    for N, seeds in seen.items():
        assert seeds == grid[: len(seeds)]  # same grid, in order (early stop only truncates)
        if N >= threshold:
            assert seeds == grid
    assert r.slack == pytest.approx(r.n_formula / threshold)
    works = {t["n_samples"]: t["works"] for t in r.trials}
    assert works[threshold] and (threshold == 1 or not works.get(threshold - 1, False))


def test_no_working_width_is_reported_not_hidden(monkeypatch) -> None:
    monkeypatch.setattr(mw, "seed_outcome", lambda *a, **k: {"fail": True})
    prob = Problem((1, 1), 0.1, 0.2)
    r = mw.find_min_width("orseau", prob, n_seeds=20, max_formula_params=0)
    assert r.n_empirical is None and r.slack is None and r.note.startswith("no width")
    assert not r.consistent  # searched past the formula width and nothing worked
    r = mw.find_min_width("orseau", prob, n_seeds=20, n_cap=50, max_formula_params=0)
    assert r.note.startswith("unresolved") and r.consistent  # budget below the formula: no verdict


def test_missing_construction_is_handled() -> None:
    r = mw.find_min_width("no_such_construction", Problem((1, 1), 0.1, 0.2), n_seeds=5)
    assert r.n_empirical is None and "not registered" in r.note


def test_bad_input_names_the_argument() -> None:
    with pytest.raises(ValueError, match="eps"):
        Problem((1, 1), -0.1, 0.2)
    with pytest.raises(ValueError, match="n"):
        mw.find_min_width("orseau", Problem((1, 1), 0.1, 0.2), n_seeds=0)


def test_real_orseau_run_is_consistent_with_the_formula() -> None:
    """Orseau per input, tiny target: the minimal width works on the full grid, the width below
    fails, and the formula width passes the exact binomial test of P(fail) ≤ δ."""
    prob = Problem((2, 1), 1e-2, 0.2)
    r = mw.find_min_width("orseau", prob, options={"sharing": "per_input"}, n_seeds=mw.min_seeds_for(0.2))
    assert r.n_empirical is not None and r.consistent
    trials = {t["n_samples"]: t for t in r.trials}
    assert trials[r.n_empirical]["works"] and trials[r.n_empirical]["complete"]
    if r.n_empirical - 1 in trials:
        assert not trials[r.n_empirical - 1]["works"]
    assert r.formula_trial is not None and not r.formula_trial["violated"]
    assert r.constant is None and r.constant_min is None


# ------------------------------------------------------------------------------ plan-only identities
# (moved from properties/: formula identities of the plan, not measurements of a claim)
def test_plan_log_growth_in_inverse_eps() -> None:
    from slt_check.claims import checks as C

    for ws, w, x in [((3, 4, 4, 2), 1.0, 1.0), ((8, 8), 2.5, 3.0), ((1, 1), 0.3, 0.5)]:
        c = C.check_log_growth(ws, w, x, 0.05, [10.0**-k for k in range(1, 13)])
        assert c.holds, c.message()


def test_plan_depth_formula() -> None:
    from slt_check.claims import checks as C

    for n in (1, 4, 8):
        for w, x in ((0.3, 0.5), (1.0, 1.0), (2.5, 3.0)):
            c = C.check_depth_linear(n, w, x, 1e-4, 0.05, 8)
            assert c.holds, c.message()


RATE_POINT = dict(construction="orseau", options={"sharing": "per_input"}, widths=[2, 2, 1], eps=0.1, delta=0.3,
                  w_max=1.0, x_max=1.0, family="uniform", master_seed=3, n_seeds=12, n_cap=2048, resolution=0.5,
                  alpha=1e-3)
STOPPED = "not holds (stopped)"


def _trial(n_samples: int, k: int, done: int, verdict: str) -> dict:
    """One width's count over RATE_POINT's 12 seeds, as ``count_rate_failures`` records it."""
    return {"n_samples": n_samples, "k": k, "n": 12, "done": done, "complete": done == 12, "verdict": verdict,
            "holds": verdict == "holds"}


RATE_POINT_RESULT = {
    "n_formula": 828, "width_option": "n_samples", "lo": 412, "hi": 618, "censored": False, "n_cap": 2048,
    "g_formula": 552.5, "g_lo": 275.1666666666667, "g_hi": 412.5, "g_cap": 1365.8333333333333,
    "slack": 1.3398058252427185, "constant": None, "constant_min": None,
    "formula_trial": _trial(828, 0, 12, "holds"),
    "trials": [_trial(103, 2, 2, STOPPED), _trial(206, 2, 2, STOPPED), _trial(412, 2, 2, STOPPED),
               _trial(618, 1, 12, "holds"), _trial(824, 0, 12, "holds"), _trial(828, 0, 12, "holds")],
}
"""``rate_rule_search(RATE_POINT)`` as computed before the search took a bias bound (bias-free targets)."""


@pytest.mark.parametrize("extra", [{}, {"b_max": None}])
def test_bias_free_search_is_unchanged(extra: dict) -> None:
    """Without ``b_max`` (absent or None) the minimal-width search gives the earlier result, bit for bit."""
    assert json.loads(json.dumps(mw.rate_rule_search(dict(RATE_POINT, **extra)))) == RATE_POINT_RESULT


@pytest.mark.parametrize("b_max", [0.5, 3.0])
def test_biased_search_plans_the_reduced_problem(b_max: float) -> None:
    """With ``b_max`` the formula width is the plan of the reduction (widths n_i + 1 but the output,
    w_max' = max(w_max, b_max, 1), x_max' = max(x_max, 1)), written out here; the neurons of G are counted per
    target parameter; every seed's target has the bias-free draw's weights and biases spanning b_max."""
    p = dict(RATE_POINT, b_max=b_max, n_cap=16)
    r = mw.rate_rule_search(p)
    red = Problem((3, 3, 1), 0.1, 0.3, w_max=max(1.0, b_max), x_max=1.0)
    plan = get_construction("orseau", sharing="per_input").plan(red)
    assert r["n_formula"] == plan.n_samples_formula != RATE_POINT_RESULT["n_formula"]
    assert r["b_max"] == b_max and r["reduced"] == red.as_dict() and r["n_params"] == 2 * 2 + 2 + 2 * 1 + 1
    assert r["g_formula"] == plan.G_neurons / 9
    assert Problem.reduced([2, 2, 1], 0.1, 0.3, b_max=b_max) == red
    for s in seed_grid(3, 4):
        F = mw.target_for_seed((2, 2, 1), 1.0, s, "uniform", b_max)
        F0 = mw.target_for_seed((2, 2, 1), 1.0, s, "uniform")
        law = random_target([2, 2, 1], 1.0, s + 1_000_003, family="uniform", bias=True)  # |b| ≤ w_max = 1
        assert all(np.array_equal(a, b) for a, b in zip(F.dense_weights(), F0.dense_weights(), strict=True))
        assert not F0.has_biases and F.has_biases
        for b, b1 in zip(F.bias_vectors(), law.bias_vectors(), strict=True):
            assert np.array_equal(b, b1 * b_max)
