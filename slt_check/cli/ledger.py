"""``slt-check ledger``: regenerate the claims ledger (the table of ``paper_claims.md``).

* ``slt-check ledger --run [--scale ci]`` runs every claim's measure, writes ``results/claims.json``
  (and, at ``ci`` scale, the recorded copy ``properties/ledger_results.json``), then renders the table;
* ``slt-check ledger [--from FILE]`` renders the table from saved results (default: the recorded
  copy);
* ``--check`` changes nothing and exits 1 when the ledger block is stale, a case table changed since
  the results were recorded, or a verdict is worse than in ``properties/baseline.json``;
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
    p.add_argument("--run", action="store_true", help="run every claim's measure first")
    p.add_argument("--scale", default="ci", choices=["smoke", "ci", "full"], help="effort of --run")
    p.add_argument("--claims", default=None, help="comma-separated claim ids to run (default all)")
    p.add_argument("--from", dest="source", default=None,
                   help="results JSON to render (default: the recorded properties/ledger_results.json); "
                   "with --run, where to write the run's results instead of results/claims.json and the record")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 if a ledger block is stale or verdicts differ from "
                   "the baseline")
    p.add_argument("--update-baseline", action="store_true",
                   help="re-measure the CI regression snapshot and write properties/baseline.json")

    add_scale_out(p)
    p.set_defaults(func=cmd_ledger)


def cmd_ledger(args: argparse.Namespace) -> int:
    src = Path(args.source) if args.source else ledger.RECORD_PATH
    if args.update_baseline:
        base = ledger.baseline_from_results(ledger.regression_snapshot())
        atomic_write_json(ledger.BASELINE_PATH, base)
        print(f"wrote {ledger.BASELINE_PATH}")
        if not args.run and not args.source:
            return 0
    if args.run:
        ids = [s.strip() for s in args.claims.split(",")] if args.claims else None
        results = ledger.run_measures(args.scale, ids)
        if not args.check:
            out = Path(args.source) if args.source else ledger.RESULTS_PATH
            ledger.save_results(results, out)
            print(f"wrote {out}")
            if args.scale != "smoke" and not args.source:
                # the recorded results: these claims replace theirs, the other rows stay as recorded;
                # a claim confirmed on a new master keeps its earlier confirmation in its history
                old = ledger.load_results(ledger.RECORD_PATH) if ledger.RECORD_PATH.is_file() else None
                results = ledger.merge_recorded(old, results)
                ledger.save_results(results, ledger.RECORD_PATH)
                print(f"wrote {ledger.RECORD_PATH}")
    else:
        results = ledger.load_results(src)
    for cid, r in results["claims"].items():
        print(f"{printable(cid, 40):16s} {printable(r['verdict'], 40):12s} "
              f"slack {printable(ledger._fmt_slack(r.get('slack')), 40)}")
    if args.check:
        problems = ledger.check_documents(results)
        if ledger.BASELINE_PATH.is_file():
            base = json.loads(ledger.BASELINE_PATH.read_text())
            order = ledger.VERDICT_ORDER
            problems += [f"{k}: verdict {r['verdict']!r} worse than baseline {base['claims'][k]['verdict']!r}"
                         for k, r in results["claims"].items()
                         if k in base.get("claims", {})
                         and order.get(r["verdict"], 2) > order.get(base["claims"][k]["verdict"], 2)]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    if args.run and args.source:
        print(f"not rendered: --from {args.source} holds only this run; render the record with `slt-check ledger`")
        return 0
    for f in ledger.update_documents(results):
        print(f"updated {f}")
    return 0
