"""The lazy path (slt_check.sources.lazy) gives the identical ticket as the dense path, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import slt_check.pipeline.build as pipeline
import slt_check.sources.lazy as lazy
from slt_check.constructions import CONSTRUCTIONS, get_construction
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.pipeline.build import build_ticket
from slt_check.sources.source import sample_source, usable_entries
from slt_check.tickets.compact_ticket import CompactTicket
from slt_check.tickets.targets import random_target


def lazy_constructions() -> list[tuple[str, dict]]:
    cases = [("orseau", {"sharing": "per_weight"}), ("orseau", {"sharing": "per_input"}),
             ("orseau", {"sharing": "per_input", "precision": "certificate"})]
    get_construction("orseau")  # populate the registry
    if "pensia" in CONSTRUCTIONS and pipeline.supports_lazy(get_construction("pensia")):
        cases += [("pensia", {}), ("pensia", {"precision": "certificate"})]
    return cases


def assert_same_ticket(dense, compact) -> None:
    """Same kept indices and bit-identical values in every layer, same reports and function."""
    assert dense.ok == compact.ok
    for k, e in enumerate(compact.entries):
        r, c = np.nonzero(dense.masks[k])  # row-major order
        order = np.lexsort((e["cols"], e["rows"]))
        np.testing.assert_array_equal(e["rows"][order], r)
        np.testing.assert_array_equal(e["cols"][order], c)
        np.testing.assert_array_equal(
            e["vals"][order].view(np.uint64), dense.G.weights[k][r, c].view(np.uint64)
        )
    assert dense.meta["layers"] == compact.meta["layers"]
    assert dense.sizes() == compact.sizes()
    X = np.random.default_rng(0).uniform(-1, 1, size=(64, dense.target.n_in))
    np.testing.assert_array_equal(dense.network()(X), compact.network()(X))


@pytest.mark.parametrize(("name", "opts"), lazy_constructions(), ids=lambda v: str(v))
@pytest.mark.parametrize("chunks", [None, (7, 300)])
def test_lazy_equals_dense(name: str, opts: dict, chunks, monkeypatch) -> None:
    if chunks:  # tiny task / sub-chunk sizes: chunking must not change the ticket
        monkeypatch.setattr(lazy, "CHUNK_CANDIDATES", chunks[0] * 100)
        monkeypatch.setattr(lazy, "SUB_CANDIDATES", chunks[1])
    F = random_target((5, 4, 3), 1.0, 11, family="corners")
    dense = build_ticket(F, 0.05, 0.1, 3, construction=name, allow_failure=True, **opts)
    compact = pipeline.build_compact_ticket(F, 0.05, 0.1, 3, construction=name, allow_failure=True, **opts)
    assert_same_ticket(dense, compact)
    compact.validate()


@settings(deadline=None, max_examples=10)
@given(
    widths=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    seed=st.integers(0, 2**32),
    sharing=st.sampled_from(["per_weight", "per_input"]),
    output_relu=st.booleans(),
)
def test_lazy_equals_dense_property(widths, seed, sharing, output_relu) -> None:
    F = random_target(widths, 1.0, seed % 97, family="corners", output_relu=output_relu)
    kw = {"sharing": sharing, "allow_failure": True}
    dense = build_ticket(F, 0.1, 0.2, seed, **kw)
    compact = pipeline.build_compact_ticket(F, 0.1, 0.2, seed, **kw)
    assert_same_ticket(dense, compact)


@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_lazy_candidates_are_the_dense_usable_entries(sharing: str) -> None:
    con = get_construction("orseau", sharing=sharing, n_samples=9)
    problem = Problem((3, 4, 2), 0.1, 0.1)
    spec = con.source_spec(problem, 5)
    G = sample_source(spec)
    for t in range(2):
        outs = np.array([1]) if t == 0 else np.array([0, 1])
        ref = usable_entries(spec, t, G.weights[2 * t], G.weights[2 * t + 1], outs)
        got = lazy.lazy_candidates(spec, t, outs)
        for key in ("rows", "a", "b"):
            np.testing.assert_array_equal(got[key], ref[key])
        sub = lazy.lazy_candidates(spec, t, outs, np.array([2]))
        np.testing.assert_array_equal(sub["b"], ref["b"][:, 2:3])


def test_jobs_do_not_change_the_ticket() -> None:
    F = random_target((4, 3, 2), 1.0, 2)
    one = pipeline.build_compact_ticket(F, 0.05, 0.1, 1, sharing="per_input")
    two = pipeline.build_compact_ticket(F, 0.05, 0.1, 1, sharing="per_input", jobs=2)
    for a, b in zip(one.entries, two.entries, strict=True):
        for key in ("rows", "cols", "vals"):
            np.testing.assert_array_equal(a[key], b[key])


def test_regenerate_refuses_unusable_entries() -> None:
    con = get_construction("orseau", sharing="per_input", n_samples=5)
    spec = con.source_spec(Problem((3, 2), 0.1, 0.1), 0)
    G = sample_source(spec)
    rows, cols = np.array([0, 7]), np.array([0, 1])  # h=7 is in block 1, input 1: usable
    np.testing.assert_array_equal(lazy.regenerate_entries(spec, 0, rows, cols), G.weights[0][rows, cols])
    with pytest.raises(ValueError, match="not a usable entry"):
        lazy.regenerate_entries(spec, 0, np.array([7]), np.array([0]))  # always-pruned entry


def test_build_auto_switches_on_size(monkeypatch) -> None:
    from slt_check.pipeline import build as pipeline

    F = random_target((3, 2), 1.0, 0)
    assert not isinstance(pipeline.build_auto(F, 0.1, 0.1, 0), CompactTicket)
    assert isinstance(pipeline.build_auto(F, 0.1, 0.1, 0, lazy=True), CompactTicket)
    monkeypatch.setattr(pipeline, "DENSE_PARAMS_LIMIT", 10)
    assert isinstance(pipeline.build_auto(F, 0.1, 0.1, 0), CompactTicket)


def test_build_result_is_typed_and_ok_needs_the_success_event() -> None:
    from slt_check import build

    F = random_target((2, 3, 1), 1.0, 0)
    r = build(F, 0.1, 0.1, 0, construction="orseau", sharing="per_input")
    assert r.ok and r.holds(0.1) and r.found <= r.certified and r.sizes["target_weights"] == 9
    assert set(r.timings) == {"build", "validate", "certify"} and not r.lazy
    r.ticket.meta.pop("success")
    assert r.ticket.ok is False


def test_lazy_failure_is_reported_not_hidden() -> None:
    F = random_target((3, 2), 1.0, 0)
    with pytest.raises(ConstructionFailed, match="misses") as exc:
        pipeline.build_compact_ticket(F, 1e-3, 0.1, 0, n_samples=3)
    assert isinstance(exc.value.ticket, CompactTicket) and not exc.value.ticket.ok
    t = pipeline.build_compact_ticket(F, 1e-3, 0.1, 0, n_samples=3, allow_failure=True)
    assert not t.ok and t.meta["n_failed_weights"] > 0


def test_bad_input_names_the_argument() -> None:
    F = random_target((3, 2), 1.0, 0)
    with pytest.raises(ValueError, match="jobs"):
        pipeline.build_compact_ticket(F, 0.1, 0.1, 0, jobs=0)
    spec = get_construction("orseau").source_spec(Problem((3, 3), 0.1, 0.1), 0)
    with pytest.raises(ValueError, match="target: widths"):
        lazy.select_lazy(F, spec, get_construction("orseau").make_rule(Problem((3, 3), 0.1, 0.1), spec))
