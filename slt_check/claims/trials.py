"""The trial every construction rate claim runs: build one ticket at the construction's plan width
and decide, on the tightest sound bound, whether it is an ε-ticket.

:func:`ticket_trial` is a pure function of ``(cell parameters, δ, seed)``: the target is fixed by the
cell (``random_target(widths, w_max, target_seed, family=…, output_relu=…, bias=…)``), ``G`` is drawn
from ``seed``, never re-drawn. A draw **fails** when the construction's success event failed, or its
certified sup error over ``‖x‖∞ ≤ x_max`` exceeds ε and — for bias-free targets — the exact MILP's
proven upper bound does too (:func:`slt_check.claims.base.exact_recheck`; biased targets: the
certificate alone decides, which can only over-count failures).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slt_check.certificates.sup_error import certified_bound, stages_of, sup_error
from slt_check.claims.base import exact_recheck
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.build import build_compact_ticket, build_ticket
from slt_check.tickets.targets import random_target

__all__ = ["ticket_trial", "compact_trial", "cell_target"]


def cell_target(P: Mapping[str, Any]) -> Any:
    """The cell's fixed target; with ``bias_scale = c`` every bias is multiplied by ``c`` (so that
    ``b_max = c·w_max`` can exceed ``w_max``: the reduction's ``w_max' = max(w_max, b_max, 1)`` then
    depends on the bias bound)."""
    F = random_target(list(P["widths"]), float(P.get("w_max", 1.0)), int(P["target_seed"]),
                      family=P.get("family", "uniform"), output_relu=bool(P.get("output_relu", False)),
                      bias=bool(P.get("bias", False)))
    c = float(P.get("bias_scale", 1.0))
    if c != 1.0 and F.biases is not None:
        F = ReLUNet(F.weights, output_relu=F.output_relu, biases=[None if b is None else b * c for b in F.biases])
    return F


def ticket_trial(arg: tuple[Mapping[str, Any], float, int]) -> dict[str, Any]:
    """One draw of a construction rate claim (module docstring). Cell parameters: ``widths``,
    ``target_seed``, ``eps``, ``construction``, optional ``family``, ``w_max``, ``x_max``,
    ``output_relu``, ``bias`` and ``options`` (construction options, e.g. ``sharing``)."""
    P, delta, seed = arg
    F = cell_target(P)
    eps, x_max, w_max = float(P["eps"]), float(P.get("x_max", 1.0)), float(P.get("w_max", 1.0))
    opts = dict(P.get("options", {}))
    t = build_ticket(F, eps, delta, seed, construction=P["construction"], allow_failure=True,
                     w_max=w_max, x_max=x_max, **opts)
    if P.get("bias", False):
        sup = sup_error(F, t, x_max, n_random=64, n_starts=0, steps=0, rng=seed)
        return {"fail": not (bool(t.ok) and sup.certified <= eps), "certificate_fail": not (bool(t.ok) and
                sup.certified <= eps), "rescued": False, "rechecked": False, "milp_s": 0.0,
                "inconsistent": False, "certified": float(sup.certified), "found": float(sup.found),
                "closeness": float(sup.certified) / eps}
    cert = None
    if t.ok or t.meta.certified_at_select is not None:
        cert = float(certified_bound(F, t.weights, stages_of(t), x_max).bound)
    out = exact_recheck(F, t, x_max, eps, cert)
    out["certified"] = cert
    out["closeness"] = None if cert is None else cert / eps
    return out


def compact_trial(arg: tuple[Mapping[str, Any], float, int]) -> dict[str, Any]:
    """One draw on the compact (lazy) path, as ``slt-check build`` takes it at full size; the success
    event is the certificate at selection (``ticket.ok``: certified bound ≤ ε)."""
    P, delta, seed = arg
    F = cell_target(P)
    t = build_compact_ticket(F, float(P["eps"]), delta, seed, construction=P["construction"],
                             allow_failure=True, progress=False, **dict(P.get("options", {})))
    cert = t.meta.certified_at_select
    return {"fail": not bool(t.ok), "closeness": None if cert is None else float(cert) / float(P["eps"])}
