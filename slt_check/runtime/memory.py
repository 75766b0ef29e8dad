"""Memory budgets: estimate a command's peak from its plan *before* allocating, and refuse beyond it.

The estimates are deliberately simple upper-bound-style counts of the big arrays (bytes per ``G``
parameter, per candidate, per kept entry), calibrated on measured peaks (``benchmarks/run.py`` records
the peak RSS of every case, docs/scale.md) and checked by ``tests/test_hostile_io.py`` (work refused
under ``--max-memory`` before it allocates, the process's peak staying below the limit); they decide
only whether to start, never a result.

* dense build: ``G`` (8 B/param), its masks (1 B), the ticket's weights (8 B), a copy while saving
  (8 B) and the ``G`` regenerated to verify the ticket (8 B) — 34 B per ``G`` parameter (measured:
  17–31 B before verification), plus the candidates;
* lazy build: per worker one chunk of candidates (``CHUNK_CANDIDATES`` × a few float64 arrays), one
  stream of ``N`` samples, plus the kept entries (3 arrays of 8 B per kept entry);
* checking a compact ticket: the kept entries and one regenerated stream of ``N`` samples per worker,
  plus :data:`WORKER_BYTES` per worker process;
* reading a file: every numeric array at its declared size *and* its float64 copy
  (:func:`slt_check.io.npz_io.array_bytes`: a 1-byte ``int8`` array costs 9 bytes per entry once converted); a compact
  ticket also allocates index arrays over every neuron of the ``G`` its metadata declares
  (:func:`compact_read_bytes`); a target 3 float64 arrays per weight (:data:`BYTES_PER_TARGET_WEIGHT`);
* training masks (``edge-popup``): :data:`BYTES_PER_ACTIVATION` per input of the batch and ``G`` neuron.
"""

from __future__ import annotations

import os
import re
from typing import Any

__all__ = [
    "DEFAULT_FRACTION",
    "OverLimit",
    "set_limit",
    "limit",
    "total_memory",
    "default_limit",
    "parse_size",
    "format_size",
    "require",
    "dense_build_bytes",
    "lazy_build_bytes",
    "compact_read_bytes",
    "target_bytes",
    "workers_bytes",
]

DEFAULT_FRACTION = 0.6
"""Default ``--max-memory``: this fraction of the machine's physical memory."""

BYTES_PER_DENSE_PARAM = 34
BYTES_PER_CANDIDATE = 8 * 6  # rows, a, b, products and two work arrays (float64/int64)
BYTES_PER_KEPT = 8 * 3 * 3  # rows, cols, vals; concatenations and sorting copies
BASELINE = 400 * 2**20  # interpreter, numpy, scipy, torch
WORKER_BYTES = 100 * 2**20  # a forked worker process's own pages (its interpreter state and buffers)
BYTES_PER_TARGET_WEIGHT = 8 * 3  # the weights, the draw they come from, the digest's contiguous copy
BYTES_PER_ACTIVATION = 8 * 6  # pre-activations, activations, their gradients (float64), masks


def total_memory() -> int:
    """Physical memory in bytes (``/proc/meminfo`` MemTotal, else ``sysconf``; 8 GiB if unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - exotic platforms
        return 8 * 2**30


def default_limit() -> int:
    """:data:`DEFAULT_FRACTION` of :func:`total_memory`, or ``SLT_CHECK_MAX_MEMORY`` (e.g. ``8G``)
    when that environment variable is set."""
    env = os.environ.get("SLT_CHECK_MAX_MEMORY")
    if env:
        return parse_size(env)
    return int(DEFAULT_FRACTION * total_memory())


_LIMIT: int | None = None


def set_limit(n_bytes: int | None) -> None:
    """Set the process-wide memory limit every builder checks (``None``: back to the default)."""
    global _LIMIT
    _LIMIT = None if n_bytes is None else int(n_bytes)


def limit() -> int:
    """The memory limit in force: :func:`set_limit`'s, else :func:`default_limit`."""
    return default_limit() if _LIMIT is None else _LIMIT


_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "kib": 2**10, "m": 2**20, "mb": 2**20, "mib": 2**20,
          "g": 2**30, "gb": 2**30, "gib": 2**30, "t": 2**40, "tb": 2**40, "tib": 2**40}


def parse_size(text: str | int | float) -> int:
    """``"8G"``, ``"512MiB"``, ``"1.5gb"``, ``1e9`` → bytes (binary units); ``ValueError`` otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*", str(text))
        if not m or m.group(2).lower() not in _UNITS:
            raise ValueError(f"max-memory: expected a size like 8G, 512M or 2.5GiB, got {text!r}")
        value, unit = float(m.group(1)), m.group(2).lower()
    b = value * _UNITS[unit]
    if not (b >= 1 and b < 2**63):
        raise ValueError(f"max-memory: must be a positive size, got {text!r}")
    return int(b)


def format_size(n: float) -> str:
    """Bytes in the largest binary unit that keeps the number ≥ 1 (``"3.2 GiB"``)."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


class OverLimit(ValueError):  # noqa: N818 - a ValueError: bad input for the CLI (exit 2)
    """Raised by :func:`require`: the work would exceed the memory limit (nothing was allocated)."""


def require(need: float, limit: int, what: str, way_out: str) -> None:
    """``MemoryError``-free refusal: :class:`OverLimit` (a ``ValueError``) when ``need`` bytes exceed
    ``limit``."""
    if need > limit:
        raise OverLimit(
            f"{what} needs about {format_size(need)}, more than the memory limit of {format_size(limit)} "
            f"(--max-memory); {way_out}"
        )


def dense_build_bytes(plan: Any, max_layer_weights: int) -> float:
    """Peak estimate of a dense build from its plan: :data:`BYTES_PER_DENSE_PARAM` per ``G`` parameter
    (``G``, masks, ticket weights, the copy regenerated to verify it) plus the candidates of the largest
    target layer (``N`` per weight, :data:`BYTES_PER_CANDIDATE` each). ``plan``: a construction's
    :class:`~slt_check.tickets.plan.Plan` (read by attribute)."""
    g = float(plan.G_params)
    n = float(plan.n_samples)
    return BASELINE + BYTES_PER_DENSE_PARAM * g + BYTES_PER_CANDIDATE * n * max_layer_weights


def lazy_build_bytes(plan: Any, n_weights: int, jobs: int, chunk_candidates: int) -> float:
    """Peak estimate of a lazy build: per worker a chunk of candidates and a stream of ``N`` samples,
    plus the kept entries (at most ``2 × digits`` per weight-half; ``4·M·W`` bounds them for the
    digit rules, ``2·N`` per weight for subset sums)."""
    n = float(plan.n_samples)
    chunk = max(float(chunk_candidates), n)  # a chunk holds at least one block of N candidates
    M = getattr(plan, "M", None)
    kept_per_weight = min(2.0 * n, 4.0 * float(n if M is None else M))
    per_worker = BYTES_PER_CANDIDATE * chunk + 8.0 * n
    return BASELINE * max(1, jobs) + per_worker * max(1, jobs) + BYTES_PER_KEPT * kept_per_weight * n_weights


def compact_read_bytes(g_widths: Any, n_kept: float) -> float:
    """Reading a compact ticket: two int64 index arrays over every ``G`` neuron (live sets, CSR row
    pointers) and :data:`BYTES_PER_KEPT` per kept entry."""
    return 16.0 * float(sum(float(n) for n in g_widths)) + BYTES_PER_KEPT * float(n_kept)


def target_bytes(n_weights: float) -> float:
    """A target of ``n_weights`` weights in memory: :data:`BYTES_PER_TARGET_WEIGHT` each."""
    return BYTES_PER_TARGET_WEIGHT * float(n_weights)


def workers_bytes(jobs: int) -> float:
    """The worker processes of ``--jobs N`` (none for ``N = 1``): :data:`WORKER_BYTES` each."""
    return WORKER_BYTES * (jobs if jobs > 1 else 0)
