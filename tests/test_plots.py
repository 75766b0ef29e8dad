"""The numbers behind every figure: the committed quick-scale JSON (plots/data) and fresh small-scale
compute() runs must satisfy the inequalities each figure claims; captions are recomputed from the JSON;
theory (``formula: …`` lines) is drawn apart from measurement (``measured: …`` markers); every
figure's failures ``failed k/n`` match its data; every figure draws, and draws deterministically."""

from __future__ import annotations

import math

import numpy as np
import pytest

from slt_check.constructions.base import Problem
from slt_check.constructions.registry import get_construction
from slt_check.core import bounds
from slt_check.core.stats import failure_rate_test, holds_max_failures, rate_verdict
from slt_check.experiments.minwidth import min_seeds_for, n_parameters, neurons_per_weight
from slt_check.experiments.plotting import (
    DATA_DIR,
    FIGURES,
    FORMULA_PREFIX,
    MEASURED_PREFIX,
    REFERENCE_PREFIX,
    failure_phrase,
    load_figure_module,
    mean_ci,
    read_json,
    save_figure,
    slope_ci,
    style,
)
from slt_check.experiments.sweep import variants

ALPHA = 1e-3
"""Level of the exact binomial tests on recorded failure counts."""
SLOW = {"certificate_gap"}
_W = load_figure_module("width_vs_eps")
"""Figures whose small-scale compute solves MILPs (too slow for the plots test budget)."""


def _ci_ok(c: dict, values: list[float], log: bool = False) -> None:
    ref = mean_ci(values, log=log)
    for k in ("mean", "low", "high"):
        assert math.isclose(c[k], ref[k], rel_tol=1e-6, abs_tol=1e-12), (k, c, ref)
    assert c["n"] == len(values)


def check_samples(d: dict) -> None:
    """Sampled ≥ counting bound at η; kept ≤ 2M per weight (R4); G size is a formula (same for every
    seed); kept/weight intervals and the kept-per-bit slope are recomputed from the per-seed values."""
    for label, s in d["series"].items():
        rows = [r for r in s["rows"] if "kept_per_weight_seeds" in r]
        for r in rows:
            assert r["G_same_for_every_seed"]
            assert r["G_neurons_per_weight"] >= bounds.counting_lower_bound(2 * d["config"]["w_max"], r["plan"]["eta"])
            _ci_ok(r["kept_per_weight"], r["kept_per_weight_seeds"])
            if label.startswith("orseau"):
                assert max(r["kept_per_weight_seeds"]) <= 2 * r["plan"]["M"]
        xs = [r["bits"] for r in rows for _ in r["kept_per_weight_seeds"]]
        ys = [v for r in rows for v in r["kept_per_weight_seeds"]]
        if s["kept_per_bit"]:
            ref = slope_ci(xs, ys)
            assert math.isclose(s["kept_per_bit"]["slope"], ref["slope"], rel_tol=1e-6)
        if label.startswith("orseau") and s["kept_per_bit"]:
            assert 0 < s["kept_per_bit"]["slope"] <= 2 / math.log2(bounds.GAMMA)
        assert s["failures"]["k"] == sum(f for r in s["rows"] for f in r["failed"])
        for r in s["rows"]:
            assert r["failed"] == [(not b) or (not o) or c > r["eps"]
                                   for b, o, c in zip(r["built"], r["ok"], r["certified"], strict=True)]


def check_rate_search(r: dict, delta: float, alpha: float, holds_max_k: int, n_seeds: int) -> bool:
    """One minimal-width search result (``rate_rule_search``): every trial's verdict is rate_verdict's (a stopped
    one has more failures than the rule allows); censored: no holding width ≤ the limit; else the bracket
    (lo, hi]: hi holds, lo does not, slack = formula ÷ hi; a formula trial is the full grid. True if not censored."""
    tr = {t["n_samples"]: t for t in r["trials"]}
    for t in r["trials"]:
        if t["complete"]:
            assert t["verdict"] == rate_verdict(t["k"], t["n"], delta, alpha).verdict
        else:
            assert t["k"] > holds_max_k and not t["holds"]
    ft = r["formula_trial"]
    if ft is not None:
        assert ft["complete"] and ft["n"] == n_seeds
    if r["censored"]:
        assert r["hi"] is None and not any(t["holds"] for t in r["trials"] if t["n_samples"] <= r["n_cap"])
        return False
    assert tr[r["hi"]]["holds"] and (r["lo"] == 0 or not tr[r["lo"]]["holds"]) and r["lo"] < r["hi"]
    assert math.isclose(r["slack"], r["n_formula"] / r["hi"], rel_tol=1e-9)
    return True


def check_width_vs_eps(d: dict) -> None:
    """Every trial's verdict is rate_verdict's; the bracket (lo, hi]: hi holds, lo does not; censored points have no
    holding width ≤ the limit; the widths in neurons of G per weight are the plan's; the slopes are refitted from
    the points; the formula curve reaches every measured ε; the failure tally is the formula trials'."""
    c = d["config"]
    assert d["holds_max_k"] == holds_max_failures(c["n_seeds"], c["delta"], c["alpha"])
    n_checked = 0
    for label, s in d["series"].items():
        for r in s["rows"]:
            if not check_rate_search(r, c["delta"], c["alpha"], d["holds_max_k"], c["n_seeds"]):
                continue
            n_checked += 1
            prob = Problem(tuple(c["widths"]), r["eps"], c["delta"], w_max=c["w_max"], x_max=c["x_max"])
            v = next(v for v in variants() if v["label"] == label)
            assert math.isclose(r["g_hi"], neurons_per_weight(v["construction"], v["options"], prob, r["width_option"],
                                                              r["hi"]), rel_tol=1e-9)
            assert r["g_lo"] is None or r["g_lo"] <= r["g_hi"]
        pts = [r for r in s["rows"] if not r["censored"]]
        sl = s["slopes"]
        if len(pts) >= 3:
            ref = slope_ci([math.log10(1 / r["eps"]) for r in pts], [r["g_hi"] for r in pts])
            assert math.isclose(sl["per_decade"]["slope"], ref["slope"], rel_tol=1e-6, abs_tol=1e-9)
            ref = slope_ci([math.log(1 / r["eps"]) for r in pts], [math.log(r["g_hi"]) for r in pts])
            assert math.isclose(sl["exponent"]["slope"], ref["slope"], rel_tol=1e-6, abs_tol=1e-9)
        fe = [f["eps"] for f in s["formula"]]
        assert all(min(fe) <= r["eps"] * (1 + 1e-9) and r["eps"] <= max(fe) * (1 + 1e-9) for r in s["rows"])
        fts = [r["formula_trial"] for r in s["rows"] if r["formula_trial"]]
        assert s["formula_failures"] == {"k": sum(t["k"] for t in fts), "n": sum(t["n"] for t in fts)}
    assert n_checked >= 2
    assert d["failures"] == {"k": sum(s["formula_failures"]["k"] for s in d["series"].values()),
                             "n": sum(s["formula_failures"]["n"] for s in d["series"].values())}
    for case in d["pair_search"]:
        for r in case["rows"]:
            assert math.isclose(r["expected"], _W.pair_expected(case["w"], r["eta"]), rel_tol=1e-6)


def check_pensia_delta(d: dict) -> None:
    """Each δ's width is Pensia's formula width for that δ; counts, CP interval and verdict recomputed."""
    c = d["config"]
    for r in d["rows"]:
        prob = Problem(tuple(c["widths"]), c["eps"], r["delta"], w_max=c["w_max"], x_max=c["x_max"])
        assert r["n_samples"] == get_construction("pensia").plan(prob).n_samples_formula
        assert r["complete"] and r["n"] == c["n_seeds"]
        assert r["verdict"] == rate_verdict(r["k"], r["n"], r["delta"], c["alpha"]).verdict
        assert r["cp_low"] <= r["rate"] <= r["cp_high"]
    assert d["failures"] == {"k": sum(r["k"] for r in d["rows"]), "n": sum(r["n"] for r in d["rows"])}


def check_error(d: dict) -> None:
    """found ≤ certified always; certified ≤ ε for every successful ticket (R9); intervals recomputed."""
    n = 0
    for s in d["series"].values():
        for p in s:
            for c, f, ok, fl in zip(p["certified"], p["found"], p["ok"], p["failed"], strict=True):
                if c is None:
                    assert fl
                    continue
                assert f <= c
                assert fl == ((not ok) or c > p["eps"])
                if not fl:
                    n += 1
            good = [i for i, fl in enumerate(p["failed"]) if not fl]
            if good:
                _ci_ok(p["certified_ci"], [p["certified"][i] for i in good], log=True)
    assert n >= 2
    fails = [f for s in d["series"].values() for p in s for f in p["failed"]]
    assert d["failures"] == {"k": sum(fails), "n": len(fails)}


def check_failure(d: dict) -> None:
    """R5 union bound not contradicted at any width (Orseau); Orseau's failure rate ≤ δ not contradicted at
    N ≥ N_formula; each width's verdict is rate_verdict's; the tally counts widths ≥ N_formula only."""
    for label, s in d["series"].items():
        for r in s["rows"]:
            assert not r["bound_violated"]
            if r["union_bound"] is not None and r["union_bound"] < 1:
                assert not failure_rate_test(r["k"], r["n"], r["union_bound"], ALPHA).violated
            if r["n_samples"] >= s["n_formula"] and label.startswith("orseau"):
                assert not failure_rate_test(r["k"], r["n"], d["config"]["delta"], ALPHA).violated
            assert r["cp_low"] <= r["rate"] <= r["cp_high"]
            assert r["verdict"] == rate_verdict(r["k"], r["n"], d["config"]["delta"], d["config"]["alpha"]).verdict
        above = [r for r in s["rows"] if r["n_samples"] >= s["n_formula"]]
        assert s["failures"] == {"k": sum(r["k"] for r in above), "n": sum(r["n"] for r in above)}
    assert d["failures"] == {"k": sum(s["failures"]["k"] for s in d["series"].values()),
                             "n": sum(s["failures"]["n"] for s in d["series"].values())}


def check_depth(d: dict) -> None:
    """M_min(l) ≤ the linear bound from M_min(1) (the ledger's rows); bound recomputed; η decreases with l;
    certified ≤ ε for successful tickets; the weight error ≤ η on built tickets (R4); intervals recomputed."""
    rows, c = d["rows"], d["config"]
    ld = d["ledger_depth"]["rows"]
    m1 = next(r["minimal_M"] for r in ld if r["depth"] == 1)
    for r in ld:
        assert r["minimal_M"] <= r["bound"]
        case = d["ledger_depth"]["case"]
        ref = bounds.depth_linear_digit_bound(m1, r["depth"], case["width"], case["w_max"])
        assert math.isclose(r["bound"], ref, rel_tol=1e-9)
    for r in rows:
        assert r["M"] == r["M_plan"]
        for cc, ok, f in zip(r["certified"], r["ok"], r["failed"], strict=True):
            assert cc <= c["eps"] or not ok
            assert f == ((not ok) or cc > c["eps"])
        for w, ok in zip(r["weight_error_max"], r["ok"], strict=True):
            assert w is None or not ok or w <= r["eta"] * (1 + 1e-9)
        good = [cc for cc, f in zip(r["certified"], r["failed"], strict=True) if not f]
        if good:
            _ci_ok(r["certified_ci"], good, log=True)
    assert all(a["eta"] > b["eta"] for a, b in zip(rows, rows[1:], strict=False))
    fails = [f for r in rows for f in r["failed"]]
    assert d["failures"] == {"k": sum(fails), "n": len(fails)}


def check_coverage(d: dict) -> None:
    """Hyperbolic mean ≤ 8M(ln 2M + 1) (R7 + coupon collector); Monte Carlo mean within 5 SE of the
    exact mean; uniform cost ratio between M and M+5 ≥ 1.5⁵/2 once M ≥ 15 (claim 17)."""
    for r in d["rows"]:
        if r["law"] == "hyperbolic":
            assert r["mean"] <= r["coupon_bound"]
            assert r["min_category_prob"] >= bounds.category_prob_lower(r["M"]) * (1 - 1e-9)
        assert abs(r["mean"] - r["exact_mean"]) <= 5 * r["se"]
        assert math.isclose(r["ci_high"] - r["mean"], 1.959963984540054 * r["se"], rel_tol=1e-9, abs_tol=1e-9)
    uni = {r["M"]: r["mean"] for r in d["rows"] if r["law"] == "uniform"}
    for M, v in uni.items():
        if M >= 15 and M + 5 in uni:
            assert uni[M + 5] / v >= 1.5**5 / 2
    hyp = [r for r in d["rows"] if r["law"] == "hyperbolic"]
    assert d["failures"] == {"k": sum(r["ci_low"] > r["coupon_bound"] for r in hyp), "n": len(hyp)}


def check_propagation(d: dict) -> None:
    """Per stage: certified ≤ R8 with measured η; last stage R8 with planned η ≤ closed form ≤ ε;
    the per-stage ratio intervals are recomputed from the per-seed rows."""
    eps = d["config"]["eps"]
    for r in d["rows"]:
        for c, bm in zip(r["per_stage_certified"], r["bound_measured_eta"], strict=True):
            assert c <= bm * (1 + 1e-9)
        assert r["bound_planned_eta"][-1] <= r["closed_form"] * (1 + 1e-12)
        assert r["closed_form"] <= eps * (1 + 1e-12)
    for s in d["stages"]:
        rs = [r for r in d["rows"] if r["l"] == s["l"]]
        i = s["stage"] - 1
        rp = [r["per_stage_certified"][i] / r["bound_planned_eta"][i] for r in rs if r["per_stage_certified"][i] > 0]
        if rp:
            _ci_ok(s["over_planned"], rp, log=True)
    fails = [r["per_stage_certified"][-1] > eps for r in d["rows"]]
    assert d["failures"] == {"k": sum(fails), "n": len(fails)}


def check_axes(d: dict) -> None:
    """N_w non-decreasing in 1/δ, width, w_max, x_max, and sub-polynomial (ratio ≤ (1 + log-range)²
    over the axis); certified ≤ ε for successful tickets; found ≤ certified; slopes recomputed."""
    eps = d["config"]["eps"]
    for axis, rows in d["panels"].items():
        ns = [r["n_formula"] for r in rows]
        if axis == "delta":
            ns = ns[::-1] if rows[0]["value"] < rows[-1]["value"] else ns
            vals = sorted(r["value"] for r in rows)
        else:
            vals = [r["value"] for r in rows]
        assert all(a <= b for a, b in zip(ns, ns[1:], strict=False)), (axis, ns)
        log_range = math.log(max(vals) / min(vals))
        assert ns[-1] / ns[0] <= (1 + log_range) ** 2
        for r in rows:
            assert all(k <= 2 * r["M"] for k in r["kept_per_weight_seeds"])  # R4, the bound drawn
            for c, f, ok in zip(r["certified"], r["found"], r["ok"], strict=True):
                assert f <= c and (c <= eps or not ok)
        sl = d["kept_slope_per_decade"][axis]
        if sl:
            ref = slope_ci([math.log10(r["value"]) for r in rows for _ in r["kept_per_weight_seeds"]],
                           [k for r in rows for k in r["kept_per_weight_seeds"]])
            assert math.isclose(sl["slope"], ref["slope"], rel_tol=1e-6, abs_tol=1e-12)
    fails = [f for rows in d["panels"].values() for r in rows for f in r["failed"]]
    assert d["failures"] == {"k": sum(fails), "n": len(fails)}


def check_certificate_gap(d: dict) -> None:
    """certified ÷ exact ≥ 1 (both certificates) for every solved ticket; CROWN ≤ propagation."""
    solved = [p for p in d["points"] if p["solved"]]
    assert solved
    for p in solved:
        assert p["propagation_over_exact"] >= 1 - 1e-9
        assert p["crown_over_exact"] >= 1 - 1e-9
        assert p["crown"] <= p["propagation"] * (1 + 1e-9)
    assert d["failures"] == {"k": 0, "n": len(solved)}


def check_biases(d: dict) -> None:
    """Every ticket certified ≤ ε unless counted as failed, found ≤ certified; biased targets share W with
    their bias-free twins and respect b_max; kept per parameter, intervals and paired ratios recomputed;
    the built tickets' width is the formula's. Panel (b): every minimal-width search obeys the rate rule
    (:func:`check_rate_search`) on a grid large enough for δ; its formula width is the plan of the reduced
    problem written out here (widths n_i + 1 but the output, w_max' = max(w_max, b_max, 1)), non-decreasing in
    b_max, constant for b_max ≤ max(w_max, 1) and ≥ the bias-free plan; the widths in neurons of G per target
    parameter are the plan's; the caption's numbers recomputed from the JSON."""
    c = d["config"]
    eps, w_max, x_max = c["eps"], c["w_max"], c["x_max"]
    for r in d["rows"]:
        ws = r["widths"]
        n_w = sum(a * b for a, b in zip(ws[:-1], ws[1:], strict=False))
        assert r["n_weights"] == n_w and r["n_params"] == n_w + (sum(ws[1:]) if r["bias"] else 0)
        for b, ok, cert, fnd, fl, k, kpp, pn in zip(r["built"], r["ok"], r["certified"], r["found"], r["failed"],
                                                    r["kept"], r["kept_per_param"], r["plan_n_samples"], strict=True):
            assert fl == ((not b) or (not ok) or cert > eps)
            if not b:
                continue
            assert cert <= eps or fl
            assert fnd <= cert
            assert math.isclose(kpp, k / r["n_params"], rel_tol=1e-9)
            assert pn == r["plan"]["n_samples"]  # the ticket's planned width is the formula's
        good = [v for v, fl in zip(r["kept_per_param"], r["failed"], strict=True) if not fl]
        if good:
            _ci_ok(r["kept_per_param_ci"], good)
        else:
            assert r["kept_per_param_ci"] is None
        if r["bias"]:
            assert all(r["same_weights"])
            assert max(r["max_abs_bias"]) <= c["b_max"]
            w_red, x_red = bounds.biased_bounds(w_max, c["b_max"], x_max, len(ws) - 1)
            assert r["plan"]["widths"] == [n + 1 for n in ws[:-1]] + [ws[-1]]
            assert (r["plan"]["w_max"], r["plan"]["x_max"]) == (w_red, x_red)
    labels = [con["label"] for con in c["constructions"]]
    for lab in labels:
        pooled = []
        for ps in d["ratios"][lab]["per_shape"]:
            r0, r1 = (next(r for r in d["rows"] if r["widths"] == ps["widths"] and r["label"] == lab
                           and r["bias"] is b) for b in (False, True))
            assert r0["seeds"] == r1["seeds"]
            pairs = [b / a for a, b, f0, f1 in zip(r0["kept_per_param"], r1["kept_per_param"], r0["failed"],
                                                 r1["failed"], strict=True) if not (f0 or f1)]
            assert ps["ratios"] == pytest.approx(pairs, rel=1e-9)
            assert math.isclose(ps["formula_width_ratio"], r1["plan"]["n_samples"] / r0["plan"]["n_samples"])
            assert r1["plan"]["n_samples"] >= r0["plan"]["n_samples"]
            pooled += pairs
        if pooled:
            _ci_ok(d["ratios"][lab]["ci"], pooled)
    check_bias_width_search(d)
    fails = [fl for r in d["rows"] for fl in r["failed"]]
    assert d["failures"] == {"k": sum(fails), "n": len(fails)}
    cap = load_figure_module("biases").caption(d)
    for lab in labels:
        ci = mean_ci(d["ratios"][lab]["ratios"]) if d["ratios"][lab]["ratios"] else None
        if ci:
            assert f"{lab} {ci['mean']:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]" in cap, (lab, cap)
        for b in (False, True):
            fl = [x for r in d["rows"] if r["label"] == lab and r["bias"] is b for x in r["failed"]]
            assert f"{lab} {'with' if b else 'without'} biases {failure_phrase(sum(fl), len(fl))}" in cap
        for ps in d["ratios"][lab]["per_shape"]:
            r0, r1 = (next(r for r in d["rows"] if r["widths"] == ps["widths"] and r["label"] == lab
                           and r["bias"] is b) for b in (False, True))
            assert f"×{r1['plan']['n_samples'] / r0['plan']['n_samples']:.3f}" in cap
    assert failure_phrase(sum(fails), len(fails)) in cap


def _search_text(q: dict) -> str:
    ft = q["formula_trial"]
    at = f"formula {q['n_formula']}" + (f": {ft['k']}/{ft['n']} failing, {ft['verdict']}" if ft else "")
    if q["censored"]:
        return f"none holds ≤ {q['n_cap']} ({at}"
    return f"{q['lo']}–{q['hi']} ({at}; formula ÷ measured ×{q['n_formula'] / q['hi']:.3g})"


def check_bias_width_search(d: dict) -> None:
    """Panel (b) of the bias figure (:func:`check_biases`)."""
    c, ws = d["config"], d["width_search"]
    eps, w_max, x_max, delta = ws["eps"], c["w_max"], c["x_max"], ws["delta"]
    assert ws["n_seeds"] >= min_seeds_for(delta) and eps == c["eps"]
    assert ws["holds_max_k"] == holds_max_failures(ws["n_seeds"], delta, ws["alpha"])
    shape = ws["widths"]
    reduced = [n + 1 for n in shape[:-1]] + [shape[-1]]
    rows = sorted(ws["rows"], key=lambda r: r["b_max"])
    assert [r["b_max"] for r in rows] == sorted(c["b_max_grid"])
    cap = load_figure_module("biases").caption(d)
    for con in c["constructions"]:
        lab, cons = con["label"], get_construction(con["construction"], **con["options"])
        free = ws["bias_free"][lab]
        check_rate_search(free, delta, ws["alpha"], ws["holds_max_k"], ws["n_seeds"])
        assert "b_max" not in free
        assert free["n_formula"] == cons.plan(Problem(tuple(shape), eps, delta, w_max=w_max, x_max=x_max)).n_samples
        assert f"without biases {_search_text(free)}" in cap, (lab, cap)
        ns = []
        for r in rows:
            q = r["results"][lab]
            measured = check_rate_search(q, delta, ws["alpha"], ws["holds_max_k"], ws["n_seeds"])
            red = Problem(tuple(reduced), eps, delta, w_max=max(w_max, r["b_max"], 1.0), x_max=max(x_max, 1.0))
            assert q["b_max"] == r["b_max"] and q["reduced"] == red.as_dict()
            assert q["n_formula"] == cons.plan(red).n_samples
            assert q["n_params"] == n_parameters(shape) == sum(a * b + b for a, b in zip(shape, shape[1:],
                                                                                          strict=False))
            if measured:
                assert math.isclose(q["g_hi"], neurons_per_weight(con["construction"], con["options"], red,
                                                                  q["width_option"], q["hi"], q["n_params"]))
            assert f"b_max = {r['b_max']:g}: {_search_text(q)}" in cap, (lab, r["b_max"], cap)
            ns.append(q["n_formula"])
        assert all(a <= b for a, b in zip(ns, ns[1:], strict=False)), (lab, ns)
        flat = [n for r, n in zip(rows, ns, strict=True) if r["b_max"] <= max(w_max, 1.0)]
        assert len(set(flat)) <= 1, (lab, flat)
        assert all(n >= free["n_formula"] for n in ns)
    fts = [q["formula_trial"] for lab in ws["bias_free"] for q in [ws["bias_free"][lab]]
           + [r["results"][lab] for r in rows] if q["formula_trial"]]
    violated = sum(rate_verdict(t["k"], t["n"], delta, ws["alpha"]).verdict == "violated" for t in fts)
    assert f"says violated at {violated} of the {len(fts)} formula widths" in cap


CHECKS = {"samples": check_samples, "width_vs_eps": check_width_vs_eps, "pensia_delta": check_pensia_delta,
          "error": check_error,
          "failure": check_failure, "depth": check_depth, "coverage": check_coverage,
          "propagation": check_propagation, "axes": check_axes, "certificate_gap": check_certificate_gap,
          "biases": check_biases}


def expected_caption_numbers(name: str, d: dict) -> list[str]:
    """Strings the caption must contain, recomputed from the JSON (not from the caption code)."""
    f = d["failures"] if "failures" in d else d["formula_failures"]
    out = [failure_phrase(f["k"], f["n"])]
    if name == "samples":
        for s in d["series"].values():
            if s["kept_per_bit"]:
                xs = [r["bits"] for r in s["rows"] if "kept_per_weight_seeds" in r for _ in r["kept_per_weight_seeds"]]
                ys = [v for r in s["rows"] if "kept_per_weight_seeds" in r for v in r["kept_per_weight_seeds"]]
                ref = slope_ci(xs, ys)
                out.append(f"{ref['slope']:.2f} [{ref['low']:.2f}, {ref['high']:.2f}]")
            if s["plan_only_eps"]:
                out.append(", ".join(f"{e:g}" for e in s["plan_only_eps"]))
    elif name == "width_vs_eps":
        for s in d["series"].values():
            pts = [r for r in s["rows"] if not r["censored"]]
            if len(pts) >= 3:
                ref = slope_ci([math.log(1 / r["eps"]) for r in pts], [math.log(r["g_hi"]) for r in pts])
                out.append(f"exponent {ref['slope']:.2f} [{ref['low']:.2f}, {ref['high']:.2f}]")
        out += [f"κ = {p['kappa']:.2f}" for p in d["pair_search"]]
    elif name == "pensia_delta":
        out += [f"{r['k']}/{r['n']} (CP {r['cp_low']:.3f}–{r['cp_high']:.3f}, {r['verdict']})" for r in d["rows"]]
    elif name == "error":
        for k, s in d["series"].items():
            fl = [f for p in s for f in p["failed"]]
            out.append(f"{k} {failure_phrase(sum(fl), len(fl))}")
    elif name == "failure":
        out += [f"{r['k']}/{r['n']} at {r['fraction']:.2g}×N_f" for s in d["series"].values() for r in s["rows"]
                if r["n_samples"] >= s["n_formula"]]
    elif name == "coverage":
        out += [f"{r['mean']:.0f} [{r['ci_low']:.0f}, {r['ci_high']:.0f}]" for r in d["rows"]]
    elif name == "propagation":
        ratios = [b / c for r in d["rows"]
                  for c, b in zip(r["per_stage_certified"], r["bound_planned_eta"], strict=True) if c > 0]
        out.append(f"{min(ratios):.3g}–{max(ratios):.3g}")
    elif name == "certificate_gap":
        solved = [p for p in d["points"] if p["solved"]]
        out.append(f"{max(p['propagation_over_exact'] for p in solved):.3g}×")
    return out


def test_every_figure_has_a_check() -> None:
    assert set(CHECKS) == set(FIGURES)


@pytest.mark.parametrize("name", FIGURES)
def test_committed_data_satisfies_the_figure_claims(name: str) -> None:
    CHECKS[name](read_json(DATA_DIR / f"{name}.json"))


@pytest.mark.parametrize("name", FIGURES)
def test_caption_numbers_and_failures_match_the_data(name: str) -> None:
    d = read_json(DATA_DIR / f"{name}.json")
    cap = load_figure_module(name).caption(d)
    for s in expected_caption_numbers(name, d):
        assert s in cap, (s, cap)


@pytest.mark.parametrize("name", [f for f in FIGURES if f not in SLOW])
def test_fresh_small_compute_satisfies_the_figure_claims(name: str, tmp_path) -> None:
    mod = load_figure_module(name)
    d = mod.compute(dict(mod.CONFIGS["small"], data_dir=str(tmp_path)))
    assert (tmp_path / f"{name}.json").is_file()
    CHECKS[name](d)
    for s in expected_caption_numbers(name, d):
        assert s in mod.caption(d)


def _artists(fig) -> list:
    import matplotlib.lines as mlines

    out = []
    for ax in fig.axes:
        out += [a for a in ax.get_lines() if isinstance(a, mlines.Line2D)]
        for cont in ax.containers:
            out.append(cont)
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_formula_lines_and_measured_markers_are_told_apart(name: str) -> None:
    """Every labelled series is ``formula: …`` (a line without markers), ``measured: …`` (markers) or
    ``reference: …``; no measured series is drawn as a bare line."""
    import matplotlib.pyplot as plt
    from matplotlib.container import ErrorbarContainer

    mod = load_figure_module(name)
    with style():
        fig = mod.render(read_json(DATA_DIR / f"{name}.json"))
    try:
        labels = 0
        for a in _artists(fig):
            lab = a.get_label()
            if not lab or lab.startswith("_"):
                continue
            labels += 1
            assert lab.startswith((FORMULA_PREFIX, MEASURED_PREFIX, REFERENCE_PREFIX)), lab
            line = a.lines[0] if isinstance(a, ErrorbarContainer) else a
            marker = line.get_marker()
            if lab.startswith(FORMULA_PREFIX):
                assert marker in (None, "", "None", " ") and line.get_linestyle() not in ("None", ""), lab
            if lab.startswith(MEASURED_PREFIX):
                assert marker not in (None, "", "None", " ") and line.get_linestyle() in ("None", ""), lab
        assert labels >= 2
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_draws_deterministically(name: str, tmp_path) -> None:
    mod = load_figure_module(name)
    data = read_json(DATA_DIR / f"{name}.json")
    blobs = []
    for k in range(2):
        with style():
            paths = save_figure(mod.render(data), tmp_path / f"{k}" / f"fig_{name}")
        assert [p.suffix for p in paths] == [".pdf", ".svg", ".png"]
        blobs.append([p.read_bytes() for p in paths])
    assert blobs[0] == blobs[1]
    assert b"<dc:date>" not in blobs[0][0]


def test_check_functions_can_fail() -> None:
    """A broken figure claim is caught (the checks are not vacuous)."""
    d = read_json(DATA_DIR / "error.json")
    label = next(k for k, v in d["series"].items() if v and v[0]["certified"][0] is not None)
    d["series"][label][0]["found"][0] = 2 * d["series"][label][0]["certified"][0]
    with pytest.raises(AssertionError):
        check_error(d)
    c = read_json(DATA_DIR / "coverage.json")
    c["rows"][0]["mean"] = 2 * c["rows"][0]["coupon_bound"]
    with pytest.raises(AssertionError):
        check_coverage(c)
    e = read_json(DATA_DIR / "error.json")
    e["failures"]["k"] += 1
    with pytest.raises(AssertionError):
        check_error(e)


def test_interval_helpers() -> None:
    """mean_ci is the Student-t interval; slope_ci brackets the slope of exact data."""
    c = mean_ci([1.0, 2.0, 3.0])
    assert math.isclose(c["mean"], 2.0) and math.isclose(c["high"] - 2.0, 4.302652729911275 * 1 / math.sqrt(3))
    x = np.arange(5.0)
    s = slope_ci(list(x), list(2 * x + 1))
    assert math.isclose(s["slope"], 2.0) and s["low"] <= 2.0 <= s["high"]


ALLOWED_SUBSCRIPTS = {"w_max", "x_max", "b_max", "M_min", "N_w", "N_f"}
"""Math names with an underscore that figures may print (subscripts, not code names)."""


def _texts(fig) -> list:
    """Every title, axis label and legend text of a figure (tick labels excluded)."""
    out = [t for t in fig.texts]
    for ax in fig.axes:
        out += [ax.title, ax.xaxis.label, ax.yaxis.label, ax._left_title, ax._right_title]
        if ax.get_legend():
            out += list(ax.get_legend().get_texts())
    for lg in fig.legends:
        out += list(lg.get_texts())
    return [t for t in out if t.get_text()]


BENCHMARK_FIGURES = ("edge_popup", "edge_popup_same_g")
"""Figures drawn from a committed benchmark (not in the report's ``FIGURES``; same print rules)."""


@pytest.mark.parametrize("name", FIGURES + BENCHMARK_FIGURES)
def test_figures_are_paper_ready(name: str) -> None:
    """At print size (≤ 7 in wide): no code names in titles, labels or legends; legends ≥ 7 pt, other text ≥ 6.5 pt."""
    import re

    import matplotlib.pyplot as plt

    mod = load_figure_module(name)
    with style():
        fig = mod.render(read_json(DATA_DIR / f"{name}.json"))
    try:
        assert fig.get_figwidth() <= 7.0 + 1e-9, fig.get_figwidth()
        legend_texts = {id(t) for lg in fig.legends for t in lg.get_texts()}
        legend_texts |= {id(t) for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
        for t in _texts(fig):
            txt = t.get_text()
            names = set(re.findall(r"[A-Za-z]+_[A-Za-z]+", txt)) - ALLOWED_SUBSCRIPTS
            assert not names, (names, txt)
            assert "rate_verdict" not in txt and "n_samples" not in txt, txt
            assert t.get_fontsize() >= (7.0 if id(t) in legend_texts else 6.5), (t.get_fontsize(), txt)
    finally:
        plt.close(fig)


def test_paper_checks_can_fail() -> None:
    """A code name or a 5 pt legend is caught."""
    import re

    import matplotlib.pyplot as plt

    with style():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [1, 2], label="rate_verdict")
        ax.legend(fontsize=5)
    try:
        t = ax.get_legend().get_texts()[0]
        assert set(re.findall(r"[A-Za-z]+_[A-Za-z]+", t.get_text())) - ALLOWED_SUBSCRIPTS
        assert t.get_fontsize() < 7.0
    finally:
        plt.close(fig)


def _unmatched_formula_lines(ax) -> list[str]:
    """Labels of the ``formula: …`` lines of ``ax`` with no ``measured: …`` series (markers) of their colour on
    the same axes: a formula drawn without the measured quantity it bounds."""
    from matplotlib.colors import to_rgba
    from matplotlib.container import ErrorbarContainer

    measured = set()
    for a in ax.get_lines() + list(ax.containers):
        if str(a.get_label()).startswith(MEASURED_PREFIX):
            line = a.lines[0] if isinstance(a, ErrorbarContainer) else a
            measured.add(to_rgba(line.get_color()))
    return [ln.get_label() for ln in ax.get_lines()
            if ln.get_label().startswith(FORMULA_PREFIX) and to_rgba(ln.get_color()) not in measured]


def test_bias_width_panel_draws_each_formula_beside_its_measurement() -> None:
    """Panel (b) of the bias figure: every formula line (the reduced problem's planned width) has the measured
    minimal working width of the same construction beside it — a formula-only panel is refused."""
    import matplotlib.pyplot as plt

    mod = load_figure_module("biases")
    with style():
        fig = mod.render(read_json(DATA_DIR / "biases.json"))
    try:
        ax = fig.axes[1]
        assert [ln for ln in ax.get_lines() if ln.get_label().startswith(FORMULA_PREFIX)]
        assert _unmatched_formula_lines(ax) == []
    finally:
        plt.close(fig)


def test_unmatched_formula_lines_are_caught() -> None:
    """The check above can fail: a formula line alone, or beside a measurement of another colour, is reported."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        ax.plot([1, 2], [1, 2], "-", color="C0", label="formula: alone")
        ax.plot([1, 2], [1, 3], "o", color="C1", label="measured: other")
        ax.errorbar([1], [2], yerr=[0.1], fmt="s", color="C2", label="measured: third")
        ax.plot([1, 2], [2, 2], "-", color="C2", label="formula: beside")
        assert _unmatched_formula_lines(ax) == ["formula: alone"]
    finally:
        plt.close(fig)


@pytest.mark.parametrize("where", ["formula", "bracket", "bias_free"])
def test_bias_width_search_check_can_fail(where: str) -> None:
    """A formula width that is not the reduced problem's, a bracket whose top does not hold, or a bias-free
    result with the wrong formula is caught by :func:`check_bias_width_search`."""
    d = read_json(DATA_DIR / "biases.json")
    lab = d["config"]["constructions"][0]["label"]
    q = d["width_search"]["rows"][-1]["results"][lab]
    if where == "formula":
        q["n_formula"] += 1
    elif where == "bracket":
        q["hi"], q["lo"] = q["lo"], q["lo"] - 1
    else:
        d["width_search"]["bias_free"][lab]["n_formula"] = q["n_formula"]
    with pytest.raises(AssertionError):
        check_bias_width_search(d)


def test_small_bias_figure_computes_and_renders(tmp_path) -> None:
    """The bias figure at its small config: the data pass :func:`check_biases`, and panel (b) draws, per
    construction, a formula line with the measured minimal width (markers or censoring triangles) beside it."""
    import matplotlib.pyplot as plt

    mod = load_figure_module("biases")
    d = mod.compute(dict(mod.CONFIGS["small"], data_dir=str(tmp_path)))
    check_biases(d)
    with style():
        fig = mod.render(d)
    try:
        ax = fig.axes[1]
        formulas = [ln for ln in ax.get_lines() if ln.get_label().startswith(FORMULA_PREFIX)]
        assert len(formulas) == len(d["config"]["constructions"]) and _unmatched_formula_lines(ax) == []
    finally:
        plt.close(fig)


@pytest.mark.parametrize("search", [{"n_seeds": 10, "delta": 0.1}, {"n_seeds": 12, "delta": 0.3, "alpha": 1e-9}])
def test_bias_width_search_refuses_too_few_seeds(search: dict, tmp_path) -> None:
    """A seed grid on which the rate rule could never say holds is refused before anything runs."""
    mod = load_figure_module("biases")
    with pytest.raises(ValueError, match="too few"):
        mod.compute(dict(mod.CONFIGS["small"], width_search=search, data_dir=str(tmp_path)))
