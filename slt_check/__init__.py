"""slt_check: empirical, sound checks of strong-lottery-ticket pruning theorems.

Quick start::

    from slt_check import random_target, build_ticket, sup_error
    F = random_target([4, 8, 8, 2], w_max=1.0, rng=0)
    ticket = build_ticket(F, eps=1e-2, delta=0.05, seed=0, construction="orseau")
    print(sup_error(F, ticket, x_max=1.0))
"""

from slt_check._version import __version__  # noqa: E402
from slt_check.certificates.sup_error import SupError, sup_error  # noqa: E402
from slt_check.constructions.base import ConstructionFailed, Problem  # noqa: E402
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction  # noqa: E402
from slt_check.core.nets import ReLUNet  # noqa: E402
from slt_check.pipeline.build import BuildResult, build, build_ticket  # noqa: E402
from slt_check.pipeline.verify import load_ticket, verify_ticket  # noqa: E402
from slt_check.tickets.compact_ticket import CompactTicket  # noqa: E402
from slt_check.tickets.targets import random_target  # noqa: E402
from slt_check.tickets.ticket import AnyTicket, Ticket  # noqa: E402

__all__ = [
    "__version__",
    "BuildResult",
    "build",
    "AnyTicket",
    "CompactTicket",
    "CONSTRUCTIONS",
    "ConstructionFailed",
    "Problem",
    "ReLUNet",
    "SupError",
    "Ticket",
    "build_ticket",
    "get_construction",
    "load_ticket",
    "verify_ticket",
    "random_target",
    "sup_error",
]
