"""Certificate-aware per-layer precisions (slt_check.certificates.precision) and the ``precision="certificate"``
selection: tight at the chosen η, and the construction accepts a ticket only by its certificate
(soundness, certified ≤ B(per-layer deviations), is the X-prec property in
properties/test_peers_pensia.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slt_check import build_ticket, get_construction, random_target
from slt_check.certificates.precision import layer_precisions, precision_bound
from slt_check.certificates.sup_error import sup_error
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.rules import ExactSubsetSum
from slt_check.core.bounds import per_weight_precision


@settings(deadline=None, max_examples=15)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=4), seed=st.integers(0, 2**31),
       eps=st.sampled_from([1e-1, 1e-2, 1e-4]), x_max=st.sampled_from([0.5, 1.0, 3.0]))
def test_layer_precisions_solve_the_budget(widths, seed, eps, x_max):
    F = random_target(widths, 1.0, seed)
    etas = layer_precisions(F, eps, x_max, margin=1e-3)
    assert len(etas) == F.depth and all(e > 0 for e in etas)
    B = precision_bound(F, etas, x_max)
    caps = [2 * np.abs(W).max() for W in F.dense_weights()]
    assert B <= (1 - 1e-3) * eps * (1 + 1e-9)
    capped = all(e >= c * (1 - 1e-12) for e, c in zip(etas, caps, strict=True))
    assert capped or B >= (1 - 1e-3) * eps * (1 - 1e-6)  # tight unless every layer hit its cap


def test_precisions_are_looser_than_r8_on_a_realistic_target():
    F = random_target([64, 32, 10], 1.0, 0, family="kaiming")
    etas = layer_precisions(F, 1e-2, 1.0)
    r8 = per_weight_precision(1e-2, F.widths, 1.0, 1.0)
    assert min(etas) > 3 * r8
    assert precision_bound(F, [r8] * F.depth, 1.0) <= 1e-2  # R8's η is inside the budget too


def test_precision_bound_is_monotone():
    F = random_target([4, 5, 3], 1.0, 2)
    a = precision_bound(F, [1e-4, 1e-4], 1.0)
    assert precision_bound(F, [2e-4, 1e-4], 1.0) > a and precision_bound(F, [1e-4, 2e-4], 1.0) > a
    assert precision_bound(F, [0.0, 0.0], 1.0) == 0.0


def test_certificate_mode_ticket():
    F = random_target([6, 5, 3], 1.0, 4, family="kaiming")
    t = build_ticket(F, 1e-2, 0.05, seed=1, construction="pensia", precision="certificate")
    etas = [layer["eta"] for layer in t.meta.records["layers"]]
    assert etas == pytest.approx(layer_precisions(F, 1e-2, 1.0, [F.dense_weights()[0].size * 2,
                                                                  F.dense_weights()[1].size]))
    assert t.meta.success_event == "certified sup error <= eps"
    assert t.meta.certified_at_select <= 1e-2
    err = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20)
    assert err.found <= err.certified <= 1e-2
    # same G as the R8 selection: only the mask differs
    r8 = build_ticket(F, 1e-2, 0.05, seed=1, construction="pensia")
    assert all(np.array_equal(a.view(np.uint64), b.view(np.uint64))
               for a, b in zip(t.G.weights, r8.G.weights, strict=True))
    assert t.n_kept < r8.n_kept  # looser tolerance, shorter prefixes, fewer kept weights


def test_certificate_mode_reports_failure_by_certificate():
    """With far too few samples the certificate fails: ConstructionFailed, never a silent ticket."""
    F = random_target([6, 5, 3], 1.0, 4)
    with pytest.raises(ConstructionFailed, match="certified sup error .* > ε = 1e-06") as exc:
        build_ticket(F, 1e-6, 0.05, seed=1, construction="pensia", precision="certificate", n_samples=6)
    assert exc.value.ticket is not None and not exc.value.ticket.ok
    t = build_ticket(F, 1e-6, 0.05, seed=1, construction="pensia", precision="certificate", n_samples=6,
                     allow_failure=True)
    assert not t.ok and t.meta.certified_at_select > 1e-6


def test_bad_options():
    with pytest.raises(ValueError, match="precision"):
        get_construction("pensia", precision="tight")
    with pytest.raises(ValueError, match="grow_from"):
        get_construction("pensia", grow_from=40, window=32)
    with pytest.raises(ValueError, match="grow_from"):
        ExactSubsetSum(eta=1e-3, window=8, grow_from=9)
    con = get_construction("pensia", precision="certificate")
    problem = Problem((2, 2), 0.1, 0.1)
    with pytest.raises(ValueError, match="target"):
        con.make_rule(problem, con.source_spec(problem, 0), con.plan(problem))
    F = random_target([2, 2], 1.0, 0)
    with pytest.raises(ValueError, match="margin"):
        layer_precisions(F, 0.1, 1.0, margin=1.0)
    with pytest.raises(ValueError, match="instances"):
        layer_precisions(F, 0.1, 1.0, instances=[0])
    with pytest.raises(ValueError, match="etas"):
        precision_bound(F, [1e-3, 1e-3], 1.0)
    with pytest.raises(ValueError, match="eps"):
        layer_precisions(F, 0.0, 1.0)


@pytest.mark.parametrize("sharing", ["per_weight", "per_input"])
def test_orseau_certificate_mode(sharing):
    """Same G, fewer digits per layer (M_i ≤ M), fewer kept weights, accepted by its certificate."""
    F = random_target([5, 6, 3], 1.0, 7, family="kaiming")
    t = build_ticket(F, 1e-2, 0.05, seed=2, construction="orseau", sharing=sharing, precision="certificate")
    r8 = build_ticket(F, 1e-2, 0.05, seed=2, construction="orseau", sharing=sharing)
    Ms = [layer["M"] for layer in t.meta.records["layers"]]
    assert all(M <= r8.meta.plan.M for M in Ms) and min(Ms) < r8.meta.plan.M
    assert t.meta.precision == "certificate" and t.meta.certified_at_select <= 1e-2
    assert all(np.array_equal(a.view(np.uint64), b.view(np.uint64))
               for a, b in zip(t.G.weights, r8.G.weights, strict=True))
    assert t.n_kept < r8.n_kept
    assert sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20).certified <= 1e-2
    with pytest.raises(ValueError, match="precision"):
        get_construction("orseau", precision="loose")


def test_malach_and_factorial_certificate_mode():
    F = random_target([2, 2, 1], 1.0, 3)
    for name, opts in [("malach", {}), ("factorial", {"law": "hyperbolic", "rule": "greedy_digits"})]:
        t = build_ticket(F, 0.1, 0.1, seed=4, construction=name, precision="certificate", allow_failure=True, **opts)
        assert t.meta.precision == "certificate"
        assert t.ok == (t.meta.certified_at_select <= 0.1)
        if t.ok:
            assert sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20).certified <= 0.1


def test_zero_layers_get_capped_precisions():
    """A zero layer has no sensitivity: its precision is capped (the empty subset is exact there)."""
    from slt_check.core.nets import ReLUNet

    F = ReLUNet([np.full((3, 2), 0.5), np.zeros((1, 3))])
    etas = layer_precisions(F, 1e-2, 1.0)
    assert etas[0] == pytest.approx(1.0) and precision_bound(F, etas, 1.0) <= 1e-2
    t = build_ticket(F, 1e-2, 0.1, seed=0, construction="pensia", precision="certificate")
    assert t.ok
