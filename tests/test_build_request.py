"""One build request, resolved once and passed down (slt_check.pipeline.request, resolve_request).

Every build — the library's wrappers and ``slt-check build`` — resolves exactly one request (one bias
reduction, one construction, one problem, one plan) and the builders below only read it; the CLI
prints the library's estimate and has no policy of its own; construction options and build flags are
separate namespaces; bad input keeps its clear ``ValueError``."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

import slt_check.cli.main as cli
import slt_check.pipeline.build as B
import slt_check.pipeline.estimate as E
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.constructions.orseau import Orseau
from slt_check.constructions.rule_based import RuleConstruction
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.request import (
    PATH_ASKED,
    PATH_LARGE_G,
    PATH_NO_LAZY,
    PATH_SMALL_G,
    BuildFlags,
    BuildRequest,
    resolve_construction,
)
from slt_check.tickets.compact_ticket import CompactTicket
from slt_check.tickets.targets import random_target


@pytest.fixture
def counts(monkeypatch) -> dict[str, int]:
    """Calls of the resolver, of its bias-reduction + problem step (``prepare``) and of ``plan()``
    (Orseau and the rule-based constructions), counted until the verifier runs (a checker plans
    again on purpose)."""
    n = {"resolve_request": 0, "prepare": 0, "plan": 0}

    def counted(name: str, fn: Any) -> Any:
        def call(*a: Any, **k: Any) -> Any:
            n[name] += 1
            return fn(*a, **k)

        return call

    monkeypatch.setattr(B, "resolve_request", counted("resolve_request", B.resolve_request))
    monkeypatch.setattr(cli, "resolve_request", B.resolve_request)  # the CLI's name: the counted one
    monkeypatch.setattr(B, "prepare", counted("prepare", B.prepare))
    for cls in (Orseau, RuleConstruction):
        monkeypatch.setattr(cls, "plan", counted("plan", cls.plan))
    real_verify = B.verify_ticket

    def verify(ticket: Any, *a: Any, **k: Any) -> Any:
        n["at_verify"] = dict(n)
        return real_verify(ticket, *a, **k)

    monkeypatch.setattr(B, "verify_ticket", verify)
    return n


ONE = {"resolve_request": 1, "prepare": 1, "plan": 1}


@pytest.mark.parametrize("name", ["orseau", "pensia"])
@pytest.mark.parametrize("builder", ["build_ticket", "build_compact_ticket", "build_auto", "build"])
def test_every_wrapper_resolves_one_request(counts: dict[str, int], builder: str, name: str) -> None:
    kw = {"certify": False} if builder == "build" else {}
    getattr(B, builder)(random_target([2, 3, 1], 1.0, 4), 0.1, 0.1, 7, construction=name, allow_failure=True,
                        **kw)
    assert (counts["at_verify"] if builder == "build" else {k: counts[k] for k in ONE}) == ONE


def test_the_cli_resolves_one_request(counts: dict[str, int], tmp_path) -> None:
    rc = cli.main(["build", "--target", "random:2-3-1", "--eps", "0.1", "--delta", "0.1", "--seed", "3",
                   "--construction", "pensia", "--out", str(tmp_path / "t.npz")])
    assert rc == 0 and counts["at_verify"] == ONE


def test_a_resolved_request_is_built_without_resolving_again(counts: dict[str, int]) -> None:
    F = random_target([2, 3, 1], 1.0, 4)
    req = B.resolve_request(F, 0.1, 0.1, 7, construction="orseau", options={"sharing": "per_input"},
                            flags=BuildFlags(allow_failure=True))
    assert {k: counts[k] for k in ONE} == ONE
    dense = B.build_ticket(req)
    again = B.build_auto(req)
    assert {k: counts[k] for k in ONE} == ONE  # neither builder resolved or planned
    ref = B.build_ticket(F, 0.1, 0.1, 7, construction="orseau", sharing="per_input", allow_failure=True)
    for t in (dense, again):
        assert t.meta.plan == ref.meta.plan
        for a, b in zip(t.weights, ref.weights, strict=True):
            assert np.array_equal(np.asarray(a).view(np.uint64), np.asarray(b).view(np.uint64))


def test_a_request_goes_alone_and_to_its_own_path() -> None:
    F = random_target([2, 3, 1], 1.0, 4)
    dense = B.resolve_request(F, 0.1, 0.1, 7)
    lazy = B.resolve_request(F, 0.1, 0.1, 7, lazy=True)
    with pytest.raises(TypeError, match="the request holds every argument"):
        B.build_ticket(dense, 0.1)
    with pytest.raises(TypeError, match="the request holds every argument"):
        B.build(dense, certify=False)
    with pytest.raises(ValueError, match="resolved for the lazy path"):
        B.build_ticket(lazy)
    with pytest.raises(ValueError, match="resolved for the dense path"):
        B.build_compact_ticket(dense)
    assert isinstance(B.build_auto(lazy), CompactTicket)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dense.lazy = True  # type: ignore[misc]


def test_the_lazy_decision_and_its_reason(monkeypatch) -> None:
    F = random_target([3, 2], 1.0, 0)
    auto = B.resolve_request(F, 0.1, 0.1, 0)
    assert (auto.lazy, auto.path_reason) == (False, PATH_SMALL_G)
    assert (lambda r: (r.lazy, r.path_reason))(B.resolve_request(F, 0.1, 0.1, 0, lazy=True)) == (True, PATH_ASKED)
    assert (lambda r: (r.lazy, r.path_reason))(B.resolve_request(F, 0.1, 0.1, 0, lazy=False)) == (False, PATH_ASKED)
    monkeypatch.setattr(B, "DENSE_PARAMS_LIMIT", 10)
    big = B.resolve_request(F, 0.1, 0.1, 0)
    assert (big.lazy, big.path_reason) == (True, PATH_LARGE_G) and big.estimate.lazy
    burk = B.resolve_request(F, 0.1, 0.1, 0, construction="burkholz")
    assert (burk.lazy, burk.path_reason) == (False, PATH_NO_LAZY)
    with pytest.raises(ValueError, match="'burkholz' has no lazy path"):
        B.resolve_request(F, 0.1, 0.1, 0, construction="burkholz", lazy=True)


def test_the_request_holds_the_reduced_target_and_the_flags_apart() -> None:
    rng = np.random.default_rng(5)
    F = random_target([2, 3, 1], 1.0, rng)
    Fb = ReLUNet(F.weights, biases=[rng.uniform(-0.5, 0.5, w) for w in (3, 1)])
    req = B.resolve_request(Fb, 0.1, 0.1, 1, construction="orseau", options={"sharing": "per_input"},
                            x_max=0.5, flags=BuildFlags(jobs=3, allow_failure=True))
    assert req.original is Fb and req.target.n_in == 3 and not req.target.has_biases  # F' on [x; 1]
    assert req.affine is not None and req.problem.x_max == 1.0 and req.x_max == 0.5
    assert dict(req.options) == get_construction("orseau", sharing="per_input").options()
    assert "jobs" not in req.options and req.flags.jobs == 3 and req.flags.allow_failure
    with pytest.raises(TypeError):
        req.options["sharing"] = "per_weight"  # type: ignore[index]


@pytest.mark.parametrize("flag", ["jobs", "allow_failure", "max_memory", "lazy"])
def test_a_build_flag_given_as_an_option_is_refused(flag: str) -> None:
    F = random_target([2, 3, 1], 1.0, 4)
    with pytest.raises(ValueError, match=rf"\['{flag}'\] is a build flag, not an option of 'pensia' "
                                         r"\(its options are \[.*'window'.*\]\)"):
        B.resolve_request(F, 0.1, 0.1, 0, construction="pensia", options={flag: 1})
    if flag != "allow_failure":  # build_ticket's own keyword; the others reach its **options
        with pytest.raises(ValueError, match="build flag"):
            B.build_ticket(F, 0.1, 0.1, 0, construction="pensia", **{flag: 1})


def test_an_unknown_option_names_the_construction_s_options() -> None:
    with pytest.raises(ValueError, match=r"'orseau' has no option\(s\) \['sharring'\]; its options are \[.*'sharing'"):
        B.resolve_request(random_target([2, 1], 1.0, 0), 0.1, 0.1, 0, options={"sharring": "per_input"})


def test_a_construction_s_own_option_named_like_a_flag_is_its_own() -> None:
    """edge-popup has an option ``progress``: given as an option it is that option, not the flag."""
    con = resolve_construction("edge-popup", {"progress": True, "steps": 1})
    assert con.progress is True
    with pytest.raises(ValueError, match="not beside an instance"):
        resolve_construction(con, {"steps": 2})


@pytest.mark.parametrize(("kw", "message"), [
    ({"construction": "nope"}, r"construction: unknown construction 'nope'; choose one of"),
    ({"eps": 0.0}, r"eps"),
    ({"delta": 1.5}, r"delta"),
    ({"w_max": 0.1}, r"w_max"),
    ({"b_max": 1e-3, "biased": True}, r"b_max"),
    ({"options": {"n_samples": 0}}, r"option n_samples: must lie in \[1, 1e\+09\], got 0"),
])
def test_bad_input_keeps_its_clear_error(kw: dict[str, Any], message: str) -> None:
    """The resolver raises what the builders raised (the same message through the old signature)."""
    F = random_target([2, 3, 1], 1.0, 4)
    if kw.pop("biased", False):
        F = ReLUNet(F.weights, biases=[np.full(3, 0.5), np.full(1, 0.5)])
    args = {"eps": kw.pop("eps", 0.1), "delta": kw.pop("delta", 0.1)}
    with pytest.raises(ValueError, match=message) as new:
        B.resolve_request(F, args["eps"], args["delta"], 0, **kw)
    options = kw.pop("options", {})
    with pytest.raises(ValueError) as old:
        B.build_ticket(F, args["eps"], args["delta"], 0, **kw, **options)
    assert str(old.value) == str(new.value)


def test_the_float_floor_is_refused_only_when_asked() -> None:
    F = random_target([2, 3, 1], 1.0, 4)
    with pytest.raises(ValueError, match="at or below .* the float64 rounding error"):
        B.resolve_request(F, 1e-18, 0.1, 0, flags=BuildFlags(require_certifiable=True))
    assert B.resolve_request(F, 1e-3, 0.1, 0, flags=BuildFlags(require_certifiable=True)).problem.eps == 1e-3


def test_the_cli_prints_the_library_s_estimate(monkeypatch, capsys, tmp_path) -> None:
    """``slt-check build`` says exactly what the resolved request's estimate says (hint and time),
    with the library's one constant per kind of work."""
    monkeypatch.setattr(E, "LONG_BUILD_S", 0.0)
    monkeypatch.setattr(E, "SLOW_EXACT_WEIGHTS", 1)
    rc = cli.main(["build", "--target", "random:3-3-2", "--eps", "0.05", "--delta", "0.05", "--seed", "43",
                   "--construction", "pensia", "--out", str(tmp_path / "t.npz"), "--no-certify"])
    printed = [line for line in capsys.readouterr().err.splitlines() if line.startswith(("note:", "estimate:"))]
    F = random_target((3, 3, 2), 1.0, 43 + 1_000_003)
    req = B.resolve_request(F, 0.05, 0.05, 43, construction="pensia")
    assert rc == 0 and printed == req.estimate.notes() and len(printed) == 2
    assert f"{E.S_PER_EXACT_SEARCH * 1e3:.1f} ms per 32-candidate search" in printed[0]
    assert not any(hasattr(cli, n) for n in ("DENSE_PARAMS_LIMIT", "S_PER_EXACT_SEARCH", "LONG_BUILD_S",
                                             "estimate_build", "prepare", "supports_lazy"))


def test_the_slow_exact_search_note() -> None:
    """The note of a whole-window exact search on a large target: its CPU-minutes are the estimate's
    search part (2 W · S_PER_EXACT_SEARCH at window 32); none for a growing search, a small target or
    a rule without subset sums."""
    prob = Problem((784, 500, 10), 0.01, 0.05)

    def hint(name: str, **opts: Any) -> str | None:
        con = get_construction(name, **opts)
        return E.estimate_build(con, prob, con.plan(prob), False).hint()

    text = hint("pensia")
    assert text is not None and "precision=certificate" in text
    assert f"≈ {2 * prob.n_weights * E.S_PER_EXACT_SEARCH / 60:.0f} CPU-minutes" in text
    assert hint("pensia", precision="certificate") is None
    assert hint("orseau") is None
    assert hint("factorial", rule="greedy_digits") is None
    assert "factorial at R8's precision" in (hint("factorial", rule="exact_subset_sum") or "")
    small = Problem((2, 3, 1), 0.01, 0.05)
    pen = get_construction("pensia")
    assert E.estimate_build(pen, small, pen.plan(small), False).hint() is None


def test_the_request_is_a_frozen_record_of_its_parts() -> None:
    assert dataclasses.is_dataclass(BuildRequest) and BuildRequest.__dataclass_params__.frozen
    assert BuildFlags.__dataclass_params__.frozen
    assert BuildFlags() == BuildFlags(allow_failure=False, jobs=1, progress=None, max_memory=None)
