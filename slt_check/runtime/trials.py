"""The one place that runs many independent trials: serially, on local processes, or on dask.

A *trial* is a pure function of its case: ``fn(case) -> result``, with every random draw seeded from
the case (pre-registered seeds). So the results — returned in case order — are the same value for
value whichever executor runs them; only the wall time changes.

Executors (:func:`executor_from`):

* ``None`` / ``"serial"``: in this process;
* ``"processes:N"`` (or ``workers=N``): ``N`` local worker processes (:mod:`slt_check.runtime.workers`);
* ``"dask:ADDRESS"`` (e.g. ``dask:tcp://10.0.0.5:8786``): a running ``dask.distributed`` scheduler, which
  must accept the connection and answer within :data:`CONNECT_TIMEOUT_S` (else ``ValueError``);
  ``"dask-local:N"``: a local dask cluster of ``N`` single-threaded worker processes.

``slt-check report``, ``compare`` (and ``ledger``) take ``--scheduler`` and ``--workers`` and set the
process-wide default with :func:`set_default`; :func:`run_trials` uses it when not given one.
Functions are shipped with ``cloudpickle`` (figure scripts are loaded from files, not importable by
name). A progress bar (tqdm) shows completed trials either way. A *script* that runs trials on local
worker processes must guard its entry point with ``if __name__ == "__main__":`` (the workers import
the main module); the ``slt-check`` command needs nothing.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import as_completed
from contextlib import contextmanager
from typing import Any

from tqdm.auto import tqdm

from slt_check.runtime.workers import process_pool

__all__ = ["run_trials", "run_trials_until", "set_default", "executor_from", "describe", "close_clients"]

_DEFAULT: str | None = None


def set_default(scheduler: str | None = None, workers: int | None = None) -> None:
    """The executor :func:`run_trials` uses when not given one (``None``: serial)."""
    global _DEFAULT
    _DEFAULT = _spec(scheduler, workers)


def _spec(scheduler: str | None, workers: int | None) -> str | None:
    if scheduler and workers:
        if scheduler.startswith("dask-local") or scheduler.startswith("processes"):
            raise ValueError("--workers: give the worker count either in --scheduler or with --workers")
        raise ValueError("--workers: a remote --scheduler has its own workers; --workers starts a local cluster")
    if workers is not None:
        if isinstance(workers, bool) or int(workers) < 1:
            raise ValueError(f"--workers: need a positive number of worker processes, got {workers!r}")
        return "serial" if int(workers) == 1 else f"dask-local:{int(workers)}"
    if scheduler is None or scheduler == "serial":
        return scheduler
    kind, _, arg = scheduler.partition(":")
    if kind in ("processes", "dask-local"):
        if not arg.isdigit() or int(arg) < 1:
            raise ValueError(f"--scheduler: {kind} needs a positive worker count, e.g. {kind}:2; got {scheduler!r}")
        return scheduler
    if kind == "dask" and arg:
        return scheduler
    if "://" in scheduler or ":" in scheduler:  # a bare scheduler address
        return f"dask:{scheduler}"
    raise ValueError(
        f"--scheduler: expected serial, processes:N, dask-local:N or a dask scheduler address (dask:tcp://host:port); "
        f"got {scheduler!r}"
    )


def describe(spec: str | None = None) -> str:
    """A one-line description of the executor in force (for reports)."""
    s = _DEFAULT if spec is None else spec
    return s or "serial"


def _call(payload: bytes, case: Any) -> Any:
    """Run one shipped trial in a worker. Trials nested in it run serially in that worker (a forked worker
    inherits the parent's default executor; without this reset it would start a pool of its own)."""
    import cloudpickle

    global _DEFAULT
    _DEFAULT = None
    return cloudpickle.loads(payload)(case)


@contextmanager
def executor_from(spec: str | None) -> Iterator[Any]:
    """Yield ``map(fn, cases) -> iterator of (index, result)`` for the executor ``spec``."""
    kind, _, arg = (spec or "serial").partition(":")
    if kind == "serial" or (kind == "processes" and arg.strip() == "1"):  # one process: run inline
        yield lambda fn, cases: ((i, fn(c)) for i, c in enumerate(cases))
        return
    import cloudpickle

    if kind == "processes":
        with process_pool(int(arg)) as pool:
            def run(fn: Callable[[Any], Any], cases: Sequence[Any]) -> Iterator[tuple[int, Any]]:
                payload = cloudpickle.dumps(fn)
                futs = {pool.submit(_call, payload, c): i for i, c in enumerate(cases)}
                for f in as_completed(futs):
                    yield futs[f], f.result()

            yield run
        return
    try:
        from distributed import as_completed as dask_as_completed
    except ImportError as exc:  # pragma: no cover - installed with the package
        raise ValueError("--scheduler dask: needs dask.distributed (pip install 'dask[distributed]')") from exc
    client = _dask_client(spec)

    def run(fn: Callable[[Any], Any], cases: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        payload = cloudpickle.dumps(fn)
        futs = [client.submit(_call, payload, c, pure=False) for c in cases]
        index = {f.key: i for i, f in enumerate(futs)}
        try:
            for f in dask_as_completed(futs):
                yield index[f.key], f.result()
        finally:
            client.cancel(futs)

    yield run


_CLIENTS: dict[str, Any] = {}

CONNECT_TIMEOUT_S = 30.0
"""Seconds a ``dask:ADDRESS`` scheduler has to accept the connection *and* answer the client's
handshake; past it the command stops with a ``ValueError`` (exit code 2) instead of waiting forever
(dask's own connect timeout does not cover a peer that accepts and never answers)."""


def close_clients() -> None:
    """Close every dask client (and local cluster) this process started."""
    for spec in list(_CLIENTS):
        client = _CLIENTS.pop(spec)
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_client(spec: str) -> Any:
    """One dask client per executor spec for the life of the process (a local cluster is started
    once, not per sweep), closed at exit."""
    if spec not in _CLIENTS:
        from distributed import Client, LocalCluster

        kind, _, arg = spec.partition(":")
        if kind == "dask-local":
            cluster = LocalCluster(n_workers=int(arg), threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            atexit.register(cluster.close)
        else:
            client = _connect(Client, arg, CONNECT_TIMEOUT_S)
        atexit.register(client.close)
        _CLIENTS[spec] = client
    return _CLIENTS[spec]


def _connect(client_cls: Any, address: str, timeout: float) -> Any:
    """``client_cls(address)`` in a daemon thread, waited for at most ``timeout`` seconds (module
    docstring): ``ValueError`` naming the address when it does not answer or refuses."""
    box: dict[str, Any] = {}

    def go() -> None:
        try:
            box["client"] = client_cls(address, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - reported below as one line
            box["error"] = exc

    th = threading.Thread(target=go, name="slt-check-dask-connect", daemon=True)
    th.start()
    th.join(timeout + 1.0)
    if th.is_alive():
        raise ValueError(f"--scheduler: {address} did not answer within {timeout:g} s (it accepted the connection, "
                         "or none was made); give the address of a running dask scheduler (dask:tcp://host:port)")
    if "error" in box:
        exc = box["error"]
        raise ValueError(f"--scheduler: cannot connect to {address}: {type(exc).__name__}: {exc}")
    return box["client"]


def run_trials(
    fn: Callable[[Any], Any],
    cases: Sequence[Any],
    *,
    executor: str | None = None,
    desc: str = "trials",
    on_result: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """``[fn(c) for c in cases]`` on the executor (module docstring), in case order.

    ``on_result(i, result)`` is called as each trial completes (e.g. to save a resumable file); with
    ``executor=None`` the process-wide default of :func:`set_default` is used."""
    spec = _DEFAULT if executor is None else _spec(executor, None)
    cases = list(cases)
    out: list[Any] = [None] * len(cases)
    done = [False] * len(cases)
    if not cases:
        return out
    with executor_from(spec) as run, tqdm(total=len(cases), desc=desc, disable=None, leave=False) as bar:
        for i, res in run(fn, cases):
            out[i], done[i] = res, True
            if on_result is not None:
                on_result(i, res)
            bar.update(1)
    if not all(done):  # pragma: no cover - an executor lost a trial
        raise RuntimeError(f"{desc}: {done.count(False)} trial(s) returned no result")
    return out


def _parallelism(spec: str | None) -> int:
    """Trials the executor ``spec`` runs at once (1 serial; ``N`` for ``processes:N`` /
    ``dask-local:N``; 8 for a remote scheduler, whose worker count is not known here)."""
    if spec in (None, "serial"):
        return 1
    kind, _, arg = spec.partition(":")
    return int(arg) if kind in ("processes", "dask-local") and arg.isdigit() else 8


def run_trials_until(
    fn: Callable[[Any], Any],
    cases: Sequence[Any],
    stop: Callable[[list[Any]], bool],
    *,
    executor: str | None = None,
    desc: str = "trials",
    block: int | None = None,
) -> list[Any]:
    """The prefix ``[fn(c) for c in cases[:m]]`` of :func:`run_trials`, where ``m`` is the first
    length with ``stop(results[:m])`` true (all of ``cases`` if none): a sequential early stop (e.g.
    "the first failing seed", "the failure count already rejects δ") run on any executor.

    Trials run in blocks of ``block`` cases (default: 1 serially, twice the worker count otherwise);
    ``stop`` is applied to each prefix in case order, so the returned prefix — and every count taken
    from it — is the serial one whichever executor ran it; a parallel executor only computes up to
    one block beyond the stopping point, and discards it."""
    spec = _DEFAULT if executor is None else _spec(executor, None)
    cases = list(cases)
    size = int(block) if block is not None else (1 if _parallelism(spec) == 1 else 2 * _parallelism(spec))
    if size < 1:
        raise ValueError(f"block: need a positive block size, got {block!r}")
    out: list[Any] = []
    with executor_from(spec) as run, tqdm(total=len(cases), desc=desc, disable=None, leave=False) as bar:
        for start in range(0, len(cases), size):
            chunk = cases[start:start + size]
            got: dict[int, Any] = {}
            for i, r in run(fn, chunk):
                got[i] = r
                bar.update(1)
            if len(got) != len(chunk):  # pragma: no cover - an executor lost a trial
                raise RuntimeError(f"{desc}: {len(chunk) - len(got)} trial(s) returned no result")
            for i in range(len(chunk)):
                out.append(got[i])
                if stop(out):
                    return out
    return out


if os.environ.get("SLT_CHECK_SCHEDULER"):  # e.g. SLT_CHECK_SCHEDULER=dask-local:2 pytest …
    set_default(os.environ["SLT_CHECK_SCHEDULER"])
