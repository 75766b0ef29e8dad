"""Resumable parameter sweeps: build and certify tickets on a grid, results saved as JSON.

A sweep is a list of *points* (plain dicts of parameters: construction, options, widths, eps,
delta, w_max, x_max, family, seeds). :func:`run_sweep` evaluates each point with a function
(default :func:`evaluate_point`) and keeps the results in a JSON file

    {"meta": {"versions": …, …}, "points": [{"params": {…}, "result": {…}}, …]}

(sorted keys, floats rounded to 12 significant digits, ``allow_nan=False``; see
:func:`slt_check.experiments.plotting.write_json`). The file is rewritten after every point, and points whose
``params`` are already in it are skipped, so an interrupted sweep resumes where it stopped.
Seeds are part of a point's parameters: a different seed grid is a different point.

:func:`axis_points` varies one parameter of a base point over the standard axes (ε 1e-1…1e-5, δ,
depth ``l`` 1–6, target width, ``w_max``, ``x_max``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slt_check.certificates.sup_error import sup_error
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction
from slt_check.core import bounds
from slt_check.core.stats import seed_grid
from slt_check.experiments.minwidth import available, target_for_seed
from slt_check.experiments.plotting import json_clean, read_json, write_json
from slt_check.io.safe_io import check_output_path
from slt_check.pipeline.build import build_ticket
from slt_check.runtime.trials import run_trials
from slt_check.tickets.ticket import AnyTicket, versions

__all__ = [
    "AXES",
    "point_key",
    "axis_points",
    "evaluate_point",
    "run_sweep",
    "kept_intermediate_per_weight",
    "code_fingerprint",
]

AXES: dict[str, list[Any]] = {
    "eps": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5],
    "delta": [0.2, 0.1, 0.05, 0.01, 0.001],
    "depth": [1, 2, 3, 4, 5, 6],
    "width": [1, 2, 4, 8],
    "w_max": [0.25, 0.5, 1.0, 2.0, 4.0],
    "x_max": [0.25, 0.5, 1.0, 2.0, 4.0],
}
"""The standard sweep axes and their values."""

MAX_G_PARAMS = 2e7
"""Points whose planned G has more dense parameters are recorded from the plan only (not built)."""


def point_key(params: dict[str, Any]) -> str:
    """Canonical string of a point's parameters (what resuming matches on)."""
    return json.dumps(json_clean(params), sort_keys=True)


def axis_points(base: dict[str, Any], axis: str, values: Sequence[Any] | None = None) -> list[dict[str, Any]]:
    """Points equal to ``base`` except along ``axis`` (``depth``: widths ``(n_0,)+(n,)*l`` keeping
    ``base["widths"][1]`` as hidden width; ``width``: every hidden width set to the value)."""
    if axis not in AXES:
        raise ValueError(f"axis: expected one of {sorted(AXES)}, got {axis!r}")
    vals = list(AXES[axis] if values is None else values)
    ws = list(base["widths"])
    out = []
    for v in vals:
        p = dict(base)
        if axis == "depth":
            p["widths"] = [ws[0]] + [ws[1]] * (int(v) - 1) + [ws[-1]]
        elif axis == "width":
            p["widths"] = [ws[0]] + [int(v)] * (len(ws) - 2) + [ws[-1]]
        else:
            p[axis] = v
        out.append(p)
    return out


def code_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the ``slt_check`` package's source files: a resumed sweep reuses a
    point only when the code that computed it is the code running now."""

    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def kept_intermediate_per_weight(ticket: AnyTicket) -> float:
    """Kept intermediate neurons (rows of the even ``A`` layers with a kept entry) per target weight."""
    W = sum(w.size for w in ticket.target.weights)
    if ticket.meta.stages != "pairs":
        kept = sum(int(np.any(m, axis=1).sum()) for m in ticket.masks[:-1])
    else:
        kept = sum(int(np.any(m, axis=1).sum()) for m in ticket.masks[0::2])
    return kept / W


def evaluate_point(params: dict[str, Any]) -> dict[str, Any]:
    """Build and certify one ticket per seed of ``params["seeds"]``; the plan and per-seed numbers.

    Records per seed: ``ok``, ``certified``, ``found``, ``per_stage_certified``,
    ``per_layer_weight_error``, sizes (``Ticket.sizes()``) and kept intermediate neurons per weight;
    plus the plan (η, M, N, formula width …) and the R8 propagation bound with the *measured*
    per-layer weight error. A missing construction gives ``{"skipped": reason}``.
    """
    name = params["construction"]
    if not available(name):
        return {"skipped": f"construction {name!r} is not registered"}
    problem = Problem(tuple(params["widths"]), params["eps"], params["delta"],
                      w_max=params.get("w_max", 1.0), x_max=params.get("x_max", 1.0))
    con = get_construction(name, **params.get("options", {}))
    plan = con.plan(problem)
    plan_out = {k: v for k, v in plan.to_dict().items() if isinstance(v, (int, float, str, bool)) or v is None}
    res: dict[str, Any] = {"plan": plan_out, "seeds": []}
    if float(plan.G_params) > MAX_G_PARAMS:
        res["skipped"] = f"G has {plan.G_params:.3g} dense parameters > {MAX_G_PARAMS:.0e}; plan only"
        return res
    for seed in params["seeds"]:
        target = target_for_seed(problem.widths, problem.w_max, seed, params.get("family", "uniform"))
        try:
            ticket = build_ticket(target, problem.eps, problem.delta, seed, construction=con,
                                  w_max=problem.w_max, x_max=problem.x_max, allow_failure=True)
        except ConstructionFailed:
            res["seeds"].append({"seed": seed, "ok": False, "built": False})
            continue
        err = sup_error(target, ticket, problem.x_max, rng=seed, n_random=512, n_starts=4, steps=40)
        prop = [bounds.propagation_bound(target.dense_weights()[: i + 1], err.per_layer_weight_error[: i + 1],
                                         problem.x_max) for i in range(target.depth)]
        res["seeds"].append({
            "seed": seed, "ok": bool(ticket.ok), "built": True,
            "certified": err.certified, "found": err.found,
            "per_stage_certified": err.per_stage_certified,
            "per_layer_weight_error": err.per_layer_weight_error,
            "propagation_measured_eta": prop,
            "sizes": ticket.sizes(),
            "kept_intermediate_per_weight": kept_intermediate_per_weight(ticket),
        })
    return res


def run_sweep(
    path: str | os.PathLike[str] | None,
    points: Sequence[dict[str, Any]],
    fn: Callable[[dict[str, Any]], dict[str, Any]] = evaluate_point,
    *,
    meta: dict[str, Any] | None = None,
    desc: str = "sweep",
) -> list[dict[str, Any]]:
    """Evaluate every point not already in the JSON at ``path`` (``None``: keep in memory only).

    Returns the records ``{"params", "result"}`` of ``points``, in order. The file keeps every
    record it ever held (so several figures can share one sweep file) plus ``meta`` and versions.
    """
    done: dict[str, dict[str, Any]] = {}
    code = code_fingerprint()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        check_output_path(path, ".json", "sweep file")
    if path is not None and Path(path).is_file():
        old = read_json(path)
        if not isinstance(old, dict) or not isinstance(old.get("points"), list) or not isinstance(
                old.get("meta", {}), dict) or not all(isinstance(r, dict) and isinstance(r.get("params"), dict)
                                                      and "result" in r for r in old["points"]):
            raise ValueError(f"sweep file: {str(path)!r} is not a sweep file (a 'meta' object and a 'points' list "
                             "of {'params': {…}, 'result': …} records); move it away")
        if old.get("meta", {}).get("code") == code:
            for rec in old["points"]:
                done[point_key(rec["params"])] = rec
        else:
            print(f"note: {path} was written by another version of slt_check; its points are recomputed",
                  file=sys.stderr)
    header = dict(meta or {}, versions=versions(), code=code)
    pending = list({point_key(p): p for p in points if point_key(p) not in done}.values())

    def keep(i: int, result: dict[str, Any]) -> None:
        # rounded like the file, so a fresh run and a resumed run give identical downstream numbers
        done[point_key(pending[i])] = {"params": json_clean(pending[i]), "result": json_clean(result)}
        if path is not None:
            write_json(path, {"meta": header, "points": sorted(done.values(), key=lambda r: point_key(r["params"]))})

    run_trials(fn, pending, desc=desc, on_result=keep)  # serial, local processes or dask (slt_check.runtime.trials)
    return [done[point_key(p)] for p in points]


PEERS = ("pensia", "malach", "burkholz")
"""Peer constructions another module registers; listed (as unavailable) even when absent."""


def variants() -> list[dict[str, Any]]:
    """Every construction variant the figures compare: Orseau per weight and per input, then every
    other registered construction with default options (except ``factorial``, whose default is
    Pensia's setting, and the trained ``edge-popup``), then missing peers (``available`` False)."""

    out = [
        {"label": "orseau/per_weight", "construction": "orseau", "options": {"sharing": "per_weight"}},
        {"label": "orseau/per_input", "construction": "orseau", "options": {"sharing": "per_input"}},
    ]
    # "factorial" (law × rule grid) defaults to Pensia's setting; it is compared elsewhere, and so is
    # "edge-popup" (a search over the same G, trained: docs/edge-popup.md)
    names = [n for n in sorted(CONSTRUCTIONS) if n not in ("orseau", "factorial", "edge-popup")]
    names += [n for n in PEERS if n not in names]
    out += [{"label": n, "construction": n, "options": {}} for n in names]
    for v in out:
        v["available"] = available(v["construction"])
    return out


def default_seeds(master_seed: int, n: int) -> list[int]:
    """The sweep's pre-registered seeds (``stats.seed_grid``)."""
    return seed_grid(master_seed, n)


__all__ += ["default_seeds", "variants", "PEERS"]
