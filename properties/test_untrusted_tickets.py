"""R-mask on files from strangers: `slt-check check` certifies only prunings of the seed's G.

The claim "Ĝ = G ⊙ mask, G reproducible from its seed and independent of F" is what makes a ticket a
ticket; a checker that accepts a file whose G was edited (or whose target, seed, problem or
construction was changed) would let anyone pass off a copied or trained network as a pruned one.
Hypothesis tampers with genuine ticket files — one bit of one entry of any array, a meta field set
to another value, truncation — and the property is: `check` ends with a documented exit code and
one line on stderr, and it never says HOLDS (exit 0) unless G, the target and the recorded
construction, options, problem and seed are exactly the original's (a different mask of the same G
is a genuine pruning and may hold).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slt_check.cli.main import EXIT_CODES, main

pytestmark = pytest.mark.claim("R-mask")

BUILDS = {
    "dense": ["--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input", "--seed", "3"],
    "compact": ["--target", "random:2-3-1", "--eps", "0.1", "--sharing", "per_input", "--seed", "3", "--lazy"],
    "pensia": ["--target", "random:2-2-1", "--eps", "0.1", "--construction", "pensia", "--seed", "4"],
    "burkholz": ["--target", "random:2-2-1", "--eps", "0.3", "--delta", "0.2", "--construction", "burkholz",
                 "--seed", "5"],
}
IDENTITY = ("construction", "options", "problem", "seed", "source", "stages")


class _Genuine(dict):
    """The genuine files by construction, with a short repr (Hypothesis prints failing examples)."""

    def __repr__(self) -> str:
        return f"<genuine tickets {sorted(self)}>"


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> dict[str, tuple[Path, dict[str, np.ndarray]]]:
    d = tmp_path_factory.mktemp("genuine")
    out = _Genuine()
    for name, argv in BUILDS.items():
        p = d / f"{name}.npz"
        assert main(["build", *argv, "--allow-failure", "--out", str(p)]) in (0, 1, 3)
        with np.load(p) as z:
            out[name] = (p, {k: z[k] for k in z.files})
    return out


def _check(path: Path, capsys) -> tuple[int, str]:  # noqa: ANN001
    rc = main(["check", str(path)])
    cap = capsys.readouterr()
    assert rc in EXIT_CODES and rc != 70, (rc, cap.err)
    assert "Traceback" not in cap.err and len(cap.err.strip().splitlines()) <= 1, cap.err
    return rc, cap.out


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _untouched(orig: dict[str, np.ndarray], new: dict[str, np.ndarray]) -> bool:
    """G (or the compact entries' values and positions), the target and the identity fields of meta
    are exactly the original's."""
    for k, v in orig.items():
        if k.startswith(("G_", "target_", "vals_", "rows_", "cols_")) and (k not in new or not _same(v, new[k])):
            return False
    try:
        m0, m1 = json.loads(str(orig["meta"])), json.loads(str(new["meta"]))
    except (KeyError, json.JSONDecodeError):
        return False
    return isinstance(m1, dict) and all(m0.get(k) == m1.get(k) for k in IDENTITY)


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=False),
                        st.text(max_size=8), st.just([0, 1]), st.just({"law": "uniform", "low": 0.5, "high": 0.5}))


CAPTURE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # capsys is read per example


@CAPTURE
@given(which=st.sampled_from(sorted(BUILDS)), pick=st.integers(0, 10**6), byte=st.integers(0, 10**9),
       bit=st.integers(0, 7))
def test_a_flipped_bit_never_holds_unless_harmless(genuine, tmp_path_factory, capsys, which, pick, byte,
                                                   bit) -> None:
    path, orig = genuine[which]
    names = sorted(k for k in orig if k != "meta" and orig[k].size)
    name = names[pick % len(names)]
    arr = orig[name].copy()
    flat = arr.reshape(-1).view(np.uint8)
    flat[byte % flat.size] ^= np.uint8(1 << bit)
    new = dict(orig, **{name: arr})
    p = tmp_path_factory.mktemp("flip") / "t.npz"
    np.savez(p, **new)
    rc, _ = _check(p, capsys)
    if not _untouched(orig, new):
        assert rc != 0, f"HOLDS for a file whose {name} was changed"


@CAPTURE
@given(which=st.sampled_from(sorted(BUILDS)), pick=st.integers(0, 10**6), sub=st.integers(0, 10**6),
       action=st.sampled_from(["set", "set-nested", "delete"]), value=JSON_VALUES)
def test_an_edited_meta_never_holds_unless_harmless(genuine, tmp_path_factory, capsys, which, pick, sub, action,
                                                     value) -> None:
    path, orig = genuine[which]
    meta = json.loads(str(orig["meta"]))
    key = sorted(meta)[pick % len(meta)]
    if action == "set-nested" and isinstance(meta[key], dict) and meta[key]:
        meta[key][sorted(meta[key])[sub % len(meta[key])]] = value
    elif action == "delete":
        del meta[key]
    else:
        meta[key] = value
    new = dict(orig, meta=np.array(json.dumps(meta)))
    p = tmp_path_factory.mktemp("meta") / "t.npz"
    np.savez(p, **new)
    rc, _ = _check(p, capsys)
    if not _untouched(orig, new):
        assert rc != 0, f"HOLDS after meta[{key!r}] was changed ({action})"


@CAPTURE
@given(which=st.sampled_from(sorted(BUILDS)), frac=st.floats(0.0, 0.999))
def test_a_truncated_file_is_refused(genuine, tmp_path_factory, capsys, which, frac) -> None:
    path, _ = genuine[which]
    raw = path.read_bytes()
    p = tmp_path_factory.mktemp("trunc") / "t.npz"
    p.write_bytes(raw[: int(frac * len(raw))])
    assert _check(p, capsys)[0] == 4


def test_a_forged_G_is_refused_for_every_construction(genuine, tmp_path, capsys) -> None:
    """Every kept entry of G replaced by the value a copying 'construction' would want (the dense
    files: G itself; compact files: the kept values) — the ticket recomputed to match."""
    for which, (_, orig) in genuine.items():
        new = dict(orig)
        for k in [k for k in orig if k.startswith("G_")]:
            G = np.round(orig[k], 1)
            new[k] = G
            new[k.replace("G_", "ticket_")] = G * orig[k.replace("G_", "mask_")]
        for k in [k for k in orig if k.startswith("vals_")]:
            new[k] = np.round(orig[k], 1)
        np.savez(tmp_path / f"{which}.npz", **new)
        rc, out = _check(tmp_path / f"{which}.npz", capsys)
        assert rc == 4 and "HOLDS" not in out, which
