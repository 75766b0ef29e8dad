"""CompactTicket: validation regenerates kept entries from the streams; compact .npz round trip;
certification and the CLI accept compact tickets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slt_check.certificates.sup_error import sup_error
from slt_check.cli.main import main
from slt_check.pipeline.build import build_compact_ticket, build_ticket
from slt_check.pipeline.verify import load_ticket
from slt_check.tickets.compact_ticket import (
    FORMAT,
    BatchedReLUNet,
    CompactTicket,
    read_compact_ticket,
)
from slt_check.tickets.targets import random_target
from slt_check.tickets.ticket import Ticket


@pytest.fixture(scope="module")
def pair() -> tuple[Ticket, CompactTicket]:
    F = random_target((4, 3, 2), 1.0, 7)
    kw = {"sharing": "per_input", "x_max": 2.0}
    return build_ticket(F, 0.02, 0.1, 5, **kw), build_compact_ticket(F, 0.02, 0.1, 5, **kw)


def test_round_trip_is_bit_identical(pair, tmp_path) -> None:
    _, c = pair
    path = c.save(tmp_path / "c.npz")
    back = load_ticket(path)
    for a, b in zip(c.entries, back.entries, strict=True):
        for key in ("rows", "cols", "vals"):
            np.testing.assert_array_equal(a[key], b[key])
    assert back.meta.format == FORMAT and back.spec == c.spec and back.ok
    assert isinstance(load_ticket(path), CompactTicket)
    with np.load(path) as z:
        assert not any(name.startswith("G_") for name in z.files)  # G itself is not stored


def test_load_ticket_reads_dense_files(pair, tmp_path) -> None:
    d, _ = pair
    assert isinstance(load_ticket(d.save(tmp_path / "d.npz")), Ticket)


@pytest.mark.parametrize("tamper", ["value", "unusable", "duplicate"])
def test_validate_catches_tampering(pair, tamper: str) -> None:
    _, c = pair
    e = [dict(x) for x in c.entries]
    k = 1
    if tamper == "value":  # one ulp off: a copied/rescaled weight is not G's
        e[k]["vals"] = e[k]["vals"].copy()
        e[k]["vals"][0] = np.nextafter(e[k]["vals"][0], np.inf)
        msg = "differs from G's value"
    elif tamper == "unusable":  # A entry moved to a column its neuron does not own
        k = 0
        e[k]["cols"] = e[k]["cols"].copy()
        e[k]["cols"][0] = (e[k]["cols"][0] + 1) % c.G.widths[0]
        msg = "not a usable entry"
    else:
        e[k] = {key: np.concatenate([v, v[:1]]) for key, v in e[k].items()}
        msg = "appears twice"
    bad = CompactTicket(c.spec, e, c.target, c.meta)
    with pytest.raises(ValueError, match=msg):
        bad.validate()


def test_tampered_file_is_refused(pair, tmp_path) -> None:
    _, c = pair
    path = c.save(tmp_path / "c.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["vals_1"] = arrays["vals_1"] * 1.0000001
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match="differs"):
        load_ticket(tmp_path / "bad.npz")
    meta = json.loads(str(arrays["meta"]))
    meta["format"] = "something/9"
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "fmt.npz", **arrays)
    with pytest.raises(ValueError, match="not a compact ticket"):
        read_compact_ticket(tmp_path / "fmt.npz")
    with pytest.raises(ValueError, match="no ticket file"):
        load_ticket(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        c.save(tmp_path / "c.txt")


def test_certificate_matches_the_dense_ticket(pair) -> None:
    d, c = pair
    ed, ec = sup_error(d.target, d, 2.0, n_random=256, steps=10), sup_error(c.target, c, 2.0, n_random=256, steps=10)
    # same kept weights → same Pos/Neg; only the float slack (fan-in of dense vs sparse) differs
    assert ec.found == ed.found
    assert ec.per_layer_weight_error == ed.per_layer_weight_error
    assert ec.certified <= ed.certified and ec.found <= ec.certified


def test_batched_network_equals_unbatched(pair) -> None:
    _, c = pair
    X = np.random.default_rng(1).uniform(-2, 2, size=(257, 4))
    net = c.network()
    ref = net.forward(X)
    net.max_floats = 3 * max(net.widths)  # 3 rows per batch
    np.testing.assert_array_equal(net.forward(X), ref)
    assert isinstance(net, BatchedReLUNet)


def test_bad_entries_are_refused(pair) -> None:
    _, c = pair
    with pytest.raises(ValueError, match="one entry set per G layer"):
        CompactTicket(c.spec, c.entries[:2], c.target, c.meta)
    e = [dict(x) for x in c.entries]
    e[0]["rows"] = e[0]["rows"] + 10**9
    with pytest.raises(ValueError, match="outside G layer shape"):
        CompactTicket(c.spec, e, c.target, c.meta)


def test_cli_build_lazy_and_check(tmp_path, capsys) -> None:
    out = tmp_path / "t.npz"
    rc = main(["build", "--target", "random:3-4-2:kaiming", "--eps", "0.01", "--delta", "0.05",
               "--lazy", "--sharing", "per_input", "--out", str(out)])
    assert rc == 0 and "HOLDS" in capsys.readouterr().out
    assert isinstance(load_ticket(out), CompactTicket)
    assert main(["check", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["holds"] and res["sup_error"]["certified"] <= 0.01
