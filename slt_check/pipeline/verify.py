"""Checking a ticket that someone else made: nothing in the file is taken on trust.

A ticket file claims "this mask prunes the random network ``G`` that construction ``C`` samples from
seed ``s`` for problem ``P`` (widths, ε, δ, w_max, x_max)". Everything but the mask and the target is
a function of ``(C, its options, P, s)``, so :func:`verify_ticket` recomputes it instead of reading it:

1. **meta schema** (:meth:`~slt_check.tickets.meta.TicketMeta.from_json`, when the file is read):
   the keys and types the rest relies on, a valid problem, plan and affine record;
2. **the source**: the construction is instantiated from its recorded options (unknown options are
   refused), its plan must fit the memory limit, and ``G`` is *regenerated* from the seed — a dense
   ticket's stored ``G`` must equal it bit for bit; a compact ticket's recorded source spec must equal
   the construction's, and every kept entry is regenerated from its stream. A hand-written ``G``, an
   entry moved by one ulp, or a spec with a degenerate law are refused;
3. **the stages** the certificate reads (:func:`check_stages`): ``"pairs"`` for the depth-``2l``
   constructions, or a list covering every ``G`` layer once, in order, with copy maps of the right
   length and range, ending one-to-one on the target's outputs;
4. **the target**: its widths and output ReLU must be the problem's, every weight ``|w| ≤ w_max``;
   a ``random:`` target is regenerated from its spec and seed and must match bit for bit. Other
   targets are identified by their SHA-256 (:func:`target_digest`), which ``slt-check check`` prints
   and which ``--target`` compares against the reviewer's own copy.

A ticket of a **biased target** (``meta["affine"]``, :mod:`slt_check.core.affine`) is checked the same
way on its reduction ``F'``: ``G`` — including ``G_bias_0``, its first-layer weights on the constant
input — is regenerated from the seed bit for bit, the kept bias entries are ``G``'s (a forged or
one-ulp-moved bias is refused); ``meta["affine"]`` must agree with the problem (``w_max' = max(w_max,
b_max, 1)``, ``x_max' = max(x_max, 1)``, ``n_0 + 1`` inputs); the target's weights must satisfy
``|w| ≤ w_max`` and its biases ``|b| ≤ b_max``; a random target is regenerated with its biases, and
the digest covers the biases.

:func:`load_ticket` reads a file of either format (:mod:`slt_check.tickets`) and runs
:func:`verify_ticket` on it.

The certificate (:mod:`slt_check.certificates.sup_error`) is sound for any ticket and any structurally valid stages,
so a file that passes these checks can only be *wrong* in ways the certified bound reports.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np

from slt_check.constructions.base import Problem, construction_options
from slt_check.constructions.registry import get_construction
from slt_check.core.affine import augment, check_bias_bound, restore
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_weight_bound
from slt_check.io.textio import json_ready
from slt_check.runtime import memory
from slt_check.tickets.compact_ticket import FORMAT, read_compact_ticket, read_ticket_meta, spec_to_dict
from slt_check.tickets.meta import TicketMeta
from slt_check.tickets.plan import Plan
from slt_check.tickets.targets import parse_widths, target_from_spec
from slt_check.tickets.ticket import AnyTicket, read_dense_ticket

__all__ = [
    "check_stages",
    "construction_options",
    "reference_construction",
    "verify_ticket",
    "load_ticket",
    "target_digest",
    "regenerated_target",
]

def reference_construction(meta: TicketMeta) -> tuple[Any, Problem]:
    """The construction re-created from ``meta.construction`` and ``meta.options``, and the
    :class:`~slt_check.constructions.Problem` it records (validated when the record was read)."""
    return get_construction(meta.construction, **meta.options), meta.problem


def check_stages(stages: Any, layer_rows: list[int], target: ReLUNet) -> None:
    """Stages cover every ``G`` layer once and in order; copy maps have one entry per stage output
    unit, each naming a unit of the target layer it tracks; the last stage maps one-to-one onto the
    target's outputs. (``"pairs"`` is checked by :func:`slt_check.certificates.sup_error.stages_of`.)"""
    if stages == "pairs":
        if len(layer_rows) != 2 * target.depth:
            raise ValueError(f"stages: 'pairs' needs 2l = {2 * target.depth} G layers, the file has {len(layer_rows)}")
        return
    if not isinstance(stages, list) or len(stages) != target.depth:
        raise ValueError(f"stages: need one stage per target layer ({target.depth})")
    covered: list[int] = []
    for i, st in enumerate(stages):
        if not isinstance(st, dict) or not isinstance(st.get("layers"), list):
            raise ValueError(f"stages[{i}]: expected {{'layers': [...], 'out_copies': [...] | null}}")
        layers = st["layers"]
        if len(layers) not in (1, 2) or not all(isinstance(k, int) and not isinstance(k, bool) for k in layers):
            raise ValueError(f"stages[{i}]: 'layers' must list one or two G layer indices, got {layers!r}")
        covered += layers
        copies = st.get("out_copies")
        n_units = target.widths[i + 1]
        if copies is None:
            if layers[-1] >= len(layer_rows) or layer_rows[layers[-1]] != n_units:
                raise ValueError(f"stages[{i}]: without out_copies the stage must output the target's {n_units} units")
            continue
        if i == len(stages) - 1:
            raise ValueError("stages: the last stage must map its outputs one-to-one onto the target's (no copies)")
        if not isinstance(copies, list) or not all(isinstance(c, int) and not isinstance(c, bool) for c in copies):
            raise ValueError(f"stages[{i}]: out_copies must be a list of integers")
        if layers[-1] >= len(layer_rows) or len(copies) != layer_rows[layers[-1]]:
            raise ValueError(f"stages[{i}]: out_copies needs one entry per output unit of G layer {layers[-1]}")
        if copies and (min(copies) < 0 or max(copies) >= n_units):
            raise ValueError(f"stages[{i}]: out_copies must name target units 0…{n_units - 1}")
    if covered != list(range(len(layer_rows))):
        raise ValueError(f"stages: must cover G layers 0…{len(layer_rows) - 1} once each, in order; got {covered}")


def target_digest(target: ReLUNet) -> str:
    """SHA-256 of the target's widths, output ReLU and float64 weights (C order), then — only for a
    target with biases, so that bias-free digests are unchanged — a ``biases`` tag and every float64
    bias vector: an identity a reviewer can compare with their own copy of the model."""
    h = hashlib.sha256()
    h.update(repr((tuple(target.widths), bool(target.output_relu))).encode())
    for w in target.dense_weights():
        h.update(np.ascontiguousarray(w, dtype=np.float64).tobytes())
    if target.has_biases:
        h.update(b"biases")
        for b in target.bias_vectors():
            h.update(np.ascontiguousarray(b, dtype=np.float64).tobytes())
    return h.hexdigest()


def regenerated_target(meta: TicketMeta) -> ReLUNet | None:
    """For a ticket built on ``random:…`` (``meta.target_spec``, ``meta.target_seed``), the target
    regenerated from its spec; ``None`` for other targets."""
    spec = meta.target_spec
    if not isinstance(spec, str) or not spec.startswith("random:"):
        return None

    seed = meta.target_seed
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError("meta['target_seed']: a random target needs its non-negative integer seed")
    aff = meta.affine
    widths = list(meta.problem.widths)
    if aff is not None:
        widths = [n - 1 for n in widths[:-1]] + widths[-1:]
    try:
        spec_widths = list(parse_widths(spec.split(":")[1]))
    except ValueError:
        spec_widths = None
    if spec_widths != widths:  # before generating it: a spec may declare a huge target
        raise ValueError(f"meta['target_spec']: {spec[:80]!r} does not have the problem's widths {widths}")
    return target_from_spec(spec, w_max=meta.problem.w_max if aff is None else aff.w_max, seed=seed,
                            output_relu=meta.problem.output_relu)


def _plain(x: Any) -> Any:
    """JSON's view of a value (tuples → lists, numpy scalars → Python), for comparing with a file."""


    return json.loads(json.dumps(json_ready(x), sort_keys=True, default=float))


def _same_bits(a: Any, b: Any) -> bool:
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


def _check_target(ticket: AnyTicket, meta: TicketMeta, problem: Problem) -> None:
    problem.check_target(ticket.target)
    aff = meta.affine
    if aff is not None:
        original = restore(ticket.target, aff.n_in)  # the constant neurons must be exact
        check_weight_bound(original.dense_weights(), aff.w_max)
        check_bias_bound(original, aff.b_max)
    elif ticket.target.has_biases:
        raise ValueError("target: has biases but meta['affine'] (the constant-input reduction) is missing")
    ref = regenerated_target(meta)
    if ref is not None and aff is not None:
        ref = augment(ref)
    if ref is not None and not all(
        _same_bits(a, b) for a, b in zip(ref.dense_weights(), ticket.target.dense_weights(), strict=True)
    ):
        raise ValueError(
            f"target: differs from {meta.target_spec!r} regenerated from seed "
            f"{meta.target_seed}; the file's target was changed"
        )


def _with_plan(con: Any, method: str, problem: Problem, seed: int, plan: Plan) -> Any:
    """``con.<method>(problem, seed[, plan])``: the checker's own plan where the construction takes one."""
    if getattr(con, "takes_plan", False):
        return getattr(con, method)(problem, seed, plan)
    return getattr(con, method)(problem, seed)


def verify_ticket(ticket: AnyTicket, *, max_bytes: int | None = None, jobs: int | None = None) -> None:
    """Everything in the module docstring, for a dense :class:`~slt_check.tickets.ticket.Ticket` or a
    :class:`~slt_check.tickets.compact_ticket.CompactTicket`; ``ValueError`` naming the first discrepancy."""
    compact = not hasattr(ticket, "masks")
    if not compact:
        ticket.validate()
    meta = ticket.meta
    if meta is None:
        raise ValueError("ticket: has no metadata (construction, problem, seed); nothing to verify it against")
    con, problem = reference_construction(meta)
    if meta.target_output_relu is not None and meta.target_output_relu != problem.output_relu:
        raise ValueError("meta['target_output_relu'] disagrees with meta['problem']['output_relu']")
    _check_target(ticket, meta, problem)
    limit = memory.limit() if max_bytes is None else int(max_bytes)
    plan = con.plan(problem)
    if meta.plan is not None and _plain(meta.plan.to_dict()) != _plain(plan.to_dict()):
        raise ValueError(f"meta['plan']: differs from the plan {con.name!r} computes for this problem")
    seed = meta.seed
    if compact:
        if not hasattr(con, "source_spec"):
            raise ValueError(f"construction: {con.name!r} writes no compact tickets")
        ref = spec_to_dict(_with_plan(con, "source_spec", problem, seed, plan))
        if (ref if meta.source is None else meta.source) != ref or spec_to_dict(ticket.spec) != ref:
            raise ValueError(
                f"source: the file's G spec differs from what {con.name!r} samples for this problem and seed "
                f"{seed} (expected {ref}); a ticket may only prune its construction's G"
            )
        need = 16.0 * plan.n_samples + ticket.n_kept * 24.0
        if need > limit:  # the file's own size: a refused ticket
            raise ValueError(f"regenerating the kept entries needs about {memory.format_size(need)}, more than the "
                             f"memory limit of {memory.format_size(limit)}")
        memory.require(need + 16.0 * plan.n_samples * (max(1, jobs or 1) - 1)
                       + memory.workers_bytes(jobs or 1), limit,
                       f"regenerating the kept entries{f' in {jobs} worker processes' if (jobs or 1) > 1 else ''}",
                       "use fewer --jobs, or run on a machine with more memory")
        check_stages(meta.stages, list(ticket.G.widths[1:]), ticket.target)
        ticket.validate_entries(jobs=jobs)
        return
    memory.require(memory.BASELINE + 8.0 * float(plan.G_params), limit,
                   f"regenerating G ({float(plan.G_params):.3g} parameters)",
                   "run on a machine with more memory or raise --max-memory")
    G_ref, _ = _with_plan(con, "sample_G", problem, seed, plan)
    if G_ref.depth != ticket.G.depth or bool(G_ref.output_relu) != bool(ticket.G.output_relu):
        raise ValueError(f"G: the file's G has depth {ticket.G.depth}, {con.name!r} samples depth {G_ref.depth}")
    for k, (a, b) in enumerate(zip(G_ref.weights, ticket.G.weights, strict=True)):
        if not _same_bits(a, b):
            raise ValueError(
                f"G layer {k}: differs from the G that {con.name!r} samples from seed {seed} for this problem; "
                "a ticket may only prune its construction's G"
            )
    check_stages(meta.stages, [w.shape[0] for w in ticket.G.weights], ticket.target)


def load_ticket(
    path: str | os.PathLike[str], *, jobs: int = 1, max_bytes: int | None = None, verify: bool = True
) -> AnyTicket:
    """Read a ticket file of either format — a dense :class:`~slt_check.tickets.ticket.Ticket` or a
    :class:`~slt_check.tickets.compact_ticket.CompactTicket`, by the ``format`` in its meta — and, with
    ``verify`` (default), check it against the construction, problem, seed and target it records
    (:func:`verify_ticket`). ``ValueError`` if it is corrupt, forged or declares more than ``max_bytes``
    of arrays (default :func:`slt_check.runtime.memory.limit`); ``jobs``: worker processes regenerating
    a compact ticket's entries. ``verify=False`` reads the file only (the mask, or the entries'
    structure, is still checked)."""
    if int(jobs) < 1:
        raise ValueError(f"jobs: need at least one worker, got {jobs}")
    if read_ticket_meta(path, max_bytes=max_bytes).format == FORMAT:
        ticket: AnyTicket = read_compact_ticket(path, jobs=jobs, max_bytes=max_bytes)
    else:
        ticket = read_dense_ticket(path, max_bytes=max_bytes)
    if verify:
        verify_ticket(ticket, max_bytes=max_bytes, jobs=jobs)
    return ticket
