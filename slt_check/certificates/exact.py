"""The exact sup error of a ticket over the input box, by mixed-integer linear programming.

A bias-free ReLU network is piecewise linear, so for every output ``j`` and sign ``s ∈ {+1, −1}``

    V_{j,s} = max_{‖x‖_∞ ≤ x_max}  s·(F(x) − Ĝ(x))_j

is a mixed-integer linear program, and ``sup_x ‖F(x) − Ĝ(x)‖_∞ = max_{j,s} V_{j,s}``. Both networks
(the target ``F`` and the ticket's compact network ``Ĝ = ticket.network(compact=True)``, kept/live
neurons only) are modelled jointly over one shared input, and each ``V_{j,s}`` is solved with HiGHS
through :func:`scipy.optimize.milp`.

**Biased targets** (a ticket with ``meta["affine"]``, :mod:`slt_check.core.affine`): ``F`` and ``Ĝ`` are
the reduced bias-free networks on ``z = [x; 1]``; ``x_max`` is the box of ``x`` and the last input
pair is fixed (``p = 1``, ``n = 0``, ``δ = 1``), so the model's sup is over ``‖x‖_∞ ≤ x_max`` with the
constant coordinate exactly 1 — the exact sup error of the biased target, not of a superset.

**The model.** Every model variable is one of

* an input pair ``p_j = σ(x_j)``, ``n_j = σ(−x_j)`` with ``p_j, n_j ∈ [0, x_max]`` and a binary
  ``δ_j``: ``p_j ≤ x_max δ_j``, ``n_j ≤ x_max (1 − δ_j)``; then ``x_j = p_j − n_j`` covers the box;
* the output ``y = σ(z)`` of a ReLU whose sign is not fixed, with a binary ``δ`` (big-M encoding):

      y ≥ z,   y ≥ 0,   y ≤ z − l (1 − δ),   y ≤ u δ,        z ∈ [l, u],  l < 0 < u.

Each layer's outputs are kept as exact linear expressions in these variables (a sparse matrix
``E``; a layer's pre-activations are ``W E``), and each ReLU is classified by the bounds
``[l, u]`` of its pre-activation expression:

* ``u ≤ 0``: the neuron is 0 (dropped);  ``l ≥ 0``: it is linear (``σ(z) = z``, no variable);
* its expression touches only one input pair, ``z = a p_j + b n_j``: since ``p_j n_j = 0``,
  ``σ(z) = σ(a) p_j + σ(b) n_j`` exactly — no binary. This is every first-layer neuron of the
  depth-2l constructions (one kept input each), so the ticket's first stage costs only the
  ``n_0`` input binaries;
* else a new ``y`` and a binary as above.

Expressions of linear neurons are folded into the next layer, so a stage ``(A, B)`` of a ticket
appears collapsed to ``Pos p − Neg n`` (the certificate's identity) without any per-candidate
variable. The bounds are interval arithmetic on the variables' boxes, exact per input pair:
``a p + b n`` with ``p n = 0`` ranges over ``[min(0, a x_max, b x_max), max(0, a x_max, b x_max)]``;
they are widened by ``γ_{k+2} Σ|terms|`` so that float rounding never mis-classifies a neuron
(exact zeros, e.g. ``a·y`` with ``a < 0`` and ``y ≥ 0``, stay exact: such a neuron is dead).

**Stage links** (``use_links``, default on; they tighten the relaxation, never the maximum). When
the ticket's ``meta["stages"]`` says that unit ``u`` at the end of a hidden stage tracks target unit
``c`` (identity, or ``out_copies``), ``B ≥ max |v_u − z_c|`` is computed by an LP over the
relaxation built so far (two LPs per unit, widened by the LP tolerance slack), and the valid rows

    −B ≤ σ(v_u) − σ(z_c) ≤ B                                     (σ is 1-Lipschitz),
    δ_G = 0 ⇒ z_c ≤ B,   δ_G = 1 ⇒ z_c ≥ −B,   δ_F = 0 ⇒ v_u ≤ B,   δ_F = 1 ⇒ v_u ≥ −B   (big-M form),

and the bounds ``[l_c − B, u_c + B]`` on ``v_u`` are added. They hold for *any* pairing, so a
wrong structure costs tightness only, never soundness. Without them the relaxation of
``F − Ĝ`` is the difference of two independent triangle relaxations and is very weak.

**The reported interval** ``[lower, upper]`` (per subproblem and overall):

* ``lower`` is never the solver's objective: the ``x`` of the best solution is clipped into the box
  and both networks are evaluated there in float64; ``lower = ‖F(x) − Ĝ(x)‖_∞`` (a true lower bound
  on the float sup error, attained at ``argmax``);
* ``upper = D + S_tol + S_float``, where ``D`` is HiGHS's dual bound on the maximum (``−
  mip_dual_bound``; not smaller than the incumbent's objective plus the MIP gap), and

      S_tol   = κ τ (Σ_i π_i S_i + (1 + ‖c‖_∞) Σ_i (ub_i − lb_i)),      κ = 10,
      S_float = 2 (slack(F) + slack(Ĝ)),  slack(N) = L γ_{n+2} ‖|W_L|⋯|W_1| x_max 1‖_∞.

  ``τ`` is the larger of the feasibility tolerance we set for HiGHS (``mip``, primal and dual
  feasibility, default ``1e-9``) and the violation measured on the returned solution; ``π_i =
  τ (1 + M_i)`` bounds how far a variable accepted within ``τ`` may sit from its exact value
  (``M_i`` its big-M, ``max(u, −l)``; integrality within ``τ`` lets ``y ≤ u δ`` slip by ``u τ``);
  ``S_i`` is the objective's sensitivity to variable ``i`` back-propagated through the model
  (``S = |c|`` then ``S_{i} += |Z_{r,i}| S_{y_r}`` for every big-M neuron ``r`` reading ``i``);
  ``(1 + ‖c‖_∞) Σ (ub − lb)`` bounds the effect of dual infeasibility up to ``τ`` on an LP bound.
  ``S_float`` covers the float evaluation error of both networks (:func:`slt_check.certificates.float_safety.float_slack`, plus its underflow allowance)
  and the rounding of the collapsed coefficients ``W E`` (the same magnitude bound again). The
  MILP is solved in real-number semantics; the networks are evaluated in float, so the upper bound
  covers both.

  This is sound *up to the correctness of HiGHS's floating-point solves within their stated
  tolerances*: it is not a machine-checked proof like :func:`certify.certified_bound`, and where
  both are available the certified bound stays the one to use for a claim (it should never be
  below ``upper``; the tests check that).

**Time.** ``time_limit`` is the budget of the whole call: the ``2 · n_outputs`` subproblems are
solved in turn, each given ``(remaining budget) / (remaining subproblems)`` seconds, so time a
quick subproblem does not use passes to the later ones. A subproblem stopped by the limit still
reports its dual bound (``status = "time_limit"``, ``solved = False``). The limit is a wall-clock cap on
the whole call: the stage-link LPs stop after :data:`LINK_SHARE` of it (later links take the box bound),
and a subproblem reached after the budget is spent is not solved but bounded by the box,
``Σ_i |f_i| max(|lb_i|, |ub_i|)`` (sound, loose; ``status = "time_limit"``). HiGHS's own prints are
silenced (:func:`slt_check.runtime.quiet.quiet_native_output`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

from slt_check.certificates.float_safety import U, float_slack, underflow_allowance
from slt_check.certificates.float_safety import gamma as _gamma
from slt_check.certificates.stages import recorded, stages_of
from slt_check.core.affine import augment
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_positive
from slt_check.runtime.quiet import quiet_native_output

__all__ = ["ExactSupError", "exact_sup_error", "MAX_BINARIES", "FEAS_TOL", "KAPPA"]

MAX_BINARIES = 20_000
"""Largest number of binaries :func:`exact_sup_error` builds a model with (else ``ValueError``)."""
FEAS_TOL = 1e-9
"""HiGHS ``mip``/primal/dual feasibility tolerance set for the solves (``τ`` of the module docstring)."""
KAPPA = 10.0
"""Safety factor ``κ`` on the tolerance slack ``S_tol``."""
LINK_SHARE = 0.5
"""Share of ``time_limit`` after which no more stage-link LP is solved (the remaining links take the
box bound: looser, still valid), so the subproblems keep at least the rest of the budget."""

_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "error"}


@dataclass
class ExactSupError:
    """Result of :func:`exact_sup_error`: ``lower ≤ sup_{‖x‖_∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞ ≤ upper``.

    ``lower`` is a float64 evaluation at ``argmax``; ``upper`` HiGHS's dual bound plus the slacks
    of the module docstring. ``per_output`` holds one dict per ``(output, sign)`` subproblem.
    ``solved`` is true when every subproblem reached optimality (then ``upper − lower`` is the MIP
    gap plus the slacks)."""

    lower: float
    upper: float
    argmax: np.ndarray
    status: str
    per_output: list[dict[str, Any]] = field(default_factory=list)
    n_binaries: int = 0
    time_s: float = 0.0
    solved: bool = False
    n_variables: int = 0
    n_constraints: int = 0
    link_bounds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "argmax": [float(v) for v in self.argmax],
            "status": self.status,
            "per_output": [dict(p) for p in self.per_output],
            "n_binaries": self.n_binaries,
            "time_s": self.time_s,
            "solved": self.solved,
            "n_variables": self.n_variables,
            "n_constraints": self.n_constraints,
            "link_bounds": list(self.link_bounds),
        }


# ----------------------------------------------------------------------------------------- model


class _Model:
    """Variables (bounds, integrality, big-M), big-M constraints (COO) and the big-M neurons."""

    def __init__(self, n_in: int, x_max: float, max_binaries: int, fix_last: bool = False) -> None:
        self.n_in, self.x_max, self.max_binaries = n_in, x_max, max_binaries
        # per-coordinate half-widths; with fix_last the last input is the constant 1 (p = 1, n = 0, δ = 1)
        self.half = np.full(n_in, float(x_max))
        self.fix_last = bool(fix_last)
        if self.fix_last:
            self.half[-1] = 1.0
        half = self.half
        # p_0..p_{n-1}, n_0..n_{n-1}, δ_0..δ_{n-1}
        self.lb = [0.0] * (3 * n_in)
        self.ub = [float(h) for h in half] * 2 + [1.0] * n_in
        self.integ = [0] * (2 * n_in) + [1] * n_in
        self.bigm = [float(h) for h in half] * 2 + [0.0] * n_in
        if self.fix_last:
            self.lb[n_in - 1] = 1.0  # p_last = 1
            self.ub[2 * n_in - 1] = 0.0  # n_last = 0
            self.lb[3 * n_in - 1] = 1.0  # δ_last = 1
        self.n_binaries = n_in
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.n_rows = 0
        self.link_deadline: float | None = None  # perf_counter time after which no link LP is solved
        self.relu_rows: list[sp.csr_matrix] = []  # pre-activation rows of big-M neurons
        self.relu_vars: list[np.ndarray] = []  # their y variables
        j = np.arange(n_in)
        # p_j − x_max δ_j ≤ 0 ;  n_j + x_max δ_j ≤ x_max
        self._add_rows(np.concatenate([j, j, n_in + j, n_in + j]),
                       np.concatenate([j, 2 * n_in + j, n_in + j, 2 * n_in + j]),
                       np.concatenate([np.ones(n_in), -half, np.ones(n_in), half]),
                       np.full(2 * n_in, -np.inf), np.concatenate([np.zeros(n_in), half]))

    @property
    def nv(self) -> int:
        return len(self.lb)

    def _add_rows(self, r: np.ndarray, c: np.ndarray, v: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        self.rows.append(np.asarray(r, dtype=np.int64) + self.n_rows)
        self.cols.append(np.asarray(c, dtype=np.int64))
        self.vals.append(np.asarray(v, dtype=np.float64))
        self.lo.append(np.asarray(lo, dtype=np.float64))
        self.hi.append(np.asarray(hi, dtype=np.float64))
        self.n_rows += len(lo)

    def input_expr(self) -> sp.csr_matrix:
        """``x = p − n`` as an ``(n_0, nv)`` expression matrix."""
        n = self.n_in
        eye = sp.identity(n, format="csr")
        return sp.hstack([eye, -eye, sp.csr_matrix((n, self.nv - 2 * n))], format="csr")

    def bounds(self, Z: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rounding-safe ``[l, u]`` of the rows of ``Z`` (exact per input pair) and the pair-column
        mask ``touch`` (which input pairs each row reads)."""
        n = self.n_in
        X = self.half[None, :]
        Zp = Z[:, :n].toarray()
        Zn = Z[:, n : 2 * n].toarray()
        R = Z[:, 2 * n :].tocsr()
        lb = np.asarray(self.lb[2 * n : Z.shape[1]])
        ub = np.asarray(self.ub[2 * n : Z.shape[1]])
        pa, na = Zp * X, Zn * X
        hi_pair = np.maximum(0.0, np.maximum(pa, na))
        lo_pair = np.minimum(0.0, np.minimum(pa, na))
        mag_hi_pair, mag_lo_pair = hi_pair.copy(), -lo_pair
        if self.fix_last:  # the constant input: exactly its weight
            hi_pair[:, -1] = lo_pair[:, -1] = pa[:, -1]
            mag_hi_pair[:, -1] = mag_lo_pair[:, -1] = np.abs(pa[:, -1])
        Rp, Rn = R.maximum(0), R.minimum(0)
        hi = hi_pair.sum(axis=1) + Rp @ ub + Rn @ lb
        lo = lo_pair.sum(axis=1) + Rp @ lb + Rn @ ub
        mag_hi = mag_hi_pair.sum(axis=1) + abs(Rp) @ np.abs(ub) + abs(Rn) @ np.abs(lb)
        mag_lo = mag_lo_pair.sum(axis=1) + abs(Rp) @ np.abs(lb) + abs(Rn) @ np.abs(ub)
        g = _gamma(Z.shape[1] + 2)
        touch = (Zp != 0) | (Zn != 0)
        return lo - g * mag_lo, hi + g * mag_hi, touch

    def relu_layer(self, Z: sp.csr_matrix, tight: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[sp.csr_matrix, dict[str, np.ndarray]]:
        """``σ(Z v)`` as an expression matrix, adding variables and big-M rows where needed; and
        ``{lo, hi, delta}``: the bounds used and each unit's binary (``−1``: none). ``tight``: other
        sound bounds to intersect with (from the links)."""
        Z = Z.tocsr()
        Z.eliminate_zeros()
        m = Z.shape[0]
        lo, hi, touch = self.bounds(Z)
        if tight is not None:
            lo, hi = np.maximum(lo, tight[0]), np.minimum(hi, tight[1])
        rest_nnz = np.diff(Z[:, 2 * self.n_in :].tocsr().indptr)
        dead = hi <= 0
        lin = ~dead & (lo >= 0)
        single = ~dead & ~lin & (touch.sum(axis=1) == 1) & (rest_nnz == 0)
        unst = np.flatnonzero(~dead & ~lin & ~single)
        k = len(unst)
        if self.n_binaries + k > self.max_binaries:
            raise ValueError(
                f"exact_sup_error: the model needs more than {self.max_binaries} binaries "
                f"(already {self.n_binaries}, this layer adds {k}); the target/ticket is too large for the MILP"
            )
        base = self.nv
        y = base + np.arange(k)
        d = base + k + np.arange(k)
        l_u, u_u = lo[unst], hi[unst]
        self.lb += [0.0] * k + [0.0] * k
        self.ub += list(u_u) + [1.0] * k
        self.integ += [0] * k + [1] * k
        self.bigm += list(np.maximum(u_u, -l_u)) + [0.0] * k
        self.n_binaries += k
        nv = self.nv
        if k:
            Zu = Z[unst].tocoo()
            zr, zc, zv = Zu.row, Zu.col, Zu.data
            rk = np.arange(k)
            # (1) y − z ≥ 0
            self._add_rows(np.concatenate([rk, zr]), np.concatenate([y, zc]),
                           np.concatenate([np.ones(k), -zv]), np.zeros(k), np.full(k, np.inf))
            # (2) y − z − l δ ≤ −l
            self._add_rows(np.concatenate([rk, zr, rk]), np.concatenate([y, zc, d]),
                           np.concatenate([np.ones(k), -zv, -l_u]), np.full(k, -np.inf), -l_u)
            # (3) y − u δ ≤ 0
            self._add_rows(np.concatenate([rk, rk]), np.concatenate([y, d]),
                           np.concatenate([np.ones(k), -u_u]), np.full(k, -np.inf), np.zeros(k))
            self.relu_rows.append(Z[unst])
            self.relu_vars.append(y)
        Zw = Z.copy()
        Zw.resize((m, nv))
        keep_lin = sp.diags(lin.astype(np.float64)) @ Zw
        keep_single = (sp.diags(single.astype(np.float64)) @ Zw).maximum(0)
        ys = sp.csr_matrix((np.ones(k), (unst, y)), shape=(m, nv))
        delta = np.full(m, -1, dtype=np.int64)
        delta[unst] = d
        return (keep_lin + keep_single + ys).tocsr(), {"lo": lo, "hi": hi, "delta": delta}

    def network(self, net: ReLUNet, links: dict[int, tuple[list[Any], np.ndarray]] | None = None,
                feas_tol: float = FEAS_TOL) -> tuple[sp.csr_matrix, list[dict[str, Any]]]:
        """The output expressions of ``net`` (σ on the last layer when ``net.output_relu``) and, per
        layer, ``{Z, E, lo, hi, delta}``: pre-activation and output expressions, bounds, binaries.
        ``links[k] = (target_layers, c)``: unit ``u`` of layer ``k`` is linked to unit ``c[u]`` of the
        given (already built) target layer (:meth:`link`)."""
        E = self.input_expr()
        layers: list[dict[str, Any]] = []
        for k, W in enumerate(net.weights):
            Ws = sp.csr_matrix(W, dtype=np.float64)
            Ex = E.copy()
            Ex.resize((E.shape[0], self.nv))
            Z = (Ws @ Ex).tocsr()
            last = k == len(net.weights) - 1
            if last and not net.output_relu:
                E, info = Z, {}
            elif links is not None and k in links:
                fl, c = links[k]
                B = np.array([self.link_bound(Z[u], fl["Z"][c[u]], feas_tol) for u in range(Z.shape[0])])
                lo_t, hi_t = fl["lo"][c] - B, fl["hi"][c] + B
                pad = 4 * U * (np.abs(lo_t) + np.abs(hi_t))
                E, info = self.relu_layer(Z, (lo_t - pad, hi_t + pad))
                for u in range(Z.shape[0]):
                    self.link_rows(E[u], fl["E"][c[u]], B[u], (Z[u], info["lo"][u], info["hi"][u],
                                   info["delta"][u]), (fl["Z"][c[u]], fl["lo"][c[u]], fl["hi"][c[u]],
                                   fl["delta"][c[u]]))
                info["link_bounds"] = B
            else:
                E, info = self.relu_layer(Z)
            layers.append({"Z": Z, "E": E, **info})
        return E, layers

    def lp_max(self, f: np.ndarray, feas_tol: float) -> float:
        """``max f·v`` over the LP relaxation of the model so far (binaries relaxed), widened by
        ``κ τ (1 + ‖f‖_1)(1 + Σ(ub − lb))`` and a relative ``1e-9`` for the LP tolerances."""
        A, blo, bhi = self.matrix()
        lb, ub = np.asarray(self.lb), np.asarray(self.ub)
        f = np.asarray(f, dtype=np.float64)
        cons = [LinearConstraint(A, blo, bhi)] if A.shape[0] else []
        opts = {"disp": False, "primal_feasibility_tolerance": feas_tol, "dual_feasibility_tolerance": feas_tol}
        left = np.inf if self.link_deadline is None else self.link_deadline - time.perf_counter()
        if left <= 0:  # out of time for links: the box bound (sound, only looser)
            return float(np.abs(f) @ np.maximum(np.abs(lb), np.abs(ub)))
        if np.isfinite(left):
            opts["time_limit"] = left
        with quiet_native_output():
            res = milp(-f, integrality=np.zeros(len(f), dtype=np.uint8), bounds=Bounds(lb, ub),
                       constraints=cons, options=opts)
        if res.status != 0 or res.x is None:
            return float(np.abs(f) @ np.maximum(np.abs(lb), np.abs(ub)))  # the box bound
        val = max(-float(res.fun), float(f @ res.x))
        slack = KAPPA * feas_tol * (1.0 + float(np.abs(f).sum())) * (1.0 + float(np.sum(ub - lb)))
        return val + 1e-9 * abs(val) + slack

    def _row(self, *parts: tuple[float, sp.csr_matrix]) -> np.ndarray:
        """``Σ coef · expression`` as a dense row over the current variables."""
        row = np.zeros(self.nv)
        for coef, e in parts:
            row[: e.shape[1]] += coef * e.toarray().ravel()
        return row

    def _add_dense_row(self, row: np.ndarray, lo: float, hi: float) -> None:
        nz = np.flatnonzero(row)
        self._add_rows(np.zeros(len(nz), dtype=np.int64), nz, row[nz], np.array([lo]), np.array([hi]))

    def link_bound(self, zg: sp.csr_matrix, zf: sp.csr_matrix, feas_tol: float) -> float:
        """``B ≥ max |v − z|`` over the LP relaxation of the model so far, for a ticket unit's
        pre-activation ``v`` and a target unit's ``z``."""
        d = self._row((1.0, zg), (-1.0, zf))
        return max(self.lp_max(d, feas_tol), self.lp_max(-d, feas_tol), 0.0)

    def link_rows(self, eg: sp.csr_matrix, ef: sp.csr_matrix, B: float,
                  g: tuple[sp.csr_matrix, float, float, int], f: tuple[sp.csr_matrix, float, float, int]) -> None:
        """Valid rows for a linked pair with ``|v − z| ≤ B`` (σ is 1-Lipschitz):

        * ``−B ≤ σ(v) − σ(z) ≤ B``;
        * when both have a binary: ``δ_G = 0 ⇒ v ≤ 0 ⇒ z ≤ B``, i.e. ``z − (u_z − B) δ_G ≤ B``;
          ``δ_G = 1 ⇒ z ≥ −B``, i.e. ``z + (l_z + B) δ_G ≥ l_z``; and the same with G and F swapped.
        """
        self._add_dense_row(self._row((1.0, eg), (-1.0, ef)), -B, B)
        for (_, _, _, d_own), (z_o, l_o, u_o, _) in ((g, f), (f, g)):
            if d_own < 0 or f[3] < 0 or g[3] < 0:
                continue
            if u_o > B:
                row = self._row((1.0, z_o))
                row[d_own] -= u_o - B
                self._add_dense_row(row, -np.inf, B)
            if l_o < -B:
                row = self._row((1.0, z_o))
                row[d_own] += l_o + B
                self._add_dense_row(row, l_o, np.inf)

    def matrix(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        if self.rows:
            r, c, v = np.concatenate(self.rows), np.concatenate(self.cols), np.concatenate(self.vals)
        else:
            r = c = np.zeros(0, dtype=np.int64)
            v = np.zeros(0)
        A = sp.csr_matrix((v, (r, c)), shape=(self.n_rows, self.nv))
        return A, np.concatenate(self.lo), np.concatenate(self.hi)

    def sensitivity(self, c: np.ndarray) -> np.ndarray:
        """``S_i``: the objective's sensitivity to variable ``i`` through the big-M neurons."""
        S = np.abs(c).astype(np.float64)
        for Zr, ys in zip(reversed(self.relu_rows), reversed(self.relu_vars), strict=True):
            Zr = abs(Zr.tocsr())
            for i in range(Zr.shape[0] - 1, -1, -1):
                lo_, hi_ = Zr.indptr[i], Zr.indptr[i + 1]
                S[Zr.indices[lo_:hi_]] += Zr.data[lo_:hi_] * S[ys[i]]
        return S


def _ticket_net(ticket: Any) -> tuple[ReLUNet, list[tuple[int, int, np.ndarray]]]:
    """``Ĝ = ticket.network(compact=True)`` and its *links*: ``(k, i, c)`` — the outputs of layer
    ``k`` of ``Ĝ`` end stage ``i`` (a hidden target layer) and unit ``u`` tracks target unit
    ``c[u]`` (from ``meta["stages"]``). Links only tighten the relaxation (each is valid for any
    pairing, see :meth:`_Model.link`); a plain :class:`ReLUNet` or an unreadable structure has none."""
    if isinstance(ticket, ReLUNet):
        return ticket, []
    net = ticket.network(compact=True)
    try:

        stages = stages_of(ticket)
        if hasattr(ticket, "live"):  # CompactTicket: weights over live neurons, live[k] = G indices
            idx = [np.asarray(v) for v in ticket.live]
        else:  # Ticket.network's compaction, with the kept G indices recorded
            ws = [sp.csr_matrix(w) for w in ticket.weights]
            idx = [np.arange(ws[0].shape[1])] + [np.arange(w.shape[0]) for w in ws]
            for k in range(len(ws) - 1):
                keep = np.flatnonzero((np.diff(ws[k].indptr) > 0) & (np.diff(ws[k + 1].tocsc().indptr) > 0))
                ws[k] = ws[k][keep]
                ws[k + 1] = ws[k + 1].tocsc()[:, keep].tocsr()
                idx[k + 1] = idx[k + 1][keep]
        if [len(v) for v in idx] != list(net.widths):
            return net, []
        links = []
        for i, st in enumerate(stages[:-1]):
            k = st.layers[-1]
            g = idx[k + 1]
            c = g if st.out_copies is None else np.asarray(st.out_copies)[g]
            if np.any(c >= ticket.target.widths[i + 1]):
                return net, []
            links.append((k, i, c))
        return net, links
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return net, []


@dataclass
class _Milp:
    """The joint model of ``F`` and ``Ĝ`` ready for the subproblems: ``D = E_F − E_G`` (row ``j``: the
    output difference ``(F − Ĝ)_j`` as a linear expression), the constraint matrix and its row bounds,
    the variables' bounds, integrality and big-M, and the float slack ``S_float`` shared by every
    subproblem."""

    target: ReLUNet
    net: ReLUNet
    affine: bool
    model: _Model
    D: sp.csr_matrix
    A: sp.csr_matrix
    blo: np.ndarray
    bhi: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    integ: np.ndarray
    bigm: np.ndarray
    constraints: list[LinearConstraint]
    feas_tol: float
    s_float: float
    link_bounds: list[float]


def _checked_inputs(target: ReLUNet, ticket: Any, x_max: float, time_limit: float,
                    outputs: Sequence[int] | None) -> tuple[ReLUNet, ReLUNet, list[Any], Any, float, float, float,
                                                            list[int]]:
    """The arguments of :func:`exact_sup_error`, checked: ``(target, Ĝ, links, affine record, x_max,
    time_limit, underflow allowance, output indices)``; the target is replaced by its bias-free
    reduction ``F'`` when the biased target itself was given for a ticket of a biased target.
    ``ValueError`` on a non-positive box or budget, biases, mismatched shapes or ``output_relu``, a
    box/weights that could overflow, or output indices out of range."""
    x_max = check_positive(x_max, "x_max")
    time_limit = check_positive(time_limit, "time_limit")
    net, links = _ticket_net(ticket)
    aff = None if isinstance(ticket, ReLUNet) else recorded(ticket, "affine")
    if aff is not None and target.n_in == aff.n_in:
        target = augment(target)  # the biased target itself was given: its reduction F'
    if target.has_biases or net.has_biases:
        raise ValueError(
            "target: the MILP models bias-free networks; build a biased target through the constant-input "
            "reduction (slt_check.pipeline.build) and pass the ticket's reduced target ticket.target"
        )
    if (net.n_in, net.n_out) != (target.n_in, target.n_out):
        raise ValueError(
            f"ticket: maps {net.n_in} → {net.n_out} but the target maps {target.n_in} → {target.n_out}"
        )
    if net.output_relu != target.output_relu:
        raise ValueError("ticket: output_relu differs from the target's")
    tiny = underflow_allowance([target.weights, net.weights], max(x_max, 1.0) if aff is not None else x_max,
                               "the MILP")  # refuses a box/weights that could overflow
    outs = list(range(target.n_out)) if outputs is None else [int(o) for o in outputs]
    if not outs or min(outs) < 0 or max(outs) >= target.n_out:
        raise ValueError(f"outputs: need indices in [0, {target.n_out}), got {outs}")
    return target, net, links, aff, x_max, time_limit, tiny, outs


def _build_milp(target: ReLUNet, net: ReLUNet, links: list[Any], affine: bool, x_max: float, tiny: float, *,
                max_binaries: int, feas_tol: float, use_links: bool, link_deadline: float) -> _Milp:
    """Model ``F`` then ``Ĝ`` (with the stage links when ``use_links``; no link LP after
    ``link_deadline``) over one shared input and collect the arrays of :class:`_Milp`, with
    ``S_float = 2 (slack(F) + slack(Ĝ)) + tiny`` on the box (``max(x_max, 1)`` for a biased target)."""
    model = _Model(target.n_in, x_max, max_binaries, fix_last=affine)
    model.link_deadline = link_deadline
    EF, f_layers = model.network(target)
    link_map = {k: (f_layers[i], c) for k, i, c in links if i < target.depth - 1} if use_links else None
    EG, g_layers = model.network(net, link_map, feas_tol)
    link_bounds = [float(b) for lay in g_layers for b in lay.get("link_bounds", [])]
    nv = model.nv
    EF.resize((EF.shape[0], nv))
    EG.resize((EG.shape[0], nv))
    A, blo, bhi = model.matrix()
    lb, ub = np.asarray(model.lb), np.asarray(model.ub)
    integ = np.asarray(model.integ, dtype=np.uint8)
    bigm = np.asarray(model.bigm)
    x_slack = max(x_max, 1.0) if affine else x_max  # a superset box: a sound slack
    s_float = 2.0 * (float_slack(target.weights, x_slack, target.n_in) + float_slack(net.weights, x_slack, net.n_in)
                     ) + tiny
    constraints = [LinearConstraint(A, blo, bhi)] if A.shape[0] else []
    D = (EF - EG).tocsr()
    return _Milp(target, net, affine, model, D, A, blo, bhi, lb, ub, integ, bigm, constraints, feas_tol, s_float,
                 link_bounds)


def _highs_options(budget: float, mip_rel_gap: float, mip_abs_gap: float, feas_tol: float) -> dict[str, Any]:
    """HiGHS options of one subproblem: its time budget, the MIP gaps and every feasibility tolerance ``τ``."""
    return {
        "time_limit": budget,
        "mip_rel_gap": mip_rel_gap,
        "mip_abs_gap": mip_abs_gap,
        "disp": False,
        "mip_feasibility_tolerance": feas_tol,
        "primal_feasibility_tolerance": feas_tol,
        "dual_feasibility_tolerance": feas_tol,
    }


def _maximise(m: _Milp, f: np.ndarray, left: float, opts: dict[str, Any]) -> OptimizeResult:
    """``max f·v`` over the model by HiGHS; when the wall-clock cap is spent (``left ≤ 0``) no solve,
    only the box bound ``Σ_i |f_i| max(|lb_i|, |ub_i|)`` as the dual bound (sound, loose)."""
    if left <= 0.0:  # the wall-clock cap is spent: the box bound of this objective, no solve (sound)
        box = float(np.abs(f) @ np.maximum(np.abs(m.lb), np.abs(m.ub)))
        return OptimizeResult(status=1, x=None, mip_dual_bound=-box, mip_node_count=0)
    with quiet_native_output():  # HiGHS prints some diagnostics itself; options passed verbatim
        return milp(-f, integrality=m.integ, bounds=Bounds(m.lb, m.ub), constraints=m.constraints, options=opts)


def _evaluate_incumbent(m: _Milp, res: OptimizeResult, f: np.ndarray
                        ) -> tuple[np.ndarray | None, np.ndarray | None, float, float, float]:
    """``(x, F(x) − Ĝ(x), lower, objective, violation)`` of the solver's best solution: ``x`` clipped
    into the box (last coordinate 1 for a biased target), both networks evaluated there in float64;
    ``(None, None, −∞, −∞, 0)`` without a solution."""
    if res.x is None:
        return None, None, -np.inf, -np.inf, 0.0
    n = m.target.n_in
    xs = np.asarray(res.x, dtype=np.float64)
    x = np.clip(xs[:n] - xs[n : 2 * n], -m.model.half, m.model.half)
    if m.affine:
        x[-1] = 1.0
    diff = (m.target(x[None, :]) - m.net(x[None, :]))[0]
    val = float(np.max(np.abs(diff)))
    obj = float(f @ xs)
    viol = _violation(m.A, m.blo, m.bhi, m.lb, m.ub, m.integ, xs)
    return x, diff, val, obj, viol


def _sound_upper(m: _Milp, res: OptimizeResult, status: str, f: np.ndarray, obj: float, viol: float
                 ) -> tuple[float, float, float]:
    """``(D, S_tol, upper)`` of one subproblem: ``D`` the dual bound on the maximum (``∞`` when
    unknown, never below the incumbent's objective), ``S_tol = κ τ (Σ_i π_i S_i + (1 + ‖f‖_∞) Σ_i
    (ub_i − lb_i))`` with ``τ = max(feas_tol, violation)``, ``upper = D + S_tol + S_float`` (``∞``
    for a NaN)."""
    dual = res.get("mip_dual_bound")
    dual_max = -float(dual) if dual is not None and np.isfinite(dual) else np.inf
    if status == "infeasible":  # cannot happen for a box model; treat as unknown
        dual_max = np.inf
    if np.isfinite(obj):  # the bound is never below the incumbent's own objective
        dual_max = max(dual_max, obj)
    tau = max(m.feas_tol, viol)
    S = m.model.sensitivity(f)
    c_inf = float(np.max(np.abs(f), initial=0.0))
    s_tol = KAPPA * tau * (float(np.sum((1.0 + m.bigm) * S)) + (1.0 + c_inf) * float(np.sum(m.ub - m.lb)))
    up = dual_max + s_tol + m.s_float
    if np.isnan(up):  # e.g. inf·0 in the slack when HiGHS gave up on huge coefficients: no bound
        up = np.inf
    return dual_max, s_tol, up


def _subproblem(m: _Milp, j: int, s: float, left: float, opts: dict[str, Any]
                ) -> tuple[dict[str, Any], np.ndarray | None, float, float]:
    """Solve ``V_{j,s} = max s·(F − Ĝ)_j`` and bound it soundly: ``(entry, x, lower, upper)`` with
    ``entry`` the subproblem's record in :attr:`ExactSupError.per_output`."""
    f = s * m.D[j].toarray().ravel()
    t0 = time.perf_counter()
    res = _maximise(m, f, left, opts)
    dt = time.perf_counter() - t0
    status = _STATUS.get(int(res.status), "error")
    entry: dict[str, Any] = {"output": j, "sign": int(s), "status": status, "time_s": dt,
                             "nodes": res.get("mip_node_count")}
    x, diff, val, obj, viol = _evaluate_incumbent(m, res, f)
    dual_max, s_tol, up = _sound_upper(m, res, status, f, obj, viol)
    entry.update({
        "lower": val if x is not None else None,
        "signed_lower": float(s * diff[j]) if x is not None else None,
        "objective": obj if np.isfinite(obj) else None,
        "dual_bound": dual_max if np.isfinite(dual_max) else None,
        "upper": up if np.isfinite(up) else None,
        "slack_tol": s_tol,
        "slack_float": m.s_float,
        "violation": viol,
    })
    return entry, x, val, up


def _solve_all(m: _Milp, outs: list[int], deadline: float, mip_rel_gap: float, mip_abs_gap: float,
               feas_tol: float) -> tuple[list[dict[str, Any]], float, float, np.ndarray]:
    """Solve the ``2 · len(outs)`` subproblems in turn (output by output, ``+`` then ``−``), each
    given ``(remaining budget) / (remaining subproblems)`` seconds up to the wall-clock ``deadline``:
    ``(per_output, max upper, best lower, its x)`` (``−∞`` and ``x = 0`` without an incumbent)."""
    jobs = [(j, s) for j in outs for s in (1.0, -1.0)]
    per: list[dict[str, Any]] = []
    best_lower, best_x = -np.inf, np.zeros(m.target.n_in)
    upper = -np.inf
    for q, (j, s) in enumerate(jobs):
        left = max(deadline - time.perf_counter(), 0.0)
        budget = max(left / (len(jobs) - q), 1e-3)
        entry, x, val, up = _subproblem(m, j, s, left, _highs_options(budget, mip_rel_gap, mip_abs_gap, feas_tol))
        per.append(entry)
        upper = max(upper, up)
        if x is not None and val > best_lower:
            best_lower, best_x = val, x
    return per, upper, best_lower, best_x


def _aggregate(m: _Milp, per: list[dict[str, Any]], best_lower: float, best_x: np.ndarray
               ) -> tuple[str, bool, float, np.ndarray]:
    """``(status, solved, lower, argmax)`` over the subproblems: ``solved`` when all are optimal; the
    status is else ``time_limit`` if any hit it, or the first other one; with no incumbent at all the
    lower bound is the error at ``x = 0`` (``[0; 1]`` for a biased target)."""
    statuses = {p["status"] for p in per}
    solved = statuses == {"optimal"}
    overall = "optimal" if solved else ("time_limit" if "time_limit" in statuses else sorted(statuses - {"optimal"})[0])
    if not np.isfinite(best_lower):
        best_x = np.zeros(m.target.n_in)
        if m.affine:
            best_x[-1] = 1.0
        best_lower = float(np.max(np.abs(m.target(best_x[None, :]) - m.net(best_x[None, :]))))
    return overall, solved, best_lower, best_x


def exact_sup_error(
    target: ReLUNet,
    ticket: Any,
    x_max: float,
    *,
    time_limit: float = 60.0,
    outputs: Sequence[int] | None = None,
    mip_rel_gap: float = 1e-6,
    feas_tol: float = FEAS_TOL,
    max_binaries: int = MAX_BINARIES,
    mip_abs_gap: float = 1e-9,
    use_links: bool = True,
) -> ExactSupError:
    """``[lower, upper] ∋ sup_{‖x‖_∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞`` by MILP (module docstring).

    Parameters
    ----------
    target: the target ``F``.
    ticket: a ticket (anything with ``network(compact=True)``: :class:`~slt_check.tickets.ticket.Ticket`,
        :class:`~slt_check.tickets.compact_ticket.CompactTicket`) or a :class:`ReLUNet` ``Ĝ`` itself.
    x_max: half-width of the input box (of ``x``, for a ticket of a biased target: module docstring).
    time_limit: seconds for the whole call, shared by the subproblems (module docstring, "Time").
    outputs: output indices to maximise over (default all; then the interval is of the max over
        these outputs only).
    mip_rel_gap: HiGHS relative MIP gap at which a subproblem counts as solved.
    feas_tol: HiGHS feasibility tolerances (τ).
    max_binaries: ``ValueError`` when the model would need more binaries.
    mip_abs_gap: HiGHS absolute MIP gap (its default ``1e-6`` would stop far above small errors).
    use_links: add the stage links of the module docstring (tighter relaxation, same maximum).
    """
    t_start = time.perf_counter()
    target, net, links, aff, x_max, time_limit, tiny, outs = _checked_inputs(target, ticket, x_max, time_limit,
                                                                             outputs)
    m = _build_milp(target, net, links, aff is not None, x_max, tiny, max_binaries=max_binaries, feas_tol=feas_tol,
                    use_links=use_links, link_deadline=t_start + LINK_SHARE * time_limit)
    per, upper, best_lower, best_x = _solve_all(m, outs, t_start + time_limit, mip_rel_gap, mip_abs_gap, feas_tol)
    overall, solved, best_lower, best_x = _aggregate(m, per, best_lower, best_x)
    return ExactSupError(
        lower=float(best_lower),
        upper=float(upper),
        argmax=best_x,
        status=overall,
        per_output=per,
        n_binaries=m.model.n_binaries,
        time_s=time.perf_counter() - t_start,
        solved=solved,
        n_variables=m.model.nv,
        n_constraints=int(m.A.shape[0]),
        link_bounds=m.link_bounds,
    )


def _violation(A: sp.csr_matrix, blo: np.ndarray, bhi: np.ndarray, lb: np.ndarray, ub: np.ndarray,
               integ: np.ndarray, xs: np.ndarray) -> float:
    """Largest bound, row and integrality violation of a returned solution."""
    v = 0.0
    if A.shape[0]:
        ax = A @ xs
        v = max(v, float(np.max(np.maximum(blo - ax, ax - bhi))))
    v = max(v, float(np.max(np.maximum(lb - xs, xs - ub))))
    ints = integ.astype(bool)
    if ints.any():
        v = max(v, float(np.max(np.abs(xs[ints] - np.round(xs[ints])))))
    return max(v, 0.0)
