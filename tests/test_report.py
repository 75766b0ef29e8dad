"""``slt-check report``: report.md with the slack table, figures and captions; README block."""

from __future__ import annotations

import pytest

from slt_check.claims import ledger
from slt_check.cli.main import main
from slt_check.experiments.plotting import DATA_DIR, read_json
from slt_check.experiments.report import (
    README_END,
    README_START,
    failure_rows,
    ledger_section,
    readme_block,
    run_report,
    shared_quantity_mismatches,
    slack_table,
    update_readme,
)

SHARED = ("width_vs_eps", "depth", "pensia_delta")
"""Committed figure data that carries quantities the ledger also reports."""


def test_report_writes_figures_and_markdown(tmp_path) -> None:
    path = run_report(tmp_path, "small", figures=("coverage", "depth"), ledger=False)
    text = path.read_text()
    for name in ("coverage", "depth"):
        assert f"figures/fig_{name}.png" in text
        for ext in ("pdf", "svg", "png"):
            assert (tmp_path / "figures" / f"fig_{name}.{ext}").is_file()
        assert (tmp_path / "data" / f"{name}.json").is_file()
    assert "Loosest bound" in text and "claim 16" in text


def test_cli_report(tmp_path, capsys) -> None:
    rc = main(["report", "--scale", "small", "--out", str(tmp_path), "--figure", "coverage", "--no-ledger"])
    assert rc == 0 and (tmp_path / "report.md").is_file()
    assert main(["report", "--scale", "small", "--out", str(tmp_path), "--figure", "nope"]) == 2
    assert "--figure" in capsys.readouterr().err


def test_paper_scale_uses_the_paper_or_full_configs() -> None:
    """``--scale paper`` runs each figure's ``paper`` config where it has one, else its ``full`` config, and
    the ledger at ``ci`` with the rate claims as recorded (the numbers ``paper_claims.md`` shows); ``full``
    re-measures the ledger at ``full``."""
    from slt_check.experiments.plotting import load_figure_module
    from slt_check.experiments.report import LEDGER_SCALES, figure_config

    mod = load_figure_module("width_vs_eps")
    assert figure_config(mod, "paper") == mod.CONFIGS.get("paper", mod.CONFIGS["full"])
    from slt_check.experiments.report import RECORDED_RATES_AT

    assert LEDGER_SCALES["paper"] == "ci" and LEDGER_SCALES["quick"] == "ci" and LEDGER_SCALES["full"] == "full"
    assert "paper" in RECORDED_RATES_AT and "full" not in RECORDED_RATES_AT


def test_bad_scale() -> None:
    with pytest.raises(ValueError, match="scale"):
        run_report("unused", "huge")


def test_readme_block_replaces_only_between_markers(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"top\n{README_START}\nold\n{README_END}\nbottom\n")
    update_readme({"width_vs_eps": "cap one"}, tmp_path / "nothing", readme)
    text = readme.read_text()
    assert text.startswith("top\n") and text.endswith("bottom\n") and "old" not in text
    assert "*cap one*" in text and readme_block({}).startswith(README_START)
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        update_readme({}, tmp_path, readme)


def test_ledger_section_is_text(tmp_path) -> None:
    s = ledger_section(tmp_path, "small")
    assert isinstance(s, str) and s.strip()


def test_committed_figures_and_the_ledger_record_agree() -> None:
    """One quantity, one number: every quantity a committed figure shares with the recorded ledger
    (properties/ledger_results.json, what paper_claims.md shows) — P-fig1's κ and costs, P-size's and P-depth's
    minimal widths, P-pensia-delta's rate tests — and the report's slack rows are the same numbers."""
    data = {n: read_json(DATA_DIR / f"{n}.json") for n in SHARED}
    assert shared_quantity_mismatches(data, ledger.load_results(ledger.RECORD_PATH)) == []


def test_shared_quantity_check_can_fail() -> None:
    data = {n: read_json(DATA_DIR / f"{n}.json") for n in SHARED}
    record = ledger.load_results(ledger.RECORD_PATH)
    data["width_vs_eps"]["pair_search"][-1]["kappa"] += 0.01
    data["depth"]["ledger_depth"]["rows"][0]["minimal_M"] += 1
    data["pensia_delta"]["ledger_cases"][0]["k"] += 1
    label, s = next(iter(data["width_vs_eps"]["series"].items()))
    s["rows"][0]["slack"] = (s["rows"][0]["slack"] or 1.0) * 2
    bad = shared_quantity_mismatches(data, record)
    assert any("P-fig1" in b for b in bad) and any("P-depth" in b for b in bad)
    assert any("P-pensia-delta" in b for b in bad) and any(label in b for b in bad)


def test_failures_counted_once_per_ticket() -> None:
    """Figures that draw the same tickets (samples and error; depth and propagation) share one row; the
    failure figure counts only widths at or above the formula width."""
    data = {n: read_json(DATA_DIR / f"{n}.json") for n in ("samples", "error", "depth", "propagation", "failure")}
    rows = {r["tickets"]: r for r in failure_rows(data)}
    assert rows["ε sweep"]["figures"] == ["samples", "error"]
    assert rows["depth sweep"]["figures"] == ["depth", "propagation"]
    fl = data["failure"]
    assert rows["failure"]["k"] == sum(r["k"] for s in fl["series"].values() for r in s["rows"]
                                       if r["n_samples"] >= s["n_formula"])
    assert slack_table({"width_vs_eps": read_json(DATA_DIR / "width_vs_eps.json")})


# ------------------------------------------------------------------ --constructions


def test_constructions_restrict_each_kind_of_figure() -> None:
    from slt_check.experiments.plotting import FIGURES, load_figure_module
    from slt_check.experiments.report import FIGURE_CONSTRUCTIONS, figure_config, restrict_config

    for name in FIGURES:
        mod = load_figure_module(name)
        assert name in FIGURE_CONSTRUCTIONS or hasattr(mod, "DRAWS_CONSTRUCTIONS"), name
        for scale in ("small", "quick"):
            cfg = figure_config(mod, scale)
            assert restrict_config(name, mod, cfg, None) is cfg  # the default leaves every config as it is
    mod = {n: load_figure_module(n) for n in ("failure", "biases", "axes", "coverage", "width_vs_eps")}
    quick = {n: figure_config(m, "quick") for n, m in mod.items()}
    assert restrict_config("width_vs_eps", mod["width_vs_eps"], quick["width_vs_eps"], ("malach",))["labels"] == [
        "malach"]
    assert restrict_config("failure", mod["failure"], quick["failure"], ("orseau",))["labels"] == [
        "orseau/per_weight", "orseau/per_input"]
    small_failure = figure_config(mod["failure"], "small")  # labels: orseau/per_input only
    assert restrict_config("failure", mod["failure"], small_failure, ("pensia",)) is None
    b = restrict_config("biases", mod["biases"], quick["biases"], ("pensia", "malach"))
    assert [c["construction"] for c in b["constructions"]] == ["pensia"]
    assert restrict_config("axes", mod["axes"], quick["axes"], ("pensia",)) is None
    assert restrict_config("coverage", mod["coverage"], quick["coverage"], ("pensia",)) == quick["coverage"]


def test_report_restricted_to_constructions(tmp_path, capsys) -> None:
    """quick scale, but cheap: certificate_gap reads the committed benchmark, depth is left out unrun."""
    path = run_report(tmp_path, "quick", figures=("certificate_gap", "coverage", "depth"), ledger=False,
                      constructions=("pensia",))
    text = path.read_text()
    assert "Restricted to the constructions pensia" in text and "Left out (none of these constructions): depth" in text
    assert "figures/fig_coverage.png" in text and "fig_depth" not in text
    gap = read_json(tmp_path / "data" / "certificate_gap.json")
    assert {p["construction"] for p in gap["points"]} == {"pensia"} and set(gap["largest_solved"]) == {"pensia"}
    full = read_json(DATA_DIR / "certificate_gap.json")  # the committed, unrestricted data has both
    assert {p["construction"] for p in full["points"]} == {"orseau", "pensia"}
    base = ["report", "--scale", "small", "--out", str(tmp_path / "x"), "--no-ledger", "--figure", "coverage"]
    capsys.readouterr()
    assert main([*base, "--constructions", "orseau,nope"]) == 2
    err = capsys.readouterr().err
    assert "--constructions: unknown 'nope'; choose from" in err and "pensia" in err and err.count("\n") == 1
    assert main([*base, "--constructions", "pensia", "--update-repo"]) == 2
    assert "not with --update-repo" in capsys.readouterr().err
    assert not (tmp_path / "x" / "report.md").exists()
