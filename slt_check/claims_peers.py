"""Claims of the peer constructions (anchors.md A1–A3) and the counting lower bound, as
:class:`~slt_check.claims.Claim` rows (``PEER_CLAIMS``), with the check functions their property
tests (``properties/test_peers_*.py``) and their ``measure(scale)`` share.

Every check returns ``{"verdict": "holds"|"fails", "slack": float | None, "details": {...}}``.
Pre-registered seeds come from :func:`slt_check.stats.seed_grid` with the fixed master seeds below;
thresholds are stated with the claim, before measuring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.claims import Claim

__all__ = [
    "PEER_CLAIMS",
    "check_pensia_log",
    "check_pensia_delta",
    "check_malach_poly",
    "check_burkholz_depth",
    "check_counting",
]

_SCALE = {"smoke": 0, "ci": 1, "full": 2}


def _pick(scale: str, *vals: Any) -> Any:
    if scale not in _SCALE:
        raise ValueError(f"scale: expected one of {tuple(_SCALE)}, got {scale!r}")
    return vals[_SCALE[scale]]


def _verdict(holds: bool, slack: float | None, **details: Any) -> dict[str, Any]:
    return {"verdict": "holds" if holds else "fails", "slack": slack, "details": details}


# ------------------------------------------------------------------------------ P-pensia-log
def check_pensia_log(
    eps_grid: Sequence[float] = (1e-1, 1e-2, 1e-3, 1e-4), n_seeds: int = 30, master: int = 2020_0601
) -> dict[str, Any]:
    """Logarithmic width (Pensia et al. [3P]: ``n = O(log 1/ε)`` samples cover ``[−½, ½]``).

    Measured: mean minimal universal-coverage ``n*(ε)`` of ``U[−1,1]`` samples over a seed grid
    (:mod:`slt_check.coverage`, exact). A law ``n* = c·log₂(1/ε) + b`` has equal increments per
    decade; a power law ``1/ε^κ`` has increments growing ×10^κ. Pre-registered: **holds iff the
    last decade's increment ≤ 2 × the first's** and every seed covers within 200 samples.
    Slack = 2·first ÷ last increment.
    """
    from slt_check.coverage import minimal_samples
    from slt_check.stats import seed_grid

    seeds = seed_grid(master, n_seeds)
    means, misses = [], 0
    for e in eps_grid:
        n = minimal_samples("uniform", e, 0.5, seeds, n_max=200)
        misses += int((n < 0).sum())
        means.append(float(n[n >= 0].mean()))
    inc = np.diff(means)
    first, last = float(inc[0]), float(inc[-1])
    holds = misses == 0 and last <= 2 * first
    slack = (2 * first / last) if last > 0 else math.inf
    x = [math.log2(1 / e) for e in eps_grid]
    from slt_check.compare import fit_slope

    return _verdict(holds, slack, eps=list(eps_grid), mean_n_star=means, misses=misses,
                    per_bit=fit_slope(x, means) if len(x) >= 3 else None)


# ------------------------------------------------------------------------------ P-pensia-delta
def check_pensia_delta(
    n_seeds: int = 20, widths: Sequence[int] = (2, 3, 2), eps: float = 0.05, delta: float = 0.1,
    alpha: float = 1e-3, master: int = 2020_0602,
) -> dict[str, Any]:
    """At the planned width ``N = ⌈3·log₂(2W/min(η, δ))⌉`` the ``pensia`` ticket succeeds (certified
    sup error ≤ ε) with probability ≥ 1 − δ: failures over a seed grid of ``G`` (one fixed target),
    one-sided exact binomial test at ``alpha`` (never re-drawn). Slack: δ ÷ the Clopper–Pearson
    upper bound of the failure rate."""
    from slt_check.certify import certified_bound, stages_of
    from slt_check.constructions import build_ticket
    from slt_check.stats import failure_rate_test, seed_grid
    from slt_check.targets import random_target

    F = random_target(list(widths), 1.0, master % 1000)
    fails, worst = 0, 0.0
    for s in seed_grid(master, n_seeds):
        t = build_ticket(F, eps, delta, s, construction="pensia", allow_failure=True)
        cert = certified_bound(F, t.weights, stages_of(t), 1.0)["bound"]
        worst = max(worst, cert)
        fails += int(not (t.ok and cert <= eps))
    v = failure_rate_test(fails, n_seeds, delta, alpha)
    # slack: δ ÷ the 95% Clopper–Pearson upper bound of the failure rate
    return _verdict(not v.violated, delta / v.ci_high, test=str(v),
                    failures=fails, n=n_seeds, worst_certified=worst)


# ------------------------------------------------------------------------------ X-prec
def check_precision_certificate(
    n_seeds: int = 20, widths: Sequence[int] = (6, 8, 3), eps: float = 0.01, delta: float = 0.1,
    alpha: float = 1e-3, master: int = 2026_1125,
) -> dict[str, Any]:
    """``precision="certificate"`` (:mod:`slt_check.precision`) on ``pensia``'s own ``G``:

    (a) soundness, every ticket: certified ≤ ``B(per-layer max deviation)`` + float slack (what lets
        "every weight of layer i within η_i" imply the certificate);
    (b) success: P(certified sup error > ε) ≤ δ over a pre-registered seed grid of ``G`` (one fixed
        Kaiming-scaled target; never re-drawn), one-sided exact binomial test at ``alpha``.

    Slack: δ ÷ the Clopper–Pearson upper bound of the failure rate; details give the precision gain
    (smallest ``η_i`` ÷ R8's ``η``) and kept weights per target weight against the R8 selection."""
    from slt_check.certify import certified_bound, stages_of
    from slt_check.constructions import build_ticket
    from slt_check.precision import precision_bound
    from slt_check.stats import failure_rate_test, seed_grid
    from slt_check.targets import random_target

    F = random_target(list(widths), 1.0, master % 1000, family="kaiming")
    fails, unsound, worst, kept, kept_r8, gain = 0, 0, 0.0, [], [], None
    for i, s in enumerate(seed_grid(master, n_seeds)):
        t = build_ticket(F, eps, delta, s, construction="pensia", precision="certificate", allow_failure=True)
        cert = certified_bound(F, t.weights, stages_of(t), 1.0)
        unsound += int(cert["bound"] > precision_bound(F, cert["weight_err"], 1.0) * (1 + 1e-9) + cert["slack"])
        worst = max(worst, cert["bound"])
        fails += int(not (t.ok and cert["bound"] <= eps))
        kept.append(t.n_kept / F.n_params)
        if i < 3:  # the R8 selection on the same G, for the kept-weight comparison
            kept_r8.append(build_ticket(F, eps, delta, s, construction="pensia", allow_failure=True).n_kept
                           / F.n_params)
            gain = min(layer["eta"] for layer in t.meta["layers"]) / t.meta["plan"]["eta"]
    v = failure_rate_test(fails, n_seeds, delta, alpha)
    return _verdict(unsound == 0 and not v.violated, delta / v.ci_high, test=str(v), failures=fails,
                    n=n_seeds, unsound=unsound, worst_certified=worst, eta_gain_over_r8=gain,
                    kept_per_weight=float(np.mean(kept)), kept_per_weight_r8=float(np.mean(kept_r8)))


# ------------------------------------------------------------------------------ P-malach-poly
def check_malach_poly(
    etas: Sequence[float] = (1e-1, 1e-2, 1e-3), n_seeds: int = 30, delta: float = 0.1,
    alpha: float = 1e-3, master: int = 2020_0201,
) -> dict[str, Any]:
    """Pair search needs polynomially many samples (Malach et al.; "about 1/ε²" [C: Orseau Fig. 1]).

    (a) worst weight ``w = w_max = 1``, law ``U[−√2, √2]``: with ``N = ⌈ln(1/δ)/p⌉`` (``p`` the
    exact pair probability) the pair search misses w.p. ≤ δ — binomial test over seeds;
    (b) the mean first-hit index ``n*`` for targets ``w ~ U[−1,1]`` grows polynomially: pre-registered
    **holds iff n*(η/10) ≥ 3·n*(η) for every step** (a logarithmic law would add a constant).
    Slack: the smallest per-decade growth ÷ 3.
    """
    from slt_check.compare import factorial_min_candidates
    from slt_check.constructions.malach import pair_samples
    from slt_check.laws import Uniform
    from slt_check.stats import failure_rate_test, seed_grid

    seeds = seed_grid(master, n_seeds)
    s = math.sqrt(2.0)
    law = Uniform(-s, s)
    eta0 = etas[len(etas) // 2]
    N, extra = pair_samples(s, 1.0, eta0, 1, delta)
    misses = 0
    for sd in seeds:
        rng = np.random.default_rng(sd)
        a, b = np.abs(law.sample(rng, N)), law.sample(rng, N)
        misses += int(not np.any(np.abs(a * b - 1.0) <= eta0))
    v = failure_rate_test(misses, n_seeds, delta, alpha)
    means = []
    for e in etas:
        m = factorial_min_candidates("uniform", "pair", e, seeds)
        means.append(float(m["n_star"][m["n_star"] >= 0].mean()))
    growth = [means[i + 1] / means[i] for i in range(len(means) - 1)]
    holds = (not v.violated) and all(g >= 3 for g in growth)
    return _verdict(holds, min(growth) / 3, binomial=str(v), N=N, p_min=extra["pair_p_min"],
                    mean_first_hit=means, growth_per_decade=growth)


# ------------------------------------------------------------------------------ P-burkholz-depth
def check_burkholz_depth(
    cases: Sequence[tuple[int, ...]] = ((3, 2), (2, 3, 2), (2, 2, 2, 1)), eps: float = 0.05,
    rho: int = 12, window: int = 20, seed: int = 7,
) -> dict[str, Any]:
    """Depth ``L + 1`` (Burkholz 2022 [C: abstract]): every ``burkholz`` ticket has depth ``L+1``,
    is ``G ⊙ mask`` bit for bit, and, when it reports success, its certified sup error ≤ ε."""
    from slt_check.certify import sup_error
    from slt_check.constructions import build_ticket
    from slt_check.targets import random_target

    bad, details = [], []
    for k, ws in enumerate(cases):
        F = random_target(list(ws), 1.0, seed + k)
        t = build_ticket(F, eps, 0.1, seed, construction="burkholz", rho=rho, window=window,
                         allow_failure=True)
        t.validate()
        err = sup_error(F, t, 1.0, n_random=256, n_starts=4, steps=20)
        ok = t.G.depth == len(ws) and err.found <= err.certified and (not t.ok or err.certified <= eps)
        details.append({"widths": list(ws), "G_depth": t.G.depth, "ok": t.ok,
                        "certified": err.certified, "found": err.found})
        if not ok:
            bad.append(list(ws))
    return _verdict(not bad, None, cases=details, violations=bad)


# ------------------------------------------------------------------------------ LB-counting
def check_counting(
    eps_grid: Sequence[float] = (1e-1, 1e-2, 1e-3), n_seeds: int = 20, master: int = 1998_0001
) -> dict[str, Any]:
    """Counting lower bound ``n ≥ log₂(range/(2ε))``: (a) every sample set that ε-covers
    ``[−½, ½]`` has ``n* ≥ log₂(1/(2ε))`` (all three laws); (b) every construction plans at least
    that many candidates per weight-half at its precision ``η`` (range ``2 w_max``).
    Slack: min over cases of observed ÷ bound."""
    from slt_check.bounds import counting_lower_bound
    from slt_check.constructions import Problem, get_construction
    from slt_check.coverage import minimal_samples
    from slt_check.stats import seed_grid

    seeds = seed_grid(master, n_seeds)
    ratios, bad = [], []
    for law in ("uniform", "product", "hyperbolic"):
        for e in eps_grid:
            lb = counting_lower_bound(1.0, e)
            n = minimal_samples(law, e, 0.5, seeds, n_max=120)
            n = n[n >= 0]
            if n.size:
                ratios.append(float(n.min()) / lb)
                if n.min() < lb:
                    bad.append((law, e, int(n.min())))
    for name in ("orseau", "pensia", "malach", "burkholz"):
        for e in eps_grid:
            plan = get_construction(name).plan(Problem((2, 2, 1), e, 0.05))
            lb = counting_lower_bound(2.0, plan["eta"])
            per_half = plan["n_samples"] / 2
            ratios.append(per_half / lb)
            if per_half < lb:
                bad.append((name, e, per_half))
    return _verdict(not bad, min(ratios), violations=bad)


# ------------------------------------------------------------------------------ registry
def _m(fn: Any, **by_scale: Any) -> Any:
    def measure(scale: str) -> dict[str, Any]:
        kw = {k: _pick(scale, *v) for k, v in by_scale.items()}
        return fn(**kw)

    return measure


_TP = "properties/test_peers_pensia.py"
_TM = "properties/test_peers_malach.py"
_TB = "properties/test_peers_burkholz.py"
_TL = "properties/test_peers_counting.py"

PEER_CLAIMS: list[Claim] = [
    Claim("P-pensia-log", "Pensia et al.: width C·log(d_{i−1}d_i l/min{ε,δ}); exact random subset "
          "sum of U[−1,1] samples covers [−½,½] with n* = O(log 1/ε) (equal increments per decade)",
          "third-party", "A2 (3P width formula; C: reviewer log(dl/ε))", "growth", [_TP],
          _m(check_pensia_log, n_seeds=(10, 30, 100))),
    Claim("P-pensia-delta", "pensia at N = ⌈3·log₂(2W/min(η,δ))⌉ (C = 3 of their Exp. 1): "
          "P(certified sup error > ε) ≤ δ", "third-party", "A2 (C not explicit; ours: 3)",
          "probability", [_TP], _m(check_pensia_delta, n_seeds=(5, 20, 100))),
    Claim("X-prec", "Certificate-aware selection (added): every ticket's certified error ≤ B(per-layer "
          "max |ŵ−w|); pensia at its own G, selecting to the target's per-layer η_i: P(certified > ε) ≤ δ",
          "reconstructed", "precision.py (added)", "probability", [_TP],
          _m(check_precision_certificate, n_seeds=(5, 20, 60))),
    Claim("P-malach-poly", "Malach et al.: pair search, 2 kept neurons per weight; samples per weight "
          "grow polynomially, ~1/η (interior weights) to ~1/η² (|w| at the edge of the product law)",
          "confirmed", "A1 (C: Orseau Fig. 1 caption '1/ε²')", "growth", [_TM],
          _m(check_malach_poly, n_seeds=(10, 30, 100))),
    Claim("P-burkholz-depth", "Burkholz 2022: a depth-(L+1) random network contains an ε-ticket of "
          "a depth-L target (2ρ input copies, ρ copies per neuron, subset sums)", "confirmed",
          "A3(b) (C: abstract; layout ours)", "forall", [_TB], _m(check_burkholz_depth,
                                                                    rho=(8, 12, 16))),
    Claim("LB-counting", "Counting bound: n candidates give 2^n subsets, so ε-covering a range R "
          "needs n ≥ log₂(R/(2ε)); every sample set and every construction's plan respects it",
          "reconstructed", "counting (anchors §6.1 item 4)", "forall", [_TL, "tests/test_coverage.py"],
          _m(check_counting, n_seeds=(5, 20, 100))),
]
