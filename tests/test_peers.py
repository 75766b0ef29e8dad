"""Peer constructions (pensia, malach, factorial, burkholz): tickets, rules, plans, bad input."""

import math

import numpy as np
import pytest

from slt_check import build_ticket, get_construction, random_target, verify_ticket
from slt_check.certificates.sup_error import sup_error
from slt_check.constructions.base import Problem
from slt_check.constructions.malach import pair_samples, pair_success_prob
from slt_check.constructions.pensia import PENSIA_C, pensia_samples
from slt_check.constructions.rules import RULES, ExactSubsetSum, PairSearch
from slt_check.core.subset_sum import brute_force_subsets, subset_errors


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint64)


@pytest.mark.parametrize(
    ("name", "opts", "widths", "eps"),
    [
        ("pensia", {}, [3, 4, 2], 1e-2),
        ("malach", {}, [2, 2, 1], 1e-1),
        ("factorial", {"law": "hyperbolic", "rule": "exact_subset_sum"}, [3, 4, 2], 1e-2),
        ("factorial", {"law": "product", "rule": "greedy_digits", "n_samples": 400}, [2, 3, 1], 0.1),
    ],
)
def test_ticket_is_pruned_G_and_certified(name, opts, widths, eps):
    F = random_target(widths, 1.0, 11)
    t = build_ticket(F, eps, 0.05, seed=3, construction=name, allow_failure=True, **opts)
    verify_ticket(t)
    err = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20)
    assert err.found <= err.certified
    if t.ok:
        assert err.certified <= eps
    for i in range(F.depth):  # R3 structure: a kept intermediate neuron has exactly one input
        n_in = t.masks[2 * i].sum(axis=1)
        used = (n_in > 0) | (t.masks[2 * i + 1].sum(axis=0) > 0)
        assert np.all(n_in[used] == 1)


def test_pensia_cli_example_holds():
    """The brief's example: 4-8-8-2, ε = 1e-2, δ = 0.05, seed 0 (one fixed draw, not re-drawn)."""
    from slt_check.tickets.targets import target_from_spec

    F = target_from_spec("random:4-8-8-2", seed=1_000_003)
    t = build_ticket(F, 1e-2, 0.05, seed=0, construction="pensia")
    assert t.ok and t.meta.plan.n_samples == pensia_samples(
        t.meta.plan.eta, 112, 0.05)[0]
    assert sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20).certified <= 1e-2


@pytest.mark.parametrize("name", ["pensia", "malach"])
def test_G_does_not_depend_on_target(name):
    F1 = random_target([2, 3, 1], 1.0, 1)
    F2 = random_target([2, 3, 1], 1.0, 2, family="corners")
    t1 = build_ticket(F1, 0.1, 0.1, seed=5, construction=name, allow_failure=True)
    t2 = build_ticket(F2, 0.1, 0.1, seed=5, construction=name, allow_failure=True)
    for g1, g2 in zip(t1.G.weights, t2.G.weights, strict=True):
        assert np.array_equal(_bits(g1), _bits(g2))


def test_exact_rule_is_optimal_over_its_window():
    rng = np.random.default_rng(0)
    p = rng.uniform(-1, 1, (40, 16))
    e = rng.random((40, 16)) < 0.5
    w = rng.uniform(-1, 1, 40)
    keep, ok = ExactSubsetSum(eta=1e-3, window=16).choose(w, p, e)
    assert not np.any(keep & ~e)
    ref = brute_force_subsets(p, w, e)
    assert np.all(subset_errors(p, w, keep) <= subset_errors(p, w, ref) + 1e-14)
    assert np.array_equal(ok, subset_errors(p, w, keep) <= 1e-3)


def test_exact_rule_window_limits_candidates():
    p = np.array([[0.1, 0.2, 0.4, 0.8]])
    keep, ok = ExactSubsetSum(eta=1e-9, window=2).choose(np.array([0.8]), p, np.ones((1, 4), bool))
    assert not keep[0, 2:].any() and not ok[0]


def test_pair_rule_picks_closest_single():
    p = np.array([[0.5, 0.31, -0.3, 0.29], [0.5, 0.31, -0.3, 0.29]])
    e = np.array([[True, True, True, False], [True, False, True, True]])
    keep, ok = PairSearch(eta=0.02).choose(np.array([0.3, 0.3]), p, e)
    assert keep.sum(axis=1).tolist() == [1, 1]
    assert keep[0, 1] and keep[1, 3] and ok.all()
    keep0, ok0 = PairSearch(eta=0.0).choose(np.array([0.0]), p[:1], e[:1])
    assert not keep0.any() and ok0[0]


def test_rules_registered():
    assert {"greedy_digits", "exact_subset_sum", "pair"} <= set(RULES)


def test_pensia_formula():
    N, extra = pensia_samples(1e-3, 10, 0.05)
    assert N == math.ceil(PENSIA_C * math.log2(20 / 1e-3) - 1e-9)
    assert pensia_samples(1e-3, 10, 1e-4)[0] > N  # δ < η: δ enters
    plan = get_construction("pensia").plan(Problem((3, 4, 2), 1e-2, 0.05))
    assert plan.sharing == "per_input" and plan.n_samples == plan.n_samples_formula
    assert tuple(plan.G_widths) == (3, 3 * plan.n_samples, 4, 4 * plan.n_samples, 2)


def test_pair_probability_matches_monte_carlo():
    rng = np.random.default_rng(123)
    n = 400_000
    s = math.sqrt(2.0)
    a, b = rng.uniform(-s, s, n), rng.uniform(-s, s, n)
    for w, eta in [(1.0, 0.05), (0.3, 0.02), (0.0, 0.05), (0.01, 0.05)]:
        p = pair_success_prob(w, eta, s)
        hits = int(np.sum((a > 0) & (np.abs(a * b - w) <= eta)))
        sd = math.sqrt(n * p * (1 - p))
        assert abs(hits - n * p) <= 6 * sd + 1


def test_pair_samples_edge_of_law_is_quadratic():
    """With s² = w_max the worst weight sits at the edge: p ≈ η²/8, the 1/ε² regime."""
    for eta in (1e-2, 1e-3):
        p = pair_success_prob(1.0, eta, 1.0)
        assert 0.9 * eta**2 / 8 <= p <= 1.1 * eta**2 / 8
    N1, _ = pair_samples(math.sqrt(2), 1.0, 1e-2, 10, 0.05)
    N2, _ = pair_samples(math.sqrt(2), 1.0, 1e-3, 10, 0.05)
    assert 9 <= N2 / N1 <= 11  # interior: ~1/η


@pytest.mark.parametrize(
    ("name", "opts", "word"),
    [
        ("factorial", {"law": "cauchy"}, "law"),
        ("factorial", {"rule": "mip"}, "rule"),
        ("pensia", {"sharing": "both"}, "sharing"),
        ("pensia", {"window": 99}, "window"),
        ("pensia", {"C": -1}, "C"),
        ("malach", {"scale": 0}, "scale"),
        ("factorial", {"n_samples": 0}, "n_samples"),
    ],
)
def test_bad_options(name, opts, word):
    with pytest.raises(ValueError, match=word):
        con = get_construction(name, **opts)
        G, spec = con.sample_G(Problem((2, 2, 1), 0.1, 0.1), 0)
        con.make_rule(Problem((2, 2, 1), 0.1, 0.1), spec, con.plan(Problem((2, 2, 1), 0.1, 0.1)))


@pytest.mark.parametrize("widths", [[3, 2], [2, 3, 2], [2, 2, 2, 1]])
def test_burkholz_depth_L_plus_1(widths):
    F = random_target(widths, 1.0, 4)
    t = build_ticket(F, 0.05, 0.1, seed=2, construction="burkholz", rho=12, window=20,
                     allow_failure=True)
    verify_ticket(t)
    L = len(widths) - 1
    assert t.G.depth == L + 1
    rho = t.meta.plan.rho
    assert t.G.widths[1] == 2 * rho * widths[0] and t.G.n_out == widths[-1]
    st = t.meta.stages
    assert [s["layers"] for s in st] == [[0, 1]] + [[k] for k in range(2, L + 1)]
    assert st[-1]["out_copies"] is None
    err = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20)
    assert err.found <= err.certified
    assert t.ok == (t.meta.certified_at_select <= 0.05)
    if t.ok:
        assert err.certified <= 0.05


def test_burkholz_G_independent_of_target():
    F1, F2 = random_target([2, 2, 1], 1.0, 1), random_target([2, 2, 1], 1.0, 9)
    kw = dict(construction="burkholz", rho=6, window=12, allow_failure=True)
    t1, t2 = build_ticket(F1, 0.1, 0.1, seed=3, **kw), build_ticket(F2, 0.1, 0.1, seed=3, **kw)
    for g1, g2 in zip(t1.G.weights, t2.G.weights, strict=True):
        assert np.array_equal(_bits(g1), _bits(g2))


def test_factorial_min_candidates_is_minimal():
    from slt_check.claims.min_candidates import factorial_min_candidates
    from slt_check.constructions.rules import ExactSubsetSum

    m = factorial_min_candidates("uniform", "exact_subset_sum", 1e-3, [1, 2, 3])
    import slt_check.claims.min_candidates as cmp
    from slt_check.claims.min_candidates import factorial_law

    law = factorial_law("uniform", 1)
    for s, n, w in zip([1, 2, 3], m["n_star"], m["w"], strict=True):
        assert n > 0
        p = cmp._stream(law, s, 0)
        rule = ExactSubsetSum(eta=1e-3, window=40)
        ok_n = rule.choose(np.array([w]), p[None, :n], np.ones((1, n), bool))[1][0]
        ok_before = rule.choose(np.array([w]), p[None, : n - 1], np.ones((1, n - 1), bool))[1][0]
        assert ok_n and not ok_before
    pair = factorial_min_candidates("uniform", "pair", 1e-2, [4, 5])
    for s, n, w in zip([4, 5], pair["n_star"], pair["w"], strict=True):
        p = cmp._stream(law, s, 0)
        hits = np.flatnonzero(np.abs(p - w) <= 1e-2)
        assert n == hits[0] + 1


def test_slope_ci_recovers_a_line():
    from slt_check.core.stats import slope_ci

    f = slope_ci([1, 2, 3, 4], [3.0, 5.1, 6.9, 9.0])
    assert f["low"] <= 2.0 <= f["high"] and abs(f["slope"] - 1.98) < 1e-9
    assert slope_ci([1, 2], [1, 2]) is None
    with pytest.raises(ValueError, match="same number"):
        slope_ci([1, 2, 3], [1, 2])


def test_experiment1_weights_small():
    from slt_check.experiments.compare import experiment1_weights

    w = np.random.default_rng(0).uniform(-0.5, 0.5, 300)
    r = experiment1_weights(w, 0.01, 21, 0)
    assert 0 < r["min_candidates_mean"] <= 21 and r["min_candidates_max"] <= 21
    assert r["kept_mean_sparsest_within_eps"] <= r["kept_mean_exact_optimum"] + 21
    assert 0.9 <= r["frac_within_eps"] <= 1.0


def test_cli_compare_writes_table_and_readme_block(tmp_path):
    from slt_check.cli.compare import replace_peers_block
    from slt_check.cli.main import main

    readme = tmp_path / "README.md"
    readme.write_text("top\n<!-- peers:start (x) -->\nOLDBLOCK\n<!-- peers:end -->\nbottom\n")
    out = tmp_path / "t.md"
    rc = main(["compare", "--eps", "0.1", "0.05", "0.02", "--widths", "2-1", "--factorial-seeds", "2",
               "--constructions", "pensia", "orseau", "--no-experiment1", "--out", str(out),
               "--readme", str(readme)])
    assert rc == 0
    text = readme.read_text()
    assert "OLDBLOCK" not in text and text.startswith("top\n") and text.endswith("bottom\n")
    assert "| pensia | 0.1 |" in out.read_text() and "per bit" in out.read_text()
    with pytest.raises(ValueError, match="markers"):
        replace_peers_block("no markers", "x")


# ------------------------------------------------------------------------------ moved from properties/
# formula identities (pigeonhole, planned increments): unit tests, not claim measurements
from hypothesis import given as _given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@_given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 12),
    rule=st.sampled_from(["exact_subset_sum", "pair", "greedy_digits"]),
    eta=st.sampled_from([1e-1, 3e-2, 1e-2]),
)
def test_kept_counts_respect_counting(seed, n, rule, eta):
    """One candidate set serving a grid of targets spaced 3η apart: every target it simulates
    within η needs its own kept subset (their sums differ by > η), so #simulated ≤
    Σ_{i ≤ k_max} C(n, i) with k_max the largest kept count — only a bug can break it."""
    from math import comb

    from slt_check.constructions.rules import ExactSubsetSum, GreedyDigits, PairSearch

    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 1, n) * rng.uniform(-1, 1, n)
    w = np.arange(-1.0, 1.0 + 1e-12, 3 * eta)
    r = {"exact_subset_sum": ExactSubsetSum(eta=eta, window=n), "pair": PairSearch(eta=eta),
         "greedy_digits": GreedyDigits(M=8, w_max=1.0)}[rule]
    keep, _ = r.choose(w, np.broadcast_to(p, (w.size, n)).copy(), np.ones((w.size, n), bool))
    err = np.abs(np.where(keep, p, 0.0).sum(axis=1) - w)
    ok = err <= eta
    masks = {tuple(k) for k in keep[ok]}
    assert len(masks) == int(ok.sum())  # distinct subsets for distinct targets
    if ok.any():
        k_max = int(keep[ok].sum(axis=1).max())
        assert ok.sum() <= sum(comb(n, i) for i in range(k_max + 1))
        assert ok.sum() <= 2**n


@_given(
    widths=st.lists(st.integers(1, 8), min_size=2, max_size=5),
    delta=st.floats(1e-4, 0.5),
    w_max=st.floats(0.1, 10.0),
)
def test_pensia_planned_width_grows_by_a_constant_per_decade(widths, delta, w_max):
    """N(ε/10) − N(ε) ≤ C·log₂10 + 1 for ε ∈ 1e-1…1e-10 (the plan's formula)."""
    import math

    from slt_check.constructions.base import Problem
    from slt_check.constructions.pensia import PENSIA_C
    from slt_check.constructions.registry import get_construction

    con = get_construction("pensia")
    Ns = [con.plan(Problem(tuple(widths), 10.0**-k, delta, w_max=w_max)).n_samples for k in range(1, 11)]
    assert all(b - a <= PENSIA_C * math.log2(10) + 1 for a, b in zip(Ns[:-1], Ns[1:], strict=False))
    assert all(b >= a for a, b in zip(Ns[:-1], Ns[1:], strict=False))
