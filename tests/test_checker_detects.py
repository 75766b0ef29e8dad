"""The checker can fail: the property check functions (:mod:`slt_check.claims.checks`) run against
deliberately broken variants and must report the right claim as violated.

Broken variants: digit base 2 instead of 3/2; uniform instead of hyperbolic weights at the same
width; ``N_w`` far below the bound; a ticket whose weights are not ``G ⊙ mask``; a ``G`` with a target
weight planted after sampling; an extra kept neuron that overshoots; too few digits for ε; a law
with uniform (not log-uniform) magnitudes (R1); base-3/2 digits where R2b expects its base-2
counterexample; R8's bound halved; the uniform law in R11's cost check; a pair search at half the
cost (P-fig1); a cover solver that over-claims (LB-counting). The ledger's "breaks caught" column
lists them with the prefix "checker:"; library mutations under which ``pytest properties`` itself
fails are in :mod:`slt_testing.breaks` (``tests/test_breaks.py``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from slt_check.certificates.sup_error import sup_error
from slt_check.claims import checks as C
from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.laws import Hyperbolic, Uniform
from slt_check.core.nets import ReLUNet
from slt_check.core.stats import seed_grid
from slt_check.pipeline.build import build_ticket
from slt_check.pipeline.verify import verify_ticket
from slt_check.tickets.targets import random_target
from slt_check.tickets.ticket import Ticket

EPS, DELTA = 1e-3, 0.05


@pytest.fixture(scope="module")
def target() -> ReLUNet:
    return random_target((3, 4, 2), 1.0, 0, family="uniform")


@pytest.fixture(scope="module")
def good_ticket(target: ReLUNet) -> Ticket:
    return build_ticket(target, EPS, DELTA, 1, sharing="per_weight")


def _violated(c: C.Check, claim: str) -> None:
    assert c.claim == claim, f"reported claim {c.claim}, expected {claim}"
    assert not c.holds, f"the broken variant was not detected: {c.message()}"


def test_good_ticket_passes_every_check(target: ReLUNet, good_ticket: Ticket) -> None:
    """Control: the real construction passes the checks the broken variants must fail."""
    for c in (C.check_end_to_end(target, good_ticket, EPS, 1.0), C.check_mask_structure(good_ticket),
              C.check_pruning_only(good_ticket), C.check_sign(good_ticket)):
        assert c.holds, c.message()


# ------------------------------------------------------------------------------ base 2
def test_base_two_digits_violate_r2() -> None:
    rng = np.random.default_rng(0)
    M = 20
    k = np.arange(1, M + 1, dtype=np.float64)
    v = 2.0 ** (rng.random((500, M)) - k)
    u = rng.uniform(0.0, 1.0, 500)
    _violated(C.check_greedy_digits(u, v, 2.0), "R2")


def test_base_two_construction_violates_layer_budget_and_r9(target: ReLUNet) -> None:
    con = get_construction("orseau", gamma=2.0)
    t = build_ticket(target, EPS, DELTA, 1, construction=con)
    _violated(C.check_end_to_end(target, t, EPS, 1.0), "R9")
    _violated(C.check_layer_errors(t, sup_error(target, t, 1.0, n_random=64, steps=0)), "X-layer")


# ------------------------------------------------------------------------------ uniform law
def test_uniform_law_violates_r7() -> None:
    _violated(C.check_tile_probs(20, 10**6, np.random.default_rng(1), law=Uniform(-1.0, 1.0)), "R7")


def test_uniform_law_violates_r5_coverage() -> None:
    _violated(C.check_group_coverage(20, 4, DELTA, seed_grid(2, 50), law=Uniform(-1.0, 1.0)), "R5")


def test_uniform_law_at_same_width_violates_r10(target: ReLUNet) -> None:
    c = C.check_success_rate(target, EPS, DELTA, seed_grid(3, 30), law="uniform")
    _violated(c, "R10")
    e2e = C.check_end_to_end(target, build_ticket(target, EPS, DELTA, 4, law="uniform", allow_failure=True),
                             EPS, 1.0)
    _violated(e2e, "R9")


# ------------------------------------------------------------------------------ N_w too small
def test_small_width_violates_r5_and_r10(target: ReLUNet) -> None:
    _violated(C.check_group_coverage(10, 4, DELTA, seed_grid(5, 50), n_samples=60), "R5")
    _violated(C.check_success_rate(target, EPS, DELTA, seed_grid(6, 30), n_samples=40), "R10")


def test_small_covering_budget_violates_r6() -> None:
    K, m = 40, 5
    N = bounds.covering_samples(1 / (2 * K), K, m, DELTA) // 4
    _violated(C.check_covering(K, m, DELTA, 500, np.random.default_rng(7), N=N), "R6")


# ------------------------------------------------------------------------------ not pruning only
class FakeTicket:
    """Ticket-like object whose weights are NOT ``G ⊙ mask``: a target weight copied in."""

    def __init__(self, t: Ticket, layer: int, row: int, col: int, value: float) -> None:
        self.G, self.masks, self.target, self.meta = t.G, t.masks, t.target, t.meta
        self.weights = [w.copy() for w in t.weights]
        self.weights[layer][row, col] = value
        self.ok = t.ok


def test_copied_target_weight_violates_r_mask(target: ReLUNet, good_ticket: Ticket) -> None:
    h = int(np.flatnonzero(good_ticket.masks[0][:, 0])[0])
    fake = FakeTicket(good_ticket, 1, 0, h, float(target.weights[0][0, 0]))
    _violated(C.check_mask_structure(fake), "R-mask")
    _violated(C.check_pruning_only(fake), "R-mask")


def test_planted_weight_in_g_violates_r_mask(target: ReLUNet, good_ticket: Ticket) -> None:
    """Plant ``a = 1``, ``b = w`` into ``G`` after sampling; the ticket is then exactly
    ``G' ⊙ mask``, but ``G'`` is not what its seed produces."""
    G = copy.deepcopy(good_ticket.G)
    h = int(np.flatnonzero(good_ticket.masks[0][:, 0])[0])
    o = int(np.flatnonzero(good_ticket.masks[1][:, h])[0])
    G.weights[0][h, 0] = 1.0
    G.weights[1][o, h] = float(target.weights[0][o, 0])
    planted = Ticket(G, good_ticket.masks, target, good_ticket.meta)
    try:  # still G' ⊙ mask bit for bit; a validation that re-samples G from its seed rejects it
        verify_ticket(planted)
    except ValueError as exc:
        assert "G" in str(exc)
    assert C.check_mask_structure(planted).holds  # structure alone cannot see it …
    _violated(C.check_pruning_only(planted), "R-mask")  # … re-sampling G from its seed does


def test_overshooting_extra_neuron_violates_r_sign(target: ReLUNet, good_ticket: Ticket) -> None:
    """Keep one more neuron of a group, with a product of the weight's sign larger than |w|."""
    t = good_ticket
    N = t.meta.plan.n_samples
    a_in = target.widths[0]
    o, j = 0, 0
    w = float(target.weights[0][o, j])
    rows = np.arange((o * a_in + j) * N, (o * a_in + j + 1) * N)
    p = t.G.weights[0][rows, j] * t.G.weights[1][o, rows]
    pos = t.G.weights[0][rows, j] > 0
    cand = np.flatnonzero(~t.masks[0][rows, j] & (np.sign(p) == np.sign(w)) & (np.abs(p) > abs(w)) & pos)
    assert cand.size, "no overshooting candidate in this group"
    h = int(rows[cand[0]])
    masks = [m.copy() for m in t.masks]
    masks[0][h, j] = True
    masks[1][o, h] = True
    _violated(C.check_sign(Ticket(t.G, masks, target, t.meta)), "R-sign")


# ------------------------------------------------------------------------------ too few digits
def test_too_few_digits_violates_r9_and_layer_budget(target: ReLUNet) -> None:
    t = build_ticket(target, EPS, DELTA, 1, n_digits=3)
    _violated(C.check_end_to_end(target, t, EPS, 1.0), "R9")
    _violated(C.check_layer_errors(t, sup_error(target, t, 1.0, n_random=64, steps=0)), "X-layer")


# ------------------------------------------------------------------------------ sizes
def test_wider_than_formula_violates_p_size(target: ReLUNet) -> None:
    """A construction that uses more neurons than ``N_w ≤ 8M ln(2MW/δ) + 1`` is reported."""
    plan = get_construction("orseau").plan(
        Problem((3, 4, 2), EPS, DELTA))
    t = build_ticket(target, EPS, DELTA, 1, n_samples=2 * plan.n_samples)
    _violated(C.check_size_formula(t), "P-size")


# ------------------------------------------------------------------------------ more broken variants
class _UniformMagnitudes(Hyperbolic):
    """A 'hyperbolic' law whose magnitudes are uniform on [α, β] (not log-uniform)."""

    def sample(self, rng, size):  # type: ignore[override]
        gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        mag = gen.uniform(self.alpha, self.beta, size)
        return np.where(gen.random(size) < 0.5, -mag, mag)


def test_uniform_magnitudes_violate_r1() -> None:
    law = _UniformMagnitudes(1e-3, 1.0)
    _violated(C.check_hyperbolic_intervals(law, [2e-3, 0.05], 10**5, np.random.default_rng(0)), "R1")


def test_base_three_halves_does_not_give_the_r2b_counterexample() -> None:
    """R2b's check reports base 2 as failing; a library whose digits were base 3/2 would not."""
    u, v = C.base2_counterexample(20)
    assert not C.check_greedy_digits(u, v, 2.0, claim="R2b").holds
    k = np.arange(1, 21, dtype=np.float64)
    assert C.check_greedy_digits(u, (1.5 ** (1 - k))[None, :], 1.5, claim="R2b").holds


def test_halved_propagation_bound_violates_r8(monkeypatch: pytest.MonkeyPatch) -> None:
    orig = bounds.propagation_bound
    monkeypatch.setattr(bounds, "propagation_bound", lambda *a, **k: 0.5 * orig(*a, **k))
    F = random_target((1, 1), 1.0, 3, family="uniform")  # one weight: err/e_1 = |Δ|/η ~ U[0, 1]
    checks = [C.check_propagation(F, 1e-3, 1.0, np.random.default_rng(s), n_points=64) for s in range(10)]
    assert any(not c.holds for c in checks), "a halved R8 bound was not detected on 10 draws"


def test_uniform_law_violates_r11_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "Hyperbolic", lambda a, b: Uniform(-b, b))
    _violated(C.check_hyperbolic_cost(10, 40, np.random.default_rng(0)), "R11")


def test_half_cost_pair_search_violates_p_fig1(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair search whose a is always positive costs half: η·mean off by 2, far outside 5 SE."""
    def half(w, eta, n_runs, rng):
        gen = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        out = np.empty(n_runs, dtype=np.int64)
        for r in range(n_runs):
            drawn = 0
            while True:
                a, b = gen.uniform(0, 1, 4096), gen.uniform(-1, 1, 4096)
                hit = np.flatnonzero(np.abs(a * b - w) <= eta)
                if hit.size:
                    out[r] = drawn + int(hit[0]) + 1
                    break
                drawn += 4096
        return out

    monkeypatch.setattr(C, "pair_search_samples", half)
    _violated(C.check_fig1_baseline(0.37, [1e-1, 1e-2], 100, np.random.default_rng(1)), "P-fig1")


def test_overclaiming_cover_solver_violates_lb_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    from slt_check.claims.peers import check_counting
    from slt_check.core import coverage

    orig = coverage.minimal_samples
    monkeypatch.setattr(coverage, "minimal_samples", lambda *a, **k: np.maximum(1, orig(*a, **k) // 4))
    assert check_counting(n_seeds=3)["verdict"] == "violated"
