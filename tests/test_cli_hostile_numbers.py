"""`slt-check` attacked with numbers and waits: extreme boxes, ε and options, a bad environment, a
scheduler that never answers, a MILP that would run on, and noise from warnings. Each must end in a
documented exit code with one clear line on stderr (never exit 70, never a traceback, never exit 5),
within a bounded time."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from slt_check.cli import main as cli_main
from slt_check.cli.main import EXIT_CODES, main
from slt_check.runtime import trials

FAST = ["--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input", "--seed", "0"]


def _run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    rc = main(argv)
    out = capsys.readouterr()
    assert rc in EXIT_CODES and rc != 70, f"exit {rc}: {out.err}"
    assert "Traceback" not in out.err and "Traceback" not in out.out
    assert len(out.err.strip().splitlines()) <= 2, out.err
    return rc, out.out, out.err


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("dense") / "t.npz"
    assert main(["build", *FAST, "--out", str(p)]) == 0
    return p


def _with_meta(src: Path, dst: Path, edit: Any) -> Path:
    """A copy of ``src`` whose meta JSON text is ``edit(text)``."""
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["meta"] = np.array(edit(str(arrays["meta"])))
    np.savez(dst, **arrays)
    return dst


# ------------------------------------------------------------------------------ float range


@pytest.mark.parametrize("x_max", ["5e307", "1e308", "1e251"])
def test_check_on_an_overflowing_box_is_bad_input(dense: Path, capsys: pytest.CaptureFixture, x_max: str) -> None:
    """Before: exit 5 (found inf > certified 2.5e305) or exit 70 (OverflowError)."""
    rc, _, err = _run(["check", str(dense), "--x-max", x_max], capsys)
    assert rc == 2 and "x_max" in err and "float64" in err


@pytest.mark.parametrize("certificate", ["propagation", "crown", "best"])
def test_check_on_a_subnormal_box_is_sound(dense: Path, capsys: pytest.CaptureFixture, certificate: str) -> None:
    rc, out, err = _run(["check", str(dense), "--x-max", "1e-320", "--certificate", certificate, "--json"], capsys)
    e = json.loads(out)["sup_error"]
    assert rc == 0 and e["certified"] >= e["found"] and e["certified"] > 0, err


def test_build_at_a_subnormal_eps_is_refused_not_unsound(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The reported case (before: a 12 s build ending in exit 5, certified 0 < found 1.98e-323)."""
    rc, _, err = _run(["build", "--target", "random:2-2-1", "--construction", "burkholz", "--eps", "5e-324",
                       "--x-max", "1e-320", "--out", str(tmp_path / "b.npz")], capsys)
    assert rc == 2 and "eps" in err


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--x-max", "5e307"], "x_max"),  # before: "Out of range float values are not JSON compliant"
    (["--x-max", "5e307", "--eps", "1e300"], "1e+100"),
    (["--w-max", "1e300"], "w_max"),
    (["--eps", "1e300"], "eps"),
])
def test_build_with_huge_numbers_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture, extra: list[str],
                                              fragment: str) -> None:
    rc, _, err = _run(["build", "--target", "random:2-2-1", *extra, "--out", str(tmp_path / "t.npz")], capsys)
    assert rc == 2 and fragment in err


def test_a_target_bias_of_1e300_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    f = tmp_path / "bias.npz"
    np.savez(f, W_0=np.array([[0.5, -0.2], [0.1, 0.3]]), b_0=np.array([1e300, 0.0]), W_1=np.array([[0.4, 0.2]]),
             b_1=np.array([0.1]))
    rc, _, err = _run(["build", "--target", f"npz:{f}", "--eps", "0.1", "--out", str(tmp_path / "t.npz")], capsys)
    assert rc == 2 and "b_max" in err


# ------------------------------------------------------------------------------ options and meta


@pytest.mark.parametrize(("construction", "option"), [
    ("orseau", "n_digits=1000000000"), ("orseau", "n_digits=1" + "0" * 400), ("orseau", "gamma=1e300"),
    ("pensia", "window=1e300"), ("pensia", "C=1e300"), ("pensia", "scale=1e300"), ("malach", "scale=1e300"),
    ("burkholz", "C=1e300"), ("burkholz", "rho=1e300"), ("burkholz", "rho=2.5"), ("orseau", "n_samples=1e300"),
])
def test_construction_options_out_of_range(tmp_path: Path, capsys: pytest.CaptureFixture, construction: str,
                                           option: str) -> None:
    """Before: exit 70 (OverflowError) for n_digits, burkholz C/rho, malach scale; others unclear."""
    rc, _, err = _run(["build", "--target", "random:2-2-1", "--construction", construction, "--option", option,
                       "--out", str(tmp_path / "o.npz")], capsys)
    key = option.split("=")[0]
    assert rc == 2 and f"option {key}" in err and "[" in err, err


@pytest.mark.parametrize(("key", "value"), [("n_digits", 10**9), ("n_digits", 10**400), ("gamma", 1e300)])
def test_a_file_with_options_out_of_range_is_refused(dense: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                                     key: str, value: Any) -> None:
    def edit(text: str) -> str:
        meta = json.loads(text)
        meta["options"][key] = 0
        return json.dumps(meta).replace(f'"{key}": 0', f'"{key}": {value}')

    rc, _, err = _run(["check", str(_with_meta(dense, tmp_path / "o.npz", edit))], capsys)
    assert rc == 4 and key in err


def test_a_file_with_x_max_10_to_the_400_is_refused(dense: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Before: exit 70 (OverflowError: int too large to convert to float)."""
    f = _with_meta(dense, tmp_path / "x.npz", lambda t: t.replace('"x_max": 1.0', '"x_max": 1' + "0" * 400))
    rc, _, err = _run(["check", str(f)], capsys)
    assert rc == 4 and "x_max" in err


def test_bad_memory_environment_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """Before: a traceback and exit 1 (the "not certified" code) even for --help."""
    monkeypatch.setenv("SLT_CHECK_MAX_MEMORY", "garbage")
    rc, _, err = _run(["--help"], capsys)
    assert rc == 2 and "SLT_CHECK_MAX_MEMORY" in err


# ------------------------------------------------------------------------------ waits


def test_a_scheduler_that_never_answers_times_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    """A socket on 127.0.0.1 that accepts and never answers: the run stops after the connect timeout
    with one line and exit 2 (before: it waited forever, also with dask's own timeout)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    monkeypatch.setattr(trials, "_DEFAULT", trials._DEFAULT)  # main() sets the process-wide executor: restore it
    monkeypatch.setattr(trials, "CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr("slt_check.cli.report.run_report",
                        lambda *a, **k: trials.run_trials(lambda c: c, [1, 2], desc="probe"))
    t0 = time.perf_counter()
    try:
        rc, _, err = _run(["report", "--scheduler", f"dask:tcp://127.0.0.1:{port}", "--out", str(tmp_path)],
                          capsys)
    finally:
        stop.set()
        th.join(5)
        for c in held:
            c.close()
        server.close()
        trials._CLIENTS.clear()
    assert rc == 2 and "did not answer" in err
    assert time.perf_counter() - t0 < 30


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A genuine G with a mask keeping every input of some intermediate neurons (the MILP fallback)."""
    d = tmp_path_factory.mktemp("multi")
    src = d / "t.npz"
    assert main(["build", "--target", "random:3-4-4-2", "--eps", "0.1", "--sharing", "per_input",
                 "--out", str(src)]) == 0
    with np.load(src) as z:
        a = {k: z[k] for k in z.files}
    for k in (0, 2):
        m = a[f"mask_{k}"].copy()
        m[np.flatnonzero(m.any(axis=1))[:3], :] = True
        a[f"mask_{k}"], a[f"ticket_{k}"] = m, a[f"G_{k}"] * m
    np.savez(d / "multi.npz", **a)
    return d / "multi.npz"


def test_milp_fallback_has_a_wall_clock_cap(multi: Path, capsys: pytest.CaptureFixture) -> None:
    """--time-limit caps the whole MILP fallback; when it runs out the verdict is its sound upper
    bound so far, and a note says so (before: no such flag — and no overall cap)."""
    t0 = time.perf_counter()
    rc, out, err = _run(["check", str(multi), "--time-limit", "0.001", "--json"], capsys)
    e = json.loads(out)["sup_error"]
    assert rc in (0, 1) and e["certificate"] == "milp" and e["exact_status"] == "time_limit"
    assert e["certified"] >= e["found"] and "--time-limit" in err
    assert time.perf_counter() - t0 < 60


def test_time_limit_must_be_positive(multi: Path, capsys: pytest.CaptureFixture) -> None:
    rc, _, err = _run(["check", str(multi), "--time-limit", "0"], capsys)
    assert rc == 2 and "--time-limit" in err


# ------------------------------------------------------------------------------ messages


@pytest.mark.filterwarnings("default::RuntimeWarning")  # as outside pytest (which makes warnings errors)
def test_a_warning_is_one_line(dense: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    """A RuntimeWarning raised during a command is one prefixed line, not a file path and source line."""
    import warnings

    real = cli_main.sup_error_any

    def warn_then_run(*a: Any, **k: Any) -> Any:
        warnings.warn("overflow encountered\nin matmul", RuntimeWarning, stacklevel=1)
        return real(*a, **k)

    monkeypatch.setattr(cli_main, "sup_error_any", warn_then_run)
    rc, _, err = _run(["check", str(dense)], capsys)
    assert rc == 0 and err.strip() == "slt-check check: warning: overflow encountered in matmul"
