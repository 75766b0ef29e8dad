"""Claim **B-bias** (ours) — targets with biases, through the constant-input reduction.

A biased target ``F`` is built as the bias-free ``F'`` on ``[x; 1]`` (:mod:`slt_check.core.affine`,
docs/biases.md) with ``w_max' = max(w_max, b_max, 1)`` and ``x_max' = max(x_max, 1)``. The end-to-end
claim: at the construction's formula width, ``P(no certified ε-ticket of F on ‖x‖∞ ≤ x_max) ≤ δ``.

Pre-registered table :data:`BIAS_CASES` (the property test and the ledger run the same): per seed ``s``
of ``seed_grid(master, n)``, ``n = n_for_power(δ)``, a fresh biased random target
(``random_target(widths, 1, s + 1_000_003, bias=True)``: weights and biases ``U[−1, 1]``) and ``G``
from ``s``. A draw fails when the construction's success event failed or the certified sup error (the
stage certificate on the superset box ``[−x_max', x_max']^{d+1}``, sound) exceeds ε — never re-drawn.
No MILP re-check here: the certificate alone decides, which can only over-count failures.
"""

from __future__ import annotations

from typing import Any

from slt_check.certificates.sup_error import sup_error
from slt_check.claims.base import RateCase, rate_result
from slt_check.core.stats import RateVerdict, n_for_power
from slt_check.pipeline.build import build
from slt_check.runtime.trials import run_trials
from slt_check.tickets.targets import random_target

__all__ = ["BIAS_CASES", "bias_outcomes", "run_bias_case", "measure_bbias"]


def _case(label: str, construction: str, options: dict[str, Any], master: int) -> RateCase:
    return RateCase("B-bias", label, 0.1, n_for_power(0.1), master,
                    {"widths": (2, 3, 2), "eps": 0.05, "construction": construction, "options": options})


BIAS_CASES: list[RateCase] = [
    _case("2-3-2 biased, pensia, ε=0.05", "pensia", {}, 7100),
    _case("2-3-2 biased, orseau per_input, ε=0.05", "orseau", {"sharing": "per_input"}, 7101),
]


def _bias_trial(arg: tuple[dict[str, Any], float, int]) -> dict[str, Any]:
    """One draw: build for the reduced target, certify against the biased one (corners, 64 random
    points and the ternary points for the found error; the certificate decides)."""
    P, delta, s = arg
    F = random_target(P["widths"], 1.0, s + 1_000_003, bias=True)
    r = build(F, P["eps"], delta, s, construction=P["construction"], allow_failure=True, certify=False,
              **P["options"])
    sup = sup_error(F, r.ticket, 1.0, n_random=64, n_starts=0, steps=0, rng=s)
    fail = not (r.ok and sup.certified <= P["eps"])
    return {"fail": bool(fail), "ok": bool(r.ok), "certified": float(sup.certified), "found": float(sup.found)}


def bias_outcomes(case: RateCase) -> list[dict[str, Any]]:
    """Every draw of a case (run by :func:`slt_check.runtime.trials.run_trials`)."""
    return run_trials(_bias_trial, [(case.params, case.delta, s) for s in case.seeds()], desc=f"B-bias {case.label}")


def run_bias_case(case: RateCase) -> RateVerdict:
    """One case: failures over its seeds and the verdict."""
    return case.verdict(sum(o["fail"] for o in bias_outcomes(case)))


def measure_bbias(scale: str = "ci") -> dict[str, Any]:
    """The ledger's B-bias: every case of :data:`BIAS_CASES`; found ≤ certified on every draw is
    recorded beside the rates."""
    outs = [bias_outcomes(c) for c in BIAS_CASES]
    verdicts = [c.verdict(sum(o["fail"] for o in out)) for c, out in zip(BIAS_CASES, outs, strict=True)]
    unsound = sum(o["found"] > o["certified"] for out in outs for o in out)
    worst = max(o["certified"] for out in outs for o in out if o["ok"])
    return rate_result(verdicts, BIAS_CASES, found_above_certified=unsound, largest_certified=worst,
                       summary=f"largest certified {worst:.3g} (ε = 0.05); found > certified on {unsound} draws")
