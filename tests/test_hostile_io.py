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


def _ticket_target(path: Path) -> list[np.ndarray]:
    with np.load(path) as z:
        return [z[k] for k in sorted((k for k in z.files if k.startswith("target_") and "bias" not in k),
                                     key=lambda k: int(k.rsplit("_", 1)[1]))]


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
    ws = _ticket_target(tmp_path / "t.npz")
    x = np.random.default_rng(0).uniform(-1, 1, (64, 2))
    h = x
    for k, w in enumerate(ws):
        h = h @ w.T
        h = np.maximum(h, 0) if k < len(ws) - 1 else h
    with torch.no_grad():
        ref = m(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(h, ref, rtol=0, atol=1e-12)  # the certified target is what torch computes


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
