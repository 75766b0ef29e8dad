"""Random target networks ``F`` with ``|w| ≤ w_max``, and parsing of ``--target`` strings.

Weight families (``family=``):

* ``uniform`` — i.i.d. ``U[−w_max, w_max]``;
* ``normal`` — ``N(0, (w_max/2)²)`` clipped to ``[−w_max, w_max]``;
* ``sparse`` — uniform, each entry zeroed with probability ½ (exact zeros);
* ``corners`` — a mix of exact zeros, ``±w_max``, tiny values (``±w_max·10^{−8}``) and uniform draws;
* ``kaiming`` — ``N(0, 2/n_in)`` clipped to ``[−w_max, w_max]`` (realistic scales).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from slt_check.nets import ReLUNet
from slt_check.validation import as_rng, check_positive

__all__ = ["FAMILIES", "random_target", "parse_widths", "target_from_spec"]

FAMILIES = ("uniform", "normal", "sparse", "corners", "kaiming")


def _layer(rng: np.random.Generator, shape: tuple[int, int], w_max: float, family: str) -> np.ndarray:
    if family == "uniform":
        return rng.uniform(-w_max, w_max, size=shape)
    if family == "normal":
        return np.clip(rng.normal(0.0, w_max / 2.0, size=shape), -w_max, w_max)
    if family == "sparse":
        w = rng.uniform(-w_max, w_max, size=shape)
        return np.where(rng.random(shape) < 0.5, 0.0, w)
    if family == "corners":
        choice = rng.integers(0, 5, size=shape)
        sign = np.where(rng.random(shape) < 0.5, -1.0, 1.0)
        vals = np.stack(
            [
                np.zeros(shape),
                sign * w_max,
                sign * w_max * 1e-8,
                rng.uniform(-w_max, w_max, size=shape),
                rng.uniform(-w_max, w_max, size=shape),
            ]
        )
        return np.take_along_axis(vals, choice[None], axis=0)[0]
    if family == "kaiming":
        return np.clip(rng.normal(0.0, np.sqrt(2.0 / shape[1]), size=shape), -w_max, w_max)
    raise ValueError(f"family: unknown target family {family!r}; choose one of {FAMILIES}")


def random_target(
    widths: Sequence[int],
    w_max: float = 1.0,
    rng: Any = 0,
    *,
    family: str = "uniform",
    output_relu: bool = False,
) -> ReLUNet:
    """A random bias-free target with widths ``(n_0, …, n_l)`` and every ``|w| ≤ w_max``."""
    w_max = check_positive(w_max, "w_max")
    ws = parse_widths(widths)
    gen = as_rng(rng)
    weights = [_layer(gen, (b, a), w_max, family) for a, b in zip(ws[:-1], ws[1:], strict=False)]
    return ReLUNet(weights, output_relu=output_relu)


def parse_widths(widths: Sequence[int] | str) -> tuple[int, ...]:
    """``"4-8-8-2"`` or ``[4, 8, 8, 2]`` → ``(4, 8, 8, 2)`` (at least two positive integers)."""
    if isinstance(widths, str):
        try:
            ws = tuple(int(p) for p in widths.replace(",", "-").split("-") if p)
        except ValueError:
            raise ValueError(f"widths: expected e.g. '4-8-8-2', got {widths!r}") from None
    else:
        ws = tuple(int(n) for n in widths)
    if len(ws) < 2 or any(n < 1 for n in ws):
        raise ValueError(f"widths: need at least n_0 and n_1, all ≥ 1; got {widths!r}")
    return ws


def target_from_spec(spec: str, *, w_max: float = 1.0, seed: int = 0, output_relu: bool = False) -> ReLUNet:
    """Parse a ``--target`` string.

    * ``random:4-8-8-2`` or ``random:4-8-8-2:normal`` — a random target (seeded by ``seed``);
    * ``torch:model.pt`` — a saved ``nn.Sequential`` of bias-free ``Linear`` + ``ReLU``;
    * ``npz:file.npz`` — arrays ``W_0 … W_{l−1}`` (or a ticket file's ``target_*``).
    """
    kind, _, rest = spec.partition(":")
    if kind == "random":
        widths, _, family = rest.partition(":")
        return random_target(
            parse_widths(widths), w_max, seed, family=family or "uniform", output_relu=output_relu
        )
    if kind == "torch":
        from slt_check.torch_io import load_torch_target

        return load_torch_target(rest, output_relu=output_relu)
    if kind == "npz":
        with np.load(rest, allow_pickle=False) as z:
            names = [n for n in ("W", "target") if f"{n}_0" in z.files]
            if not names:
                raise ValueError(f"target: {rest!r} has no W_0… or target_0… arrays")
            ws, k = [], 0
            while f"{names[0]}_{k}" in z.files:
                ws.append(z[f"{names[0]}_{k}"])
                k += 1
        return ReLUNet(ws, output_relu=output_relu)
    raise ValueError(
        f"target: expected 'random:<widths>[:family]', 'torch:<file.pt>' or 'npz:<file.npz>', got {spec!r}"
    )
