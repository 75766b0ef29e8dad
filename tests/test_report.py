"""``slt-check report``: report.md with the slack table, figures and captions; README block."""

from __future__ import annotations

import pytest

from slt_check.cli.main import main
from slt_check.experiments.report import (
    README_END,
    README_START,
    ledger_section,
    readme_block,
    run_report,
    update_readme,
)


def test_report_writes_figures_and_markdown(tmp_path) -> None:
    path = run_report(tmp_path, "small", figures=("coverage", "depth"), ledger=False)
    text = path.read_text()
    for name in ("coverage", "depth"):
        assert f"figures/fig_{name}.png" in text
        assert (tmp_path / "figures" / f"fig_{name}.svg").is_file()
        assert (tmp_path / "data" / f"{name}.json").is_file()
    assert "Loosest bound" in text and "claim 16" in text


def test_cli_report(tmp_path, capsys) -> None:
    rc = main(["report", "--scale", "small", "--out", str(tmp_path), "--figure", "coverage", "--no-ledger"])
    assert rc == 0 and (tmp_path / "report.md").is_file()
    assert main(["report", "--scale", "small", "--out", str(tmp_path), "--figure", "nope"]) == 2
    assert "--figure" in capsys.readouterr().err


def test_bad_scale() -> None:
    with pytest.raises(ValueError, match="scale"):
        run_report("unused", "huge")


def test_readme_block_replaces_only_between_markers(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"top\n{README_START}\nold\n{README_END}\nbottom\n")
    update_readme({"samples": "cap one"}, tmp_path / "nothing", readme)
    text = readme.read_text()
    assert text.startswith("top\n") and text.endswith("bottom\n") and "old" not in text
    assert "*cap one*" in text and readme_block({}).startswith(README_START)
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="markers"):
        update_readme({}, tmp_path, readme)


def test_ledger_section_is_text(tmp_path) -> None:
    s = ledger_section(tmp_path, "small")
    assert isinstance(s, str) and s.strip()
