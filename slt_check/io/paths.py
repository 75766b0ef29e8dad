"""Where the project's own files are (``plots/``, ``paper_claims.md``, ``properties/``).

The wheel ships only the ``slt_check`` package; the figure scripts, committed data and the ledger
live in a checkout of the repository. :func:`project_root` finds that checkout explicitly instead of
assuming the package sits inside it:

1. the environment variable ``SLT_CHECK_ROOT``, when set;
2. the folder above the imported package, when it is a checkout (an editable install);
3. the current directory or one of its parents holding ``pyproject.toml`` and ``plots/``.

Commands that need the checkout (``report``, ``ledger``) say so in one line when there is none.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["project_root", "require_project_root"]


def _is_checkout(p: Path) -> bool:
    return (p / "pyproject.toml").is_file() and (p / "plots").is_dir() and (p / "slt_check").is_dir()


def project_root() -> Path | None:
    """The checkout this run works in, or ``None`` (see the module docstring for the order)."""
    env = os.environ.get("SLT_CHECK_ROOT")
    if env:
        return Path(env).resolve()
    pkg_parent = Path(__file__).resolve().parents[2]
    if _is_checkout(pkg_parent):
        return pkg_parent
    here = Path.cwd().resolve()
    for p in (here, *here.parents):
        if _is_checkout(p):
            return p
    return None


def require_project_root(what: str) -> Path:
    """:func:`project_root`, or ``ValueError`` saying that ``what`` needs a checkout."""
    root = project_root()
    if root is None:
        raise ValueError(
            f"{what}: needs a checkout of the slt_check repository (plots/, paper_claims.md); run it from "
            "the checkout or set SLT_CHECK_ROOT to it"
        )
    return root
