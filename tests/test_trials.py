"""run_trials: the same results, in case order, whichever executor runs the trials."""

from __future__ import annotations

import numpy as np
import pytest

from slt_check.runtime.trials import _spec, run_trials


def _trial(case: dict) -> dict:
    rng = np.random.default_rng(case["seed"])
    return {"seed": case["seed"], "x": float(rng.standard_normal())}


CASES = [{"seed": s} for s in range(12)]


@pytest.mark.parametrize("executor", ["serial", "processes:1", "processes:2", "dask-local:2"])
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


def _big(x: int) -> bool:
    return x >= 5


@pytest.mark.parametrize("executor", ["serial", "processes:2"])
def test_run_trials_until_returns_the_serial_prefix(executor: str) -> None:
    """The early stop is taken in case order: the same prefix on every executor (stop at the 2nd
    'big' value), and the whole list when the stop never fires."""
    from slt_check.runtime.trials import run_trials_until

    cases = [1, 7, 2, 3, 9, 4, 8, 0]
    got = run_trials_until(_big, cases, lambda r: sum(r) >= 2, executor=executor)
    assert got == [False, True, False, False, True]
    assert run_trials_until(_big, cases, lambda r: False, executor=executor) == [_big(c) for c in cases]
    with pytest.raises(ValueError, match="block"):
        run_trials_until(_big, cases, lambda r: False, executor=executor, block=0)


def test_converted_loops_give_the_serial_result_on_two_processes(monkeypatch) -> None:
    """Loops of the claims and experiments routed through run_trials (the minimal-width failure count
    with its early stop, R10's success-rate check) give the same result on ``processes:2``."""
    import slt_check.runtime.trials as trials
    from slt_check.claims import checks as C
    from slt_check.constructions.base import Problem
    from slt_check.core.stats import seed_grid
    from slt_check.experiments.minwidth import failures_at
    from slt_check.tickets.targets import random_target

    prob = Problem((2, 1), 0.1, 0.2)
    seeds = seed_grid(11, 12)
    target = random_target([2, 1], 1.0, 3)

    def run() -> tuple:
        early = failures_at("orseau", {}, prob, 6, seeds)  # a width that fails: stops early
        full = failures_at("orseau", {}, prob, 6, seeds, early_stop=False)
        rate = C.check_success_rate(target, 0.1, 0.2, seeds[:6], n_samples=20)
        return early, full, rate.holds, rate.details

    monkeypatch.setattr(trials, "_DEFAULT", "serial")
    serial = run()
    assert not serial[0].complete and serial[1].complete and serial[0].k < serial[1].k  # the stop was taken
    monkeypatch.setattr(trials, "_DEFAULT", "processes:2")
    assert run() == serial


FORKED_TORCH = """
import torch
from slt_check.runtime.trials import run_trials

def trial(seed):
    x = torch.rand(2000, 2000, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return float(x.max(dim=1).values.sum())

torch.set_num_threads(2)
torch.rand(2000, 2000, dtype=torch.float64).max(dim=1)  # the parent starts its OpenMP thread team
assert run_trials(trial, [0, 1, 2], executor="processes:2") == [trial(s) for s in (0, 1, 2)]
"""


def test_forked_workers_run_torch_after_the_parent_did() -> None:
    """A worker forked from a parent that had run a multi-threaded torch op finishes its torch trials (a forked
    worker waiting on the parent's OpenMP thread team hung ``--scheduler processes:N`` sweeps forever)."""
    import subprocess
    import sys

    pytest.importorskip("torch")
    try:
        subprocess.run([sys.executable, "-c", FORKED_TORCH], check=True, timeout=90, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("processes:2 hung in a torch op after the parent had used torch")


def _default_in_worker(case: int) -> str:
    from slt_check.runtime import trials

    return trials.describe()


def test_trials_nested_in_a_worker_run_serially(monkeypatch) -> None:
    """A trial that runs trials of its own (a sweep point's seed loop) runs them serially in its worker: a forked
    worker inherits the parent's default executor and would otherwise start a pool of its own per trial."""
    from slt_check.runtime import trials

    monkeypatch.setattr(trials, "_DEFAULT", "processes:2")
    assert run_trials(_default_in_worker, [0, 1, 2]) == ["serial"] * 3
