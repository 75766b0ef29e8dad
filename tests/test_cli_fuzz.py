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
