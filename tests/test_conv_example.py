"""examples/digits_cnn.py --quick: a trained CNN, both torch forms, built/checked/exported by the CLI only."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits_cnn.py"


def test_digits_cnn_quick(tmp_path) -> None:  # noqa: ANN001
    spec = importlib.util.spec_from_file_location("digits_cnn_example", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.run(tmp_path, quick=True)
    row = res["constructions"]["conv-orseau"]
    assert (row["build_exit"], row["check_exit"], row["export_exit"]) == (0, 0, 0)
    assert row["certified"] <= res["eps"] and row["found"] <= row["certified"]
    assert row["ticket_test_accuracy"] == res["target_test_accuracy"] > 0.5
    assert res["whole_module_build_exit"] == 0
