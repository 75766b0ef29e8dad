"""Root conftest: Hypothesis profiles ``dev``, ``ci`` and ``thorough``.

Pick one with ``HYPOTHESIS_PROFILE=<name>``; the default is ``ci`` when the ``CI``
environment variable is set (as in ``.ci/run``), else ``dev``.

* ``dev``: 20 examples, no deadline, local example database — the edit/test loop.
* ``ci``: derandomised (deterministic in a fresh clone), 30 examples, no database.
* ``thorough``: 1000 examples, random seed, database on; ``target()`` hunts worst cases.
  ``thorough`` also runs tests marked ``slow``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    parent=settings.get_profile("default"),
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("default"),
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``slow`` tests unless asked for (``-m slow``) or under the thorough profile."""
    if PROFILE == "thorough" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or HYPOTHESIS_PROFILE=thorough")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
