"""Claims C-conv-* (ours): the convolutional 2L constructions (slt_check/claims/conv.py states them).

* C-conv-sound (∀): for hypothesis-drawn small CNN targets (conv/linear/avgpool, biases or not), boxes,
  seeds and the three constructions (2L stage certificate; the copies certificate of burkholz-conv), the
  ticket's certified sup error bounds the found error and the error at 256 random inputs;
* C-conv-delta (probability): the two-stage rate claim ``CONV_RATE`` over its domain (a screen, then the
  worst cells confirmed on fresh seeds with ``n_for_power(δ, α)`` draws), run by
  ``properties/test_rate_claims.py``;
* C-conv-width (growth): plan width and kept parameters per target parameter against ln(1/ε) on a
  pre-registered seed; log-linear (slow for the measured part).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from slt_check.claims.conv import LINEAR_TOL, measure_conv_width, measure_width, width_table
from slt_check.constructions.conv_registry import get_conv_construction
from slt_check.pipeline.conv_build import build_conv, problem_for
from slt_check.tickets.conv_targets import random_cnn


@st.composite
def _archs(draw: st.DrawFn) -> str:
    c, h = draw(st.integers(1, 2)), draw(st.integers(3, 5))
    k = draw(st.integers(1, 3))
    p = draw(st.integers(0, 1))
    b = draw(st.sampled_from(["", "b"]))
    mid = draw(st.sampled_from(["relu,", "relu,avg2s1,", ""]))
    return f"{c}x{h}x{h}:conv2k{k}p{p}{b},{mid}flatten,linear2{draw(st.sampled_from(['', 'b']))}"


@pytest.mark.claim("C-conv-sound")
@settings(max_examples=10, deadline=None)
@given(_archs(), st.integers(0, 2**31), st.sampled_from(["conv-orseau", "dacunha", "burkholz-conv"]),
       st.sampled_from([(-1.0, 1.0), (0.0, 1.0), (-0.5, 2.0)]))
def test_certificate_is_sound(arch: str, seed: int, name: str, box: tuple[float, float]) -> None:
    try:
        net = random_cnn(arch, seed, w_max=1.0)
    except ValueError:  # the drawn sizes do not fit (pooling over a 1×1 map): not a CNN
        assume(False)
    assume(name != "burkholz-conv" or net.b_max() is None)  # burkholz-conv: bias-free targets only
    opts = {} if name == "burkholz-conv" else {"precision": "certificate"}
    prob = problem_for(net, 0.05, 0.1, w_max=1.0, b_max=1.0 if net.b_max() is not None else None, lo=box[0], hi=box[1])
    r = build_conv(net, get_conv_construction(name, **opts), prob, seed % 1000)
    x = np.random.default_rng(seed).uniform(box[0], box[1], (256, *net.input_shape))
    with torch.no_grad():
        err = np.abs(r.ticket.torch_fn()(torch.from_numpy(x)).numpy() - net.forward(x)).max()
    assert r.found <= r.certified and err <= r.certified


@pytest.mark.claim("C-conv-width")
def test_plan_width_is_log_linear_in_one_over_eps() -> None:
    res = measure_width(width_table(measure=False))
    for fit in res.values():  # N linear in ln(1/ε) (conv-orseau: times a slowly growing log), not a power
        assert fit["N_slope"]["low"] > 0 and fit["N_rel_residual"] <= LINEAR_TOL


@pytest.mark.slow
@pytest.mark.claim("C-conv-width")
def test_measured_width_is_log_linear() -> None:
    res = measure_conv_width("ci")
    assert res["verdict"] == "holds", res["details"]["fits"]
