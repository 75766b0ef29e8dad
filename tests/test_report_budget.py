"""The quick report's time budget, checked without running it: the work its figure configs request, counted from
the configs, times the CPU seconds one unit of that work was measured to cost.

``slt-check report --scale quick`` must finish in 3 minutes on 2 cores (the README's first command). It runs the
ledger at ``ci``, then every figure's trials (serially by default; ``--workers 2`` on two processes), torch on one
thread.
A *unit* is what a figure's trial loop repeats: a built and certified ticket (the sweeps), one seed's failure
trial at one width (the failure-rate figures and each step of the minimal-width search) or one coverage draw run.
A config that asks for more units than :data:`FIGURE_CPU_BUDGET_S` buys fails here, before anyone waits for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from slt_check.experiments.plotting import FIGURES, load_figure_module
from slt_check.experiments.report import figure_config
from slt_check.experiments.sweep import axis_points, point_key, variants

UNIT_CPU_S: dict[str, float] = {
    "width_vs_eps": 0.02, "failure": 0.004, "pensia_delta": 0.003, "samples": 0.05, "depth": 0.03,
    "axes": 0.02, "biases": 0.11, "coverage": 0.0004, "certificate_gap": 0.0, "error": 0.0, "propagation": 0.0,
}
"""CPU seconds per unit, measured on the shared 2-core development machine (serial, one torch thread, each
figure's ``compute`` at its quick config, ``time.process_time``) and rounded up: width_vs_eps 17.7 s for 1 080
seed trials per search step, failure 5.5 s / 1 500 seed trials, pensia_delta 2.4 s / 1 000, samples 7.1 s / 170
tickets, depth 1.6 s / 60, axes 1.2 s / 80, biases 12.2 s / 120, coverage 0.9 s / 2 400 runs (49 s in all; the
ledger's non-rate claims took 9.1 s). ``error`` and ``propagation`` read the tickets of ``samples`` and
``depth``; ``certificate_gap`` reads the committed benchmark."""

PANEL_UNIT_CPU_S: dict[str, float] = {"biases": 0.05}
"""CPU seconds per unit of a figure's second kind of work, measured as :data:`UNIT_CPU_S` and rounded up:
biases' panel (b), the minimal-width search per (construction, bias bound or none), 18.8 s for 400 units
(2 constructions × 5 bias settings × 40 seeds per search step; 1 895 seed trials in all), measured by
``time.process_time`` around ``width_search`` at the quick config."""

FIGURE_CPU_BUDGET_S = 120.0
"""CPU seconds the figures' trials may take: even run serially, with ≈ 10 s of ledger, ≈ 15 s of drawing and
≈ 5 s of start-up, that is 150 s on an idle machine, under the 3 minutes."""


def _labels(cfg: dict[str, Any]) -> list[str]:
    return [v["label"] for v in variants() if v["available"] and (not cfg.get("labels") or v["label"] in cfg["labels"])]


MALACH_SEED_CPU_S = 8e-4
"""Malach's minimal-width search costs more per seed as ε falls (its width grows like 1/ε): measured at the quick
config (40 seeds, serial, one torch thread) 1.1 s at ε = 1e-2, 3.7 s at 3e-3, 7.3 s at 1e-3 and 14.5 s at 3e-4,
i.e. about ``8e-4 · (1/ε)^0.8`` CPU seconds per seed (rounded up); every other construction's (ε, seed) is one
``width_vs_eps`` unit."""


def _width_units(cfg: dict[str, Any], labels: list[str]) -> float:
    """``width_vs_eps`` units: one per (construction, ε, seed), Malach's weighted by its measured growth in 1/ε."""
    units = 0.0
    for lab in labels:
        for eps in (cfg.get("eps_by_label") or {}).get(lab, cfg["eps"]):
            w = MALACH_SEED_CPU_S * (1 / eps) ** 0.8 / UNIT_CPU_S["width_vs_eps"] if lab == "malach" else 1.0
            units += w * cfg["n_seeds"]
    return units


def requested_units(name: str, mod: Any, config: dict[str, Any]) -> float:
    """Units of work figure ``name`` requests at ``config`` (module docstring), counted from the config alone."""
    cfg = {**getattr(mod, "DEFAULTS", {}), **config}
    if name == "width_vs_eps":
        return _width_units(cfg, _labels(cfg))
    if name == "failure":
        return len(_labels(cfg)) * len(cfg["fractions"]) * cfg["n_seeds"]
    if name == "pensia_delta":
        return len(cfg["deltas"]) * cfg["n_seeds"]
    if name == "samples":
        return len(mod.eps_points(cfg)) * cfg["n_seeds"]
    if name == "depth":
        return len(cfg["depths"]) * cfg["n_seeds"]
    if name == "axes":
        base = {"widths": list(cfg["widths"]), **{k: cfg[k] for k in ("eps", "delta", "w_max", "x_max")}}
        pts = {point_key(p) for axis in mod.PANELS for p in axis_points(base, axis, cfg["values"].get(axis))}
        return len(pts) * cfg["n_seeds"]
    if name == "biases":  # panel (a); panel (b) is requested_panel_units
        return len(cfg["shapes"]) * len(cfg["constructions"]) * 2 * cfg["n_seeds"]
    if name == "coverage":
        return (len(cfg["M_hyperbolic"]) + len(cfg["M_uniform"])) * cfg["n_trials"]
    if name in ("error", "propagation", "certificate_gap"):  # shared sweeps / the committed benchmark
        return 0
    raise ValueError(f"figure {name!r}: no unit count; add it to requested_units and measure its UNIT_CPU_S")


def requested_panel_units(name: str, mod: Any, config: dict[str, Any]) -> int:
    """Units of a figure's second kind of work (:data:`PANEL_UNIT_CPU_S`): for biases, one search step of panel
    (b)'s minimal-width search — constructions × (bias-free + every b_max) × the search's seeds."""
    cfg = {**getattr(mod, "DEFAULTS", {}), **config}
    if name == "biases":
        search = {**mod.DEFAULTS["width_search"], **config.get("width_search", {})}
        return len(cfg["constructions"]) * (1 + len(cfg["b_max_grid"])) * search["n_seeds"]
    return 0


def quick_cpu_estimate(configs: dict[str, dict[str, Any]] | None = None) -> dict[str, float]:
    """Estimated CPU seconds per figure at ``configs`` (default: every figure's quick config)."""
    out = {}
    for name in FIGURES:
        mod = load_figure_module(name)
        cfg = (configs or {}).get(name, figure_config(mod, "quick"))
        out[name] = (requested_units(name, mod, cfg) * UNIT_CPU_S[name]
                     + requested_panel_units(name, mod, cfg) * PANEL_UNIT_CPU_S.get(name, 0.0))
    return out


def test_quick_configs_fit_the_budget() -> None:
    est = quick_cpu_estimate()
    assert sum(est.values()) <= FIGURE_CPU_BUDGET_S, (
        f"the quick figures request ≈ {sum(est.values()):.0f} s of CPU > {FIGURE_CPU_BUDGET_S:.0f} s: {est}; "
        "shrink a quick config, or time `slt-check report --scale quick` and update UNIT_CPU_S")


def test_every_figure_has_a_measured_unit_cost() -> None:
    assert set(UNIT_CPU_S) == set(FIGURES)
    for name in FIGURES:
        mod = load_figure_module(name)
        if requested_panel_units(name, mod, figure_config(mod, "quick")):
            assert name in PANEL_UNIT_CPU_S, name


def test_the_bias_width_search_counts_in_the_budget() -> None:
    """Panel (b) of biases is in the estimate: with its quick search grown to 8 × the seeds the quick total is over
    budget."""
    mod = load_figure_module("biases")
    cfg = figure_config(mod, "quick")
    seeds = {**mod.DEFAULTS["width_search"], **cfg.get("width_search", {})}["n_seeds"]
    assert requested_panel_units("biases", mod, cfg) == 2 * 5 * seeds
    grown = dict(cfg, width_search={**cfg.get("width_search", {}), "n_seeds": 8 * seeds})
    assert sum(quick_cpu_estimate({"biases": grown}).values()) > FIGURE_CPU_BUDGET_S


@pytest.mark.parametrize("name, key, factor", [("samples", "n_seeds", 10), ("biases", "shapes", 8),
                                               ("width_vs_eps", "n_seeds", 15)])
def test_a_grown_quick_config_is_over_budget(name: str, key: str, factor: int) -> None:
    """The budget check can fail: one quick config grown by ``factor`` (more seeds or shapes) is refused."""
    mod = load_figure_module(name)
    cfg = figure_config(mod, "quick")
    grown = dict(cfg, **{key: cfg[key] * factor})
    assert sum(quick_cpu_estimate({name: grown}).values()) > FIGURE_CPU_BUDGET_S


@pytest.mark.parametrize("extra, executor", [([], "serial"), (["--scheduler", "processes:2"], "processes:2")])
def test_quick_report_runs_torch_on_one_thread(monkeypatch, tmp_path, extra, executor) -> None:
    """``slt-check report --scale quick`` runs torch on one thread, on any executor (the unit costs above were
    measured so; torch's thread pool tripled the quick report's CPU time), and restores it afterwards."""
    torch = pytest.importorskip("torch")
    from slt_check.cli import report as cli_report
    from slt_check.cli.main import main
    from slt_check.runtime import trials

    seen = {}

    def fake_run_report(out, scale, *a, **k):
        seen.update(executor=trials.describe(), threads=torch.get_num_threads())
        return tmp_path / "report.md"

    monkeypatch.setattr(cli_report, "run_report", fake_run_report)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert main(["report", "--scale", "quick", "--out", str(tmp_path), *extra]) == 0
        assert seen == {"executor": executor, "threads": 1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
        trials.set_default(None)
