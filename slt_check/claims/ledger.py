"""The claims ledger: run every claim's measure, save the results (``results/claims.json`` and the
recorded copy ``properties/ledger_results.json`` that the ledger is rendered from), render the table
into ``paper_claims.md`` (between the ``<!-- ledger:start … -->`` / ``<!-- ledger:end -->`` markers),
and keep the CI regression floors ``properties/baseline.json``.

The verdict, rate-test and slack columns are always generated from a results JSON, never typed by
hand. Verdicts follow the rule of :mod:`slt_check.claims.base` (``holds`` / ``violated`` /
``inconclusive`` / ``vacuous``). ``slack`` is theory ÷ empirical (a bound on the error ÷ the worst
error seen, the formula width ÷ the minimal working width, δ ÷ the Clopper–Pearson upper limit of the
failure rate, …); its meaning per claim is in the claim's ``details``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from slt_check.claims import registry
from slt_check.claims.base import SCALES, Claim
from slt_check.claims.plugin import ClaimGroup
from slt_check.claims.rates import audit
from slt_check.io import textio
from slt_check.io.safe_io import atomic_write_json, atomic_write_text
from slt_check.io.textio import json_ready, loads_json, md_cell
from slt_check.tickets.ticket import versions

__all__ = [
    "run_measures",
    "save_results",
    "load_results",
    "render_table",
    "replace_block",
    "regression_snapshot",
    "compare_snapshot",
    "baseline_from_results",
    "stale_case_tables",
    "merge_recorded",
    "suite_group",
    "groups",
    "results_for",
    "update_group",
    "check_group",
    "ROOT",
    "RESULTS_PATH",
    "RECORD_PATH",
    "BASELINE_PATH",
    "VERDICT_ORDER",
]

ROOT = registry.ROOT
"""The checkout (:func:`slt_check.io.paths.project_root`); outside one, the working directory."""
RESULTS_PATH = ROOT / "results" / "claims.json"
RECORD_PATH = ROOT / "properties" / "ledger_results.json"
"""The recorded results the ledger table is rendered from (written by ``--run --scale ci``)."""
BASELINE_PATH = ROOT / "properties" / "baseline.json"
LEDGER_FILE = ROOT / "paper_claims.md"
VERDICT_ORDER = {"holds": 0, "vacuous": 1, "inconclusive": 1, "not tested": 1, "violated": 2}
"""Regression order: a verdict may never move to a larger number than its baseline."""


def _clean(x: Any) -> Any:
    """JSON-ready: numpy → Python, non-finite floats → strings ``"inf"``/``"nan"``."""
    return json_ready(x, nonfinite="string")


def _versions() -> dict[str, str]:
    return versions()


def run_measures(scale: str = "ci", ids: Sequence[str] | None = None,
                 progress: bool | None = None) -> dict[str, Any]:
    """Run ``measure(scale)`` of every claim (or of ``ids``); returns the results dict
    ``{"meta": {...}, "claims": {id: {statement, source, tag, kind, tests, verdict, slack,
    details, wall_s}}}``. Claims without a measure get verdict ``"not tested"``."""

    if scale not in SCALES:
        raise ValueError(f"scale: expected one of {SCALES}, got {scale!r}")
    claims = [c for c in registry.all_claims() if ids is None or c.id in ids]
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
        details = dict(res.get("details", {}))
        if c.cases is not None:
            details["case_table"] = c.cases
        out[c.id] = {**_row(c), "verdict": res["verdict"], "slack": res["slack"],
                     "details": details, "wall_s": round(time.perf_counter() - t0, 3)}
    return _clean({"meta": {"scale": scale, "versions": _versions(),
                            "wall_s": round(time.perf_counter() - t_all, 3)},
                   "claims": out})


def _row(c: Claim) -> dict[str, Any]:
    return {"statement": c.statement, "source": c.source, "tag": c.tag, "kind": c.kind,
            "tests": list(c.tests), "breaks": list(c.breaks)}


def save_results(results: dict[str, Any], path: str | Path = RESULTS_PATH) -> Path:
    """Write the results JSON (sorted keys, indented; atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_json(path, _clean(results))


def load_results(path: str | Path = RESULTS_PATH) -> dict[str, Any]:
    """Read a results JSON written by :func:`save_results` (``ValueError`` if absent/invalid)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: no results file at {str(path)!r}; run `slt-check ledger --run` first")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"path: {str(path)!r} is not UTF-8 text") from None
    data = loads_json(text, f"path: {str(path)!r}")
    check_results(data, f"path: {str(path)!r}")
    return data


def check_results(data: Any, what: str) -> None:
    """``ValueError`` unless ``data`` has the shape :func:`render_table` and ``--check`` read: an object
    with a ``claims`` object of objects, each with a text ``verdict``, a ``slack`` that is a number,
    text or null, and a ``details`` object (if any) whose ``rate_tests`` are objects with numbers; a
    ``meta`` object with a ``versions`` object and a text ``scale``."""
    if not isinstance(data, dict) or not isinstance(data.get("claims"), dict):
        raise ValueError(f"{what}: has no 'claims' table (an object of claim results)")
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not isinstance(meta.get("versions", {}), dict) \
            or not isinstance(meta.get("scale", ""), str):
        raise ValueError(f"{what}: 'meta' must be an object with a 'versions' object and a text 'scale'")
    for cid, r in data["claims"].items():
        where = f"{what}: claims[{cid[:40]!r}]"
        if not isinstance(r, dict) or not isinstance(r.get("verdict"), str):
            raise ValueError(f"{where}: expected an object with a text 'verdict'")
        slack = r.get("slack")
        if slack is not None and (isinstance(slack, bool) or not isinstance(slack, (int, float, str))):
            raise ValueError(f"{where}: 'slack' must be a number, text or null")
        details = r.get("details", {})
        tests = details.get("rate_tests", []) if isinstance(details, dict) else "not a list"
        if not isinstance(tests, (list, type(None))):
            raise ValueError(f"{where}: 'details' must be an object with a list of 'rate_tests'")
        for t in tests or []:
            numbers = ("delta", "k", "n", "ci_low", "ci_high", "power_2delta") if isinstance(t, dict) and t.get("n") \
                else ("delta",)
            if not isinstance(t, dict) or not all(isinstance(t.get(k), (int, float)) and not isinstance(t.get(k), bool)
                                                   for k in numbers) or not isinstance(t.get("verdict", ""), str):
                raise ValueError(f"{where}: a rate test must be an object with the numbers {', '.join(numbers)}")


def _fmt_slack(s: Any) -> str:
    if s is None:
        return "—"
    if isinstance(s, str):
        return "∞" if s == "inf" else md_cell(s, 40)
    if s >= 1e4:
        return f"{s:.2e}"
    return f"{s:.3g}"


def _fmt_test(t: dict[str, Any]) -> str:
    if not t.get("n"):
        return f"0/0 vs δ={t['delta']:.3g}: vacuous"
    cell = (f"{t['k']}/{t['n']} vs δ={t['delta']:.3g}, CP [{t['ci_low']:.2g}, {t['ci_high']:.2g}], "
            f"power@2δ {t['power_2delta']:.2f}")
    if t["verdict"] != "holds":
        cell += f": **{t['verdict']}**"
        if t.get("n_to_settle"):
            cell += f" (n≈{t['n_to_settle']} settles)"
    return cell


def _fmt_two_stage(ts: dict[str, Any], history: list[dict[str, Any]]) -> list[str]:
    """Worst confirmed cell (k/n, interval), cells screened, confirmations and their level; the first
    confirmation when the latest ran on a newer master."""
    w = ts.get("worst") or {}
    out = [f"screened {ts['cells_screened']} cells ({ts.get('scale', '?')} grid, {ts['screen_trials']} draws); "
           f"confirmed {len(ts['confirmations'])} on fresh seeds (master {ts['confirm_master']}, "
           f"α = {ts['alpha']:.2g} each)"]
    if w:
        out.append(f"worst: {w['label']}: {w['k']}/{w['n']} vs δ={w['delta']:.3g}, CP [{w['ci_low']:.2g}, "
                   f"{w['ci_high']:.2g}] → {w['verdict']}")
    for c in ts["confirmations"]:
        if c["cell"]["label"] != w.get("label"):
            out.append(f"{c['cell']['label']}: {_fmt_test(c['test'])}")
    for c in ts.get("flagged_unconfirmed", []):
        out.append(f"flagged, unconfirmed: {c['label']} ({c['k']}/{c['n']} in the screen)")
    if history:
        h = history[0]
        hw = h.get("worst") or {}
        out.append(f"first confirmation (master {h['confirm_master']}, files {h.get('fingerprint')}): "
                   f"{h.get('verdict_label', h.get('verdict'))}"
                   + (f", worst {hw.get('label')} {hw.get('k')}/{hw.get('n')}" if hw else ""))
    return out


def _fmt_rates(row: dict[str, Any]) -> str:
    """The "rate tests / measured" cell: for a two-stage rate claim its screen and confirmations
    (:func:`_fmt_two_stage`), else per rate test ``k/n`` vs δ, the 95 % Clopper–Pearson interval, the
    power at 2δ; then the claim's ``details["summary"]`` and its slack definition."""
    det = row.get("details", {})
    if det.get("two_stage"):
        out = _fmt_two_stage(det["two_stage"], det.get("history", []))
    else:
        out = [_fmt_test(t) for t in det.get("rate_tests", []) or []]
    summary = det.get("summary")
    if summary:
        out.append(str(summary))
    if det.get("slack_definition"):
        out.append(f"slack = {det['slack_definition']}")
    return "<br>".join(_md(x) for x in out) or "—"


def _md(text: Any) -> str:
    """A table cell's text (:func:`slt_check.io.textio.md_cell`: printable, ``|`` and ``<`` escaped)."""
    return md_cell(text, 2000)


def verdict_text(row: dict[str, Any]) -> str:
    """What the verdict column says: a rate claim's ``holds`` reads ``holds (rate < 2δ)``, with
    ``consistent with δ`` only when every confirmed cell's upper limit is ≤ δ."""
    ts = row.get("details", {}).get("two_stage")
    if ts and ts.get("verdict") == row.get("verdict"):
        return ts["verdict_label"]
    return row.get("verdict", "not tested")


def render_table(results: dict[str, Any], claims: Sequence[Claim] | None = None) -> str:
    """The ledger as a markdown table, one row per claim of ``claims`` (default: the suite's, in
    registry order), with the verdict, rate tests and slack from ``results`` (``"not tested"`` where
    a claim has no result)."""
    claims = list(suite_group().claims if claims is None else claims)
    rows = results.get("claims", {})
    meta = results.get("meta", {})
    lines = [
        f"Generated by `slt-check ledger` from a `{meta.get('scale', '?')}`-scale run "
        f"(numpy {meta.get('versions', {}).get('numpy', '?')}). Verdict rule: see above. Rate claims: a screen "
        "over the claim's domain grid, then a confirmation of the worst cells on fresh seeds; the row shows "
        "the worst confirmed cell (k failures in n draws vs the claimed δ, 95 % Clopper–Pearson interval), "
        "the cells screened and the others confirmed. `holds (rate < 2δ)`: the exact test excludes 2δ in every "
        "confirmed cell; `consistent with δ` only when every upper limit is ≤ δ. Slack = theory ÷ empirical, "
        "defined in each row. Breaks caught: broken variants of the library this "
        "claim's check is seen to catch (`tests/test_breaks.py`, `tests/test_checker_detects.py`).",
        "",
        "| id | statement (domain) | source | tag | test(s) | verdict | rate tests / measured | slack | "
        "breaks caught |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in claims:
        if not c.sanity:
            lines.append(_row_line(c, rows.get(c.id, {})))
    lines += ["", "**Sanity rows**: checks that no library bug can flip (facts of the mathematics or of "
              "NumPy's sampling); kept, shown apart, not counted among the verdicts.", "",
              "| id | statement | source | tag | test(s) | result | measured | slack | breaks caught |",
              "|---|---|---|---|---|---|---|---|---|"]
    sanity = [_row_line(c, rows.get(c.id, {})) for c in claims if c.sanity]
    if not sanity:
        return "\n".join(lines[:-5]) + "\n"
    return "\n".join(lines + sanity) + "\n"


def _row_line(c: Claim, r: dict[str, Any]) -> str:
    if r and not r.get("details", {}).get("slack_definition") and c.slack_definition:
        r = {**r, "details": {**r.get("details", {}), "slack_definition": c.slack_definition}}
    tests = "<br>".join(f"`{t}`" for t in c.tests) or "—"
    stmt = c.statement + (f". Domain: {c.rate.domain_text()}" if c.rate is not None else "")
    breaks = "<br>".join(_md(b) for b in c.breaks) or "none shown"
    return (f"| {c.id} | {_md(stmt)} | {c.source} | {_md(c.tag)} | {tests} | {_md(verdict_text(r))} | "
            f"{_fmt_rates(r)} | {_fmt_slack(r.get('slack'))} | {breaks} |")


def replace_block(text: str, block: str, where: str = "document", name: str = "ledger") -> str:
    """Replace what lies between the ``name`` markers in ``text`` by ``block``."""
    return textio.replace_block(text, name, block, where)


def suite_group() -> ClaimGroup:
    """The suite's claim group (:func:`slt_check.claims.registry.builtin_group`), with this module's
    paths :data:`LEDGER_FILE`, :data:`RECORD_PATH` and :data:`BASELINE_PATH` (read at call time)."""
    return dataclasses.replace(registry.builtin_group(), ledger=LEDGER_FILE, record=RECORD_PATH,
                               baseline=BASELINE_PATH)


def groups() -> list[ClaimGroup]:
    """The suite's group (:func:`suite_group`), then every installed plugin's."""
    return [suite_group(), *registry.groups()[1:]]


def results_for(group: ClaimGroup, results: dict[str, Any]) -> dict[str, Any]:
    """The part of ``results`` that belongs to ``group`` (its claims' rows, the run's meta)."""
    ids = {c.id for c in group.claims}
    return {"meta": results.get("meta", {}), "claims": {k: v for k, v in results.get("claims", {}).items() if k in ids}}


_NEW_LEDGER = ("# Claims ledger: {name}\n\nGenerated by `slt-check ledger`.\n\n"
               "<!-- ledger:start -->\n<!-- ledger:end -->\n")


def _rendered(group: ClaimGroup, results: dict[str, Any]) -> dict[Path, str]:
    """Every generated file of ``group`` as it should read: its ledger (created from a header when
    missing) and its generated tables."""
    out: dict[Path, str] = {}
    path = Path(group.ledger)
    old = path.read_text() if path.is_file() else _NEW_LEDGER.format(name=group.name)
    out[path] = replace_block(old, render_table(results, group.claims), str(path))
    for table_path, blocks in group.tables.items():
        text = out.get(Path(table_path)) or Path(table_path).read_text()
        for name, render in blocks.items():
            text = replace_block(text, render(group.claims), str(table_path), name)
        out[Path(table_path)] = text
    return out


def update_group(group: ClaimGroup, results: dict[str, Any]) -> list[Path]:
    """Render ``group``'s ledger and generated tables from ``results``; returns the files changed."""
    changed = []
    for path, text in _rendered(group, results).items():
        if not path.is_file() or path.read_text() != text:
            atomic_write_text(path, text)
            changed.append(path)
    return changed


def stale_case_tables(results: dict[str, Any], claims: Sequence[Claim] | None = None) -> list[str]:
    """Claims whose pre-registered table in the code differs from the one their results were
    measured with (the ledger would show numbers of another table): a rate claim's screen grid, or
    another claim's ``cases``; plus the pre-registration audit of the rate claims
    (:func:`slt_check.claims.rates.audit`: shared or re-used master seeds, a construction changed
    since its confirmation without a new master, masters not yet fixed at a commit)."""

    claims = list(suite_group().claims if claims is None else claims)
    out = []
    rows = results.get("claims", {})
    rates = {c.rate.id: c.rate for c in claims if c.rate is not None}
    for c in claims:
        if c.id not in rows or c.rate is not None or c.cases is None:
            continue
        if rows[c.id].get("details", {}).get("case_table") != _clean(c.cases):
            out.append(f"{c.id}: its case table in the code differs from the recorded one; "
                       f"run `slt-check ledger --run --claims {c.id}`")
    for cid, claim in rates.items():
        rec = rows.get(cid, {}).get("details", {})
        ts = rec.get("two_stage")
        if cid not in rows:
            continue
        if ts is None:
            out.append(f"{cid}: recorded without a two-stage result; run `slt-check ledger --run --claims {cid}`")
            continue
        now = _clean([c.row() for c in claim.cells(ts.get("scale", "ci"))])
        if (rec.get("grid") or rec.get("rate", {}).get("grid")) != now:
            out.append(f"{cid}: the screen grid in the code differs from the recorded one; "
                       f"run `slt-check ledger --run --scale {ts.get('scale', 'ci')} --claims {cid}`")
    return out + audit(list(rates.values()), results)


def merge_recorded(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The record after a run: ``new``'s claims replace ``old``'s (other rows stay as recorded); a
    rate claim whose confirmation master changed keeps its earlier confirmation(s) in
    ``details["history"]`` (the ledger shows the first and the latest)."""
    if old is None:
        return new
    claims = dict(old.get("claims", {}))
    for cid, row in new["claims"].items():
        prev = claims.get(cid, {}).get("details", {})
        history = list(prev.get("history", []))
        pts, nts = prev.get("two_stage"), row.get("details", {}).get("two_stage")
        if pts and nts and pts.get("confirm_master") != nts.get("confirm_master"):
            history.append({k: pts.get(k) for k in ("confirm_master", "screen_master", "fingerprint", "fixed_at",
                                                    "verdict", "verdict_label", "worst", "cells_screened",
                                                    "scale")})
        if history:
            row = {**row, "details": {**row.get("details", {}), "history": history}}
        claims[cid] = row
    scales = sorted({r.get("details", {}).get("two_stage", {}).get("scale") for r in claims.values()} - {None})
    meta = {**new["meta"], "scale": new["meta"]["scale"] if len(scales) <= 1 else "/".join(scales)}
    return _clean({"meta": meta, "claims": claims})


def check_group(group: ClaimGroup, results: dict[str, Any]) -> list[str]:
    """Problems of ``group``: generated files that differ from their rendering of ``results``, and
    case tables that changed since the results were measured."""
    problems = [f"{path}: generated block is stale; run `slt-check ledger`"
                for path, text in _rendered(group, results).items()
                if not path.is_file() or path.read_text() != text]
    return problems + stale_case_tables(results, group.claims)


# ------------------------------------------------------------------------------ CI regression
FLOOR_BAND = 0.5
"""A claim's slack may drop to ``FLOOR_BAND ×`` its recorded value (seeded measurements move with
library and numpy versions); below that floor, or with a worse verdict, the regression test fails."""
REGRESSION_SCALE = "smoke"


def regression_ids() -> list[str]:
    """Claims the regression test re-measures: every claim of the suite that is not a probability
    claim (those are asserted by ``properties/test_rate_claims.py``)."""
    return [c.id for c in suite_group().claims if c.kind != "probability"]


def baseline_from_results(results: dict[str, Any], band: float = FLOOR_BAND) -> dict[str, Any]:
    """Floors from a results dict: per claim its verdict and ``slack_floor = band × slack``."""
    floors = {}
    for cid, r in results["claims"].items():
        s = r.get("slack")
        floors[cid] = {"verdict": r["verdict"],
                       "slack": s, "slack_floor": band * s if isinstance(s, (int, float)) else None}
    return _clean({"scale": results["meta"]["scale"], "band": band, "claims": floors,
                   "recorded_with": results["meta"].get("versions", {})})


def regression_snapshot(scale: str = REGRESSION_SCALE) -> dict[str, Any]:
    """Re-measure :func:`regression_ids` at ``scale`` (results dict of :func:`run_measures`)."""
    return run_measures(scale, regression_ids(), progress=False)


def compare_snapshot(new: dict[str, Any], base: dict[str, Any]) -> dict[str, list[str]]:
    """Regressions of ``new`` (results dict) against ``base`` (:func:`baseline_from_results`):
    ``{"verdicts": [...], "slack": [...], "missing": [...]}`` — a verdict worse than recorded
    (:data:`VERDICT_ORDER`), a slack below its floor, or a recorded claim not measured. Compared
    with tolerances only: no exact numbers, no numpy-version skip."""
    out: dict[str, list[str]] = {"verdicts": [], "slack": [], "missing": []}
    for cid, b in base["claims"].items():
        n = new["claims"].get(cid)
        if n is None:
            if cid in new["claims"] or cid in regression_ids():
                out["missing"].append(f"{cid}: not measured")
            continue
        if VERDICT_ORDER.get(n["verdict"], 2) > VERDICT_ORDER.get(b["verdict"], 2):
            out["verdicts"].append(f"{cid}: verdict {n['verdict']!r} worse than baseline {b['verdict']!r}")
        floor, s = b.get("slack_floor"), n.get("slack")
        if isinstance(floor, (int, float)):
            if not isinstance(s, (int, float)) and s != "inf":
                out["slack"].append(f"{cid}: slack {s!r}, baseline floor {floor:.4g}")
            elif isinstance(s, (int, float)) and s < floor:
                out["slack"].append(f"{cid}: slack {s:.4g} below floor {floor:.4g} "
                                    f"(recorded {b['slack']:.4g} × band {base['band']})")
    return out
