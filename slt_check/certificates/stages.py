"""How the stage certificate reads a ticket: stages, their reduced form, interval bounds, float slack.

A ticket is read as *stages*, one per target layer: a pair of ticket layers ``(A, B)`` whose kept
intermediate neurons have at most one input each, or one ticket layer ``B``, with an optional copy
map (which target unit each stage-output unit tracks). :func:`reduce_stages` turns a stage into
``Pos = B A⁺``, ``Neg = B A⁻`` (dense) and the rounding bound ``R`` of forming them. These pieces are
shared by the propagation certificate (:mod:`slt_check.certificates.sup_error`), the CROWN bound
(:mod:`slt_check.certificates.crown`) and the exact MILP (:mod:`slt_check.certificates.exact`), so none of
those imports another for them.

Float64: ``U = 2⁻⁵³`` is the unit round-off and ``γ_n = nU/(1 − nU)`` the classical bound on the
relative error of an ``n``-term sum; :func:`float_slack` bounds the evaluation error of a whole
network on the box, ``L γ_{n+2} ‖|W_L|⋯|W_1| x_max 1‖_∞`` (any network; the reference bound), and
:func:`stagewise_float_slack` a ticket's, stage by stage, when every stage is a pair of ticket layers
(it does not compound the cancellation factor ``|B||A| / |BA|`` of the subset sums over the layers);
:func:`ticket_float_slack` picks the stage-wise bound where it applies and the reference bound elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.certificates.float_safety import TINY, U, float_slack, gamma
from slt_check.core.nets import ReLUNet

__all__ = ["U", "gamma", "Stage", "UnreadableStage", "recorded", "stages_of", "reduce_stages", "aggregate",
           "interval_bounds", "float_slack", "stagewise_float_slack", "ticket_float_slack", "TINY"]

class UnreadableStage(ValueError):
    """A pair stage whose kept intermediate neuron has several inputs: a valid pruning that the stage
    certificate cannot read (other certificates, e.g. the exact MILP, can)."""


@dataclass
class Stage:
    """Ticket layers making up one target layer, and the target unit each output unit tracks."""

    layers: tuple[int, ...]
    out_copies: np.ndarray | None = None  # None: identity


def recorded(ticket: Any, name: str, default: Any = None) -> Any:
    """What ``ticket`` records as ``name`` (an attribute of its typed
    :class:`~slt_check.tickets.meta.TicketMeta`, or a key of a conv ticket's dict), ``default`` when
    absent or the ticket has no metadata."""
    meta = getattr(ticket, "meta", None)
    if meta is None:
        return default
    v = meta.get(name) if isinstance(meta, dict) else getattr(meta, name, None)
    return default if v is None else v


def stages_of(ticket: Any) -> list[Stage]:
    """Stages from ``ticket.meta.stages``: ``"pairs"`` (depth-2l, identity copies; the default)
    or a list of ``{"layers": [...], "out_copies": [...] | None}``."""
    spec = recorded(ticket, "stages", "pairs")
    L = len(ticket.weights)
    if spec == "pairs":
        if L != 2 * ticket.target.depth:
            raise ValueError(
                f"ticket: 'pairs' stages need a G of depth 2l = {2 * ticket.target.depth}, got {L}"
            )
        return [Stage((2 * i, 2 * i + 1)) for i in range(ticket.target.depth)]
    out = []
    for st in spec:
        copies = st.get("out_copies")
        copies_a = None if copies is None else np.asarray(copies, dtype=np.int64)
        out.append(Stage(tuple(int(k) for k in st["layers"]), copies_a))
    return out


def _abs(m: Any) -> Any:
    return abs(m) if sp.issparse(m) else np.abs(m)


def reduce_stages(weights: Sequence[Any], stages: Sequence[Stage]) -> list[dict[str, Any]]:
    """``Pos``, ``Neg`` (dense) and their rounding bound ``R`` for every stage; checks that every
    kept intermediate neuron of a pair stage has at most one input. ``R = γ_{f+2} |B||A|`` (``f`` the
    largest number of stored entries in a row of ``B``) bounds both the rounding of forming ``Pos`` and
    ``Neg`` and the rounding a float evaluation of the stage injects per unit of input magnitude
    (:func:`stagewise_float_slack`); ``layers`` records the stage's ticket layers."""
    red = []
    for st in stages:
        if len(st.layers) == 2:
            A = sp.csr_matrix(weights[st.layers[0]])
            B = sp.csr_matrix(weights[st.layers[1]])
            per_row = np.diff(A.indptr)
            if np.any(per_row > 1):
                h = int(np.argmax(per_row > 1))
                raise UnreadableStage(
                    f"ticket layer {st.layers[0]}: intermediate neuron {h} keeps {int(per_row[h])} inputs; "
                    "the certificate needs at most one (use explicit stages for other structures)"
                )
            Ap = A.maximum(0)
            An = A.minimum(0)
            Pos = (B @ Ap).toarray()
            Neg = (B @ An).toarray()
            n_terms = int(np.max(np.diff(B.indptr))) + 1 if B.nnz else 1
            R = gamma(n_terms + 1) * (_abs(B) @ _abs(A)).toarray()
        elif len(st.layers) == 1:
            B = weights[st.layers[0]]
            Pos = B.toarray() if sp.issparse(B) else np.asarray(B, dtype=np.float64)
            Neg = Pos
            R = np.zeros_like(Pos)
        else:
            raise ValueError(f"stage layers: need 1 or 2 ticket layers per stage, got {st.layers}")
        red.append({"Pos": Pos, "Neg": Neg, "R": R, "out_copies": st.out_copies, "layers": tuple(st.layers)})
    return red


def aggregate(M: np.ndarray, copies: np.ndarray | None, n_target: int) -> np.ndarray:
    """Sum columns of ``M`` by the target unit they copy (identity: unchanged)."""
    if copies is None:
        return M
    out = np.zeros((M.shape[0], n_target))
    np.add.at(out.T, copies, M.T)
    return out


def interval_bounds(target: ReLUNet, x_max: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[lo, hi]`` of every stage input of ``F`` over the box (index 0 = x), widened by the float-safety
    rule (:mod:`slt_check.certificates.float_safety`): ``γ_{n+2}`` times the magnitude for rounding and
    :data:`TINY` for underflow, so that they contain the real-arithmetic intervals."""
    lo = np.full(target.n_in, -x_max)
    hi = np.full(target.n_in, x_max)
    out = [(lo, hi)]
    for W in target.dense_weights()[:-1]:
        Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
        zlo, zhi = Wp @ lo + Wn @ hi, Wp @ hi + Wn @ lo
        pad = 2.0 * gamma(W.shape[1] + 2) * (np.abs(W) @ np.maximum(np.abs(lo), np.abs(hi))) + TINY
        lo, hi = np.maximum(zlo - pad, 0.0), np.maximum(zhi + pad, 0.0)
        out.append((lo, hi))
    return out


def _pair_chain(red: Sequence[dict[str, Any]], n_layers: int) -> bool:
    """Whether the reduced stages are pairs ``(0, 1), (2, 3), …`` covering all ``n_layers`` ticket layers."""
    return len(red) * 2 == n_layers and all(
        tuple(r.get("layers", ())) == (2 * k, 2 * k + 1) for k, r in enumerate(red)
    )


def _stage_rounding(R: np.ndarray, u_hat: np.ndarray) -> np.ndarray:
    """``e_k = γ_{f+2} |B_k||A_k| û_{k−1} = R_k û_{k−1}`` (+ the underflow allowance): the rounding a float
    evaluation of stage ``k`` injects, per output unit (a function of its own so tests can break it)."""
    return np.asarray(R @ u_hat).ravel() + TINY


def stagewise_float_slack(red: Sequence[dict[str, Any]], x_max: float, n_layers: int) -> float | None:
    """Bound on ``‖Ĝ_float(x) − Ĝ(x)‖_∞`` over ``‖x‖_∞ ≤ x_max`` for a ticket read as pair stages, stage by stage.

    ``red``: :func:`reduce_stages` of the ticket's ``n_layers`` layers. ``None`` when the stages are not
    the pairs ``(0, 1), (2, 3), …`` covering every layer (single-layer stages, as burkholz's; use
    :func:`float_slack` there). Copy maps do not matter: the bound is about the ticket alone.

    **Setting.** Stage ``k`` computes ``h_k = σ?(B_k σ(A_k h_{k−1}))`` (``σ?``: σ except after the last
    stage of a network without output ReLU), ``h_0 = x``; every intermediate neuron ``j`` of ``A_k`` has
    at most one input ``i(j)`` (checked by :func:`reduce_stages`). ``h*`` is the evaluation in real
    arithmetic, ``ĥ`` the float64 one (the products in any order, with or without FMA, dense or sparse:
    a stored or dense zero weight gives an exact 0 term and an exact addition, so only the ``f_o``
    stored entries of row ``o`` of ``B`` count). The standard model ``fl(a∘b) = (a∘b)(1+θ)``,
    ``|θ| ≤ U``, gives ``fl(Σ_{j≤f} b_j g_j) = Σ_j b_j g_j (1+θ_j)``, ``|θ_j| ≤ γ_f``; underflow adds at most
    ``2⁻¹⁰⁷⁵`` per product, covered by :data:`TINY` (also added to ``u``: the float-safety rule of
    :mod:`slt_check.certificates.float_safety`).

    **Rounding inside stage k.** ``ẑ_j = fl(a_j ĥ_i) = a_j ĥ_i (1+θ)``: rounding keeps the sign, so
    ``σ(ẑ_j) = σ(a_j ĥ_i)(1+θ)``, and ``ŷ_o = fl(Σ_j b_oj σ(ẑ_j)) = Σ_j b_oj σ(a_j ĥ_i)(1+θ'_j)`` with
    ``|θ'_j| ≤ γ_{f_o+1} ≤ γ_{f+2}``. Hence ``|ŷ_o − y_o(ĥ)| ≤ γ_{f+2} (|B_k||A_k| |ĥ_{k−1}|)_o ≤ e_k``, where
    ``y(ĥ)`` is the stage's exact function applied to the float input and

        e_k = γ_{f+2} |B_k||A_k| û_{k−1},      û_{k−1} ≥ |ĥ_{k−1}|   (= R_k û_{k−1}, ``R`` of reduce_stages).

    **Propagation of the input error.** For ``k ≥ 2`` both inputs are post-ReLU, ``h*, ĥ ≥ 0``; then
    ``a_j > 0`` neurons are always active and ``a_j < 0`` ones always dead (exactly 0 in both
    evaluations, also when kept by ``prune_dead_halves=False``), so the stage is *linear* on ``h ≥ 0``
    with the simulated weights ``Ŵ_k = B_k A_k⁺`` (``= Pos``, summed per input): ``|y(ĥ) − y(h*)| ≤
    |Ŵ_k| |ĥ − h*|``, not ``|B_k||A_k| |ĥ − h*|`` — the cancellation inside a subset sum is not
    compounded. ``Pos`` is itself a float matrix, within ``R_k`` of the exact ``B_k A_k⁺``, so
    ``|Ŵ_k| ≤ |Pos_k| + R_k``. The first stage reads ``x`` itself (no input error). σ is 1-Lipschitz
    and exact in float, so the bound passes through the activations:

        E_1 = e_1,   E_k = (|Pos_k| + R_k) E_{k−1} + e_k,   slack = ‖E_L‖_∞.

    **Magnitudes.** ``u_0 = x_max 1``; the first stage computes ``Pos σ(x) − Neg σ(−x)`` (one of
    ``σ(x_i), σ(−x_i)`` is zero), so ``|h*_1| ≤ (max(|Pos_1|, |Neg_1|) + R_1) u_0``; later stages are linear,
    ``|h*_k| ≤ (|Pos_k| + R_k) u_{k−1}``; and ``|ĥ_k| ≤ û_k = u_k + E_k``.

    **Rounding of this computation.** Every quantity above is a sum of non-negative terms computed in
    float (at most ``n`` terms, ``n`` the largest width), so each computed vector is at least its exact
    value ``/ (1 + γ_{n+3})``; each stage's ``E`` and ``u`` are multiplied by ``1 + 4γ_{n+4}`` to stay
    upper bounds.

    Its rounding part is at most the rounding part of ``float_slack(weights)``: each of the
    ``l`` terms ``|Ŵ_L|⋯|Ŵ_{k+1}| e_k`` is at most ``γ_{f+2} |B_L||A_L|⋯|B_1||A_1| x_max 1``
    (``|Ŵ| ≤ |B||A|``) and the reference bound counts ``L = 2l``.
    """
    if not red or not _pair_chain(red, n_layers):
        return None
    n_in = red[0]["Pos"].shape[1]
    n = max([n_in] + [int(max(r["Pos"].shape)) for r in red])
    grow = 1.0 + 4.0 * gamma(n + 4)
    u = np.full(n_in, float(x_max))
    E = np.zeros(n_in)
    for k, r in enumerate(red):
        Pa = np.abs(r["Pos"]) + r["R"]
        e = _stage_rounding(r["R"], u + E)
        if k == 0:
            E_new = e
            u_new = (np.maximum(np.abs(r["Pos"]), np.abs(r["Neg"])) + r["R"]) @ u
        else:
            E_new = Pa @ E + e
            u_new = Pa @ u
        E, u = E_new * grow, u_new * grow + TINY
    return float(np.max(E))


def ticket_float_slack(weights: Sequence[Any], red: Sequence[dict[str, Any]], x_max: float, n_in: int) -> float:
    """The float-evaluation slack of a ticket: :func:`stagewise_float_slack` when its stages are pairs,
    else the reference :func:`float_slack` (both are sound upper bounds)."""
    s = stagewise_float_slack(red, x_max, len(weights))
    return float_slack(weights, x_max, n_in) if s is None else s
