"""The numbers behind every figure: the committed quick-scale JSON (plots/data) and fresh small-scale
compute() runs must satisfy the inequalities each figure claims; every figure still draws, and
draws deterministically."""

from __future__ import annotations

import math

import pytest

from slt_check import bounds
from slt_check.plotting import DATA_DIR, FIGURES, load_figure_module, read_json, save_figure, style
from slt_check.stats import failure_rate_test

ALPHA = 1e-3
"""Level of the exact binomial tests on recorded failure counts."""


def check_samples(d: dict) -> None:
    """Sampled ≥ counting bound; kept ≤ 2M per weight (R4); Orseau's growth is sub-polynomial."""
    gamma_bits = 1 / math.log2(bounds.GAMMA)
    for label, s in d["series"].items():
        rows = [r for r in s["rows"] if "G_neurons_per_weight" in r]
        for r in rows:
            assert r["G_neurons_per_weight"] >= bounds.counting_lower_bound(2 * d["config"]["w_max"], r["eps"])
            if label.startswith("orseau"):
                assert r["kept_per_weight"] <= 2 * r["plan"]["M"]
        if label.startswith("orseau") and len(rows) >= 3:
            # kept per bit ≤ 2 digits per γ-digit; more bits never cost polynomially many samples:
            # growth ratio ≤ (bits ratio)² (a 1/ε law would give 10^(Δ decades)).
            assert 0 < s["kept_per_bit"] <= 2 * gamma_bits
            assert s["samples_per_bit"] > 0
            lo, hi = min(rows, key=lambda r: r["bits"]), max(rows, key=lambda r: r["bits"])
            assert hi["G_neurons_per_weight"] / lo["G_neurons_per_weight"] <= (hi["bits"] / lo["bits"]) ** 2


def check_minwidth(d: dict) -> None:
    """Empirical minimal width ≤ formula width, or the formula width passes the binomial test;
    slack = formula ÷ empirical; the empirical width works on the full seed grid."""
    n_checked = 0
    for s in d["series"].values():
        for r in s["rows"]:
            if not r["n_formula"]:
                continue
            n_checked += 1
            assert r["consistent"], r
            if r["note"].startswith("unresolved"):
                continue
            if r["n_empirical"] is not None:
                assert r["n_empirical"] <= r["n_formula"] or not r["formula_trial"]["violated"]
                assert math.isclose(r["slack"], r["n_formula"] / r["n_empirical"], rel_tol=1e-9)
            ft = r["formula_trial"]
            if ft is not None:
                assert ft["complete"] and ft["n"] == d["config"]["n_seeds"]
                assert not failure_rate_test(ft["k"], ft["n"], d["config"]["delta"], ALPHA).violated
    assert n_checked >= 2


def check_error(d: dict) -> None:
    """found ≤ certified always; certified ≤ ε for every successful ticket (R9)."""
    n = 0
    for s in d["series"].values():
        for p in s:
            for c, f, ok in zip(p["certified"], p["found"], p["ok"], strict=True):
                assert f <= c
                if ok:
                    assert c <= p["eps"]
                    n += 1
    assert n >= 2


def check_failure(d: dict) -> None:
    """R5 union bound not contradicted at any width; failure rate ≤ δ not contradicted at N ≥ N_w."""
    for r in d["rows"]:
        assert not r["bound_violated"]
        if r["union_bound"] < 1:
            assert not failure_rate_test(r["k"], r["n"], r["union_bound"], ALPHA).violated
        if r["n_samples"] >= d["n_formula"]:
            assert not failure_rate_test(r["k"], r["n"], d["config"]["delta"], ALPHA).violated
        assert r["cp_low"] <= r["rate"] <= r["cp_high"]


def check_depth(d: dict) -> None:
    """M(l) ≤ linear bound (claim 16); η decreases with l; certified ≤ ε for successful tickets."""
    rows = d["rows"]
    for r in rows:
        assert r["M"] == r["M_plan"]
        assert r["M"] <= r["M_linear_bound"]
        for c, ok in zip(r["certified"], r["ok"], strict=True):
            assert c <= d["config"]["eps"] or not ok
    assert all(a["eta"] > b["eta"] for a, b in zip(rows, rows[1:], strict=False))


def check_coverage(d: dict) -> None:
    """Hyperbolic mean ≤ 8M(ln 2M + 1) (R7 + coupon collector); Monte Carlo mean within 5 SE of the
    exact mean; uniform cost ratio between M and M+5 ≥ 1.5⁵/2 once M ≥ 15 (claim 17)."""
    for r in d["rows"]:
        if r["law"] == "hyperbolic":
            assert r["mean"] <= r["coupon_bound"]
            assert r["min_category_prob"] >= bounds.category_prob_lower(r["M"]) * (1 - 1e-9)
        assert abs(r["mean"] - r["exact_mean"]) <= 5 * r["se"]
    uni = {r["M"]: r["mean"] for r in d["rows"] if r["law"] == "uniform"}
    for M, v in uni.items():
        if M >= 15 and M + 5 in uni:
            assert uni[M + 5] / v >= 1.5**5 / 2


def check_propagation(d: dict) -> None:
    """Per stage: certified ≤ R8 with measured η; last stage R8 with planned η ≤ closed form ≤ ε."""
    eps = d["config"]["eps"]
    for r in d["rows"]:
        for c, bm in zip(r["per_stage_certified"], r["bound_measured_eta"], strict=True):
            assert c <= bm * (1 + 1e-9)
        assert r["bound_planned_eta"][-1] <= r["closed_form"] * (1 + 1e-12)
        assert r["closed_form"] <= eps * (1 + 1e-12)


CHECKS = {"samples": check_samples, "minwidth": check_minwidth, "error": check_error,
          "failure": check_failure, "depth": check_depth, "coverage": check_coverage,
          "propagation": check_propagation}


def test_every_figure_has_a_check() -> None:
    assert set(CHECKS) == set(FIGURES)


@pytest.mark.parametrize("name", FIGURES)
def test_committed_data_satisfies_the_figure_claims(name: str) -> None:
    CHECKS[name](read_json(DATA_DIR / f"{name}.json"))


@pytest.mark.parametrize("name", FIGURES)
def test_fresh_small_compute_satisfies_the_figure_claims(name: str, tmp_path) -> None:
    mod = load_figure_module(name)
    d = mod.compute(dict(mod.CONFIGS["small"], data_dir=str(tmp_path)))
    assert (tmp_path / f"{name}.json").is_file()
    CHECKS[name](d)
    assert isinstance(mod.caption(d), str)


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_draws_deterministically(name: str, tmp_path) -> None:
    mod = load_figure_module(name)
    data = read_json(DATA_DIR / f"{name}.json")
    blobs = []
    for k in range(2):
        with style():
            paths = save_figure(mod.render(data), tmp_path / f"{k}" / f"fig_{name}")
        assert [p.suffix for p in paths] == [".svg", ".png"]
        blobs.append([p.read_bytes() for p in paths])
    assert blobs[0] == blobs[1]
    assert b"<dc:date>" not in blobs[0][0]


def test_check_functions_can_fail() -> None:
    """A broken figure claim is caught (the checks are not vacuous)."""
    d = read_json(DATA_DIR / "error.json")
    label = next(k for k, v in d["series"].items() if v)
    d["series"][label][0]["found"][0] = 2 * d["series"][label][0]["certified"][0]
    with pytest.raises(AssertionError):
        check_error(d)
    c = read_json(DATA_DIR / "coverage.json")
    c["rows"][0]["mean"] = 2 * c["rows"][0]["coupon_bound"]
    with pytest.raises(AssertionError):
        check_coverage(c)


def check_axes(d: dict) -> None:
    """N_w non-decreasing in 1/δ, width, w_max, x_max, and sub-polynomial (ratio ≤ (1 + log-range)²
    over the axis); certified ≤ ε for successful tickets; found ≤ certified."""
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
            for c, f, ok in zip(r["certified"], r["found"], r["ok"], strict=True):
                assert f <= c and (c <= eps or not ok)


CHECKS["axes"] = check_axes
