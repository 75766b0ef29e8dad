"""plots/fig_edge_popup_same_g.py: a tiny compute() → render() runs under Agg, its rates are the
benchmark's counts with intervals that contain them; the committed data (if any) satisfies the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slt_check.experiments.plotting import DATA_DIR, load_figure_module, read_json, save_figure, style

pytest.importorskip("torch")
pytest.importorskip("matplotlib")


def check_invariants(d: dict[str, Any]) -> None:
    """0 ≤ successes ≤ n, the rate inside its Clopper–Pearson interval, one construction point per search point."""
    for p in d["points"]:
        assert 0 <= p["successes"] <= p["n"] and p["n"] >= 1
        lo, hi = p["ci95"]
        assert 0 <= lo <= p["successes"] / p["n"] <= hi <= 1
        assert p["kept"] >= 1
    kinds = [p["method"] for p in d["points"]]
    assert kinds.count("construction") == kinds.count("search")


def test_tiny_compute_render(tmp_path: Path) -> None:
    fig_mod = load_figure_module("edge_popup_same_g")
    data = fig_mod.compute({**fig_mod.CONFIGS["tiny"], "data_dir": str(tmp_path / "data")})
    assert (tmp_path / "data" / "edge_popup_same_g.json").is_file()
    check_invariants(data)
    assert len(data["points"]) == 2 and all(p["n"] == 2 for p in data["points"])
    with style():
        paths = save_figure(fig_mod.render(data), tmp_path / "fig")
    assert all(p.stat().st_size > 0 for p in paths)
    assert "Clopper" in fig_mod.caption(data)


def test_committed_data_invariants() -> None:
    path = DATA_DIR / "edge_popup_same_g.json"
    if not path.is_file():
        pytest.skip("no committed plots/data/edge_popup_same_g.json")
    d = read_json(path)
    check_invariants(d)
    assert d["config"]["source"] == "benchmark"


def test_committed_benchmark_covers_its_design() -> None:
    """The recorded same-G benchmark: every cell ran, on the pre-registered seeds 0–19 (in order, nothing dropped);
    every source G (Orseau per weight and per input, Pensia, Malach) on at least four targets, the digits MLP
    among them, and at two values of ε; a run cut short or a cell with fewer seeds fails here."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "edge_popup_same_g.json"
    if not path.is_file():
        pytest.skip("no committed benchmarks/results/edge_popup_same_g.json")
    res = read_json(path)
    cover: dict[str, tuple[set[str], set[float]]] = {}
    for row in res["cells"]:
        c = row["cell"]
        assert row["status"] == "done", (row["label"], row["status"])
        assert [t["seed"] for t in row["trials"]] == list(range(20)), row["label"]
        src = c["source"] + ("/" + c["sharing"] if c.get("sharing") else "")
        targets, eps = cover.setdefault(src, (set(), set()))
        targets.add(c["target"])
        eps.add(c["eps"])
    assert set(cover) == {"orseau", "orseau/per_input", "pensia", "malach"}
    for src, (targets, eps) in cover.items():
        assert len(targets) >= 4 and "digits" in targets and len(eps) >= 2, (src, targets, eps)
