"""``slt-check`` on convolutional targets: ``build`` and ``check`` dispatch here for CNNs, and ``export``.

``build --target random-cnn:<arch>`` or ``--target torch:<file.pt>`` (a file with ``Conv2d``/``AvgPool2d``
layers, or any torch file given with ``--arch``) runs a convolutional construction
(:mod:`slt_check.constructions.conv_2l`); ``check FILE`` recognises a CNN ticket by its metadata;
``export TICKET --torch OUT.pt`` writes a ticket (CNN or MLP) as a torch module with pruning masks after
verifying it against its seed. This module never imports :mod:`slt_check.cli.main`; ``main`` calls
:func:`cmd_build_cnn` and :func:`cmd_check_cnn` and maps :class:`Refused` to its exit code 4.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from slt_check.certificates.conv_exact import exact_conv
from slt_check.constructions.conv_2l import ConvProblem
from slt_check.constructions.conv_registry import CONV_CONSTRUCTIONS, get_conv_construction
from slt_check.core.conv import ConvNet
from slt_check.io.safe_io import atomic_write, check_output_path
from slt_check.io.torch_cnn import load_torch_cnn, ticket_to_torch_cnn
from slt_check.io.torch_io import EXPORT_DTYPES, cast_module, resolve_dtype
from slt_check.pipeline.conv_build import build_conv, measure_conv, problem_for, verify_conv
from slt_check.pipeline.verify import load_ticket
from slt_check.tickets.conv_targets import cnn_digest, cnn_target_from_spec, is_cnn_spec
from slt_check.tickets.conv_ticket import ConvTicket, is_conv_ticket, read_conv_ticket
from slt_check.tickets.plan import Plan

__all__ = ["Refused", "wants_cnn", "cmd_build_cnn", "cmd_check_cnn", "register", "parse_box", "estimate_text"]

DEFAULT_CNN_CONSTRUCTION = "conv-orseau"
"""The construction a CNN build uses when ``--construction`` is left at the MLP default (``orseau``)."""
REPRODUCE_POINTS = 16
"""Points of the box on which ``export`` compares the written module with the ticket."""
NS_PER_CANDIDATE = 130.0
"""CPU nanoseconds per estimated candidate value of a whole build (selection with its prefix rounds,
validation against the seed, certificate, search), measured on the full-size benchmark: 87 s CPU for
6.6e8 estimated values (one core of the shared 2-core machine). Wall time under load is longer."""


class Refused(ValueError):
    """A CNN ticket file failed verification (``slt-check`` exit code 4)."""


def parse_box(text: str | list[str] | None, x_max: float) -> tuple[float, float]:
    """``"LO,HI"`` (or ``["LO", "HI"]``, ``["LO,HI"]``) → ``(lo, hi)``; None → ``(−x_max, x_max)``."""
    if text is None:
        return -float(x_max), float(x_max)
    text = ",".join(text) if isinstance(text, list) else str(text)
    parts = [p for p in text.split(",") if p.strip()]
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--box: expected LO,HI (two numbers, e.g. --box=-0.4242,2.8215), got {text!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"--box: need finite LO ≤ HI, got {text!r}")
    return lo, hi


def wants_cnn(args: argparse.Namespace) -> bool:
    """Whether ``build``'s target is a CNN (:func:`slt_check.tickets.conv_targets.is_cnn_spec`)."""
    return is_cnn_spec(args.target, getattr(args, "arch", None))


def estimate_text(con: Any, problem: ConvProblem, plan: Plan) -> tuple[float, str]:
    """Seconds and one line: the candidates the selection expects to read (conv-orseau: about
    ``8M ln(2M)`` per kernel entry and half, the coupon-collector time of ``M`` tiles of probability
    ``≥ 1/(8M)``; dacunha: all ``N`` per column and output)."""
    rows = sum(c * o for c, o in zip(problem.columns, problem.outputs, strict=True))
    halves = [2 if signed else 1 for signed in problem.signed_inputs()]
    M = getattr(plan, "M", None)
    if M is not None:
        M = int(M)
        per = min(int(plan.n_samples), int(8 * M * math.log(2 * M) + 1))
    else:
        per, halves = int(plan.n_samples), [1] * len(halves)
    values = sum(c * o * h * per for c, o, h in zip(problem.columns, problem.outputs, halves, strict=True))
    s = values * NS_PER_CANDIDATE * 1e-9
    return s, (f"estimate: {rows} kernel entries × ≈{per} candidates per half ≈ {values:.3g} values "
               f"≈ {s:.0f} s CPU for the build; G has {plan.G_params:.3g} parameters (never materialised)")


def cmd_build_cnn(args: argparse.Namespace, target_seed: int) -> int:
    """``slt-check build`` on a CNN target; returns the exit code (0/1/3/5 as for MLPs)."""
    check_output_path(args.out, ".npz", "--out")
    opts = _options(args)
    name = args.construction if args.construction in CONV_CONSTRUCTIONS else (
        DEFAULT_CNN_CONSTRUCTION if args.construction == "orseau" else args.construction)
    con = get_conv_construction(name, **opts)
    target = cnn_target_from_spec(args.target, seed=target_seed, w_max=args.w_max, arch=args.arch,
                                  input_shape=args.input_shape)
    lo, hi = parse_box(args.box, args.x_max)
    problem = problem_for(target, args.eps, args.delta, w_max=args.w_max, b_max=args.b_max, lo=lo, hi=hi)
    plan = con.plan(problem)
    _, line = estimate_text(con, problem, plan)
    print(line, file=sys.stderr)
    result = build_conv(target, con, problem, args.seed, certify=not args.no_certify,
                        progress=sys.stderr.isatty())
    ticket = result.ticket
    ticket.meta.update(target_spec=args.target, target_sha256=cnn_digest(target))
    if args.target.startswith("random-cnn:"):
        ticket.meta["target_seed"] = int(target_seed)
    ticket.save(args.out)
    summary(ticket, result.timings.get("build"))
    print(f"saved         {args.out}")
    if not result.ok:
        print("FAILED: the construction's success event did not hold (saved anyway)", file=sys.stderr)
        return 3
    if result.certified is None:
        return 0
    return _code(result.certified, result.found, problem.eps)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for p in args.option:
        key, sep, val = p.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ValueError(f"--option: expected KEY=VALUE, got {p!r}")
        try:
            opts[key.strip()] = json.loads(val)
        except json.JSONDecodeError:
            opts[key.strip()] = val
    if getattr(args, "sharing", None):
        raise ValueError("--sharing: CNN constructions share channels per patch column; drop --sharing")
    return opts


def _code(certified: float, found: float, eps: float) -> int:
    if found > certified:
        print(f"UNSOUND CERTIFICATE: found {found:.6g} > certified {certified:.6g}; please report it",
              file=sys.stderr)
        return 5
    return 0 if certified <= eps else 1


def summary(ticket: ConvTicket, build_s: float | None = None) -> None:
    """The human-readable summary of a CNN ticket (build and check)."""
    m, s = ticket.meta, ticket.sizes()
    prob = m["problem"]
    print(f"construction  {m['construction']}  options={json.dumps(m['options'], sort_keys=True)}  seed={m['seed']}")
    print(f"problem       ε = {prob['eps']}  δ = {prob['delta']}  w_max = {prob['w_max']}  b_max = {prob['b_max']}  "
          f"box [{prob['lo']:g}, {prob['hi']:g}] per input")
    print(f"target        {ticket.target.arch}  params={s['target_weights']}  spec={m.get('target_spec', '-')}  "
          f"sha256={str(m.get('target_sha256', '-'))[:16]}…")
    print(f"G             depth={m['plan']['G_depth']}  params={s['G_params']:.4g}  N={m['plan']['n_samples']} "
          "per patch column")
    print(f"kept          params={s['kept_params']} ({s['kept_params_per_weight']:.2f}/target param)  "
          f"per layer={s['kept_per_layer']}")
    print(f"plan          η={m['plan']['eta']:.3g}" + (f"  M={m['plan']['M']}" if "M" in m["plan"] else "")
          + f"  failed entries={m.get('n_failed_weights')}")
    print(f"success       {ticket.ok}  ({m.get('success_event')})")
    if build_s is not None:
        print(f"build time    {build_s:.2f} s")
    e = m.get("sup_error")
    if e:
        verdict = "UNSOUND" if e["found"] > e["certified"] else ("HOLDS" if e["certified"] <= prob["eps"]
                                                                 else "NOT CERTIFIED")
        print(f"sup error     certified ≤ {e['certified']:.4g}   found {e['found']:.4g}   ε = {prob['eps']:g}  "
              f"on [{e['lo']:g}, {e['hi']:g}]  → {verdict}")
        if e.get("exact_upper") is not None:
            print(f"exact         {e['exact_lower']:.6g} ≤ sup error ≤ {e['exact_upper']:.6g}  "
                  f"({e.get('exact_status')})")


def read_verified(path: str, max_bytes: int) -> ConvTicket:
    """Read and verify a CNN ticket file; :class:`Refused` when it is not what its seed gives."""
    try:
        ticket = read_conv_ticket(path, max_bytes=max_bytes)
        verify_conv(ticket, progress=sys.stderr.isatty())
    except ValueError as exc:
        raise Refused(str(exc)) from None
    digest = cnn_digest(ticket.target)
    if ticket.meta.get("target_sha256", digest) != digest:
        raise Refused("target: its SHA-256 differs from the one recorded at build time")
    return ticket


def cmd_check_cnn(args: argparse.Namespace, max_bytes: int) -> int:
    """``slt-check check`` on a CNN ticket file."""
    ticket = read_verified(args.file, max_bytes)
    prob = ticket.meta["problem"]
    if args.target is not None:
        expected = cnn_target_from_spec(args.target, seed=int(ticket.meta.get("target_seed", 0)),
                                        w_max=prob["w_max"], arch=getattr(args, "arch", None))
        if cnn_digest(expected) != cnn_digest(ticket.target):
            raise Refused(f"target: the file's target is not {args.target!r}")
    lo, hi = (prob["lo"], prob["hi"]) if args.x_max is None else (-args.x_max, args.x_max)
    m = measure_conv(ticket, lo, hi, search_seed=args.search_seed)
    ticket.meta["sup_error"] = {"certified": m["certified"], "found": m["found"], "lo": lo, "hi": hi}
    if args.exact:
        if lo != -hi:
            raise ValueError("--exact: the MILP models a symmetric box [−x, x]; pass --x-max")
        ex = exact_conv(ticket.target, ticket.as_convnet(), hi, time_limit=120.0)
        ticket.meta["sup_error"].update(exact_lower=ex.lower, exact_upper=ex.upper, exact_status=ex.status)
    code = _code(m["certified"], m["found"], prob["eps"])
    if args.json:
        print(json.dumps({"file": args.file, "kind": "cnn", "sizes": ticket.sizes(), "plan": ticket.meta["plan"],
                          "construction": ticket.meta["construction"], "problem": prob, "success": ticket.ok,
                          "sup_error": ticket.meta["sup_error"], "holds": code == 0, "exit_code": code},
                         indent=1, sort_keys=True, default=float))
        return code
    print(f"file          {args.file}")
    print(f"verified      every kept entry regenerated from seed {ticket.meta['seed']} by "
          f"{ticket.meta['construction']!r}, bit for bit; plan and target checked")
    summary(ticket)
    return code


def cmd_export(args: argparse.Namespace) -> int:
    """``slt-check export TICKET --torch OUT.pt [--dtype float64|float32]``."""
    import torch

    check_output_path(args.torch, ".pt", "--torch")
    dtype = resolve_dtype(args.dtype)
    path = Path(args.ticket)
    if not path.is_file():
        raise ValueError(f"ticket: no ticket file at {args.ticket!r}")
    note = "" if dtype == torch.float64 else (
        f"; weights rounded to {args.dtype}: the certified sup error covers the float64 module only")
    if is_conv_ticket(path):
        ticket = read_verified(str(path), 2**34)
        module = ticket_to_torch_cnn(ticket)
        sparse = any(getattr(m, "weight", None) is not None and m.weight.layout != torch.strided for m in module)
        if dtype == torch.float64:
            atomic_write(args.torch, lambda fh: torch.save(module, fh))
            diff = _reproduces(ticket, module, None if sparse else load_torch_cnn(
                args.torch, input_shape=ticket.target.input_shape))  # read back, restricted: no code runs
        else:  # compared in float64, then rounded; the file must hold exactly the rounded weights
            diff = _reproduces(ticket, module, None)
            cast_module(module, dtype)
            atomic_write(args.torch, lambda fh: torch.save(module, fh))
            if not sparse and not _holds_weights(load_torch_cnn(args.torch, input_shape=ticket.target.input_shape),
                                                 module):
                raise ValueError(f"--torch: {args.torch!r} read back does not hold the exported {args.dtype} weights")
        print(f"exported      {args.torch}: {len(module)} modules (Conv2d/Linear pairs with pruning masks"
              + ("; sparse CSR weights for the largest Linear layers)" if sparse else ")") + note)
        print(f"reproduces    max |exported(x) − ticket(x)| = {diff:.3g} on {REPRODUCE_POINTS} points of the box "
              "(float64)")
        return 0 if diff <= 1e-9 * max(1.0, _scale(ticket)) else 70
    try:
        ticket = load_ticket(path)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    module = ticket.to_torch(dtype=dtype)
    atomic_write(args.torch, lambda fh: torch.save(module, fh))
    print(f"exported      {args.torch}: {module}" + (f"\nnote          {note[2:]}" if note else ""))
    return 0


def _holds_weights(back: ConvNet, module: Any) -> bool:
    """Whether the read-back network's weights and biases are the module's ``Conv2d``/``Linear`` ones."""
    import torch

    def arr(t: Any) -> Any:
        return None if t is None else t.detach().to(torch.float64).numpy()

    mods = [m for m in module if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    layers = [L for L in back.layers if L.kind in ("conv", "linear")]
    return len(mods) == len(layers) and all(
        np.array_equal(L.weight, arr(m.weight)) and (L.bias is None) == (m.bias is None)
        and (L.bias is None or np.array_equal(L.bias, arr(m.bias))) for L, m in zip(layers, mods, strict=True))


def _scale(ticket: ConvTicket) -> float:
    return float(sum(np.abs(L.weight).sum() for L in ticket.target.weighted))


def _reproduces(ticket: ConvTicket, module: Any, back: ConvNet | None, n_points: int = REPRODUCE_POINTS) -> float:
    """Largest difference between the ticket and the exported module (and its read-back copy) on
    ``n_points`` points of the box, one point at a time (a full-size ticket's first ``A`` layer has
    ~10⁵ channels per pixel: gigabytes per point)."""
    import torch

    prob = ticket.meta["problem"]
    rng = np.random.default_rng(0)
    x = rng.uniform(prob["lo"], prob["hi"], (n_points, *ticket.target.input_shape))
    diff = 0.0
    with torch.no_grad():
        ref = ticket.torch_fn()(torch.from_numpy(x)).numpy()
        for i in range(n_points):
            diff = max(diff, float(np.abs(module(torch.from_numpy(x[i:i + 1])).numpy() - ref[i]).max()))
            if back is not None:
                diff = max(diff, float(np.abs(back.forward(x[i:i + 1]) - ref[i]).max()))
    return diff


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser(
        "export", help="write a ticket (CNN or MLP) as a torch module with pruning masks",
        description="Verify TICKET against its seed, then write it with torch.save as an nn.Sequential: "
        "for a CNN ticket every weighted target layer becomes the kept channels of G's pair "
        "(Conv2d k×k / Linear → ReLU → Conv2d 1×1 / Linear), each weight (and the first one's bias) with a "
        "torch.nn.utils.prune mask (weight_orig ⊙ weight_mask). The file is read back with the restricted "
        "loader and its outputs compared with the ticket's. Load it with torch.load(OUT, weights_only=False) "
        "(your own file), or with torch.load(OUT, weights_only=True) inside torch.serialization.safe_globals "
        "with the module classes it names (Sequential, Linear/Conv2d, ReLU, … and torch.nn.utils.prune's "
        "PruningContainer/CustomFromMask), or, for a CNN ticket, as a target: --target torch:OUT.pt.")
    e.add_argument("ticket", help="ticket .npz written by slt-check build")
    e.add_argument("--torch", required=True, metavar="OUT.pt", help="output torch file")
    e.add_argument("--dtype", choices=EXPORT_DTYPES, default="float64",
                   help="dtype of the written module. float64 (default) is the function whose sup error is "
                   "certified; float32 rounds every weight to float32 (its outputs differ by float32 rounding, "
                   "which no certificate covers). The module accepts inputs of its own dtype only: "
                   "module(x.to(torch.float64))")
    e.set_defaults(func=cmd_export)
