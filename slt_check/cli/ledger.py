"""``slt-check ledger``: regenerate the claims ledger (the table of ``paper_claims.md``) and the
generated claim tables, for the suite and for every installed plugin (each in its own ledger file).

* ``slt-check ledger --run [--scale ci] [--claims A,B]`` runs the claims' measures and writes
  ``results/claims.json``; at ``ci`` or ``full`` scale the run's rows are merged into each group's
  recorded results (the suite's ``properties/ledger_results.json``, a plugin's own), the other rows
  staying as recorded, and every ledger touched is rendered from its record. A ``smoke`` run is
  printed and saved but neither recorded nor rendered (the ledger shows recorded results only);
* ``slt-check ledger`` renders every group's ledger from its record (``--from FILE``: the suite's
  from ``FILE`` instead);
* ``--check`` changes nothing and exits 1 when a generated block is stale, a case table changed since
  the results were recorded, a pre-registration problem, or a verdict worse than in
  ``properties/baseline.json``;
* ``--update-baseline`` re-measures the regression claims (``smoke`` scale) and writes the floors
  ``properties/baseline.json`` (the only way the baseline changes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from slt_check.claims import ledger
from slt_check.cli.options import add_scale_out
from slt_check.io.safe_io import atomic_write_json
from slt_check.io.textio import printable

__all__ = ["register", "cmd_ledger"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ledger",
        help="run the claim measures and regenerate paper_claims.md",
        description="Verdict and slack columns of the ledger are generated from a results JSON "
        "(results/claims.json), never typed by hand.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--run", action="store_true", help="run the claims' measures first")
    p.add_argument("--scale", default="ci", choices=["smoke", "ci", "full"],
                   help="effort of --run (smoke runs are printed and saved, never recorded)")
    p.add_argument("--claims", default=None,
                   help="comma-separated claim ids to run (default all, plugins' included); their rows replace "
                   "the recorded ones, the other rows stay as recorded")
    p.add_argument("--from", dest="source", default=None,
                   help="without --run: render the suite's ledger from this results JSON instead of its record "
                   "properties/ledger_results.json; with --run: write the run's results here (instead of "
                   "results/claims.json) and record nothing")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 if a generated block is stale, a case table changed since it was "
                   "recorded, or a verdict is worse than the baseline")
    p.add_argument("--update-baseline", action="store_true",
                   help="re-measure the CI regression snapshot and write properties/baseline.json")

    add_scale_out(p)
    p.set_defaults(func=cmd_ledger)


def _record(results: dict, groups: list) -> dict:
    """Merge the run's rows into each group's record; returns the records by group name."""
    out = {}
    for g in groups:
        part = ledger.results_for(g, results)
        if not part["claims"]:
            continue
        old = ledger.load_results(g.record) if g.record.is_file() else None
        out[g.name] = ledger.merge_recorded(old, part)
        ledger.save_results(out[g.name], g.record)
        print(f"wrote {g.record}")
    return out


def _recorded(g: object, source: Path | None) -> dict:
    path = source if source is not None else g.record
    if source is None and g.name != ledger.suite_group().name and not path.is_file():
        return {"meta": {"scale": "?", "versions": {}}, "claims": {}}
    return ledger.load_results(path)


def cmd_ledger(args: argparse.Namespace) -> int:
    groups = ledger.groups()
    if args.update_baseline:
        base = ledger.baseline_from_results(ledger.regression_snapshot())
        atomic_write_json(ledger.BASELINE_PATH, base)
        print(f"wrote {ledger.BASELINE_PATH}")
        if not args.run and not args.source:
            return 0
    source = Path(args.source) if args.source else None
    if args.run:
        ids = [s.strip() for s in args.claims.split(",")] if args.claims else None
        results = ledger.run_measures(args.scale, ids)
        _print(results)
        if args.check:
            return _report(ledger.stale_case_tables(results, [c for g in groups for c in g.claims]))
        out = source or ledger.RESULTS_PATH
        ledger.save_results(results, out)
        print(f"wrote {out}")
        if source is not None or args.scale == "smoke":
            print("not recorded or rendered: " + ("--from holds only this run" if source is not None else
                  "a smoke run") + "; the ledger shows the recorded results (`slt-check ledger --run --scale ci`)")
            return 0
        records = _record(results, groups)
        for g in groups:
            if g.name in records:
                for f in ledger.update_group(g, records[g.name]):
                    print(f"updated {f}")
        return 0
    records = {g.name: _recorded(g, source if g.name == groups[0].name else None) for g in groups}
    if args.check:
        problems = [p for g in groups for p in ledger.check_group(g, records[g.name])]
        problems += _worse_than_baseline(records[groups[0].name])
        return _report(problems)
    _print(records[groups[0].name])
    for g in groups:
        for f in ledger.update_group(g, records[g.name]):
            print(f"updated {f}")
    return 0


def _print(results: dict) -> None:
    for cid, r in results["claims"].items():
        print(f"{printable(cid, 40):16s} {printable(r['verdict'], 40):12s} "
              f"slack {printable(ledger._fmt_slack(r.get('slack')), 40)}")


def _worse_than_baseline(results: dict) -> list[str]:
    if not ledger.BASELINE_PATH.is_file():
        return []
    base = json.loads(ledger.BASELINE_PATH.read_text())
    order = ledger.VERDICT_ORDER
    return [f"{k}: verdict {r['verdict']!r} worse than baseline {base['claims'][k]['verdict']!r}"
            for k, r in results["claims"].items()
            if k in base.get("claims", {}) and order.get(r["verdict"], 2) > order.get(base["claims"][k]["verdict"], 2)]


def _report(problems: list[str]) -> int:
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0
