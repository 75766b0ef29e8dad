"""A ticket's metadata as one typed, versioned record: :class:`TicketMeta`.

One writer, one reader:

* **writer** — :meth:`TicketMeta.create` (every construction) and :meth:`TicketMeta.updated` (the
  build pipeline's records: timings, the affine record, the certificate at selection …). Both go
  through the same constructor; a record is frozen.
* **reader** — :meth:`TicketMeta.from_json` (ticket loading and :mod:`slt_check.pipeline.verify`),
  which checks the keys and types everything else relies on and refuses a malformed file with a
  ``ValueError`` naming the entry.

File format. :meth:`TicketMeta.to_json` writes the JSON object of ``meta`` in a ticket file: the
keys every earlier version wrote, plus ``"meta_version": 2``. The problem's ``eps``, ``delta``,
``x_max``, ``w_max`` are also written at the top level (for older readers), derived from
``problem``; the record itself does not hold them (``meta.problem.eps``), and the reader ignores
the top-level copies. A file without ``meta_version`` is version 1 (every ticket written before the
record existed) and reads the same way. Entries a construction records for inspection only (the
per-layer selection reports, the law's parameters, edge-popup's training log, timings, …) are kept
as written in :attr:`TicketMeta.records`.

The constant-input reduction of a biased target is recorded under ``affine``
(:class:`AffineRecord`, checked against the problem on reading; :mod:`slt_check.core.affine`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from slt_check.core.bounds import biased_bounds
from slt_check.core.validation import check_real
from slt_check.io.textio import json_ready
from slt_check.tickets.plan import Plan, plan_from_dict
from slt_check.tickets.problem import Problem

__all__ = ["TicketMeta", "AffineRecord", "META_VERSION", "PROBLEM_COPIES"]

META_VERSION = 2
"""The version :meth:`TicketMeta.to_json` writes (1: files without ``meta_version``)."""

PROBLEM_COPIES = ("eps", "delta", "x_max", "w_max")
"""Problem entries also written at the top level of the JSON (derived; never read back)."""

_NUMBER = (int, float)


def _need(d: dict[str, Any], key: str, types: Any, where: str = "meta") -> Any:
    """``d[key]`` of one of ``types`` (a boolean only where ``bool`` is named), else ``ValueError``."""
    if key not in d:
        raise ValueError(f"{where}: missing key {key!r}; the file was not written by this slt_check (rebuild it)")
    return _typed(d[key], types, f"{where}[{key!r}]")


def _typed(v: Any, types: Any, where: str) -> Any:
    tt = types if isinstance(types, tuple) else (types,)
    if isinstance(v, bool) and bool not in tt:
        raise ValueError(f"{where}: expected {getattr(types, '__name__', types)}, got a boolean")
    if not isinstance(v, types):
        raise ValueError(f"{where}: expected {getattr(types, '__name__', types)}, got {type(v).__name__}")
    return v


@dataclass(frozen=True, kw_only=True)
class AffineRecord:
    """The constant-input reduction of a biased target (``meta["affine"]``): the original input size
    ``n_in``, its box ``x_max``, the declared ``w_max`` and ``b_max``, and the reduced problem's
    ``w_max' = max(w_max, b_max, 1)``, ``x_max' = max(x_max, 1)``
    (:func:`slt_check.core.bounds.biased_bounds`)."""

    n_in: int
    x_max: float
    w_max: float
    b_max: float
    w_max_reduced: float
    x_max_reduced: float

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, rec: Any, problem: Problem | None = None) -> AffineRecord:
        """The record of ``rec`` checked: positive finite numbers, ``w_max'``, ``x_max'`` equal to the
        formula's and — given the ``problem`` — equal to its ``w_max``, ``x_max``, with ``n_in + 1`` inputs."""
        if isinstance(rec, AffineRecord):
            rec = rec.to_dict()
        if not isinstance(rec, dict):
            raise ValueError(f"meta['affine']: expected an object, got {type(rec).__name__}")
        n_in = rec.get("n_in")
        if not isinstance(n_in, int) or isinstance(n_in, bool) or n_in < 1:
            raise ValueError(f"meta['affine']['n_in']: expected a positive integer, got {n_in!r}")
        for key in ("x_max", "w_max", "b_max", "w_max_reduced", "x_max_reduced"):
            v = rec.get(key)
            if isinstance(v, bool) or not isinstance(v, _NUMBER) or not math.isfinite(v) or v <= 0:
                raise ValueError(f"meta['affine'][{key!r}]: expected a positive finite number, got {v!r}")
        unknown = sorted(set(rec) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"meta['affine']: unknown entries {unknown}")
        out = cls(**rec)
        if problem is not None:
            w_prime, x_prime = biased_bounds(out.w_max, out.b_max, out.x_max, problem.depth)
            if (w_prime, x_prime) != (out.w_max_reduced, out.x_max_reduced):
                raise ValueError(
                    f"meta['affine']: w_max' = {out.w_max_reduced!r}, x_max' = {out.x_max_reduced!r} are not "
                    f"max(w_max, b_max, 1) = {w_prime!r} and max(x_max, 1) = {x_prime!r}"
                )
            if (problem.w_max, problem.x_max) != (w_prime, x_prime):
                raise ValueError(
                    f"meta['problem']: w_max, x_max = {problem.w_max!r}, {problem.x_max!r} are not the reduced "
                    f"bounds {w_prime!r}, {x_prime!r} of meta['affine']"
                )
            if problem.widths[0] != n_in + 1:
                raise ValueError(f"meta['problem']['widths'][0]: a reduced target has n_in + 1 = {n_in + 1} inputs")
        return out


# typed optional entries: name → JSON types accepted on reading (None: absent)
_OPTIONAL: dict[str, Any] = {
    "success": bool,
    "success_event": str,
    "n_failed_weights": int,
    "precision": str,
    "sharing": str,
    "certified_at_select": _NUMBER,
    "certified_stage_bound": _NUMBER,
    "certified_float_slack": _NUMBER,
    "lazy": bool,
    "jobs": int,
    "format": str,
    "source": dict,
    "target_spec": str,
    "target_seed": int,
    "target_sha256": str,
    "target_output_relu": bool,
    "G_output_relu": bool,
    "sup_error": dict,
    "versions": dict,
}


@dataclass(frozen=True, kw_only=True)
class TicketMeta:
    """What a ticket records besides its arrays (see the module docstring).

    ``construction``, ``options``, ``problem`` and ``seed`` determine ``G`` (a checker recomputes
    it); ``plan`` is the construction's plan for the problem (the checker recomputes and compares);
    ``stages`` says how the certificate reads ``G`` (``"pairs"`` or a list of
    ``{"layers": [...], "out_copies": [...] | None}``); ``success`` is the construction's success
    event; the other typed entries are ``None`` when not recorded (``nulls`` names those recorded as
    JSON ``null``); ``records`` holds the inspection-only entries as written."""

    construction: str
    problem: Problem
    seed: int
    options: dict[str, Any]
    stages: str | list[Any] = "pairs"
    plan: Plan | None = None
    affine: AffineRecord | None = None
    success: bool | None = None
    success_event: str | None = None
    n_failed_weights: int | None = None
    precision: str | None = None
    sharing: str | None = None
    certified_at_select: float | None = None
    certified_stage_bound: float | None = None
    certified_float_slack: float | None = None
    lazy: bool | None = None
    jobs: int | None = None
    format: str | None = None
    source: dict[str, Any] | None = None
    target_spec: str | None = None
    target_seed: int | None = None
    target_sha256: str | None = None
    target_output_relu: bool | None = None
    G_output_relu: bool | None = None
    sup_error: dict[str, Any] | None = None
    versions: dict[str, Any] | None = None
    records: dict[str, Any] = field(default_factory=dict)
    nulls: frozenset[str] = frozenset()
    version: int = META_VERSION

    # ------------------------------------------------------------------ the writer
    @classmethod
    def create(cls, *, construction: str, problem: Problem, seed: int, options: dict[str, Any],
               plan: Plan | None = None, **entries: Any) -> TicketMeta:
        """The record a construction writes: the common part (what determines ``G``) and its
        ``entries`` — typed ones by name, any other as an inspection record."""
        base = cls(construction=str(construction), problem=problem, seed=int(seed), options=dict(options), plan=plan)
        return base.updated(**entries)

    def updated(self, **entries: Any) -> TicketMeta:
        """A copy with ``entries`` set: a typed entry by name (``None`` records a JSON ``null``), any
        other name in :attr:`records` (JSON-ready copies). The one way a record changes."""
        typed = {f.name for f in fields(self)} - {"records", "nulls", "version"}
        changes: dict[str, Any] = {}
        records = dict(self.records)
        nulls = set(self.nulls)
        for k, v in entries.items():
            if k in PROBLEM_COPIES or k == "meta_version":
                continue  # derived from the problem / the version written
            if k in typed:
                if k == "affine" and v is not None:
                    v = AffineRecord.from_dict(v)
                elif k == "plan" and v is not None:
                    v = plan_from_dict(v)
                elif k in _OPTIONAL:
                    v = json_ready(v)
                changes[k] = v
                (nulls.add if v is None and k in _OPTIONAL else nulls.discard)(k)
            else:
                records[k] = json_ready(v)
        return replace(self, **changes, records=records, nulls=frozenset(nulls))

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        """The JSON object of a ticket file (module docstring): today's keys plus ``meta_version``."""
        out: dict[str, Any] = {
            "construction": self.construction,
            "problem": self.problem.as_dict(),
            **{k: getattr(self.problem, k) for k in PROBLEM_COPIES},
            "seed": self.seed,
            "options": self.options,
            "stages": self.stages,
        }
        if self.plan is not None:
            out["plan"] = self.plan.to_dict()
        if self.affine is not None:
            out["affine"] = self.affine.to_dict()
        for name in _OPTIONAL:
            v = getattr(self, name)
            if v is not None or name in self.nulls:
                out[name] = v
        out.update(self.records)
        out["meta_version"] = self.version
        return json_ready(out)

    @classmethod
    def from_json(cls, meta: Any) -> TicketMeta:
        """The one reader: the record of a ticket file's ``meta`` object, version 1 (no
        ``meta_version``) or 2. ``ValueError`` naming the entry for a missing key, a wrong type, an
        invalid problem, plan or affine record, or a newer version."""
        if isinstance(meta, TicketMeta):
            return meta
        if not isinstance(meta, dict):
            raise ValueError(f"meta: expected a JSON object, got {type(meta).__name__}")
        version = meta.get("meta_version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= META_VERSION:
            raise ValueError(f"meta['meta_version']: this slt_check reads versions 1 to {META_VERSION}, got "
                             f"{version!r}; upgrade slt_check or rebuild the ticket")
        construction = _need(meta, "construction", str)
        opts = _need(meta, "options", dict)
        if not all(isinstance(k, str) for k in opts):
            raise ValueError("meta['options']: keys must be strings")
        seed = _need(meta, "seed", int)
        if seed < 0:
            raise ValueError(f"meta['seed']: must be a non-negative integer, got {seed}")
        problem = _problem(_need(meta, "problem", dict))
        stages = _need(meta, "stages", (str, list))
        if isinstance(stages, str) and stages != "pairs":
            raise ValueError(f"meta['stages']: expected 'pairs' or a list of stages, got {stages!r}")
        entries: dict[str, Any] = {}
        for k, v in meta.items():
            if k in ("construction", "options", "seed", "problem", "stages", "meta_version") or k in PROBLEM_COPIES:
                continue
            if k in _OPTIONAL and v is not None:
                _typed(v, _OPTIONAL[k], f"meta[{k!r}]")
            entries[k] = v
        if "affine" in entries:
            entries["affine"] = AffineRecord.from_dict(entries["affine"], problem)
        if "plan" in entries:
            entries["plan"] = plan_from_dict(entries["plan"])
        base = cls(construction=construction, problem=problem, seed=seed, options=dict(opts), stages=stages,
                   version=META_VERSION)
        return base.updated(**entries)


def _problem(p: dict[str, Any]) -> Problem:
    """The :class:`Problem` of ``meta["problem"]`` (keys, types, finiteness, then its own checks)."""
    widths = _need(p, "widths", list, "meta['problem']")
    if len(widths) < 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in widths):
        raise ValueError(f"meta['problem']['widths']: need ≥ 2 positive integers, got {widths!r}")
    for key in ("eps", "delta", "w_max", "x_max"):
        v = _need(p, key, _NUMBER, "meta['problem']")
        if not math.isfinite(check_real(v, f"meta['problem'][{key!r}]")):
            raise ValueError(f"meta['problem'][{key!r}]: must be finite, got {v!r}")
    _need(p, "output_relu", bool, "meta['problem']")
    try:
        return Problem(tuple(widths), p["eps"], p["delta"], w_max=p["w_max"], x_max=p["x_max"],
                       output_relu=p["output_relu"])
    except ValueError as exc:
        raise ValueError(f"meta['problem']: {exc}") from None
