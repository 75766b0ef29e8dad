"""Mask selection for depth-``2l`` sources: one code path for every (law × rule) combination.

For target weight ``w = W_i[o, j]`` the candidates are the ``N`` intermediate neurons ``h`` of its
group (``per_weight``) or of block ``j`` (``per_input``), with factors ``a_h = A[h, j]``,
``b_h = B[o, h]`` and product ``p_h = a_h b_h``. By the ReLU pair identity (R3),

    Σ_{h∈S} b_h σ(a_h x) = ŵ⁺ σ(x) − ŵ⁻ σ(−x),   ŵ⁺ = Σ_{h∈S, a_h>0} p_h,  ŵ⁻ = Σ_{h∈S, a_h<0} p_h,

so a *selection rule* only has to pick, separately in each half (``a > 0`` and ``a < 0``), a subset
of products summing to about ``w``. In layers ``i ≥ 2`` the inputs are post-ReLU (≥ 0), so
``σ(−x) = 0`` and the negative half is dead: it is pruned when ``prune_dead_halves`` (default).

A rule is any object with ``choose(w, p, eligible) -> (keep, ok)`` working on a batch:
``w`` shape ``(n,)``, ``p``/``eligible`` shape ``(n, N)``; ``keep`` is the chosen subset, ``ok`` the
rule's own success event (e.g. "every digit category present").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from slt_check.core.nets import ReLUNet
from slt_check.sources.source import SourceSpec, usable_entries

__all__ = [
    "SelectionRule",
    "select_masks",
    "LayerReport",
    "choose_from_candidates",
    "kept_from_positions",
    "layer_halves",
    "layer_rule",
    "layer_report",
]


class SelectionRule(Protocol):
    name: str

    def choose(
        self, w: np.ndarray, p: np.ndarray, eligible: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]: ...


LayerReport = dict[str, Any]


def layer_rule(rule: SelectionRule | Sequence[SelectionRule], t: int) -> SelectionRule:
    """The rule of target layer ``t+1`` (0-based ``t``): ``rule`` itself, or ``rule[t]`` when a
    construction gives one rule per layer (e.g. per-layer precisions, :mod:`slt_check.certificates.precision`)."""
    if isinstance(rule, (list, tuple)):
        return rule[t]
    return rule


def layer_halves(t: int, prune_dead_halves: bool = True) -> tuple[int, ...]:
    """Halves selected in target layer ``t+1`` (0-based ``t``): both (``a > 0`` and ``a < 0``) in
    the first layer; only ``a > 0`` later when ``prune_dead_halves`` (inputs ≥ 0, σ(−x) = 0)."""
    return (1,) if (prune_dead_halves and t > 0) else (1, -1)


def choose_from_candidates(
    w: np.ndarray, outs: np.ndarray, cand: dict[str, np.ndarray], rule: SelectionRule,
    halves: Sequence[int],
) -> dict[str, np.ndarray]:
    """Run ``rule`` on the candidates of a chunk of output neurons ``outs`` of one target layer.

    ``w = W[outs]`` (shape ``(len(outs), a)``); ``cand`` as returned by
    :func:`~slt_check.sources.source.usable_entries` (``rows``, ``a``, ``b`` of shape ``(len(outs), a, N)``),
    whatever produced it (the dense ``G`` or the lazy per-block streams, :mod:`slt_check.sources.lazy`).
    Returns the kept candidates: ``o`` (target output = ``B`` row), ``j`` (target input = ``A``
    column), ``rows`` (intermediate neuron ``h``), their factors ``a`` = ``A[h, j]`` and
    ``b`` = ``B[o, h]``, and ``ok`` (shape of ``w``: the rule's success event per weight).
    """
    n = w.size
    if hasattr(rule, "choose_factors"):  # the rule works on the factors directly (compiled)
        N = cand["a"].shape[-1]
        a, b = cand["a"].reshape(n, N), cand["b"].reshape(n, N)
        pos, ok, _ = rule.choose_factors(w.reshape(n), a, np.arange(n), b, tuple(halves), complete=True)
        safe, i = np.minimum(pos, N - 1), np.arange(n)[:, None]
        return kept_from_positions(pos, N, outs, w.shape[1], cand["rows"].reshape(n, N)[:, 0], a[i, safe],
                                   b[i, safe], ok)
    p = cand["a"] * cand["b"]
    flat_p = p.reshape(n, -1)
    flat_a = cand["a"].reshape(n, -1)
    keep_any = np.zeros(flat_p.shape, dtype=bool)
    ok_chunk = np.ones(n, dtype=bool)
    for half in halves:
        eligible = np.sign(flat_a) == half
        keep, good = rule.choose(w.reshape(n), flat_p, eligible)
        if np.any(keep & ~eligible):
            raise AssertionError(f"rule {rule.name} kept a neuron outside its half")
        keep_any |= keep
        ok_chunk &= good
    keep3 = keep_any.reshape(cand["rows"].shape)
    o_idx, j_idx, s_idx = np.nonzero(keep3)
    return {
        "o": outs[o_idx],
        "j": j_idx,
        "rows": cand["rows"][o_idx, j_idx, s_idx],
        "a": cand["a"][o_idx, j_idx, s_idx],
        "b": cand["b"][o_idx, j_idx, s_idx],
        "ok": ok_chunk.reshape(w.shape),
    }


def kept_from_positions(
    pos: np.ndarray, N: int, outs: np.ndarray, n_in: int, rows: np.ndarray, a: np.ndarray, b: np.ndarray,
    ok: np.ndarray,
) -> dict[str, np.ndarray]:
    """:func:`choose_from_candidates`'s result from kept positions: row ``i = o_idx·n_in + j_idx`` of
    ``pos`` lists the kept candidates ``s`` of weight ``(outs[o_idx], j_idx)`` (entries ``≥ N`` are
    padding); ``a[i, c]``, ``b[i, c]`` are the factors of candidate ``pos[i, c]`` and ``rows[i]`` the
    neuron of the weight's candidate ``s = 0`` (candidate ``s`` is neuron ``rows[i] + s``,
    :meth:`~slt_check.sources.layout.Layout.owners`). Entries come in ``(o, j, s)`` order, like
    ``np.nonzero`` of a keep mask."""
    i, c = np.nonzero(pos < N)
    s = pos[i, c]
    o_idx, j_idx = np.divmod(i, n_in)
    return {"o": np.asarray(outs)[o_idx], "j": j_idx, "rows": rows[i] + s, "a": a[i, c], "b": b[i, c],
            "ok": ok.reshape(len(outs), n_in)}


def select_masks(
    target: ReLUNet,
    G: ReLUNet,
    spec: SourceSpec,
    rule: SelectionRule | Sequence[SelectionRule],
    *,
    prune_dead_halves: bool = True,
    chunk_outputs: int | None = None,
) -> tuple[list[np.ndarray], list[LayerReport]]:
    """Masks for every layer of ``G`` and a per-layer report (``ok`` per weight, kept counts).

    ``chunk_outputs`` processes a layer's output neurons in chunks (memory: ``chunk·a·N`` floats).
    ``rule``: one rule, or one per target layer (:func:`layer_rule`).
    The candidates come from the dense ``G`` (:func:`usable_entries`); the choice itself is
    :func:`choose_from_candidates`, shared with the lazy path (:mod:`slt_check.sources.lazy`).
    """
    if tuple(target.widths) != tuple(spec.widths):
        raise ValueError(
            f"target: widths {target.widths} differ from the widths G was sampled for {spec.widths}"
        )
    masks = [np.zeros(w.shape, dtype=bool) for w in G.weights]
    reports: list[LayerReport] = []
    for t, W in enumerate(target.weights):
        W = np.asarray(W, dtype=np.float64)
        A, B = G.weights[2 * t], G.weights[2 * t + 1]
        b_out, a_in = W.shape
        halves = layer_halves(t, prune_dead_halves)
        ok = np.ones(W.shape, dtype=bool)
        step = b_out if chunk_outputs is None else max(1, int(chunk_outputs))
        for o0 in range(0, b_out, step):
            outs = np.arange(o0, min(b_out, o0 + step))
            cand = usable_entries(spec, t, A, B, outs)
            kept = choose_from_candidates(W[outs], outs, cand, layer_rule(rule, t), halves)
            ok[outs] = kept["ok"]
            masks[2 * t][kept["rows"], kept["j"]] = True
            masks[2 * t + 1][kept["o"], kept["rows"]] = True
        reports.append(
            layer_report(t, ok, halves, int(masks[2 * t].sum()), int(masks[2 * t + 1].sum()),
                         layer_rule(rule, t))
        )
    return masks, reports


def layer_report(
    t: int, ok: np.ndarray, halves: Sequence[int], kept_A: int, kept_B: int, rule: SelectionRule
) -> LayerReport:
    """The per-layer selection report (shared by the dense and the lazy path); records the rule's
    precision ``eta`` or digit count ``M`` when it has one."""
    rep: LayerReport = {"layer": t + 1, "ok": ok, "halves": list(halves), "kept_A": kept_A, "kept_B": kept_B}
    if hasattr(rule, "eta"):
        rep["eta"] = float(rule.eta)
    if hasattr(rule, "M"):
        rep["M"] = int(rule.M)
    return rep


def simulated_weights(G_or_ticket_weights: Sequence[np.ndarray], layer: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ŵ⁺, ŵ⁻)`` of target layer ``layer`` (1-based) read off kept weights of a ``2l`` ticket:
    ``ŵ⁺ = B A⁺``, ``ŵ⁻ = B A⁻`` (``A⁺ = max(A, 0)``, ``A⁻ = min(A, 0)``), valid when each kept
    intermediate neuron has one input (R3)."""
    A = np.asarray(G_or_ticket_weights[2 * layer - 2])
    B = np.asarray(G_or_ticket_weights[2 * layer - 1])
    return B @ np.maximum(A, 0.0), B @ np.minimum(A, 0.0)
