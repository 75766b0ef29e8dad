"""Two-stage rate verdicts (:mod:`slt_check.core.screening`, :mod:`slt_check.claims.rates`) and the
pre-registration audit of every rate claim of the suite."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from slt_check.claims.catalog import RATE_CLAIMS
from slt_check.claims.ledger import RECORD_PATH, load_results, stale_case_tables
from slt_check.claims.rates import PENDING, Preregistration, RateClaim, audit, design, grid
from slt_check.core.screening import (
    CONFIRM_CAP,
    FAMILY_ALPHA_CLAIMS,
    N_RATE_CLAIMS,
    Cell,
    ScreenedCell,
    cell_seeds,
    cells_to_confirm,
    confirmation_alpha,
    confirmation_n,
    rank_cells,
    two_stage_verdict,
    verdict_label,
)
from slt_check.core.stats import rate_verdict
from slt_check.io.paths import project_root


def _sc(i: int, k: int, n: int = 8, delta: float = 0.1, closeness: float = 0.0) -> ScreenedCell:
    return ScreenedCell(i, Cell(f"c{i}", delta, {}), k, n, closeness)


def test_cell_seeds_differ_by_master_and_cell() -> None:
    a, b, c = cell_seeds(1, 0, 50), cell_seeds(2, 0, 50), cell_seeds(1, 1, 50)
    assert len(set(a)) == 50 and not set(a) & set(b) and not set(a) & set(c)
    assert cell_seeds(1, 0, 50) == a  # reproducible
    with pytest.raises(ValueError, match="n"):
        cell_seeds(1, 0, 0)


def test_ranking_puts_evidence_of_a_high_rate_first() -> None:
    cells = [_sc(0, 0), _sc(1, 3), _sc(2, 1), _sc(3, 0, closeness=0.9), _sc(4, 1, delta=0.02)]
    ranked = rank_cells(cells, master=7)
    # 3/8 at δ = 0.1 is the strongest evidence; 1/8 at δ = 0.02 beats 1/8 at δ = 0.1; among the
    # zero-failure cells the one closest to failing comes first
    assert [s.index for s in ranked[:4]] == [1, 4, 2, 3]


def test_confirmation_takes_the_worst_three_and_every_cell_above_delta() -> None:
    ranked = rank_cells([_sc(i, k) for i, k in enumerate([0, 2, 0, 3, 0, 0, 1, 2, 0])], master=1)
    chosen, rest = cells_to_confirm(ranked, at_least=3, cap=6)
    rates = {s.index for s in ranked if s.rate > 0.1}
    assert rates <= {s.index for s in chosen} and len(chosen) >= 3 and not rest
    chosen, rest = cells_to_confirm(ranked, at_least=1, cap=2)
    assert len(chosen) == 2 and len(rest) == len(rates) - 2


def test_bonferroni_over_every_confirmation_of_the_suite() -> None:
    assert len(RATE_CLAIMS) <= N_RATE_CLAIMS
    worst_total = sum(confirmation_alpha(c.cap) * c.cap for c in RATE_CLAIMS.values())
    assert worst_total <= FAMILY_ALPHA_CLAIMS + 1e-12


def test_verdict_combination_and_wording() -> None:
    ok = rate_verdict(0, 251, 0.1, 1e-3)
    near = rate_verdict(20, 251, 0.1, 1e-3)  # rate 0.08: excludes 2δ, upper limit above δ
    bad = rate_verdict(60, 251, 0.1, 1e-3)
    assert two_stage_verdict([(_sc(0, 0), ok), (_sc(1, 0), bad)], []) == "violated"
    assert two_stage_verdict([(_sc(0, 0), ok)], [_sc(1, 5)]) == "inconclusive"
    assert verdict_label("holds", [ok]) == "holds (rate < 2δ); consistent with δ"
    assert near.verdict == "holds" and verdict_label("holds", [ok, near]) == "holds (rate < 2δ)"


def _cell_failing(arg: tuple[dict[str, Any], float, int]) -> bool:
    P, _delta, seed = arg
    return (seed % 1000) < 1000 * P["rate"]


def _toy(rates: list[float], screen: int = 11, confirm: int = 12) -> RateClaim:
    cells = tuple(Cell(f"r{i}", 0.1, {"rate": r}) for i, r in enumerate(rates))
    return RateClaim("toy", {"rate": rates}, {"ci": cells}, _cell_failing, screen,
                     (Preregistration(confirm, "abc"),), n_screen={"ci": 20})


def test_one_bad_cell_among_many_is_found_and_decides() -> None:
    """A pooled test over 12 cells would average 0.3 in one cell down to 0.025 (< δ); the two stages
    confirm the failing cell and report it."""
    ts, _ = _toy([0.0] * 11 + [0.3]).run("ci")
    assert ts.verdict == "violated"
    assert ts.worst is not None and ts.worst[0].cell.label == "r11"
    assert all(s.cell.label != "r11" for s in ts.ranked[1:]) or ts.ranked[0].cell.label == "r11"
    ts, _ = _toy([0.0] * 12).run("ci")
    assert ts.verdict == "holds"


def test_confirmation_never_reuses_screen_seeds() -> None:
    for c in RATE_CLAIMS.values():
        for scale in ("ci",):
            for i, cell in enumerate(c.cells(scale)):
                n = confirmation_n(cell.delta, confirmation_alpha(CONFIRM_CAP))
                screen = set(cell_seeds(c.screen_master, i, c.n_screen[scale]))
                assert not screen & set(cell_seeds(c.confirm_master, i, n)), (c.id, cell.label)


def test_audit_refuses_shared_and_reused_masters() -> None:
    a = _toy([0.0], screen=1, confirm=2)
    b = _toy([0.0], screen=2, confirm=3)
    assert any("used by" in p for p in audit([a, b], {}))
    rec = {"claims": {"toy": {"details": {"two_stage": {"confirm_master": 1, "screen_master": 1}}}}}
    assert any("screen's master" in p for p in audit([a], rec))
    rec = {"claims": {"toy": {"details": {"two_stage": {"confirm_master": 2, "fingerprint": "x"},
                                          "history": [{"confirm_master": 2, "fingerprint": "y"}]}}}}
    assert any("two versions" in p for p in audit([a], rec))
    pend = RateClaim("p", {}, {"ci": ()}, _cell_failing, 5, (Preregistration(6, PENDING),))
    rec = {"claims": {"p": {"details": {"two_stage": {"confirm_master": 6}}}}}
    assert any("not yet fixed" in p for p in audit([pend], rec))
    with pytest.raises(ValueError, match="re-uses"):
        RateClaim("q", {}, {"ci": ()}, _cell_failing, 5, (Preregistration(5, "abc"),))


def test_recorded_results_pass_the_audit() -> None:
    """Every recorded rate result ran on its claim's latest master, with the construction files it
    has now, on a master no screen or earlier confirmation used."""
    problems = stale_case_tables(load_results(RECORD_PATH))
    assert not problems, problems


def test_every_master_was_fixed_at_a_commit_that_holds_it() -> None:
    root = project_root()
    if root is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    module_files = sorted(str(p.relative_to(root)) for p in (root / "slt_check" / "claims").glob("*.py"))
    for c in RATE_CLAIMS.values():
        for pre in c.confirmations:
            assert pre.fixed_at != PENDING, f"{c.id}: master {pre.master} not fixed at a commit"
            blob = "".join(subprocess.run(["git", "-C", str(root), "show", f"{pre.fixed_at}:{f}"],
                                          capture_output=True, text=True).stdout for f in module_files)
            assert blob, f"{c.id}: commit {pre.fixed_at} not found"
            assert str(pre.master) in blob.replace("_", ""), \
                f"{c.id}: master {pre.master} is not in the claim modules at {pre.fixed_at}"


def test_domains_cover_what_rate_claims_promise() -> None:
    """Construction claims screen n₀ up to 8, ε over at least two decades and δ ∈ {0.1, 0.02}; every
    value of every full-grid axis appears in some cell."""
    for cid in ("P-main", "P-pensia-delta", "X-prec", "B-bias"):
        cells = RATE_CLAIMS[cid].cells("ci")
        assert max(c.params["widths"][0] for c in cells) >= 8, cid
        eps = [c.params["eps"] for c in cells]
        assert max(eps) / min(eps) >= 100, cid
        assert {0.1, 0.02} <= {c.delta for c in cells}, cid


def test_design_covers_every_value() -> None:
    cells = design(12, widths=((1, 1), (2, 2)), eps=(0.1, 0.01, 0.001), delta=(0.1, 0.02), fam=("a", "b", "c", "d"))
    assert {c.params["eps"] for c in cells} == {0.1, 0.01, 0.001}
    assert {c.params["fam"] for c in cells} == {"a", "b", "c", "d"} and {c.delta for c in cells} == {0.1, 0.02}
    assert len(grid(a=(1, 2), delta=(0.1,))) == 2
