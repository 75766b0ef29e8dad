"""The example plugin, end to end: its law, construction and claim are found by name once the
package is installed (``pip install -e examples/laplace_plugin``), its tickets verify against their
seed like any other, and its claim renders into its own ledger."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("slt_laplace", reason="the example plugin is not installed (pip install -e examples/laplace_plugin)")

from slt_check.claims import ledger, registry  # noqa: E402
from slt_check.constructions.registry import get_construction  # noqa: E402
from slt_check.core.laws import make_law  # noqa: E402
from slt_check.pipeline.build import build_compact_ticket, build_ticket  # noqa: E402
from slt_check.pipeline.verify import load_ticket, verify_ticket  # noqa: E402
from slt_check.tickets.targets import random_target  # noqa: E402
from slt_laplace.claims import CLAIMS, LAP_DELTA  # noqa: E402
from slt_laplace.construction import LaplaceSubsetSum  # noqa: E402
from slt_laplace.law import Laplace  # noqa: E402


def test_the_law_is_found_by_name_and_draws_from_its_generator() -> None:
    law = make_law("laplace", b=0.5)
    assert law == Laplace(0.5)
    a, b = law.sample(np.random.default_rng(3), 1000), law.sample(np.random.default_rng(3), 1000)
    assert np.array_equal(a, b) and abs(np.mean(np.abs(a)) - 0.5) < 0.05
    with pytest.raises(ValueError, match="b: the Laplace scale"):
        Laplace(-1.0)


def test_the_construction_builds_tickets_that_verify_against_their_seed(tmp_path: Path) -> None:
    assert isinstance(get_construction("laplace", sharing="per_weight"), LaplaceSubsetSum)
    F = random_target((2, 2, 1), 1.0, 5)
    t = build_ticket(F, 0.1, 0.1, 11, construction="laplace", allow_failure=True)
    assert np.array_equal(t.weights[0], t.G.weights[0] * t.masks[0])  # mask ⊙ G
    verify_ticket(t)
    t.save(tmp_path / "t.npz")
    assert load_ticket(tmp_path / "t.npz").meta.plan.law == "laplace"
    lazy = build_compact_ticket(F, 0.1, 0.1, 11, construction="laplace", allow_failure=True, progress=False)
    lazy.save(tmp_path / "c.npz")
    back = load_ticket(tmp_path / "c.npz")  # regenerates every kept entry: the law is read back by name
    assert np.allclose(back.network().dense_weights()[0], t.network().dense_weights()[0])
    with pytest.raises(ValueError, match="window"):
        get_construction("laplace", window=0)


@pytest.mark.claim("LAP-delta")
def test_the_claim_is_registered_with_its_own_ledger() -> None:
    assert registry.group_of("LAP-delta").name == "slt-laplace"
    assert registry.rate_claims()["LAP-delta"][0] is LAP_DELTA.rate
    assert all(c.params["construction"] == "laplace" for c in LAP_DELTA.rate.cells("ci"))
    group = next(g for g in ledger.groups() if g.name == "slt-laplace")
    assert group.ledger == CLAIMS.ledger and "| LAP-delta |" in CLAIMS.ledger.read_text()
    assert ledger.check_group(group, ledger.load_results(group.record)) == []
