"""The float-safety rule (:mod:`slt_check.certificates.float_safety`) and the MILP's time cap and silence.

* underflow: on a subnormal box the certificate is never 0 while the search finds an error, and
  dropping the underflow allowance (mutation) makes it unsound again;
* overflow: a box or weights whose magnitude bound passes ``10²⁵⁰`` are refused up front, by every
  certificate, with a :class:`FloatRangeError` naming ``x_max``;
* the MILP's ``time_limit`` is a wall-clock cap on the whole call (no LP or MILP solve is started after
  it, the bound stays sound), and nothing HiGHS prints reaches the terminal.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import numpy as np
import pytest

from slt_check.certificates import crown as crown_mod
from slt_check.certificates import exact as exact_mod
from slt_check.certificates import float_safety as fs
from slt_check.certificates import stages as stages_mod
from slt_check.certificates import sup_error as sup_mod
from slt_check.certificates.exact import exact_sup_error
from slt_check.certificates.float_safety import (
    MAX_MAGNITUDE,
    TINY,
    FloatRangeError,
    check_float_range,
    float_slack,
    magnitude_bound,
)
from slt_check.certificates.sup_error import sup_error
from slt_check.pipeline.build import build_ticket
from slt_check.runtime.quiet import quiet_native_output
from slt_check.tickets.targets import random_target

EFFORT = {"n_random": 256, "n_starts": 4, "steps": 20, "rng": 0}


@functools.lru_cache(maxsize=None)
def _burkholz() -> Any:
    F = random_target([2, 2, 1], 1.0, 1000003)
    return build_ticket(F, 0.1, 0.1, 0, construction="burkholz", allow_failure=True, window=16)


@functools.lru_cache(maxsize=None)
def _orseau(widths: tuple[int, ...] = (2, 3, 1)) -> Any:
    F = random_target(list(widths), 1.0, 1000003)
    return build_ticket(F, 0.1, 0.1, 0, construction="orseau", sharing="per_input", allow_failure=True)


@pytest.mark.parametrize("certificate", ["propagation", "crown", "best"])
def test_subnormal_box_is_certified_above_what_is_found(certificate: str) -> None:
    """The reported case: burkholz (single-layer stages, the reference slack) on ‖x‖∞ ≤ 1e-320 — the
    search finds ≈ 1.5e-323, which a bound without an underflow allowance (0) does not cover."""
    t = _burkholz()
    kw = {} if certificate == "propagation" else {"certificate": certificate}
    r = sup_error(t.target, t, 1e-320, **EFFORT, **kw)
    assert r.found > 0, "the search should find the subnormal error (else this test tests nothing)"
    assert r.certified >= r.found and r.certified >= TINY


def test_dropping_the_underflow_allowance_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutation: no TINY anywhere and no amplified-underflow allowance → the same case is unsound."""
    for mod in (fs, stages_mod, sup_mod, crown_mod):
        monkeypatch.setattr(mod, "TINY", 0.0, raising=False)
    monkeypatch.setattr(sup_mod, "underflow_allowance", lambda *a, **k: 0.0)
    t = _burkholz()
    r = sup_error(t.target, t, 1e-320, **EFFORT)
    assert r.found > r.certified


def test_float_slack_counts_underflow() -> None:
    """A network evaluated on a subnormal box: the reference slack is positive (it was 0)."""
    W = [np.array([[0.5, -0.25]]), np.array([[0.75]])]
    assert float_slack(W, 1e-320, 2) >= TINY  # one TINY per layer, propagated
    assert float_slack(W, 1.0, 2) < 1e-14  # and stays negligible on an ordinary box


@pytest.mark.parametrize("certificate", ["propagation", "crown", "milp"])
@pytest.mark.parametrize("x_max", [5e307, 1e308, 1e251])
def test_overflowing_box_is_refused_by_every_certificate(certificate: str, x_max: float) -> None:
    t = _orseau()
    kw: dict[str, Any] = {"certificate": "crown"} if certificate == "crown" else {}
    if certificate == "milp":
        kw = {"method": "milp", "time_limit": 1.0}
    with pytest.raises(FloatRangeError, match="x_max"):
        sup_error(t.target, t, x_max, **EFFORT, **kw)
    if certificate == "milp":
        with pytest.raises(FloatRangeError, match="x_max"):
            exact_sup_error(t.target, t, x_max, time_limit=1.0)


def test_magnitude_bound_counts_weights_not_only_the_box() -> None:
    """Huge weights on a unit box are refused too; the bound is max(1, x_max) × Π max(1, row/col sums)."""
    W = [np.array([[1e130, 0.0], [0.0, 1.0]]), np.array([[1e130, 1.0]])]
    assert magnitude_bound([W], 1.0) > MAX_MAGNITUDE
    with pytest.raises(FloatRangeError, match="rescale the weights"):
        check_float_range([W], 1.0)
    assert magnitude_bound([[np.array([[0.5, 0.25]])]], 1e-300) == 1.0
    check_float_range([[np.array([[0.5, 0.25]])]], 1e200)


def test_milp_time_limit_caps_the_whole_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the budget spent before the first solve, no LP (stage links) and no MILP is started: the
    call returns at once with a sound box bound and status ``time_limit`` (before, the link LPs ran
    without any limit and every subproblem still got a solve)."""
    calls: list[Any] = []
    real = exact_mod.milp
    monkeypatch.setattr(exact_mod, "milp", lambda *a, **k: calls.append(k.get("options")) or real(*a, **k))
    t = _orseau((2, 3, 3, 1))
    ex = exact_sup_error(t.target, t, 1.0, time_limit=1e-9)
    assert calls == []
    assert ex.status == "time_limit" and not ex.solved
    assert np.isfinite(ex.upper) and ex.upper >= ex.lower >= 0
    r = sup_error(t.target, t, 1.0, **EFFORT)
    assert ex.upper >= r.found


def test_highs_prints_do_not_reach_the_terminal(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> None:
    """HiGHS writes some lines with C printf to descriptor 1 whatever ``disp`` says; simulated here
    by a libc printf inside the solve. Nothing may reach stdout or stderr."""
    libc = ctypes.CDLL(None)
    real = exact_mod.milp

    def noisy(*a: Any, **k: Any) -> Any:
        libc.printf(b"HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();\n")
        libc.fflush(None)
        return real(*a, **k)

    monkeypatch.setattr(exact_mod, "milp", noisy)
    t = _orseau()
    exact_sup_error(t.target, t, 1.0, time_limit=5.0)
    out = capfd.readouterr()
    assert "Highs" not in out.out and "Highs" not in out.err


def test_quiet_native_output_gives_the_descriptors_back(capfd: pytest.CaptureFixture) -> None:
    with quiet_native_output():
        print("hidden", flush=True)
        ctypes.CDLL(None).printf(b"hidden too\n")
    print("shown", flush=True)
    out = capfd.readouterr().out
    assert "hidden" not in out and "shown" in out
