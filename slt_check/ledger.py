"""The claims ledger: run every claim's measure, save ``results/claims.json``, render the table into
``paper_claims.md`` and ``README.md`` (between the ``<!-- ledger:start … -->`` / ``<!-- ledger:end -->``
markers), and keep the CI regression baseline ``properties/baseline.json``.

The verdict and slack columns are always generated from a results JSON, never typed by hand.
``slack`` is theory ÷ empirical (a bound on the error ÷ the worst error seen, the formula width ÷
the minimal working width, δ ÷ the Clopper–Pearson upper limit of the failure rate, …); its meaning
per claim is in the claim's ``details``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slt_check.claims import CLAIMS, SCALES, Claim, all_claims, e2e_runs

__all__ = [
    "run_measures",
    "save_results",
    "load_results",
    "render_table",
    "replace_block",
    "update_documents",
    "check_documents",
    "regression_snapshot",
    "compare_snapshot",
    "ROOT",
    "RESULTS_PATH",
    "BASELINE_PATH",
]

ROOT = Path(__file__).resolve().parent.parent
RESULTS_PATH = ROOT / "results" / "claims.json"
BASELINE_PATH = ROOT / "properties" / "baseline.json"
LEDGER_FILE = ROOT / "paper_claims.md"
README_FILE = ROOT / "README.md"
SEARCH_DEPENDENT = frozenset({"X-cert"})
"""Claims whose slack depends on the adversarial search (torch), not compared with the baseline."""
START_RE = re.compile(r"<!-- ledger:start[^>]*-->")
END = "<!-- ledger:end -->"


def _clean(x: Any) -> Any:
    """JSON-ready: numpy → Python, non-finite floats → strings ``"inf"``/``"nan"``."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def _versions() -> dict[str, str]:
    from slt_check.ticket import versions

    return versions()


def run_measures(scale: str = "ci", ids: Sequence[str] | None = None,
                 progress: bool | None = None) -> dict[str, Any]:
    """Run ``measure(scale)`` of every claim (or of ``ids``); returns the results dict
    ``{"meta": {...}, "claims": {id: {statement, source, tag, kind, tests, verdict, slack,
    details, wall_s}}}``. Claims without a measure get verdict ``"not tested"``."""
    from tqdm import tqdm

    if scale not in SCALES:
        raise ValueError(f"scale: expected one of {SCALES}, got {scale!r}")
    claims = [c for c in all_claims() if ids is None or c.id in ids]
    if ids is not None:
        missing = set(ids) - {c.id for c in claims}
        if missing:
            raise ValueError(f"ids: unknown claim ids {sorted(missing)}")
    out: dict[str, Any] = {}
    t_all = time.perf_counter()
    for c in tqdm(claims, desc=f"claims ({scale})", disable=None if progress is None else not progress):
        t0 = time.perf_counter()
        res = c.measure(scale) if c.measure is not None else {
            "verdict": "not tested", "slack": None, "details": {}}
        out[c.id] = {**_row(c), "verdict": res["verdict"], "slack": res["slack"],
                     "details": res.get("details", {}), "wall_s": round(time.perf_counter() - t0, 3)}
    return _clean({"meta": {"scale": scale, "versions": _versions(),
                            "wall_s": round(time.perf_counter() - t_all, 3)},
                   "claims": out})


def _row(c: Claim) -> dict[str, Any]:
    return {"statement": c.statement, "source": c.source, "tag": c.tag, "kind": c.kind,
            "tests": list(c.tests)}


def save_results(results: dict[str, Any], path: str | Path = RESULTS_PATH) -> Path:
    """Write the results JSON (sorted keys, indented)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(results), indent=1, sort_keys=True, allow_nan=False) + "\n")
    return path


def load_results(path: str | Path = RESULTS_PATH) -> dict[str, Any]:
    """Read a results JSON written by :func:`save_results` (``ValueError`` if absent/invalid)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: no results file at {str(path)!r}; run `slt-check ledger --run` first")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"path: {str(path)!r} is not valid JSON ({exc})") from exc
    if "claims" not in data:
        raise ValueError(f"path: {str(path)!r} has no 'claims' table")
    return data


def _fmt_slack(s: Any) -> str:
    if s is None:
        return "—"
    if isinstance(s, str):
        return "∞" if s == "inf" else s
    if s >= 1e4:
        return f"{s:.2e}"
    return f"{s:.3g}"


def render_table(results: dict[str, Any]) -> str:
    """The ledger as a markdown table, one row per registered claim (registry order), with the
    verdict and slack from ``results`` (``"not tested"`` where a claim has no result)."""
    rows = results.get("claims", {})
    meta = results.get("meta", {})
    lines = [
        f"Generated by `slt-check ledger` from a `{meta.get('scale', '?')}`-scale run "
        f"(numpy {meta.get('versions', {}).get('numpy', '?')}). Slack = theory ÷ empirical "
        "(> 1: room to spare; its meaning per claim is in `results/claims.json`).",
        "",
        "| id | statement | source | tag | test(s) | verdict | slack |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in all_claims():
        r = rows.get(c.id, {})
        tests = "<br>".join(f"`{t}`" for t in c.tests) or "—"
        stmt = c.statement.replace("|", "\\|")
        lines.append(f"| {c.id} | {stmt} | {c.source} | {c.tag} | {tests} | "
                     f"{r.get('verdict', 'not tested')} | {_fmt_slack(r.get('slack'))} |")
    return "\n".join(lines) + "\n"


def replace_block(text: str, block: str, where: str = "document") -> str:
    """Replace what lies between the ledger markers in ``text`` by ``block``."""
    m = START_RE.search(text)
    if m is None or END not in text[m.end():]:
        raise ValueError(f"{where}: no '<!-- ledger:start … -->' … '{END}' markers found")
    end = text.index(END, m.end())
    return text[: m.end()] + "\n" + block + text[end:]


def _docs(files: Sequence[Path] | None) -> Sequence[Path]:
    return (LEDGER_FILE, README_FILE) if files is None else files


def update_documents(results: dict[str, Any], files: Sequence[Path] | None = None) -> list[Path]:
    """Render the table into every file (default ``paper_claims.md`` and ``README.md``, between
    their markers); returns the files changed."""
    table = render_table(results)
    files = _docs(files)
    changed = []
    for f in files:
        old = Path(f).read_text()
        new = replace_block(old, table, str(f))
        if new != old:
            Path(f).write_text(new)
            changed.append(Path(f))
    return changed


def check_documents(results: dict[str, Any], files: Sequence[Path] | None = None) -> list[str]:
    """Problems: files whose ledger block differs from the rendered results."""
    table = render_table(results)
    files = _docs(files)
    return [f"{f}: ledger block is stale; run `slt-check ledger`" for f in files
            if replace_block(Path(f).read_text(), table, str(f)) != Path(f).read_text()]


# ------------------------------------------------------------------------------ CI regression
def regression_snapshot(scale: str = "smoke") -> dict[str, Any]:
    """Numbers the CI regression test compares with ``properties/baseline.json``:

    * ``sizes`` (deterministic formulas; compared exactly): per end-to-end case ``M``, ``N_w``,
      neurons and parameters of ``G``;
    * ``seeded`` (fixed seeds; compared with ``rtol`` when numpy's version is the recorded one):
      kept weights, certified and found error per case, and each claim's slack;
    * ``verdicts``: each claim's verdict at this scale (compared exactly).
    """
    sizes, seeded = {}, {}
    for i, r in enumerate(e2e_runs(scale)):
        plan = r["ticket"].meta["plan"]
        key = f"case{i}:" + "-".join(map(str, r["case"]["widths"])) + f":{r['case']['sharing']}"
        sizes[key] = {k: plan[k] for k in ("M", "n_samples", "G_neurons", "G_params")}
        d = r["e2e"].details
        seeded[key] = {"kept": r["ticket"].n_kept, "certified": d.get("certified"),
                       "found": d.get("found")}
    res = run_measures(scale, progress=False)
    verdicts = {k: v["verdict"] for k, v in res["claims"].items()}
    slack = {k: v["slack"] for k, v in res["claims"].items()}
    return _clean({"numpy": np.__version__, "scale": scale, "sizes": sizes, "seeded": seeded,
                   "verdicts": verdicts, "slack": slack})


def compare_snapshot(new: dict[str, Any], base: dict[str, Any], rtol: float = 1e-6) -> dict[str, list[str]]:
    """Regressions of ``new`` against ``base``: ``{"sizes": [...], "verdicts": [...], "seeded":
    [...]}`` (``seeded`` is empty, with a note in ``"skipped"``, when numpy's version differs).
    A construction needing more (or fewer) neurons, a changed verdict, a larger certified error or
    a slack changed beyond ``rtol`` are reported."""
    out: dict[str, list[str]] = {"sizes": [], "verdicts": [], "seeded": [], "skipped": []}
    for k, v in base["sizes"].items():
        if new["sizes"].get(k) != v:
            out["sizes"].append(f"{k}: {new['sizes'].get(k)} != baseline {v}")
    for k, v in base["verdicts"].items():
        if new["verdicts"].get(k) != v:
            out["verdicts"].append(f"{k}: verdict {new['verdicts'].get(k)!r} != baseline {v!r}")
    if new["numpy"] != base["numpy"]:
        out["skipped"].append(f"numpy {new['numpy']} != recorded {base['numpy']}: seeded values not compared")
        return out
    for k, v in base["seeded"].items():
        n = new["seeded"].get(k, {})
        if n.get("kept") != v["kept"]:
            out["seeded"].append(f"{k}: kept {n.get('kept')} != {v['kept']}")
        # the certificate is deterministic numpy; the found error depends on the search (torch)
        if v.get("certified") is not None and (
                n.get("certified") is None or n["certified"] > v["certified"] * (1 + rtol) + 1e-300):
            out["seeded"].append(f"{k}: certified error {n.get('certified')} > baseline "
                                 f"{v['certified']} (lost accuracy)")
    own = {c.id for c in CLAIMS}
    for k, v in base["slack"].items():
        if k in SEARCH_DEPENDENT or k not in own:  # peers' slacks are the peers module's business
            continue
        n = new["slack"].get(k)
        if isinstance(v, (int, float)) and isinstance(n, (int, float)) and not math.isclose(n, v, rel_tol=rtol):
            out["seeded"].append(f"{k}: slack {n} != baseline {v}")
        elif type(v) is not type(n) and not (isinstance(v, (int, float)) and isinstance(n, (int, float))):
            out["seeded"].append(f"{k}: slack {n!r} != baseline {v!r}")
    return out
