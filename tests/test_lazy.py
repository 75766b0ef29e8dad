"""The lazy path (slt_check.sources.lazy) gives the identical ticket as the dense path, bit for bit."""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import slt_check.pipeline.build as pipeline
import slt_check.sources.lazy as lazy
from slt_check.constructions import rules
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction
from slt_check.constructions.rules import GreedyDigits
from slt_check.core import digits
from slt_check.core.bounds import GAMMA
from slt_check.core.laws import Hyperbolic, Uniform
from slt_check.pipeline.build import build_ticket
from slt_check.sources.source import sample_source, usable_entries
from slt_check.tickets.compact_ticket import CompactTicket
from slt_check.tickets.targets import default_target_seed, random_target, target_from_spec


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
    assert dense.meta.records["layers"] == compact.meta.records["layers"]
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
    r.ticket.meta = dataclasses.replace(r.ticket.meta, success=None)  # the success event not recorded
    assert r.ticket.ok is False


def test_lazy_failure_is_reported_not_hidden() -> None:
    F = random_target((3, 2), 1.0, 0)
    with pytest.raises(ConstructionFailed, match="misses") as exc:
        pipeline.build_compact_ticket(F, 1e-3, 0.1, 0, n_samples=3)
    assert isinstance(exc.value.ticket, CompactTicket) and not exc.value.ticket.ok
    t = pipeline.build_compact_ticket(F, 1e-3, 0.1, 0, n_samples=3, allow_failure=True)
    assert not t.ok and t.meta.n_failed_weights > 0


def test_bad_input_names_the_argument() -> None:
    F = random_target((3, 2), 1.0, 0)
    with pytest.raises(ValueError, match="jobs"):
        pipeline.build_compact_ticket(F, 0.1, 0.1, 0, jobs=0)
    spec = get_construction("orseau").source_spec(Problem((3, 3), 0.1, 0.1), 0)
    with pytest.raises(ValueError, match="target: widths"):
        lazy.select_lazy(F, spec, get_construction("orseau").make_rule(
            Problem((3, 3), 0.1, 0.1), spec, get_construction("orseau").plan(Problem((3, 3), 0.1, 0.1))))


# --------------------------------------------------------------------------- the compiled digit scan
# GreedyDigits.choose_factors (compiled, early stop, stream prefixes) against the array code it
# replaces in the build (GreedyDigits.choose per half on p = a·b), and a mid-size build against the
# kept arrays of the revision before it.



def _kept_sets(pos: np.ndarray, N: int) -> list[list[int]]:
    return [sorted(int(s) for s in row if s < N) for row in pos]


def _reference(rule: GreedyDigits, w, a, b, halves) -> tuple[list[list[int]], np.ndarray]:
    keep, ok = rule._choose_halves(w, a, b, halves)
    return [list(np.flatnonzero(k)) for k in keep], ok


def _factor_case(seed: int, n: int, N: int, M: int, w_max: float, edges: bool):
    """Hyperbolic factors sized for M digits, targets in [−w_max, w_max] with some zeros; with
    ``edges`` some products lie exactly on tile edges w_max γ^{-k} (a = edge, b = 1)."""
    rng = np.random.default_rng(seed)
    alpha, beta = math.sqrt(w_max) * GAMMA ** (-3 * M / 4), math.sqrt(w_max) * GAMMA ** (M / 4)
    law = Hyperbolic(alpha, beta)
    a, b = law.sample(rng, (n, N)), law.sample(rng, (n, N))
    w = rng.uniform(-w_max, w_max, n)
    w[rng.random(n) < 0.1] = 0.0
    if edges:
        r, c = rng.integers(0, n, 3 * n), rng.integers(0, N, 3 * n)
        k = rng.integers(1, M + 1, 3 * n)
        a[r, c] = rng.choice([-1.0, 1.0], 3 * n) * (w_max * np.power(GAMMA, -k.astype(float)))
        b[r, c] = rng.choice([-1.0, 1.0], 3 * n)
    return w, a, b



@pytest.mark.parametrize("edges", [False, True])
@pytest.mark.parametrize("halves", [(1, -1), (1,), (-1,)])
@pytest.mark.parametrize(("M", "N", "w_max"), [(5, 60, 1.0), (12, 400, 0.3), (1, 8, 2.5)])
def test_choose_factors_equals_the_array_code(M, N, w_max, halves, edges) -> None:
    rule = GreedyDigits(M=M, w_max=w_max)
    w, a, b = _factor_case(M * N, 300, N, M, w_max, edges)
    ref_keep, ref_ok = _reference(rule, w, a, b, halves)
    pos, ok, decided = rule.choose_factors(w, a, np.arange(len(w)), b, halves, complete=True)
    assert decided.all()
    assert _kept_sets(pos, N) == ref_keep
    np.testing.assert_array_equal(ok, ref_ok)
    assert 0 < ok.sum() < len(w) or M == 1  # both outcomes occur (the cases are not all trivial)
    # a prefix: rows decided on it have the whole rows' result
    L = N // 3
    pos_p, ok_p, dec_p = rule.choose_factors(w, a, np.arange(len(w)), b[:, :L], halves, complete=False)
    assert dec_p.any() and not dec_p.all()
    assert [k for k, d in zip(_kept_sets(pos_p, L), dec_p, strict=True) if d] == \
        [k for k, d in zip(ref_keep, dec_p, strict=True) if d]
    np.testing.assert_array_equal(ok_p[dec_p], ref_ok[dec_p])


def test_edge_products_are_left_to_tile_index() -> None:
    """A product exactly on an edge w_max γ^{-k} must reach tile_index (the compiled log may differ
    from NumPy's by an ulp); rows where it could fill an empty tile are recomputed by choose."""
    M, w_max = 6, 1.0
    a = np.array([[w_max * GAMMA**-3, 0.7, 0.2]])
    b = np.ones((1, 3))
    _, _, _, status = digits.greedy_digit_scan(np.array([0.5]), a, np.zeros(1, dtype=np.int64), b, M, w_max)
    assert status[0] == digits.SCAN_NEEDS_REFERENCE
    rule = GreedyDigits(M=M, w_max=w_max)
    pos, ok, _ = rule.choose_factors(np.array([0.5]), a, np.zeros(1, dtype=np.int64), b, (1,))
    ref_keep, ref_ok = _reference(rule, np.array([0.5]), a, b, (1,))
    assert _kept_sets(pos, 3) == ref_keep and 0 in ref_keep[0]  # the edge product is tile 3's digit
    np.testing.assert_array_equal(ok, ref_ok)


def test_every_row_through_the_fallback_gives_the_same_result(monkeypatch) -> None:
    """The merge of rows recomputed by the array code (all of them here) into the result."""
    rule = GreedyDigits(M=8, w_max=1.0)
    w, a, b = _factor_case(4, 200, 150, 8, 1.0, False)
    want = rule.choose_factors(w, a, np.arange(200), b, (1, -1))
    scan = digits.greedy_digit_scan

    def all_to_reference(*args, **kw):
        keep, n_keep, ok, status = scan(*args, **kw)
        return keep, n_keep, ok, np.full_like(status, digits.SCAN_NEEDS_REFERENCE)

    monkeypatch.setattr(rules, "greedy_digit_scan", all_to_reference)
    got = rule.choose_factors(w, a, np.arange(200), b, (1, -1))
    for x, y in zip(want, got, strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_replaced_tile_index_reaches_the_build(monkeypatch) -> None:
    """The mutation suite replaces rules.tile_index: choose_factors must then follow it."""
    rule = GreedyDigits(M=8, w_max=1.0)
    w, a, b = _factor_case(5, 200, 150, 8, 1.0, False)
    orig = digits.tile_index
    unpatched = rule.choose_factors(w, a, np.arange(200), b, (1, -1))[0]
    monkeypatch.setattr(rules, "tile_index", lambda mag, w_max, gamma=GAMMA: orig(mag, w_max, gamma) + 1)
    ref_keep, ref_ok = _reference(rule, w, a, b, (1, -1))
    pos, ok, _ = rule.choose_factors(w, a, np.arange(200), b, (1, -1))
    assert _kept_sets(pos, 150) == ref_keep != _kept_sets(unpatched, 150)
    np.testing.assert_array_equal(ok, ref_ok)


@pytest.mark.parametrize("law", [Hyperbolic(1e-4, 3.0), Uniform(-1.0, 1.0)])
def test_nested_laws_draw_prefixes(law) -> None:
    """The prefix path and the prefix regeneration draw law.sample(rng, n) for the first n values
    of law.sample(rng, N): bit for bit, whatever n (SIMD blocks and tails included)."""
    assert lazy.nested_law(law)
    full = law.sample(lazy.block_rng(3, 1, 2, 5), 1500)
    for n in [*range(1, 40), 127, 128, 129, 1000, 1499, 1500]:
        pre = law.sample(lazy.block_rng(3, 1, 2, 5), n)
        np.testing.assert_array_equal(pre.view(np.uint64), full[:n].view(np.uint64))


@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
@pytest.mark.parametrize("fraction", [1e-3, 0.3, 1.0])
def test_prefix_fraction_does_not_change_the_ticket(sharing, fraction, monkeypatch) -> None:
    """All weights undecided on the prefix (1e-3), most decided (0.3), whole streams (1.0)."""
    F = random_target((6, 5, 3), 1.0, 4)
    dense = build_ticket(F, 0.05, 0.1, 2, sharing=sharing, allow_failure=True)
    monkeypatch.setattr(lazy, "PREFIX_FRACTION", fraction)
    compact = pipeline.build_compact_ticket(F, 0.05, 0.1, 2, sharing=sharing, allow_failure=True)
    assert_same_ticket(dense, compact)
    compact.validate()


def kept_digest(ticket) -> str:
    """SHA-256 of rows, cols and vals (their bytes) of every layer of a compact ticket."""
    h = hashlib.sha256()
    for e in ticket.entries:
        for key in ("rows", "cols", "vals"):
            h.update(np.ascontiguousarray(e[key]).tobytes())
    return h.hexdigest()


MID_SIZE_DIGEST = "2c2e4f9e3d41a9fde2bc5c2666f00f4f3cd551365b8924002b8e063bd2dc6f5e"
"""kept_digest of random:196-100-10:kaiming (target seed default_target_seed(0)), orseau per_input,
ε = δ = 0.01, seed 0, built lazily by the revision before the compiled scan (array code, whole
streams): 20,600 target weights × 6,534 candidates."""


def test_mid_size_lazy_build_keeps_the_same_arrays() -> None:
    F = target_from_spec("random:196-100-10:kaiming", seed=default_target_seed(0), output_relu=False)
    t = pipeline.build_compact_ticket(F, 0.01, 0.01, 0, sharing="per_input", progress=False)
    assert kept_digest(t) == MID_SIZE_DIGEST


@pytest.mark.parametrize("law", [Hyperbolic(1e-4, 3.0), Uniform(-1.0, 1.0)])
def test_batched_rows_are_the_streams(law) -> None:
    """The prefix path draws a batch of stream prefixes at once (_draw_rows): each row must be
    law.sample of its own stream, bit for bit."""
    con = get_construction("orseau", sharing="per_input", n_samples=300)
    spec = con.source_spec(Problem((3, 4, 2), 0.1, 0.1), 7)
    spec = type(spec)(spec.widths, spec.n_samples, spec.sharing, law, spec.seed)
    keys = [(1, 2, 5), (0, 0, 0), (3, 1, 2)]
    for n in (1, 7, 129, 300):
        rows = lazy._draw_rows(spec, keys, n)
        for key, row in zip(keys, rows, strict=True):
            np.testing.assert_array_equal(row.view(np.uint64), law.sample(lazy.block_rng(7, *key), n).view(np.uint64))


def test_first_occurrences_is_unique_with_return_index() -> None:
    rng = np.random.default_rng(0)
    for x in (rng.integers(0, 50, 300), np.arange(5)[::-1], np.zeros(0, dtype=np.int64), np.array([3, 3, 3])):
        want = np.unique(x, return_index=True)
        got = lazy._first_occurrences(x)
        for a, b in zip(want, got, strict=True):
            np.testing.assert_array_equal(a, b)
