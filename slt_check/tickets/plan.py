"""The plan of a construction: the theoretical sizes of ``G`` for a problem (no sampling), typed.

Every construction's ``plan(problem)`` returns one of these frozen records; it is computed once per
build, passed explicitly to ``sample_G`` / ``source_spec`` / ``make_rule`` / ``ticket_meta``, recorded
in the ticket (``TicketMeta.plan``) and recomputed by the checker, which compares the two.

* :class:`Plan` — what every plan has: the per-weight precision ``eta``, the width ``n_samples``,
  the size of ``G`` (``G_params``, ``G_depth``) and, for a plan borrowed by a mask-training
  construction (edge-popup), the ``source`` construction;
* :class:`MLPPlan` — a fully connected ``G``: ``G_widths``, ``G_neurons``, ``n_samples_formula`` and
  the entries shared by the subset-sum plans (Pensia's constant, the union-bound plan's groups);
* :class:`TwoLayerPlan` — the depth-``2l`` constructions (``orseau``, ``pensia``, ``malach``,
  ``factorial``): digits ``M``, law, rule, sharing, hyperbolic support ``α, β`` …;
* :class:`BurkholzPlan` — the depth-``L+1`` construction: copies ``ρ`` per neuron, per-layer ``η_k``;
* :class:`ConvPlan` — the CNN constructions of depth ``2l`` (``conv-orseau``, ``dacunha``): ``N``
  channels per patch column (``G_channels``); :class:`ConvCopiesPlan` — ``burkholz-conv`` (``ρ``
  copies, ``G_shapes``).

An entry a construction does not have is ``None`` and absent from :meth:`Plan.to_dict`, whose keys
and values are exactly the JSON object a ticket file records under ``meta["plan"]``;
:func:`plan_from_dict` reads one back (``ValueError`` for an unknown key or a missing one).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields, replace
from typing import Any, ClassVar

__all__ = ["Plan", "MLPPlan", "TwoLayerPlan", "BurkholzPlan", "ConvPlan", "ConvCopiesPlan", "plan_from_dict"]

_SEQUENCES = ("G_widths", "etas", "group_sizes", "columns", "outputs", "G_channels", "G_shapes")


def _tuple(v: Any) -> Any:
    return tuple(_tuple(x) for x in v) if isinstance(v, (list, tuple)) else v


def _list(v: Any) -> Any:
    return [_list(x) for x in v] if isinstance(v, (list, tuple)) else v


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The entries every plan has (see the module docstring)."""

    eta: float
    n_samples: int
    G_params: int
    G_depth: int
    source: str | None = None

    KIND: ClassVar[str] = "plan"

    def __post_init__(self) -> None:
        for name in _SEQUENCES:
            if hasattr(self, name) and isinstance(getattr(self, name), list):
                object.__setattr__(self, name, _tuple(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        """The JSON view (``meta["plan"]``): every entry that is not ``None``, sequences as lists."""
        return {f.name: _list(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}

    @classmethod
    def from_dict(cls, d: Any) -> Plan:
        """The plan of a JSON object (:func:`plan_from_dict` picks the class from the keys)."""
        return plan_from_dict(d)

    def replace(self, **changes: Any) -> Plan:
        """A copy with ``changes`` (e.g. ``source="pensia"`` for edge-popup)."""
        return replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class MLPPlan(Plan):
    """A fully connected ``G`` of widths ``G_widths`` (plus the subset-sum plans' shared entries)."""

    n_samples_formula: int
    G_widths: tuple[int, ...]
    G_neurons: int
    window: int | None = None
    uniform_half_width: float | None = None
    failure_bound: float | None = None
    # Pensia's width N = ⌈C·log₂(arg)⌉ (sample_counts.pensia_samples)
    pensia_C: float | None = None
    pensia_log2_arg: float | None = None
    # the union-bound plans (delta_rule="union": bounds.pensia_union_plan / burkholz_union_plan)
    delta_rule: str | None = None
    n_groups: int | None = None
    n_instances: int | None = None
    instance_bound: float | None = None
    block_bound: float | None = None
    group_miss: float | None = None
    extra_bits: int | None = None

    KIND: ClassVar[str] = "mlp"


@dataclass(frozen=True, kw_only=True)
class TwoLayerPlan(MLPPlan):
    """The depth-``2l`` constructions: ``M`` digits, the law of ``G`` and the selection rule."""

    M: int
    sharing: str
    law: str
    rule: str | None = None
    gamma: float | None = None
    alpha: float | None = None
    beta: float | None = None
    kept_per_weight_max: int | None = None
    residual_bound: float | None = None
    counting_lower_bound_per_half: float | None = None
    pair_p_min: float | None = None
    pair_halves: int | None = None
    group_size: int | None = None

    KIND: ClassVar[str] = "two_layer"


@dataclass(frozen=True, kw_only=True)
class BurkholzPlan(MLPPlan):
    """The depth-``L+1`` construction: ``ρ`` copies per neuron; under ``delta_rule="union"`` the
    per-layer precisions ``etas`` and group sizes ``group_sizes``."""

    rho: int
    rho_formula: int
    target_depth: int
    etas: tuple[float, ...] | None = None
    group_sizes: tuple[int, ...] | None = None

    KIND: ClassVar[str] = "burkholz"


@dataclass(frozen=True, kw_only=True)
class ConvPlan(Plan):
    """A CNN construction of depth ``2l``: ``N`` channels per patch column of every weighted layer
    (``columns``, ``outputs``; ``G_channels``), the law's entries (hyperbolic ``α, β, γ`` and ``M``
    digits, or the uniform half-width with Pensia's constant)."""

    n_samples_formula: int
    columns: tuple[int, ...]
    outputs: tuple[int, ...]
    G_channels: tuple[int, ...]
    target_params: int
    M: int | None = None
    log_inv_eps: float | None = None
    alpha: float | None = None
    beta: float | None = None
    gamma: float | None = None
    failure_bound: float | None = None
    uniform_half_width: float | None = None
    pensia_C: float | None = None
    pensia_log2_arg: float | None = None

    KIND: ClassVar[str] = "conv"


@dataclass(frozen=True, kw_only=True)
class ConvCopiesPlan(Plan):
    """``burkholz-conv``: ``ρ`` copies per target channel, ``G``'s layer shapes ``G_shapes``."""

    rho: int
    rho_formula: int
    G_shapes: tuple[tuple[int, ...], ...]
    uniform_half_width: float
    target_params: int
    pensia_C: float | None = None
    pensia_log2_arg: float | None = None

    KIND: ClassVar[str] = "conv_copies"


def _names(cls: type[Plan]) -> tuple[set[str], set[str]]:
    """(all field names, the required ones) of a plan class."""
    fs = fields(cls)
    return {f.name for f in fs}, {f.name for f in fs if f.default is MISSING and f.default_factory is MISSING}


def plan_from_dict(d: Any) -> Plan:
    """The typed plan of a JSON object written by :meth:`Plan.to_dict` (a ticket's ``meta["plan"]``):
    :class:`ConvCopiesPlan` with ``G_shapes``, :class:`ConvPlan` with ``G_channels``,
    :class:`BurkholzPlan` with ``rho``, else :class:`TwoLayerPlan`. ``ValueError`` for a
    non-object, an unknown key or a missing entry (the file was not written by this slt_check)."""
    if isinstance(d, Plan):
        return d
    if not isinstance(d, dict) or not all(isinstance(k, str) for k in d):
        raise ValueError(f"meta['plan']: expected a JSON object, got {type(d).__name__}")
    cls: type[Plan] = (ConvCopiesPlan if "G_shapes" in d else ConvPlan if "G_channels" in d
                       else BurkholzPlan if "rho" in d else TwoLayerPlan)
    names, required = _names(cls)
    unknown = sorted(set(d) - names)
    if unknown:
        raise ValueError(f"meta['plan']: unknown entries {unknown} for a {cls.KIND} plan; the file was not "
                         "written by this slt_check (rebuild it)")
    missing = sorted(required - set(d))
    if missing:
        raise ValueError(f"meta['plan']: missing entries {missing}; the file was not written by this "
                         "slt_check (rebuild it)")
    return cls(**{k: v for k, v in d.items() if v is not None})
