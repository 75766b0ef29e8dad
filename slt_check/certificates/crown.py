"""A CROWN-style certified bound on the sup error, by linear bound propagation on the difference network.

The quantity is the same as in :mod:`slt_check.certificates.sup_error`: ``sup_{‖x‖_∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞``.
Method: backward linear relaxation (Zhang et al. 2018, "Efficient Neural Network Robustness
Certification with General Activation Functions"; the CROWN of auto_LiRPA / α,β-CROWN) of the
*difference network* — ``F`` and the ticket evaluated on one shared input — concretised over the box.
Full derivation and measurements: ``docs/certificates.md``.

**The difference network.** The ticket is read in its stage form (:func:`certify.reduce_stages`,
exact in real arithmetic): stage ``i`` outputs ``v_i = Pos_i σ(t_{i−1}) − Neg_i σ(−t_{i−1})``
(``t_0 = x``; for ``i ≥ 2`` the input is post-ReLU, so ``v_i = Pos_i t_{i−1}``), unit ``r`` tracking
target unit ``c_i(r)``. With the target's ``z_i = W_i h_{i−1}``, ``h_i = σ(z_i)``, define per stage unit

    δ_{i,r} = v_{i,r} − z_{i,c(r)},      D_{i,r} = t_{i,r} − h_{i,c(r)} = σ(z_{i,c(r)} + δ_{i,r}) − σ(z_{i,c(r)}).

Then, exactly (``C`` the copy matrices, ``Dev_i = Pos_i C_{i−1} − C_i W_i``, ``p = σ(x)``, ``n = σ(−x)``):

    δ_1 = (Pos_1 − C_1 W_1) p − (Neg_1 − C_1 W_1) n + ρ_1,       z_1 = W_1 p − W_1 n,
    δ_i = Dev_i h_{i−1} + Pos_i D_{i−1} + ρ_i,                   z_i = W_i h_{i−1}          (i ≥ 2),

and ``(F − Ĝ)_j = −δ_{L,j}`` (linear output) or ``−D_{L,j}`` (``output_relu``). ``ρ_i`` collects the
rounding of the reduced matrices (``|ρ_i| ≤ R_i |t| + 2u |Dev_i| |h|``, :func:`certify.reduce_stages`'s
``R``), a vector of per-unit bounds.

Relaxing ``F − Ĝ`` as two independent networks would be useless: every hidden target neuron is
unstable on a symmetric box (no biases), and the triangle gap ``−ul/(u−l) = O(1)`` would swamp errors
of ``10⁻⁵``. So the backward pass carries the state ``(h_i, D_i)`` (the target's activations and the
ticket's *differences*), not ``(h_i, t_i)``:

* ``α σ(z)`` for target neurons: the standard CROWN relaxation — upper line
  ``a (z − l)``-type: ``σ(z) ≤ a z + b`` with ``a = u/(u−l)``, ``b = max(−a l, (1 − a) u)`` (= ``−ul/(u−l)``
  in exact arithmetic; valid for any ``a ∈ [0, 1]`` since σ is convex), lower line ``σ(z) ≥ s z`` with
  the adaptive ``s = 1`` if ``u > −l`` else ``0``; stable neurons exactly.
* ``β D`` for ticket differences: ``Δ(z, δ) = σ(z + δ) − σ(z)`` over ``z ∈ [l, u]``, ``δ ∈ [δ_lo, δ_hi]``.
  For fixed ``δ`` it is monotone in ``z``, so ``max_z Δ = max(g_l(δ), g_u(δ))`` and
  ``min_z Δ = min(g_l(δ), g_u(δ))`` with ``g_c(δ) = σ(c + δ) − σ(c)`` — piecewise linear with breakpoints
  only at ``−l, −u, 0``. A line ``a δ + b`` is a valid upper (lower) bound of ``Δ`` on the box iff it
  is above ``max_z Δ`` (below ``min_z Δ``) at those breakpoints and the interval ends; we try the
  slopes ``{0, 1}``, both chords and every segment slope, take the tightest valid intercept for each,
  and keep the one smallest (largest) at the interval's midpoint (the area criterion of CROWN's
  adaptive lower slope). Stable pairs (``l ≥ 0`` and ``l + δ_lo ≥ 0``: ``Δ = δ``; ``u, u + δ_hi ≤ 0``:
  ``Δ = 0``) come out exactly.
* The input layer is exact: a function ``c_p·p + c_n·n`` (``p_j n_j = 0``) has maximum
  ``Σ_j max(0, c_{p,j} x_max, c_{n,j} x_max)`` over the box — so a one-layer target is bounded exactly.

Pre-activation bounds ``[l, u]`` of ``z_i`` and ``[δ_lo, δ_hi]`` of ``δ_i``: interval arithmetic
(exact for ``i = 1``), then, with ``refine``, intersected with this same backward pass started from
``±e_c`` / ``±e_r`` at layer ``i`` (CROWN's layer-by-layer refinement).

**Rounding (soundness in float64).** Every bound above is an inequality between *real* numbers in
which the coefficients are the float matrices actually computed. Writing ``γ_n = nu/(1 − nu)``,
``u = 2⁻⁵³`` (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1 and §3.5):

1. a computed product ``fl(A B)`` with inner dimension ``n`` differs from ``A B`` by at most
   ``γ_n |A||B|`` entrywise. When the float coefficients ``Λ̃ = fl(Λ̂ W)`` replace the exact ones, the
   bound changes by at most ``γ_n (|Λ̂||W|) H`` with ``H ≥ |h|`` the magnitude bound of the layer's
   input — this *residual* is added to the bound's constant (so the float ``Λ̃`` need not be exact);
   likewise the entrywise scaling by the slopes (``2u |Λ̂| |z|_max``);
2. relaxation lines computed in float are made valid explicitly: the intercepts are the tightest
   valid ones in exact arithmetic plus ``8u (|l| + |u|) + 16u |δ|`` (the rounding of evaluating the
   line and the breakpoint values), and the triangle's ``b`` gets ``4u (|l| + |u|)``;
3. the constant is a float sum of terms each known to relative error ``γ_n``; we add
   ``2 γ_K · Σ|terms|`` with ``K`` the longest chain of roundings (all fan-ins plus the sums);
4. interval bounds are widened by ``2 γ_{n+2} Σ|terms|``;
5. finally, like :func:`certify.certified_bound`, the float evaluation error of both networks,
   ``slack(F) + slack(mask ⊙ G)``, is added (``slack(F) = L γ_{n+2} ‖|W_L|⋯|W_1| x_max 1‖_∞``; the
   ticket's stage by stage when its stages are pairs,
   :func:`slt_check.certificates.stages.ticket_float_slack`), so the bound also covers every float64
   value a search or the MILP's ``lower`` can observe.

Each allowance is a factor ≥ 2 above the textbook bound (the allowances are themselves computed in
float, and underflow is covered by an absolute ``1e-300`` per term). They add ``≈ 10⁻¹³`` relative
here: negligible against the bound.

Cost: dense matrices of (rows × layer width) per stage, rows = ``2·(n_i + m_i)`` for the refinement
of stage ``i`` (``2 n_L`` for the output), processed in chunks of :data:`MAX_ENTRIES` coefficients;
the stage form keeps the widths at the *target's* (the ticket's intermediate neurons are folded into
``Pos``/``Neg``, as in :mod:`slt_check.certificates.sup_error`), so even a 784-500-10 target needs only a few MB and
about ``2 (n_i + m_i) · Σ_k (n_k n_{k−1} + m_k m_{k−1})`` flops per refined stage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.certificates.float_safety import TINY, U, underflow_allowance
from slt_check.certificates.float_safety import float_slack as _float_slack
from slt_check.certificates.float_safety import gamma as _gamma
from slt_check.certificates.stages import reduce_stages, stages_of, ticket_float_slack
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_positive

__all__ = ["certified_bound_crown", "crown_from_reduced", "MAX_ENTRIES"]

MAX_ENTRIES = 4_000_000
"""Rows of the backward pass are processed in chunks of at most this many coefficients (rows × width),
so memory stays at a few dense ``(chunk × width)`` matrices whatever the ticket's size."""


# ------------------------------------------------------------------------------------- relaxations


def _relu_lines(l: np.ndarray, u: np.ndarray, broken: str | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Triangle relaxation of ``σ(z)``, ``z ∈ [l, u]``: ``s z ≤ σ(z) ≤ a z + b`` (``b ≥ 0``, sound in
    float: ``b = max(−a l, (1 − a) u) + 4u(|l| + |u|)``); stable neurons exact."""
    unst = (l < 0) & (u > 0)
    act = l >= 0
    a = np.where(act, 1.0, 0.0)
    s = np.where(act, 1.0, 0.0)
    b = np.zeros_like(l)
    if np.any(unst):
        lu, uu = l[unst], u[unst]
        au = np.clip(uu / (uu - lu), 0.0, 1.0)
        bu = np.maximum(-au * lu, uu - au * uu) + 4 * U * (np.abs(lu) + np.abs(uu)) + TINY
        if broken == "upper_intercept":  # deliberately wrong: the chord slope through 0
            bu = np.zeros_like(bu)
        a[unst], b[unst] = au, bu
        s[unst] = np.where(uu > -lu, 1.0, 0.0)
    return a, b, s


def _g(c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``σ(c + δ) − σ(c)`` (float; its rounding is covered by the callers' margins)."""
    return np.maximum(c + d, 0.0) - np.maximum(c, 0.0)


def _diff_lines(l: np.ndarray, u: np.ndarray, dlo: np.ndarray, dhi: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines ``al δ + bl ≤ σ(z + δ) − σ(z) ≤ au δ + bu`` valid for ``z ∈ [l, u]``, ``δ ∈ [dlo, dhi]``,
    and the range ``[Dlo, Dhi]`` of the difference over that box (module docstring)."""
    pts = np.stack([dlo, dhi, np.clip(-l, dlo, dhi), np.clip(-u, dlo, dhi), np.clip(0.0, dlo, dhi)], axis=1)
    gl, gu = _g(l[:, None], pts), _g(u[:, None], pts)
    vmax, vmin = np.maximum(gl, gu), np.minimum(gl, gu)
    margin = 8 * U * (np.abs(l) + np.abs(u))[:, None] + 16 * U * np.abs(pts) + TINY
    order = np.argsort(pts, axis=1)
    ps = np.take_along_axis(pts, order, axis=1)
    width = dhi - dlo
    with np.errstate(divide="ignore", invalid="ignore"):
        cands = [np.zeros_like(l), np.ones_like(l)]
        for v in (vmax, vmin):
            vs = np.take_along_axis(v, order, axis=1)
            cands.append((v[:, 1] - v[:, 0]) / width)
            for k in range(pts.shape[1] - 1):
                cands.append((vs[:, k + 1] - vs[:, k]) / (ps[:, k + 1] - ps[:, k]))
    S = np.stack(cands, axis=1)
    S = np.clip(np.where(np.isfinite(S), S, 0.0), 0.0, 1.0)  # Δ is non-decreasing, 1-Lipschitz in δ
    mid = 0.5 * (dlo + dhi)
    # tightest valid intercepts for each candidate slope, with the rounding margin
    up = np.max(vmax[:, None, :] - S[:, :, None] * pts[:, None, :] + margin[:, None, :], axis=2)
    lo = np.min(vmin[:, None, :] - S[:, :, None] * pts[:, None, :] - margin[:, None, :], axis=2)
    ku = np.argmin(S * mid[:, None] + up, axis=1)
    kl = np.argmax(S * mid[:, None] + lo, axis=1)
    rows = np.arange(len(l))
    au, bu = S[rows, ku], up[rows, ku]
    al, bl = S[rows, kl], lo[rows, kl]
    Dhi = np.max(vmax + margin, axis=1)
    Dlo = np.min(vmin - margin, axis=1)
    return al, bl, au, bu, Dlo, Dhi


# ----------------------------------------------------------------------------------------- model


class _Diff:
    """The difference network of the module docstring, with its bounds, built stage by stage."""

    def __init__(self, target: ReLUNet, red: list[dict[str, Any]], x_max: float, broken: str | None) -> None:
        self.X = x_max
        self.broken = broken
        self.Ws = target.dense_weights()
        self.L = len(self.Ws)
        if len(red) != self.L:
            raise ValueError(f"stages: need one stage per target layer ({self.L}), got {len(red)}")
        self.Wt, self.Dp, self.Dn, self.Pos, self.Dev, self.rho_coef = [], [], [], [], [], []
        self.copies: list[np.ndarray] = []
        in_copies: np.ndarray | None = None
        for i, (W, r) in enumerate(zip(self.Ws, red, strict=True)):
            c = np.arange(W.shape[0]) if r["out_copies"] is None else np.asarray(r["out_copies"])
            Wt = W[c]
            self.copies.append(c)
            self.Wt.append(Wt)
            Pos = np.asarray(r["Pos"], dtype=np.float64)
            R = np.asarray(r["R"], dtype=np.float64)
            if i == 0:
                Dp, Dn = Pos - Wt, np.asarray(r["Neg"], dtype=np.float64) - Wt
                self.Dp.append(Dp)
                self.Dn.append(Dn)
                self.Dev.append(None)
                # |ρ_1| ≤ Σ_j (R + 2u max(|Dp|, |Dn|))_j |x_j|
                self.rho_coef.append((R + 2 * U * np.maximum(np.abs(Dp), np.abs(Dn)), None))
            else:
                n_prev = W.shape[1]
                cin = np.arange(n_prev) if in_copies is None else in_copies
                agg = np.zeros((Pos.shape[0], n_prev))
                np.add.at(agg.T, cin, Pos.T)
                aabs = np.zeros((Pos.shape[0], n_prev))
                np.add.at(aabs.T, cin, np.abs(Pos).T)
                q = int(np.max(np.bincount(cin, minlength=n_prev)))
                Dev = agg - Wt
                self.Dev.append(Dev)
                self.Dp.append(None)
                self.Dn.append(None)
                # |ρ_i| ≤ R |t| + (2u |Dev| + γ_{q+1} agg|Pos|) |h|
                self.rho_coef.append((R, 2 * U * np.abs(Dev) + (_gamma(q + 1) if q > 1 else 0.0) * aabs))
            self.Pos.append(Pos)
            in_copies = r["out_copies"]
        if in_copies is not None and (len(in_copies) != target.n_out or np.any(in_copies != np.arange(target.n_out))):
            raise ValueError("stages: the last stage must map its outputs one-to-one onto the target's")
        self.output_relu = target.output_relu
        # bounds per stage: z: [l, u] (target units), δ: [dl, du] (stage units), ρ bound, D range
        self.l: list[np.ndarray] = []
        self.u: list[np.ndarray] = []
        self.dl: list[np.ndarray] = []
        self.du: list[np.ndarray] = []
        self.rho: list[np.ndarray] = []
        self.lines: list[dict[str, np.ndarray]] = []

    # magnitude bounds of a stage's outputs (after the activation)
    def H(self, i: int) -> np.ndarray:
        return np.maximum(self.u[i], 0.0)

    def Dmax(self, i: int) -> np.ndarray:
        return np.maximum(np.abs(self.lines[i]["Dlo"]), np.abs(self.lines[i]["Dhi"]))

    def T(self, i: int) -> np.ndarray:
        """``|t_i| ≤ σ(u_c + δ_hi)`` (widened)."""
        return np.maximum(self.u[i][self.copies[i]] + self.du[i], 0.0) * (1 + 4 * U) + TINY

    def _finish_stage(self, i: int, l: np.ndarray, u: np.ndarray, dl: np.ndarray, du: np.ndarray) -> None:
        self.l.append(l)
        self.u.append(u)
        self.dl.append(dl)
        self.du.append(du)
        a, b, s = _relu_lines(l, u, self.broken)
        al, bl, au, bu, Dlo, Dhi = _diff_lines(l[self.copies[i]], u[self.copies[i]], dl, du)
        self.lines.append({"a": a, "b": b, "s": s, "al": al, "bl": bl, "au": au, "bu": bu, "Dlo": Dlo, "Dhi": Dhi})

    def rho_bound(self, i: int) -> np.ndarray:
        Rc, Hc = self.rho_coef[i]
        if i == 0:
            v = Rc @ np.full(Rc.shape[1], self.X)
            n = Rc.shape[1]
        else:
            v = Rc @ self.T(i - 1) + Hc @ self.H(i - 1)
            n = Rc.shape[1] + Hc.shape[1]
        return v * (1 + 2 * _gamma(n + 2)) + TINY

    def interval(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Interval bounds of ``z_i`` and ``δ_i`` (exact per input pair for ``i = 0``), widened."""
        rho = self.rho[i]
        if i == 0:
            X = self.X
            W, Dp, Dn = self.Ws[0], self.Dp[0], self.Dn[0]
            m = np.abs(W) @ np.full(W.shape[1], X)
            g = 2 * _gamma(W.shape[1] + 2)
            zl, zu = -m * (1 + g) - TINY, m * (1 + g) + TINY
            hi = np.maximum(0.0, np.maximum(Dp * X, -Dn * X)).sum(axis=1)
            lo = np.minimum(0.0, np.minimum(Dp * X, -Dn * X)).sum(axis=1)
            dg = 2 * _gamma(Dp.shape[1] + 3)
            return zl, zu, lo * (1 + dg) - rho - TINY, hi * (1 + dg) + rho + TINY
        W, Dev, Pos = self.Ws[i], self.Dev[i], self.Pos[i]
        hlo, hhi = np.maximum(self.l[i - 1], 0.0), self.H(i - 1)
        Dlo, Dhi = self.lines[i - 1]["Dlo"], self.lines[i - 1]["Dhi"]
        Wp, Wn = np.maximum(W, 0.0), np.minimum(W, 0.0)
        zu = Wp @ hhi + Wn @ hlo
        zl = Wp @ hlo + Wn @ hhi
        zm = np.abs(W) @ hhi
        g = 2 * _gamma(W.shape[1] + 2)
        Vp, Vn = np.maximum(Dev, 0.0), np.minimum(Dev, 0.0)
        Pp, Pn = np.maximum(Pos, 0.0), np.minimum(Pos, 0.0)
        du = Vp @ hhi + Vn @ hlo + Pp @ Dhi + Pn @ Dlo
        dl = Vp @ hlo + Vn @ hhi + Pp @ Dlo + Pn @ Dhi
        dm = np.abs(Dev) @ hhi + np.abs(Pos) @ self.Dmax(i - 1)
        dg = 2 * _gamma(W.shape[1] + Pos.shape[1] + 3)
        return zl - g * zm - TINY, zu + g * zm + TINY, dl - dg * dm - rho - TINY, du + dg * dm + rho + TINY

    def backward(self, i: int, Az: np.ndarray, Ad: np.ndarray) -> np.ndarray:
        """Upper bound, per row, on ``Az z_i + Ad δ_i`` over the box (module docstring, with the
        rounding allowances 1–3)."""
        rows = Az.shape[0]
        const = np.zeros(rows)
        mag = np.zeros(rows)
        chain = 0
        for k in range(i, 0, -1):
            W, Dev, Pos = self.Ws[k], self.Dev[k], self.Pos[k]
            # substitute z_k = W h + ..., δ_k = Dev h + Pos D + ρ
            Aabs, Dabs = np.abs(Az), np.abs(Ad)
            alpha = Az @ W + Ad @ Dev
            beta = Ad @ Pos
            H, Dm = self.H(k - 1), self.Dmax(k - 1)
            g = 2 * _gamma(max(W.shape[0], Pos.shape[0]) + 1)
            resid = g * (Aabs @ (np.abs(W) @ H) + Dabs @ (np.abs(Dev) @ H + np.abs(Pos) @ Dm)) + Dabs @ self.rho[k]
            const += resid
            mag += resid
            chain += max(W.shape[0], Pos.shape[0]) + 2
            # relax the activations of stage k − 1
            ln = self.lines[k - 1]
            ap, an = np.maximum(alpha, 0.0), np.minimum(alpha, 0.0)
            bp, bn = np.maximum(beta, 0.0), np.minimum(beta, 0.0)
            Az = ap * ln["a"] + an * ln["s"]
            Ad = bp * ln["au"] + bn * ln["al"]
            t = ap @ ln["b"] + bp @ ln["bu"] + bn @ ln["bl"]
            tm = ap @ ln["b"] + bp @ np.abs(ln["bu"]) - bn @ np.abs(ln["bl"])
            zmax = np.maximum(np.abs(self.l[k - 1]), np.abs(self.u[k - 1]))
            dmax = np.maximum(np.abs(self.dl[k - 1]), np.abs(self.du[k - 1]))
            scale = 2 * U * (np.abs(Az) @ zmax + np.abs(Ad) @ dmax)
            const += t + scale
            mag += tm + scale
            chain += max(len(ln["a"]), len(ln["au"])) + 3
        # input layer: z_0 = W p − W n, δ_0 = Dp p − Dn n + ρ_0; exact maximum over the box
        W, Dp, Dn = self.Ws[0], self.Dp[0], self.Dn[0]
        cp = Az @ W + Ad @ Dp
        cn = -(Az @ W) - Ad @ Dn
        X = self.X
        g = 2 * _gamma(max(W.shape[0], Dp.shape[0]) + 2)
        resid = g * (np.abs(Az) @ np.abs(W) + np.abs(Ad) @ np.maximum(np.abs(Dp), np.abs(Dn))) @ np.full(
            W.shape[1], X) + np.abs(Ad) @ self.rho[0]
        conc = np.maximum(0.0, np.maximum(cp * X, cn * X)).sum(axis=1)
        chain += max(W.shape[0], Dp.shape[0]) + W.shape[1] + 4
        total = conc + const + resid
        allowance = 2 * _gamma(chain) * (conc + mag + resid) + TINY * (chain + 1)
        if self.broken == "real_arithmetic":
            return conc + const
        return total + allowance


def _rows_upper(net: _Diff, i: int, n_z: int, n: int, m: int) -> np.ndarray:
    """Upper bounds on ``+z_c`` (``c < n``), ``−z_c``, ``+δ_r``, ``−δ_r`` at stage ``i`` (in that order),
    computed in row chunks of at most :data:`MAX_ENTRIES` coefficients (rows are independent)."""
    spec = [(0, c, 1.0) for c in range(n)] + [(0, c, -1.0) for c in range(n)]
    spec += [(1, r, 1.0) for r in range(m)] + [(1, r, -1.0) for r in range(m)]
    width = max(n_z, m, *(w.shape[1] for w in net.Ws[: i + 1]), *(p.shape[1] for p in net.Pos[: i + 1]))
    step = max(1, MAX_ENTRIES // max(width, 1))
    out = []
    for a in range(0, len(spec), step):
        part = spec[a : a + step]
        Az, Ad = np.zeros((len(part), n_z)), np.zeros((len(part), m))
        for q, (kind, idx, sgn) in enumerate(part):
            (Az if kind == 0 else Ad)[q, idx] = sgn
        out.append(net.backward(i, Az, Ad))
    return np.concatenate(out)


def crown_from_reduced(target: ReLUNet, weights: Sequence[Any], red: list[dict[str, Any]], x_max: float,
                       *, refine: bool = True, _broken: str | None = None) -> dict[str, Any]:
    """:func:`certified_bound_crown` on already reduced stages (:func:`certify.reduce_stages`).

    ``_broken`` (tests only) disables one ingredient to show the tests catch it: ``"real_arithmetic"``
    (no float allowance at all: no evaluation slack, no ``ρ``, no rounding allowance of the bound),
    ``"upper_intercept"`` (a wrong ReLU upper line ``σ(z) ≤ a z``)."""

    t0 = time.perf_counter()
    x_max = check_positive(x_max, "x_max")
    Ws = target.dense_weights()
    tiny = underflow_allowance([Ws, weights], x_max)  # refuses a box/weights that could overflow
    net = _Diff(target, red, x_max, _broken)
    per_stage: list[float] = []
    n_unstable: list[int] = []
    for i in range(net.L):
        net.rho.append(np.zeros(len(net.copies[i])) if _broken == "real_arithmetic" else net.rho_bound(i))
        zl, zu, dl, du = net.interval(i)
        if i > 0 and (refine or i == net.L - 1):  # stage 0's intervals are exact already
            n, m = len(zl), len(dl)
            if i == net.L - 1 and not net.output_relu:
                n = 0  # only the error δ_L is needed
            ub = _rows_upper(net, i, len(zl), n, m)
            if n:
                zu, zl = np.minimum(zu, ub[:n]), np.maximum(zl, -ub[n:2 * n])
            du, dl = np.minimum(du, ub[2 * n:2 * n + m]), np.maximum(dl, -ub[2 * n + m:])
        net._finish_stage(i, zl, zu, dl, du)
        per_stage.append(float(np.max(np.maximum(du, -dl))))
        n_unstable.append(int(np.sum((zl < 0) & (zu > 0))))
    if net.output_relu:
        raw = float(np.max(net.Dmax(net.L - 1)))
    else:
        raw = float(np.max(np.maximum(net.du[-1], -net.dl[-1])))
    raw = max(raw, 0.0)
    slack = _float_slack(Ws, x_max, target.n_in) + ticket_float_slack(weights, red, x_max, target.n_in) + tiny
    if _broken == "real_arithmetic":
        slack = 0.0
    return {"bound": raw + slack, "raw": raw, "slack": slack, "per_stage": per_stage,
            "n_unstable": n_unstable, "refine": refine, "time_s": time.perf_counter() - t0}


def certified_bound_crown(target: ReLUNet, ticket: Any, x_max: float, *, refine: bool = True) -> dict[str, Any]:
    """Sound upper bound on ``sup_{‖x‖_∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞`` by CROWN on the difference network.

    Returns ``{"bound", "raw", "slack", "per_stage", "n_unstable", "refine", "time_s"}``: ``bound =
    raw + slack`` (``raw`` bounds the real-arithmetic error, ``slack`` the float evaluation of both
    networks), ``per_stage[i]`` bounds ``max_r |δ_{i,r}|`` (the stage-``i`` pre-activation error, as
    :func:`certify.certified_bound`'s ``per_stage``), ``n_unstable[i]`` counts the target neurons of
    layer ``i`` whose sign is not fixed over the box. ``refine``: tighten every intermediate layer's
    bounds by CROWN (default) instead of interval arithmetic only. ``ValueError`` for tickets the
    stage form cannot read (as for the propagation certificate).
    """

    return crown_from_reduced(target, ticket.weights, reduce_stages(ticket.weights, stages_of(ticket)), x_max,
                              refine=refine)
