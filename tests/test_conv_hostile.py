"""Forged or malformed CNN ticket files: refused with exit code 4 and one line, never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slt_check.cli.main import main

ARCH = "1x4x4:conv2k2b,relu,flatten,linear2"


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> str:  # noqa: ANN001
    out = str(tmp_path_factory.mktemp("cnn") / "t.npz")
    assert main(["build", "--target", f"random-cnn:{ARCH}", "--eps", "0.05", "--out", out,
                 "--option", "precision=certificate"]) == 0
    return out


def _forge(src: str, dst: str, edit) -> str:  # noqa: ANN001
    with np.load(src) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["meta"]))
    edit(arrays, meta)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)
    return dst


FORGERIES = {
    "value copied from elsewhere": lambda a, m: a.__setitem__("en_b1", a["en_b1"][::-1].copy()),
    "float indices": lambda a, m: a.__setitem__("ch_q0", a["ch_q0"].astype(np.float64)),
    "column out of range": lambda a, m: a["ch_q0"].__setitem__(0, 10**6),
    "negative sample": lambda a, m: a["ch_s0"].__setitem__(0, -5),
    "sample beyond N": lambda a, m: a["ch_s0"].__setitem__(0, 10**9),
    "missing array": lambda a, m: a.pop("en_o1"),
    "bad arch": lambda a, m: m.__setitem__("arch", "1x4x4:conv2k9"),
    "other construction": lambda a, m: m.__setitem__("construction", "dacunha"),
    "unknown option": lambda a, m: m["options"].__setitem__("rm_rf", True),
    "target weight changed": lambda a, m: a["W0"].__setitem__((0, 0, 0, 0), 0.5),
    "eps loosened": lambda a, m: m["problem"].__setitem__("eps", 0.5),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_cnn_tickets_are_refused(honest: str, tmp_path, capsys, name: str) -> None:  # noqa: ANN001
    path = _forge(honest, str(tmp_path / "f.npz"), FORGERIES[name])
    capsys.readouterr()
    assert main(["check", path]) == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ticket refused" in err[0]
