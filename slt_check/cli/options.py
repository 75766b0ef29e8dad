"""Argument types and option groups shared by the ``slt-check`` subcommands.

A type turns one command-line string into a value or raises :class:`argparse.ArgumentTypeError`
with a line that names the option, what was given and what is expected (argparse turns it into
exit code 2). :func:`add_memory` and :func:`add_scale_out` add the ``--max-memory`` and the
``--scheduler``/``--workers`` options to a subcommand's parser.
"""

from __future__ import annotations

import argparse
import math

from slt_check.runtime.memory import DEFAULT_FRACTION, default_limit, format_size, parse_size

__all__ = ["finite_number", "positive_count", "seed_value", "memory_size", "add_memory", "add_scale_out"]


def finite_number(name: str):  # noqa: ANN202
    """A type for option ``name``: a finite float (``nan`` and ``±inf`` are refused)."""

    def conv(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected a number, got {s!r}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{name}: must be finite, got {s!r}")
        return v

    return conv


def positive_count(name: str):  # noqa: ANN202
    """A type for option ``name``: an integer ``≥ 1``."""

    def conv(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected a positive integer, got {s!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"{name}: must be ≥ 1, got {s!r}")
        return v

    return conv


def seed_value(s: str) -> int:
    """A seed: an integer in ``[0, 2^63)``."""
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed: expected a non-negative integer, got {s!r}") from None
    if v < 0 or v >= 2**63:
        raise argparse.ArgumentTypeError(f"seed: must be in [0, 2^63), got {s!r}")
    return v


def memory_size(s: str) -> int:
    """A size in bytes, ``8G``, ``512M`` or a plain number (:func:`slt_check.runtime.memory.parse_size`)."""
    try:
        return parse_size(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_memory(p: argparse.ArgumentParser) -> None:
    """Add ``--max-memory SIZE`` (default: a fraction of this machine's memory) to ``p``."""
    p.add_argument("--max-memory", type=memory_size, default=None, metavar="SIZE",
                   help="refuse work whose estimated peak exceeds SIZE (e.g. 8G, 512M; also the environment "
                   f"variable SLT_CHECK_MAX_MEMORY); default "
                   f"{DEFAULT_FRACTION * 100:.0f}%% of this machine's memory ({format_size(default_limit())})")


def add_scale_out(p: argparse.ArgumentParser) -> None:
    """Add ``--scheduler ADDRESS`` and ``--workers N`` (where the trials run) to ``p``."""
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the trials on a dask.distributed scheduler (dask:tcp://host:port), a local dask "
                   "cluster (dask-local:N) or local processes (processes:N); results are identical to a serial "
                   "run (every trial is seeded from its case); a scheduler that does not answer within 30 s "
                   "stops the command (exit 2)")
    p.add_argument("--workers", type=positive_count("workers"), default=None,
                   help="start a local dask cluster of N worker processes (same as --scheduler dask-local:N)")
