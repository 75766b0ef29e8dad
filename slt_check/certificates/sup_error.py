"""The sup-norm error of a ticket over the input box: a certified upper bound and a found lower bound.

This is the single place that says what "the error" is: ``sup_{‖x‖_∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞``.

**Certified upper bound (sound).** A ticket is read as *stages*, one per target layer. A stage is
either a pair of ticket layers ``(A, B)`` in which every kept intermediate neuron has at most one
input (checked, not assumed), or one ticket layer ``B``. By the ReLU pair identity (R3) a pair stage
computes exactly

    v = Pos σ(t) − Neg σ(−t),     Pos = B A⁺,  Neg = B A⁻      (A⁺ = max(A,0), A⁻ = min(A,0)),

and a single stage ``v = B t = B σ(t) − B σ(−t)`` (``Pos = Neg = B``). Each stage-output unit ``r``
tracks a target unit ``c(r)`` (identity, or copies as in depth-(L+1) constructions). Let ``h`` be the
target's stage input, with interval bounds ``[lo, hi]`` over the box (interval propagation through
``F``), ``U⁺ = max(hi, 0)``, ``U⁻ = max(−lo, 0)``, and ``E_s ≥ |t_s − h_{c(s)}|`` the error bound of the
previous stage (``E = 0`` for the input). With ``P̄_rj = Σ_{s: c(s)=j} Pos_rs`` (likewise ``N̄``):

    |v_r − (W h)_{c(r)}| ≤ Σ_j max(|P̄_rj − W_{c(r)j}|·U⁺_j, |N̄_rj − W_{c(r)j}|·U⁻_j)
                           + Σ_s max(|Pos_rs|, |Neg_rs|)·E_s,

because only one of ``σ(h_j), σ(−h_j)`` is non-zero, and ``|σ(u)−σ(h)| + |σ(−u)−σ(−h)| = |u−h|``.
When the stage input is post-ReLU (stages ≥ 2), ``σ(−t) = σ(−h) = 0`` and ``|Pos|`` alone multiplies
``E``. σ is 1-Lipschitz, so the bound passes through the activation. The rounding of ``Pos``/``Neg``
(``≤ γ_n Σ|b||a|``) is added to the deviations, and the float evaluation error of both networks is
added at the end — the target's ``L γ_{n} ‖|W_L|⋯|W_1| x_max‖``, the ticket's stage by stage when its
stages are pairs (:func:`slt_check.certificates.stages.ticket_float_slack`) — so the bound also covers
the float values the search below can find. This is R8 with the *measured* per-weight deviations and
interval bounds instead of ``η`` and ``‖W‖``: never larger, usually much tighter.

**Found lower bound.** The largest error over evaluated inputs: every corner of the box (random
corners past 12 inputs), random points, ternary points ``{−x_max, 0, x_max}^{n_0}`` chosen per
output from the first stage's deviations (exact for one-layer targets), and projected signed
gradient ascent with torch autograd from several starts. Points are ranked on the reduced stages
(the same function, a dense matrix per stage: fast), and the ``N_CONFIRM`` best ones plus the
ascent's end points are evaluated on the real ticket ``mask ⊙ G`` in float64: ``found`` is the
largest of those real errors, so it stays a true lower bound.

**Tighter certificate (optional).** ``sup_error(..., certificate="crown")`` replaces ``certified`` by
the CROWN bound on the difference network (:func:`slt_check.certificates.crown.certified_bound_crown`, equally
sound, float rounding included), ``certificate="best"`` by ``min(propagation, crown)`` (the minimum
of two sound upper bounds is one); both record ``certified_propagation``, ``certified_crown`` and
``certificate``. The default ``"propagation"`` is this module's bound, unchanged.

**Biased targets.** A ticket of a biased target (``meta["affine"]``, :mod:`slt_check.core.affine`) is a
ticket of the reduced bias-free ``F'`` on ``z = [x; 1]``; ``target`` may be ``F'`` (``ticket.target``)
or the biased ``F`` itself (reduced here), and ``x_max`` is the box of ``x`` (default
``meta["affine"]["x_max"]``). The certificate is computed on the symmetric box
``[−x_max', x_max']^{d+1}``, ``x_max' = max(x_max, 1)``, a superset of the points ``[x; 1]``: still a
sound upper bound (``certified_box`` records ``x_max'``). The search evaluates only points with the
constant coordinate exactly 1 and ``|x_i| ≤ x_max`` (``found`` stays a true lower bound), and the
MILP fixes that coordinate to 1 (its interval brackets the exact sup).

**Exact value (optional).** ``sup_error(..., method="milp")`` also solves the maximisation as a
mixed-integer linear program (:func:`slt_check.certificates.exact.exact_sup_error`) and records the interval
``[exact_lower, exact_upper]`` and its solver status; ``found`` becomes ``max(found, exact_lower)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from slt_check.certificates.crown import certified_bound_crown as _crown
from slt_check.certificates.crown import crown_from_reduced
from slt_check.certificates.exact import exact_sup_error
from slt_check.certificates.float_safety import FloatRangeError, underflow_allowance
from slt_check.certificates.stages import (
    TINY,
    Stage,
    UnreadableStage,
    aggregate,
    float_slack,
    gamma,
    interval_bounds,
    recorded,
    reduce_stages,
    stages_of,
    ticket_float_slack,
)
from slt_check.core.affine import augment
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import as_rng, check_box, check_positive
from slt_check.io.torch_io import net_to_torch

__all__ = [
    "SupError",
    "Stage",
    "stages_of",
    "reduce_stages",
    "certified_bound",
    "Certificate",
    "sup_error",
    "pointwise_error",
    "certified_bound_crown",
    "CERTIFICATES",
    "sup_error_any",
]

CERTIFICATES = ("propagation", "crown", "best")
"""Values of ``sup_error(..., certificate=...)``."""

N_CONFIRM = 256
"""Search points (best by the reduced-stage ranking) re-evaluated on the real ticket ``mask ⊙ G``."""


@dataclass
class SupError:
    """Result of :func:`sup_error`.

    ``certified`` is a sound upper bound on the sup error over the box, ``found`` the largest error
    observed (a lower bound), attained at ``argmax``; ``found ≤ certified`` always.
    """

    certified: float
    found: float
    argmax: np.ndarray
    n_points: int
    per_stage_certified: list[float] = field(default_factory=list)
    per_layer_weight_error: list[float] = field(default_factory=list)
    float_slack: float = 0.0
    exact_lower: float | None = None
    exact_upper: float | None = None
    exact_status: str | None = None
    certificate: str | None = None
    certified_propagation: float | None = None
    certified_crown: float | None = None
    certified_box: float | None = None

    def holds(self, eps: float) -> bool:
        """``certified ≤ eps``: the ε-approximation is proved for this ticket."""
        return self.certified <= eps

    def as_dict(self) -> dict[str, Any]:
        return {
            "certified": self.certified,
            "found": self.found,
            "argmax": [float(v) for v in self.argmax],
            "n_points": self.n_points,
            "per_stage_certified": list(self.per_stage_certified),
            "per_layer_weight_error": list(self.per_layer_weight_error),
            "float_slack": self.float_slack,
        } | {
            k: getattr(self, k)
            for k in ("exact_lower", "exact_upper", "exact_status", "certificate", "certified_propagation",
                      "certified_crown", "certified_box")
            if getattr(self, k) is not None
        }


@dataclass(frozen=True)
class Certificate:
    """The certified bound of the module docstring, with its parts: ``bound = per_stage[-1] + slack``
    (``per_stage[i]`` the bound on ``max_u |F_i(x) − Ĝ_i(x)|`` after stage ``i`` before the float
    slack; ``weight_err[i]`` stage ``i``'s worst effective weight error; ``slack`` the float-evaluation
    slack of both networks)."""

    bound: float
    per_stage: list[float]
    weight_err: list[float]
    slack: float

    # the former dict's view (``{**cert, "bound": b}``, used by fault injections that wrap the bound)
    def keys(self) -> tuple[str, ...]:
        return ("bound", "per_stage", "weight_err", "slack")

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    @classmethod
    def of(cls, value: Any) -> Certificate:
        """``value`` itself, or the record of a mapping with the same four keys."""
        return value if isinstance(value, cls) else cls(**{k: value[k] for k in cls.keys(cls)})  # type: ignore[arg-type]


def certified_bound(
    target: ReLUNet, weights: Sequence[Any], stages: Sequence[Stage], x_max: float
) -> Certificate:
    """The certified bound of the module docstring: per-stage bounds and the final one."""
    x_max = check_positive(x_max, "x_max")
    return Certificate.of(_bound_from_reduced(target, weights, reduce_stages(weights, stages), x_max))


def _bound_from_reduced(
    target: ReLUNet, weights: Sequence[Any], red: list[dict[str, Any]], x_max: float
) -> Certificate:
    """:func:`certified_bound` on already reduced stages (:func:`reduce_stages`)."""
    Ws = target.dense_weights()
    if len(red) != len(Ws):
        raise ValueError(f"stages: need one stage per target layer ({len(Ws)}), got {len(red)}")
    tiny = underflow_allowance([Ws, weights], x_max)  # refuses a box/weights that could overflow
    bounds_in = interval_bounds(target, x_max)
    E = np.zeros(target.n_in)
    in_copies: np.ndarray | None = None
    per_stage, weight_err = [], []
    for i, (W, r) in enumerate(zip(Ws, red, strict=True)):
        lo, hi = bounds_in[i]
        Up, Un = np.maximum(hi, 0.0), np.maximum(-lo, 0.0)
        copies = r["out_copies"]
        Wt = W if copies is None else W[copies]
        if np.shape(r["Pos"])[0] != Wt.shape[0]:
            raise UnreadableStage(f"stage {i}: {np.shape(r['Pos'])[0]} outputs for {Wt.shape[0]} target units")
        Pbar = aggregate(r["Pos"], in_copies, W.shape[1])
        Nbar = aggregate(r["Neg"], in_copies, W.shape[1])
        Rbar = aggregate(r["R"], in_copies, W.shape[1])
        Dp = np.abs(Pbar - Wt) + Rbar
        Dn = np.abs(Nbar - Wt) + Rbar
        live_neg = Un > 0
        weight_err.append(float(max(Dp.max(), Dn[:, live_neg].max() if live_neg.any() else 0.0)))
        term = np.maximum(Dp * Up[None, :], Dn * Un[None, :]).sum(axis=1)
        if i == 0:
            E_new = term
        else:
            E_new = term + np.abs(r["Pos"]) @ E
        # the bound's own float rounding: a few roundings per term, an n-term sum, one more sum over E
        E = E_new * (1 + gamma(max(W.shape[1], np.shape(r["Pos"])[1]) + 8)) + TINY
        per_stage.append(float(E.max()))
        in_copies = copies
    if in_copies is not None and (len(in_copies) != target.n_out or np.any(in_copies != np.arange(target.n_out))):
        raise ValueError("stages: the last stage must map its outputs one-to-one onto the target's")
    slack = float_slack(Ws, x_max, target.n_in) + ticket_float_slack(weights, red, x_max, target.n_in) + tiny
    bound = float(E.max()) + slack
    return Certificate(bound=bound, per_stage=per_stage, weight_err=weight_err, slack=slack)


# ---------------------------------------------------------------------------------------- search


def _corner_points(n_in: int, x_max: float, rng: np.random.Generator, max_exhaustive: int = 12) -> np.ndarray:
    if n_in <= max_exhaustive:
        grid = ((np.arange(2**n_in)[:, None] >> np.arange(n_in)[None, :]) & 1).astype(np.float64)
        return (2 * grid - 1) * x_max
    return rng.choice([-x_max, x_max], size=(4096, n_in))


def _ternary_points(target: ReLUNet, red: list[dict[str, Any]], x_max: float) -> np.ndarray:
    """Per output ``o`` and sign: the best ``x_j ∈ {−x_max, 0, x_max}`` for the first stage's
    error ``Σ_j (W−P̄)_oj σ(x_j) − (W−N̄)_oj σ(−x_j)`` (the exact maximiser for one-layer targets)."""
    W = target.dense_weights()[0]
    r = red[0]
    copies = r["out_copies"]
    Wt = W if copies is None else W[copies]
    gp = (Wt - r["Pos"]) * x_max  # value at x_j = +x_max
    gn = -(Wt - r["Neg"]) * x_max  # value at x_j = −x_max
    pts = []
    for s in (1.0, -1.0):
        choice = np.stack([np.zeros_like(gp), s * gp, s * gn])  # 0, +, −
        best = np.argmax(choice, axis=0)
        pts.append(np.where(best == 1, x_max, np.where(best == 2, -x_max, 0.0)))
    return np.concatenate(pts, axis=0)


def _stage_forward(
    red: list[dict[str, Any]], output_relu: bool, t: Any,
    relu: Any = lambda a: np.maximum(a, 0.0), conv: Any = lambda m: m,
) -> Any:
    """The ticket's function from its reduced stages: ``v = Pos σ(t) − Neg σ(−t)`` per stage (numpy
    by default, to rank search points; torch with ``relu=torch.relu, conv=torch.from_numpy``)."""
    for i, r in enumerate(red):
        v = relu(t) @ conv(r["Pos"]).T - relu(-t) @ conv(r["Neg"]).T
        t = relu(v) if (i < len(red) - 1 or output_relu) else v
    return t


def _stage_forward_torch(red: list[dict[str, Any]], output_relu: bool, x: Any) -> Any:
    import torch

    return _stage_forward(red, output_relu, x, torch.relu, torch.from_numpy)


def _gradient_ascent(
    target: ReLUNet, red: list[dict[str, Any]], starts: np.ndarray, x_max: float, steps: int,
    affine_box: float | None = None,
) -> np.ndarray:
    """Projected signed-gradient ascent on ``max_o |F(x) − Ĝ(x)|_o`` from each start (torch)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment

        warnings.warn(
            "sup_error: torch is not installed, so the adversarial search skips gradient ascent (corners, "
            "random and ternary points only; the certified bound is unaffected). Install it with: "
            "pip install torch==2.13.0",
            RuntimeWarning,
            stacklevel=3,
        )
        return starts

    Ft = net_to_torch(target)
    x = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    best_x = starts.copy()
    best_v = np.full(len(starts), -np.inf)
    step = 0.25 * x_max
    for it in range(steps):
        diff = Ft(x) - _stage_forward_torch(red, target.output_relu, x)
        obj = diff.abs().max(dim=1).values
        vals = obj.detach().numpy()
        better = vals > best_v
        best_v[better] = vals[better]
        best_x[better] = x.detach().numpy()[better]
        (g,) = torch.autograd.grad(obj.sum(), x)
        with torch.no_grad():
            x += step * torch.sign(g)
            x.clamp_(-x_max, x_max)
            if affine_box is not None:  # stay on [x; 1] with |x_i| ≤ the box of x
                x[:, :-1].clamp_(-affine_box, affine_box)
                x[:, -1] = 1.0
        if it % 25 == 24:
            step *= 0.5
    return best_x


def _checked_box(target: ReLUNet, ticket: Any, x_max: float | None, method: str, certificate: str
                 ) -> tuple[ReLUNet, float, float | None]:
    """The arguments of :func:`sup_error`, checked: ``(target, x_max, x_box)``. For a ticket of a biased
    target the target becomes its reduction ``F'`` (when the biased one was given), ``x_box`` the box
    of ``x`` and ``x_max`` the symmetric superset's ``max(x_max, 1)``; else ``x_box`` is ``None``.
    ``ValueError`` on an unknown method or certificate, a missing or non-positive box, biases outside
    the reduction, or sizes that differ from the ticket's."""
    if method not in ("search", "milp"):
        raise ValueError(f"method: 'search' or 'milp', got {method!r}")
    if certificate not in CERTIFICATES:
        raise ValueError(f"certificate: one of {CERTIFICATES}, got {certificate!r}")
    aff = recorded(ticket, "affine")
    if x_max is None:
        x_max = _recorded_x_max(ticket) if aff is None else aff.x_max
        if x_max is None:
            raise ValueError("x_max: not given and not recorded in ticket.meta")
    x_max = check_positive(x_max, "x_max")
    x_box: float | None = None  # the box of x for a biased target's ticket; x_max becomes the superset's
    if aff is not None:
        if target.n_in == aff.n_in:
            target = augment(target)
        x_box, x_max = x_max, max(x_max, 1.0)
    if target.has_biases:
        raise ValueError(
            "target: has biases but the ticket was not built through the constant-input reduction; build it with "
            "slt_check.pipeline.build (docs/biases.md)"
        )
    if tuple(target.widths[:1] + target.widths[-1:]) != (ticket.G.n_in, ticket.G.n_out):
        raise ValueError("target: input/output sizes differ from the ticket's")
    return target, x_max, x_box


def _search_effort(ticket: Any, n_random: int | None, n_starts: int | None, steps: int | None
                   ) -> tuple[int, int, int]:
    """``(n_random, n_starts, steps)`` of the search: the given ones, unset ones from the ticket's
    ``certify_options`` when it has any, else 4096, 16, 100."""
    effort = {"n_random": 4096, "n_starts": 16, "steps": 100} | getattr(ticket, "certify_options", {})
    n_random = effort["n_random"] if n_random is None else n_random
    n_starts = effort["n_starts"] if n_starts is None else n_starts
    steps = effort["steps"] if steps is None else steps
    return n_random, n_starts, steps


def _search(target: ReLUNet, ticket: Any, red: list[dict[str, Any]], x_max: float, x_box: float | None,
            gen: np.random.Generator, effort: tuple[int, int, int], extra_points: np.ndarray | None
            ) -> tuple[np.ndarray, np.ndarray, int]:
    """The adversarial search (module docstring, "Found lower bound"): ``(X, err, n_points)`` with ``X``
    the points evaluated on the real ticket ``mask ⊙ G`` and ``err`` their errors ``‖F(x) − Ĝ(x)‖_∞``.
    ``effort = (n_random, n_starts, steps)``; every draw comes from ``gen``, in a fixed order."""
    n_random, n_starts, steps = effort
    n_in = target.n_in
    pts = [
        _corner_points(n_in, x_max, gen),
        gen.uniform(-x_max, x_max, size=(n_random, n_in)),
        np.zeros((1, n_in)),
        _ternary_points(target, red, x_max),
    ]
    if extra_points is not None:
        pts.append(np.clip(np.asarray(extra_points, dtype=np.float64), -x_max, x_max))
    X = np.concatenate(pts, axis=0)
    if x_box is not None:
        X = _onto_affine_box(X, x_box, x_max)
    # rank every point on the reduced stages (the ticket's function, dense and cheap), then
    # evaluate the best ones — and the ascent's end points — on the real ticket mask ⊙ G
    rank = np.max(np.abs(target(X) - _stage_forward(red, target.output_relu, X)), axis=1)
    order = np.argsort(rank)
    n_points = len(X)
    X = X[order[-max(N_CONFIRM, n_starts) :]]
    if steps > 0 and n_starts > 0:
        top = X[-(n_starts // 2) :] if n_starts // 2 else X[:0]
        rnd = gen.uniform(-x_max, x_max, size=(n_starts - len(top), n_in))
        if x_box is not None:
            rnd = _onto_affine_box(rnd, x_box, x_max)
        X = np.concatenate([X, _gradient_ascent(target, red, np.concatenate([top, rnd]), x_max, steps, x_box)])
        n_points += n_starts
    err = np.max(np.abs(target(X) - ticket.network()(X)), axis=1)
    return X, err, n_points


def _choose_certificate(result: SupError, certificate: str, target: ReLUNet, ticket: Any,
                        red: list[dict[str, Any]], x_max: float) -> None:
    """For ``certificate`` ``"crown"`` or ``"best"``: record both bounds and set ``certified`` to the
    CROWN bound, or to ``min(propagation, crown)``; ``"propagation"`` leaves ``result`` as it is."""
    if certificate == "propagation":
        return
    crown = crown_from_reduced(target, ticket.weights, red, x_max)["bound"]
    result.certificate = certificate
    result.certified_propagation, result.certified_crown = result.certified, crown
    result.certified = crown if certificate == "crown" else min(result.certified, crown)


def _add_exact(result: SupError, target: ReLUNet, ticket: Any, x_box: float, time_limit: float) -> None:
    """``method="milp"``: record the MILP's ``[exact_lower, exact_upper]`` and status on the box of ``x``
    (``x_box``), and raise ``found`` (and ``argmax``) to ``exact_lower`` when that is larger."""
    ex = exact_sup_error(target, ticket, x_box, time_limit=time_limit)
    result.exact_lower, result.exact_upper, result.exact_status = ex.lower, ex.upper, ex.status
    if ex.lower > result.found:
        result.found, result.argmax = ex.lower, np.asarray(ex.argmax, dtype=np.float64).copy()
    result.n_points += 1


def sup_error(
    target: ReLUNet,
    ticket: Any,
    x_max: float | None = None,
    *,
    n_random: int | None = None,
    n_starts: int | None = None,
    steps: int | None = None,
    rng: Any = 0,
    extra_points: np.ndarray | None = None,
    method: str = "search",
    time_limit: float = 60.0,
    certificate: str = "propagation",
) -> SupError:
    """Certified upper bound and found lower bound on ``sup_{‖x‖_∞ ≤ x_max} ‖F(x) − Ĝ(x)‖_∞``.

    Parameters
    ----------
    target: the target ``F``.
    ticket: a :class:`~slt_check.tickets.ticket.Ticket` (its ``meta.stages`` says how to read it).
    x_max: half-width of the input box (default: the recorded ``ticket.meta.problem.x_max``).
    n_random, n_starts, steps: effort of the adversarial search; unset ones come from the
        ticket's ``certify_options`` when it has any, else 4096, 16, 100.
    rng: seed or Generator for the search (the certificate is deterministic).
    method: ``"search"`` (default) or ``"milp"``: also solve for the exact sup error with
        :func:`slt_check.certificates.exact.exact_sup_error` (``time_limit`` seconds for the whole MILP); the
        result then carries ``exact_lower ≤ sup error ≤ exact_upper`` and ``exact_status``, and
        ``found`` becomes ``max(found, exact_lower)`` (``argmax`` follows it).
    certificate: which sound upper bound ``certified`` is: ``"propagation"`` (default, this module's),
        ``"crown"`` (:func:`slt_check.certificates.crown.certified_bound_crown`) or ``"best"`` (the smaller of the
        two). With a non-default value the result also carries ``certified_propagation``,
        ``certified_crown`` and ``certificate``; ``per_stage_certified``, ``per_layer_weight_error`` and
        ``float_slack`` stay the propagation certificate's.
    """
    target, x_max, x_box = _checked_box(target, ticket, x_max, method, certificate)
    effort = _search_effort(ticket, n_random, n_starts, steps)
    gen = as_rng(rng)
    red = reduce_stages(ticket.weights, stages_of(ticket))
    cert = Certificate.of(_bound_from_reduced(target, ticket.weights, red, x_max))
    X, err, n_points = _search(target, ticket, red, x_max, x_box, gen, effort, extra_points)
    k = int(np.argmax(err))
    result = SupError(
        certified=cert.bound,
        found=float(err[k]),
        argmax=X[k].copy(),
        n_points=n_points,
        per_stage_certified=cert.per_stage,
        per_layer_weight_error=cert.weight_err,
        float_slack=cert.slack,
        certified_box=None if x_box is None else x_max,
    )
    _choose_certificate(result, certificate, target, ticket, red, x_max)
    if method == "milp":
        _add_exact(result, target, ticket, x_max if x_box is None else x_box, time_limit)
    return result


def _onto_affine_box(X: np.ndarray, x_box: float, x_sym: float) -> np.ndarray:
    """Points of the symmetric box ``[−x_sym, x_sym]^{d+1}`` mapped onto ``{[x; 1] : ‖x‖_∞ ≤ x_box}``:
    the first ``d`` coordinates scaled by ``x_box / x_sym`` (corners stay corners, 0 stays 0; clipped
    against rounding), the last set to exactly 1."""
    Y = np.array(X, dtype=np.float64)
    Y[:, :-1] = np.clip(Y[:, :-1] * (x_box / x_sym), -x_box, x_box)
    Y[:, -1] = 1.0
    return Y


def certified_bound_crown(target: ReLUNet, ticket: Any, x_max: float, *, refine: bool = True) -> dict[str, Any]:
    """The CROWN certificate on the difference network (:func:`slt_check.certificates.crown.certified_bound_crown`)."""

    return _crown(target, ticket, x_max, refine=refine)


def pointwise_error(target: ReLUNet, ticket: Any, X: np.ndarray, x_max: float) -> np.ndarray:
    """``‖F(x) − Ĝ(x)‖_∞`` for each row of ``X`` (which must lie in the box ``‖x‖_∞ ≤ x_max``)."""
    x_max = check_positive(x_max, "x_max")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != target.n_in:
        raise ValueError(f"X: expected shape (batch, {target.n_in}), got {X.shape}")
    check_box(X, x_max, "X")
    return np.max(np.abs(target(X) - ticket.network()(X)), axis=1)


def _recorded_x_max(ticket: Any) -> float | None:
    """The box a ticket was built for: its problem's ``x_max`` (a conv ticket's ``meta["x_max"]``)."""
    problem = recorded(ticket, "problem")
    return recorded(ticket, "x_max") if problem is None or isinstance(problem, dict) else problem.x_max


def sup_error_any(target: ReLUNet, ticket: Any, x_max: float | None = None, **kw: Any) -> SupError:
    """:func:`sup_error` for a ticket of any structure: the stage certificate when it can read the
    ticket; otherwise (a kept intermediate neuron with several inputs, as edge-popup masks have) the
    exact MILP of :mod:`slt_check.certificates.exact`, whose upper end is sound up to the solver's tolerances —
    ``certificate`` then says ``"milp"``; ``time_limit`` (default 60 s) is then a wall-clock cap on the
    whole MILP, after which its upper bound so far is the certificate (``exact_status == "time_limit"``).
    ``ValueError`` when neither applies (the MILP is too large)."""
    try:
        return sup_error(target, ticket, x_max, **kw)
    except UnreadableStage as stage_exc:
        if x_max is None:
            x_max = _recorded_x_max(ticket)
        try:
            ex = exact_sup_error(target, ticket, check_positive(x_max, "x_max"),
                                 time_limit=kw.get("time_limit", 60.0))
        except FloatRangeError:
            raise
        except ValueError as exc:
            raise ValueError(f"the stage certificate cannot read this ticket ({stage_exc}) and it is too large "
                             f"for the exact MILP ({exc})") from None
        return SupError(certified=float(ex.upper), found=float(ex.lower), argmax=np.asarray(ex.argmax),
                        n_points=0, exact_lower=float(ex.lower), exact_upper=float(ex.upper),
                        exact_status=ex.status, certificate="milp")


# the stage machinery's former private names here (other modules may still use them)
_float_slack, _interval_bounds, _aggregate, _gamma = float_slack, interval_bounds, aggregate, gamma
