"""The typed records: Plan, TicketMeta, Certificate.

* a plan's ``to_dict`` / ``plan_from_dict`` round trip (every construction, options from hypothesis;
  the CNN constructions too);
* a ticket's metadata ``to_json`` / ``from_json`` round trip (dense, compact, biased, copies stages,
  a JSON null), the problem's copies derived, not stored twice;
* tickets written before the record existed (``tests/data/v1_*.npz``, no ``meta_version``) load,
  verify, and read back to the same JSON plus ``meta_version``;
* a tampered record is refused with a ``ValueError`` naming the entry;
* the plan is computed once per build for every construction that builds quickly, and travels as an
  argument (no ``spec.extra``);
* ``certified_bound`` returns a :class:`Certificate`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import slt_check.pipeline.build as B
from slt_check.certificates.sup_error import Certificate, certified_bound, stages_of
from slt_check.constructions.registry import get_construction
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import CONSTRUCTIONS
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.verify import load_ticket
from slt_check.sources.source import SourceSpec
from slt_check.tickets.meta import META_VERSION, PROBLEM_COPIES, AffineRecord, TicketMeta
from slt_check.tickets.plan import BurkholzPlan, ConvCopiesPlan, ConvPlan, Plan, TwoLayerPlan, plan_from_dict
from slt_check.tickets.targets import random_target

DATA = Path(__file__).parent / "data"
OLD_FILES = sorted(DATA.glob("v1_*.npz"))

PLAN_CASES: list[tuple[str, dict[str, Any]]] = [
    ("orseau", {}), ("orseau", {"sharing": "per_input"}), ("orseau", {"n_digits": 9, "n_samples": 50}),
    ("pensia", {}), ("pensia", {"delta_rule": "union"}), ("malach", {}),
    ("factorial", {"law": "hyperbolic", "rule": "greedy_digits"}), ("factorial", {"law": "product", "rule": "pair"}),
    ("burkholz", {}), ("burkholz", {"delta_rule": "union"}), ("burkholz", {"rho": 4}),
    ("edge-popup", {}), ("edge-popup", {"source": "pensia"}),
]


def _json(x: Any) -> Any:
    return json.loads(json.dumps(x, sort_keys=True))


# ------------------------------------------------------------------------------------------ Plan
@settings(max_examples=30, deadline=None)
@given(case=st.sampled_from(PLAN_CASES), depth=st.integers(1, 3), width=st.integers(1, 4),
       eps=st.floats(1e-3, 0.5), delta=st.floats(1e-3, 0.5))
def test_plan_round_trips_through_its_json(case: tuple[str, dict[str, Any]], depth: int, width: int,
                                           eps: float, delta: float) -> None:
    name, opts = case
    plan = get_construction(name, **opts).plan(Problem((2,) + (width,) * (depth - 1) + (1,), eps, delta))
    assert isinstance(plan, Plan) and not isinstance(plan, dict)
    d = plan.to_dict()
    assert None not in d.values() and isinstance(d["G_widths"], list)
    back = plan_from_dict(_json(d))
    assert back == plan and type(back) is type(plan)
    assert _json(back.to_dict()) == _json(d)


def test_plan_keys_are_todays_json() -> None:
    """The exact key set ``meta["plan"]`` had for Orseau and Burkholz (the file format)."""
    p = get_construction("orseau").plan(Problem((2, 3, 1), 0.1, 0.1))
    assert isinstance(p, TwoLayerPlan) and set(p.to_dict()) == {
        "eta", "M", "n_samples", "n_samples_formula", "gamma", "alpha", "beta", "sharing", "law", "G_widths",
        "G_neurons", "G_params", "G_depth", "kept_per_weight_max", "failure_bound", "residual_bound"}
    b = get_construction("burkholz").plan(Problem((2, 3, 1), 0.1, 0.1))
    assert isinstance(b, BurkholzPlan) and set(b.to_dict()) == {
        "delta_rule", "rho", "rho_formula", "n_samples", "n_samples_formula", "G_widths", "G_neurons", "G_params",
        "G_depth", "target_depth", "uniform_half_width", "eta", "window", "pensia_C", "pensia_log2_arg"}
    e = get_construction("edge-popup").plan(Problem((2, 3, 1), 0.1, 0.1))
    assert e.to_dict() == {**p.to_dict(), "source": "orseau"}


@pytest.mark.parametrize("name", ["conv-orseau", "dacunha", "burkholz-conv"])
def test_conv_plans_are_typed_and_round_trip(name: str) -> None:
    from slt_check.constructions.conv_registry import get_conv_construction
    from slt_check.pipeline.conv_build import problem_for
    from slt_check.tickets.conv_targets import cnn_target_from_spec

    arch = "1x5x5:conv2k3p1,relu,conv2k2,relu,flatten,linear3"
    plan = get_conv_construction(name).plan(problem_for(cnn_target_from_spec(f"random-cnn:{arch}", seed=0), 0.05, 0.1))
    assert isinstance(plan, ConvCopiesPlan if name == "burkholz-conv" else ConvPlan)
    back = plan_from_dict(_json(plan.to_dict()))
    assert back == plan and _json(back.to_dict()) == _json(plan.to_dict())


@pytest.mark.parametrize(("bad", "word"), [
    ({"eta": 0.1}, "missing entries"),
    ("not an object", "expected a JSON object"),
])
def test_a_malformed_plan_is_refused(bad: Any, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        plan_from_dict(bad)
    d = get_construction("orseau").plan(Problem((2, 3, 1), 0.1, 0.1)).to_dict()
    with pytest.raises(ValueError, match=r"unknown entries \['bogus'\]"):
        plan_from_dict({**d, "bogus": 1})


# ------------------------------------------------------------------------------------------ TicketMeta
def _tickets() -> list[Any]:
    F = random_target((2, 3, 1), 1.0, np.random.default_rng(1))
    rng = np.random.default_rng(2)
    Fb = ReLUNet(F.weights, biases=[rng.uniform(-0.5, 0.5, w) for w in (3, 1)])
    return [
        B.build_ticket(F, 0.1, 0.1, 3, construction="orseau", n_samples=24, allow_failure=True),
        B.build_compact_ticket(F, 0.1, 0.1, 4, construction="pensia", allow_failure=True),
        B.build_compact_ticket(Fb, 0.1, 0.1, 5, construction="orseau", allow_failure=True),
        B.build_ticket(random_target((2, 2, 1), 1.0, 3), 0.1, 0.1, 6, construction="burkholz", rho=3,
                       allow_failure=True),
    ]


@pytest.fixture(scope="module")
def tickets() -> list[Any]:
    return _tickets()


def test_meta_round_trips_through_json(tickets: list[Any]) -> None:
    for t in tickets:
        meta = t.meta
        assert isinstance(meta, TicketMeta) and meta.version == META_VERSION
        js = meta.to_json()
        assert js["meta_version"] == META_VERSION
        assert {k: js[k] for k in PROBLEM_COPIES} == {k: getattr(meta.problem, k) for k in PROBLEM_COPIES}
        back = TicketMeta.from_json(_json(js))
        assert back == meta
        assert _json(back.to_json()) == _json(js)
    assert tickets[2].meta.affine is not None and isinstance(tickets[2].meta.affine, AffineRecord)
    assert isinstance(tickets[3].meta.stages, list)


def test_the_problem_is_stored_once() -> None:
    """eps, delta, x_max, w_max live in ``problem``: the record has no copies, the reader ignores the
    JSON's top-level copies (older readers still find them, written from the problem)."""
    meta = _tickets()[0].meta
    assert not any(hasattr(meta, k) for k in PROBLEM_COPIES)
    js = meta.to_json()
    js["eps"] = 123.0
    back = TicketMeta.from_json(js)
    assert back.problem.eps == meta.problem.eps and back.to_json()["eps"] == meta.problem.eps


def test_a_json_null_is_kept_and_absent_stays_absent() -> None:
    meta = _tickets()[0].meta
    with_null = meta.updated(certified_at_select=None)
    js = with_null.to_json()
    assert "certified_at_select" in js and js["certified_at_select"] is None
    assert TicketMeta.from_json(_json(js)) == with_null
    gone = dataclasses.replace(meta, certified_at_select=None)
    assert "certified_at_select" not in gone.to_json()


@settings(max_examples=25, deadline=None)
@given(records=st.dictionaries(st.sampled_from(["layers", "law", "k", "timing_s", "training", "note"]),
                               st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6)
                                            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
                                            lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c,
                                                                                                max_size=3),
                                            max_leaves=8)),
       success=st.none() | st.booleans(), n_failed=st.none() | st.integers(0, 10**6),
       eps=st.floats(1e-6, 1.0), seed=st.integers(0, 2**63 - 1))
def test_meta_round_trip_property(records: dict[str, Any], success: bool | None, n_failed: int | None,
                                  eps: float, seed: int) -> None:
    problem = Problem((2, 3, 1), eps, 0.1)
    meta = TicketMeta.create(construction="orseau", problem=problem, seed=seed, options={"sharing": "per_weight"},
                             plan=get_construction("orseau").plan(problem), stages="pairs", **records,
                             **({} if success is None else {"success": success}),
                             **({} if n_failed is None else {"n_failed_weights": n_failed}))
    back = TicketMeta.from_json(_json(meta.to_json()))
    assert back == meta


# ------------------------------------------------------------------------------------------ old files
@pytest.mark.parametrize("path", OLD_FILES, ids=lambda p: p.name)
def test_tickets_written_before_the_record_load_and_verify(path: Path) -> None:
    """Files written by the former dict writer (no meta_version): read as version 1, verified against
    the construction, and written back as the same JSON plus ``meta_version``."""
    raw = json.loads(str(np.load(path)["meta"]))
    assert "meta_version" not in raw
    t = load_ticket(path)
    assert t.meta.version == META_VERSION and t.meta.construction == raw["construction"]
    assert t.meta.plan is not None and _json(t.meta.plan.to_dict()) == raw["plan"]
    assert _json(t.meta.to_json()) == {**raw, "meta_version": META_VERSION}


def test_old_files_cover_dense_compact_biased_and_copies() -> None:
    assert {p.name for p in OLD_FILES} == {"v1_orseau_dense.npz", "v1_pensia_compact.npz",
                                          "v1_orseau_biased_compact.npz", "v1_burkholz_dense.npz"}


def _tampered(tmp_path: Path, src: Path, change: Any) -> Path:
    data = dict(np.load(src))
    meta = json.loads(str(data["meta"]))
    change(meta)
    data["meta"] = np.array(json.dumps(meta, sort_keys=True))
    out = tmp_path / src.name
    np.savez_compressed(out, **data)
    return out


@pytest.mark.parametrize(("change", "word"), [
    (lambda m: m.update(meta_version=99), r"meta\['meta_version'\]: this slt_check reads versions 1 to 2"),
    (lambda m: m.update(meta_version="2"), r"meta\['meta_version'\]"),
    (lambda m: m["plan"].update(bogus=1), r"meta\['plan'\]: unknown entries \['bogus'\]"),
    (lambda m: m["plan"].update(M=m["plan"]["M"] + 1), r"meta\['plan'\]: differs from the plan"),
    (lambda m: m["problem"].update(eps="0.1"), r"meta\['problem'\]\['eps'\]: expected"),
    (lambda m: m["problem"].update(eps=-1.0), r"meta\['problem'\]: eps"),
    (lambda m: m.pop("seed"), r"meta: missing key 'seed'"),
    (lambda m: m.update(success="yes"), r"meta\['success'\]: expected bool"),
    (lambda m: m.update(stages="triples"), r"meta\['stages'\]: expected 'pairs'"),
])
def test_a_tampered_meta_is_refused_naming_the_entry(tmp_path: Path, change: Any, word: str) -> None:
    path = _tampered(tmp_path, DATA / "v1_orseau_dense.npz", change)
    with pytest.raises(ValueError, match=word):
        load_ticket(path)


def test_a_tampered_affine_record_is_refused(tmp_path: Path) -> None:
    path = _tampered(tmp_path, DATA / "v1_orseau_biased_compact.npz",
                     lambda m: m["affine"].update(w_max_reduced=m["affine"]["w_max_reduced"] * 2))
    with pytest.raises(ValueError, match=r"meta\['affine'\]: w_max'"):
        load_ticket(path)
    shutil.rmtree(tmp_path)


def test_a_ticket_meta_must_be_typed() -> None:
    t = _tickets()[0]
    with pytest.raises(TypeError, match="TicketMeta.from_json"):
        type(t)(t.G, t.masks, t.target, t.meta.to_json())


# ------------------------------------------------------------------------------------------ plan once
@pytest.fixture
def plan_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    for name in ("orseau", "pensia", "burkholz"):
        cls = CONSTRUCTIONS[name]
        orig = cls.plan

        def counted(self: Any, problem: Any, _orig: Any = orig) -> Any:
            calls.append(type(self).__name__)
            return _orig(self, problem)

        monkeypatch.setattr(cls, "plan", counted)
    return calls


@pytest.mark.parametrize(("name", "opts"), [("orseau", {}), ("pensia", {}), ("burkholz", {"rho": 3}),
                                            ("burkholz", {"delta_rule": "union"})])
def test_a_build_plans_once(plan_calls: list[str], name: str, opts: dict[str, Any]) -> None:
    B.build(random_target((2, 2, 1), 1.0, 3), 0.1, 0.1, 6, construction=name, allow_failure=True,
            certify=False, **opts)
    # one plan for the build, one the verifier recomputes on purpose (and compares with meta.plan)
    assert len(plan_calls) == 2, plan_calls


def test_the_plan_travels_as_an_argument_not_in_the_spec() -> None:
    assert "extra" not in {f.name for f in dataclasses.fields(SourceSpec)}
    con = get_construction("orseau")
    problem = Problem((2, 3, 1), 0.1, 0.1)
    plan = con.plan(problem)
    spec = con.source_spec(problem, 0, plan)
    with pytest.raises(TypeError):
        con.make_rule(problem, spec)  # the plan is a required argument of the hooks
    assert con.make_rule(problem, spec, plan).M == plan.M


# ------------------------------------------------------------------------------------------ Certificate
def test_certified_bound_is_a_typed_record() -> None:
    F = random_target((2, 3, 1), 1.0, 0)
    t = B.build_ticket(F, 0.1, 0.1, 0, construction="orseau", n_samples=24, allow_failure=True)
    cert = certified_bound(F, t.weights, stages_of(t), 1.0)
    assert isinstance(cert, Certificate) and not isinstance(cert, dict)
    assert cert.bound == cert.per_stage[-1] + cert.slack and len(cert.weight_err) == F.depth
