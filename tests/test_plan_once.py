"""The plan is computed once per build: build → build_auto → build_ticket / build_compact_ticket →
sample_G / source_spec → make_rule / ticket_meta all use the one plan (the verifier, a checker,
recomputes its own on purpose); and the ticket is the same as when every step computed it afresh."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import slt_check.pipeline.build as B
from slt_check.constructions.base import Construction
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.rule_based import RuleConstruction
from slt_check.tickets.targets import random_target


@pytest.fixture
def plan_calls(monkeypatch) -> list[str]:
    """Every ``plan()`` call of the two-layer constructions, by class name."""
    calls: list[str] = []
    for cls in (Orseau, RuleConstruction):
        orig = cls.plan

        def counted(self: Any, problem: Any, _orig: Any = orig) -> dict[str, Any]:
            calls.append(type(self).__name__)
            return _orig(self, problem)

        monkeypatch.setattr(cls, "plan", counted)
    return calls


CASES = [
    ("orseau", {}),
    ("orseau", {"sharing": "per_input"}),
    ("orseau", {"precision": "certificate"}),
    ("pensia", {}),
    ("malach", {}),
]


@pytest.mark.parametrize(("name", "opts"), CASES)
@pytest.mark.parametrize("builder", ["build_ticket", "build_compact_ticket", "build_auto"])
def test_each_builder_plans_exactly_once(plan_calls: list[str], builder: str, name: str, opts: dict) -> None:
    F = random_target([2, 3, 1], 1.0, 4)
    getattr(B, builder)(F, 0.1, 0.1, 7, construction=name, allow_failure=True, **opts)
    assert len(plan_calls) == 1, plan_calls


def test_build_plans_once_and_the_verifier_plans_its_own(plan_calls: list[str], monkeypatch) -> None:
    seen: dict[str, int] = {}
    real_verify = B.verify_ticket

    def verify(ticket: Any, *a: Any, **k: Any) -> Any:
        seen["before_verify"] = len(plan_calls)
        out = real_verify(ticket, *a, **k)
        seen["by_verify"] = len(plan_calls) - seen["before_verify"]
        return out

    monkeypatch.setattr(B, "verify_ticket", verify)
    B.build(random_target([2, 3, 1], 1.0, 4), 0.1, 0.1, 7, construction="orseau", certify=False)
    assert seen["before_verify"] == 1  # the build: one plan
    assert seen["by_verify"] >= 1  # the independent check recomputes it (and compares it with meta["plan"])


def _fresh_plan_ticket(builder: str, name: str, opts: dict, monkeypatch) -> Any:
    """The ticket as built when every step computes the plan afresh (the plan argument dropped)."""
    from slt_check.constructions.two_layer import TwoLayerConstruction

    orig_spec = TwoLayerConstruction.source_spec
    monkeypatch.setattr(TwoLayerConstruction, "source_spec",
                        lambda self, problem, seed, plan=None: orig_spec(self, problem, seed))
    try:
        return getattr(B, builder)(random_target([2, 3, 1], 1.0, 4), 0.1, 0.1, 7, construction=name,
                                   allow_failure=True, **opts)
    finally:
        monkeypatch.setattr(TwoLayerConstruction, "source_spec", orig_spec)


@pytest.mark.parametrize(("name", "opts"), CASES)
@pytest.mark.parametrize("builder", ["build_ticket", "build_compact_ticket"])
def test_the_ticket_is_the_same_bit_for_bit(builder: str, name: str, opts: dict, monkeypatch) -> None:
    t = getattr(B, builder)(random_target([2, 3, 1], 1.0, 4), 0.1, 0.1, 7, construction=name,
                            allow_failure=True, **opts)
    ref = _fresh_plan_ticket(builder, name, opts, monkeypatch)
    assert t.meta.plan == ref.meta.plan
    for a, b in zip(t.weights, ref.weights, strict=True):
        assert np.array_equal(_bits(a), _bits(b))


def _bits(w: Any) -> np.ndarray:
    """A layer's weights (dense or sparse) as their float64 bit patterns."""
    return np.asarray(w.toarray() if hasattr(w, "toarray") else w, dtype=np.float64).view(np.uint64)


def test_a_construction_without_takes_plan_still_builds(plan_calls: list[str]) -> None:
    """Constructions that do not take a plan argument (burkholz) are called as before."""
    assert not getattr(Construction, "takes_plan", False)
    t = B.build_ticket(random_target([2, 1], 1.0, 4), 0.1, 0.1, 7, construction="burkholz", allow_failure=True)
    assert t.meta.construction == "burkholz"


def test_the_estimate_is_computed_from_the_plan() -> None:
    """Dense: G parameters × the dense rate; lazy: weights × candidates × the lazy rate; the exact rule
    adds its per weight-half search; the text says it is an estimate and from what."""
    from slt_check.constructions.base import Problem
    from slt_check.constructions.registry import get_construction

    prob = Problem((2, 3, 1), 0.01, 0.1)
    con = get_construction("orseau")
    plan = con.plan(prob)
    dense, lazy = B.estimate_build(con, prob, plan, False), B.estimate_build(con, prob, plan, True)
    assert dense.seconds == pytest.approx(plan.G_params * B.NS_PER_DENSE_PARAM)
    assert lazy.seconds == pytest.approx(prob.n_weights * plan.n_samples * B.S_PER_LAZY_CANDIDATE)
    assert "estimate" in dense.text() and "dense path" in dense.text() and "lazy path" in lazy.text()
    assert f"{plan.n_samples} candidates" in lazy.text()
    pen = get_construction("pensia")
    pplan = pen.plan(prob)
    e = B.estimate_build(pen, prob, pplan, False)
    assert e.exact_window == 32
    assert e.seconds == pytest.approx(pplan.G_params * B.NS_PER_DENSE_PARAM
                                      + 2 * prob.n_weights * B.S_PER_EXACT_SEARCH)
    lz = B.estimate_build(pen, prob, pplan, True)
    assert lz.seconds == pytest.approx(prob.n_weights * pplan.n_samples * B.S_PER_LAZY_EXACT_CANDIDATE
                                       + 2 * prob.n_weights * B.S_PER_EXACT_SEARCH)
    cert = get_construction("pensia", precision="certificate")
    c = B.estimate_build(cert, prob, cert.plan(prob), False)
    assert c.seconds == pytest.approx(pplan.G_params * B.NS_PER_DENSE_PARAM + 2 * prob.n_weights * B.S_PER_GROWN_SEARCH)


@pytest.mark.parametrize(("threshold", "printed"), [(0.0, True), (1e9, False)])
def test_the_cli_says_up_front_when_a_build_is_long(tmp_path, capsys, monkeypatch, threshold: float,
                                                     printed: bool) -> None:
    import slt_check.cli.main as cli
    import slt_check.pipeline.estimate as E

    monkeypatch.setattr(E, "LONG_BUILD_S", threshold)
    cli.main(["build", "--target", "random:2-2-1", "--eps", "0.1", "--delta", "0.1", "--seed", "0",
              "--out", str(tmp_path / "t.npz")])
    err = capsys.readouterr().err
    assert err.count("estimate: this build may take") == (1 if printed else 0)
