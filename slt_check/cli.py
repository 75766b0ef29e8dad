"""``slt-check`` command line.

Subcommands live in small modules; each module in :data:`COMMAND_MODULES` exposes
``register(subparsers)`` which adds its parser and sets ``func`` (a ``Namespace -> int``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = (
    "slt_check.cli",  # build, check (below)
    "slt_check.cli_ledger",
    "slt_check.cli_report",
    "slt_check.cli_compare",
)

DESCRIPTION = """\
slt_check — build strong lottery tickets by pruning random networks, and check the theorems.

A ticket is mask ⊙ G: G is a random network sampled from --seed before and independently of
the target; the mask is chosen by a construction (Orseau et al. 2020 by default). `check`
reports a *certified* upper bound on the sup error over the input box ‖x‖∞ ≤ x_max and the
largest error an adversarial search found.

examples:
  slt-check build --target random:4-8-8-2 --eps 1e-2 --delta 0.05 --seed 0 --out ticket.npz
  slt-check build --target random:4-8-8-2 --construction orseau --sharing per_input --out t.npz
  slt-check check ticket.npz
"""


def _float(name: str):  # noqa: ANN202
    def conv(s: str) -> float:
        try:
            return float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: expected a number, got {s!r}") from None

    return conv


def register(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser(
        "build",
        help="sample G, prune it into a ticket for a target, save it (.npz)",
        description="Sample G from --seed (independently of the target), select the mask by "
        "--construction, validate mask ⊙ G, certify the sup error and save the ticket.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    b.add_argument("--target", required=True,
                   help="random:<n0-n1-…-nl>[:family] (families: uniform, normal, sparse, corners, "
                   "kaiming), torch:<model.pt> (nn.Sequential of Linear(bias=False)+ReLU), or "
                   "npz:<file.npz> with W_0, W_1, …")
    b.add_argument("--eps", type=_float("eps"), default=1e-2, help="target sup error ε (> 0)")
    b.add_argument("--delta", type=_float("delta"), default=0.05, help="failure probability δ ∈ (0,1)")
    b.add_argument("--seed", type=int, default=0, help="seed of G (and of a random target)")
    b.add_argument("--target-seed", type=int, default=None,
                   help="seed of a random target (default: --seed + 1_000_003)")
    b.add_argument("--w-max", type=_float("w_max"), default=1.0, help="declared bound on |target weights|")
    b.add_argument("--x-max", type=_float("x_max"), default=1.0, help="input box ‖x‖∞ ≤ x_max")
    b.add_argument("--output-relu", action="store_true", help="ReLU on the output layer too")
    b.add_argument("--construction", default="orseau", help="registered construction name")
    b.add_argument("--sharing", default=None, choices=["per_weight", "per_input"],
                   help="Orseau neuron sharing (default per_weight)")
    b.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="extra construction option (JSON value), e.g. --option n_samples=500; "
                        "for large targets --option precision=certificate (pensia, malach, factorial: "
                        "select to the per-layer precisions the target's certificate needs instead of "
                        "R8's worst-case η; same G, accepted iff certified ≤ ε)")
    b.add_argument("--out", required=True, help="output ticket file (.npz)")
    b.add_argument("--allow-failure", action="store_true",
                   help="save the ticket even when the sampled G is too small (failure event)")
    b.add_argument("--no-certify", action="store_true", help="skip the sup-error check")
    b.add_argument("--lazy", action="store_true",
                   help="never materialise G: generate only the entries the selection needs and save a "
                   "compact ticket (automatic when dense G would exceed 2e7 parameters)")
    b.add_argument("--jobs", type=int, default=1, help="worker processes for the lazy path")
    b.set_defaults(func=cmd_build)

    c = sub.add_parser(
        "check",
        help="validate a ticket file and report certified / found sup error and sizes",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    c.add_argument("file", help="ticket .npz written by `slt-check build`")
    c.add_argument("--x-max", type=_float("x_max"), default=None, help="box (default: from the file)")
    c.add_argument("--search-seed", type=int, default=0, help="seed of the adversarial search")
    c.add_argument("--json", action="store_true", help="print JSON instead of text")
    c.add_argument("--jobs", type=int, default=1, help="worker processes to validate a compact ticket")
    c.set_defaults(func=cmd_check)


def _parse_options(pairs: Sequence[str]) -> dict[str, object]:
    opts: dict[str, object] = {}
    for p in pairs:
        key, sep, val = p.partition("=")
        if not sep:
            raise ValueError(f"--option: expected KEY=VALUE, got {p!r}")
        try:
            opts[key] = json.loads(val)
        except json.JSONDecodeError:
            opts[key] = val
    return opts


def cmd_build(args: argparse.Namespace) -> int:
    from slt_check.constructions import ConstructionFailed
    from slt_check.lazy import build_and_check
    from slt_check.targets import target_from_spec

    tseed = args.target_seed if args.target_seed is not None else args.seed + 1_000_003
    target = target_from_spec(args.target, w_max=args.w_max, seed=tseed, output_relu=args.output_relu)
    opts = _parse_options(args.option)
    if args.sharing:
        opts["sharing"] = args.sharing
    hint = _slow_plan_hint(args.construction, opts, target.n_params)
    if hint:
        print(hint, file=sys.stderr)
    try:
        ticket, _ = build_and_check(
            target, args.eps, args.delta, args.seed, certify=not args.no_certify,
            construction=args.construction, w_max=args.w_max, x_max=args.x_max,
            allow_failure=args.allow_failure, lazy=True if args.lazy else None, jobs=args.jobs, **opts,
        )
    except ConstructionFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 3
    build_s = ticket.meta["build_s"]
    ticket.meta["target_spec"] = args.target
    ticket.meta["target_seed"] = tseed
    ticket.save(args.out)
    _print_summary(ticket, build_s)
    return 0


SLOW_EXACT_WEIGHTS = 20_000
"""Target size from which ``slt-check build`` points to ``precision=certificate`` for exact rules."""


def _slow_plan_hint(construction: str, opts: dict[str, object], n_weights: int) -> str | None:
    """A note when an exact-subset-sum construction at R8's η faces a large target (every weight
    then searches the whole window: measured ≈ 2.1 ms per weight-half at window 32)."""
    exact = construction == "pensia" or (
        construction == "factorial" and opts.get("rule", "exact_subset_sum") == "exact_subset_sum")
    if not exact or opts.get("precision", "r8") != "r8" or n_weights < SLOW_EXACT_WEIGHTS:
        return None
    window = int(opts.get("window", 32))  # type: ignore[call-overload]
    minutes = n_weights * 2 * 2.1e-3 * 2.0 ** ((window - 32) / 2) / 60
    return (f"note: {construction} at R8's precision optimises over {window} candidates for each of "
            f"{n_weights} weights and halves (≈ {minutes:.0f} CPU-minutes at the measured 2.1 ms per "
            "32-candidate search); --option precision=certificate selects to this target's own "
            "per-layer precisions instead (same G, accepted iff certified ≤ ε; see README 'Scale')")


def _print_summary(ticket, build_s: float | None = None) -> None:  # noqa: ANN001
    s = ticket.sizes()
    plan = ticket.meta.get("plan", {})
    print(f"construction  {ticket.meta.get('construction')}  sharing={ticket.meta.get('sharing', '-')}")
    print(f"target        widths={list(ticket.target.widths)}  weights={s['target_weights']}")
    print(f"G             depth={s['G_depth']}  neurons={s['G_neurons']}  params={s['G_params']}")
    print(f"kept          params={s['kept_params']} ({s['kept_params_per_weight']:.2f}/weight)  "
          f"neurons={s['kept_neurons']}")
    keys = [k for k in ("M", "eta", "n_samples", "n_samples_formula", "failure_bound") if k in plan]
    if keys:
        items = (f"{k}={plan[k]:.4g}" if isinstance(plan[k], float) else f"{k}={plan[k]}" for k in keys)
        print("plan          " + "  ".join(items))
    if ticket.meta.get("precision") == "certificate":
        etas = "  ".join(
            f"η{layer['layer']}={layer['eta']:.3g}" if "eta" in layer else f"M{layer['layer']}={layer['M']}"
            for layer in ticket.meta.get("layers", []))
        print(f"selection     per-layer precision from the certificate: {etas}")
    print(f"success       {ticket.ok}")
    if build_s is not None:
        print(f"build time    {build_s:.3f} s")
    e = ticket.meta.get("sup_error")
    if e:
        eps = ticket.meta.get("eps")
        verdict = "HOLDS" if e["certified"] <= eps else "NOT CERTIFIED"
        print(f"sup error     certified ≤ {e['certified']:.4g}   found {e['found']:.4g}   "
              f"ε = {eps:g}  → {verdict}")


def cmd_check(args: argparse.Namespace) -> int:
    from slt_check.certify import sup_error
    from slt_check.compact_ticket import load_any_ticket

    ticket = load_any_ticket(args.file, jobs=args.jobs)
    x_max = args.x_max if args.x_max is not None else ticket.meta.get("x_max", 1.0)
    err = sup_error(ticket.target, ticket, x_max, rng=args.search_seed)
    ticket.meta["sup_error"] = err.as_dict()
    eps = ticket.meta.get("eps")
    if args.json:
        out = {"file": args.file, "sizes": ticket.sizes(), "plan": ticket.meta.get("plan"),
               "success": ticket.ok, "eps": eps, "x_max": x_max, "sup_error": err.as_dict(),
               "holds": bool(eps is not None and err.certified <= eps)}
        print(json.dumps(out, indent=1, sort_keys=True, default=float))
    else:
        print(f"file          {args.file}  (validated: ticket == G ⊙ mask bit for bit)")
        _print_summary(ticket)
    return 0 if (eps is None or err.certified <= eps) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slt-check", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        mod = sys.modules[__name__] if name == __name__ else importlib.import_module(name)
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"slt-check {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
