"""``slt-check report``: regenerate all figure data, figures and ``report.md`` (see slt_check.experiments.report)."""

from __future__ import annotations

import argparse
from pathlib import Path

from slt_check.cli.options import add_memory, add_scale_out
from slt_check.core.conv import torch_threads
from slt_check.experiments.plotting import FIGURES
from slt_check.experiments.report import run_report
from slt_check.io.safe_io import check_output_path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="regenerate every figure (data + SVG/PNG) and report.md with the claims ledger",
        description="One run: the claims ledger at --scale (ledger scale: small -> smoke, quick -> ci, the scale "
        "paper_claims.md shows, and paper -> ci, both with the rate claims as recorded; full -> full, every claim "
        "re-measured), then every figure's data (plots/fig_*.py; figures that "
        "show a ledger quantity read it from this run's claims.json), rendered as PDF, SVG and 300 dpi PNG, and "
        "<out>/report.md: the claims that do not hold and the numbers that differ from paper_claims.md first, "
        "the failures of every figure (each ticket once), a methods section, a reproducibility block (commit, "
        "versions, seeds, n per figure, executor), the ledger table and the figures with captions. Prints an "
        "estimate of the run time up front and the progress of every figure. The report runs torch on one thread "
        "per process (its tensors are small; torch's thread pool cost more than it gained); the numbers are the same.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--scale", default="quick", choices=["small", "quick", "full", "paper"],
                   help="quick: about 2 minutes on 2 cores; paper: the write-up set (every figure at its paper/full "
                   "config, tens of minutes); full: the same figures and every claim re-measured (hours)")
    p.add_argument("--out", default="results", help="output folder")
    p.add_argument("--figure", action="append", default=None, metavar="NAME",
                   help="only this figure (repeatable)")
    p.add_argument("--update-repo", action="store_true",
                   help="also refresh plots/data/*.json, plots/figures/*.png and the figures block of docs/results.md")
    p.add_argument("--no-ledger", action="store_true", help="skip the claims ledger")
    p.add_argument("--constructions", default=None, metavar="NAME[,NAME…]",
                   help="draw only these constructions (comma-separated, e.g. orseau,pensia) in the figures and "
                   "tables that depend on a construction; a figure that draws none of them is left out (and listed "
                   "in report.md); the ledger and the construction-free figures are unchanged. Not with "
                   "--update-repo. Default: every construction")

    add_memory(p)
    add_scale_out(p)
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    figs = tuple(args.figure) if args.figure else FIGURES
    unknown = [f for f in figs if f not in FIGURES]
    if unknown:
        raise ValueError(f"--figure: unknown {unknown}; choose from {list(FIGURES)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out: {args.out!r} is a file; give a folder")
    check_output_path((out if out.is_dir() else out.parent) / "report.md", ".md", "--out")  # before creating it
    cons = None if args.constructions is None else tuple(c.strip() for c in args.constructions.split(","))
    # every scale: torch's thread pool costs more than it gains on these small tensors (on the busy 2-core machine the
    # report spent two thirds of its CPU time in it: 196 s of CPU, 64 s on one thread); the numbers are the same
    with torch_threads(1):
        path = run_report(args.out, args.scale, figs, update_repo=args.update_repo, ledger=not args.no_ledger,
                          constructions=cons)
    print(f"wrote {path}")
    return 0
