"""torch export of tickets (dense pruned and compact/sparse) equals the numpy evaluation to 1e-12;
torch targets: what is accepted and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from slt_check.cli import main  # noqa: E402
from slt_check.compact_ticket import load_any_ticket  # noqa: E402
from slt_check.constructions import build_ticket  # noqa: E402
from slt_check.lazy import build_compact_ticket  # noqa: E402
from slt_check.targets import random_target, target_from_spec  # noqa: E402
from slt_check.torch_io import load_torch_target, net_from_torch, ticket_to_torch  # noqa: E402

pytestmark = pytest.mark.torch


def _out(module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


@pytest.fixture(scope="module")
def tickets():
    F = random_target((5, 4, 3), 1.0, 3, output_relu=True)
    kw = {"sharing": "per_input"}
    return build_ticket(F, 0.02, 0.1, 2, **kw), build_compact_ticket(F, 0.02, 0.1, 2, **kw)


X = np.random.default_rng(0).uniform(-1, 1, size=(300, 5))


def test_dense_export_prunes_G_with_masks(tickets) -> None:
    d, _ = tickets
    m = ticket_to_torch(d, compact=False)
    lins = [x for x in m if isinstance(x, torch.nn.Linear)]
    assert len(lins) == d.G.depth
    for lin, g, mask in zip(lins, d.G.weights, d.masks, strict=True):
        assert hasattr(lin, "weight_mask") and hasattr(lin, "weight_orig")  # torch.nn.utils.prune
        np.testing.assert_array_equal(lin.weight.detach().numpy(), g * mask)
    np.testing.assert_allclose(_out(m, X), d.network()(X), rtol=0, atol=1e-12)
    assert isinstance(m[-1], torch.nn.ReLU)  # output ReLU kept


@pytest.mark.parametrize("dense_limit", [10**9, 10])
def test_compact_export_dense_and_sparse_layers(tickets, dense_limit: int) -> None:
    d, c = tickets
    for t in (d, c):
        m = ticket_to_torch(t, compact=True, dense_limit=dense_limit)
        kinds = {type(x).__name__ for x in m}
        assert ("SparseLinear" in kinds) == (dense_limit == 10)
        np.testing.assert_allclose(_out(m, X), t.network()(X), rtol=0, atol=1e-12)
        np.testing.assert_allclose(_out(m, X), d.network()(X), rtol=0, atol=1e-12)


def test_compact_ticket_to_torch_method(tickets) -> None:
    d, c = tickets
    np.testing.assert_allclose(_out(c.to_torch(), X), _out(d.to_torch(), X), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="compact"):
        ticket_to_torch(c, compact=False)


def _save(module, path) -> str:
    torch.save(module, path)
    return str(path)


def test_torch_target_round_trip_and_cli(tmp_path, capsys) -> None:
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4, bias=False), torch.nn.ReLU(), torch.nn.Linear(4, 2, bias=False)
    ).double()
    with torch.no_grad():
        for p in model.parameters():
            p.clamp_(-1, 1)
    path = _save(model, tmp_path / "m.pt")
    F = load_torch_target(path)
    assert F.widths == (3, 4, 2) and not F.output_relu
    Xs = X[:, :3]
    np.testing.assert_allclose(F(Xs), _out(model, Xs), rtol=0, atol=1e-12)
    out = tmp_path / "t.npz"
    assert main(["build", "--target", f"torch:{path}", "--eps", "0.01", "--out", str(out)]) == 0
    assert "HOLDS" in capsys.readouterr().out
    np.testing.assert_array_equal(load_any_ticket(out).target.weights[0], F.weights[0])


@pytest.mark.parametrize(
    ("layers", "msg"),
    [
        (lambda: [torch.nn.Linear(3, 2)], "bias"),
        (lambda: [torch.nn.Linear(3, 2, bias=False), torch.nn.Tanh()], "unsupported layer Tanh"),
        (lambda: [torch.nn.Linear(3, 2, bias=False), torch.nn.Linear(2, 2, bias=False)], "without a ReLU"),
        (lambda: [torch.nn.ReLU()], "ReLU must follow"),
        (lambda: [], "no Linear"),
    ],
)
def test_torch_target_refusals(layers, msg: str, tmp_path) -> None:
    path = _save(torch.nn.Sequential(*layers()), tmp_path / "bad.pt")
    with pytest.raises(ValueError, match=msg):
        target_from_spec(f"torch:{path}")


def test_torch_target_refuses_non_sequential_and_missing(tmp_path, capsys) -> None:
    lin = torch.nn.Linear(3, 2, bias=False)
    with pytest.raises(ValueError, match="Sequential"):
        net_from_torch(lin)
    path = _save(torch.nn.Sequential(lin).state_dict(), tmp_path / "sd.pt")
    with pytest.raises(ValueError, match="Sequential"):
        load_torch_target(path)
    with pytest.raises(ValueError, match="no torch file"):
        load_torch_target(str(tmp_path / "missing.pt"))
    rc = main(["build", "--target", f"torch:{path}", "--out", str(tmp_path / "x.npz")])
    assert rc == 2 and "Sequential" in capsys.readouterr().err
