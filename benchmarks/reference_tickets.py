"""Reference tickets, bit for bit: build a fixed set of tickets (every construction, dense and lazy,
biased target, CLI path) and print the SHA-256 of every saved array and of the canonical metadata.

Run before and after a refactor that must not change behaviour and compare the two JSON files::

    python benchmarks/reference_tickets.py --out before.json
    python benchmarks/reference_tickets.py --out after.json --compare before.json

Volatile metadata (timings, package versions) is left out of the metadata hash; every array of the
``.npz`` (``G``, masks, ticket weights, target, or the compact kept entries) is hashed as written.
``--ignore-meta-keys KEY …`` also leaves those top-level metadata keys out (e.g. ``meta_version``, to
compare with digests taken before the key existed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from slt_check.core.nets import ReLUNet
from slt_check.pipeline.build import build_compact_ticket, build_ticket
from slt_check.tickets.targets import random_target

VOLATILE = {"timing_s", "versions", "build_s", "certify_s", "validate_s"}

CASES: list[dict[str, Any]] = [
    {"name": "orseau-per_weight-2-3-1", "widths": (2, 3, 1), "eps": 0.1, "seed": 3, "construction": "orseau"},
    {"name": "orseau-per_input-3-4-2", "widths": (3, 4, 2), "eps": 0.05, "seed": 5, "construction": "orseau",
     "options": {"sharing": "per_input"}},
    {"name": "orseau-cert-precision", "widths": (2, 4, 1), "eps": 0.02, "seed": 7, "construction": "orseau",
     "options": {"precision": "certificate"}},
    {"name": "pensia-2-3-1", "widths": (2, 3, 1), "eps": 0.05, "seed": 11, "construction": "pensia"},
    {"name": "pensia-union-2-2-1", "widths": (2, 2, 1), "eps": 0.05, "seed": 12, "construction": "pensia",
     "options": {"delta_rule": "union"}},
    {"name": "malach-2-2-1", "widths": (2, 2, 1), "eps": 0.2, "seed": 13, "construction": "malach"},
    {"name": "burkholz-2-3-1", "widths": (2, 3, 1), "eps": 0.05, "seed": 17, "construction": "burkholz"},
    {"name": "burkholz-union-2-2-2-1", "widths": (2, 2, 2, 1), "eps": 0.05, "seed": 18, "construction": "burkholz",
     "options": {"delta_rule": "union"}},
    {"name": "factorial-hyperbolic-subset", "widths": (2, 2, 1), "eps": 0.05, "seed": 19,
     "construction": "factorial", "options": {"law": "hyperbolic", "rule": "exact_subset_sum"}},
    {"name": "orseau-lazy-3-4-2", "widths": (3, 4, 2), "eps": 0.05, "seed": 23, "construction": "orseau",
     "lazy": True},
    {"name": "pensia-lazy-2-3-1", "widths": (2, 3, 1), "eps": 0.05, "seed": 29, "construction": "pensia",
     "lazy": True},
    {"name": "orseau-biased-2-3-1", "widths": (2, 3, 1), "eps": 0.05, "seed": 31, "construction": "orseau",
     "biases": True},
]
CLI_CASES: list[list[str]] = [
    ["--target", "random:2-3-1", "--eps", "0.1", "--delta", "0.1", "--seed", "41"],
    ["--target", "random:3-3-2", "--eps", "0.05", "--delta", "0.05", "--seed", "43", "--construction", "pensia"],
    ["--target", "random:2-3-1", "--eps", "0.05", "--seed", "47", "--lazy"],
]


def _digest(path: Path, ignore: frozenset[str] = frozenset()) -> dict[str, str]:
    out: dict[str, str] = {}
    with np.load(path, allow_pickle=False) as data:
        for key in sorted(data.files):
            arr = data[key]
            if key == "meta":
                meta = json.loads(str(arr))
                meta = {k: v for k, v in meta.items() if k not in VOLATILE and k not in ignore}
                out[key] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
            else:
                h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode())
                h.update(np.ascontiguousarray(arr).tobytes())
                out[key] = h.hexdigest()
    return out


def _library_case(case: dict[str, Any], tmp: Path, ignore: frozenset[str]) -> dict[str, str]:
    rng = np.random.default_rng(case["seed"] + 1000)
    F = random_target(case["widths"], 1.0, rng)
    if case.get("biases"):
        F = ReLUNet(F.weights, biases=[rng.uniform(-0.5, 0.5, w) for w in case["widths"][1:]])
    build = build_compact_ticket if case.get("lazy") else build_ticket
    t = build(F, case["eps"], 0.1, case["seed"], construction=case["construction"], allow_failure=True,
              **case.get("options", {}))
    path = tmp / f"{case['name']}.npz"
    t.save(path)
    return _digest(path, ignore)


def _cli_case(args: list[str], tmp: Path, i: int, ignore: frozenset[str]) -> dict[str, str]:
    path = tmp / f"cli{i}.npz"
    subprocess.run([sys.executable, "-m", "slt_check.cli.main", "build", *args, "--out", str(path),
                    "--allow-failure"], check=False, capture_output=True)
    if not path.is_file():
        return {"error": "no ticket written"}
    return _digest(path, ignore)


def collect(ignore: frozenset[str] = frozenset()) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for case in CASES:
            out[case["name"]] = _library_case(case, tmp, ignore)
        for i, args in enumerate(CLI_CASES):
            out["cli: " + " ".join(args)] = _cli_case(args, tmp, i, ignore)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True, help="where to write the digests (JSON)")
    ap.add_argument("--compare", type=Path, help="a previous --out file; exit 1 when an array differs")
    ap.add_argument("--ignore-meta-keys", nargs="+", default=[], metavar="KEY",
                    help="top-level metadata keys left out of the metadata hash (e.g. meta_version)")
    a = ap.parse_args(argv)
    got = collect(frozenset(a.ignore_meta_keys))
    a.out.write_text(json.dumps(got, indent=1, sort_keys=True))
    if a.compare is None:
        print(f"{len(got)} reference tickets → {a.out}")
        return 0
    ref = json.loads(a.compare.read_text())
    bad = [f"{name}: {key}" for name in ref for key in ref[name]
           if key != "meta" and got.get(name, {}).get(key) != ref[name][key]]
    meta = [name for name in ref if got.get(name, {}).get("meta") != ref[name].get("meta")]
    print(f"{len(ref)} reference tickets: {len(bad)} arrays differ, {len(meta)} metadata records differ")
    for line in bad + [f"{m}: meta" for m in meta]:
        print("  " + line)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
