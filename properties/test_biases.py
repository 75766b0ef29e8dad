"""Claim B-bias (ours): targets with biases through the constant-input reduction (docs/biases.md).

* (a) the reduction is exact: ``F'([x; 1]) = F(x)`` up to float64 summation order, for hypothesis-drawn
  biased targets and inputs;
* (b) end to end: tickets of biased random targets at the formula width (pensia, R8 precision) meet a
  certified sup error ≤ ε over ``‖x‖∞ ≤ x_max`` with probability ≥ 1 − δ over the domain of
  :data:`slt_check.claims.biases.BIAS_RATE` (pensia and orseau, biases up to 3·w_max, x_max from 0.5
  to 3), in two stages with power ≥ 0.9 at 2δ (run by ``properties/test_rate_claims.py``);
  on hypothesis-drawn small targets ``found ≤ exact ≤ certified`` with the MILP fixing the constant
  coordinate to 1;
* (c) a broken variant is caught: a build whose reduction drops the bias column (monkeypatched) gives
  tickets whose error against the biased target exceeds ε.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slt_check.certificates.sup_error import sup_error
from slt_check.core import affine
from slt_check.core.nets import ReLUNet
from slt_check.core.stats import seed_grid
from slt_check.pipeline import build as build_mod
from slt_check.pipeline.build import build
from slt_check.tickets.targets import random_target

EPS, DELTA = 0.05, 0.05


@st.composite
def _biased_targets(draw: st.DrawFn, max_width: int = 3, max_depth: int = 2) -> ReLUNet:
    depth = draw(st.integers(1, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ws = [rng.uniform(-1, 1, (b, a)) for a, b in zip(widths[:-1], widths[1:], strict=True)]
    bs = [rng.uniform(-1, 1, b) for b in widths[1:]]
    bs[draw(st.integers(0, depth - 1))][0] = draw(st.sampled_from([1.0, -1.0, 0.5]))  # never all zero
    return ReLUNet(ws, output_relu=draw(st.booleans()), biases=bs)


@pytest.mark.claim("B-bias")
@given(_biased_targets(max_width=6, max_depth=4), st.integers(0, 2**32 - 1))
def test_reduction_is_exact(F: ReLUNet, seed: int) -> None:
    X = np.random.default_rng(seed).uniform(-3, 3, (64, F.n_in))
    Fp = affine.augment(F)
    assert Fp.n_in == F.n_in + 1 and not Fp.has_biases
    # float64: the same sums in another order (bounded by γ_n Σ|terms|, far below 1e-12 here)
    np.testing.assert_allclose(Fp(affine.augment_input(X)), F(X), rtol=0, atol=1e-12)


@pytest.mark.claim("B-bias")
@settings(max_examples=6, deadline=None)
@given(_biased_targets(max_width=2, max_depth=2), st.integers(0, 1000))
def test_found_le_exact_le_certified(F: ReLUNet, seed: int) -> None:
    r = build(F, 0.2, 0.1, seed, construction="pensia", allow_failure=True, certify=False)
    e = sup_error(F, r.ticket, method="milp", time_limit=30, rng=seed)
    assert e.argmax[-1] == 1.0
    assert e.found <= e.exact_upper
    assert e.exact_lower <= e.certified
    true_err = np.max(np.abs(F(e.argmax[None, :-1]) - r.ticket.network_on_x()(e.argmax[None, :-1])))
    assert true_err <= e.certified


@pytest.mark.claim("B-bias")
def test_dropping_the_bias_column_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_bias_augment(net: ReLUNet) -> ReLUNet:  # the broken reduction: biases silently dropped
        return affine.augment(ReLUNet(net.weights, output_relu=net.output_relu))

    monkeypatch.setattr(build_mod, "augment", no_bias_augment)
    caught = 0
    seeds = [int(s) for s in seed_grid(7200, 5)]
    for s in seeds:
        F = random_target((2, 3, 2), 1.0, s + 1_000_003, bias=True)
        r = build(F, EPS, DELTA, s, construction="pensia", allow_failure=True, certify=False)
        e = sup_error(F, r.ticket, rng=s)  # measured against the real biased target
        caught += int(e.found > EPS)
    assert caught == len(seeds)
