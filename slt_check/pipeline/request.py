"""One build request, resolved once: what to build (:class:`BuildRequest`) and how (:class:`BuildFlags`).

A request holds everything a build needs, decided up front and passed down unchanged:

* the target the construction sees (``F'`` on ``[x; 1]`` for a biased target, docs/biases.md) and the
  checked :class:`~slt_check.constructions.base.Problem`;
* the construction instance — its *options* (``sharing``, ``n_samples``, ``precision`` …) are its own
  namespace, given to the registry (:func:`resolve_construction`);
* the seed of ``G``, the plan (computed once), the path (dense or lazy) with the reason it was chosen,
  and the :class:`~slt_check.pipeline.estimate.BuildEstimate` (time and peak memory);
* the build *flags* (:class:`BuildFlags`: ``allow_failure``, ``jobs``, ``progress``, ``max_memory``,
  ``certify`` …), which change how the build runs and reports, never which ``G`` or which ticket.

:func:`slt_check.pipeline.build.resolve_request` makes one; the builders only read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from slt_check.certificates.float_safety import float_slack
from slt_check.constructions.base import Construction, Problem, construction_options
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction, option_names
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.estimate import BuildEstimate

__all__ = [
    "BuildFlags",
    "BuildRequest",
    "FLAG_NAMES",
    "PATH_ASKED",
    "PATH_LARGE_G",
    "PATH_SMALL_G",
    "PATH_NO_LAZY",
    "resolve_construction",
    "supports_lazy",
    "float_floor",
    "check_certifiable",
]

PATH_ASKED = "asked"
"""Path reason: the caller chose dense or lazy (``lazy=True``/``False``, ``--lazy``)."""
PATH_LARGE_G = "G above DENSE_PARAMS_LIMIT"
"""Path reason: lazy because the dense ``G`` would exceed ``DENSE_PARAMS_LIMIT`` parameters."""
PATH_SMALL_G = "G within DENSE_PARAMS_LIMIT"
"""Path reason: dense because the dense ``G`` fits ``DENSE_PARAMS_LIMIT``."""
PATH_NO_LAZY = "no lazy path"
"""Path reason: dense because the construction has no lazy path (whatever the size of ``G``)."""


@dataclass(frozen=True)
class BuildFlags:
    """How a build runs and reports — never which ``G`` or which ticket it yields.

    ``allow_failure``: return (or save) the ticket when the success event failed, instead of raising
    :class:`~slt_check.constructions.base.ConstructionFailed`; ``jobs``: worker processes of the lazy
    path; ``progress``: the lazy selection's progress bar (``None``: its own default);
    ``max_memory``: the limit in bytes of the up-front memory check (``None``:
    :func:`slt_check.runtime.memory.limit`, i.e. ``--max-memory`` or its default); ``certify`` and
    ``search_seed``: whether :func:`~slt_check.pipeline.build.build` certifies the sup error, and the
    seed of its adversarial search; ``require_certifiable``: refuse an ε at or below the float64
    rounding error of the target itself (:func:`check_certifiable`; ``slt-check build`` sets it)."""

    allow_failure: bool = False
    jobs: int = 1
    progress: bool | None = None
    max_memory: int | None = None
    certify: bool = True
    search_seed: int = 0
    require_certifiable: bool = False


FLAG_NAMES: frozenset[str] = frozenset({f.name for f in fields(BuildFlags)} | {"lazy"})
"""Names that are build flags (or the path choice), refused among a construction's options unless
the construction has an option of that name (``edge-popup`` has its own ``progress``)."""


def supports_lazy(con: Any) -> bool:
    """Whether a construction has the lazy path (``lazy = True`` and the hooks ``source_spec``,
    ``make_rule``, ``ticket_meta``); constructions opt out by leaving ``lazy`` False."""
    return bool(getattr(con, "lazy", False)) and all(
        hasattr(con, m) for m in ("source_spec", "make_rule", "ticket_meta"))


def resolve_construction(construction: str | Construction, options: Mapping[str, Any]) -> Any:
    """The construction: by registry name with ``options``, or the instance given (then ``options``
    must be empty). ``ValueError`` for an unknown name or option (naming the construction's options),
    a value it refuses, or a build flag given as an option."""
    opts = dict(options)
    cls = CONSTRUCTIONS.get(construction) if isinstance(construction, str) else type(construction)
    own = option_names(cls) if cls is not None else []
    flags = sorted(k for k in opts if k in FLAG_NAMES and k not in own)
    if flags:
        name = construction if isinstance(construction, str) else getattr(construction, "name", cls.__name__)
        raise ValueError(
            f"option: {flags} {'is a build flag' if len(flags) == 1 else 'are build flags'}, not an option of "
            f"{name!r} (its options are {own}); pass {'it' if len(flags) == 1 else 'them'} as a build flag "
            "(BuildFlags, the builder's keyword, or the command line's own --flag), not as a construction option")
    if isinstance(construction, str):
        return get_construction(construction, **opts)
    if opts:
        raise ValueError(f"options {sorted(opts)}: give them to the construction, not beside an instance")
    return construction


def float_floor(target: ReLUNet, x_max: float) -> float:
    """The float64 rounding bound of evaluating the target itself on the box
    (``l γ_n ‖|W_l|⋯|W_1| x_max 1‖∞``, part of every certificate): no certified error can be smaller."""
    return float(float_slack(target.dense_weights(), x_max, target.n_in))


def check_certifiable(target: ReLUNet, problem: Problem) -> None:
    """``ValueError`` when ``problem.eps`` is at or below :func:`float_floor` of ``target`` on the
    problem's box: no certificate could prove such a ticket."""
    floor = float_floor(target, problem.x_max)
    if problem.eps <= floor:
        raise ValueError(
            f"eps: ε = {problem.eps:g} is at or below {floor:.3g}, the float64 rounding error of evaluating the "
            "target itself on this box; no certificate can prove it — use a larger ε"
        )


@dataclass(frozen=True, eq=False)
class BuildRequest:
    """One build, resolved once (module docstring); made by
    :func:`~slt_check.pipeline.build.resolve_request`, read by the builders.

    ``target`` is what the construction sees (the bias-free reduction of a biased target), ``original``
    the target as given (certified against), ``affine`` the reduction's ``meta["affine"]`` record (or
    ``None``), ``x_max`` the caller's box; ``plan`` is the construction's ``plan(problem)``, opaque here;
    ``lazy`` the path and ``path_reason`` why (:data:`PATH_ASKED`, :data:`PATH_LARGE_G`,
    :data:`PATH_SMALL_G` or :data:`PATH_NO_LAZY`)."""

    target: ReLUNet
    original: ReLUNet
    affine: Mapping[str, Any] | None
    problem: Problem
    construction: Construction
    seed: int
    x_max: float
    plan: Any
    lazy: bool
    path_reason: str
    estimate: BuildEstimate
    flags: BuildFlags

    @property
    def options(self) -> Mapping[str, Any]:
        """The construction's options (read-only; what ``meta["options"]`` records)."""
        return MappingProxyType(construction_options(self.construction))
