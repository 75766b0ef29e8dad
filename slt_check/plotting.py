"""Tiny plotting helpers shared by ``plots/fig_*.py``: style, deterministic saving, JSON I/O.

* Figures are drawn with the Agg backend and the committed style ``plots/slt.mplstyle``.
* :func:`save_figure` writes ``<stem>.svg`` and ``<stem>.png`` deterministically (fixed
  ``svg.hashsalt``, ``metadata={"Date": None}`` for SVG and ``{"Software": None}`` for PNG), so the
  same data gives byte-identical files.
* :func:`write_json` writes sorted keys, floats rounded to 12 significant digits, ``allow_nan=False``.
* :func:`load_figure_module` loads ``plots/fig_<name>.py`` by path (``plots/`` is not a package).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from slt_check.paths import project_root, require_project_root
from slt_check.safe_io import atomic_write_text
from slt_check.textio import json_ready, round_sig

__all__ = [
    "PLOTS_DIR",
    "DATA_DIR",
    "STYLE",
    "FIGURES",
    "round_sig",
    "json_clean",
    "write_json",
    "read_json",
    "style",
    "save_figure",
    "load_figure_module",
    "data_path",
]

PLOTS_DIR = (project_root() or Path.cwd()) / "plots"
"""The checkout's ``plots/`` folder (figure scripts, committed data and style; :mod:`slt_check.paths`)."""
DATA_DIR = PLOTS_DIR / "data"
STYLE = PLOTS_DIR / "slt.mplstyle"
FIGURES: tuple[str, ...] = (
    "samples",
    "minwidth",
    "error",
    "failure",
    "depth",
    "coverage",
    "propagation",
    "axes",
)
"""Every figure, in report order: ``plots/fig_<name>.py``."""

_FALLBACK_RC = {"svg.hashsalt": "slt_check", "svg.fonttype": "path", "savefig.bbox": "tight"}


def json_clean(obj: Any) -> Any:
    """Plain-Python copy of ``obj`` (numpy → Python, tuples → lists, floats rounded to 12 s.f.; NaN,
    inf and non-data objects refused): :func:`slt_check.textio.json_ready` for committed data."""
    return json_ready(obj, digits=12, nonfinite="error", strict=True)


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as JSON (sorted keys, 12 s.f. floats, no NaN), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_clean(data), sort_keys=True, indent=1, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a results JSON file (``ValueError`` naming the path if missing or invalid)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: no results file at {str(path)!r}; run its compute() first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"path: {str(path)!r} is not valid JSON ({exc})") from exc


def data_path(name: str, config: dict[str, Any] | None = None) -> Path:
    """Where figure ``name`` keeps its data: ``config["data_dir"]`` or ``plots/data``."""
    d = Path((config or {}).get("data_dir") or DATA_DIR)
    return d / f"{name}.json"


@contextmanager
def style() -> Iterator[None]:
    """Agg backend and the committed style (or a minimal fallback if ``plots/`` is absent)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    sheets: list[Any] = ["default", str(STYLE) if STYLE.is_file() else _FALLBACK_RC]
    with plt.style.context(sheets):
        plt.rcParams.update(_FALLBACK_RC)
        yield


def save_figure(fig: Any, stem: str | os.PathLike[str], formats: tuple[str, ...] = ("svg", "png")) -> list[Path]:
    """Save ``fig`` as ``<stem>.svg`` / ``<stem>.png`` deterministically and close it."""
    import matplotlib
    import matplotlib.pyplot as plt

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with matplotlib.rc_context({"svg.hashsalt": "slt_check"}):
        for fmt in formats:
            p = stem.with_suffix(f".{fmt}")
            if fmt == "svg":
                fig.savefig(p, format="svg", metadata={"Date": None})
            elif fmt == "png":
                fig.savefig(p, format="png", metadata={"Software": None})
            else:
                raise ValueError(f"formats: expected 'svg' or 'png', got {fmt!r}")
            out.append(p)
    plt.close(fig)
    return out


def load_figure_module(name: str) -> ModuleType:
    """Import ``plots/fig_<name>.py`` by path (``ValueError`` if there is no such figure)."""
    path = PLOTS_DIR / f"fig_{name}.py"
    if not PLOTS_DIR.is_dir():
        require_project_root("figures")
    if not path.is_file():
        raise ValueError(f"name: no figure script {str(path)!r}; choose one of {FIGURES}")
    spec = importlib.util.spec_from_file_location(f"slt_plots_fig_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
