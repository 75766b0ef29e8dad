"""Peak memory of the small files that declare big work (docs/checking.md, "Limits").

    python benchmarks/hostile_io.py     # ~1 minute; writes benchmarks/results/hostile_io.json

Each attack is a file of at most a few MB (or one argument) run through ``slt-check`` in its own
process under ``SLT_CHECK_MAX_MEMORY``; recorded: the exit code, the first 160 characters of the error
line and the peak resident set (``ru_maxrss`` of that process, MiB). A fixed seed everywhere; nothing
here depends on the machine except the timings it does not record.

* ``int8``: a dense ticket whose ``G_0`` is 240 M ``int8`` zeros (229 MiB declared, 2 GiB as float64);
* ``widths``: a compact ticket whose ``meta.source.widths`` is ``[2, 4e8, 1]``;
* ``spec``: a ticket whose ``meta.target_spec`` is ``random:2-16000000-1``;
* ``random-build``: ``build --target random:2-16000000-1``;
* ``jobs``: ``check --jobs 48`` of a genuine compact ticket;
* ``batch``: ``build --construction edge-popup --option batch=100000000``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "import sys; from slt_check.cli.main import main; sys.exit(main(sys.argv[1:]))"]


def _run(argv: list[str], limit: str, cwd: Path) -> dict[str, object]:
    env = dict(os.environ, SLT_CHECK_MAX_MEMORY=limit, PYTHONPATH=str(ROOT))
    with open(cwd / "err.txt", "wb") as err:
        pid = subprocess.Popen([*CLI, *argv], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err).pid
        _, status, usage = os.wait4(pid, 0)
    return {"argv": argv, "limit": limit, "exit": os.waitstatus_to_exitcode(status),
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "error": (cwd / "err.txt").read_text(errors="replace").strip()[:160]}


def _arrays(p: Path) -> dict[str, np.ndarray]:
    with np.load(p) as z:
        return {k: z[k] for k in z.files}


def _with_meta(src: Path, dst: Path, **changes: object) -> None:
    a = _arrays(src)
    np.savez(dst, **dict(a, meta=np.array(json.dumps(json.loads(str(a["meta"])) | changes))))


def main() -> None:
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        base = ["build", "--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input"]
        subprocess.run([*CLI, *base, "--out", "dense.npz"], cwd=d, env=env, capture_output=True, check=True)
        subprocess.run([*CLI, *base, "--lazy", "--out", "compact.npz"], cwd=d, env=env, capture_output=True,
                       check=True)
        a = _arrays(d / "dense.npz")
        a["G_0"] = np.zeros((6000, 40_000), np.int8)
        np.savez_compressed(d / "int8.npz", **a)
        src = json.loads(str(_arrays(d / "compact.npz")["meta"]))["source"]
        _with_meta(d / "compact.npz", d / "widths.npz", source=src | {"widths": [2, 400_000_000, 1]})
        _with_meta(d / "dense.npz", d / "spec.npz", target_spec="random:2-16000000-1")
        cases = {
            "int8": (["check", "int8.npz"], "300M"),
            "widths": (["check", "widths.npz"], "1G"),
            "spec": (["check", "spec.npz"], "300M"),
            "random-build": (["build", "--target", "random:2-16000000-1", "--out", "o.npz"], "300M"),
            "jobs": (["check", "compact.npz", "--jobs", "48"], "1G"),
            "batch": (["build", "--target", "random:2-2-1", "--eps", "0.3", "--construction", "edge-popup",
                       "--option", "batch=100000000", "--out", "o.npz"], "1G"),
        }
        for name, (argv, limit) in cases.items():
            out[name] = _run(argv, limit, d)
            print(f"{name:13s} limit {limit:5s} exit {out[name]['exit']}  peak RSS {out[name]['peak_rss_mib']} MiB",
                  flush=True)
    path = ROOT / "benchmarks" / "results" / "hostile_io.json"
    path.write_text(json.dumps({"cases": out, "load": os.getloadavg()}, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
