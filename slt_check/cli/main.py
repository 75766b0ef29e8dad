"""``slt-check`` command line.

Subcommands live in small modules; each module in :data:`COMMAND_MODULES` exposes
``register(subparsers)`` which adds its parser and sets ``func`` (a ``Namespace -> int``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from slt_check.certificates.float_safety import FloatRangeError
from slt_check.certificates.sup_error import sup_error_any
from slt_check.cli import cnn as cnn_cli
from slt_check.cli.options import add_memory, finite_number, positive_count, seed_value
from slt_check.constructions.base import ConstructionFailed
from slt_check.io.safe_io import Terminated, check_not_an_input, check_output_path, install_signal_handlers
from slt_check.io.textio import printable
from slt_check.pipeline.build import BuildFlags, build, resolve_request
from slt_check.pipeline.request import resolve_construction
from slt_check.pipeline.verify import load_ticket, target_digest
from slt_check.runtime import memory, trials
from slt_check.tickets.conv_ticket import is_conv_ticket
from slt_check.tickets.targets import default_target_seed, target_from_spec
from slt_check.tickets.ticket import AnyTicket

COMMAND_MODULES: tuple[str, ...] = (
    "slt_check.cli.main",  # build, check (below)
    "slt_check.cli.ledger",
    "slt_check.cli.report",
    "slt_check.cli.compare",
    "slt_check.cli.cnn",  # export (and the CNN side of build and check)
)

EXIT_CODES: dict[int, str] = {
    0: "certified: the ticket is valid and its certified sup error is ≤ ε (HOLDS); for other "
       "commands, success",
    1: "not certified: the ticket is valid but its certified sup error is > ε (NOT CERTIFIED)",
    2: "bad input: a wrong argument, an unreadable or oversized file, a plan that exceeds "
       "--max-memory, an ε below what float64 can certify",
    3: "construction failed: the sampled G lacks what the construction needs (the ≤ δ event); "
       "with --allow-failure the ticket is still saved",
    4: "ticket refused: the file is not mask ⊙ G of the G its construction samples from its seed, "
       "or its metadata, stages or target are not what they claim",
    5: "unsound certificate: the search found an error above the certified bound (a bug in "
       "slt_check: please report it with the file)",
    70: "internal error (an unexpected exception; --debug shows the traceback)",
    130: "interrupted (Ctrl-C)",
    141: "the output pipe was closed (e.g. `| head`); the verdict was not fully printed",
    143: "terminated (SIGTERM or SIGHUP)",
}
"""The exit codes of every ``slt-check`` command (``--help`` lists them; ``build`` and ``check``
share them, ``--json`` included)."""

EXIT_CERTIFIED, EXIT_NOT_CERTIFIED, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_REFUSED, EXIT_UNSOUND = 0, 1, 2, 3, 4, 5
EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_PIPE = 70, 130, 143, 141

MAX_ERROR_CHARS = 1000
"""An error line is cut after this many characters (a file may make a message of any length)."""

DESCRIPTION = """\
slt_check — build strong lottery tickets by pruning random networks, and check the theorems.

A ticket is mask ⊙ G: G is a random network sampled from --seed before and independently of
the target; the mask is chosen by a construction (Orseau et al. 2020 by default). `check`
re-creates G from the file's construction, problem and seed, refuses any file that is not a
pruning of that G, and reports a *certified* upper bound on the sup error over the input box
‖x‖∞ ≤ x_max and the largest error an adversarial search found.

examples:
  slt-check build --target random:4-8-8-2 --eps 1e-2 --delta 0.05 --seed 0 --out ticket.npz
  slt-check build --target random:4-8-8-2 --construction orseau --sharing per_input --out t.npz
  slt-check check ticket.npz
"""


def exit_code_epilog() -> str:
    return "exit codes:\n" + "\n".join(f"  {code:3d}  {text}" for code, text in EXIT_CODES.items())


class TicketRefused(ValueError):
    """A ticket file failed verification (exit code 4)."""


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser(
        "build",
        help="sample G, prune it into a ticket for a target, save it (.npz)",
        description="Sample G from --seed (independently of the target), select the mask by "
        "--construction, validate mask ⊙ G, certify the sup error and save the ticket.",
        epilog=exit_code_epilog(),
        formatter_class=_Formatter,
    )
    b.add_argument("--target", required=True,
                   help="random:<n0-n1-…-nl>[:family] (families: uniform, normal, sparse, corners, "
                   "kaiming), torch:<model.pt> (nn.Sequential of Linear+ReLU; loaded "
                   "without running code), npz:<file.npz> with W_0, W_1, …; CNNs: random-cnn:<arch> "
                   "(e.g. random-cnn:1x28x28:conv32k3p1,relu,flatten,linear10, Kaiming-scaled) or "
                   "torch:<cnn.pt> (Conv2d/ReLU/Flatten/Linear/AvgPool2d, whole module or state dict with "
                   "--arch; pruning masks applied); see docs/cnn.md")
    b.add_argument("--arch", default=None,
                   help="CNN architecture CxHxW:layer,… (convCkK[pP][b], linearN[b], relu, flatten, avgK[sS]) for a "
                   "torch state dict, which does not record it")
    b.add_argument("--input-shape", default=None, metavar="CxHxW",
                   help="input shape of a whole CNN module (default: inferred for a square input)")
    b.add_argument("--box", default=None, nargs="+", metavar="LO,HI",
                   help="CNN input box lo ≤ x ≤ hi per input, in the target's own units (e.g. normalised "
                   "MNIST pixels: --box=-0.4242,2.8215 or --box -0.4242 2.8215); default [−x_max, x_max]")
    b.add_argument("--eps", type=finite_number("eps"), default=1e-2, help="target sup error ε (> 0)")
    b.add_argument("--delta", type=finite_number("delta"), default=0.05, help="failure probability δ ∈ (0,1)")
    b.add_argument("--seed", type=seed_value, default=0, help="seed of G (and of a random target)")
    b.add_argument("--target-seed", type=seed_value, default=None,
                   help="seed of a random target (default: --seed + 1_000_003)")
    b.add_argument("--w-max", type=finite_number("w_max"), default=None,
                   help="declared bound on |target weights| (default 1; for a CNN target its own max |w|)")
    b.add_argument("--b-max", type=finite_number("b_max"), default=None,
                   help="declared bound on |target biases| (default: the target's own max |b|). Targets with "
                   "biases (torch Linear(bias=True), npz b_k, random:<widths>[:family]:bias) are built on the "
                   "input [x; 1] with w_max' = max(w_max, b_max, 1) and x_max' = max(x_max, 1) (docs/biases.md)")
    b.add_argument("--x-max", type=finite_number("x_max"), default=1.0, help="input box ‖x‖∞ ≤ x_max")
    b.add_argument("--output-relu", action=argparse.BooleanOptionalAction, default=None,
                   help="ReLU on the output layer; default: a torch model's own (a trailing ReLU is an "
                   "output ReLU), none for random and npz targets")
    b.add_argument("--construction", default="orseau",
                   help="registered construction name (CNN targets: conv-orseau — the default for them —, "
                   "dacunha or burkholz-conv)")
    b.add_argument("--sharing", default=None, choices=["per_weight", "per_input"],
                   help="neuron sharing of the depth-2l constructions (orseau default per_weight)")
    b.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="extra construction option (JSON value), e.g. --option n_samples=500; "
                        "for large targets --option precision=certificate (pensia, malach, factorial: "
                        "select to the per-layer precisions the target's certificate needs instead of "
                        "R8's worst-case η; same G, accepted iff certified ≤ ε). Edge-popup "
                        "(--construction edge-popup) searches a mask on a construction's G: "
                        "source=orseau|pensia|malach, budget=per_layer|global, k=<kept weights> or "
                        "fraction=<of G>, steps=…, lr=…, optimizer=adam|sgd, schedule=constant|cosine, "
                        "init=uniform|kaiming; it prints its progress and the best certified error so far "
                        "(progress=false to silence), and a failed search saves nothing without --allow-failure")
    b.add_argument("--out", required=True, help="output ticket file (.npz; checked before the build)")
    b.add_argument("--allow-failure", action="store_true",
                   help="save the ticket even when the sampled G is too small (failure event; exit 3)")
    b.add_argument("--no-certify", action="store_true",
                   help="skip the sup-error check (exit 0 then means: the construction succeeded)")
    b.add_argument("--lazy", action="store_true",
                   help="never materialise G: generate only the entries the selection needs and save a "
                   "compact ticket (automatic when dense G would exceed 2e7 parameters)")
    b.add_argument("--jobs", type=positive_count("jobs"), default=1, help="worker processes for the lazy path")
    add_memory(b)
    b.set_defaults(func=cmd_build)

    c = sub.add_parser(
        "check",
        help="verify a ticket file against its seed and report certified / found sup error and sizes",
        description="Re-create G from the file's construction, options, problem and seed; refuse the "
        "file unless its ticket is mask ⊙ that G bit for bit, its stages cover every layer and its "
        "target is the declared one; then certify the sup error over the box and search for the worst "
        "input. Nothing in the file is executed.",
        epilog=exit_code_epilog(),
        formatter_class=_Formatter,
    )
    c.add_argument("file", help="ticket .npz written by `slt-check build`")
    c.add_argument("--x-max", type=finite_number("x_max"), default=None,
                   help="box half-width (default: the one the ticket was built for, printed)")
    c.add_argument("--target", default=None,
                   help="the target you expect (same syntax as build --target): the file's target must "
                   "equal it bit for bit")
    c.add_argument("--arch", default=None, help="architecture of a --target torch state dict (CNN tickets)")
    c.add_argument("--search-seed", type=seed_value, default=0, help="seed of the adversarial search")
    c.add_argument("--exact", action="store_true",
                   help="also compute the exact sup error by mixed-integer programming (small tickets)")
    c.add_argument("--certificate", choices=("propagation", "crown", "best"), default="propagation",
                   help="which sound upper bound decides the verdict: the stage propagation certificate "
                   "(default, what builds accept), CROWN linear bounds on the difference network (about 3x "
                   "tighter at full size, under a second), or the smaller of the two (docs/certificates.md)")
    c.add_argument("--time-limit", type=finite_number("time_limit"), default=60.0, metavar="SECONDS",
                   help="wall-clock cap on the exact MILP (--exact, and the fallback for masks the stage "
                   "certificate cannot read); when it runs out, the MILP's sound upper bound so far decides "
                   "the verdict, and a note says so")
    c.add_argument("--json", action="store_true", help="print JSON instead of text")
    c.add_argument("--jobs", type=positive_count("jobs"), default=1,
                   help="worker processes to validate a compact ticket")
    add_memory(c)
    c.set_defaults(func=cmd_check)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (``--help`` shows the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults in the help, and the exit-code epilog kept as written."""


def _parse_options(pairs: Sequence[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; a value is read as JSON when it parses (numbers, true/false, null), else
    kept as text. Empty or repeated keys and non-finite numbers are refused."""
    opts: dict[str, object] = {}
    for p in pairs:
        key, sep, val = p.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"--option: expected KEY=VALUE with a name as KEY, got {p!r}")
        if key in opts:
            raise ValueError(f"--option: {key!r} given twice")
        try:
            value = json.loads(val, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except (json.JSONDecodeError, ValueError):
            value = val
        if isinstance(value, (dict, list)):
            raise ValueError(f"--option {key}: expected a number, a word, true/false or null, got {val!r}")
        opts[key] = value
    return opts


def cmd_build(args: argparse.Namespace) -> int:
    check_output_path(args.out, ".npz", "--out")
    kind, _, source = args.target.partition(":")
    if kind in ("npz", "torch") and source:
        check_not_an_input(args.out, [source], "--out")
    opts = _parse_options(args.option)
    if args.sharing:
        if "sharing" in opts:
            raise ValueError("--sharing: given twice (also as --option sharing=…)")
        opts["sharing"] = args.sharing
    if args.construction == "edge-popup":  # a search: show its progress and every certified error
        opts.setdefault("progress", True)
    tseed = args.target_seed if args.target_seed is not None else default_target_seed(args.seed)
    if cnn_cli.wants_cnn(args):
        return cnn_cli.cmd_build_cnn(args, tseed)
    if args.arch or args.input_shape or args.box:
        raise ValueError("--arch, --input-shape, --box: only for CNN targets (random-cnn:… or a torch CNN)")
    if args.w_max is None:
        args.w_max = 1.0
    con = resolve_construction(args.construction, opts)  # unknown options are refused here
    output_relu = args.output_relu
    if output_relu is None and not args.target.startswith("torch:"):
        output_relu = False
    target = target_from_spec(args.target, w_max=args.w_max, seed=tseed, output_relu=output_relu)
    request = resolve_request(
        target, args.eps, args.delta, args.seed, construction=con, w_max=args.w_max, x_max=args.x_max,
        b_max=args.b_max, lazy=True if args.lazy else None,
        flags=BuildFlags(allow_failure=args.allow_failure, jobs=args.jobs, max_memory=args.max_memory,
                         certify=not args.no_certify, require_certifiable=True),
    )
    for note in request.estimate.notes():  # said once, up front; the progress bar runs during the build
        print(note, file=sys.stderr)
    result = build(request)
    ticket, err, build_s = result.ticket, result.sup_error, result.timings["build"]
    ticket.meta = ticket.meta.updated(target_spec=args.target, target_sha256=target_digest(target),
                                      **({"target_seed": tseed} if args.target.startswith("random:") else {}))
    ticket.save(args.out)
    _print_summary(ticket, build_s)
    print(f"saved         {printable(args.out)}")
    if not result.ok:
        print("FAILED: the construction's success event did not hold (saved because of --allow-failure)",
              file=sys.stderr)
        return EXIT_FAILED
    if err is None:
        return EXIT_CERTIFIED
    return _verdict_code(err, args.eps)


def _verdict_code(err: Any, eps: float) -> int:
    """0 certified, 1 not certified, 5 unsound (found above the certified bound)."""
    if err.found > err.certified:
        print(f"UNSOUND CERTIFICATE: found error {err.found:.6g} > certified bound {err.certified:.6g}; "
              "this is a bug in slt_check — please report it with the ticket file", file=sys.stderr)
        return EXIT_UNSOUND
    return EXIT_CERTIFIED if err.certified <= eps else EXIT_NOT_CERTIFIED


def _g(x: Any) -> str:
    """A number from a file as ``.3g``, anything else escaped (:func:`printable`)."""
    return f"{x:.3g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else printable(x, 20)


def _print_summary(ticket: AnyTicket, build_s: float | None = None) -> None:
    s = ticket.sizes()
    meta = ticket.meta
    shown = {k: v for k, v in meta.options.items() if v is not None}
    print(f"construction  {printable(meta.construction)}  options={printable(json.dumps(shown, sort_keys=True))}  "
          f"seed={meta.seed}")
    prob = meta.problem
    print(f"problem       ε = {prob.eps}  δ = {prob.delta}  w_max = {prob.w_max}  "
          f"box ‖x‖∞ ≤ x_max = {prob.x_max}  output_relu = {prob.output_relu}")
    spec = "-" if meta.target_spec is None else meta.target_spec
    sha = "-" if meta.target_sha256 is None else meta.target_sha256
    print(f"target        widths={list(ticket.target.widths)}  weights={s['target_weights']}  "
          f"spec={printable(spec, 200)}  sha256={printable(str(sha)[:16])}…")
    print(f"G             depth={s['G_depth']}  neurons={s['G_neurons']}  params={s['G_params']}")
    print(f"kept          params={s['kept_params']} ({s['kept_params_per_weight']:.2f}/weight)  "
          f"neurons={s['kept_neurons']}")
    plan = {k: getattr(meta.plan, k, None) for k in ("M", "eta", "n_samples", "n_samples_formula", "failure_bound")}
    keys = [k for k, v in plan.items() if v is not None]
    if keys:
        items = (f"{k}={plan[k]:.4g}" if isinstance(plan[k], float) else f"{k}={plan[k]}" for k in keys)
        print("plan          " + "  ".join(items))
    layers = meta.records.get("layers")
    if meta.precision == "certificate" and isinstance(layers, list):  # informational: shown if well formed
        etas = "  ".join(
            f"η{printable(layer.get('layer'), 8)}={_g(layer['eta'])}" if "eta" in layer
            else f"M{printable(layer.get('layer'), 8)}={printable(layer.get('M'), 12)}"
            for layer in layers[:64] if isinstance(layer, dict))
        print(f"selection     per-layer precision from the certificate: {etas}")
    print(f"success       {ticket.ok}")
    if build_s is not None:
        print(f"build time    {build_s:.3f} s")
    e = meta.sup_error
    if e:
        eps = prob.eps
        verdict = ("UNSOUND" if e["found"] > e["certified"] else
                   "HOLDS" if e["certified"] <= eps else "NOT CERTIFIED")
        box = e.get("x_max", prob.x_max)
        print(f"sup error     certified ≤ {e['certified']:.4g}   found {e['found']:.4g}   "
              f"ε = {eps:g}  on ‖x‖∞ ≤ {box:g}  → {verdict}")
        if e.get("exact_upper") is not None:
            print(f"exact         {e['exact_lower']:.6g} ≤ sup error ≤ {e['exact_upper']:.6g}  "
                  f"({e.get('exact_status')})")


def cmd_check(args: argparse.Namespace) -> int:

    path = Path(args.file)
    if not path.is_file():
        raise ValueError(f"file: {args.file!r} is not a regular file (a directory, FIFO or device)" if path.exists()
                         else f"file: no ticket file at {args.file!r}")
    if is_conv_ticket(path):
        return cnn_cli.cmd_check_cnn(args, memory.limit())
    try:
        ticket = load_ticket(path, jobs=args.jobs, max_bytes=memory.limit())
    except memory.OverLimit:
        raise  # bad input (exit 2): the work this file asks for exceeds --max-memory
    except ValueError as exc:
        raise TicketRefused(str(exc)) from None
    meta = ticket.meta
    aff = meta.affine
    digest = target_digest(ticket.original_target())
    if meta.target_sha256 is not None and meta.target_sha256 != digest:
        raise TicketRefused("target: its SHA-256 differs from the one recorded at build time; the target was changed")
    if args.target is not None:
        prob = meta.problem
        expected = target_from_spec(args.target, w_max=prob.w_max if aff is None else aff.w_max,
                                    seed=int(meta.target_seed or 0),
                                    output_relu=prob.output_relu if not args.target.startswith("torch:") else None)
        if target_digest(expected) != digest:
            raise TicketRefused(f"target: the file's target is not {args.target!r} (SHA-256 "
                                f"{digest[:16]}… vs {target_digest(expected)[:16]}…)")
    x_max = args.x_max if args.x_max is not None else (meta.problem.x_max if aff is None else aff.x_max)
    if not x_max > 0:
        raise ValueError(f"--x-max: the box half-width must be > 0, got {x_max:g}")
    kw: dict[str, Any] = {"method": "milp"} if args.exact else {}
    if args.certificate != "propagation":
        kw["certificate"] = args.certificate
    if not 0 < args.time_limit <= 7 * 86400:
        raise ValueError(f"--time-limit: need 0 < SECONDS ≤ 604800 (a week), got {args.time_limit:g}")
    kw["time_limit"] = args.time_limit
    try:
        err = sup_error_any(ticket.target, ticket, x_max, rng=args.search_seed, **kw)
    except FloatRangeError:  # a box or weights beyond float64's safe range: bad input (exit 2)
        raise
    except ValueError as exc:
        raise TicketRefused(str(exc)) from None
    certificate = err.certificate or "stage propagation"
    if err.exact_status == "time_limit":
        print(f"note: the MILP stopped at --time-limit {args.time_limit:g} s before closing its gap; "
              f"its sound upper bound so far ({err.exact_upper:.4g}) is what it proves", file=sys.stderr)
    ticket.meta = meta = meta.updated(target_sha256=digest, sup_error=err.as_dict() | {"x_max": x_max})
    eps = meta.problem.eps
    code = _verdict_code(err, eps)
    if args.json:
        out = {"file": args.file, "sizes": ticket.sizes(), "plan": None if meta.plan is None else meta.plan.to_dict(),
               "success": ticket.ok, "construction": meta.construction, "options": meta.options, "seed": meta.seed,
               "problem": meta.problem.as_dict(), "eps": eps, "x_max": x_max, "x_max_given": args.x_max is not None,
               "target_sha256": digest, "target_spec": meta.target_spec, "sup_error": err.as_dict(),
               "certificate": certificate, "holds": code == EXIT_CERTIFIED,
               "verdict": {0: "holds", 1: "not certified", 5: "unsound"}[code],
               "exit_code": code}
        print(json.dumps(out, indent=1, sort_keys=True, default=float))
        return code
    print(f"file          {printable(args.file)}")
    print(f"certificate   {certificate}")
    print(f"verified      G regenerated from seed {meta.seed} by {meta.construction!r}; ticket == "
          "G ⊙ mask bit for bit; stages and target checked")
    if aff is not None:
        print(f"biases        built on [x; 1] (docs/biases.md): certified on the superset box ‖z‖∞ ≤ "
              f"{max(x_max, 1.0):g} of the points [x; 1], searched only on [x; 1] with ‖x‖∞ ≤ {x_max:g}")
    if args.x_max is not None and args.x_max != meta.problem.x_max:
        print(f"box           x_max = {x_max:g} given on the command line (built for {meta.problem.x_max:g})")
    _print_summary(ticket)
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="slt-check", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=exit_code_epilog() + "\n\n--debug (anywhere): show the traceback of an error instead of one line",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        mod = sys.modules[__name__] if name == __name__ else importlib.import_module(name)
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``slt-check``; returns the exit code (:data:`EXIT_CODES`). Every error is one line on
    stderr; ``--debug`` (anywhere on the command line) shows the traceback instead."""

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    try:  # the environment's default limit is read by every --help: refuse a bad one in one line
        memory.default_limit()
    except ValueError as exc:
        print(f"slt-check: error: environment variable SLT_CHECK_MAX_MEMORY: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed by argparse
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_BAD_INPUT
    install_signal_handlers()

    memory.set_limit(getattr(args, "max_memory", None))
    if hasattr(args, "scheduler"):
        try:
            trials.set_default(args.scheduler, args.workers)
        except ValueError as exc:
            print(f"slt-check {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    prefix = f"slt-check {args.command}"

    def fail(code: int, what: str, exc: BaseException) -> int:
        if debug:
            raise exc
        msg = printable(" ".join(str(exc).split()) or type(exc).__name__, MAX_ERROR_CHARS)
        print(f"{prefix}: {what}: {msg}", file=sys.stderr)
        return code

    try:
        with warnings.catch_warnings():  # a warning is one line, like an error (no file paths or source)
            warnings.showwarning = lambda message, *_a, **_k: print(
                f"{prefix}: warning: {' '.join(str(message).split())}", file=sys.stderr)
            return int(args.func(args) or 0)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_PIPE
    except (TicketRefused, cnn_cli.Refused) as exc:
        return fail(EXIT_REFUSED, "ticket refused", exc)
    except ConstructionFailed as exc:
        return fail(EXIT_FAILED, "construction failed", exc)
    except ValueError as exc:
        return fail(EXIT_BAD_INPUT, "error", exc)
    except MemoryError as exc:
        way_out = ("use --lazy / a larger ε" if args.command == "build" else
                   "a file that needs more than this machine has is refused; use fewer --jobs" if args.command == "check"
                   else "use a smaller problem")
        return fail(EXIT_BAD_INPUT, "out of memory",
                    MemoryError("the machine ran out of memory; lower --max-memory so the estimate refuses "
                                f"such work up front, or {way_out} ({exc})"))
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return fail(EXIT_BAD_INPUT, "error", OSError(f"{exc.strerror or exc}{where}"))
    except KeyboardInterrupt:
        return fail(EXIT_INTERRUPTED, "interrupted", KeyboardInterrupt("stopped by Ctrl-C; no file was written"))
    except Terminated as exc:
        return fail(EXIT_TERMINATED, "terminated", exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, documented code
        if debug:
            raise
        print(f"{prefix}: internal error: {type(exc).__name__}: "
              f"{printable(' '.join(str(exc).split()), MAX_ERROR_CHARS)} "
              "(run again with --debug for the traceback, and please report it)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
