"""slt_check: empirical, sound checks of strong-lottery-ticket pruning theorems.

Quick start::

    from slt_check import random_target, build_ticket, sup_error
    F = random_target([4, 8, 8, 2], w_max=1.0, rng=0)
    ticket = build_ticket(F, eps=1e-2, delta=0.05, seed=0, construction="orseau")
    print(sup_error(F, ticket, x_max=1.0))

Your own torch model (an ``nn.Sequential`` of ``Linear`` and ``ReLU``): ``F = net_from_torch(model)``
(or ``load_torch_target("model.pt")``, which never runs the file's pickle), then ``build(F, …)``, and
``result.ticket.to_torch()`` (or ``ticket_to_torch``) for the pruned torch module. torch is optional:
these names import it only when called.
"""

from slt_check._version import __version__  # noqa: E402
from slt_check.certificates.sup_error import SupError, sup_error  # noqa: E402
from slt_check.constructions.base import ConstructionFailed, Problem  # noqa: E402
from slt_check.constructions.registry import CONSTRUCTIONS, get_construction  # noqa: E402
from slt_check.core.nets import ReLUNet  # noqa: E402
from slt_check.io.torch_io import load_torch_target, net_from_torch, net_to_torch, ticket_to_torch  # noqa: E402
from slt_check.pipeline.build import BuildResult, build, build_compact_ticket, build_ticket  # noqa: E402
from slt_check.pipeline.verify import load_ticket, verify_ticket  # noqa: E402
from slt_check.tickets.compact_ticket import CompactTicket  # noqa: E402
from slt_check.tickets.targets import load_npz_target, random_target, target_from_spec  # noqa: E402
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
    "build_compact_ticket",
    "get_construction",
    "load_ticket",
    "verify_ticket",
    "random_target",
    "target_from_spec",
    "load_npz_target",
    "net_from_torch",
    "load_torch_target",
    "net_to_torch",
    "ticket_to_torch",
    "sup_error",
]
