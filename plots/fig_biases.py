"""Biases: kept weights per target parameter with and without biases, and the formula width against b_max.

A biased target ``F`` is built through the constant-input reduction (``slt_check.core.affine``): the
bias-free ``F'`` on ``[x; 1]`` with widths ``(n_0 + 1, …, n_{l−1} + 1, n_l)`` and bounds
``w_max' = max(w_max, b_max, 1)``, ``x_max' = max(x_max, 1)`` (``bounds.biased_bounds``).

* **Targets.** Per shape and seed ``s`` of a pre-registered grid (``stats.seed_grid``): the random
  target of seed ``s + 1 000 003`` (``targets.default_target_seed``) *without* biases and the same
  one *with* the library's random biases (``random_target(…, bias=True)``: the biases are drawn after
  the weights from the same stream, so ``W`` is identical — checked per seed; for the ``uniform``
  family ``b ~ U[−w_max, w_max]``). The declared bias bound is ``b_max`` (default ``w_max``, the law's
  bound), the same for every seed. ``G`` is drawn from seed ``s`` in both builds.
* **measured** (markers, mean with 95 % t-interval over the successful seeds): kept weights of ``G``
  (``Ticket.n_kept``) per target *parameter* (weights + biases of ``F``; weights only without biases),
  per shape and construction (Orseau, sharing per input; Pensia); certified and found sup error on
  ``‖x‖∞ ≤ x_max``; the ratio with ÷ without biases, paired by seed (same ``W``, both successful),
  pooled over the shapes per construction.
* **formula** (lines): the planned width — samples per group (Orseau's ``N_w``) or per block (Pensia's
  ``n``), ``construction.plan(problem)`` — with and without biases per shape, and, for one shape, the
  width against ``b_max`` (the bias bound enters only through ``w_max'``).
* failures (not built, not ok, or certified > ε) are crosses at their kept count, counted in the caption.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from slt_check.certificates.sup_error import sup_error
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.stats import seed_grid
from slt_check.experiments.plotting import (
    PAGE_WIDTH,
    data_path,
    display_name,
    failure_phrase,
    formula_label,
    legend_below,
    mean_ci,
    measured_label,
    read_json,
    reference_label,
    write_json,
)
from slt_check.pipeline.build import build
from slt_check.runtime.trials import run_trials
from slt_check.tickets.targets import default_target_seed, random_target
from slt_check.tickets.ticket import versions

NAME = "biases"
CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"shapes": [[2, 3, 1], [2, 3, 3, 1]], "n_seeds": 3},
    "quick": {"shapes": [[4, 8, 2], [4, 8, 8, 2], [8, 16, 4]], "n_seeds": 10},
    "full": {"shapes": [[4, 8, 2], [4, 8, 8, 2], [8, 16, 4], [16, 32, 8]], "n_seeds": 30},
}
DEFAULTS: dict[str, Any] = {
    "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0, "b_max": None, "family": "uniform", "master_seed": 17,
    "constructions": [{"label": "orseau/per_input", "construction": "orseau", "options": {"sharing": "per_input"}},
                      {"label": "pensia", "construction": "pensia", "options": {}}],
    "b_max_grid": [0.5, 1.0, 2.0, 4.0],
    "search": {"n_random": 512, "n_starts": 4, "steps": 40},
}
"""``b_max=None`` means ``w_max`` (the bound of the family's bias law). ``search``: the adversarial
search effort for the found error (the sweeps' effort; the certificate does not depend on it)."""

PLAN_KEYS = ("n_samples", "n_samples_formula", "M", "eta", "G_neurons", "G_params")


def _config(config: dict[str, Any]) -> dict[str, Any]:
    cfg = {**DEFAULTS, **config}
    if cfg["b_max"] is None:
        cfg["b_max"] = cfg["w_max"]
    return cfg


def n_parameters(widths: list[int], bias: bool) -> int:
    """Weights (and, with ``bias``, biases) of a target of these widths."""
    return sum(a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:], strict=False))


def formula_plan(con: dict[str, Any], widths: list[int], cfg: dict[str, Any], b_max: float | None) -> dict[str, Any]:
    """The construction's plan for the bias-free target (``b_max=None``) or for the reduced ``F'`` of a
    target with bias bound ``b_max``: widths ``n_i + 1`` except the output, ``(w_max', x_max')`` of
    ``bounds.biased_bounds`` — computed here from the formula, not read from a ticket."""
    ws, w, x = list(widths), cfg["w_max"], cfg["x_max"]
    if b_max is not None:
        w, x = bounds.biased_bounds(cfg["w_max"], b_max, cfg["x_max"], len(widths) - 1)
        ws = [n + 1 for n in widths[:-1]] + [widths[-1]]
    plan = get_construction(con["construction"], **con["options"]).plan(
        Problem(tuple(ws), cfg["eps"], cfg["delta"], w_max=w, x_max=x))
    entries = plan.to_dict()
    return {"widths": ws, "w_max": w, "x_max": x, **{k: entries[k] for k in PLAN_KEYS if k in entries}}


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One ticket: build (no certificate inside ``build``), then ``sup_error`` on the original target."""
    seed, widths = case["seed"], case["widths"]
    target = random_target(widths, case["w_max"], default_target_seed(seed), family=case["family"], bias=case["bias"])
    out: dict[str, Any] = {"seed": seed, "built": False, "ok": False}
    if case["bias"]:
        plain = random_target(widths, case["w_max"], default_target_seed(seed), family=case["family"])
        out["same_weights"] = all(np.array_equal(a, b) for a, b in
                                  zip(target.dense_weights(), plain.dense_weights(), strict=True))
        out["max_abs_bias"] = max(float(np.max(np.abs(b))) for b in target.bias_vectors())
    kw = {"b_max": case["b_max"]} if case["bias"] else {}
    try:
        res = build(target, case["eps"], case["delta"], seed, construction=case["construction"], certify=False,
                    w_max=case["w_max"], x_max=case["x_max"], allow_failure=True, **kw, **case["options"])
    except ConstructionFailed:
        return out
    ticket = res.ticket
    err = sup_error(target, ticket, case["x_max"], rng=seed, **case["search"])
    plan = ticket.meta.plan
    out.update({"built": True, "ok": bool(res.ok), "certified": float(err.certified), "found": float(err.found),
                "kept": int(res.sizes["kept_params"]), "G_params": int(res.sizes["G_params"]),
                "plan_n_samples": None if plan is None else int(plan.n_samples)})
    return out


def compute(config: dict[str, Any]) -> dict[str, Any]:
    """Build every (shape, construction, with/without biases, seed) ticket; formula widths against b_max."""
    cfg = _config(config)
    seeds = seed_grid(cfg["master_seed"], cfg["n_seeds"])
    common = {k: cfg[k] for k in ("eps", "delta", "w_max", "x_max", "b_max", "family", "search")}
    keys = [(list(ws), con, bias) for ws in cfg["shapes"] for con in cfg["constructions"] for bias in (False, True)]
    cases = [dict(common, widths=ws, construction=con["construction"], options=con["options"], bias=bias, seed=s)
             for ws, con, bias in keys for s in seeds]
    results = run_trials(run_case, cases, desc="biases")
    rows = []
    for i, (ws, con, bias) in enumerate(keys):
        res = results[i * len(seeds):(i + 1) * len(seeds)]
        n_par = n_parameters(ws, bias)
        failed = [(not r["built"]) or (not r["ok"]) or r["certified"] > cfg["eps"] for r in res]
        kpp = [r["kept"] / n_par if r["built"] else None for r in res]
        good = [k for k, f in zip(kpp, failed, strict=True) if not f]
        row = {"widths": ws, "label": con["label"], "bias": bias, "n_params": n_par,
               "n_weights": n_parameters(ws, False), "seeds": seeds,
               "plan": formula_plan(con, ws, cfg, cfg["b_max"] if bias else None),
               "plan_n_samples": [r.get("plan_n_samples") for r in res],
               "built": [r["built"] for r in res], "ok": [r["ok"] for r in res], "failed": failed,
               "certified": [r.get("certified") for r in res], "found": [r.get("found") for r in res],
               "kept": [r.get("kept") for r in res], "kept_per_param": kpp,
               "kept_per_param_ci": mean_ci(good) if good else None}
        if bias:
            row["same_weights"] = [r["same_weights"] for r in res]
            row["max_abs_bias"] = [r["max_abs_bias"] for r in res]
        rows.append(row)
    ratios = {}
    for con in cfg["constructions"]:
        per_shape, pooled = [], []
        for ws in cfg["shapes"]:
            r0, r1 = (next(r for r in rows if r["widths"] == list(ws) and r["label"] == con["label"]
                           and r["bias"] is b) for b in (False, True))
            pairs = [b / a for a, b, f0, f1 in zip(r0["kept_per_param"], r1["kept_per_param"], r0["failed"],
                                                 r1["failed"], strict=True) if not (f0 or f1)]
            pooled += pairs
            per_shape.append({"widths": list(ws), "ratios": pairs, "ci": mean_ci(pairs) if pairs else None,
                              "formula_width_ratio": r1["plan"]["n_samples"] / r0["plan"]["n_samples"]})
        ratios[con["label"]] = {"per_shape": per_shape, "ratios": pooled, "ci": mean_ci(pooled) if pooled else None}
    shape = list(cfg["shapes"][0])
    formula = {"widths": shape, "bias_free": {}, "rows": []}
    for con in cfg["constructions"]:
        formula["bias_free"][con["label"]] = formula_plan(con, shape, cfg, None)
    for b in cfg["b_max_grid"]:
        w, x = bounds.biased_bounds(cfg["w_max"], b, cfg["x_max"], len(shape) - 1)
        formula["rows"].append({"b_max": b, "w_max_reduced": w, "x_max_reduced": x,
                                "plans": {c["label"]: formula_plan(c, shape, cfg, b) for c in cfg["constructions"]}})
    fails = [f for r in rows for f in r["failed"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "rows": rows,
            "ratios": ratios, "formula": formula, "failures": {"k": sum(fails), "n": len(fails)},
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def _shape(ws: list[int]) -> str:
    return "-".join(str(n) for n in ws)


def render(data: dict[str, Any]) -> Any:
    """Left: measured kept weights per target parameter (with/without biases, per shape and construction);
    right: formula width with biases ÷ bias-free formula width against b_max (one shape)."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 2.8), gridspec_kw={"width_ratios": [1.35, 1]})
    cfg = data["config"]
    labels = [c["label"] for c in cfg["constructions"]]
    shapes = [list(s) for s in cfg["shapes"]]
    n_series = 2 * len(labels)
    for r in data["rows"]:
        j = 2 * labels.index(r["label"]) + int(r["bias"])
        x = shapes.index(r["widths"]) + (j - (n_series - 1) / 2) * 0.16
        col = f"C{labels.index(r['label'])}"
        c = r["kept_per_param_ci"]
        lab = f"{display_name(r['label'])}, {'with' if r['bias'] else 'without'} biases"
        first = r["widths"] == shapes[0]
        if c:
            a1.errorbar([x], [c["mean"]], yerr=[[c["mean"] - c["low"]], [c["high"] - c["mean"]]],
                        fmt="s" if r["bias"] else "o", color=col, mfc="white" if r["bias"] else col, ms=5, capsize=2,
                        label=measured_label(lab) if first else "_nolegend_")
        bad = [k for k, f in zip(r["kept_per_param"], r["failed"], strict=True) if f and k is not None]
        if bad:
            a1.plot([x] * len(bad), bad, "x", color=col, ms=7, label=measured_label(f"{lab}: failed ticket"))
    a1.set_xticks(range(len(shapes)), [_shape(s) for s in shapes])
    a1.set_xlabel("target widths")
    a1.set_ylabel("kept weights of G per target parameter")
    a1.set_title("(a) kept weights per parameter")
    f = data["formula"]
    bs = [r["b_max"] for r in f["rows"]]
    for i, lab in enumerate(labels):
        free = f["bias_free"][lab]["n_samples"]
        a2.plot(bs, [r["plans"][lab]["n_samples"] / free for r in f["rows"]], "-", color=f"C{i}",
                label=formula_label(f"{display_name(lab)}: width with ÷ without biases"))
    a2.axhline(1.0, color="k", ls=":", lw=0.8, label=reference_label("bias-free width"))
    a2.axvline(max(cfg["w_max"], 1.0), color="0.5", ls="--", lw=0.8, label=reference_label("b_max = max(w_max, 1)"))
    a2.set_xscale("log", base=2)
    a2.set_xticks(bs, [f"{b:g}" for b in bs])
    a2.set_xlabel("bias bound b_max")
    a2.set_ylabel("formula width, with ÷ without biases")
    a2.set_title(f"(b) planned width against b_max ({_shape(f['widths'])})")
    legend_below(fig, [a1, a2], ncol=2)
    return fig



def _ci_text(c: dict[str, Any] | None) -> str:
    return "—" if c is None else f"{c['mean']:.3f} [{c['low']:.3f}, {c['high']:.3f}]"


def caption(data: dict[str, Any]) -> str:
    """The measured ratio with ÷ without biases per construction, failures, and the formula's b_max dependence."""
    cfg = data["config"]
    labels = [c["label"] for c in cfg["constructions"]]
    meas = "; ".join(f"{lab} {_ci_text(data['ratios'][lab]['ci'])} ({len(data['ratios'][lab]['ratios'])} pairs)"
                     for lab in labels)
    wr = "; ".join(f"{lab} ×" + ", ×".join(f"{p['formula_width_ratio']:.3f}" for p in data["ratios"][lab]["per_shape"])
                   for lab in labels)
    fails = []
    for lab in labels:
        for b in (False, True):
            fl = [x for r in data["rows"] if r["label"] == lab and r["bias"] is b for x in r["failed"]]
            fails.append(f"{lab} {'with' if b else 'without'} biases {failure_phrase(sum(fl), len(fl))}")
    f = data["formula"]
    lo = [r for r in f["rows"] if r["b_max"] <= max(cfg["w_max"], 1.0)]
    hi = f["rows"][-1]
    dep = "; ".join(
        f"{lab} {f['bias_free'][lab]['n_samples']} without biases, "
        + (f"{lo[0]['plans'][lab]['n_samples']} with b_max ≤ {max(cfg['w_max'], 1.0):g}, " if lo else "")
        + f"{hi['plans'][lab]['n_samples']} at b_max = {hi['b_max']:g}" for lab in labels)
    tot = data["failures"]
    return (f"Measured kept weights of G per target parameter (weights + biases), with ÷ without biases, paired by "
            f"seed over {cfg['n_seeds']} seeds × {len(cfg['shapes'])} shapes (both tickets successful; mean, 95 % "
            f"t-interval): {meas}. Formula width (samples per group/block) with ÷ without biases per shape "
            f"({', '.join(_shape(s) for s in cfg['shapes'])}): {wr}. Overall {failure_phrase(tot['k'], tot['n'])} "
            f"tickets ({'; '.join(fails)}). Formula: b_max enters the width only through "
            f"w_max' = max(w_max, b_max, 1), so at {_shape(f['widths'])} the width is flat for "
            f"b_max ≤ max(w_max, 1) and grows above it ({dep}).")
