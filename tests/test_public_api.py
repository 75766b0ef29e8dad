"""What a user imports from ``slt_check``'s top level exists, and importing it stays light (torch,
matplotlib and dask are loaded only by the functions that need them)."""

from __future__ import annotations

import subprocess
import sys

import slt_check

USER_API = ("build", "build_ticket", "build_compact_ticket", "random_target", "target_from_spec", "load_npz_target",
            "net_from_torch", "load_torch_target", "net_to_torch", "ticket_to_torch", "load_ticket", "verify_ticket",
            "sup_error", "ReLUNet", "Ticket", "CompactTicket", "CONSTRUCTIONS", "get_construction")


def test_all_names_resolve_and_cover_the_user_api() -> None:
    assert [n for n in slt_check.__all__ if not hasattr(slt_check, n)] == []
    assert set(USER_API) <= set(slt_check.__all__)
    from slt_check.io.torch_io import net_from_torch

    assert slt_check.net_from_torch is net_from_torch


def test_import_does_not_load_optional_heavy_dependencies() -> None:
    code = ("import sys, slt_check; print(sorted(m for m in ('torch', 'matplotlib', 'dask') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
