"""Formulas of slt_check.core.bounds: values, monotonicity, validation."""

import math

import numpy as np
import pytest

from slt_check.core import bounds


def test_eta_and_M_for_the_reference_target():
    eta = bounds.per_weight_precision(1e-2, (4, 8, 8, 2), 1.0, 1.0)
    assert eta == pytest.approx(1e-2 / (3 * 4 * 2 * 8 * 2 * 8 * 2))
    M = bounds.n_digits(1.0, eta)
    assert bounds.greedy_residual_bound(M) <= eta < bounds.greedy_residual_bound(M - 1)
    assert bounds.samples_per_group(M, 112, 0.05) == math.ceil(8 * M * math.log(2 * M * 112 / 0.05))


def test_hyperbolic_support_centres_products():
    a, b = bounds.hyperbolic_support(20, 2.0)
    assert math.log(b / a) == pytest.approx(20 * math.log(1.5))
    assert a * b == pytest.approx(2.0 * 1.5 ** (-10))


def test_propagation_closed_form_dominates_recursive():
    rng = np.random.default_rng(0)
    widths = (3, 5, 4, 2)
    Ws = [rng.uniform(-1, 1, (b, a)) for a, b in zip(widths[:-1], widths[1:], strict=False)]
    for eta in (1e-1, 1e-3, 1.0):
        assert bounds.propagation_bound(Ws, eta, 2.0) <= bounds.propagation_bound_closed_form(
            eta, widths, 1.0, 2.0
        ) * (1 + 1e-12)


def test_g_sizes():
    assert bounds.g_widths((2, 3), 10, "per_weight") == (2, 60, 3)
    assert bounds.g_widths((2, 3), 10, "per_input") == (2, 20, 3)
    assert bounds.g_size((2, 3), 10, "per_input") == {"neurons": 23, "params": 2 * 20 + 20 * 3, "depth": 2}


def test_coupon_collector_mean_uniform_case():
    K = 10
    harmonic = sum(1 / k for k in range(1, K + 1))
    assert bounds.coupon_collector_mean([1 / K] * K) == pytest.approx(K * harmonic, rel=1e-6)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: bounds.per_weight_precision(0.0, (2, 2), 1, 1), "eps"),
        (lambda: bounds.per_weight_precision(float("nan"), (2, 2), 1, 1), "eps"),
        (lambda: bounds.per_weight_precision(1e-2, (2,), 1, 1), "widths"),
        (lambda: bounds.samples_per_group(5, 3, 1.0), "delta"),
        (lambda: bounds.samples_per_group(5, 3, 0.0), "delta"),
        (lambda: bounds.n_digits(1.0, 1e-3, gamma=1.0), "gamma"),
        (lambda: bounds.g_widths((2, 2), 3, "shared"), "sharing"),
    ],
    ids=["eps0", "eps_nan", "widths", "delta1", "delta0", "gamma1", "sharing"],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
