"""Plugins: constructions, laws and claims added by an installed package, without editing the library.

The entry points are faked here (``slt_check.core.plugins._load``); ``examples/laplace_plugin`` is a
real installed plugin, tested in CI by its own tests and by ``properties/test_rate_claims.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from slt_check.claims import ledger, registry
from slt_check.claims.base import Claim
from slt_check.claims.plugin import ClaimGroup, rate_claim
from slt_check.claims.rates import Preregistration, grid
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.registry import all_constructions, get_construction
from slt_check.core import plugins
from slt_check.core.laws import all_laws, make_law


@dataclass
class ToyOrseau(Orseau):
    """A plugin construction: Orseau's under another name."""

    name: str = "toy-orseau"


@dataclass(frozen=True)
class ToyLaw:
    """A plugin law: a point mass at ``value`` with a random sign."""

    value: float = 1.0
    name: str = "toy-law"

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        return self.value * rng.choice([-1.0, 1.0], size=size)

    def params(self) -> dict[str, Any]:
        return {"law": self.name, "value": self.value}


def toy_trial(arg: tuple[Any, float, int]) -> dict[str, Any]:
    """A draw that fails with probability ``p`` (a cell parameter)."""
    P, _delta, seed = arg
    return {"fail": bool(np.random.default_rng(seed).random() < P["p"])}


def _toy_claims(tmp: Path) -> ClaimGroup:
    c = rate_claim("TOY-rate", "a coin with P(fail) = p ≤ δ", trial=toy_trial,
                   domain={"p": (0.0,), "δ": (0.1,)},
                   grids={s: grid(p=(0.0,), delta=(0.1,)) for s in ("smoke", "ci", "full")},
                   screen_master=9_000_001, confirmations=(Preregistration(9_000_002, "0000000"),),
                   files=(), tests=("tests/test_toy.py",))
    return ClaimGroup("toy", (c, Claim("TOY-fact", "1 + 1 = 2", "user", "user: TOY", "fixed", ("tests/test_toy.py",),
                                       lambda scale: {"verdict": "holds", "slack": None, "details": {}})),
                      ledger=tmp / "TOY_LEDGER.md")


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # noqa: ANN201
    entries: dict[str, list[tuple[str, str, Any]]] = {g: [] for g in plugins.GROUPS}

    def load(group: str) -> tuple[tuple[str, str, Any], ...]:
        return tuple(entries[group])

    monkeypatch.setattr(plugins, "_load", load)
    return entries


def test_a_plugin_construction_and_law_are_found_by_name(fake_plugins) -> None:
    fake_plugins["slt_check.constructions"].append(("toy-orseau", "toy-dist", ToyOrseau))
    fake_plugins["slt_check.laws"].append(("toy-law", "toy-dist", ToyLaw))
    assert isinstance(get_construction("toy-orseau", sharing="per_input"), ToyOrseau)
    assert "toy-orseau" in all_constructions() and "orseau" in all_constructions()
    assert make_law("toy-law", value=0.5).value == 0.5
    assert set(all_laws()) == {"hyperbolic", "uniform", "toy-law"}
    with pytest.raises(ValueError, match="has no option"):
        get_construction("toy-orseau", no_such_option=1)


def test_a_plugin_cannot_shadow_a_builtin_or_another_plugin(fake_plugins) -> None:
    fake_plugins["slt_check.constructions"].append(("orseau", "evil-dist", ToyOrseau))
    with pytest.raises(ValueError, match="evil-dist.*already a built-in"):
        get_construction("toy-orseau")
    fake_plugins["slt_check.constructions"][:] = [("toy-orseau", "a", ToyOrseau), ("toy-orseau", "b", ToyOrseau)]
    with pytest.raises(ValueError, match="also declared by 'a'"):
        all_constructions()


def test_a_plugin_entry_point_of_the_wrong_kind_is_refused(fake_plugins) -> None:
    fake_plugins["slt_check.constructions"].append(("toy", "d", ToyLaw))
    with pytest.raises(ValueError, match="Construction subclass"):
        get_construction("toy")
    fake_plugins["slt_check.constructions"].clear()
    fake_plugins["slt_check.claims"].append(("toy", "d", [1, 2]))
    with pytest.raises(ValueError, match="ClaimGroup"):
        registry.all_claims()


def test_a_plugin_that_cannot_be_imported_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md

    ep = md.EntryPoint(name="broken", value="no_such_module_xyz:Thing", group="slt_check.laws")
    monkeypatch.setattr(md, "entry_points", lambda group: [ep] if group == "slt_check.laws" else [])
    plugins.clear_cache()
    try:
        with pytest.raises(ValueError, match="'broken'.*cannot be loaded.*fix or uninstall"):
            make_law("anything")
    finally:
        plugins.clear_cache()


def test_plugin_claims_join_the_registry_and_their_own_ledger(fake_plugins, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    group = _toy_claims(tmp_path)
    fake_plugins["slt_check.claims"].append(("toy", "toy-dist", group))
    ids = [c.id for c in registry.all_claims()]
    assert ids[-2:] == ["TOY-rate", "TOY-fact"] and "R5" in ids
    assert registry.group_of("TOY-rate").name == "toy"
    rate, measured = registry.rate_claims()["TOY-rate"]
    assert measured == ("TOY-rate",) and rate.trial is toy_trial

    # `slt-check ledger --run --claims TOY-rate` records into the plugin's own record and renders its own ledger;
    # the suite's record and paper_claims.md are not touched
    from slt_check.cli.main import main

    suite_record = tmp_path / "suite.json"
    suite_record.write_text(ledger.RECORD_PATH.read_text())
    monkeypatch.setattr(ledger, "RECORD_PATH", suite_record)
    monkeypatch.setattr(ledger, "RESULTS_PATH", tmp_path / "claims.json")
    before, suite_before = ledger.LEDGER_FILE.read_text(), suite_record.read_text()
    assert main(["ledger", "--run", "--scale", "ci", "--claims", "TOY-rate"]) == 0
    assert ledger.LEDGER_FILE.read_text() == before and suite_record.read_text() == suite_before
    recorded = json.loads((tmp_path / "TOY_LEDGER.json").read_text())
    assert set(recorded["claims"]) == {"TOY-rate"}
    assert recorded["claims"]["TOY-rate"]["verdict"] == "holds"
    text = (tmp_path / "TOY_LEDGER.md").read_text()
    assert "| TOY-rate |" in text and "| TOY-fact | 1 + 1 = 2 |" in text and "not tested" in text
    assert "| R5 |" not in text
    assert main(["ledger", "--check"]) == 0
    # a plugin ledger edited by hand is stale
    (tmp_path / "TOY_LEDGER.md").write_text(text.replace("| TOY-fact |", "| TOY-fact (edited) |"))
    assert main(["ledger", "--check"]) == 1


def test_a_claim_id_defined_twice_across_groups_is_refused(fake_plugins, tmp_path: Path) -> None:
    clash = ClaimGroup("clash", (Claim("R5", "again", "user", "user", "fixed", ()),), ledger=tmp_path / "x.md")
    fake_plugins["slt_check.claims"].append(("clash", "d", clash))
    with pytest.raises(ValueError, match="'R5' is defined by both 'slt_check' and 'clash'"):
        registry.all_claims()


def test_rate_claim_builds_ticket_draws_of_the_named_construction() -> None:
    c = rate_claim("TOY-build", "orseau at its plan width: P(no ε-ticket) ≤ δ", construction="orseau",
                   domain={"target widths": ((2, 2, 1),), "ε": (0.1,), "δ": (0.1,)},
                   grids={s: grid(widths=((2, 2, 1),), eps=(0.1,), target_seed=(5,), delta=(0.1,))
                          for s in ("smoke", "ci", "full")},
                   screen_master=9_000_011, confirmations=(Preregistration(9_000_012, "0000000"),),
                   files=("slt_check.constructions.orseau",))
    assert c.kind == "probability" and c.source == "user" and c.rate is not None
    assert all(cell.params["construction"] == "orseau" for cell in c.rate.cells("ci"))
    with pytest.raises(ValueError, match="exactly one of construction= .* or trial="):
        rate_claim("X", "s", domain={}, grids={}, screen_master=1, confirmations=(Preregistration(2, "0"),), files=())
    with pytest.raises(ValueError, match="kind 'forall'"):
        Claim("X", "s", "user", "t", "forall", (), rate=c.rate)
    with pytest.raises(ValueError, match="a claim id is"):
        Claim("X Y", "s", "user", "t", "fixed", ())


def test_ci_installs_the_example_plugin() -> None:
    """CI installs ``examples/laplace_plugin`` (README's test command) so that its tests and its claim run."""
    import os

    if not os.environ.get("CI"):
        pytest.skip("outside CI the example plugin is optional (pip install -e examples/laplace_plugin)")
    assert "laplace" in all_constructions() and "laplace" in all_laws()
    assert "LAP-delta" in [c.id for c in registry.all_claims()]
