"""Hostile inputs that attack what `slt-check` reads and writes rather than the ticket's numbers: a
model file whose weights are not the ones torch runs, a state dict in shuffled order, outputs that
would overwrite the input or widen a file's permissions, zip files with two members of one name,
small files that declare huge work, metadata that breaks the parser, and strings that try to draw on
the terminal. Each must end in a documented exit code with one escaped line, never in a HOLDS for a
model torch does not compute, never in a clobbered file."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest

from slt_check.cli.main import EXIT_CODES, EXIT_INTERNAL, main
from slt_check.tickets.targets import target_from_spec

torch = pytest.importorskip("torch")

EPS = ["--eps", "0.05"]


def _run(argv: list[str], capsys) -> tuple[int, str, str]:  # noqa: ANN001
    rc = main(argv)
    cap = capsys.readouterr()
    assert rc in EXIT_CODES and rc != EXIT_INTERNAL, (argv, rc, cap.err)
    assert "Traceback" not in cap.err + cap.out
    assert len(cap.err.strip().splitlines()) <= 2, cap.err
    return rc, cap.out, cap.err


def _model(*widths: int, seed: int = 0) -> torch.nn.Sequential:
    g = torch.Generator().manual_seed(seed)
    mods: list[torch.nn.Module] = []
    for k, (a, b) in enumerate(zip(widths, widths[1:])):
        lin = torch.nn.Linear(a, b, bias=False).double()
        with torch.no_grad():
            lin.weight.copy_(torch.rand(b, a, generator=g, dtype=torch.float64) * 2 - 1)
        mods += [lin] + ([torch.nn.ReLU()] if k < len(widths) - 2 else [])
    return torch.nn.Sequential(*mods)


# ------------------------------------------------------------------ the model torch runs


def test_a_parameter_shadowed_by_an_instance_attribute_is_refused(tmp_path, capsys):
    m = _model(2, 3, 1)
    object.__setattr__(m[0], "weight", torch.zeros(3, 2, dtype=torch.float64))  # torch computes with this
    torch.save(m, tmp_path / "shadow.pt")
    x = torch.ones(1, 2, dtype=torch.float64)
    with torch.no_grad():
        assert float(torch.load(tmp_path / "shadow.pt", weights_only=False)(x)) == 0.0  # what torch runs
    rc, out, err = _run(["build", "--target", f"torch:{tmp_path / 'shadow.pt'}", *EPS,
                         "--out", str(tmp_path / "t.npz")], capsys)
    assert rc == 2 and "shadows its parameter" in err and "HOLDS" not in out
    assert not (tmp_path / "t.npz").exists()
    m2 = _model(2, 3, 1)
    m2[0].__dict__["scale"] = torch.ones(1)  # an attribute a Linear does not have
    torch.save(m2, tmp_path / "extra.pt")
    rc, _, err = _run(["build", "--target", f"torch:{tmp_path / 'extra.pt'}", *EPS,
                       "--out", str(tmp_path / "t.npz")], capsys)
    assert rc == 2 and "'scale'" in err


def test_a_state_dict_in_reversed_order_is_read_by_module_index(tmp_path, capsys):
    m = _model(2, 4, 3, 1, seed=3)
    sd = m.state_dict()
    torch.save(dict(reversed(list(sd.items()))), tmp_path / "rev.pt")
    rc, out, _ = _run(["build", "--target", f"torch:{tmp_path / 'rev.pt'}", *EPS,
                       "--out", str(tmp_path / "t.npz")], capsys)
    assert rc == 0 and "HOLDS" in out
    x = np.random.default_rng(0).uniform(-1, 1, (64, 2))
    with torch.no_grad():
        ref = m(torch.from_numpy(x)).numpy()
    certified = target_from_spec(f"npz:{tmp_path / 't.npz'}")  # the target the ticket file certifies
    np.testing.assert_allclose(certified(x), ref, rtol=0, atol=1e-12)


# ------------------------------------------------------------------ data: what is written, what is read


@pytest.fixture(scope="module")
def npz_target(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("npzt") / "m.npz"
    np.savez(p, W_0=np.array([[0.5, -0.2], [0.1, 0.3]]), W_1=np.array([[0.4, 0.2]]))
    return p


@pytest.fixture(scope="module")
def dense(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("dense") / "t.npz"
    assert main(["build", "--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input", "--out", str(p)]) == 0
    return p


def test_the_output_is_never_the_input(npz_target, tmp_path, capsys, monkeypatch):
    d = tmp_path
    (d / "m.npz").write_bytes(npz_target.read_bytes())
    os.symlink(d / "m.npz", d / "link.npz")
    os.link(d / "m.npz", d / "hard.npz")
    (d / "sub").mkdir()
    monkeypatch.chdir(d / "sub")
    before = (d / "m.npz").read_bytes()
    for out in (d / "m.npz", d / "link.npz", d / "hard.npz", Path("../m.npz")):
        rc, _, err = _run(["build", "--target", "npz:../m.npz", *EPS, "--out", str(out)], capsys)
        assert rc == 2 and "is the input file" in err, out
    assert (d / "m.npz").read_bytes() == before


def test_written_files_keep_their_mode_and_honour_the_umask(npz_target, tmp_path, capsys):
    out = tmp_path / "t.npz"
    old = os.umask(0o077)
    try:
        assert main(["build", "--target", f"npz:{npz_target}", *EPS, "--out", str(out)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    out.chmod(0o640)
    assert main(["build", "--target", f"npz:{npz_target}", *EPS, "--out", str(out)]) == 0
    capsys.readouterr()
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def _duplicate_member(src: Path, dst: Path, member: str, data: bytes) -> None:
    import warnings

    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the attack
        for info in zi.infolist():
            zo.writestr(info, zi.read(info))
        zo.writestr(member, data)


def test_duplicate_zip_members_are_refused(dense, npz_target, tmp_path, capsys):
    with zipfile.ZipFile(dense) as z:
        mask = next(n for n in z.namelist() if n.startswith("mask_"))
        data = z.read(mask)
    _duplicate_member(dense, tmp_path / "dup.npz", mask, data)
    rc, out, err = _run(["check", str(tmp_path / "dup.npz")], capsys)
    assert rc == 4 and "two members named" in err and "HOLDS" not in out
    with zipfile.ZipFile(npz_target) as z:
        w = z.read("W_0.npy")
    _duplicate_member(npz_target, tmp_path / "dupt.npz", "W_0.npy", w)
    rc, _, err = _run(["build", "--target", f"npz:{tmp_path / 'dupt.npz'}", *EPS, "--out", str(tmp_path / "o.npz")],
                      capsys)
    assert rc == 2 and "twice" in err


# ------------------------------------------------------------------ memory: estimated before allocated


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _with_meta(src: Path, dst: Path, **changes) -> Path:  # noqa: ANN003
    a = _arrays(src)
    meta = json.loads(str(a["meta"])) | changes
    np.savez(dst, **dict(a, meta=np.array(json.dumps(meta))))
    return dst


@pytest.fixture(scope="module")
def compact(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("compact") / "c.npz"
    assert main(["build", "--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input", "--lazy",
                 "--out", str(p)]) == 0
    return p


def _peak(argv: list[str], capsys) -> tuple[int, str, float]:  # noqa: ANN001
    """Exit code, stderr and the peak of numpy/Python allocations (tracemalloc) of one command."""
    import tracemalloc

    tracemalloc.start()
    try:
        rc, _, err = _run(argv, capsys)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return rc, err, peak


LIMIT = 64 * 2**20


def test_small_files_that_declare_big_work_are_refused_before_allocating(dense, compact, tmp_path, capsys):
    a = _arrays(dense)
    a["G_0"] = np.zeros((1000, 40_000), np.int8)  # 38 MiB of int8 < 64 MiB; 343 MiB as float64
    np.savez_compressed(tmp_path / "int8.npz", **a)
    m = json.loads(str(_arrays(compact)["meta"]))
    attacks = {
        "int8": (["check", str(tmp_path / "int8.npz")], "float64"),
        "widths": (["check", str(_with_meta(compact, tmp_path / "w.npz", source=m["source"] | {
            "widths": [2, 400_000_000, 1]}))], "to index"),
        "spec": (["check", str(_with_meta(dense, tmp_path / "s.npz", target_spec="random:2-16000000-1"))],
                 "problem's widths"),
        "random build": (["build", "--target", "random:2-4000000-1", "--out", str(tmp_path / "o.npz")],
                         "memory limit"),
        "jobs": (["check", str(compact), "--jobs", "48"], "48 worker processes"),
        "batch": (["build", "--target", "random:2-2-1", "--eps", "0.3", "--construction", "edge-popup",
                   "--option", "batch=100000000", "--out", str(tmp_path / "o.npz")], "batch"),
    }
    for name, (argv, fragment) in attacks.items():
        limit = LIMIT if name != "batch" else 2**30  # a dense build counts 400 MiB for the interpreter
        rc, err, peak = _peak([*argv, "--max-memory", str(limit)], capsys)
        assert rc in (2, 4) and fragment in err, (name, rc, err)
        assert peak < LIMIT, (name, peak)
    assert not (tmp_path / "o.npz").exists()


# ------------------------------------------------------------------ malformed files: documented codes


def test_malformed_metadata_and_results_files_end_in_documented_codes(dense, tmp_path, capsys):
    deep = '{"x":' * 100_000 + "1" + "}" * 100_000
    a = _arrays(dense)
    np.savez(tmp_path / "deep.npz", **dict(a, meta=np.array(deep)))
    rc, _, err = _run(["check", str(tmp_path / "deep.npz")], capsys)
    assert rc == 4 and "nested deeper" in err
    p = _with_meta(dense, tmp_path / "layers.npz", layers=[1, "x", {"layer": "\x1b[2J", "eta": "y"}],
                   precision="certificate")
    rc, out, _ = _run(["check", str(p)], capsys)  # informational records: shown escaped, never a crash
    assert rc == 0 and "\x1b" not in out
    for i, text in enumerate(['{"claims": {"A": {"verdict": 3}}}', "[1, 2]", "{", deep,
                              '{"claims": {"A": {"verdict": "holds", "details": {"rate_tests": [{"n": 3}]}}}}']):
        (tmp_path / f"r{i}.json").write_text(text)
        rc, _, err = _run(["ledger", "--from", str(tmp_path / f"r{i}.json"), "--check"], capsys)
        assert rc == 2 and "r" in err, (text[:40], err)


@pytest.mark.parametrize("content", ['{"points": [1]}', '{"points": [{"params": 1}]}', '{"meta": 3, "points": []}',
                                     "[" * 5000 + "]" * 5000])
def test_a_malformed_sweep_file_is_one_value_error(tmp_path, content):
    from slt_check.experiments.sweep import run_sweep

    (tmp_path / "s.json").write_text(content)
    with pytest.raises(ValueError, match="sweep file|nested") as info:
        run_sweep(tmp_path / "s.json", [{"a": 1}], fn=lambda p: {"r": 1})
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ messages


def test_strings_from_a_file_are_printed_escaped_and_short(npz_target, tmp_path, capsys):
    t = tmp_path / "t.npz"
    assert main(["build", "--target", f"npz:{npz_target}", *EPS, "--out", str(t)]) == 0
    capsys.readouterr()
    forged = _with_meta(t, tmp_path / "f.npz", target_spec="npz:m\n\x1b[32mHOLDS\u202e" + "x" * 5000)
    rc, out, _ = _run(["check", str(forged)], capsys)
    assert rc == 0 and "\x1b" not in out and "\u202e" not in out and "\\x1b[32mHOLDS" in out
    assert max(len(line) for line in out.splitlines()) < 600
    a = _arrays(t)  # 3000 unexpected members (a 60 KB list of names): one short line
    np.savez(tmp_path / "many.npz", **a, **{f"junk_{i}\x1b[2J": np.zeros(0) for i in range(3000)})
    rc, _, err = _run(["check", str(tmp_path / "many.npz")], capsys)
    assert rc == 4 and len(err) < 1200 and "\x1b" not in err and "more characters" in err


def test_a_ledger_verdict_cannot_break_the_markdown_table():
    from slt_check.claims import ledger

    claims = ledger.load_results(ledger.RECORD_PATH)
    cid = next(iter(claims["claims"]))
    claims["claims"][cid]["verdict"] = "holds | x |\n| forged | <script>"
    row = next(line for line in ledger.render_table(claims).splitlines() if line.startswith(f"| {cid} |"))
    assert row.count(" | ") == 8 and "<script>" not in row and "\n" not in row  # still nine cells


def test_late_checks_are_done_up_front(tmp_path, capsys, monkeypatch):
    long = tmp_path / ("a" * 245 + ".npz")
    rc, _, err = _run(["build", "--target", "random:2-2-1", "--out", str(long)], capsys)
    assert rc == 2 and "file name is" in err
    monkeypatch.chdir(tmp_path)
    (tmp_path / "readme.md").write_text("no markers here\n")
    rc, _, err = _run(["compare", "--readme", "readme.md", "--eps", "0.1", "0.01", "0.001"], capsys)
    assert rc == 2 and "markers" in err and not (tmp_path / "results").exists()  # nothing created, nothing run
    rc, _, err = _run(["compare", "--eps", "0.1", "--out", "new/x.md"], capsys)
    assert rc == 2 and not (tmp_path / "new").exists()
    os.mkfifo(tmp_path / "fifo.npz")
    rc, _, err = _run(["check", str(tmp_path / "fifo.npz")], capsys)
    assert rc == 2 and "not a regular file" in err
