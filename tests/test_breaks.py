"""`pytest properties` catches the broken variants of :data:`slt_testing.breaks.MUTATIONS`.

Each mutation is applied by monkeypatching in a fresh interpreter before the property modules are
imported; the run must fail, and every claim the mutation names must list it in its ``breaks``
(the ledger's "breaks caught" column). Slow (minutes): ``pytest -m slow tests/test_breaks.py``.

Recorded on the reference run (ci profile): ``orseau-width-half`` fails R5 (3 cases), R10 (4) and
P-main; ``pensia-C-2.6`` fails P-pensia-delta's 3-4-2 case (45/691 vs δ = 0.04); ``certificate-0.9``
fails X-cert on the grid and the four end-to-end properties (found > certified);
``tile-index-floor`` fails R4 and X-tile-edge; ``malach-N-quarter`` fails P-malach-poly's miss
rate; ``burkholz-mixed-sign-copies`` fails P-burkholz-depth's 2-2-1 case; ``precision-bound-half``
fails X-prec's soundness property; ``category-prob-double`` fails R12 (both cases).

Also verified by editing the library file itself, running ``CI=true pytest properties -n 2`` and
reverting: ``bounds.samples_per_group`` with ``4M`` instead of ``8M`` → 14 failed (R5 ×3, R10 ×4,
P-main's grid, the two per_input end-to-end properties' failure tallies, X-layer's tally, P-depth
— no working M within M_plan + 8 — and the regression floors); ``PENSIA_C = 2.6`` → 1 failed
(P-pensia-delta 3-4-2: 45/691 vs δ = 0.04). The certificate × 0.9 was verified by monkeypatching
only (``certificates/sup_error.py`` is maintained elsewhere).
"""

from __future__ import annotations

import pytest

from slt_check.claims.catalog import all_claims
from slt_testing.breaks import MUTATIONS, failures, run


def test_every_mutation_is_named_by_its_claims() -> None:
    by_id = {c.id: c for c in all_claims()}
    for m in MUTATIONS.values():
        for cid in m.claims:
            assert m.name in by_id[cid].breaks, f"{cid} does not list {m.name}"


def test_every_mutation_runs_tests_that_exist() -> None:
    """A mutation's property files exist and its rate claims are parameters of the rate test (a run that
    cannot start would exit non-zero without having caught anything)."""
    from slt_check.claims.registry import rate_claims

    for m in MUTATIONS.values():
        assert m.targets(), m.name
        assert set(m.rates) <= set(rate_claims()), (m.name, m.rates)
        assert set(m.rates) <= set(m.claims) | {"P-main"}, (m.name, m.rates, m.claims)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_property_suite_fails_under_mutation(name: str) -> None:
    res = run(name)
    failed = failures(res)
    assert res.returncode != 0 and failed, f"{name} was not caught:\n{res.stdout[-3000:]}\n{res.stderr[-2000:]}"
