"""Biases: kept weights per target parameter with and without biases, and the minimal working width against b_max.

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
* **formula** (caption): the planned width — samples per group (Orseau's ``N_w``) or per block (Pensia's
  ``n``), ``construction.plan(problem)`` — with and without biases per shape.
* failures (not built, not ok, or certified > ε) are crosses at their kept count, counted in the caption.

Right panel (b), one small shape (``width_search["widths"]``, 2-3-1: the smallest target with a hidden layer,
so that the reduction adds a constant hidden neuron and ``w_max'`` holds the 1 of its weight), per
construction and bias bound ``b_max`` of ``b_max_grid``:

* **formula** (line): the planned width of the reduced problem (``Problem.reduced``: widths ``n_i + 1`` but
  the output, ``w_max' = max(w_max, b_max, 1)``, ``x_max' = max(x_max, 1)``), in samples per group/block —
  the bias bound enters only through ``w_max'``.
* **measured** (markers, same unit): the minimal working width by the ledger's rate rule
  (:func:`slt_check.experiments.minwidth.rate_rule_search` with ``b_max``): the smallest width at which
  ``stats.rate_verdict(k, n, δ)`` says *holds* over one pre-registered seed grid, every seed its own random
  target whose biases are the family's scaled by ``b_max / w_max`` (so they span ``[−b_max, b_max]``), its
  own ``G``, the build told ``b_max`` and the certificate taken on the biased target; the bar reaches down
  to the largest width seen not to hold; an open triangle at the search limit when none holds (censored).
* **reference**: the bias-free minimal working width (same search, targets without biases), dotted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from slt_check.certificates.sup_error import sup_error
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.registry import get_construction
from slt_check.core.stats import holds_max_failures, seed_grid
from slt_check.experiments.minwidth import min_seeds_for, n_parameters, rate_rule_search
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
    "small": {"shapes": [[2, 3, 1], [2, 3, 3, 1]], "n_seeds": 3, "b_max_grid": [1.0, 4.0],
              "width_search": {"n_seeds": 12, "delta": 0.3, "resolution": 0.5, "n_cap": 1024}},
    "quick": {"shapes": [[4, 8, 2], [4, 8, 8, 2], [8, 16, 4]], "n_seeds": 10},
    "full": {"shapes": [[4, 8, 2], [4, 8, 8, 2], [8, 16, 4], [16, 32, 8]], "n_seeds": 30,
             "b_max_grid": [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0],
             "width_search": {"n_seeds": 100, "resolution": 0.05}},
}
DEFAULTS: dict[str, Any] = {
    "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0, "b_max": None, "family": "uniform", "master_seed": 17,
    "constructions": [{"label": "orseau/per_input", "construction": "orseau", "options": {"sharing": "per_input"}},
                      {"label": "pensia", "construction": "pensia", "options": {}}],
    "b_max_grid": [0.5, 1.0, 2.0, 4.0],
    "search": {"n_random": 512, "n_starts": 4, "steps": 40},
    "width_search": {"widths": [2, 3, 1], "n_seeds": 40, "delta": 0.1, "alpha": 1e-3, "n_cap": 8192,
                     "resolution": 0.1, "master_seed": 23},
}
"""``b_max=None`` means ``w_max`` (the bound of the family's bias law). ``search``: the adversarial
search effort for the found error (the sweeps' effort; the certificate does not depend on it).
``width_search``: panel (b)'s minimal-width search (its shape, seed grid, δ, the rule's level α, the search
limit ``n_cap`` and bisection resolution; ε is the figure's); a config's entries override these one by one."""

PLAN_KEYS = ("n_samples", "n_samples_formula", "M", "eta", "G_neurons", "G_params")


def _config(config: dict[str, Any]) -> dict[str, Any]:
    cfg = {**DEFAULTS, **config}
    cfg["width_search"] = {**DEFAULTS["width_search"], **config.get("width_search", {})}
    if cfg["b_max"] is None:
        cfg["b_max"] = cfg["w_max"]
    ws = cfg["width_search"]
    if ws["n_seeds"] < min_seeds_for(ws["delta"]) or holds_max_failures(ws["n_seeds"], ws["delta"], ws["alpha"]) < 0:
        raise ValueError(f"width_search: n_seeds = {ws['n_seeds']} is too few for delta = {ws['delta']:g}: the rate "
                         f"rule could never say holds (it needs at least {min_seeds_for(ws['delta'])} seeds and a "
                         "holding count ≥ 0 at its level alpha); pass more seeds or a larger delta")
    return cfg


def formula_plan(con: dict[str, Any], widths: list[int], cfg: dict[str, Any], b_max: float | None) -> dict[str, Any]:
    """The construction's plan for the bias-free target (``b_max=None``) or for the reduced ``F'`` of a
    target with bias bound ``b_max``: widths ``n_i + 1`` except the output, ``(w_max', x_max')`` of
    ``bounds.biased_bounds`` (:meth:`Problem.reduced`) — computed here from the formula, not read from a ticket."""
    prob = Problem.reduced(widths, cfg["eps"], cfg["delta"], w_max=cfg["w_max"], x_max=cfg["x_max"], b_max=b_max)
    entries = get_construction(con["construction"], **con["options"]).plan(prob).to_dict()
    return {"widths": list(prob.widths), "w_max": prob.w_max, "x_max": prob.x_max,
            **{k: entries[k] for k in PLAN_KEYS if k in entries}}


def width_search(cfg: dict[str, Any]) -> dict[str, Any]:
    """Panel (b): the minimal working width by the rate rule (:func:`rate_rule_search`) per construction,
    bias-free and at every ``b_max`` of ``cfg["b_max_grid"]``, on ``cfg["width_search"]``'s shape and grid."""
    ws = cfg["width_search"]
    base = {"widths": list(ws["widths"]), "eps": cfg["eps"], "delta": ws["delta"], "w_max": cfg["w_max"],
            "x_max": cfg["x_max"], "family": cfg["family"], "master_seed": ws["master_seed"],
            "n_seeds": ws["n_seeds"], "n_cap": ws["n_cap"], "resolution": ws["resolution"], "alpha": ws["alpha"]}
    grid = [None, *cfg["b_max_grid"]]
    pts = [dict(base, construction=c["construction"], options=c["options"], b_max=b)
           for c in cfg["constructions"] for b in grid]
    res = run_trials(rate_rule_search, pts, desc="biases: minimal width")
    out: dict[str, Any] = {**{k: base[k] for k in ("widths", "eps", "delta", "n_seeds", "alpha", "n_cap")},
                           "holds_max_k": holds_max_failures(ws["n_seeds"], ws["delta"], ws["alpha"]),
                           "seeds": seed_grid(ws["master_seed"], ws["n_seeds"]), "bias_free": {}, "rows": []}
    by_key = dict(zip([(c["label"], b) for c in cfg["constructions"] for b in grid], res, strict=True))
    for c in cfg["constructions"]:
        out["bias_free"][c["label"]] = by_key[(c["label"], None)]
    for b in cfg["b_max_grid"]:
        out["rows"].append({"b_max": b, "results": {c["label"]: by_key[(c["label"], b)] for c in cfg["constructions"]}})
    return out


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
    """Build every (shape, construction, with/without biases, seed) ticket (panel a); the minimal working width
    and the reduced problem's formula width against b_max (panel b, :func:`width_search`)."""
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
    fails = [f for r in rows for f in r["failed"]]
    data = {"name": NAME, "config": {k: v for k, v in cfg.items() if k != "data_dir"}, "rows": rows,
            "ratios": ratios, "width_search": width_search(cfg), "failures": {"k": sum(fails), "n": len(fails)},
            "versions": versions()}
    write_json(data_path(NAME, cfg), data)
    return read_json(data_path(NAME, cfg))


def _shape(ws: list[int]) -> str:
    return "-".join(str(n) for n in ws)


def render(data: dict[str, Any]) -> Any:
    """Left: measured kept weights per target parameter (with/without biases, per shape and construction);
    right: measured minimal working width and the reduced problem's planned width against b_max (one shape)."""
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
    _render_width_search(a2, data, labels)
    legend_below(fig, [a1, a2], ncol=2)
    return fig


def _render_width_search(ax: Any, data: dict[str, Any], labels: list[str]) -> None:
    """Panel (b): per construction, the reduced problem's planned width (line) and the measured minimal working
    width (markers, bar down to the largest width not holding; open triangle at the limit when censored) against
    b_max, both in samples per group/block; the bias-free minimal width dotted."""
    ws = data["width_search"]
    bs = [r["b_max"] for r in ws["rows"]]
    for i, lab in enumerate(labels):
        col, name = f"C{i}", display_name(lab)
        res = [r["results"][lab] for r in ws["rows"]]
        ax.plot(bs, [q["n_formula"] for q in res], "-", color=col, lw=1.0,
                label=formula_label(f"{name}: planned width (reduced problem)"))
        shift = 2 ** ((i - (len(labels) - 1) / 2) * 0.06)  # side by side at each b_max
        emp = [(b * shift, q) for b, q in zip(bs, res, strict=True) if not q["censored"]]
        if emp:
            ax.errorbar([b for b, _ in emp], [q["hi"] for _, q in emp],
                        yerr=[[q["hi"] - (q["lo"] if q["lo"] >= 1 else q["hi"]) for _, q in emp], [0] * len(emp)],
                        fmt="os"[i % 2], color=col, ms=4, capsize=2, label=measured_label(f"{name}: minimal width"))
        cen = [(b * shift, q) for b, q in zip(bs, res, strict=True) if q["censored"]]
        if cen:
            ax.plot([b for b, _ in cen], [q["n_cap"] for _, q in cen], "^", color=col, ms=7, mfc="none",
                    label=measured_label(f"{name}: none holds ≤ limit"))
        free = ws["bias_free"][lab]
        ax.axhline(free["n_cap"] if free["censored"] else free["hi"], color=col, ls=":", lw=0.8,
                   label=reference_label(f"{name}: minimal width without biases"
                                         + (" (none holds ≤ limit)" if free["censored"] else "")))
    ax.axvline(max(data["config"]["w_max"], 1.0), color="0.5", ls="--", lw=0.8,
               label=reference_label("b_max = max(w_max, 1)"))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(bs, [f"{b:g}" for b in bs])
    ax.set_xlabel("bias bound b_max")
    ax.set_ylabel("samples per group / block")
    ax.set_title(f"(b) minimal width against b_max ({_shape(ws['widths'])})")



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
    tot = data["failures"]
    return (f"Measured kept weights of G per target parameter (weights + biases), with ÷ without biases, paired by "
            f"seed over {cfg['n_seeds']} seeds × {len(cfg['shapes'])} shapes (both tickets successful; mean, 95 % "
            f"t-interval): {meas}. Formula width (samples per group/block) with ÷ without biases per shape "
            f"({', '.join(_shape(s) for s in cfg['shapes'])}): {wr}. Overall {failure_phrase(tot['k'], tot['n'])} "
            f"tickets ({'; '.join(fails)}). " + width_search_caption(data))


def _width_text(q: dict[str, Any]) -> str:
    """One search result: the bracket ``lo–hi`` (or the censoring), the formula width with its full-grid count
    and verdict, and formula ÷ measured (÷ the limit when censored)."""
    ft = q["formula_trial"]
    at = f"formula {q['n_formula']}" + (f": {ft['k']}/{ft['n']} failing, {ft['verdict']}" if ft else "")
    if q["censored"]:
        return f"none holds ≤ {q['n_cap']} ({at}; formula ÷ limit ×{q['n_formula'] / q['n_cap']:.3g})"
    return f"{q['lo']}–{q['hi']} ({at}; formula ÷ measured ×{q['slack']:.3g})"


def width_search_caption(data: dict[str, Any]) -> str:
    """Panel (b)'s claim, targets, seeds, rule, and the measured minimal width with its slack per b_max."""
    cfg, ws = data["config"], data["width_search"]
    labels = [c["label"] for c in cfg["constructions"]]
    per = "; ".join(
        f"{display_name(lab)}: without biases {_width_text(ws['bias_free'][lab])}, "
        + ", ".join(f"b_max = {r['b_max']:g}: {_width_text(r['results'][lab])}" for r in ws["rows"])
        for lab in labels)
    searches = [q for lab in labels for q in [ws["bias_free"][lab], *(r["results"][lab] for r in ws["rows"])]]
    fts = [q["formula_trial"] for q in searches if q["formula_trial"]]
    violated = sum(t["verdict"] == "violated" for t in fts)
    return (f"(b) Claim: the width formula, applied to the reduced bias-free problem (widths n_i + 1 but the output, "
            f"w_max' = max(w_max, b_max, 1), x_max' = max(x_max, 1)), bounds the minimal working width for targets "
            f"with biases |b| ≤ b_max. Target {_shape(ws['widths'])}: one random target per seed (uniform weights, "
            f"w_max = {cfg['w_max']:g}; its random biases scaled by b_max / w_max so that they span [−b_max, "
            f"b_max]), its own G; n = {ws['n_seeds']} seeds per width (one grid for every width), ε = {ws['eps']:g}, "
            f"δ = {ws['delta']:g}. Rule: the minimal working width is the smallest width at which the ledger's "
            f"exact binomial rule (level α = {ws['alpha']:g}) says the failure rate is ≤ δ (here k ≤ "
            f"{ws['holds_max_k']} failing seeds of {ws['n_seeds']}; a seed fails when its ticket misses or its "
            f"certified sup error on the biased target exceeds ε); bars reach down to the largest width seen not to "
            f"hold, triangles mark none holding up to the search limit; dotted: the same search without biases. "
            f"Lines: the planned width of the reduced problem. Both in samples per group/block. Measured "
            f"minimal width lo–hi: {per}. A ratio below 1 means the rule did not yet say holds at the formula "
            f"width (more than {ws['holds_max_k']} failing seeds of {ws['n_seeds']} is at best inconclusive); it does "
            f"not show a failure rate above δ there: the rule says violated at {violated} of the {len(fts)} "
            f"formula widths.")
