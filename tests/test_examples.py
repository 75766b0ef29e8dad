"""examples/digits.py: a trained torch target; every built ticket is valid, certified ≤ ε on the box
‖x‖∞ ≤ 1, and its test accuracy agrees with the target's within 0.5 points."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

pytestmark = pytest.mark.torch

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits.py"


def _load():
    spec = importlib.util.spec_from_file_location("digits_example", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_digits_example_quick(tmp_path, capsys) -> None:
    mod = _load()
    assert mod.main(["--quick", "--hidden", "8", "--epochs", "80", "--eps", "0.05", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "digits.json").read_text())
    assert (tmp_path / "digits_model.pt").is_file() and (tmp_path / "digits_target.pt").is_file()
    assert res["target_test_acc"] > 80.0  # it learned something (10 classes: chance is 10%)
    built = [r for r in res["tickets"] if "ticket_test_acc" in r]
    assert {r["construction"] for r in built} == {"orseau[per_weight]", "orseau[per_input]"}
    for r in built:
        assert r["holds"] and r["found"] <= r["certified"] <= res["eps"]
        assert r["acc_gap_points"] <= 0.5
    assert "orseau[per_input]" in capsys.readouterr().out


def test_scale_to_bound_keeps_predictions() -> None:
    import numpy as np

    from slt_check.tickets.targets import random_target

    mod = _load()
    F = random_target((5, 4, 3), 3.0, 0)
    S, factor = mod.scale_to_bound(F)
    assert max(float(np.abs(W).max()) for W in S.weights) == 1.0
    X = np.random.default_rng(0).uniform(0, 1, (50, 5))
    np.testing.assert_allclose(S(X), factor * F(X), rtol=1e-12, atol=1e-14)
    assert factor > 0


TRAINED = Path(__file__).resolve().parents[1] / "examples" / "trained_mlps.py"


def test_trained_mlp_with_biases_quick(tmp_path) -> None:
    """A 64-16-10 MLP trained with biases (Flatten, Dropout in the Sequential): orseau and pensia
    tickets are certified ≤ ε and keep the test accuracy within 0.5 points."""
    spec = importlib.util.spec_from_file_location("trained_mlps_example", TRAINED)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--quick", "--epochs", "150", "--out", str(tmp_path)]) == 0
    res = json.loads((tmp_path / "trained_mlps.json").read_text())
    assert {r["construction"] for r in res["rows"]} == {"orseau[per_input]", "pensia[certificate]"}
    for r in res["rows"]:
        assert r["target_test_acc"] > 80.0
        assert r["holds"] and r["found"] <= r["certified"] <= res["eps"]
        assert r["acc_gap_points"] <= 0.5
