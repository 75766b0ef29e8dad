"""Argument validation helpers."""

import numpy as np
import pytest

from slt_check.core.validation import as_rng, check_box, check_delta, check_eps, check_weight_bound


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "x", None], ids=str)
def test_eps(bad):
    with pytest.raises(ValueError, match="eps"):
        check_eps(bad)


@pytest.mark.parametrize("bad", [0, 1, -0.5, 2, float("nan")], ids=str)
def test_delta(bad):
    with pytest.raises(ValueError, match="delta"):
        check_delta(bad)


def test_weight_bound_and_box():
    with pytest.raises(ValueError, match="w_max"):
        check_weight_bound([np.array([[0.5, -1.5]])], 1.0)
    with pytest.raises(ValueError, match="non-finite"):
        check_weight_bound([np.array([[np.nan]])], 1.0)
    with pytest.raises(ValueError, match="box"):
        check_box(np.array([0.5, -2.0]), 1.0)
    check_box(np.array([1.0, -1.0]), 1.0)


def test_rng():
    assert isinstance(as_rng(3), np.random.Generator)
    g = np.random.default_rng(0)
    assert as_rng(g) is g
    for bad in (None, -1, 1.5, True):
        with pytest.raises(ValueError):
            as_rng(bad)
