"""Ticket invariant (mask ⊙ G bit for bit), save/load round trip, corrupt files."""

import json
import zipfile

import numpy as np
import pytest

from slt_check import Ticket, build_ticket, load_ticket, random_target


@pytest.fixture(scope="module")
def ticket():
    F = random_target([3, 4, 2], 1.0, 0, family="corners")
    return build_ticket(F, 1e-2, 0.05, seed=1, sharing="per_input")


def test_round_trip_bit_for_bit(ticket, tmp_path):
    p = ticket.save(tmp_path / "t.npz")
    t2 = load_ticket(p)
    for a, b in zip(ticket.weights + ticket.G.weights, t2.weights + t2.G.weights, strict=True):
        assert np.array_equal(a.view(np.uint64), b.view(np.uint64))
    for a, b in zip(ticket.masks, t2.masks, strict=True):
        assert a.dtype == b.dtype == bool and np.array_equal(a, b)
    assert t2.meta.seed == 1 and t2.meta.construction == "orseau"
    with np.load(p) as z:
        assert set(z.files) >= {"target_0", "G_0", "mask_0", "ticket_0", "meta"}
        json.loads(str(z["meta"]))


def test_validate_catches_a_copied_weight(ticket):
    t = Ticket(ticket.G, ticket.masks, ticket.target, ticket.meta)
    t.weights[1] = t.weights[1].copy()
    r, c = np.argwhere(t.masks[1])[0]
    t.weights[1][r, c] = ticket.target.weights[0][0, 0] + 0.125  # not a value of G
    with pytest.raises(ValueError, match="G ⊙ mask"):
        t.validate()


def test_masks_must_be_boolean(ticket):
    with pytest.raises(ValueError, match="bool"):
        Ticket(ticket.G, [m.astype(float) for m in ticket.masks], ticket.target)
    with pytest.raises(ValueError, match="one mask per layer"):
        Ticket(ticket.G, ticket.masks[:-1], ticket.target)


def test_corrupt_files(ticket, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="not a readable"):
        load_ticket(bad)
    with pytest.raises(ValueError, match="no ticket file"):
        load_ticket(tmp_path / "missing.npz")
    # tampered ticket array
    p = ticket.save(tmp_path / "t.npz")
    with np.load(p) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["ticket_1"] = arrays["ticket_1"] + 1e-9 * (arrays["ticket_1"] != 0)
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(ValueError, match="corrupt|G ⊙ mask"):
        load_ticket(tmp_path / "tampered.npz")
    # missing arrays
    del arrays["mask_0"]
    np.savez(tmp_path / "partial.npz", **arrays)
    with pytest.raises(ValueError, match="one mask"):
        load_ticket(tmp_path / "partial.npz")
    with pytest.raises(ValueError, match=".npz"):
        ticket.save(tmp_path / "t.txt")
    assert zipfile.is_zipfile(p)


def test_sizes_common_units(ticket):
    s = ticket.sizes()
    assert s["G_depth"] == 4
    assert s["target_weights"] == 3 * 4 + 4 * 2
    assert s["kept_params"] == ticket.n_kept
    assert s["G_params"] == ticket.G.n_params
