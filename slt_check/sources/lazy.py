"""Tickets from huge sources ``G`` without materialising ``G`` (the lazy path).

The dense sampler (:func:`slt_check.sources.source.sample_source`) fills every block of ``G`` from its own
counter-based stream ``block_rng(seed, layer, block, part)``. A mask can only keep the *usable*
entries of a block (``A[h, j]`` and ``B[o, h]`` of the neurons ``h`` owned by the target weight
``(o, j)`` or input ``j``); the sharing scheme's :class:`~slt_check.sources.layout.Layout` names their
streams (``per_weight``: ``(2t, o·a+j, 0)`` and ``(2t+1, o·a+j, 0)``; ``per_input``: ``(2t, j, 0)``
and ``(2t+1, j, 2+o)``),

while the always-pruned entries come from the part-1 streams. So this module generates, chunk by
chunk of output neurons, **only the usable streams**, hands them to the SAME selection code as the
dense path (:func:`slt_check.sources.selection.choose_from_candidates`), and keeps only the chosen indices
and values (a :class:`~slt_check.tickets.compact_ticket.CompactTicket`).

**Why it is the same distribution (and the same ticket).** A stream is a deterministic function of
``(seed, layer, block, part)`` alone, not of the order in which streams are consumed or of which
other streams are drawn. Hence for a fixed seed the usable entries generated here are *bit for bit*
the entries the dense ``G`` holds at those positions, the candidates handed to the rule are identical
(same values, same order ``s = 0..N−1``), and the rule — a deterministic function of its inputs —
keeps the same subset: the lazy ticket equals the dense ticket restricted to its kept entries. As a
corollary the lazy ``G`` has the law of the dense one (i.i.d. entries from the law; the part-1
entries, never drawn here, are independent of everything used and cannot influence the ticket).
``tests/test_lazy.py`` checks the identity on small targets for ``orseau`` (both sharings) and
``pensia``.

**Drawing only what the rule reads.** A rule with ``choose_factors`` (greedy digits) reads a weight's
candidates in sampling order and stops once every digit tile has its first candidate — on Orseau's
plans after about a fifth of the ``N`` candidates, since ``N`` is sized for a union bound over all
weights. For laws whose ``sample(rng, n)`` is the first ``n`` values of ``sample(rng, N)``
(:data:`NESTED_LAWS`), :func:`_select_prefix` draws the leading :data:`PREFIX_FRACTION` of each
stream, the rule decides the weights no later candidate can change, and only the other weights'
streams are drawn whole: the values read are still those of the whole streams, so the ticket is the
same. :func:`regenerate_entries` likewise draws each stream only up to its last kept position —
still an independent regeneration from the seed, never a copy of the build's values.

A construction supports the lazy path (``lazy = True``, see :mod:`slt_check.pipeline.build`) when it
exposes ``source_spec(problem, seed, plan) -> SourceSpec``, ``make_rule(problem, spec, plan)`` and
``ticket_meta(problem, spec, plan, reports) -> TicketMeta`` (and ``finalize(ticket, target, problem)``;
the plan is computed once per build and passed to each), and its
``select`` is ``select_masks`` with that rule followed by ``finalize`` (``orseau``, and the
``pensia``/``malach``/``factorial`` family, do). Work is split over output-neuron chunks, each
independent, optionally in ``jobs`` worker processes (the result does not depend on ``jobs``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from slt_check.core.laws import Hyperbolic, Uniform
from slt_check.core.nets import ReLUNet
from slt_check.runtime.workers import check_jobs, process_pool
from slt_check.sources.selection import (
    choose_from_candidates,
    kept_from_positions,
    layer_halves,
    layer_report,
    layer_rule,
)
from slt_check.sources.source import SourceSpec, block_rng

__all__ = [
    "lazy_candidates",
    "regenerate_entries",
    "select_lazy",
]

CHUNK_CANDIDATES = 4_000_000
"""Target number of candidates per task (a chunk of output neurons)."""

SUB_CANDIDATES = 150_000
"""Candidates per selection call inside a task (arrays of ~1 MB stay in cache: 3–4× faster)."""

PREFIX_CANDIDATES = 500_000
"""Candidates (weights × ``N``) per selection call of the prefix path (:func:`_select_prefix`; it
holds ``PREFIX_FRACTION`` of them: a few MB, measured 20 % faster than 2·10⁶ and than 5·10⁴)."""

PREFIX_FRACTION = 0.3
"""Share of each block's ``N`` candidates drawn first when the rule can stop early
(:func:`_select_prefix`); measured on Orseau's builds, about 99 % of the weights are decided within it."""

NESTED_LAWS = (Hyperbolic, Uniform)
"""Laws whose ``sample(rng, n)`` is the first ``n`` values of ``sample(rng, N)``, ``n ≤ N`` (one value
per fixed number of uniforms of the stream, mapped elementwise), so a stream's prefix can be drawn
alone (``tests/test_lazy.py`` checks it)."""


def _stream(spec: SourceSpec, layer: int, block: int, part: int, n: int | None = None) -> np.ndarray:
    """The ``N`` usable values of one block: ``law.sample(block_rng(seed, layer, block, part), N)``;
    with ``n``, only its first ``n`` values (a law of :data:`NESTED_LAWS`)."""
    return spec.law.sample(block_rng(spec.seed, layer, block, part), spec.n_samples if n is None else n)


def _draw_rows(spec: SourceSpec, keys: list[tuple[int, int, int]], n: int) -> np.ndarray:
    """The first ``n`` values of the streams ``keys`` (a law of :data:`NESTED_LAWS`), one row each.

    ``Hyperbolic`` streams are drawn as :meth:`~slt_check.core.laws.Hyperbolic.sample` does — ``n``
    pairs ``(U, U')`` of uniforms, value ``sample_from_uniforms(U, ±1 by U' < 0.5)`` — with the
    uniforms of all rows first and one elementwise map over the batch (the same values: each value
    depends on its own pair only; ``tests/test_lazy.py`` compares them with ``law.sample``). Other
    laws: ``law.sample`` per stream."""
    law = spec.law
    if type(law) is Hyperbolic:
        r = np.empty((len(keys), n, 2))
        for i, key in enumerate(keys):
            block_rng(spec.seed, *key).random(out=r[i])
        return law.sample_from_uniforms(r[..., 0], np.where(r[..., 1] < 0.5, 1, -1))
    out = np.empty((len(keys), n))
    for i, key in enumerate(keys):
        out[i] = _stream(spec, *key, n)
    return out


def nested_law(law: Any) -> bool:
    """Whether prefixes of ``law``'s streams may be drawn alone (:data:`NESTED_LAWS`)."""
    return isinstance(law, NESTED_LAWS)


_A_CACHE: dict[tuple[Any, ...], np.ndarray] = {}


def _a_stream(spec: SourceSpec, key: tuple[int, int, int]) -> np.ndarray:
    """An ``A`` stream, cached when the layout shares it between outputs (``per_input``)."""
    if not spec.layout.a_shared_by_outputs():
        return _stream(spec, *key)
    ck = (spec.seed, spec.n_samples, spec.widths, repr(spec.law), key)
    if ck not in _A_CACHE:
        if len(_A_CACHE) > 4096:
            _A_CACHE.clear()
        _A_CACHE[ck] = _stream(spec, *key)
    return _A_CACHE[ck]


A_LAYER_BYTES = 512 * 2**20
"""Largest ``per_input`` ``A`` layer (all its usable streams, ``a·N`` floats) a worker keeps in memory."""

_A_LAYER: dict[tuple[Any, ...], np.ndarray] = {}


def _a_shared(spec: SourceSpec, t: int, js: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``per_input``: the ``A`` streams of inputs ``js`` as rows of a matrix and the row of each
    ``j`` — the whole layer's streams, drawn once per process when they fit :data:`A_LAYER_BYTES`."""
    layout = spec.layout
    a_in = spec.widths[t]
    if 8.0 * a_in * spec.n_samples > A_LAYER_BYTES:
        return np.stack([_a_stream(spec, layout.a_key(t, 0, int(j))) for j in js]), np.arange(len(js))
    ck = (spec.seed, spec.n_samples, spec.widths, repr(spec.law), t)
    if ck not in _A_LAYER:
        _A_LAYER.clear()
        _A_LAYER[ck] = np.stack([_stream(spec, *layout.a_key(t, 0, j)) for j in range(a_in)])
    return _A_LAYER[ck], np.asarray(js, dtype=np.int64)


def lazy_candidates(
    spec: SourceSpec, t: int, outputs: np.ndarray, inputs: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Exactly :func:`slt_check.sources.source.usable_entries` of the dense ``G`` restricted to the input
    columns ``inputs`` (default: all), drawn from the streams the layout names: ``rows``, ``a``,
    ``b`` of shape ``(len(outputs), len(inputs), N)``."""
    layout, N = spec.layout, spec.n_samples
    outs = np.asarray(outputs, dtype=np.int64)
    js = np.arange(spec.widths[t]) if inputs is None else np.asarray(inputs, dtype=np.int64)
    cand_a = np.empty((len(outs), len(js), N))
    cand_b = np.empty((len(outs), len(js), N))
    for i, o in enumerate(outs):
        for jj, j in enumerate(js):
            cand_a[i, jj] = _a_stream(spec, layout.a_key(t, int(o), int(j)))
            cand_b[i, jj] = _stream(spec, *layout.b_key(t, int(o), int(j)))
    rows = layout.owners(t, outs, js)
    return {"rows": np.ascontiguousarray(rows), "a": cand_a, "b": cand_b}


def _factor_rows(spec: SourceSpec, t: int, outs: np.ndarray, js: np.ndarray, n: int,
                 rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Factors of the weights ``(o, j)``, ``o ∈ outs``, ``j ∈ js`` (row ``i = o_idx·len(js) + j_idx``),
    or of the rows ``rows`` only: ``a`` and ``a_row`` (``A`` stream of row ``i`` is ``a[a_row[i]]``;
    for ``per_input`` one whole stream per input, shared by the outputs and cached) and ``b`` (the
    first ``n`` values of each row's ``B`` stream)."""
    layout = spec.layout
    O, J = np.repeat(outs, len(js)), np.tile(js, len(outs))
    jj = np.tile(np.arange(len(js)), len(outs))
    if rows is not None:
        O, J, jj = O[rows], J[rows], jj[rows]
    pairs = list(zip(O.tolist(), J.tolist(), strict=True))
    b = _draw_rows(spec, [layout.b_key(t, o, j) for o, j in pairs], n)
    if layout.a_shared_by_outputs():
        a, a_rows = _a_shared(spec, t, js)
        return a, a_rows[jj], b
    return _draw_rows(spec, [layout.a_key(t, o, j) for o, j in pairs], n), np.arange(len(O)), b


def _select_prefix(
    spec: SourceSpec, t: int, outs: np.ndarray, js: np.ndarray, w: np.ndarray, rule: Any, halves: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """:func:`choose_from_candidates` on the candidates of ``lazy_candidates(spec, t, outs, js)``,
    drawing only what the rule reads: first the leading ``⌈PREFIX_FRACTION·N⌉`` values of every
    ``B`` stream (and of every ``per_weight`` ``A`` stream); the rule (``choose_factors``) decides the
    weights whose result no later candidate can change; the other weights' streams are drawn whole
    and decided on all ``N`` candidates. The values are those of the whole streams (:data:`NESTED_LAWS`),
    so the kept set is the one of the whole candidate arrays."""
    N = spec.n_samples
    L = min(N, max(1, math.ceil(PREFIX_FRACTION * N)))
    n = len(outs) * len(js)
    w = w.reshape(n)
    a, a_row, b = _factor_rows(spec, t, outs, js, L)
    pos, ok, decided = rule.choose_factors(w, a, a_row, b, halves, complete=L == N)
    pos[pos >= L] = N
    ia = a_row[:, None]
    av, bv = a[ia, np.minimum(pos, L - 1)], b[np.arange(n)[:, None], np.minimum(pos, L - 1)]
    rest = np.flatnonzero(~decided)
    if rest.size:
        a2, a_row2, b2 = _factor_rows(spec, t, outs, js, N, rest)
        pos2, ok2, _ = rule.choose_factors(w[rest], a2, a_row2, b2, halves, complete=True)
        pos[rest], ok[rest] = pos2, ok2
        safe = np.minimum(pos2, N - 1)
        av[rest], bv[rest] = a2[a_row2[:, None], safe], b2[np.arange(rest.size)[:, None], safe]
    g = spec.layout.group(t, np.asarray(outs, dtype=np.int64)[:, None], np.asarray(js, dtype=np.int64)[None, :])
    first = np.broadcast_to(g, (len(outs), len(js))).reshape(n) * N  # owners(t, outs, js)[..., 0]
    return kept_from_positions(pos, N, outs, len(js), first, av, bv, ok)


def _chunk_task(args: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """Select for output neurons ``outs`` of target layer ``t+1``, input columns in sub-blocks of
    about ``SUB_CANDIDATES`` candidates (small arrays are several times faster than one big one).
    A rule with ``choose_factors`` on a law of :data:`NESTED_LAWS` reads stream prefixes first
    (:func:`_select_prefix`)."""
    spec, t, outs, W_rows, rule, halves = args
    a = W_rows.shape[1]
    prefix = hasattr(rule, "choose_factors") and nested_law(spec.law)
    js_step = max(1, (PREFIX_CANDIDATES if prefix else SUB_CANDIDATES) // (len(outs) * spec.n_samples))
    parts = []
    for j0 in range(0, a, js_step):
        js = np.arange(j0, min(a, j0 + js_step))
        if prefix:
            kept = _select_prefix(spec, t, outs, js, W_rows[:, js], rule, tuple(halves))
        else:
            cand = lazy_candidates(spec, t, outs, js)
            kept = choose_from_candidates(W_rows[:, js], outs, cand, rule, halves)
        kept["j"] = js[kept["j"]]
        parts.append(kept)
    out = {k: np.concatenate([p[k] for p in parts]) for k in ("o", "j", "rows", "a", "b")}
    out["ok"] = np.concatenate([p["ok"] for p in parts], axis=1)
    return out


def _first_occurrences(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(x, return_index=True)`` (sorted distinct values, index of each one's first
    occurrence) by a stable argsort: the same result, several times faster on millions of int64."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    head = np.r_[True, xs[1:] != xs[:-1]] if len(xs) else np.zeros(0, dtype=bool)
    return xs[head], order[head]


def select_lazy(
    target: ReLUNet,
    spec: SourceSpec,
    rule: Any,
    *,
    prune_dead_halves: bool = True,
    chunk_outputs: int | None = None,
    jobs: int = 1,
    progress: bool | None = None,
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, Any]]]:
    """The lazy counterpart of :func:`slt_check.sources.selection.select_masks`.

    Returns ``entries`` — per ``G`` layer ``k`` a dict of COO arrays ``rows``, ``cols`` (int64, in
    ``G``'s indexing) and ``vals`` (float64) of the kept entries, sorted by ``(rows, cols)`` — and
    the same per-layer reports as ``select_masks``. ``jobs > 1`` runs chunks in worker processes.
    ``progress``: tqdm over chunks (``None``: only on a terminal).
    """
    if tuple(target.widths) != tuple(spec.widths):
        raise ValueError(
            f"target: widths {target.widths} differ from the widths G was sampled for {spec.widths}"
        )
    check_jobs(jobs)
    entries: list[dict[str, np.ndarray]] = []
    reports: list[dict[str, Any]] = []
    with process_pool(jobs) as pool:
        for t, W in enumerate(target.weights):
            W = np.asarray(W, dtype=np.float64)
            b_out, a_in = W.shape
            halves = layer_halves(t, prune_dead_halves)
            step = chunk_outputs or max(1, CHUNK_CANDIDATES // (a_in * spec.n_samples))
            tasks = [
                (spec, t, np.arange(o0, min(b_out, o0 + step)), W[o0 : o0 + step], layer_rule(rule, t),
                 halves)
                for o0 in range(0, b_out, step)
            ]
            results = pool.map(_chunk_task, tasks) if pool else map(_chunk_task, tasks)
            ok = np.ones(W.shape, dtype=bool)
            parts: list[dict[str, np.ndarray]] = []
            for task, res in tqdm(
                zip(tasks, results, strict=True), total=len(tasks), disable=progress is False or None,
                desc=f"layer {t + 1}", leave=False,
            ):
                ok[task[2]] = res["ok"]
                parts.append(res)
            cat = {k: np.concatenate([p[k] for p in parts]) for k in ("o", "j", "rows", "a", "b")}
            # A: one entry per kept neuron h (per_input: several outputs may keep the same h)
            hA, first = _first_occurrences(cat["rows"])
            A_e = {"rows": hA, "cols": cat["j"][first], "vals": cat["a"][first]}
            order = np.lexsort((cat["rows"], cat["o"]))
            B_e = {"rows": cat["o"][order], "cols": cat["rows"][order], "vals": cat["b"][order]}
            entries += [A_e, B_e]
            reports.append(layer_report(t, ok, halves, int(len(hA)), int(len(order)), layer_rule(rule, t)))
    _A_CACHE.clear()
    _A_LAYER.clear()
    return entries, reports


def _regen_task(args: tuple[Any, ...]) -> np.ndarray:
    """The values at ``positions`` of each stream ``(layer, block, part)``: of a law of
    :data:`NESTED_LAWS` only the stream's prefix up to the last position is drawn."""
    spec, layer, blocks, parts, positions_list = args
    prefix = nested_law(spec.law)
    return np.concatenate(
        [_stream(spec, layer, int(b), int(p), int(pos.max()) + 1 if prefix else None)[pos]
         for b, p, pos in zip(blocks, parts, positions_list, strict=True)]
    ) if len(blocks) else np.empty(0)


def stream_keys(spec: SourceSpec, k: int, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """For kept entries ``(rows, cols)`` of ``G`` layer ``k``: the stream ``(block, part)`` and
    position ``s`` each was drawn from, and whether the entry is *usable* (may be kept at all)
    (:meth:`slt_check.sources.layout.Layout.entry_keys`)."""
    return spec.layout.entry_keys(k, np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))


def regenerate_entries(
    spec: SourceSpec, k: int, rows: np.ndarray, cols: np.ndarray, *, jobs: int = 1,
    progress: bool | None = None,
) -> np.ndarray:
    """The values ``G_k[rows, cols]`` of usable entries, regenerated from their streams (each
    needed stream drawn once, up to its last needed position for a law of :data:`NESTED_LAWS`).
    ``ValueError`` if an entry is not usable (a mask cannot keep it)."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    blk, part, s, usable = stream_keys(spec, k, rows, cols)
    if not usable.all():
        i = int(np.argmin(usable))
        raise ValueError(
            f"G layer {k}: kept entry ({rows[i]}, {cols[i]}) is not a usable entry of "
            f"sharing={spec.sharing!r} (always pruned, or out of range)"
        )
    key = blk * (spec.widths[k // 2 + 1] + 2) + part
    order = np.argsort(key, kind="stable")
    sk = key[order]
    bounds = np.append(np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]]) if len(sk) else [], len(order))
    groups = np.split(order, bounds[1:-1].astype(np.int64)) if len(sk) else []
    per_task = max(1, math.ceil(len(groups) / (64 * max(1, jobs))))
    tasks = [
        (spec, k, [blk[g[0]] for g in gs], [part[g[0]] for g in gs], [s[g] for g in gs])
        for gs in (groups[i : i + per_task] for i in range(0, len(groups), per_task))
    ]
    out = np.empty(len(rows))
    with process_pool(jobs) as pool:
        results = pool.map(_regen_task, tasks) if pool else map(_regen_task, tasks)
        idx = iter(range(0, len(tasks) * per_task, per_task))
        for gi, vals in zip(idx, tqdm(results, total=len(tasks), disable=progress is False or None,
                                      desc=f"regenerate G_{k}", leave=False), strict=True):
            sel = np.concatenate(groups[gi : gi + per_task])
            out[sel] = vals
    return out

