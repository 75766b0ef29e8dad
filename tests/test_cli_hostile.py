"""`slt-check build` and `check` attacked as a hostile user would: forged and damaged ticket files,
code-running model files, absurd sizes, bad arguments, interrupted writes. Each attack must end in
its documented exit code with one line on stderr — never a traceback, never a "HOLDS" for a file
that is not a pruning of its seed's G, never a file left half written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from slt_check.cli.main import EXIT_CODES, main

FAST = ["--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input", "--seed", "0"]


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _meta(a: dict[str, np.ndarray]) -> dict:
    return json.loads(str(a["meta"]))


def _save(path: Path, arrays: dict[str, np.ndarray], meta: dict | None = None) -> Path:
    if meta is not None:
        arrays = dict(arrays, meta=np.array(json.dumps(meta)))
    np.savez(path, **arrays)
    return path


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = main(argv)
    out = capsys.readouterr()
    assert rc in EXIT_CODES, f"undocumented exit code {rc}"
    assert "Traceback" not in out.err and "Traceback" not in out.out
    assert len(out.err.strip().splitlines()) <= 2, out.err  # one error line (build may add a note)
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def dense(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("dense") / "t.npz"
    assert main(["build", *FAST, "--out", str(p)]) == 0
    return p


@pytest.fixture(scope="module")
def compact(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("compact") / "c.npz"
    assert main(["build", *FAST, "--lazy", "--out", str(p)]) == 0
    return p


def test_genuine_tickets_hold(dense, compact, capsys):
    for p in (dense, compact):
        rc, out, _ = _run(["check", str(p)], capsys)
        assert rc == 0 and "HOLDS" in out and "G regenerated from seed 0" in out and "x_max = 1.0" in out


# ------------------------------------------------------------------ forged dense tickets

def _forge_one_ulp(a: dict) -> dict:
    k = 1
    r, c = np.argwhere(a[f"mask_{k}"])[0]
    G = a[f"G_{k}"].copy()
    G[r, c] = np.nextafter(G[r, c], np.inf)
    return dict(a, **{f"G_{k}": G, f"ticket_{k}": G * a[f"mask_{k}"]})


def _forge_handwritten_G(a: dict) -> dict:
    """G of ±1 and the target's own weights in the kept positions: a copied weight, not a pruning."""
    out = dict(a)
    for k in range(len([n for n in a if n.startswith("G_")])):
        G = np.where(a[f"G_{k}"] >= 0, 1.0, -1.0)
        out[f"G_{k}"], out[f"ticket_{k}"] = G, G * a[f"mask_{k}"]
    return out


def _forge_meta(**changes):  # noqa: ANN202
    def f(a: dict) -> dict:
        m = _meta(a)
        for key, val in changes.items():
            cur = m
            *path, last = key.split(".")
            for p in path:
                cur = cur[p]
            if val is KeyError:
                cur.pop(last, None)
            else:
                cur[last] = val
        return dict(a, meta=np.array(json.dumps(m)))

    return f


FORGERIES = {
    "G entry moved by one ulp, ticket recomputed": _forge_one_ulp,
    "hand-written G (±1) with target-valued kept weights": _forge_handwritten_G,
    "stages skip a layer": _forge_meta(stages=[{"layers": [0, 1], "out_copies": None},
                                               {"layers": [3], "out_copies": None}]),
    "stages with a copy map of the wrong length": _forge_meta(stages=[{"layers": [0, 1], "out_copies": [0]},
                                                                      {"layers": [2, 3], "out_copies": None}]),
    "x_max shrunk to 1e-9 (problem and top level)": _forge_meta(**{"x_max": 1e-9, "problem.x_max": 1e-9}),
    "eps raised in the problem": _forge_meta(**{"eps": 10.0, "problem.eps": 10.0}),
    "eps removed": _forge_meta(**{"eps": KeyError, "problem.eps": KeyError}),
    "seed changed": _forge_meta(seed=1),
    "construction renamed": _forge_meta(construction="pensia"),
    "unknown construction": _forge_meta(construction="nope"),
    "unknown option": _forge_meta(**{"options.evil": 1}),
    "options removed": _forge_meta(options=KeyError),
    "plan rewritten": _forge_meta(**{"plan.M": 2}),
    "meta is a JSON list": lambda a: dict(a, meta=np.array("[1, 2]")),
    "meta is not JSON": lambda a: dict(a, meta=np.array("{not json")),
    "meta is missing": lambda a: {k: v for k, v in a.items() if k != "meta"},
    "target changed (random target regenerated)": lambda a: dict(a, target_0=a["target_0"] * 0.5),
    "target changed, spec removed, digest kept": lambda a: _forge_meta(target_spec=KeyError)(
        dict(a, target_0=a["target_0"] * 0.5)),
    "mask stored as float": lambda a: dict(a, mask_0=a["mask_0"].astype(np.float64)),
    "a G layer dropped": lambda a: {k: v for k, v in a.items() if not k.endswith("_3")},
    "an extra array": lambda a: dict(a, G_9=np.zeros((1, 1))),
    "complex G": lambda a: dict(a, G_0=a["G_0"].astype(np.complex128)),
    "target output ReLU flipped": _forge_meta(target_output_relu=True),
}


def test_top_level_problem_copies_are_not_read(dense, tmp_path, capsys):
    """ε, δ, x_max, w_max at the top level of meta are copies of meta["problem"] written for older
    readers: shrinking one there changes nothing — the check reads the problem's box."""
    p = _save(tmp_path / "copies.npz", _forge_meta(x_max=1e-9)(_arrays(dense)))
    rc_ref, out_ref, _ = _run(["check", str(dense)], capsys)
    rc, out, err = _run(["check", str(p)], capsys)
    assert rc == rc_ref and out.replace(str(p), "F") == out_ref.replace(str(dense), "F"), err
    assert "x_max = 1" in out and "1e-09" not in out


@pytest.mark.parametrize("attack", sorted(FORGERIES))
def test_forged_dense_ticket_is_refused(dense, tmp_path, capsys, attack):
    p = _save(tmp_path / "forged.npz", FORGERIES[attack](_arrays(dense)))
    rc, out, err = _run(["check", str(p)], capsys)
    assert rc == 4, (attack, rc, err)
    assert "HOLDS" not in out and "ticket refused" in err


def test_forged_ticket_is_refused_in_json_mode(dense, tmp_path, capsys):
    p = _save(tmp_path / "forged.npz", _forge_one_ulp(_arrays(dense)))
    rc, out, _ = _run(["check", str(p), "--json"], capsys)
    assert rc == 4 and out == ""


def test_x_max_given_on_the_command_line_is_printed(dense, capsys):
    rc, out, _ = _run(["check", str(dense), "--x-max", "1e-9"], capsys)
    assert rc == 0 and "given on the command line" in out and "‖x‖∞ ≤ 1e-09" in out


def test_check_against_the_expected_target(dense, capsys):
    assert _run(["check", str(dense), "--target", "random:2-3-1", "--json"], capsys)[0] == 0
    rc, _, err = _run(["check", str(dense), "--target", "random:2-3-1:normal"], capsys)
    assert rc == 4 and "is not" in err


# ------------------------------------------------------------------ damaged files

def test_damaged_files(dense, tmp_path, capsys):
    raw = dense.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "text.npz").write_text("hello")
    for name in ("trunc.npz", "empty.npz", "text.npz"):
        assert _run(["check", str(tmp_path / name)], capsys)[0] == 4
    assert _run(["check", str(tmp_path / "missing.npz")], capsys)[0] == 2
    assert _run(["check", str(tmp_path)], capsys)[0] == 2


def _huge_header_npz(path: Path, name: str, shape: tuple[int, ...], dtype: str = "<f8") -> None:
    """An .npz whose member header declares ``shape`` but carries no data (a few hundred bytes)."""
    import io
    import zipfile

    from numpy.lib import format as npformat

    buf = io.BytesIO()
    npformat.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    with zipfile.ZipFile(path, "a" if path.exists() else "w") as zf:
        zf.writestr(f"{name}.npy", buf.getvalue())  # magic + header, no data


def test_header_declaring_a_huge_array_is_refused_before_reading(dense, tmp_path, capsys):
    p = tmp_path / "bomb.npz"
    a = _arrays(dense)
    _save(p, {k: v for k, v in a.items() if k != "G_0"})
    _huge_header_npz(p, "G_0", (10**6, 10**6))
    rc, _, err = _run(["check", str(p)], capsys)
    assert rc == 4 and "GiB" in err


# ------------------------------------------------------------------ forged compact tickets

def test_compact_forgeries(compact, tmp_path, capsys):
    a = _arrays(compact)
    m = _meta(a)
    cases = {}
    big = json.loads(json.dumps(m))
    big["source"]["n_samples"] = 10**10  # `check` would regenerate 10^10-sample streams
    cases["n_samples = 1e10 in the source spec"] = dict(a, meta=np.array(json.dumps(big)))
    law = json.loads(json.dumps(m))
    law["source"]["law"] = {"law": "uniform", "low": 0.5, "high": 0.5}
    cases["degenerate law in the source spec"] = dict(a, meta=np.array(json.dumps(law)))
    vals = a["vals_1"].copy()
    vals[0] = np.nextafter(vals[0], np.inf)
    cases["kept value moved by one ulp"] = dict(a, vals_1=vals)
    nosrc = {k: v for k, v in m.items() if k != "source"}
    cases["source removed"] = dict(a, meta=np.array(json.dumps(nosrc)))
    cases["rows stored as float"] = dict(a, rows_0=a["rows_0"].astype(np.float64))
    for name, arrays in cases.items():
        rc, out, err = _run(["check", str(_save(tmp_path / "f.npz", arrays))], capsys)
        assert rc == 4 and "HOLDS" not in out, (name, err)


# ------------------------------------------------------------------ build: wrong answers, sizes, arguments

@pytest.mark.parametrize(
    "argv, code, fragment",
    [
        (["--eps", "1e-300"], 2, "float64"),
        (["--option", "evil=1"], 2, "no option"),
        (["--option", "n_samples=0"], 2, "n_samples"),
        (["--option", "n_samples=1.5"], 2, "n_samples"),
        (["--option", "n_samples=1000000000"], 2, "memory"),
        (["--option", "n_samples=3", "--option", "n_samples=4"], 2, "twice"),
        (["--option", "gamma=NaN"], 2, "gamma"),
        (["--jobs", "0"], 2, "jobs"),
        (["--seed", "-1"], 2, "seed"),
        (["--eps", "nan"], 2, "eps"),
        (["--max-memory", "lots"], 2, "max-memory"),
    ],
)
def test_bad_build_arguments(tmp_path, capsys, argv, code, fragment):
    out = tmp_path / "x.npz"
    rc, _, err = _run(["build", *FAST, "--out", str(out), *argv], capsys)
    assert rc == code and fragment in err, err
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "target, extra, fragment",
    [
        ("random:100000-100000-10", [], "weights"),
        ("random:-4-8-2", [], "widths"),
        ("random:4-8-8-2", ["--construction", "malach", "--eps", "1e-5"], "memory"),
        ("random:200-200-10", ["--construction", "burkholz"], "memory"),
        ("random:2-2-1", ["--construction", "burkholz", "--sharing", "per_input"], "no option"),
    ],
)
def test_absurd_sizes_are_refused_up_front(tmp_path, capsys, target, extra, fragment):
    t0 = time.perf_counter()
    rc, _, err = _run(["build", "--target", target, "--out", str(tmp_path / "x.npz"), *extra], capsys)
    assert rc == 2 and fragment in err, err
    assert time.perf_counter() - t0 < 30


@pytest.mark.parametrize("kind", ["missing", "empty", "directory", "text"])
def test_bad_target_files(tmp_path, capsys, kind):
    f = tmp_path / "model.pt"
    if kind == "empty":
        f.write_bytes(b"")
    elif kind == "directory":
        f.mkdir()
    elif kind == "text":
        f.write_text("not a model")
    for prefix in ("torch:", "npz:"):
        rc, _, err = _run(["build", "--target", prefix + str(f), "--out", str(tmp_path / "x.npz")], capsys)
        assert rc == 2, err


def test_not_certified_is_not_exit_zero(tmp_path, capsys):
    """A ticket whose certificate misses ε exits 1, in text and JSON mode, for build and check."""
    out = tmp_path / "t.npz"
    rc, text, _ = _run(["build", *FAST, "--out", str(out), "--option", "n_digits=3", "--option", "n_samples=400"],
                       capsys)
    assert rc == 1 and "NOT CERTIFIED" in text and out.is_file()
    assert _run(["check", str(out)], capsys)[0] == 1
    rc, js, _ = _run(["check", str(out), "--json"], capsys)
    assert rc == 1 and json.loads(js)["holds"] is False and json.loads(js)["exit_code"] == 1


def test_unsound_certificate_exits_5(dense, capsys, monkeypatch):
    import slt_check.certificates.sup_error as certify

    real = certify.sup_error

    def broken(*a, **k):  # noqa: ANN002,ANN003,ANN202
        e = real(*a, **k)
        e.certified = 0.5 * e.found
        return e

    monkeypatch.setattr(certify, "sup_error", broken)
    rc, _, err = _run(["check", str(dense)], capsys)
    assert rc == 5 and "UNSOUND" in err


@pytest.mark.parametrize("bad", ["missing_dir/t.npz", "t.txt", "."])
def test_bad_out_is_refused_before_the_build(tmp_path, capsys, bad, monkeypatch):
    import slt_check.pipeline.build as pipeline

    monkeypatch.setattr(pipeline, "build", lambda *a, **k: pytest.fail("built before checking --out"))
    out = tmp_path / bad if bad != "." else tmp_path
    rc, _, err = _run(["build", *FAST, "--out", str(out)], capsys)
    assert rc == 2 and "--out" in err


# ------------------------------------------------------------------ writes under signals and races

def _default_signals() -> None:
    """Undo an inherited 'ignore SIGINT' (test runners' workers and background shells set it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "slt_check", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_signals)


def test_concurrent_builds_to_one_file(tmp_path):
    out = tmp_path / "same.npz"
    procs = [_cli("build", *FAST, "--seed", str(s), "--out", str(out)) for s in (0, 1)]
    for p in procs:
        p.communicate(timeout=300)
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted(os.listdir(tmp_path)) == ["same.npz"]  # no temporary file left
    assert main(["check", str(out)]) == 0  # whichever won, the file is whole and valid


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_lazy_build_leaves_nothing(tmp_path, sig, code):
    """Stopped mid-build (two worker processes): the documented code, one line, no file, no orphans."""
    out = tmp_path / "t.npz"
    p = _cli("build", "--target", "random:32-64-64-8", "--eps", "1e-4", "--lazy", "--jobs", "2",
             "--out", str(out))  # a build of about 20 s
    deadline = time.monotonic() + 120
    while not (children := _children(p.pid)) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.1)  # imports and planning: wait until the workers run
    assert children, "the build never started its workers"
    time.sleep(0.5)
    p.send_signal(sig)
    _, err = p.communicate(timeout=60)
    assert p.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert os.listdir(tmp_path) == []
    time.sleep(1)
    assert not [c for c in children if _alive(c)], "worker processes outlived their parent"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] not in ("Z", "X")
    except OSError:
        return False


# ------------------------------------------------------------------ model files from strangers

class _Payload:
    """Unpickling this calls ``Path.touch(marker)``: code a model file must never get to run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (Path.touch, (self.marker,))


def test_a_model_file_that_runs_code_is_refused(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    model = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False, dtype=torch.float64))
    evil = tmp_path / "evil.pt"
    torch.save({"model": model, "payload": _Payload(marker)}, evil)
    rc, _, err = _run(["build", "--target", f"torch:{evil}", "--eps", "0.2", "--out", str(tmp_path / "t.npz")], capsys)
    assert rc == 2 and not marker.exists() and not (tmp_path / "t.npz").exists(), err


def test_a_trailing_relu_is_an_output_relu(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False, dtype=torch.float64), torch.nn.ReLU(),
                                torch.nn.Linear(3, 1, bias=False, dtype=torch.float64), torch.nn.ReLU())
    with torch.no_grad():
        for m in model:
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g, dtype=torch.float64) - 0.5)
    f = tmp_path / "m.pt"
    torch.save(model, f)
    out = tmp_path / "t.npz"
    rc, text, _ = _run(["build", "--target", f"torch:{f}", "--eps", "0.1", "--sharing", "per_input",
                        "--out", str(out)], capsys)
    assert rc == 0 and "output_relu = True" in text
    rc, _, err = _run(["build", "--target", f"torch:{f}", "--eps", "0.1", "--no-output-relu",
                       "--out", str(out)], capsys)
    assert rc == 2 and "ReLU" in err


@pytest.mark.parametrize("command", ["build", "check", "ledger", "report", "compare"])
def test_every_help_works(capsys, command):
    assert main([command, "--help"]) == 0
    assert "usage" in capsys.readouterr().out


def test_the_library_refuses_an_oversized_build_too():
    """Not only the CLI: build_ticket itself estimates the peak and refuses (no MemoryError)."""
    from slt_check import build_ticket, random_target
    from slt_check.pipeline.build import build_compact_ticket

    F = random_target([4, 8, 8, 2], 1.0, 0)
    with pytest.raises(ValueError, match="memory limit"):
        build_ticket(F, 1e-2, 0.05, 0, construction="malach")
    with pytest.raises(ValueError, match="memory limit"):
        build_compact_ticket(F, 1e-5, 0.05, 0, construction="malach")


def test_a_mask_the_stage_certificate_cannot_read_is_certified_by_milp(dense, tmp_path, capsys):
    """A genuine G with a mask keeping every input of one intermediate neuron (no depth-2l construction
    makes that, edge-popup does): still a pruning of G, so it is checked — by the exact MILP, since the
    stage certificate needs one input per neuron — never certified by something that misreads it."""
    a = _arrays(dense)
    m = a["mask_0"].copy()
    h = int(np.argmax(m.any(axis=1)))
    m[h, :] = True
    a = dict(a, mask_0=m, ticket_0=a["G_0"] * m)
    rc, out, err = _run(["check", str(_save(tmp_path / "two.npz", a)), "--json"], capsys)
    report = json.loads(out)
    assert rc in (0, 1) and report["certificate"] == "milp", err
    assert report["sup_error"]["found"] <= report["sup_error"]["certified"]
