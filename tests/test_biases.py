"""Targets with biases: ReLUNet biases, the constant-input reduction, targets, build, file format, verify,
torch export (docs/biases.md)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from slt_check.core.affine import augment, augment_input, network_on_x, restore
from slt_check.core.bounds import biased_bounds
from slt_check.core.nets import ReLUNet
from slt_check.pipeline.build import build, reduce_biases
from slt_check.pipeline.verify import load_ticket, target_digest
from slt_check.tickets.targets import load_npz_target, target_from_spec

X = np.random.default_rng(7).uniform(-1.0, 1.0, (200, 3))


def _biased(seed: int = 5) -> ReLUNet:
    return target_from_spec("random:3-4-2:bias", seed=seed)


def test_relunet_biases_forward_and_zero_bias_is_none() -> None:
    W = [np.array([[1.0, -2.0]]), np.array([[3.0]])]
    F = ReLUNet(W, biases=[np.array([0.5]), np.array([-1.0])])
    x = np.array([[1.0, 0.25]])
    assert F.has_biases and F(x)[0, 0] == 3.0 * max(1.0 - 0.5 + 0.5, 0.0) - 1.0
    Z = ReLUNet(W, biases=[np.zeros(1), None])
    assert not Z.has_biases and Z.biases is None
    assert np.array_equal(Z(X[:, :2]), ReLUNet(W)(X[:, :2]))
    with pytest.raises(ValueError, match="length n_1"):
        ReLUNet(W, biases=[np.zeros(2), None])
    with pytest.raises(ValueError, match="one entry per layer"):
        ReLUNet(W, biases=[np.zeros(1)])
    with pytest.raises(ValueError, match="biases\\[0\\]"):
        ReLUNet(W, biases=[np.array([np.nan]), None])


def test_reduction_is_exact_and_invertible() -> None:
    F = _biased()
    Fp = augment(F)
    assert Fp.widths == (4, 5, 2) and not Fp.has_biases
    np.testing.assert_allclose(Fp(augment_input(X)), F(X), rtol=0, atol=1e-14)
    R = restore(Fp, 3)
    assert all(np.array_equal(a, b) for a, b in zip(R.weights, F.weights, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(R.biases, F.biases, strict=True))
    broken = Fp.dense_weights()
    broken[0][-1, -1] = 0.5  # the constant neuron is no longer σ(1) = 1
    with pytest.raises(ValueError, match="constant neuron"):
        restore(ReLUNet(broken), 3)


def test_biased_bounds() -> None:
    assert biased_bounds(0.5, 0.25, 0.5, 2) == (1.0, 1.0)
    assert biased_bounds(0.5, 0.25, 0.5, 1) == (0.5, 1.0)
    assert biased_bounds(2.0, 3.0, 4.0, 3) == (3.0, 4.0)


def test_random_target_bias_keeps_the_weights() -> None:
    plain = target_from_spec("random:3-4-2:kaiming", seed=3)
    biased = target_from_spec("random:3-4-2:kaiming:bias", seed=3)
    assert biased.has_biases and not plain.has_biases
    assert all(np.array_equal(a, b) for a, b in zip(plain.weights, biased.weights, strict=True))
    assert np.array_equal(target_from_spec("random:3-4-2:bias", seed=3).biases[0],
                          target_from_spec("random:3-4-2:uniform:bias", seed=3).biases[0])
    with pytest.raises(ValueError, match="too many"):
        target_from_spec("random:3-4-2:normal:x:bias")


def test_npz_biases(tmp_path) -> None:
    F = _biased()
    p = tmp_path / "t.npz"
    np.savez(p, W_0=F.weights[0], W_1=F.weights[1], b_0=F.biases[0], b_1=F.biases[1])
    G = load_npz_target(str(p))
    assert np.array_equal(G(X), F(X))
    np.savez(tmp_path / "gap.npz", W_0=F.weights[0], W_1=F.weights[1], b_1=F.biases[1])
    with pytest.raises(ValueError, match="no b_0"):
        load_npz_target(str(tmp_path / "gap.npz"))
    np.savez(tmp_path / "len.npz", W_0=F.weights[0], W_1=F.weights[1], b_0=F.biases[1], b_1=F.biases[1])
    with pytest.raises(ValueError, match="length 4"):
        load_npz_target(str(tmp_path / "len.npz"))


def test_reduce_biases_bounds() -> None:
    F = _biased()
    red, w, x, rec = reduce_biases(F, 0.5, 0.5)
    assert (w, x) == (1.0, 1.0) and rec["b_max"] == float(np.max(np.abs(np.concatenate(F.biases))))
    with pytest.raises(ValueError, match="exceeds b_max"):
        reduce_biases(F, 1.0, 1.0, b_max=1e-3)
    plain = target_from_spec("random:3-4-2", seed=1)
    assert reduce_biases(plain, 1.0, 0.5, b_max=7.0) == (plain, 1.0, 0.5, None)


@pytest.mark.parametrize("construction", ["orseau", "pensia", "malach", "factorial", "burkholz"])
def test_build_biased_target_meets_eps(construction: str) -> None:
    F = target_from_spec("random:2-3-2:bias", seed=5)
    eps = 0.05
    r = build(F, eps, 0.1, 0, construction=construction)
    assert r.ok and r.certified is not None and r.found <= r.certified <= eps
    t = r.ticket
    net = t.network_on_x()
    assert net.n_in == 2 and net.has_biases and all(b is None or not np.any(b) for b in net.bias_vectors()[1:])
    Xs = X[:, :2]
    assert np.max(np.abs(net(Xs) - F(Xs))) <= r.certified
    assert np.max(np.abs(net(Xs) - t.network()(augment_input(Xs)))) <= 1e-12


def test_found_only_on_the_constant_plane_and_exact_between() -> None:
    F = target_from_spec("random:2-3-1:bias", seed=2)
    r = build(F, 0.05, 0.1, 0, construction="pensia", search_seed=1)
    from slt_check.certificates.sup_error import sup_error

    e = sup_error(F, r.ticket, method="milp", time_limit=60)
    assert e.argmax[-1] == 1.0 and np.all(np.abs(e.argmax[:-1]) <= 1.0)
    assert e.found <= e.exact_upper + 1e-12 and e.exact_lower <= e.certified
    assert e.certified_box == 1.0


def test_file_roundtrip_verify_and_forgeries(tmp_path) -> None:
    F = _biased()
    for lazy in (False, True):
        r = build(F, 0.05, 0.1, 0, construction="pensia", lazy=lazy)
        p = tmp_path / f"t{lazy}.npz"
        r.ticket.save(p)
        names = set(np.load(p).files)
        assert {"target_bias_0", "target_bias_1"} <= names
        assert ({"bias_rows_0", "bias_vals_0"} if lazy else {"G_bias_0", "mask_bias_0", "ticket_bias_0"}) <= names
        t = load_ticket(p)
        assert np.array_equal(t.network_on_x()(X), r.ticket.network_on_x()(X))
        assert target_digest(t.original_target()) == target_digest(F)
    # a bias of G moved by one ulp is refused (the regenerated G differs)
    data = dict(np.load(tmp_path / "tFalse.npz"))
    for key in ("G_bias_0", "ticket_bias_0"):
        forged = dict(data)
        i = int(np.flatnonzero(data["mask_bias_0"])[0])
        v = forged[key].copy()
        v[i] = np.nextafter(v[i], np.inf)
        forged[key] = v
        if key == "G_bias_0":
            t2 = forged["ticket_bias_0"].copy()
            t2[i] = v[i]
            forged["ticket_bias_0"] = t2
        q = tmp_path / f"forged_{key}.npz"
        np.savez(q, **forged)
        with pytest.raises(ValueError):
            load_ticket(q)
    # a dropped bias array is refused
    q = tmp_path / "no_bias.npz"
    np.savez(q, **{k: v for k, v in data.items() if k != "mask_bias_0"})
    with pytest.raises(ValueError, match="missing"):
        load_ticket(q)
    # a moved compact bias entry is refused
    cdata = dict(np.load(tmp_path / "tTrue.npz"))
    cdata["bias_vals_0"] = np.nextafter(cdata["bias_vals_0"], np.inf)
    q = tmp_path / "forged_compact.npz"
    np.savez(q, **cdata)
    with pytest.raises(ValueError, match="differs"):
        load_ticket(q)
    # a bias-free file reads as before (no affine record)
    plain = build(target_from_spec("random:3-4-2", seed=1), 0.05, 0.1, 0, construction="pensia").ticket
    plain.save(tmp_path / "plain.npz")
    with zipfile.ZipFile(tmp_path / "plain.npz") as zf:
        assert not any("bias" in n for n in zf.namelist())
    assert "affine" not in json.loads(str(np.load(tmp_path / "plain.npz")["meta"]))


def test_torch_export_of_a_biased_ticket() -> None:
    torch = pytest.importorskip("torch")
    F = _biased()
    t = build(F, 0.05, 0.1, 0, construction="pensia").ticket
    for compact in (False, True):
        m = t.to_torch(compact=compact)
        lins = [mod for mod in m if hasattr(mod, "weight")]
        assert getattr(lins[0], "bias", None) is not None and lins[0].in_features == 3
        with torch.no_grad():
            y = m(torch.from_numpy(X)).numpy()
        np.testing.assert_allclose(y, t.network_on_x()(X), rtol=0, atol=1e-12)


def test_cli_build_and_check_a_torch_target_with_bias(tmp_path, capsys) -> None:
    torch = pytest.importorskip("torch")
    from slt_check.cli.main import main

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                                torch.nn.Linear(4, 2), torch.nn.Identity()).double()
    pt = tmp_path / "model_with_bias.pt"
    torch.save(model, pt)
    out = tmp_path / "t.npz"
    assert main(["build", "--target", f"torch:{pt}", "--eps", "0.01", "--construction", "pensia",
                 "--out", str(out)]) == 0
    assert main(["check", str(out)]) == 0
    assert "[x; 1]" in capsys.readouterr().out
    data = dict(np.load(out))
    data["target_bias_1"] = np.nextafter(data["target_bias_1"], np.inf)  # the target's bias changed
    np.savez(tmp_path / "moved.npz", **data)
    assert main(["check", str(tmp_path / "moved.npz")]) == 4
