"""How the stage certificate reads a ticket: stages, their reduced form, interval bounds, float slack.

A ticket is read as *stages*, one per target layer: a pair of ticket layers ``(A, B)`` whose kept
intermediate neurons have at most one input each, or one ticket layer ``B``, with an optional copy
map (which target unit each stage-output unit tracks). :func:`reduce_stages` turns a stage into
``Pos = B A⁺``, ``Neg = B A⁻`` (dense) and the rounding bound ``R`` of forming them. These pieces are
shared by the propagation certificate (:mod:`slt_check.certificates.sup_error`), the CROWN bound
(:mod:`slt_check.certificates.crown`) and the exact MILP (:mod:`slt_check.certificates.exact`), so none of those imports another
for them.

Float64: ``U = 2⁻⁵³`` is the unit round-off and ``γ_n = nU/(1 − nU)`` the classical bound on the
relative error of an ``n``-term sum; :func:`float_slack` bounds the evaluation error of a whole
network on the box, ``L γ_{n+2} ‖|W_L|⋯|W_1| x_max 1‖_∞``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from slt_check.core.nets import ReLUNet

__all__ = ["U", "gamma", "Stage", "UnreadableStage", "stages_of", "reduce_stages", "aggregate", "interval_bounds",
           "float_slack"]

U = 2.0**-53  # unit round-off of float64


def gamma(n: int) -> float:
    return (n * U) / (1 - n * U)


class UnreadableStage(ValueError):
    """A pair stage whose kept intermediate neuron has several inputs: a valid pruning that the stage
    certificate cannot read (other certificates, e.g. the exact MILP, can)."""


@dataclass
class Stage:
    """Ticket layers making up one target layer, and the target unit each output unit tracks."""

    layers: tuple[int, ...]
    out_copies: np.ndarray | None = None  # None: identity


def stages_of(ticket: Any) -> list[Stage]:
    """Stages from ``ticket.meta["stages"]``: ``"pairs"`` (depth-2l, identity copies; the default)
    or a list of ``{"layers": [...], "out_copies": [...] | None}``."""
    spec = ticket.meta.get("stages", "pairs")
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
    kept intermediate neuron of a pair stage has at most one input."""
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
        red.append({"Pos": Pos, "Neg": Neg, "R": R, "out_copies": st.out_copies})
    return red


def aggregate(M: np.ndarray, copies: np.ndarray | None, n_target: int) -> np.ndarray:
    """Sum columns of ``M`` by the target unit they copy (identity: unchanged)."""
    if copies is None:
        return M
    out = np.zeros((M.shape[0], n_target))
    np.add.at(out.T, copies, M.T)
    return out


def interval_bounds(target: ReLUNet, x_max: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """``[lo, hi]`` of every stage input of ``F`` over the box (index 0 = x)."""
    lo = np.full(target.n_in, -x_max)
    hi = np.full(target.n_in, x_max)
    out = [(lo, hi)]
    for W in target.dense_weights()[:-1]:
        Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
        zlo, zhi = Wp @ lo + Wn @ hi, Wp @ hi + Wn @ lo
        lo, hi = np.maximum(zlo, 0.0), np.maximum(zhi, 0.0)
        out.append((lo, hi))
    return out


def float_slack(weights: Sequence[Any], x_max: float, n_in: int) -> float:
    """``L γ_{n+1} ‖|W_L|⋯|W_1| x_max 1‖_∞``: bound on the float evaluation error of a network."""
    v = np.full(n_in, x_max)
    n_max = 1
    for W in weights:
        Wa = _abs(W)
        v = np.asarray(Wa @ v).ravel()
        fan = int(np.max(np.diff(sp.csr_matrix(W).indptr))) if sp.issparse(W) else W.shape[1]
        n_max = max(n_max, fan)
    return len(weights) * gamma(n_max + 2) * float(np.max(v))
