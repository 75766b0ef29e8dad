"""CNN targets: the architecture language, the forward pass, random-cnn targets and the torch loaders."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils import prune

from slt_check.core.conv import ConvNet, conv_precision, fan_ins, parse_arch
from slt_check.io.torch_cnn import load_torch_cnn, module_from_net, torch_file_is_cnn
from slt_check.tickets.conv_targets import cnn_digest, cnn_target_from_spec, random_cnn

ARCH = "2x7x7:conv3k3p1b,relu,avg2s1,conv2k2,relu,flatten,linear4b"


def test_parse_arch_roundtrip_and_shapes() -> None:
    net = random_cnn(ARCH, seed=0)
    assert net.arch == ARCH
    assert fan_ins(*parse_arch(ARCH)) == [18, 12, 50]
    assert net.n_out == 4


@pytest.mark.parametrize("bad", ["1x8:conv2k3", "1x4x4:conv2k5", "1x4x4:linear3", "1x4x4:pool2", "1x4x4:relu"])
def test_parse_arch_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_arch(bad)


def test_forward_matches_torch_module() -> None:
    net = random_cnn(ARCH, seed=1)
    x = np.random.default_rng(0).uniform(-1, 1, (5, 2, 7, 7))
    ref = module_from_net(net)(torch.from_numpy(x)).detach().numpy()
    assert np.abs(net.forward(x) - ref).max() < 1e-12


def test_random_cnn_is_kaiming_and_seeded() -> None:
    a, b = random_cnn(ARCH, seed=3), random_cnn(ARCH, seed=3)
    assert cnn_digest(a) == cnn_digest(b) != cnn_digest(random_cnn(ARCH, seed=4))
    assert np.abs(a.weighted[0].weight).max() <= np.sqrt(6 / 18)


def test_precision_is_r8_on_patches() -> None:
    # η = ε / (l x Π P_t (w+1)): two layers of fan-ins 9 and 4, w = 1, x = 1
    assert conv_precision(0.01, [9, 4], 1.0, 1.0) == pytest.approx(0.01 / (2 * 9 * 2 * 4 * 2))


def test_load_whole_module_and_state_dict_with_masks(tmp_path) -> None:  # noqa: ANN001
    net = random_cnn(ARCH, seed=2)
    m = module_from_net(net)
    prune.l1_unstructured(m[0], "weight", amount=0.4)
    prune.random_unstructured(m[6], "weight", amount=0.3)
    torch.save(m, tmp_path / "whole.pt")
    torch.save(m.state_dict(), tmp_path / "sd.pt")
    x = np.random.default_rng(1).uniform(-1, 1, (3, 2, 7, 7))
    ref = m(torch.from_numpy(x)).detach().numpy()
    whole = load_torch_cnn(str(tmp_path / "whole.pt"), input_shape=(2, 7, 7))
    sd = load_torch_cnn(str(tmp_path / "sd.pt"), arch="2x7x7:conv3k3p1,relu,avg2s1,conv2k2,relu,flatten,linear4")
    for got in (whole, sd):
        assert np.abs(got.forward(x) - ref).max() < 1e-12
        assert np.count_nonzero(got.weighted[0].weight) == round(0.6 * 54)
    assert torch_file_is_cnn(str(tmp_path / "whole.pt")) and torch_file_is_cnn(str(tmp_path / "sd.pt"))
    with pytest.raises(ValueError, match="--arch"):
        load_torch_cnn(str(tmp_path / "sd.pt"))


def test_input_shape_inferred_for_square_inputs(tmp_path) -> None:  # noqa: ANN001
    net = random_cnn("1x10x10:conv2k3p1,relu,conv2k3,relu,flatten,linear3", seed=0)
    torch.save(module_from_net(net), tmp_path / "m.pt")
    assert load_torch_cnn(str(tmp_path / "m.pt")).input_shape == (1, 10, 10)


@pytest.mark.parametrize("module", [
    torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, stride=2), torch.nn.Flatten(), torch.nn.Linear(18, 2)),
    torch.nn.Sequential(torch.nn.Conv2d(2, 2, 3, groups=2), torch.nn.Flatten(), torch.nn.Linear(18, 2)),
    torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Tanh(), torch.nn.Flatten(), torch.nn.Linear(18, 2)),
    torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(8, 2)),
])
def test_loader_refuses_what_it_cannot_represent(tmp_path, module) -> None:  # noqa: ANN001
    torch.save(module, tmp_path / "m.pt")
    with pytest.raises(ValueError, match="target"):
        load_torch_cnn(str(tmp_path / "m.pt"), input_shape=(module[0].in_channels, 7, 7))


class _Evil:
    def __reduce__(self):  # noqa: ANN204
        return (print, ("pwned",))


def test_loader_never_runs_code(tmp_path, capsys) -> None:  # noqa: ANN001
    torch.save({"0.weight": torch.zeros(2, 1, 3, 3), "x": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="not a supported layer|could not be loaded"):
        cnn_target_from_spec(f"torch:{tmp_path / 'evil.pt'}", seed=0, arch="1x5x5:conv2k3,relu,flatten,linear2")
    assert "pwned" not in capsys.readouterr().out


def test_convnet_refuses_wrong_weights() -> None:
    shape, layers = parse_arch("1x4x4:conv2k3,relu,flatten,linear2")
    layers[0].weight = np.zeros((2, 1, 2, 2))
    layers[3].weight = np.zeros((2, 8))
    with pytest.raises(ValueError, match="shape"):
        ConvNet(shape, layers)
