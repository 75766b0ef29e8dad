"""Certified sup error: sound (≥ every found error, ≥ the exact sup where it is computable),
found ≤ certified on random cases, structural checks."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from slt_check import ReLUNet, Ticket, build_ticket, random_target, sup_error
from slt_check.certificates.sup_error import pointwise_error


def _ternary_grid(n, x_max):
    return np.array(list(itertools.product([-x_max, 0.0, x_max], repeat=n)))


def _perturbed_ticket(F, rng, scale, keep_frac=0.7):
    """A hand-made depth-2 'ticket' for a one-layer target: intermediate neurons (one input each)
    whose products approximate F's weights with errors of size ~scale."""
    W = F.weights[0]
    n_out, n_in = W.shape
    rows_A, rows_B = [], []
    for o in range(n_out):
        for j in range(n_in):
            for half in (1.0, -1.0):
                if rng.random() > keep_frac:
                    continue
                a = half * rng.uniform(0.5, 2.0)
                target_p = W[o, j] + rng.normal(0, scale)
                b = target_p / a
                A = np.zeros(n_in)
                A[j] = a
                B = np.zeros(n_out)
                B[o] = b
                rows_A.append(A)
                rows_B.append(B)
    A = np.array(rows_A).reshape(-1, n_in)
    B = np.array(rows_B).reshape(-1, n_out).T
    G = ReLUNet([A, B], output_relu=F.output_relu)
    return Ticket(G, [np.ones(A.shape, bool), np.ones(B.shape, bool)], F)


@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_one_layer_certificate_is_sound_and_search_is_exact(seed, n_in, n_out, out_relu):
    rng = np.random.default_rng(seed)
    F = random_target([n_in, n_out], 1.0, rng, output_relu=out_relu)
    t = _perturbed_ticket(F, rng, scale=0.05)
    x_max = 1.5
    e = sup_error(F, t, x_max, n_random=64, steps=10, rng=seed)
    # the sup of a piecewise-linear function with kinks at x_j = 0 is attained on {−x, 0, x}^n
    exact = pointwise_error(F, t, _ternary_grid(n_in, x_max), x_max).max()
    assert e.found <= e.certified
    assert exact <= e.certified * (1 + 1e-12)
    if not out_relu:
        assert e.found == pytest.approx(exact, rel=1e-12, abs=1e-15)


@given(st.integers(0, 2**32 - 1))
def test_found_never_exceeds_certified_on_real_tickets(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))
    widths = [int(n) for n in rng.integers(1, 5, size=depth + 1)]
    F = random_target(widths, 1.0, rng, family="corners")
    # a deliberately coarse ticket (few digits) so that errors are large enough to search for
    t = build_ticket(F, 1e-1, 0.2, seed=seed % 1000, n_digits=4, allow_failure=True,
                     sharing="per_input")
    e = sup_error(F, t, 1.0, n_random=256, steps=20, rng=seed)
    assert 0 <= e.found <= e.certified
    X = rng.uniform(-1, 1, (500, widths[0]))
    assert pointwise_error(F, t, X, 1.0).max() <= e.certified


def test_reference_target_error_is_certified():
    F = random_target([4, 8, 8, 2], 1.0, 0)
    for sharing in ("per_weight", "per_input"):
        t = build_ticket(F, 1e-2, 0.05, seed=0, sharing=sharing)
        e = sup_error(F, t, 1.0, n_random=512, steps=20)
        assert e.found <= e.certified <= 1e-2
        assert len(e.per_stage_certified) == 3


def test_certificate_refuses_unsupported_structure():
    F = random_target([2, 1], 1.0, 0)
    A = np.ones((3, 2))  # every intermediate neuron keeps two inputs
    B = np.ones((1, 3))
    t = Ticket(ReLUNet([A, B]), [np.ones((3, 2), bool), np.ones((1, 3), bool)], F)
    with pytest.raises(ValueError, match="at most one"):
        sup_error(F, t, 1.0)


def test_pointwise_error_checks_the_box():
    F = random_target([2, 2], 1.0, 0)
    t = build_ticket(F, 1e-2, 0.05, seed=0)
    with pytest.raises(ValueError, match="box"):
        pointwise_error(F, t, np.array([[2.0, 0.0]]), 1.0)
    with pytest.raises(ValueError, match="shape"):
        pointwise_error(F, t, np.zeros((1, 3)), 1.0)
    with pytest.raises(ValueError, match="x_max"):
        sup_error(F, t, -1.0)


def test_a_compact_ticket_whose_target_neuron_keeps_nothing_is_certified_soundly() -> None:
    """A target whose weights are all below the selection precision (``corners`` 1-1-1: ±1e-8) gives a
    compact ticket that keeps nothing. Its stage outputs must still be the target's neurons: the
    certificate is not a crash (an empty stage) and not 0 (a dropped target neuron), but at least the
    true error |F(1)| = 1e-16."""
    from slt_check.pipeline.build import build_compact_ticket
    from slt_check.tickets.targets import random_target

    F = random_target([1, 1, 1], 1.0, 1, family="corners")
    t = build_compact_ticket(F, 0.1, 0.1, 1, sharing="per_input", allow_failure=True)
    assert t.n_kept == 0
    e = sup_error(F, t, 1.0, n_random=16, steps=2)
    true_err = float(np.max(np.abs(F(np.array([[1.0], [-1.0]])))))
    assert true_err > 0 and e.found <= e.certified and true_err <= e.certified <= 1e-12
