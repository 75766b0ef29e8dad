"""Weight laws: support, sign balance, CDFs, determinism under a seed."""

import math

import numpy as np
import pytest
from scipy import stats

from slt_check.core.laws import Hyperbolic, Product, Uniform, make_law, product_magnitude_cdf


def test_hyperbolic_support_and_log_uniformity():
    law = Hyperbolic(1e-4, 1.0)
    w = law.sample(np.random.default_rng(0), 200_000)
    a = np.abs(w)
    assert a.min() >= 1e-4 and a.max() <= 1.0
    # ln|w| uniform on [ln α, ln β]
    u = (np.log(a) - math.log(1e-4)) / law.log_ratio
    assert stats.kstest(u, "uniform").pvalue > 1e-6
    assert abs(np.mean(w > 0) - 0.5) < 5 / (2 * math.sqrt(len(w)))


def test_hyperbolic_interval_prob_is_scale_free():
    law = Hyperbolic(1e-3, 10.0)
    ps = [law.interval_prob(a, 1.5 * a) for a in (1e-3, 1e-2, 1.0, 6.0)]
    assert np.allclose(ps, math.log(1.5) / law.log_ratio)


def test_same_seed_same_sample():
    law = Hyperbolic(0.1, 2.0)
    a = law.sample(np.random.default_rng(7), 100)
    b = law.sample(np.random.default_rng(7), 100)
    assert np.array_equal(a, b)


def test_product_cdfs_match_samples():
    rng = np.random.default_rng(1)
    for law in (Product(Hyperbolic(0.01, 1.0), Hyperbolic(0.01, 1.0)), Product(Uniform(), Uniform())):
        z = np.abs(law.sample(rng, 200_000))
        for t in (1e-3, 1e-2, 0.1, 0.5):
            assert np.mean(z <= t) == pytest.approx(product_magnitude_cdf(law, np.array(t)), abs=0.005)


def test_bad_parameters():
    with pytest.raises(ValueError, match="alpha"):
        Hyperbolic(1.0, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        Hyperbolic(0.0, 1.0)
    with pytest.raises(ValueError, match="lo"):
        Uniform(1.0, -1.0)
    with pytest.raises(ValueError, match="unknown law"):
        make_law("cauchy")


def test_hyperbolic_draws_are_nested():
    """A wider G from the same seed extends the narrower one (monotone failure in the width)."""
    law = Hyperbolic(1e-3, 1.0)
    short = law.sample(np.random.default_rng(3), 100)
    long = law.sample(np.random.default_rng(3), 1000)
    assert np.array_equal(short, long[:100])
    assert np.array_equal(law.sample(np.random.default_rng(3), (100, 4)),
                          law.sample(np.random.default_rng(3), (1000, 4))[:100])
