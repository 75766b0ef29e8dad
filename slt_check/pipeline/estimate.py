"""How long and how much memory one build may take, from its plan only (nothing is sampled).

One constant per kind of work; :func:`estimate_build` combines them into a :class:`BuildEstimate`,
which the resolved :class:`~slt_check.pipeline.request.BuildRequest` carries and ``slt-check build``
prints as it is (the command line has no constant of its own)::

    seconds = G_params · NS_PER_DENSE_PARAM                       (dense)
              W · N · S_PER_LAZY_CANDIDATE (or …_EXACT_CANDIDATE)   (lazy)
            + 2 W · S_PER_EXACT_SEARCH · 2^{(window − 32)/2}      (exact subset-sum rule, whole window)
            + 2 W · S_PER_GROWN_SEARCH                            (exact subset-sum rule, growing prefix)

with ``W`` target weights and ``N`` candidates per weight (the plan's ``n_samples``); the memory is
the peak of :func:`slt_check.runtime.memory.dense_build_bytes` or ``lazy_build_bytes``.

Every read of a plan field in the pipeline goes through :func:`plan_value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from slt_check.constructions.base import Problem

__all__ = [
    "NS_PER_DENSE_PARAM",
    "S_PER_LAZY_CANDIDATE",
    "S_PER_LAZY_EXACT_CANDIDATE",
    "S_PER_EXACT_SEARCH",
    "S_PER_GROWN_SEARCH",
    "LONG_BUILD_S",
    "SLOW_EXACT_WEIGHTS",
    "BuildEstimate",
    "estimate_build",
    "plan_value",
]

NS_PER_DENSE_PARAM = 150e-9
"""Seconds per parameter of a dense ``G`` (sampling, masking, selection): measured 100–190 ns on
Orseau builds of random 8-16-4 and 16-32-8 targets (min of 3, one core of the reference machine)."""
S_PER_LAZY_CANDIDATE = 0.03e-6
"""Seconds per (target weight × candidate) on the lazy path with greedy digits or the pair search:
≈ 0.02 µs of one core on Orseau's 784-500-10 per_input build since the compiled digit scan reads only
a prefix of each stream (selection 37 s on 2 workers for 397,000 weights × 8,841 candidates); the
pair search and small builds, where fixed costs dominate, cost more per candidate."""
S_PER_LAZY_EXACT_CANDIDATE = 0.4e-6
"""The same for the exact subset-sum rule (Pensia's banks: candidates gathered and sorted per weight):
measured 0.39 µs on small Pensia builds."""
S_PER_EXACT_SEARCH = 0.5e-3
"""Seconds per target weight and half of an exact subset-sum search over a 32-candidate window with
the compiled solver (:mod:`slt_check.core.subset_sum_grow`), ×2^{(window−32)/2}: measured 0.42–0.48 ms
per weight-half in the selection of Pensia builds (R8 precision, window 32) of random 8-16-4 and
16-16-8 targets, dense and lazy, and 0.43–0.59 ms per search for the solver alone (min of 3, one core
of a 2-core x86_64 machine at load 0.7; 0.8–0.9 ms with the machine shared at load 6). The 2.1 ms
``slt-check build`` used before is the older numpy solver's time (1.9 ms,
benchmarks/results/subset_sum.md); the library's former 6.5 ms was older still."""
S_PER_GROWN_SEARCH = 30e-6
"""Seconds per target weight and half of the *growing* exact search (``grow_from`` set, the default of
``precision="certificate"``: the candidate prefix grows from 16 and stops at the first optimum within
the precision): measured 4–8 µs on Pensia certificate builds of random 196-100-10 targets and ≈ 50 µs
on 784-500-10 (tighter per-layer precisions, longer prefixes); 30 µs is the middle of that range."""
LONG_BUILD_S = 30.0
"""``slt-check build`` prints its estimate before a build estimated to take at least this long."""
SLOW_EXACT_WEIGHTS = 20_000
"""Target size from which a whole-window exact search gets a note pointing to ``precision=certificate``."""


def plan_value(plan: Any, key: str, default: Any = None) -> Any:
    """The field ``key`` of a construction's plan (``default`` when it has none): the one place the
    pipeline reads a plan, a mapping or a record with attributes."""
    return plan.get(key, default) if isinstance(plan, Mapping) else getattr(plan, key, default)


def _duration(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else (f"{s / 60:.0f} min" if s < 7200 else f"{s / 3600:.1f} h")


@dataclass(frozen=True)
class BuildEstimate:
    """A rough wall time (and peak memory) of one build, from its plan only (module docstring).

    The rates are single-core measurements on one reference machine: an order of magnitude, not a
    promise. ``exact_window`` is set for the exact subset-sum rule, ``grows`` when its search grows a
    prefix instead of searching the whole window; ``memory_bytes`` is the peak the build is checked
    against (``None`` when not computed)."""

    seconds: float
    lazy: bool
    G_params: int
    n_weights: int
    candidates_per_weight: int
    exact_window: int | None = None
    grows: bool = False
    construction: str = ""
    memory_bytes: float | None = None

    def text(self) -> str:
        path = "lazy" if self.lazy else "dense"
        rule = f", exact subset sum over {self.exact_window} candidates per weight-half" if self.exact_window else ""
        return (f"estimate: this build may take ≈ {_duration(self.seconds)} (a rough estimate from the plan: "
                f"{path} path, G with {self.G_params:.3g} parameters, {self.n_weights} target weights × "
                f"{self.candidates_per_weight} candidates each{rule}; rates measured on one reference machine, "
                "single core — yours may differ several-fold)")

    def search_seconds(self) -> float:
        """The exact subset-sum part of :attr:`seconds` (0 without that rule)."""
        if not self.exact_window:
            return 0.0
        per_half = S_PER_GROWN_SEARCH if self.grows else S_PER_EXACT_SEARCH * 2.0 ** ((self.exact_window - 32) / 2)
        return 2 * self.n_weights * per_half

    def hint(self) -> str | None:
        """A note when a whole-window exact search faces a large target (at least
        :data:`SLOW_EXACT_WEIGHTS` weights): it names its CPU time and ``precision=certificate``."""
        if not self.exact_window or self.grows or self.n_weights < SLOW_EXACT_WEIGHTS:
            return None
        return (f"note: {self.construction} at R8's precision optimises over {self.exact_window} candidates for "
                f"each of {self.n_weights} weights and halves (≈ {self.search_seconds() / 60:.0f} CPU-minutes at "
                f"the measured {S_PER_EXACT_SEARCH * 1e3:.1f} ms per 32-candidate search); --option "
                "precision=certificate selects to this target's own per-layer precisions instead (same G, "
                "accepted iff certified ≤ ε; see docs/scale.md)")

    def notes(self) -> list[str]:
        """What ``slt-check build`` says before the build: the :meth:`hint`, and the :meth:`text`
        when the build may take at least :data:`LONG_BUILD_S`."""
        return [s for s in (self.hint(), self.text() if self.seconds >= LONG_BUILD_S else None) if s]


def estimate_build(
    con: Any, problem: Problem, plan: Any, lazy: bool, memory_bytes: float | None = None
) -> BuildEstimate:
    """The :class:`BuildEstimate` of building ``problem`` with ``con`` at ``plan`` (dense or ``lazy``)."""
    W, N = int(problem.n_weights), int(plan_value(plan, "n_samples", 0))
    G = int(plan_value(plan, "G_params", 0))
    exact = plan_value(plan, "rule") == "exact_subset_sum"
    per_candidate = S_PER_LAZY_EXACT_CANDIDATE if exact else S_PER_LAZY_CANDIDATE
    seconds = W * N * per_candidate if lazy else G * NS_PER_DENSE_PARAM
    window = int(plan_value(plan, "window", 32)) if exact else None
    grows = getattr(con, "grow_from", None) is not None or getattr(con, "precision", "r8") == "certificate"
    est = BuildEstimate(float(seconds), bool(lazy), G, W, N, window, bool(exact and grows),
                        str(getattr(con, "name", "")), memory_bytes)
    return replace(est, seconds=est.seconds + est.search_seconds())
