"""Sweeps: resumable JSON with sorted keys and 12-significant-digit floats; axes; one real point."""

from __future__ import annotations

import json
import math

import pytest

from slt_check.experiments.plotting import read_json, round_sig, write_json
from slt_check.experiments.sweep import AXES, axis_points, default_seeds, evaluate_point, run_sweep, variants


def test_run_sweep_resumes_and_skips_done_points(tmp_path) -> None:
    calls: list[float] = []

    def fn(p):  # noqa: ANN001, ANN202
        calls.append(p["x"])
        return {"y": p["x"] / 3}

    path = tmp_path / "s.json"
    pts = [{"x": 1.0}, {"x": 2.0}]
    run_sweep(path, pts, fn)
    assert calls == [1.0, 2.0]
    recs = run_sweep(path, pts + [{"x": 3.0}], fn)
    assert calls == [1.0, 2.0, 3.0]
    assert [r["result"]["y"] for r in recs] == [round_sig(1 / 3), round_sig(2 / 3), 1.0]
    text = path.read_text()
    d = json.loads(text)
    assert "versions" in d["meta"] and len(d["points"]) == 3
    assert text == json.dumps(d, sort_keys=True, indent=1) + "\n"
    assert "0.333333333333," in text or "0.333333333333\n" in text


def test_a_sweep_file_from_other_code_is_recomputed(tmp_path, capsys) -> None:
    calls: list[float] = []

    def fn(p):  # noqa: ANN001, ANN202
        calls.append(p["x"])
        return {"y": p["x"]}

    path = tmp_path / "s.json"
    run_sweep(path, [{"x": 1.0}], fn)
    d = json.loads(path.read_text())
    d["meta"]["code"] = "another-version"
    d["points"][0]["result"]["y"] = 99.0  # what an older code computed
    path.write_text(json.dumps(d))
    recs = run_sweep(path, [{"x": 1.0}], fn)
    assert calls == [1.0, 1.0] and recs[0]["result"]["y"] == 1.0
    assert "another version" in capsys.readouterr().err
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a sweep file"):
        run_sweep(path, [{"x": 1.0}], fn)


def test_json_is_finite_and_rounded(tmp_path) -> None:
    with pytest.raises(ValueError, match="finite"):
        write_json(tmp_path / "bad.json", {"x": math.nan})
    write_json(tmp_path / "ok.json", {"b": 1 / 7, "a": [2.0**0.5]})
    assert read_json(tmp_path / "ok.json") == {"a": [1.41421356237], "b": 0.142857142857}
    with pytest.raises(ValueError, match="path"):
        read_json(tmp_path / "missing.json")


def test_axis_points() -> None:
    base = {"widths": [2, 3, 1], "eps": 0.1}
    assert [p["widths"] for p in axis_points(base, "depth", [1, 3])] == [[2, 1], [2, 3, 3, 1]]
    assert [p["widths"] for p in axis_points(base, "width", [5])] == [[2, 5, 1]]
    assert [p["eps"] for p in axis_points(base, "eps")] == AXES["eps"]
    with pytest.raises(ValueError, match="axis"):
        axis_points(base, "colour")


def test_variants_list_orseau_and_peers() -> None:
    labels = [v["label"] for v in variants()]
    assert labels[:2] == ["orseau/per_weight", "orseau/per_input"]
    assert {"pensia", "malach", "burkholz"} <= set(labels)


def test_evaluate_point_measures_a_real_ticket() -> None:
    p = {"construction": "orseau", "options": {"sharing": "per_input"}, "widths": [2, 2, 1],
         "eps": 1e-2, "delta": 0.1, "w_max": 1.0, "x_max": 1.0, "family": "uniform",
         "seeds": default_seeds(0, 2)}
    res = evaluate_point(p)
    assert res["plan"]["n_samples"] == res["plan"]["n_samples_formula"]
    for s in res["seeds"]:
        assert s["found"] <= s["certified"]
        assert not s["ok"] or s["certified"] <= p["eps"]
        for c, b in zip(s["per_stage_certified"], s["propagation_measured_eta"], strict=True):
            assert c <= b * (1 + 1e-9)
    assert evaluate_point(dict(p, construction="no_such"))["skipped"]


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_round_sig_keeps_12_significant_digits(x: float) -> None:
    """∀ finite x: |round_sig(x) − x| ≤ 5·10⁻¹² |x|, and rounding is idempotent."""
    r = round_sig(x)
    assert abs(r - x) <= 5e-12 * abs(x) + 1e-300
    assert round_sig(r) == r
