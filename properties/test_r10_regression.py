"""CI regression against ``properties/baseline.json`` (written only by
``slt-check ledger --update-baseline``).

Fails when, at the ``smoke`` scale (fixed seeds):

* a construction needs more (or fewer) neurons: ``M``, ``N_w``, neurons and parameters of ``G`` per
  end-to-end case are deterministic formulas → compared **exactly**;
* a claim's verdict changes (compared exactly);
* it loses accuracy: certified or found error above the baseline by more than ``rtol = 1e-6``, a
  different number of kept weights, or a claim's slack off by more than ``rtol`` — compared only when
  numpy's version is the recorded one (random streams may change across numpy versions).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from slt_check import ledger

RTOL = 1e-6


@pytest.fixture(scope="module")
def snapshot() -> dict:
    return ledger.regression_snapshot("smoke")


@pytest.fixture(scope="module")
def baseline() -> dict:
    if not ledger.BASELINE_PATH.is_file():
        pytest.fail("properties/baseline.json missing: run `slt-check ledger --update-baseline`")
    return json.loads(ledger.BASELINE_PATH.read_text())


def test_sizes_unchanged(snapshot: dict, baseline: dict) -> None:
    diff = ledger.compare_snapshot(snapshot, baseline, RTOL)
    assert not diff["sizes"], "construction sizes changed:\n" + "\n".join(diff["sizes"])


def test_verdicts_unchanged(snapshot: dict, baseline: dict) -> None:
    diff = ledger.compare_snapshot(snapshot, baseline, RTOL)
    assert not diff["verdicts"], "claim verdicts changed:\n" + "\n".join(diff["verdicts"])


def test_seeded_values_unchanged(snapshot: dict, baseline: dict) -> None:
    if baseline["numpy"] != np.__version__:
        pytest.skip(f"numpy {np.__version__} != recorded {baseline['numpy']}: seeded values not compared")
    diff = ledger.compare_snapshot(snapshot, baseline, RTOL)
    assert not diff["seeded"], "accuracy or slack regressed:\n" + "\n".join(diff["seeded"])
