"""The Laplace law: density ``p(w) = exp(−|w|/b) / (2b)``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Laplace:
    """``Laplace(0, b)``; ``P(|w| ≤ t) = 1 − exp(−t/b)``.

    A law of slt_check is a frozen dataclass with a ``name`` (its entry-point name), ``sample(rng, size)``
    drawing from the explicit generator only, and ``params()`` whose entries but ``"law"`` are its
    constructor's keywords (compact tickets record the law that way and read it back by name)."""

    b: float = 1.0
    name: str = "laplace"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.b) and self.b > 0):
            raise ValueError(f"b: the Laplace scale must be a finite number > 0, got {self.b!r}")

    def sample(self, rng: np.random.Generator, size: Any) -> np.ndarray:
        return rng.laplace(0.0, self.b, size=size)

    def magnitude_cdf(self, t: np.ndarray) -> np.ndarray:
        return 1.0 - np.exp(-np.maximum(np.asarray(t, dtype=np.float64), 0.0) / self.b)

    def params(self) -> dict[str, Any]:
        return {"law": self.name, "b": self.b}
