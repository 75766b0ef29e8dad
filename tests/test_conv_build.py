"""CNN tickets: G from the seed only, pruning only, failure reported, certificate sound, CLI round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from slt_check.certificates.conv_bounds import certify_conv
from slt_check.cli.main import main
from slt_check.constructions.conv_registry import get_conv_construction
from slt_check.io.torch_cnn import ticket_to_torch_cnn
from slt_check.pipeline.conv_build import build_conv, measure_conv, problem_for, verify_conv
from slt_check.sources.conv_source import column_candidates
from slt_check.tickets.conv_targets import random_cnn
from slt_check.tickets.conv_ticket import read_conv_ticket

ARCH = "1x5x5:conv2k3p1b,relu,conv2k2,relu,flatten,linear3b"


def _build(name: str = "conv-orseau", seed: int = 0, tseed: int = 1, eps: float = 0.02, **opts):  # noqa: ANN202
    net = random_cnn(ARCH, seed=tseed)
    con = get_conv_construction(name, **opts)
    prob = problem_for(net, eps, 0.05, w_max=1.0, b_max=1.0)
    return build_conv(net, con, prob, seed), con, prob


def test_g_is_the_seeds_not_the_targets() -> None:
    r1, con, prob = _build(tseed=1)
    r2, _, _ = _build(tseed=2)
    spec = con.spec(prob, 0)
    for t in range(3):
        k1, k2 = r1.ticket.keeps[t], r2.ticket.keeps[t]
        common = set(zip(k1.q.tolist(), k1.s.tolist(), strict=True)) & set(
            zip(k2.q.tolist(), k2.s.tolist(), strict=True))
        assert common
        for q, s in list(common)[:20]:
            a, _ = column_candidates(spec, t, np.array([q]), s + 1)
            i1 = np.flatnonzero((k1.q == q) & (k1.s == s))[0]
            i2 = np.flatnonzero((k2.q == q) & (k2.s == s))[0]
            assert k1.a[i1] == k2.a[i2] == a[0, s]


@pytest.mark.parametrize("name,opts", [("conv-orseau", {}), ("conv-orseau", {"precision": "certificate"}),
                                       ("dacunha", {"precision": "certificate"})])
def test_certificate_is_sound_and_holds(name: str, opts: dict) -> None:
    r, _, prob = _build(name, **opts)
    assert r.ok and r.certified <= prob.eps
    x = np.random.default_rng(5).uniform(prob.lo, prob.hi, (4000, 1, 5, 5))
    with torch.no_grad():
        diff = np.abs(r.ticket.torch_fn()(torch.from_numpy(x)).numpy() - r.ticket.target.forward(x)).max()
    assert r.found <= r.certified and diff <= r.certified


def test_certificate_covers_a_corrupted_ticket() -> None:
    r, _, prob = _build()
    t = r.ticket
    t.keeps[2].b[:5] *= 3.0  # no longer G's values: the certificate must still bound the error
    m = measure_conv(t, prob.lo, prob.hi)
    assert m["found"] > prob.eps and m["certified"] >= m["found"]


def test_certificate_of_the_target_itself_is_rounding_only() -> None:
    net = random_cnn(ARCH, seed=1)
    assert 0 < certify_conv(net, -1, 1, None)["bound"] < 1e-10  # γ_n-sized float slack only


def test_literal_g_layers_equal_the_effective_kernels() -> None:
    r, _, prob = _build()
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (6, 1, 5, 5)))
    literal = ticket_to_torch_cnn(r.ticket)
    with torch.no_grad():
        assert (literal(x) - r.ticket.torch_fn()(x)).abs().max() < 1e-12


def test_too_small_g_is_reported_not_redrawn() -> None:
    r, _, _ = _build(n_samples=4)
    assert not r.ok and r.ticket.meta["n_failed_weights"] > 0 and r.ticket.meta["seed"] == 0


def test_file_roundtrip_and_forgeries(tmp_path) -> None:  # noqa: ANN001
    r, _, _ = _build()
    r.ticket.save(tmp_path / "t.npz")
    t = read_conv_ticket(tmp_path / "t.npz")
    verify_conv(t)
    t.keeps[0].a[0] = np.nextafter(t.keeps[0].a[0], 2.0)
    with pytest.raises(ValueError, match="not G's entry"):
        verify_conv(t)
    t = read_conv_ticket(tmp_path / "t.npz")
    t.meta["seed"] = 1
    with pytest.raises(ValueError):
        verify_conv(t)
    t = read_conv_ticket(tmp_path / "t.npz")
    t.meta["plan"]["n_samples"] += 1
    with pytest.raises(ValueError, match="plan"):
        verify_conv(t)


def test_cli_build_check_export(tmp_path, capsys) -> None:  # noqa: ANN001
    out, pt = str(tmp_path / "t.npz"), str(tmp_path / "t.pt")
    assert main(["build", "--target", f"random-cnn:{ARCH}", "--eps", "0.02", "--out", out,
                 "--option", "precision=certificate"]) == 0
    assert main(["check", out]) == 0
    assert main(["check", out, "--target", f"random-cnn:{ARCH}"]) == 0
    assert main(["export", out, "--torch", pt]) == 0
    assert "reproduces" in capsys.readouterr().out
    t = read_conv_ticket(out)
    t.keeps[1].b[0] *= 1.01
    t.save(out)
    assert main(["check", out]) == 4
    assert main(["build", "--target", f"random-cnn:{ARCH}", "--construction", "pensia", "--out", out]) == 2
    assert main(["build", "--target", "random-cnn:1x5x5:conv2k9", "--out", out]) == 2


def test_exact_milp_brackets_found_and_certified() -> None:
    from slt_check.certificates.conv_exact import exact_conv, unroll

    net = random_cnn("1x3x3:conv1k2,relu,flatten,linear2", seed=3, w_max=1.0)
    x = np.random.default_rng(0).uniform(-1, 1, (5, 1, 3, 3))
    assert np.abs(unroll(net)(x.reshape(5, -1)) - net.forward(x)).max() < 1e-12
    r = build_conv(net, get_conv_construction("conv-orseau", precision="certificate"),
                   problem_for(net, 0.05, 0.1, w_max=1.0), 0)
    ex = exact_conv(net, r.ticket.as_convnet(), 1.0, time_limit=30)
    assert r.found <= ex.upper + 1e-12 and ex.lower <= r.certified


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_large_linear_layers_export_sparse() -> None:
    r, _, _ = _build()
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (6, 1, 5, 5)))
    with pytest.raises(ValueError, match="sparse Conv2d"):
        ticket_to_torch_cnn(r.ticket, dense_limit=10)
    m = ticket_to_torch_cnn(r.ticket, dense_limit=5000)  # the conv A layers stay dense, the linear one is sparse
    assert m[-3].weight.layout == torch.sparse_csr
    assert m[-3].weight.values().numel() == int((r.ticket.keeps[2].q < 32).sum())
    with torch.no_grad():
        assert (m(x) - r.ticket.torch_fn()(x)).abs().max() < 1e-12


@pytest.mark.parametrize("given,want", [("-0.5,2", (-0.5, 2.0)), (["-0.5", "2"], (-0.5, 2.0)),
                                        (None, (-3.0, 3.0))])
def test_box_forms(given, want) -> None:  # noqa: ANN001
    from slt_check.cli.cnn import parse_box

    assert parse_box(given, 3.0) == want
    with pytest.raises(ValueError):
        parse_box("2,-1", 1.0)


def test_burkholz_conv_depth_l_plus_1(tmp_path, capsys) -> None:  # noqa: ANN001
    from slt_check.tickets.conv_ticket import read_conv_ticket as read

    arch = "1x4x4:conv2k2,relu,flatten,linear2"
    net = random_cnn(arch, seed=1, w_max=1.0)
    con = get_conv_construction("burkholz-conv")
    prob = problem_for(net, 0.05, 0.1, w_max=1.0)
    r = build_conv(net, con, prob, 0)
    assert r.ok and r.found <= r.certified <= prob.eps
    assert len(r.ticket.as_convnet().weighted) == len(net.weighted) + 1  # depth L + 1
    x = np.random.default_rng(1).uniform(-1, 1, (2000, 1, 4, 4))
    with torch.no_grad():
        err = np.abs(r.ticket.torch_fn()(torch.from_numpy(x)).numpy() - net.forward(x)).max()
    assert err <= r.certified
    r.ticket.save(tmp_path / "b.npz")
    t = read(tmp_path / "b.npz")
    verify_conv(t)
    t.val[1][0] = np.nextafter(t.val[1][0], 9.0)
    with pytest.raises(ValueError, match="not G's entry"):
        verify_conv(t)
    biased = random_cnn("1x4x4:conv2k2b,relu,flatten,linear2", seed=1, w_max=1.0)
    with pytest.raises(ValueError, match="bias-free"):
        con.plan(problem_for(biased, 0.05, 0.1, w_max=1.0))
    assert main(["export", str(tmp_path / "b.npz"), "--torch", str(tmp_path / "b.pt")]) == 0
