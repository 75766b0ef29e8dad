"""Tiny plotting helpers shared by ``plots/fig_*.py``: style, deterministic saving, JSON I/O.

* Figures are drawn with the Agg backend and the committed style ``plots/slt.mplstyle``.
* :func:`save_figure` writes ``<stem>.pdf``, ``.svg`` and a 300 dpi ``.png`` deterministically (fixed
  ``svg.hashsalt``, no dates or producer strings), so the same data gives byte-identical files.
* :func:`write_json` writes sorted keys, floats rounded to 12 significant digits, ``allow_nan=False``.
* :func:`load_figure_module` loads ``plots/fig_<name>.py`` by path (``plots/`` is not a package): from
  the checkout when there is one, else from the copy the wheel ships as ``slt_check/_figures``
  (:data:`SHIPPED_FIGURES`), so an installed ``slt-check report`` finds every figure.
* Theory and measurement are told apart by the legend label: :func:`formula_label` (``"formula: …"``,
  drawn as lines without markers) and :func:`measured_label` (``"measured: …"``, markers with a 95 %
  interval); :func:`mean_ci`, :func:`slope_ci` and :func:`rate_ci` give those intervals;
  :func:`failure_phrase` is the ``failed k/n`` phrase every caption carries (``tests/test_plots.py``).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from scipy import stats

from slt_check.claims import ledger
from slt_check.core.stats import clopper_pearson, slope_ci
from slt_check.io.paths import project_root, require_project_root
from slt_check.io.safe_io import atomic_write_text
from slt_check.io.textio import json_ready, loads_json, round_sig

__all__ = [
    "PLOTS_DIR",
    "benchmark_module",
    "read_benchmark",
    "SHIPPED_FIGURES",
    "DATA_DIR",
    "STYLE",
    "FIGURES",
    "round_sig",
    "json_clean",
    "write_json",
    "read_json",
    "style",
    "save_figure",
    "FORMATS",
    "COLUMN_WIDTH",
    "PAGE_WIDTH",
    "load_figure_module",
    "figure_script",
    "data_path",
    "formula_label",
    "measured_label",
    "reference_label",
    "mean_ci",
    "slope_ci",
    "rate_ci",
    "failure_phrase",
    "ledger_record",
    "legend_below",
    "display_name",
    "ledger_claim",
]

PLOTS_DIR = (project_root() or Path.cwd()) / "plots"
"""The checkout's ``plots/`` folder (figure scripts, committed data and style; :mod:`slt_check.io.paths`)."""
SHIPPED_FIGURES = Path(str(resources.files("slt_check") / "_figures"))
"""The figure scripts and the style as the wheel ships them (``pyproject.toml``: the wheel's
``force-include``); absent in a checkout, where :data:`PLOTS_DIR` has them."""
DATA_DIR = PLOTS_DIR / "data"
STYLE = next((d / "slt.mplstyle" for d in (PLOTS_DIR, SHIPPED_FIGURES) if (d / "slt.mplstyle").is_file()),
             PLOTS_DIR / "slt.mplstyle")
FIGURES: tuple[str, ...] = (
    "width_vs_eps",
    "failure",
    "pensia_delta",
    "samples",
    "error",
    "depth",
    "coverage",
    "propagation",
    "axes",
    "certificate_gap",
    "biases",
)
"""Every figure, in report order: ``plots/fig_<name>.py``."""

_FALLBACK_RC = {"svg.hashsalt": "slt_check", "svg.fonttype": "path", "savefig.bbox": "tight"}


def json_clean(obj: Any) -> Any:
    """Plain-Python copy of ``obj`` (numpy → Python, tuples → lists, floats rounded to 12 s.f.; NaN,
    inf and non-data objects refused): :func:`slt_check.io.textio.json_ready` for committed data."""
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
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"path: {str(path)!r} is not UTF-8 text") from None
    return loads_json(text, f"path: {str(path)!r}")


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


FORMATS: tuple[str, ...] = ("pdf", "svg", "png")
"""What :func:`save_figure` writes: vector PDF and SVG for the paper, a 300 dpi PNG for the web."""
COLUMN_WIDTH = 3.4
"""One column of a two-column paper, in inches (the style's default figure width)."""
PAGE_WIDTH = 7.0
"""The full text width, in inches (two-panel figures)."""
_METADATA = {"pdf": {"CreationDate": None, "Producer": None, "Creator": None},
             "svg": {"Date": None}, "png": {"Software": None}}


def save_figure(fig: Any, stem: str | os.PathLike[str], formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Save ``fig`` as ``<stem>.pdf`` / ``.svg`` / ``.png`` (300 dpi, the style's ``savefig.dpi``)
    deterministically — no dates, no producer strings, fixed SVG hash salt — and close it."""
    import matplotlib
    import matplotlib.pyplot as plt

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with matplotlib.rc_context({"svg.hashsalt": "slt_check"}):
        for fmt in formats:
            if fmt not in _METADATA:
                raise ValueError(f"formats: expected some of {tuple(_METADATA)}, got {fmt!r}")
            p = stem.with_suffix(f".{fmt}")
            fig.savefig(p, format=fmt, metadata=_METADATA[fmt])
            out.append(p)
    plt.close(fig)
    return out


def figure_script(name: str) -> Path:
    """The file of figure ``name``: ``plots/fig_<name>.py`` of the checkout, else the copy in
    :data:`SHIPPED_FIGURES` (``ValueError`` naming both places if neither has it)."""
    dirs = [d for d in (PLOTS_DIR, SHIPPED_FIGURES) if d.is_dir()]
    if not dirs:
        require_project_root("figures")  # outside a checkout: says how to point at one
        raise ValueError(f"figures: no figure scripts at {str(PLOTS_DIR)!r} (nor shipped at "
                         f"{str(SHIPPED_FIGURES)!r}); restore plots/ or reinstall slt-check")
    for d in dirs:
        if (d / f"fig_{name}.py").is_file():
            return d / f"fig_{name}.py"
    where = " or ".join(repr(str(d)) for d in dirs)
    raise ValueError(f"name: no figure script fig_{name}.py in {where}; choose one of {FIGURES}")


def benchmark_module(benchmarks: Path, name: str) -> ModuleType:
    """``benchmarks/<name>.py`` imported by name (the folder is not a package; it is put on ``sys.path``
    once, not at every call)."""
    folder = str(benchmarks)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def read_benchmark(path: Path, missing: str) -> Any:
    """The recorded JSON of a benchmark; ``ValueError(missing)`` when there is none."""
    if not path.is_file():
        raise ValueError(missing)
    return json.loads(path.read_text())


def load_figure_module(name: str) -> ModuleType:
    """Import figure ``name`` by path (:func:`figure_script`; ``ValueError`` if there is no such figure)."""
    path = figure_script(name)
    spec = importlib.util.spec_from_file_location(f"slt_plots_fig_{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------------------- theory vs measurement
FORMULA_PREFIX = "formula: "
MEASURED_PREFIX = "measured: "
REFERENCE_PREFIX = "reference: "


def formula_label(text: str) -> str:
    """Legend label of a curve computed from a formula (drawn as a line, no markers)."""
    return FORMULA_PREFIX + text


def measured_label(text: str) -> str:
    """Legend label of measured points (markers, with a 95 % interval where there is spread)."""
    return MEASURED_PREFIX + text


def reference_label(text: str) -> str:
    """Legend label of a fixed reference (ε, δ, an earlier measurement): neither formula nor this run."""
    return REFERENCE_PREFIX + text


def mean_ci(values: list[float], confidence: float = 0.95, log: bool = False) -> dict[str, float | int]:
    """Mean and two-sided Student-t interval of the mean over seeds (``log``: geometric mean and the
    interval of the mean of ``ln``; values must be > 0). One value: the interval is the point."""

    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("values: need at least one value")
    if log:
        if np.any(x <= 0):
            raise ValueError("values: log=True needs positive values")
        x = np.log(x)
    m = float(x.mean())
    h = 0.0
    if x.size > 1:
        h = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    lo, hi = m - h, m + h
    if log:
        m, lo, hi = float(np.exp(m)), float(np.exp(lo)), float(np.exp(hi))
    return {"mean": m, "low": lo, "high": hi, "n": int(x.size)}


def rate_ci(k: int, n: int) -> dict[str, float | int]:
    """Failure rate ``k/n`` with its exact 95 % Clopper–Pearson interval (``slt_check.core.stats``)."""

    lo, hi = clopper_pearson(k, n) if n else (0.0, 1.0)
    return {"k": int(k), "n": int(n), "rate": k / n if n else 0.0, "low": lo, "high": hi}


def failure_phrase(k: int, n: int) -> str:
    """The canonical caption phrase for a figure's failures: ``failed k/n``."""
    return f"failed {int(k)}/{int(n)}"


# ---------------------------------------------------------------------------- the ledger's numbers
def ledger_record(config: dict[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """The claims ledger's results this figure reads (one number per quantity: a figure that shows a
    ledger quantity reads it, it does not recompute it): ``config["ledger_results"]`` (the report passes
    the ``claims.json`` of its own run) or the recorded ``properties/ledger_results.json``. Returns the
    results and a short description of where they came from (path and ledger scale)."""
    path = Path((config or {}).get("ledger_results") or ledger.RECORD_PATH)
    res = ledger.load_results(path)
    where = "properties/ledger_results.json" if path == ledger.RECORD_PATH else "claims.json of the report run"
    return res, f"{where} (ledger scale {res.get('meta', {}).get('scale', 'unknown')})"


def ledger_claim(results: dict[str, Any], claim_id: str) -> dict[str, Any]:
    """One claim's entry of a ledger results table (``ValueError`` naming the claim if it is absent)."""
    c = results.get("claims", {}).get(claim_id)
    if c is None:
        raise ValueError(f"ledger results: claim {claim_id!r} is missing; run `slt-check ledger --run`")
    return c


def legend_below(fig: Any, axes: Any, ncol: int = 2) -> None:
    """One legend for the whole figure, under the panels (7 pt at print size, no duplicate labels)."""
    handles, labels, seen = [], [], set()
    for ax in np.atleast_1d(axes).ravel():
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in seen:
                seen.add(lab)
                handles.append(h)
                labels.append(lab)
    fig.tight_layout()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, fontsize=7)


DISPLAY_NAMES = {"orseau/per_weight": "Orseau (per weight)", "orseau/per_input": "Orseau (per input)",
                 "orseau": "Orseau", "pensia": "Pensia", "malach": "Malach", "burkholz": "Burkholz"}
"""How figures name a construction variant (no code names in titles, labels or legends)."""


def display_name(label: str) -> str:
    """The printed name of a construction label (``orseau/per_input`` → ``Orseau (per input)``)."""
    return DISPLAY_NAMES.get(label, label.replace("/", " ").replace("_", " ").capitalize())
