"""`slt-check build --construction edge-popup`: the budget options, progress with the best certified
error, and a failed search that saves nothing without --allow-failure."""

from __future__ import annotations

import numpy as np
import pytest

from slt_check.cli.main import main

pytest.importorskip("torch")

BASE = ["build", "--target", "random:2-2-1", "--construction", "edge-popup", "--option", "source=pensia",
        "--option", "n_samples=8", "--option", "steps=40", "--option", "time_limit=5"]


@pytest.mark.parametrize("budget", [["--option", "budget=per_layer", "--option", "k=40"],
                                    ["--option", "budget=global", "--option", "fraction=0.5"]])
def test_budget_options_and_progress(tmp_path, capsys, budget) -> None:
    out = tmp_path / "t.npz"
    rc = main(BASE + budget + ["--eps", "0.5", "--allow-failure", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc in (0, 1, 3) and out.is_file()
    assert "best certified so far" in err  # the MILP ran at least once (milp_when="always")
    with np.load(out, allow_pickle=False) as z:
        assert z is not None
    assert main(["check", str(out), "--json"]) in (0, 1)


def test_failed_search_saves_nothing_without_allow_failure(tmp_path, capsys) -> None:
    out = tmp_path / "f.npz"
    rc = main(BASE + ["--option", "k=40", "--eps", "1e-4", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 3 and not out.exists()
    assert "search" in err
    rc = main(BASE + ["--option", "k=40", "--eps", "1e-4", "--allow-failure", "--out", str(out)])
    assert rc == 3 and out.is_file()


@pytest.mark.parametrize("opt", ["budget=layer", "fraction=2", "optimizer=rmsprop"])
def test_bad_edge_popup_options_exit_2(tmp_path, capsys, opt) -> None:
    rc = main(BASE + ["--option", opt, "--eps", "0.1", "--out", str(tmp_path / "b.npz")])
    assert rc == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
