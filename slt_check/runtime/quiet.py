"""Silence native libraries that print on their own (HiGHS, through ``scipy.optimize.milp``).

HiGHS writes some diagnostics (e.g. ``HighsMipSolverData::transformNewIntegerFeasibleSolution
tmpSolver.run();``) with C ``printf`` straight to file descriptor 1, whatever ``disp=False`` says, so
Python-level redirection cannot catch them and they would land in the middle of a verdict or a
report. :func:`quiet_native_output` points descriptors 1 and 2 at ``/dev/null`` for the duration of a
call (and Python's ``sys.stdout``/``sys.stderr`` at ``/dev/null`` too), flushes C's stdio buffers before giving them back (so nothing leaks out later), and ignores the
``RuntimeWarning`` that scipy raises about solver options.
"""

from __future__ import annotations

import ctypes
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout

__all__ = ["quiet_native_output"]


def _flush_c_stdio() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library to flush
        pass


@contextmanager
def quiet_native_output() -> Iterator[None]:
    """Within the block, nothing written to descriptors 1 and 2 (by Python or by C) is shown, and
    ``RuntimeWarning`` is ignored. When the descriptors cannot be duplicated (closed), only the
    warnings are silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        try:
            saved = [os.dup(1), os.dup(2)]
        except OSError:
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            with open(os.devnull, "w", encoding="utf-8") as sink, redirect_stdout(sink), redirect_stderr(sink):
                yield
        finally:
            _flush_c_stdio()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in (*saved, devnull):
                os.close(fd)
