"""slt-check build / check: the documented command works, bad input exits 2 with a clear message."""

import json
import subprocess
import sys

import pytest

from slt_check.cli.main import main


def test_build_then_check(tmp_path, capsys):
    out = tmp_path / "t.npz"
    rc = main(["build", "--target", "random:3-4-2", "--eps", "1e-2", "--delta", "0.05",
               "--seed", "0", "--construction", "orseau", "--out", str(out)])
    assert rc == 0 and out.is_file()
    text = capsys.readouterr().out
    assert "HOLDS" in text and "certified" in text
    assert main(["check", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["holds"] and report["sup_error"]["found"] <= report["sup_error"]["certified"] <= 1e-2


def test_failure_exit_code(tmp_path, capsys):
    rc = main(["build", "--target", "random:3-3", "--eps", "1e-3", "--out", str(tmp_path / "f.npz"),
               "--option", "n_samples=3"])
    assert rc == 3 and "not re-drawn" in capsys.readouterr().err
    assert not (tmp_path / "f.npz").exists()


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--eps", "0"], "eps"),
        (["--delta", "1.5"], "delta"),
        (["--target", "random:3"], "widths"),
        (["--construction", "nope"], "unknown construction"),
        (["--option", "oops"], "KEY=VALUE"),
    ],
    ids=["eps", "delta", "widths", "construction", "option"],
)
def test_bad_arguments(tmp_path, capsys, argv, match):
    base = ["build", "--target", "random:2-2", "--out", str(tmp_path / "x.npz")]
    assert main(base + argv) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_check_corrupt_file(tmp_path, capsys):
    p = tmp_path / "c.npz"
    p.write_text("garbage")
    assert main(["check", str(p)]) == 4  # the file is refused
    assert "not a readable" in capsys.readouterr().err


def test_help_runs_as_module():
    r = subprocess.run([sys.executable, "-m", "slt_check", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "build" in r.stdout and "certified" in r.stdout


def test_pensia_certificate_precision_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "p.npz"
    rc = main(["build", "--target", "random:6-5-3:kaiming", "--eps", "1e-2", "--delta", "0.05", "--seed", "0",
               "--construction", "pensia", "--option", "precision=certificate", "--out", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "per-layer precision from the certificate: η1=" in text and "HOLDS" in text


def test_check_with_the_crown_certificate(tmp_path, capsys):
    """--certificate crown|best: a sound bound between the found error and the propagation bound."""
    out = tmp_path / "t.npz"
    assert main(["build", "--target", "random:3-4-2", "--eps", "1e-2", "--out", str(out)]) == 0
    capsys.readouterr()
    res = {}
    for c in ("propagation", "crown", "best"):
        assert main(["check", str(out), "--json", "--certificate", c]) == 0
        res[c] = json.loads(capsys.readouterr().out)
    prop, crown, best = (res[c]["sup_error"] for c in ("propagation", "crown", "best"))
    assert crown["found"] <= crown["certified"] <= prop["certified"] * (1 + 1e-12)
    assert best["certified"] == min(prop["certified"], crown["certified"])
    assert main(["check", str(out), "--certificate", "exactish"]) == 2
