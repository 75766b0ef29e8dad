"""Minimal-width finder: the search finds the threshold, uses one seed grid throughout, reports slack
and handles missing constructions; a real small run is consistent with the formula."""

from __future__ import annotations

import pytest

import slt_check.experiments.minwidth as mw
from slt_check.constructions.base import Problem
from slt_check.core.stats import clopper_pearson, seed_grid


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
