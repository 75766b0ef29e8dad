"""run_trials: the same results, in case order, whichever executor runs the trials."""

from __future__ import annotations

import numpy as np
import pytest

from slt_check.runtime.trials import _spec, run_trials


def _trial(case: dict) -> dict:
    rng = np.random.default_rng(case["seed"])
    return {"seed": case["seed"], "x": float(rng.standard_normal())}


CASES = [{"seed": s} for s in range(12)]


@pytest.mark.parametrize("executor", ["serial", "processes:2", "dask-local:2"])
def test_every_executor_gives_the_serial_results(executor: str) -> None:
    if executor.startswith("dask"):
        pytest.importorskip("distributed")
    from slt_check.runtime.trials import close_clients

    seen: list[int] = []
    try:
        got = run_trials(_trial, CASES, executor=executor, on_result=lambda i, r: seen.append(i))
    finally:
        close_clients()
    assert got == [_trial(c) for c in CASES]
    assert sorted(seen) == list(range(len(CASES)))


def test_a_function_from_a_file_module_ships_by_value() -> None:
    """Figure scripts are loaded from files (not importable by name); their trial functions still run
    on worker processes."""
    import types

    mod = types.ModuleType("not_importable_anywhere")
    exec("def f(c):\n    return c['seed'] * 2\n", mod.__dict__)  # noqa: S102
    assert run_trials(mod.f, CASES[:4], executor="processes:2") == [0, 2, 4, 6]


@pytest.mark.parametrize("bad", ["processes:0", "dask-local:x", "fast", "processes"])
def test_bad_executors_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="scheduler"):
        _spec(bad, None)
    with pytest.raises(ValueError, match="workers"):
        _spec(None, 0)
