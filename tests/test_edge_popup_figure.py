"""plots/fig_edge_popup.py: a tiny compute() → render() runs under Agg; the committed data
(plots/data/edge_popup.json) satisfies the figure's invariants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slt_check.experiments.plotting import DATA_DIR, load_figure_module, read_json, save_figure, style

pytest.importorskip("torch")
pytest.importorskip("matplotlib")

REL = 1e-9
"""Relative slack for the 12-significant-digit rounding of the committed JSON."""


def check_invariants(d: dict[str, Any]) -> None:
    """found ≤ certified for every built ticket; a minimal width lies within its grid or the seed is
    censored at its grid limit; edge-popup's k is the construction's kept count on the same seed."""
    st = d["settings"]
    kept = {(g["target"], g["eps"], g["method"], s["seed"]): s["kept"] for g in d["groups"] for s in g["seeds"]}
    n_seeds = 0
    for g in d["groups"]:
        assert g["n_run"] == len(g["seeds"])
        assert g["n_censored"] == sum(s["censored"] for s in g["seeds"])
        assert set(g["seeds_not_run"]).isdisjoint(s["seed"] for s in g["seeds"])
        edge = g["method"].startswith("edge-popup")
        for s in g["seeds"]:
            n_seeds += 1
            assert 0 <= s["found"] <= s["certified"] * (1 + REL) + 1e-15, (g["method"], g["target"], s)
            if s["censored"]:
                assert s["n_min"] is None and not s["ok"]
            else:
                assert s["grid_limit"] is not None and s["n_min"] <= s["grid_limit"]
            if edge:
                assert s["grid_limit"] is None or s["grid_limit"] <= max(st["edge_popup_grid"])
                if not s["censored"]:
                    assert s["n_min"] in st["edge_popup_grid"] and s["certified"] <= g["eps"] * (1 + REL)
                source = g["method"].split("[")[1].split(" ")[0]
                assert s["kept"] == s["construction_kept"] == kept[(g["target"], g["eps"], source, s["seed"])]
            else:
                assert s["grid_limit"] <= 2 * s["n_formula"]
                if not s["censored"]:
                    assert s["n_min"] & (s["n_min"] - 1) == 0  # a power of two on the doubling grid
    assert d["censored"]["n"] == n_seeds
    assert d["censored"]["k"] == sum(g["n_censored"] for g in d["groups"])


def test_tiny_compute_render(tmp_path: Path) -> None:
    fig_mod = load_figure_module("edge_popup")
    cfg = {**fig_mod.CONFIGS["tiny"], "data_dir": str(tmp_path / "data")}
    data = fig_mod.compute(cfg)
    assert (tmp_path / "data" / "edge_popup.json").is_file()
    check_invariants(data)
    assert {g["method"] for g in data["groups"]} == set(fig_mod.METHOD_STYLE)
    with style():
        paths = save_figure(fig_mod.render(data), tmp_path / "fig_edge_popup")
    assert all(p.stat().st_size > 0 for p in paths)
    assert "censored" in fig_mod.caption(data).lower()


def test_committed_data_invariants() -> None:
    path = DATA_DIR / "edge_popup.json"
    if not path.is_file():
        pytest.skip("no committed plots/data/edge_popup.json")
    d = read_json(path)
    check_invariants(d)
    assert d["config"]["source"] == "benchmark"
    assert {g["target"] for g in d["groups"]} == {"random:2-2-1", "random:2-3-1", "random:3-4-2"}
    assert {g["eps"] for g in d["groups"]} == {0.1, 0.03}
