"""Claim **X-cert** at the edges of float64: every certificate ``slt-check`` offers stays sound on any box.

``X-cert`` (found ≤ certified) is checked elsewhere on ordinary boxes (``x_max`` around 1). Float64
breaks differently at the edges: on a subnormal box products underflow (absolute error up to
``2⁻¹⁰⁷⁵`` that no relative allowance covers; a bound computed as exactly 0 while the search finds
``2·10⁻³²³``), on a huge box (or huge weights) they overflow (``inf`` found above a finite bound, or a crash). The
property: for tickets of every structure the certificates read — pair stages (orseau), single-layer
stages with copies (burkholz), a biased target's reduction, and a mask the stage certificate cannot
read (MILP fallback) — and for **every** box ``x_max`` a float64 can hold, with every certificate
(``propagation``, ``crown``, ``best``, and the MILP's proven ``upper``), and target weights scaled
by ``10⁻³⁰⁰ … 10¹²⁰``:

* either the box is refused up front with a :class:`~slt_check.certificates.float_safety.FloatRangeError`
  (only allowed where the documented magnitude bound passes ``10²⁵⁰``), or
* ``certified ≥ found`` (so never ``certified = 0`` while ``found > 0``), every certificate alike,
  and the MILP's ``upper ≥ found``; ``found`` is never NaN.

The ε of a build does not enter (the bound and the search do not depend on it); ``slt-check build``
refuses an ε at or below the target's float floor, which contains the underflow allowance.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from slt_check.certificates.float_safety import MAX_MAGNITUDE, FloatRangeError, magnitude_bound
from slt_check.certificates.sup_error import sup_error_any
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.build import build_ticket
from slt_check.tickets.targets import random_target

KINDS = ("pair", "single", "biased", "multi")
EXTREMES = [5e-324, 1e-323, 1e-320, 2.2250738585072014e-308, 1e-300, 1e-200, 1e-5, 1.0, 1e5, 1e100, 1e200,
            1e250, 5e307, 1e308, 1.7976931348623157e308]


@functools.cache
def ticket(kind: str) -> Any:
    """One small seeded ticket per structure (built once)."""
    if kind == "single":
        F = random_target([2, 2, 1], 1.0, 1000003)
        return build_ticket(F, 0.1, 0.1, 0, construction="burkholz", allow_failure=True, window=16)
    if kind == "biased":
        F = random_target([2, 2, 1], 1.0, 7, bias=True)
        return build_ticket(F, 0.1, 0.1, 0, construction="orseau", sharing="per_input", allow_failure=True)
    F = random_target([2, 3, 1], 1.0, 1000003)
    t = build_ticket(F, 0.1, 0.1, 0, construction="orseau", sharing="per_input", allow_failure=True)
    if kind == "multi":  # a kept intermediate neuron with every input: the MILP fallback reads it
        A = np.array(t.weights[0].toarray() if hasattr(t.weights[0], "toarray") else t.weights[0])
        h = int(np.argmax(np.any(A != 0, axis=1)))
        t.masks[0][h, :] = True
        t.weights[0] = t.G.weights[0] * t.masks[0]
    return t


@pytest.mark.claim("X-cert")
@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS),
       x_max=st.one_of(st.sampled_from(EXTREMES),
                       st.floats(min_value=5e-324, max_value=1.7976931348623157e308, allow_nan=False)),
       certificate=st.sampled_from(("propagation", "crown", "best", "milp")),
       w_scale=st.sampled_from([1.0, 1.0, 1e-300, 1e-160, 1e-20, 1e20, 1e120]))
@example(kind="biased", x_max=5e-324, certificate="milp", w_scale=1e120)  # before: MILP upper -inf (NaN slack)
@example(kind="single", x_max=1e-320, certificate="propagation", w_scale=1.0)  # before: found 2e-323 > 0
@example(kind="pair", x_max=5e307, certificate="propagation", w_scale=1.0)  # before: found inf > 2.5e305
def test_every_certificate_is_sound_on_every_box(kind: str, x_max: float, certificate: str, w_scale: float) -> None:
    """``w_scale`` multiplies the target's weights (the ticket stays ``mask ⊙ G``): soundness must hold
    for any target, so a badly approximated, tiny or huge one tests the float rule too."""
    t = ticket(kind)
    F = ReLUNet([w_scale * W for W in t.target.dense_weights()], output_relu=t.target.output_relu)
    kw: dict[str, Any] = {"method": "milp", "time_limit": 2.0} if certificate == "milp" else (
        {} if certificate == "propagation" else {"certificate": certificate})
    try:
        r = sup_error_any(F, t, x_max, n_random=64, n_starts=2, steps=10, rng=0, **kw)
    except FloatRangeError:
        box = max(x_max, 1.0) if kind == "biased" else x_max
        assert magnitude_bound([F.weights, t.weights], box) > MAX_MAGNITUDE, \
            f"refused x_max = {x_max:g}, w_scale = {w_scale:g}, inside the documented float64-safe range"
        return
    assert not np.isnan(r.found)
    assert r.certified >= r.found, f"{kind}, {certificate}, x_max = {x_max:g}: found {r.found:.6g} > {r.certified:.6g}"
    assert r.found == 0 or r.certified > 0
    for name in ("certified_propagation", "certified_crown", "exact_upper"):
        v = getattr(r, name)
        assert v is None or v >= r.found, f"{name} = {v:.6g} < found {r.found:.6g}"
