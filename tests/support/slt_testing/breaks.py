"""Broken variants of the library ("mutations") that the property suite must catch.

Each mutation is applied by monkeypatching, in a fresh interpreter, *before* any test module is
imported, and ``pytest`` then runs the named property modules in that process (no xdist: the
patch lives in this process only). ``tests/test_breaks.py`` (slow) asserts that each run fails and
that the failing tests include the claims named in :data:`MUTATIONS`; the ledger's "breaks caught"
column lists them per claim. Claims name a mutation by string (``Claim.breaks``); the library never
imports this module.

Run one by hand, from the repository root: ``PYTHONPATH=tests/support python -m slt_testing.breaks
orseau-width-half``.

* ``orseau-width-half`` — the 8 of ``N_w = ⌈8M ln(2MW/δ)⌉`` halved (:func:`slt_check.core.bounds.samples_per_group`);
  (:func:`slt_check.constructions.sample_counts.pensia_samples`);
* ``certificate-0.9`` — the certified bound multiplied by 0.9 (:mod:`slt_check.certificates.sup_error`);
* ``tile-index-floor`` — the former ``⌊log_γ(w_max/|p|)⌋ + 1`` tile index (lower-edge products lost);
* ``malach-N-quarter`` — Malach's pair-search sample count ÷ 4 (halving is not caught: at the plan's
  ``N`` the miss rate is ≈ δ/8, at ``N/2`` ≈ δ, so the plan's ``N`` is about twice what δ needs);
* ``precision-bound-half`` — the precision bound ``B(η)`` the certificate-aware selection solves
  from, halved (X-prec's soundness; a selection tolerance ×4 is *not* caught: the exact subset sums
  land far inside any tolerance, so X-prec's success rate does not depend on it);
* ``category-prob-double`` — R7's category bound ``1/(8M)`` replaced by ``1/(4M)`` (R12's union bound);
* ``tile-index-unscaled`` — digit tiles that ignore ``w_max`` (R-scale's covariance breaks);
* ``relu6`` — the library's activation clipped at 6 (R3's pair identity needs σ(cz) = cσ(z), c > 0);
* ``dead-half-flipped`` — layers ≥ 2 simulate their weights with the dead ``a < 0`` half (P-depth: no
  number of digits works beyond depth 1);
* ``coverage-no-union`` — the universal-coverage step keeps only the sums that include the new sample;
* ``burkholz-union-rho-quarter`` — the union plan's ``ρ`` divided by 4 (3/12 failures at 2-3-2,
  ε = 0.05, δ = 0.1 on exploratory seeds 5000–5011).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from slt_check.certificates import precision
from slt_check.certificates import sup_error as certify
from slt_check.claims import checks
from slt_check.constructions import malach, rules, sample_counts
from slt_check.core import affine, bounds, coverage, digits, nets
from slt_check.pipeline import build as pipeline_build
from slt_check.sources import lazy, selection

__all__ = ["Mutation", "MUTATIONS", "apply", "run", "failures"]

SUPPORT = Path(__file__).resolve().parent.parent
"""The folder that holds this package (``tests/support``): on the child interpreter's path."""


RATE_TEST = "properties/test_rate_claims.py"
"""The registry-parametrised test of every rate claim's two stages."""


@dataclass(frozen=True)
class Mutation:
    """A broken variant: its patch, the property modules to run, the claims that must fail, and the rate
    claims whose two stages run under it (their parameters of :data:`RATE_TEST` at the profile's scale,
    and at the fallback scale where that one is slow)."""

    name: str
    what: str
    patch: Callable[[], None]
    modules: tuple[str, ...]
    claims: tuple[str, ...]
    rates: tuple[str, ...] = ()

    def targets(self) -> list[str]:
        """The pytest node ids and files to run; ``ValueError`` for a file that does not exist (a run
        that cannot start must not count as a caught mutation)."""
        # imported here, in the parent process only: the child applies the patch before importing the claims
        from slt_check.claims.rates import profile_scale
        from slt_check.claims.registry import rate_claims

        root = SUPPORT.parent.parent
        missing = [m for m in self.modules if not (root / m).is_file()]
        if missing:
            raise ValueError(f"mutation {self.name}: property modules {missing} do not exist")
        by_id = rate_claims()
        out = list(self.modules)
        for rid in self.rates:
            out += [f"{RATE_TEST}::test_rate_claim_over_its_domain[{rid}@{sc}]"
                    for sc, _slow in by_id[rid][0].test_scales(profile_scale())]
        return out


def _orseau_width_half() -> None:
    def samples_per_group(M: int, n_groups: int, delta: float) -> int:
        return math.ceil(4 * M * math.log(2 * M * n_groups / delta))

    bounds.samples_per_group = samples_per_group


def _bias_column_dropped() -> None:
    def augment(net: Any) -> Any:  # the build's reduction forgets the biases
        return affine.augment(nets.ReLUNet(net.weights, output_relu=net.output_relu))

    pipeline_build.augment = augment


def _certificate_09() -> None:
    orig = certify._bound_from_reduced

    def bound(*a: Any, **k: Any) -> dict[str, Any]:
        r = orig(*a, **k)
        return {**r, "bound": 0.9 * r["bound"]}

    certify._bound_from_reduced = bound


def _tile_index_floor() -> None:
    def tile_index(mag: Any, w_max: float, gamma: float = 1.5) -> np.ndarray:
        mag = np.asarray(mag, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.floor(np.log(w_max / mag) / math.log(gamma)) + 1
        k = np.where(mag >= w_max, 0.0, k)
        k = np.where(mag > 0, k, np.iinfo(np.int32).max)
        return np.minimum(k, np.iinfo(np.int32).max).astype(np.int64)

    digits.tile_index = tile_index
    rules.tile_index = tile_index
    checks.tile_index = tile_index


def _malach_quarter() -> None:
    orig = sample_counts.pair_samples

    def pair_samples(*a: Any, **k: Any) -> tuple[int, dict[str, Any]]:
        N, extra = orig(*a, **k)
        return max(1, N // 4), extra

    sample_counts.pair_samples = malach.pair_samples = pair_samples


def _precision_bound_half() -> None:
    orig = precision.precision_bound

    def precision_bound(*a: Any, **k: Any) -> float:
        return 0.5 * orig(*a, **k)

    precision.precision_bound = precision_bound


def _category_prob_double() -> None:
    bounds.category_prob_lower = lambda M: 1.0 / (4 * M)


def _tile_index_unscaled() -> None:
    orig = digits.tile_index

    def tile_index(mag: Any, w_max: float, gamma: float = 1.5) -> np.ndarray:
        return orig(mag, 1.0, gamma)  # tiles no longer scale with w_max

    digits.tile_index = tile_index
    rules.tile_index = tile_index
    checks.tile_index = tile_index


def _relu6() -> None:
    def relu(z: Any) -> np.ndarray:
        return np.minimum(np.maximum(z, 0.0), 6.0)  # ReLU6: not positively homogeneous

    nets.relu = relu
    checks.relu = relu


def _dead_half_flipped() -> None:
    def layer_halves(t: int, prune_dead_halves: bool = True) -> tuple[int, ...]:
        return (-1,) if (prune_dead_halves and t > 0) else (1, -1)  # keeps the dead a < 0 half

    selection.layer_halves = layer_halves
    lazy.layer_halves = layer_halves


def _coverage_no_union() -> None:
    def step(U: np.ndarray, x: float) -> np.ndarray:
        return coverage.merge_intervals(U + float(x))  # forgets the subsets without x

    coverage.step = step


def _quarter_plan(fn: Callable[..., dict[str, Any]], key: str) -> Callable[..., dict[str, Any]]:
    """``fn`` with the plan's ``key`` (a count) divided by 4."""

    def plan(*a: Any, **k: Any) -> dict[str, Any]:
        out = dict(fn(*a, **k))
        out[key] = max(1, out[key] // 4)
        return out

    return plan


def _burkholz_union_rho_quarter() -> None:  # a quarter of the copies planned
    bounds.burkholz_union_plan = _quarter_plan(bounds.burkholz_union_plan, "rho")


_P = "properties/"
MUTATIONS: dict[str, Mutation] = {m.name: m for m in [
    Mutation("orseau-width-half", "N_w = ⌈4M ln(2MW/δ)⌉ (the 8 halved)", _orseau_width_half,
             (_P + "test_P_main.py",), ("R5", "R10", "P-main"), rates=("R5", "P-main")),
    Mutation("certificate-0.9", "certified bound × 0.9", _certificate_09,
             (_P + "test_P_main.py", _P + "test_r06_end_to_end.py"), ("X-cert", "R-outrelu")),
    Mutation("tile-index-floor", "tile index ⌊log_γ(w_max/|p|)⌋ + 1", _tile_index_floor,
             (_P + "test_r03_one_weight.py",), ("R4", "X-tile-edge")),
    Mutation("malach-N-quarter", "pair-search samples N ÷ 4", _malach_quarter,
             (_P + "test_peers_malach.py",), ("P-malach-poly",), rates=("P-malach-poly",)),
    Mutation("precision-bound-half", "the precision bound B(η) of precision.py × 0.5", _precision_bound_half,
             (_P + "test_peers_pensia.py",), ("X-prec",), rates=("X-prec",)),
    Mutation("category-prob-double", "R7's category bound 1/(8M) → 1/(4M) (union bound too optimistic)",
             _category_prob_double, (), ("R12",), rates=("R12",)),
    Mutation("tile-index-unscaled", "digit tiles at [γ^-k, γ^(1-k)) whatever w_max (not scaled by it)",
             _tile_index_unscaled, (_P + "test_r09_invariances.py",), ("R-scale",)),
    Mutation("relu6", "the activation clipped at 6 (ReLU6), which breaks the pair identity", _relu6,
             (_P + "test_r03_one_weight.py",), ("R3",)),
    Mutation("dead-half-flipped", "layers ≥ 2 keep the a < 0 half (dead on inputs ≥ 0) instead of a > 0",
             _dead_half_flipped, (_P + "test_r07_sizes.py",), ("P-depth",)),
    Mutation("coverage-no-union", "subset-sum coverage step U + x instead of U ∪ (U + x)", _coverage_no_union,
             (_P + "test_peers_pensia.py",), ("P-pensia-log",)),
    Mutation("bias-column-dropped", "the build's constant-input reduction drops the bias column",
             _bias_column_dropped, (_P + "test_biases.py",), ("B-bias",), rates=("B-bias",)),
    Mutation("burkholz-union-rho-quarter", "the union plan's ρ divided by 4", _burkholz_union_rho_quarter,
             (_P + "test_peers_burkholz.py",), ("P-burkholz-depth",), rates=("P-burkholz-depth",)),
]}
"""The mutations, by name."""


def apply(name: str) -> None:
    """Apply mutation ``name`` in this process (before the code under test is imported elsewhere)."""
    MUTATIONS[name].patch()


def run(name: str, extra: tuple[str, ...] = (), timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """Run the mutation's property modules under the mutation in a fresh interpreter; returns the
    completed process (``returncode != 0`` means the suite caught it; ``stdout`` lists the failures)."""
    m = MUTATIONS[name]
    code = ("import sys, pytest; from slt_testing import breaks as B; B.apply(sys.argv[1]); "
            "sys.exit(pytest.main(['-q', '-rf', '-p', 'no:cacheprovider', '-p', 'no:xdist', "
            "'-W', 'ignore::DeprecationWarning', *sys.argv[2:]]))")
    path = os.pathsep.join(filter(None, [str(SUPPORT), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code, name, *m.targets(), *extra], capture_output=True,
                          text=True, timeout=timeout, check=False, env={**os.environ, "PYTHONPATH": path})


def failures(res: subprocess.CompletedProcess[str]) -> list[str]:
    """The ``FAILED …`` lines of a :func:`run` (plus the summary line when pytest printed none)."""
    lines = res.stdout.splitlines()
    failed = [ln for ln in lines if ln.startswith("FAILED")]
    if not failed:
        failed = [ln for ln in lines if re.search(r"\b\d+ failed\b", ln)]
    return failed


if __name__ == "__main__":  # pragma: no cover - manual use
    for n in sys.argv[1:] or list(MUTATIONS):
        res = run(n)
        failed = failures(res)
        print(f"{n}: exit {res.returncode}; {len(failed)} failed")
        for ln in failed:
            print("   ", ln[:160])
