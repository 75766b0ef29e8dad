"""Weight laws for the random network ``G`` (docs/reconstruction.md#hyperbolic).

* :class:`Hyperbolic` — density ``p_h(w) = 1 / (2|w| ln(β/α))`` on ``α ≤ |w| ≤ β``, symmetric sign.
  Sampler: ``|w| = α (β/α)^U``, ``U ~ U[0,1]``, sign ±1 w.p. ½ ([RECON]; the name
  "hyperbolic" is third-party, the exact support is not known).
* :class:`Uniform` — ``U[lo, hi]`` (Malach / Pensia style, ``U[−1, 1]`` by default).
* :class:`Product` — the law of ``a·b`` for independent ``a ~ first``, ``b ~ second``
  (the "product weights", docs/reconstruction.md#product).

Every ``sample`` takes an explicit ``rng`` (``numpy.random.Generator``); nothing uses global state.
Registry: :data:`LAWS` maps a name to a constructor, e.g. ``make_law("uniform", lo=-1, hi=1)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from slt_check.core.plugins import plugin_objects
from slt_check.core.validation import check_positive

__all__ = ["Law", "Hyperbolic", "Uniform", "Product", "LAWS", "all_laws", "make_law", "FACTOR_LAWS", "factor_law"]


class Law(Protocol):
    name: str

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray: ...

    def magnitude_cdf(self, t: np.ndarray) -> np.ndarray: ...

    def params(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Hyperbolic:
    """Hyperbolic law on ``α ≤ |w| ≤ β``: ``p(w) = 1/(2|w| ln(β/α))``.

    ``P(|w| ≤ t) = ln(t/α)/ln(β/α)``; scale invariance (R1): ``P(|w| ∈ [a, γa]) = ln γ / ln(β/α)``
    for every ``[a, γa] ⊆ [α, β]``; ``E|w| = (β−α)/ln(β/α)``.
    """

    alpha: float
    beta: float
    name: str = "hyperbolic"

    def __post_init__(self) -> None:
        a = check_positive(self.alpha, "alpha")
        b = check_positive(self.beta, "beta")
        if not a < b:
            raise ValueError(f"alpha, beta: need 0 < alpha < beta, got alpha={a}, beta={b}")

    @property
    def log_ratio(self) -> float:
        """Λ = ln(β/α)."""
        return math.log(self.beta / self.alpha)

    def sample_from_uniforms(self, u: np.ndarray, signs: np.ndarray) -> np.ndarray:
        """Deterministic map ``(U, s) ↦ s·α(β/α)^U`` (used for exact scaling tests, R21)."""
        mag = self.alpha * np.exp(np.asarray(u, dtype=np.float64) * self.log_ratio)
        return np.where(np.asarray(signs) > 0, mag, -mag)

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        """Draw ``size`` weights. Each weight takes two consecutive uniforms of the stream (its
        magnitude ``U`` and its sign), so draws are *nested*: the first ``N`` of ``N' > N`` draws
        from the same generator state are the ``N`` draws (along the first axis). A wider ``G`` from
        the same seed therefore contains the narrower one — failure is monotone in the width per
        seed, which the minimal-width bisection relies on."""
        shape = (size,) if np.ndim(size) == 0 else tuple(size)
        r = rng.random(shape + (2,))
        s = np.where(r[..., 1] < 0.5, 1, -1)
        return self.sample_from_uniforms(r[..., 0], s)

    def magnitude_cdf(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(divide="ignore"):
            v = np.log(np.maximum(t, self.alpha) / self.alpha) / self.log_ratio
        return np.clip(v, 0.0, 1.0)

    def pdf(self, w: np.ndarray) -> np.ndarray:
        a = np.abs(np.asarray(w, dtype=np.float64))
        inside = (a >= self.alpha) & (a <= self.beta)
        with np.errstate(divide="ignore"):
            return np.where(inside, 1.0 / (2.0 * np.maximum(a, self.alpha) * self.log_ratio), 0.0)

    def interval_prob(self, lo: float, hi: float) -> float:
        """``P(|w| ∈ [lo, hi])``."""
        return float(self.magnitude_cdf(np.array(hi)) - self.magnitude_cdf(np.array(lo)))

    def params(self) -> dict[str, Any]:
        return {"law": self.name, "alpha": self.alpha, "beta": self.beta}


@dataclass(frozen=True)
class Uniform:
    """``U[lo, hi]``; ``P(|w| ≤ t)`` given for symmetric ``lo = −hi``."""

    lo: float = -1.0
    hi: float = 1.0
    name: str = "uniform"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"lo, hi: need finite lo < hi, got lo={self.lo}, hi={self.hi}")

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        return rng.uniform(self.lo, self.hi, size=size)

    def magnitude_cdf(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        lo, hi = self.lo, self.hi
        # P(-t <= w <= t) for w ~ U[lo, hi]
        upper = np.clip(t, lo, hi)
        lower = np.clip(-t, lo, hi)
        return np.clip((upper - lower) / (hi - lo), 0.0, 1.0)

    def pdf(self, w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=np.float64)
        return np.where((w >= self.lo) & (w <= self.hi), 1.0 / (self.hi - self.lo), 0.0)

    def params(self) -> dict[str, Any]:
        return {"law": self.name, "lo": self.lo, "hi": self.hi}


@dataclass(frozen=True)
class Product:
    """Law of ``a·b`` with ``a ~ first`` and ``b ~ second`` independent.

    For two hyperbolics ``ln|ab|`` is triangular on ``[s0−Λ, s0+Λ]`` (docs/reconstruction.md#product); for two
    ``U[−1,1]`` the density of ``ab`` is ``½ ln(1/|z|)`` (docs/reconstruction.md#uniform).
    """

    first: Any
    second: Any
    name: str = "product"

    def sample_pair(self, rng: np.random.Generator, size: Any) -> tuple[np.ndarray, np.ndarray]:
        return self.first.sample(rng, size), self.second.sample(rng, size)

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        a, b = self.sample_pair(rng, size)
        return a * b

    def magnitude_cdf(self, t: np.ndarray) -> np.ndarray:  # pragma: no cover - closed forms below
        raise NotImplementedError("Product.magnitude_cdf: use product_magnitude_cdf for known pairs")

    def params(self) -> dict[str, Any]:
        return {"law": self.name, "first": self.first.params(), "second": self.second.params()}


def product_magnitude_cdf(law: Product, t: np.ndarray) -> np.ndarray:
    """Closed-form ``P(|ab| ≤ t)`` for hyperbolic×hyperbolic (same α, β) and U[−1,1]×U[−1,1].

    * hyperbolic: ``S = ln|a| + ln|b|`` is the sum of two ``U[ln α, ln β]``, triangular CDF.
    * uniform: ``P(|ab| ≤ t) = t(1 − ln t)`` for ``t ∈ (0, 1]``.
    """
    t = np.asarray(t, dtype=np.float64)
    f, s = law.first, law.second
    if isinstance(f, Hyperbolic) and isinstance(s, Hyperbolic) and f == s:
        lam = f.log_ratio
        with np.errstate(divide="ignore"):
            y = (np.log(np.maximum(t, 1e-300)) - 2 * math.log(f.alpha)) / lam  # in [0, 2]
        y = np.clip(y, 0.0, 2.0)
        return np.where(y <= 1.0, 0.5 * y * y, 1.0 - 0.5 * (2.0 - y) ** 2)
    if (
        isinstance(f, Uniform)
        and isinstance(s, Uniform)
        and (f.lo, f.hi) == (-1.0, 1.0)
        and (s.lo, s.hi) == (-1.0, 1.0)
    ):
        tc = np.clip(t, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.where(tc > 0, tc * (1.0 - np.log(np.where(tc > 0, tc, 1.0))), 0.0)
        return v
    raise NotImplementedError(f"no closed-form product CDF for {f.params()} × {s.params()}")


LAWS: dict[str, Any] = {"hyperbolic": Hyperbolic, "uniform": Uniform}
"""The built-in laws by name; plugins add theirs with the entry-point group ``slt_check.laws``
(:mod:`slt_check.core.plugins`)."""


FACTOR_LAWS = ("uniform", "hyperbolic", "product")
"""The laws of a weight factor by name (:func:`factor_law`)."""


def factor_law(name: str, s: float, support: tuple[float, float] | None = None) -> Any:
    """A weight factor's law by name, the one place the suite maps these names to laws:
    ``"uniform"`` ``U[−s, s]``, ``"product"`` the product of two independent ``U[−s, s]``, and
    ``"hyperbolic"`` on ``support = (α, β)`` (required then)."""
    if name == "uniform":
        return Uniform(-s, s)
    if name == "product":
        return Product(Uniform(-s, s), Uniform(-s, s))
    if name == "hyperbolic":
        if support is None:
            raise ValueError("support: the hyperbolic law needs its support (alpha, beta)")
        return Hyperbolic(*support)
    raise ValueError(f"law: expected one of {FACTOR_LAWS}, got {name!r}")


def _check_law(name: str, cls: Any) -> None:
    if not callable(cls) or getattr(cls, "name", name) != name:
        raise ValueError(f"law {name!r}: a plugin law must be a class whose ``name`` is its entry-point "
                         f"name, got {cls!r}")


def all_laws() -> dict[str, Any]:
    """Every law by name: the built-ins (:data:`LAWS`) and those of installed plugins."""
    return {**LAWS, **plugin_objects("slt_check.laws", LAWS, _check_law)}


def make_law(name: str, **params: Any) -> Any:
    """Build a law by registry name: ``make_law("hyperbolic", alpha=1e-3, beta=1.0)``.

    A law's ``params()`` minus ``"law"`` must be its constructor's keywords: compact tickets record
    the law as ``params()`` and read it back through this function."""
    laws = LAWS if name in LAWS else all_laws()
    if name not in laws:
        raise ValueError(f"law: unknown law {name!r}; choose one of {sorted(laws)} (a plugin's law is "
                         "found once its package is installed)")
    return laws[name](**params)
