"""Claims **C-conv-*** (ours) — the convolutional 2L constructions (:mod:`slt_check.constructions.conv_2l`).

Domain: CNN targets of ``Conv2d`` (stride 1, zero padding, any ``k``), ``ReLU``, ``Flatten``, ``Linear``,
``AvgPool2d``, with or without biases, ``|w| ≤ w_max``, ``|b| ≤ b_max``, inputs in a box ``[lo, hi]``;
the sup error over the box; ``G`` from the seed only.

* **C-conv-delta** — at the plan width (``precision="r8"``: every kernel entry within ``η`` of
  :func:`slt_check.core.conv.conv_precision`, the plan's ``N`` channels per patch column),
  ``P(no certified ε-ticket) ≤ δ`` over its domain — a two-stage rate claim (:data:`CONV_RATE`): per draw
  with seed ``s`` the target ``random_cnn(arch, s + 1_000_003)`` (Kaiming-uniform) and ``G`` from ``s``;
  a draw fails when the success event fails or the certified sup
  error (:func:`slt_check.certificates.conv_bounds.certify_conv`, sound) exceeds ε — never re-drawn.
* **C-conv-width** — the width per kernel parameter is logarithmic in ``1/ε``: the plan's ``N`` and the
  measured kept parameters per target parameter grow linearly in ``ln(1/ε)`` (conv-orseau:
  ``N = ⌈8M ln(2MW/δ)⌉``, ``M = ⌈log_γ(w/((γ−1)η))⌉``; dacunha: ``N = ⌈C log₂(2W/min(η, δ))⌉``), with
  ``η ∝ ε``. :func:`width_table` measures it on a pre-registered seed; :func:`measure_width` reports the
  slopes (OLS with a confidence interval, :func:`slt_check.core.stats.slope_ci`).
* **C-conv-sound** — the certificate is sound: ``found ≤ certified`` and every sampled input's error is
  ``≤ certified`` (a ∀-property; ``properties/test_conv.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from slt_check.certificates.conv_bounds import certify_conv
from slt_check.claims.base import Claim
from slt_check.claims.rates import TYPED_RECORDS, Preregistration, RateClaim, design, grid
from slt_check.constructions.conv_registry import get_conv_construction
from slt_check.core.screening import Cell
from slt_check.core.stats import slope_ci
from slt_check.pipeline.conv_build import problem_for
from slt_check.tickets.conv_targets import random_cnn

__all__ = ["CONV_RATE", "width_table", "measure_width",
           "WIDTH_EPS", "WIDTH_ARCH", "CONV_CLAIMS", "measure_conv_width", "LINEAR_TOL"]

CASE_ARCH = "1x4x4:conv2k2,relu,flatten,linear2b"
WIDTH_ARCH = "1x5x5:conv2k3p1,relu,conv2k3,relu,flatten,linear2"
WIDTH_EPS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)


def _trial(arg: tuple[dict[str, Any], float, int]) -> dict[str, Any]:
    P, delta, s = arg
    net = random_cnn(P["arch"], s + 1_000_003, w_max=1.0)
    con = get_conv_construction(P["construction"], **P["options"])
    prob = problem_for(net, P["eps"], delta, w_max=1.0, b_max=1.0 if net.b_max() is not None else None)
    ticket = con.select(net, prob, s)
    cert = certify_conv(net, prob.lo, prob.hi, ticket.deviations())["bound"]
    return {"fail": bool(not ticket.ok or cert > P["eps"]), "ok": ticket.ok, "certified": float(cert)}


_ARCHS = (CASE_ARCH, "1x5x5:conv2k3p1,relu,flatten,linear2", "2x4x4:conv2k2b,relu,avg2,flatten,linear2")
_CONSTRUCTIONS = ("conv-orseau", "dacunha")


def _conv_cells(n_cells: int, eps: tuple[float, ...], deltas: tuple[float, ...]) -> tuple[Cell, ...]:
    return tuple(Cell(c.label, c.delta, {**c.params, "options": {}})
                 for c in design(n_cells, arch=_ARCHS, construction=_CONSTRUCTIONS, eps=eps, delta=deltas))


CONV_RATE = RateClaim(
    "C-conv-delta",
    {"architecture": _ARCHS, "construction": _CONSTRUCTIONS, "ε": (0.1, 0.05, 1e-2), "δ": (0.1, 0.02)},
    {"smoke": _conv_cells(4, (0.1, 0.05), (0.1,)),
     "ci": tuple(Cell(c.label, c.delta, {**c.params, "options": {}})
                 for c in grid(arch=_ARCHS, construction=_CONSTRUCTIONS, eps=(0.1, 0.05, 1e-2), delta=(0.1,))),
     "full": _conv_cells(24, (0.1, 0.05, 1e-2), (0.1, 0.02))},
    _trial, 2026_1206_41,
    (Preregistration(2026_1206_42, "e15f2e3"),
     Preregistration(2026_1206_43, "7e68574", "the ci grid widened to the full factorial after the smoke grid "
                     "confirmed a dacunha cell the 8-cell ci design had left out (39/235 at δ = 0.1)"),
     Preregistration(2026_1206_77, "636e244", TYPED_RECORDS)),
    files=("slt_check.constructions.conv_2l", "slt_check.core.conv", "slt_check.certificates.conv_bounds"),
    n_screen={"smoke": 3, "ci": 6, "full": 10}, expect={"smoke": "violated", "ci": "violated"},
    why="dacunha (Pensia's width form, blind to δ) on the biased 2x4x4 CNN with pooling fails about 9–18 % of draws "
        "at δ = 0.1: the smoke grid's confirmation found 39/235 (violated); the ci grid's first two confirmations "
        "22/244 and 28/244 (rate < 2δ, not consistent with δ), its third 43/244 (violated); conv-orseau's cells hold",
)
"""C-conv-delta over its domain (two stages, :mod:`slt_check.claims.rates`): every draw its own Kaiming target
``random_cnn(arch, s + 1_000_003)``. The ci grid screens δ = 0.1 (a CNN draw costs about 0.1–0.3 s); δ = 0.02 is
in the full grid."""



def width_table(constructions: tuple[str, ...] = ("conv-orseau", "dacunha"), seed: int = 0,
                eps_grid: tuple[float, ...] = WIDTH_EPS, delta: float = 0.05,
                measure: bool = True) -> list[dict[str, Any]]:
    """Plan width ``N`` and (``measure``) kept parameters per target parameter of :data:`WIDTH_ARCH`
    at each ε, target ``random_cnn(WIDTH_ARCH, seed + 1_000_003)`` and ``G`` from ``seed``."""
    net = random_cnn(WIDTH_ARCH, seed + 1_000_003, w_max=1.0)
    rows = []
    for name in constructions:
        con = get_conv_construction(name)
        for eps in eps_grid:
            prob = problem_for(net, eps, delta, w_max=1.0)
            plan = con.plan(prob)
            row = {"construction": name, "eps": eps, "n_samples": plan.n_samples, "M": getattr(plan, "M", None),
                   "G_params": plan.G_params}
            if measure:
                t = con.select(net, prob, seed)
                row.update(kept_per_param=t.sizes()["kept_params_per_weight"], success=t.ok,
                           certified=certify_conv(net, prob.lo, prob.hi, t.deviations())["bound"])
            rows.append(row)
    return rows


LINEAR_TOL = 0.1
"""Largest relative distance of a point from the least-squares line in ``ln(1/ε)`` (C-conv-width);
measured: 0.8 % (conv-orseau ``N``), 2.3 % and 3.3 % (kept per parameter, conv-orseau and dacunha)."""


def _rel_residual(x: list[float], y: list[float]) -> float:
    b, a = np.polyfit(np.asarray(x), np.asarray(y, dtype=float), 1)
    yy = np.asarray(y, dtype=float)
    return float(np.max(np.abs(yy - (a + b * np.asarray(x))) / yy))


def measure_width(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Slopes of ``N`` and of kept parameters per target parameter against ``ln(1/ε)``, per construction."""
    out: dict[str, Any] = {}
    for name in sorted({r["construction"] for r in rows}):
        rs = [r for r in rows if r["construction"] == name]
        x = [math.log(1 / r["eps"]) for r in rs]
        out[name] = {"N_slope": slope_ci(x, [r["n_samples"] for r in rs]),
                     "kept_slope": (slope_ci(x, [r["kept_per_param"] for r in rs])
                                    if "kept_per_param" in rs[0] else None),
                     "N_over_log": [float(r["n_samples"] / xx) for r, xx in zip(rs, x, strict=True)],
                     "N_rel_residual": _rel_residual(x, [r["n_samples"] for r in rs]),
                     "kept_rel_residual": (_rel_residual(x, [r["kept_per_param"] for r in rs])
                                           if "kept_per_param" in rs[0] else None),
                     "max_certified_over_eps": float(np.max([r.get("certified", 0) / r["eps"] for r in rs]))}
    return out


def measure_conv_width(scale: str = "ci") -> dict[str, Any]:
    """The ledger entry of C-conv-width: holds when, per construction, the plan's ``N`` and (measured)
    the kept parameters per target parameter are linear in ``ln(1/ε)`` — a positive slope whose 95 %
    interval excludes 0, every point within :data:`LINEAR_TOL` (relative) of the least-squares line — and
    every measured ticket is certified ≤ ε."""
    rows = width_table(measure=scale != "smoke")
    res = measure_width(rows)
    ok = all(r["N_slope"] is not None and r["N_slope"]["low"] > 0 and r["N_rel_residual"] <= LINEAR_TOL
             and (r["kept_slope"] is None or (r["kept_slope"]["low"] > 0 and r["kept_rel_residual"] <= LINEAR_TOL))
             and r["max_certified_over_eps"] <= 1 for r in res.values())
    return {"verdict": "holds" if ok else "violated", "slack": None, "details": {"rows": rows, "fits": res}}


_P = "properties/"
CONV_CLAIMS: list[Claim] = [
    Claim("C-conv-delta", "CNN 2L constructions (conv-orseau ours; dacunha after da Cunha et al. 2022, constants "
          "ours): at the plan width N per patch column, P(no certified ε-ticket over the box) ≤ δ", "reconstructed",
          "ours: slt_check.constructions.conv_2l", "probability", [_P + "test_rate_claims.py"], rate=CONV_RATE,
          title="CNN failure rate",
          doc="docs/cnn.md#claims", code=("constructions/conv_2l.py", "certificates/conv_bounds.py")),
    Claim("C-conv-width", "CNN 2L constructions: channels per patch column N and kept parameters per target "
          "parameter grow linearly in ln(1/ε) (per kernel parameter, not per pixel)", "reconstructed",
          "ours: slt_check.core.conv.conv_plan_orseau, pensia_samples", "growth", [_P + "test_conv.py"],
          measure_conv_width,
          title="CNN width", figure="conv_width",
          doc="docs/cnn.md#claims", code=("core/conv.py", "constructions/conv_2l.py")),
    Claim("C-conv-sound", "The stage-wise interval certificate through convolutions is sound in float64: "
          "found ≤ certified and every sampled input's error ≤ certified", "reconstructed",
          "ours: slt_check.certificates.conv_bounds", "forall", [_P + "test_conv.py"], None,
          title="CNN certificate", doc="docs/cnn.md#certificate", code=("certificates/conv_bounds.py",)),
]
"""Registry rows of the C-conv claims, ready to be appended to :data:`slt_check.claims.catalog.CLAIMS`."""
