"""S-search (added): search vs construction on the same G (slt_check.claims.search_vs_construction).

* the two-stage rate claim (``SEARCH_RATE``: a screen over three targets and two ε on pensia's G,
  the worst cells confirmed with ``n_for_power(δ, α)`` fresh seeds; the event counted is edge-popup's
  certified success) — slow (about a second a draw), run by ``properties/test_rate_claims.py``;
* a ci-scale variant: 6 seeds of the first cell: the search keeps the construction's count on
  every seed, found ≤ certified, success iff certified ≤ ε, and a re-run of one trial gives the same
  found error (determinism);
* the checker catches a broken "search" handed the construction's own mask (slow).
"""

from __future__ import annotations

import pytest

from slt_check.claims.search_vs_construction import SEARCH_RATE, trial
from slt_check.core.screening import cell_seeds
from slt_check.core.stats import rate_verdict

pytest.importorskip("torch")


@pytest.mark.claim("S-search")
def test_search_vs_construction_ci_scale() -> None:
    cell = SEARCH_RATE.cells("ci")[0]
    seeds = cell_seeds(SEARCH_RATE.screen_master, 0, 6)
    outs = [trial((dict(cell.params), sd)) for sd in seeds]
    for o in outs:
        s = o["search"]
        assert s["k"] == o["construction"]["kept"]  # the same budget on the same G
        if s["certified"] is not None:
            assert s["found"] <= s["certified"] * (1 + 1e-9) + 1e-12
        assert s["success"] == (s["certified"] is not None and s["certified"] <= cell.params["eps"])
    again = trial((dict(cell.params), seeds[0]))
    assert again["search"]["found"] == outs[0]["search"]["found"]


@pytest.mark.slow
@pytest.mark.claim("S-search")
def test_checker_catches_a_search_handed_the_construction_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken variant: a "search" that returns the construction's own mask (certified by the same MILP)
    succeeds on every seed, and the claim's count reports it violated on 8 seeds (0.2⁸ < α)."""
    from slt_check.constructions.edge_popup import EdgePopup, certify_general

    def cheat(self, target, G, spec, problem, plan=None):  # noqa: ANN001, ANN202
        t = self.source_construction().select(target, G, spec, problem)
        cert = certify_general(target, t, problem.x_max, time_limit=5.0)
        t.meta = t.meta.updated(**{
            "k": int(t.n_kept), "certified_at_select": cert["certified"], "found_at_select": cert["found"],
            "success": cert["certified"] <= problem.eps, "milp_runs": 1, "timing_train_s": 0.0,
            "training": {"valid_max_error": cert["found"], "kept_per_layer": [int(m.sum()) for m in t.masks]}})
        return t

    monkeypatch.setattr(EdgePopup, "select", cheat)
    cell = SEARCH_RATE.cells("ci")[0]
    outs = [trial((dict(cell.params), sd)) for sd in cell_seeds(SEARCH_RATE.screen_master, 0, 8)]
    k = sum(bool(o["search"]["success"]) for o in outs)
    assert rate_verdict(k, len(outs), cell.delta).verdict == "violated"
