"""Fuzzing `slt-check build` / `check` arguments: whatever a user types, the command ends with a
documented exit code, one line on stderr, no traceback, no internal error, and no file left behind
except the ticket it reports having saved."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slt_check.cli.main import EXIT_CODES, EXIT_INTERNAL, main

TARGETS = ["random:2-2-1", "random:2-3-1:normal", "random:1-1", "random:2-2-1:nope", "random:-2-2", "random:",
           "random:0-2", "random:3", "torch:/nonexistent.pt", "npz:/nonexistent.npz", "npz:{dir}", "torch:{dir}",
           "", "random:2-2-1:kaiming:x", "file:x", "random:２-2"]
NUMBERS = ["0", "-1", "nan", "inf", "-inf", "1e-300", "0.1", "0.3", "1", "2", "abc", "", "1e308", "0x10"]
KEYS = ["n_samples", "n_digits", "gamma", "sharing", "law", "precision", "window", "rho", "C", "evil", "", "a b"]
VALUES = ["0", "-1", "1.5", "3", "1000000000", "null", "true", "[1]", '{"a":1}', "per_input", "uniform", "NaN",
          "certificate", "x"]
CONSTRUCTIONS = ["orseau", "pensia", "malach", "factorial", "burkholz", "nope"]


@st.composite
def build_argv(draw: st.DrawFn, out: str, d: str) -> list[str]:
    argv = ["build", "--target", draw(st.sampled_from(TARGETS)).format(dir=d), "--out", out]
    for flag in ("--eps", "--delta", "--w-max", "--x-max", "--seed", "--jobs", "--max-memory"):
        if draw(st.booleans()):
            argv += [flag, draw(st.sampled_from(NUMBERS))]
    if draw(st.booleans()):
        argv += ["--construction", draw(st.sampled_from(CONSTRUCTIONS))]
    for _ in range(draw(st.integers(0, 2))):
        argv += ["--option", f"{draw(st.sampled_from(KEYS))}={draw(st.sampled_from(VALUES))}"]
    for flag in ("--lazy", "--allow-failure", "--no-certify", "--output-relu", "--no-output-relu"):
        if draw(st.integers(0, 4)) == 0:
            argv.append(flag)
    if draw(st.integers(0, 5)) == 0:
        argv.append(draw(st.sampled_from(["--bogus", "-x", "--sharing", "--sharing=per_input", "extra"])))
    return argv


def _outcome(argv: list[str], capsys) -> int:  # noqa: ANN001
    rc = main(argv)
    cap = capsys.readouterr()
    assert rc in EXIT_CODES and rc != EXIT_INTERNAL, (argv, rc, cap.err)
    assert "Traceback" not in cap.err + cap.out
    assert len(cap.err.strip().splitlines()) <= 2, cap.err  # the error, and at most one note
    return rc


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(data=st.data())
def test_build_arguments_fuzz(tmp_path_factory, capsys, data) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    out = data.draw(st.sampled_from([d / "t.npz", d / "t.txt", d / "missing" / "t.npz", d]), label="out")
    rc = _outcome(data.draw(build_argv(str(out), str(d)), label="argv"), capsys)
    left = sorted(os.listdir(d))
    saved = Path(out).is_file()
    assert left == ([Path(out).name] if saved else []), left
    if saved:
        assert rc in (0, 1, 3)
        assert main(["check", str(out)]) == rc if rc != 3 else True
        capsys.readouterr()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(extra=st.lists(st.sampled_from(["--x-max", "0", "-1", "nan", "1e-9", "--json", "--jobs", "0", "2",
                                       "--search-seed", "-3", "--target", "random:2-2-1", "random:-1",
                                       "--max-memory", "1K", "--exact", "--bogus"]), max_size=4))
def test_check_arguments_fuzz(tmp_path_factory, capsys, extra) -> None:
    d = tmp_path_factory.mktemp("fuzzc")
    main(["build", "--target", "random:2-2-1", "--eps", "0.2", "--sharing", "per_input", "--out", str(d / "t.npz")])
    capsys.readouterr()
    rc = _outcome(["check", str(d / "t.npz"), *extra], capsys)
    assert rc != 4 or "--max-memory" in extra  # a genuine file is refused only for want of memory
    assert sorted(os.listdir(d)) == ["t.npz"]


# ------------------------------------------------------------------ hostile files (slow: thorough profile / -m slow)
#
# Crafted model files, ticket files, outputs and results files, drawn by hypothesis. Asserted for every
# call: a documented exit code other than 70, no traceback, at most two stderr lines of bounded length
# and no raw control character on the terminal; the peak resident memory of the call (VmHWM, reset
# before it) within the memory limit; no model certified that is not what torch computes; no input
# file overwritten; a replaced file's mode kept. ``SLT_FUZZ_RECORD=<file.json>`` writes the counts;
# ``SLT_FUZZ_EXAMPLES=<n>`` sets the examples per class.

import collections  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import stat  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from slt_check.tickets.targets import target_from_spec  # noqa: E402

FUZZ_LIMIT = 512 * 2**20  # a dense check counts 400 MiB of interpreter (runtime.memory.BASELINE)
COUNTS: collections.Counter[str] = collections.Counter()
PEAK = {"bytes": 0}
_N = int(os.environ.get("SLT_FUZZ_EXAMPLES", "0")) or None
_FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
                 **({"max_examples": _N} if _N else {}))


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith(key))


def _hostile_call(argv: list[str], capsys, kind: str) -> tuple[int, str]:  # noqa: ANN001
    """One CLI call with the checks every hostile input must pass; returns (exit code, stdout)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset the peak RSS (VmHWM) to the current RSS
        before = _status("VmRSS:")
    except OSError:  # pragma: no cover - not Linux
        before = None
    limit = {"check": FUZZ_LIMIT, "build": 2**30}.get(argv[0])  # a dense build counts 400 MiB of interpreter
    rc = main([*argv, "--max-memory", str(limit)] if limit else argv)
    grown = _status("VmHWM:") - before if before is not None else 0
    cap = capsys.readouterr()
    COUNTS[f"{kind}: exit {rc}"] += 1
    COUNTS["calls"] += 1
    PEAK["bytes"] = max(PEAK["bytes"], grown)
    assert rc in EXIT_CODES and rc != EXIT_INTERNAL, (kind, argv, rc, cap.err)
    text = cap.out + cap.err
    assert "Traceback" not in text and "\x1b" not in text and "\u202e" not in text, (kind, text[-500:])
    assert len(cap.err.strip().splitlines()) <= 2 and all(len(x) < 1200 for x in cap.err.splitlines()), cap.err
    assert grown < FUZZ_LIMIT, (kind, argv, grown)
    return rc, cap.out


@pytest.fixture(scope="module", autouse=True)
def _record_counts():
    yield
    path = os.environ.get("SLT_FUZZ_RECORD")
    if path and COUNTS:
        Path(path).write_text(json.dumps({"counts": dict(sorted(COUNTS.items())), "peak_rss_growth_MiB":
                                          round(PEAK["bytes"] / 2**20, 1), "limit_MiB": FUZZ_LIMIT // 2**20},
                                         indent=1) + "\n")


def _rewrite_zip(src: Path, dst: Path, extra: dict[str, bytes]) -> None:
    """``src`` copied to ``dst`` plus ``extra`` members (a name already there is written twice)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for info in zi.infolist():
            zo.writestr(info, zi.read(info))
        for name, data in extra.items():
            zo.writestr(name, data)


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a)
    return buf.getvalue()


TORCH_ATTACKS = ("plain", "shadow", "extra attribute", "buffer", "shuffled state dict", "renamed state dict",
                 "duplicate member")
NAMES = ["fc1", "0", "2", "4", "01", "net.0", "net.2", "a.1", "", "x.y", "-1", "1e3", "９"]


@pytest.mark.slow
@_FUZZ
@given(data=st.data())
def test_hostile_model_files_fuzz(tmp_path_factory, capsys, data) -> None:
    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("hm")
    widths = data.draw(st.lists(st.integers(1, 3), min_size=2, max_size=4), label="widths")
    g = torch.Generator().manual_seed(data.draw(st.integers(0, 2**31), label="seed"))
    mods: list = []
    for k, (a, b) in enumerate(zip(widths, widths[1:])):
        lin = torch.nn.Linear(a, b, bias=False).double()
        with torch.no_grad():
            lin.weight.copy_(torch.rand(b, a, generator=g, dtype=torch.float64) * 2 - 1)
        mods += [lin] + ([torch.nn.ReLU()] if k < len(widths) - 2 else [])
    m = torch.nn.Sequential(*mods)
    attack = data.draw(st.sampled_from(TORCH_ATTACKS), label="attack")
    lins = [x for x in m if isinstance(x, torch.nn.Linear)]
    victim = lins[data.draw(st.integers(0, len(lins) - 1), label="victim")]
    p = d / "m.pt"
    obj: object = m
    order_of_layers = list(range(len(lins)))  # the order torch runs them in: by Sequential index
    if attack == "shadow":
        object.__setattr__(victim, "weight", torch.rand(victim.weight.shape, generator=g, dtype=torch.float64))
    elif attack == "extra attribute":
        victim.__dict__[data.draw(st.sampled_from(["scale", "bias_", "forward_", "w"]))] = torch.ones(1)
    elif attack == "buffer":
        victim.register_buffer("running", torch.ones(1, dtype=torch.float64))
    elif attack in ("shuffled state dict", "renamed state dict"):
        items = list(m.state_dict().items())
        if attack == "renamed state dict":
            names = data.draw(st.lists(st.sampled_from(NAMES), min_size=len(items), max_size=len(items),
                                       unique=True), label="names")
            items = [(f"{n}.weight", v) for n, (_, v) in zip(names, items)]
            index = [int(n.rpartition(".")[2]) if n.rpartition(".")[2].isdigit() else -1 for n in names]
            order_of_layers = sorted(range(len(lins)), key=lambda i: index[i])
        order = data.draw(st.permutations(range(len(items))), label="order")
        obj = dict(items[i] for i in order)
    torch.save(obj, p)
    if attack == "duplicate member":
        with zipfile.ZipFile(p) as z:
            member = data.draw(st.sampled_from([n for n in z.namelist() if "/data/" in n]), label="member")
            raw = bytes(len(z.read(member)))
        _rewrite_zip(p, d / "dup.pt", {member: raw})
        p = d / "dup.pt"
    before = p.read_bytes()
    rc, _ = _hostile_call(["build", "--target", f"torch:{p}", "--eps", "0.5", "--sharing", "per_input",
                           "--out", str(d / "t.npz")], capsys, f"model file: {attack}")
    assert p.read_bytes() == before
    if rc not in (0, 1):
        return
    assert attack in ("plain", "shuffled state dict", "renamed state dict"), attack  # the others are refused
    x = np.random.default_rng(0).uniform(-1, 1, (16, widths[0]))
    runs = [lins[i] for i in order_of_layers]  # a state dict means: module k holds the weight named k
    with torch.no_grad():
        ref = torch.nn.Sequential(*sum(([lin, torch.nn.ReLU()] for lin in runs), [])[:-1])(torch.from_numpy(x))
    ref = ref.numpy()
    certified = target_from_spec(f"npz:{d / 't.npz'}")  # the target the ticket file certifies
    assert np.abs(certified(x) - ref).max() <= 1e-12, "a model torch does not compute was certified"


@pytest.fixture(scope="module")
def genuine_tickets(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("gt")
    out = {}
    for name, extra in (("dense", []), ("compact", ["--lazy"])):
        out[name] = d / f"{name}.npz"
        assert main(["build", "--target", "random:2-3-1", "--eps", "0.2", "--sharing", "per_input", *extra,
                     "--out", str(out[name])]) == 0
    return out


JUNK = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
                    | st.text(alphabet=st.sampled_from("ab|<>\n\x1b[]\u202e1"), max_size=12),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from("abc"), c, max_size=3),
                    max_leaves=8)
TICKET_ATTACKS = ("narrow dtype", "duplicate member", "deep meta", "junk layers", "control characters",
                  "source widths", "target spec", "many members")
HARMLESS = ("junk layers", "control characters")  # informational records: a HOLDS may stand


@pytest.mark.slow
@_FUZZ
@given(data=st.data())
def test_hostile_ticket_files_fuzz(genuine_tickets, tmp_path_factory, capsys, data) -> None:
    d = tmp_path_factory.mktemp("ht")
    which = data.draw(st.sampled_from(["dense", "compact"]), label="which")
    src = genuine_tickets[which]
    with np.load(src) as z:
        a = {k: z[k] for k in z.files}
    meta = json.loads(str(a["meta"]))
    attack = data.draw(st.sampled_from(TICKET_ATTACKS), label="attack")
    extra: dict[str, bytes] = {}
    if attack == "narrow dtype":
        key = data.draw(st.sampled_from(sorted(k for k in a if k != "meta")), label="key")
        n = data.draw(st.integers(FUZZ_LIMIT // 9 + 1, FUZZ_LIMIT // 2), label="entries")  # < limit as int8
        a[key] = np.zeros(n, data.draw(st.sampled_from([np.int8, np.uint8, np.float16, np.int32])))
    elif attack == "duplicate member":
        key = data.draw(st.sampled_from(sorted(k for k in a if k != "meta")), label="key")
        extra = {f"{key}.npy": _npy(np.zeros_like(a[key]))}
    elif attack == "deep meta":
        depth = data.draw(st.integers(65, 200_000), label="depth")
        meta["layers"] = json.loads("1") if depth < 0 else None
        a["meta"] = np.array('{"x":' * depth + json.dumps(meta) + "}" * depth)
    elif attack == "junk layers":
        meta.update(layers=data.draw(JUNK), precision=data.draw(st.sampled_from(["certificate", "r8", None])))
    elif attack == "control characters":
        key = data.draw(st.sampled_from(["target_spec", "construction", "timing_s", "note"]), label="key")
        meta[key] = data.draw(st.text(alphabet=st.sampled_from("ab\n\r\x1b[32m\u202e\x07 HOLDS"), max_size=3000))
    elif attack == "source widths":
        if "source" not in meta:
            return
        ws = list(meta["source"]["widths"])
        i = data.draw(st.integers(0, len(ws) - 1))
        ws[i] = data.draw(st.sampled_from([10**6, 4 * 10**8, 10**15, 4e8, -1, 0, "3"]))
        meta["source"] = dict(meta["source"], widths=ws)
    elif attack == "target spec":
        meta["target_spec"] = f"random:2-{data.draw(st.integers(1, 10**9))}-1"
    elif attack == "many members":
        for i in range(data.draw(st.integers(100, 5000), label="members")):
            a[f"junk_{i}\x1b[2J"] = np.zeros(0)
    if attack not in ("deep meta",):
        a["meta"] = np.array(json.dumps(meta))
    p = d / "f.npz"
    (np.savez_compressed if attack == "narrow dtype" else np.savez)(p, **a)
    if extra:
        _rewrite_zip(p, d / "g.npz", extra)
        p = d / "g.npz"
    rc, out = _hostile_call(["check", str(p)], capsys, f"ticket file ({which}): {attack}")
    assert rc != 0 or attack in HARMLESS or (attack == "target spec" and meta["target_spec"] == "random:2-3-1"), \
        (attack, out[-300:])


@pytest.mark.slow
@_FUZZ
@given(spelling=st.sampled_from(["abs", "rel", "dot", "parent", "symlink", "hardlink"]),
       mode=st.sampled_from([0o600, 0o640, 0o644, 0o660]), umask=st.sampled_from([0o022, 0o077, 0o027, 0o002]))
def test_outputs_never_clobber_and_keep_modes_fuzz(tmp_path_factory, capsys, monkeypatch, spelling, mode,
                                                   umask) -> None:
    d = tmp_path_factory.mktemp("out")
    (d / "sub").mkdir()
    src = d / "m.npz"
    np.savez(src, W_0=np.array([[0.5, -0.2], [0.1, 0.3]]), W_1=np.array([[0.4, 0.2]]))
    monkeypatch.chdir(d / "sub")
    out = {"abs": src, "rel": Path("../m.npz"), "dot": Path(".././m.npz"), "parent": Path("../sub/../m.npz"),
           "symlink": d / "l.npz", "hardlink": d / "h.npz"}[spelling]
    if spelling == "symlink":
        os.symlink(src, out)
    if spelling == "hardlink":
        os.link(src, out)
    before = src.read_bytes()
    rc, _ = _hostile_call(["build", "--target", "npz:../m.npz", "--eps", "0.05", "--out", str(out)], capsys,
                          f"output is the input: {spelling}")
    assert rc == 2 and src.read_bytes() == before
    old = os.umask(umask)
    try:
        rc, _ = _hostile_call(["build", "--target", "npz:../m.npz", "--eps", "0.05", "--out", "new.npz"], capsys,
                              "new output under a umask")
        assert rc == 0 and stat.S_IMODE(os.stat("new.npz").st_mode) == 0o666 & ~umask
        os.chmod("new.npz", mode)
        rc, _ = _hostile_call(["build", "--target", "npz:../m.npz", "--eps", "0.05", "--out", "new.npz"], capsys,
                              "replaced output keeps its mode")
        assert rc == 0 and stat.S_IMODE(os.stat("new.npz").st_mode) == mode
    finally:
        os.umask(old)


@pytest.mark.slow
@_FUZZ
@given(data=st.data())
def test_hostile_results_files_fuzz(tmp_path_factory, capsys, data) -> None:
    from slt_check.claims import ledger

    d = tmp_path_factory.mktemp("res")
    results = json.loads(ledger.RECORD_PATH.read_text())
    node, key = results, None
    for _ in range(data.draw(st.integers(0, 5), label="depth")):  # walk to a random place …
        if not isinstance(node, dict) or not node:
            break
        key = data.draw(st.sampled_from(sorted(node)), label="key")
        if isinstance(node[key], dict) and data.draw(st.booleans()):
            node = node[key]
            key = None
    if key is not None:
        node[key] = data.draw(JUNK, label="junk")  # … and put junk there
    text = json.dumps(results)
    if data.draw(st.integers(0, 9), label="cut") == 0:
        text = text[: data.draw(st.integers(0, len(text)))]
    (d / "r.json").write_text(text)
    rc, _ = _hostile_call(["ledger", "--from", str(d / "r.json"), "--check"], capsys, "results file")
    assert rc in (0, 1, 2)
    if rc in (0, 1):
        table = ledger.render_table(ledger.load_results(d / "r.json"))
        assert all(line.count(" | ") == 8 for line in table.splitlines() if line.startswith("| ") and "---" not in line)
