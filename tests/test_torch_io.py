"""torch export of tickets (dense pruned and compact/sparse) equals the numpy evaluation to 1e-12;
torch targets: what is accepted and what is refused."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from slt_check.cli.main import main  # noqa: E402
from slt_check.io.torch_io import load_torch_target, net_from_torch, ticket_to_torch  # noqa: E402
from slt_check.pipeline.build import (
    build_compact_ticket,  # noqa: E402
    build_ticket,  # noqa: E402
)
from slt_check.pipeline.verify import load_ticket  # noqa: E402
from slt_check.tickets.targets import random_target, target_from_spec  # noqa: E402

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
    np.testing.assert_array_equal(load_ticket(out).target.weights[0], F.weights[0])


@pytest.mark.parametrize(
    ("layers", "msg"),
    [
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
    path = _save(lin, tmp_path / "lin.pt")
    with pytest.raises(ValueError, match="holds a torch.nn.Linear, not a torch.nn.Sequential"):
        load_torch_target(path)
    with pytest.raises(ValueError, match="no torch file"):
        load_torch_target(str(tmp_path / "missing.pt"))
    rc = main(["build", "--target", f"torch:{path}", "--out", str(tmp_path / "x.npz")])
    assert rc == 2 and "not a torch.nn.Sequential" in capsys.readouterr().err


# --- files from strangers: nothing in them may run ------------------------------------------------


class _Touch:
    """Unpickling this calls ``Path.touch(marker)`` (a harmless stand-in for ``os.system``)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


class _System:
    """Unpickling this runs a shell command through ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Call:
    """Unpickling this calls ``func(*args)`` (``func`` must be picklable by name)."""

    def __init__(self, func, *args) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def _one_line_error(fn, *args, match: str, **kwargs) -> str:
    with pytest.raises(ValueError, match=match) as info:
        fn(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def _small_model(*extra) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(3, 4, bias=False), torch.nn.ReLU(), torch.nn.Linear(4, 2, bias=False), *extra
    ).double()


@pytest.mark.parametrize("payload", [_Touch, _System])
def test_malicious_pickle_is_refused_without_running(payload, tmp_path) -> None:
    marker = tmp_path / "pwned"
    path = _save([payload(marker)], tmp_path / "evil.pt")
    msg = _one_line_error(load_torch_target, path, match="not on the allow-list")
    assert "evil.pt" in msg
    with pytest.raises(ValueError, match="allow-list"):
        target_from_spec(f"torch:{path}")
    assert not marker.exists()


def test_valid_sequential_with_a_payload_inside_is_refused(tmp_path) -> None:
    # the payload is live: an unsafe torch.load runs it and still returns a working Sequential
    live = tmp_path / "ran"
    model = _small_model()
    model.payload = _Touch(live)
    unsafe = torch.load(_save(model, tmp_path / "live.pt"), weights_only=False)
    assert live.exists() and isinstance(unsafe, torch.nn.Sequential)
    # the same construction is refused unread by load_torch_target
    marker = tmp_path / "pwned"
    model.payload = _Touch(marker)
    path = _save(model, tmp_path / "evil.pt")
    _one_line_error(load_torch_target, path, match="allow-list")
    assert not marker.exists()
    # a state dict with a payload among its tensors
    sd = dict(_small_model().state_dict()) | {"2.weight": _System(marker)}
    _one_line_error(load_torch_target, _save(sd, tmp_path / "evil_sd.pt"), match="allow-list")
    assert not marker.exists()


def test_a_pickled_module_constructor_call_is_refused(tmp_path) -> None:
    # torch.save(model) never calls a module class; a file that does could allocate terabytes
    path = _save(_Call(torch.nn.Linear, 10**6, 10**6, False), tmp_path / "alloc.pt")
    _one_line_error(load_torch_target, path, match="constructor")
    seq = _Call(torch.nn.Sequential)
    _one_line_error(load_torch_target, _save(seq, tmp_path / "seq.pt"), match="constructor")


def test_a_huge_zero_stride_weight_is_refused_before_conversion(tmp_path) -> None:
    model = _small_model()
    model[2].weight = torch.nn.Parameter(torch.zeros(1, 1, dtype=torch.float64).expand(10**6, 4))
    model[0].weight = torch.nn.Parameter(torch.zeros(1, 1, dtype=torch.float64).expand(4, 10**8))
    path = _save(model, tmp_path / "wide.pt")
    assert Path(path).stat().st_size < 10**5
    _one_line_error(load_torch_target, path, match="MAX_TARGET_PARAMS")


def test_the_size_limit_applies_to_torch_targets(tmp_path, monkeypatch) -> None:
    import slt_check.io.torch_io as torch_io

    path = _save(_small_model(), tmp_path / "m.pt")
    assert load_torch_target(path).n_params == 20
    monkeypatch.setattr(torch_io, "MAX_TARGET_PARAMS", 19)
    _one_line_error(load_torch_target, path, match="20 weights, more than MAX_TARGET_PARAMS=19")


def _bad_file(kind: str, tmp_path) -> str:
    p = tmp_path / f"{kind}.pt"
    if kind == "missing":
        return str(p)
    if kind == "directory":
        p.mkdir()
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("not a torch file\n")
    elif kind == "truncated":
        data = Path(_save(_small_model(), tmp_path / "full.pt")).read_bytes()
        p.write_bytes(data[: len(data) // 2])
    elif kind == "legacy":
        torch.save(_small_model(), p, _use_new_zipfile_serialization=False)
    elif kind == "npz":
        with open(p, "wb") as f:
            np.savez(f, W_0=np.ones((2, 3)))
    elif kind == "corrupt":
        data = bytearray(Path(_save(_small_model(), tmp_path / "full.pt")).read_bytes())
        i = data.index(b"data.pkl") + 40  # the pickle stream of the first member
        data[i : i + 200] = b"\xff" * 200
        p.write_bytes(bytes(data))
    return str(p)


@pytest.mark.parametrize(
    ("kind", "msg"),
    [
        ("missing", "no torch file at"),
        ("directory", "is a directory"),
        ("empty", "is empty"),
        ("text", "not a torch.save zip archive"),
        ("truncated", "not a torch.save zip archive"),
        ("legacy", "legacy format"),
        ("npz", "could not be loaded as a torch file"),
        ("corrupt", "could not be loaded as a torch file"),
    ],
)
def test_broken_torch_files_give_one_line_value_errors(kind: str, msg: str, tmp_path) -> None:
    path = _bad_file(kind, tmp_path)
    text = _one_line_error(load_torch_target, path, match=msg)
    assert repr(path) in text
    _one_line_error(target_from_spec, f"torch:{path}", match=msg)


def test_torch_spec_without_a_path() -> None:
    _one_line_error(target_from_spec, "torch:", match="no torch file given")


# --- the trailing ReLU --------------------------------------------------------------------------


def test_a_trailing_relu_is_the_output_relu(tmp_path) -> None:
    with_relu = _save(_small_model(torch.nn.ReLU()), tmp_path / "relu.pt")
    without = _save(_small_model(), tmp_path / "linear.pt")
    assert load_torch_target(with_relu).output_relu
    assert load_torch_target(with_relu, output_relu=True).output_relu
    assert target_from_spec(f"torch:{with_relu}").output_relu
    assert not load_torch_target(without).output_relu
    assert not load_torch_target(without, output_relu=False).output_relu
    _one_line_error(
        load_torch_target, with_relu, output_relu=False, match="ends in ReLU but output_relu=False was asked"
    )
    _one_line_error(target_from_spec, f"torch:{with_relu}", output_relu=False, match="ends in ReLU")
    _one_line_error(load_torch_target, without, output_relu=True, match="has no trailing ReLU")
    live = _small_model(torch.nn.ReLU(), torch.nn.Dropout(0.5))
    assert net_from_torch(live).output_relu
    _one_line_error(net_from_torch, live, output_relu=False, match="ends in ReLU")
    _one_line_error(net_from_torch, _small_model(), output_relu=True, match="no trailing ReLU")


# --- state dicts --------------------------------------------------------------------------------


def test_state_dicts_load_as_linear_layers_with_relu_between(tmp_path) -> None:
    model = _small_model()
    path = _save(model.state_dict(), tmp_path / "sd.pt")
    F = load_torch_target(path)
    assert F.widths == (3, 4, 2) and not F.output_relu  # not recorded in a state dict: the caller's
    Xs = X[:, :3]
    np.testing.assert_allclose(F(Xs), _out(model, Xs), rtol=0, atol=1e-12)
    G = load_torch_target(path, output_relu=True)
    assert G.output_relu
    np.testing.assert_allclose(G(Xs), np.maximum(_out(model, Xs), 0), rtol=0, atol=1e-12)
    assert target_from_spec(f"torch:{path}", output_relu=True).output_relu
    # a plain dict, float32, keys in reverse order: the layers run in index order, not key order
    sd = {"net.2.weight": torch.full((1, 5), 0.5), "net.0.weight": torch.ones(5, 3)}
    H = load_torch_target(_save(sd, tmp_path / "indexed.pt"))
    assert H.widths == (3, 5, 1) and H.weights[0].dtype == np.float64
    # names that do not say the order are refused (a state dict records no forward)
    for name, keys in {"named": ("fc1", "head"), "two stems": ("a.0", "b.1"), "leading zero": ("0", "01")}.items():
        sd = {f"{keys[0]}.weight": torch.ones(5, 3), f"{keys[1]}.weight": torch.full((1, 5), 0.5)}
        with pytest.raises(ValueError, match="Sequential index|ambiguous") as info:
            load_torch_target(_save(sd, tmp_path / f"{name}.pt"))
        assert "\n" not in str(info.value)


def test_state_dict_biases_and_refusals(tmp_path) -> None:
    biased = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    B = load_torch_target(_save(biased.state_dict(), tmp_path / "b.pt"))  # biases are read (docs/biases.md)
    assert B.has_biases
    np.testing.assert_allclose(B(X[:, :3]), _out(biased, X[:, :3]), rtol=0, atol=1e-12)
    assert load_torch_target(_save(biased, tmp_path / "b_model.pt")).has_biases
    with torch.no_grad():
        for lin in (biased[0], biased[2]):
            lin.bias.zero_()
    F = load_torch_target(_save(biased.state_dict(), tmp_path / "zero_bias.pt"))  # a zero bias is no bias
    assert not F.has_biases
    np.testing.assert_allclose(F(X[:, :3]), _out(biased, X[:, :3]), rtol=0, atol=1e-12)
    assert load_torch_target(_save(biased, tmp_path / "zero_bias_model.pt")).widths == (3, 4, 2)
    w = torch.ones(2, 3, dtype=torch.float64)
    cases = {
        "bn": ({"0.weight": w, "0.running_mean": torch.zeros(2)}, "'0.running_mean' is not"),
        "nested": ({"model": {"0.weight": w}}, "key 'model' is not '<layer>.weight'"),
        "value": ({"0.weight": [1.0, 2.0]}, "'0.weight' is a list, not a tensor"),
        "int": ({"0.weight": torch.ones(2, 3, dtype=torch.int64)}, "dense real floating-point"),
        "complex": ({"0.weight": torch.ones(2, 3, dtype=torch.complex128)}, "dense real floating-point"),
        "1d": ({"0.weight": torch.ones(3, dtype=torch.float64)}, "2-D"),
        "bias only": ({"0.bias": torch.zeros(2)}, "bias but no weight"),
        "empty": ({}, "no Linear layer"),
        "chain": ({"0.weight": w, "1.weight": w}, "inputs"),
        "non-finite": ({"0.weight": w * float("nan")}, "non-finite"),
        "tensor": (w, "holds a Tensor"),
        "list": ([w], "holds a list"),
    }
    for name, (obj, msg) in cases.items():
        path = _save(obj, tmp_path / f"{name}.pt")
        text = _one_line_error(load_torch_target, path, match=msg)
        assert repr(path) in text


# --- Flatten, Identity, Dropout -----------------------------------------------------------------


def test_flatten_identity_dropout_are_skipped(tmp_path) -> None:
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(3, 4, bias=False), torch.nn.Identity(), torch.nn.ReLU(),
        torch.nn.Dropout(0.3), torch.nn.Linear(4, 2, bias=False), torch.nn.Flatten(), torch.nn.ReLU(),
        torch.nn.Dropout(),
    ).double()
    model.eval()
    Xs = X[:, :3]
    for F in (net_from_torch(model), load_torch_target(_save(model, tmp_path / "m.pt"))):
        assert F.widths == (3, 4, 2) and F.output_relu
        np.testing.assert_allclose(F(Xs), _out(model, Xs), rtol=0, atol=1e-12)
    model.train()  # Dropout in train mode: still read as the identity (slt_check evaluates deterministically)
    assert load_torch_target(_save(model, tmp_path / "train.pt")).widths == (3, 4, 2)
    bad = torch.nn.Sequential(torch.nn.Flatten(0), torch.nn.Linear(3, 2, bias=False)).double()
    _one_line_error(net_from_torch, bad, match="not a no-op")
    _one_line_error(load_torch_target, _save(bad, tmp_path / "bad.pt"), match="not a no-op")


def test_other_layers_and_subclasses_are_refused(tmp_path) -> None:
    class MyLinear(torch.nn.Linear):
        def forward(self, x):
            return 2 * super().forward(x)

    _one_line_error(net_from_torch, torch.nn.Sequential(MyLinear(3, 2, bias=False)), match="unsupported layer MyLinear")
    nested = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False)))
    _one_line_error(net_from_torch, nested, match="unsupported layer Sequential")
    _one_line_error(load_torch_target, _save(nested, tmp_path / "n.pt"), match="unsupported layer Sequential")
    for layer in (torch.nn.Dropout1d(), torch.nn.Sigmoid(), torch.nn.BatchNorm1d(3)):
        path = _save(torch.nn.Sequential(torch.nn.Linear(3, 3, bias=False), layer), tmp_path / "o.pt")
        _one_line_error(load_torch_target, path, match=f"unsupported layer {type(layer).__name__}")
