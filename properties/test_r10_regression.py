"""CI regression against the floors of ``properties/baseline.json`` (written only by
``slt-check ledger --update-baseline``), and the ledger's freshness.

* every claim that is not a probability claim (those are asserted on their own case tables by their
  property tests), peers included, is re-measured at the ``smoke`` scale; its verdict may never be
  worse than recorded (``holds`` < ``inconclusive``/``vacuous`` < ``violated``) and its slack never
  below ``band ×`` the recorded slack (band 0.5, stated in the baseline). Tolerances only: nothing is
  compared exactly and nothing is skipped on the numpy version;
* ``slt-check ledger --check`` passes: ``paper_claims.md`` is the rendering of the recorded results
  ``properties/ledger_results.json``, whose case tables are the code's.
"""

from __future__ import annotations

import json

import pytest

from slt_check.claims import ledger


@pytest.fixture(scope="module")
def snapshot() -> dict:
    return ledger.regression_snapshot()


@pytest.fixture(scope="module")
def baseline() -> dict:
    if not ledger.BASELINE_PATH.is_file():
        pytest.fail("properties/baseline.json missing: run `slt-check ledger --update-baseline`")
    return json.loads(ledger.BASELINE_PATH.read_text())


def test_baseline_covers_every_regression_claim(baseline: dict) -> None:
    missing = set(ledger.regression_ids()) - set(baseline["claims"])
    assert not missing, f"claims without a floor: {sorted(missing)}; run `slt-check ledger --update-baseline`"


def test_verdicts_never_worse(snapshot: dict, baseline: dict) -> None:
    diff = ledger.compare_snapshot(snapshot, baseline)
    assert not diff["verdicts"] and not diff["missing"], "\n".join(diff["verdicts"] + diff["missing"])


def test_slack_above_floor(snapshot: dict, baseline: dict) -> None:
    diff = ledger.compare_snapshot(snapshot, baseline)
    assert not diff["slack"], "slack below its floor:\n" + "\n".join(diff["slack"])


def test_ledger_check_passes() -> None:
    from slt_check.cli.main import main

    assert main(["ledger", "--check"]) == 0, "paper_claims.md is stale: run `slt-check ledger --run --scale ci`"
