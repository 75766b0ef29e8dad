"""Worker processes that end with their parent.

:func:`process_pool` is the one place slt_check starts worker processes. Each worker

* asks the kernel (Linux ``PR_SET_PDEATHSIG``) to be sent SIGTERM when its parent dies, so that even
  a ``kill -9`` of the parent leaves no orphan computing on;
* ignores SIGINT: Ctrl-C reaches the whole process group, and the parent alone decides to stop;
* runs torch on one thread (a forked worker cannot use the OpenMP thread team of its parent).

When the ``with`` block ends by an exception — ``KeyboardInterrupt``, the
:class:`~slt_check.io.safe_io.Terminated` of SIGTERM, or an error — pending tasks are cancelled and the
workers are terminated at once instead of being waited for.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

__all__ = ["process_pool", "check_jobs"]

_PR_SET_PDEATHSIG = 1


def check_jobs(jobs: object, name: str = "jobs") -> int:
    """A positive integer number of worker processes (``ValueError`` otherwise)."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"{name}: need a positive integer number of worker processes, got {jobs!r}")
    return jobs


def _one_torch_thread() -> None:
    """Run torch on one thread in a worker. A forked worker inherits the parent's OpenMP thread team but not
    its threads: its first multi-threaded torch op waits forever on that team's barrier (seen as a hung
    ``processes:N`` sweep once the parent had used torch). One thread per worker also keeps ``N`` workers on
    ``N`` cores, as dask's workers run (``OMP_NUM_THREADS=1``)."""
    os.environ["OMP_NUM_THREADS"] = "1"  # a worker that imports torch itself starts with one thread
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _init_worker() -> None:
    _one_torch_thread()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the parent's handler
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


@contextmanager
def process_pool(jobs: int) -> Iterator[ProcessPoolExecutor | None]:
    """A :class:`ProcessPoolExecutor` of ``jobs`` workers (``None`` for ``jobs == 1``: run inline)."""
    jobs = check_jobs(jobs)
    if jobs == 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker)
    try:
        yield pool
    except BaseException:
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        raise
    else:
        pool.shutdown(wait=True)
