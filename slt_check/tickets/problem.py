"""The problem a construction solves — the part of a ticket's record that ``G`` may depend on.

It lives with the tickets (not the constructions) because every ticket's metadata records it
(:class:`~slt_check.tickets.meta.TicketMeta`); :mod:`slt_check.constructions.base` re-exports it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from slt_check.core.bounds import biased_bounds
from slt_check.core.nets import ReLUNet
from slt_check.core.validation import check_delta, check_eps, check_scale, check_weight_bound

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """What ``G`` may depend on: the target's architecture and declared bounds, ε and δ.

    ``widths = (n_0, …, n_l)``; every target weight satisfies ``|w| ≤ w_max``; inputs lie in the box
    ``‖x‖_∞ ≤ x_max``; the goal is ``sup_x ‖F(x) − Ĝ(x)‖_∞ ≤ eps`` with probability ``≥ 1 − delta``.
    """

    widths: tuple[int, ...]
    eps: float
    delta: float
    w_max: float = 1.0
    x_max: float = 1.0
    output_relu: bool = False

    def __post_init__(self) -> None:
        ws = tuple(int(n) for n in self.widths)
        if len(ws) < 2 or any(n < 1 for n in ws):
            raise ValueError(f"widths: need (n_0, …, n_l), l ≥ 1, positive integers; got {self.widths!r}")
        object.__setattr__(self, "widths", ws)
        object.__setattr__(self, "eps", check_scale(check_eps(self.eps), "eps"))
        object.__setattr__(self, "delta", check_delta(self.delta))
        object.__setattr__(self, "w_max", check_scale(self.w_max, "w_max"))
        object.__setattr__(self, "x_max", check_scale(self.x_max, "x_max"))

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    @property
    def n_weights(self) -> int:
        return int(sum(a * b for a, b in zip(self.widths[:-1], self.widths[1:], strict=False)))

    def check_target(self, target: ReLUNet) -> None:
        """``ValueError`` unless the target has these widths and satisfies ``|w| ≤ w_max``."""
        if tuple(target.widths) != self.widths:
            raise ValueError(
                f"target: widths {target.widths} differ from the problem's widths {self.widths}"
            )
        if bool(target.output_relu) != bool(self.output_relu):
            raise ValueError(
                f"target: output_relu={target.output_relu} but the problem says {self.output_relu}"
            )
        check_weight_bound(target.dense_weights(), self.w_max)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def for_target(cls, target: ReLUNet, eps: float, delta: float, **kw: Any) -> Problem:
        return cls(tuple(target.widths), eps, delta, output_relu=target.output_relu, **kw)

    @classmethod
    def reduced(cls, widths: tuple[int, ...] | list[int], eps: float, delta: float, *, w_max: float = 1.0,
                x_max: float = 1.0, b_max: float | None = None) -> Problem:
        """The problem a construction solves for a target of ``widths`` whose biases satisfy ``|b| ≤ b_max``:
        with ``b_max=None`` (bias-free) ``Problem(widths, eps, delta, w_max, x_max)``; else the bias-free
        reduction ``F'`` of :mod:`slt_check.core.affine` — widths ``(n_0 + 1, …, n_{l−1} + 1, n_l)`` and
        ``(w_max', x_max') = (max(w_max, b_max, 1), max(x_max, 1))`` (:func:`~slt_check.core.bounds.biased_bounds`;
        the 1 only with hidden layers). Its plan is the width a biased build samples."""
        ws = [int(n) for n in widths]
        if b_max is None:
            return cls(tuple(ws), eps, delta, w_max=w_max, x_max=x_max)
        w, x = biased_bounds(w_max, b_max, x_max, len(ws) - 1)
        return cls(tuple([n + 1 for n in ws[:-1]] + ws[-1:]), eps, delta, w_max=w, x_max=x)
