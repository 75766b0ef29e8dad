"""ReLUNet: evaluation, validation, torch round trip."""

import numpy as np
import pytest
import scipy.sparse as sp

from slt_check import ReLUNet, random_target
from slt_check.io.torch_io import net_from_torch, net_to_torch
from slt_check.tickets.targets import FAMILIES, parse_widths, target_from_spec


def test_forward_matches_manual():
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(size=(3, 2)), rng.normal(size=(1, 3))
    net = ReLUNet([W1, W2])
    X = rng.normal(size=(5, 2))
    assert np.allclose(net(X), np.maximum(X @ W1.T, 0) @ W2.T, rtol=0, atol=1e-15)
    assert np.allclose(ReLUNet([W1, W2], output_relu=True)(X), np.maximum(net(X), 0))
    assert np.array_equal(ReLUNet([sp.csr_matrix(W1), W2])(X), net(X))


@pytest.mark.parametrize(
    "weights, match",
    [
        ([np.ones((2, 3)), np.ones((2, 3))], "chain"),
        ([np.ones(3)], "2-D"),
        ([np.array([[np.nan]])], "non-finite"),
        ([], "at least one layer"),
    ],
    ids=["chain", "1d", "nan", "empty"],
)
def test_bad_weights(weights, match):
    with pytest.raises(ValueError, match=match):
        ReLUNet(weights)


def test_bad_inputs():
    net = ReLUNet([np.ones((2, 3))])
    with pytest.raises(ValueError, match="shape"):
        net(np.ones((4, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        net(np.array([[np.inf, 0, 0]]))


@pytest.mark.parametrize("family", FAMILIES)
def test_random_targets_respect_the_bound(family):
    F = random_target([5, 6, 3], 0.3, 0, family=family)
    assert max(np.abs(w).max() for w in F.weights) <= 0.3
    assert F.widths == (5, 6, 3)


def test_target_specs():
    assert parse_widths("4-8-8-2") == (4, 8, 8, 2)
    F = target_from_spec("random:3-2:sparse", seed=1)
    assert F.widths == (3, 2)
    for bad in ("random:3", "random:a-b", "file:x", "random:3-0"):
        with pytest.raises(ValueError):
            target_from_spec(bad)


@pytest.mark.torch
def test_torch_round_trip(tmp_path):
    torch = pytest.importorskip("torch")
    F = random_target([4, 5, 3], 1.0, 0, output_relu=True)
    mod = net_to_torch(F)
    X = np.random.default_rng(0).uniform(-1, 1, (20, 4))
    with torch.no_grad():
        y = mod(torch.from_numpy(X)).numpy()
    assert np.allclose(y, F(X), rtol=0, atol=1e-12)
    G = net_from_torch(mod)
    assert G.output_relu and all(np.array_equal(a, b) for a, b in zip(G.weights, F.weights, strict=True))
    torch.save(mod, tmp_path / "m.pt")
    assert target_from_spec(f"torch:{tmp_path / 'm.pt'}").widths == (4, 5, 3)


@pytest.mark.torch
def test_from_torch_refuses_what_it_cannot_handle():
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(2, 2).double()
    lin.bias = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))  # a bias of the wrong length
    with pytest.raises(ValueError, match="bias has shape"):
        net_from_torch(torch.nn.Sequential(lin))
    with pytest.raises(ValueError, match="unsupported layer Tanh"):
        net_from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.Tanh()))
    with pytest.raises(ValueError, match="Sequential"):
        net_from_torch(torch.nn.Linear(2, 2, bias=False))
