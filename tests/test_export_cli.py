"""``slt-check export TICKET --torch OUT.pt [--dtype …]`` for MLP (dense and compact) and CNN tickets,
and ``ticket.to_torch(dtype=…)``: the written file, read back with torch's restricted loader
(``weights_only=True``, torch's own module classes allowed), computes the ticket's float64 network on
random inputs of the box, to within a rounding bound of the export's dtype.

The bound is a priori, not tuned: a layer ``y = W x + b`` evaluated in a float format of unit round-off
``u`` with weights rounded to it has ``|fl(y) − y| ≤ γ_{n+2} (|W| |x| + |b|)`` (``n`` the fan-in: the
products and the sum, plus the rounding of ``W`` and the bias add; Higham §3.1), ReLU and average
pooling do not increase an error, so over ``L`` weighted layers
``|out − ref| ≤ ((1 + γ_{n+2})^L − 1) · |W_L|⋯|W_1| |x|`` (with biases), doubled for the float64
reference's own rounding. ``|W_L|⋯|W_1| |x|`` is the exported module itself evaluated in float64 with
every weight and bias replaced by its absolute value, on ``|x|``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.nn.utils import prune  # noqa: E402

from slt_check.cli.main import main  # noqa: E402
from slt_check.pipeline.verify import load_ticket  # noqa: E402
from slt_check.tickets.conv_ticket import read_conv_ticket  # noqa: E402

pytestmark = pytest.mark.torch

UNIT = {"float64": 2.0**-53, "float32": 2.0**-24}
SAFE = [torch.nn.Sequential, torch.nn.Linear, torch.nn.Conv2d, torch.nn.ReLU, torch.nn.Flatten,
        torch.nn.AvgPool2d, prune.CustomFromMask, prune.PruningContainer]


def restricted_load(path: str) -> torch.nn.Module:
    """torch's restricted unpickler, allowing torch's own module and pruning classes only."""
    with torch.serialization.safe_globals(SAFE):
        return torch.load(path, map_location="cpu", weights_only=True)


def rounding_bound(module: torch.nn.Module, x: np.ndarray, unit: float) -> np.ndarray:
    """Per output: ``2((1 + γ_{n+2})^L − 1) · |W_L|⋯|W_1||x|`` (module docstring)."""
    absmod = copy.deepcopy(module).to(torch.float64)
    weighted = [m for m in absmod.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    with torch.no_grad():
        for m in weighted:
            for name in ("weight", "weight_orig", "bias", "bias_orig"):
                t = m._parameters.get(name)
                if t is not None:
                    t.abs_()
        fan_in = max(m.weight[0].numel() for m in weighted)
        mag = absmod(torch.from_numpy(np.abs(x))).numpy()
    g = (fan_in + 2) * unit / (1 - (fan_in + 2) * unit)
    return 2 * ((1 + g) ** len(weighted) - 1) * mag


def run(module: torch.nn.Module, x: np.ndarray, dtype: torch.dtype) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(x).to(dtype)).to(torch.float64).numpy()


def check_export(path: str, ref, x: np.ndarray, dtype_name: str) -> float:
    """Load ``path`` restricted, check its dtype, compare with ``ref(x)`` (float64); the max error."""
    module = restricted_load(path)
    dtype = getattr(torch, dtype_name)
    assert {p.dtype for p in module.parameters()} == {dtype}
    out, want = run(module, x, dtype), ref(x)
    err = np.abs(out - want)
    assert np.all(err <= rounding_bound(module, x, UNIT[dtype_name])), (err.max(), dtype_name)
    return float(err.max())


@pytest.fixture(scope="module")
def mlp_tickets(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("mlp")
    paths = {"dense": str(d / "dense.npz"), "lazy": str(d / "lazy.npz")}
    common = ["--eps", "0.05", "--delta", "0.1", "--seed", "0", "--sharing", "per_input"]
    assert main(["build", "--target", "random:3-4-2", *common, "--out", paths["dense"]]) == 0
    assert main(["build", "--target", "random:3-5-2:uniform:bias", *common, "--lazy", "--out", paths["lazy"]]) == 0
    return paths


@pytest.mark.parametrize("dtype_name", ["float64", "float32"])
@pytest.mark.parametrize("kind", ["dense", "lazy"])
def test_export_mlp(mlp_tickets, tmp_path, capsys, kind: str, dtype_name: str) -> None:
    pt = str(tmp_path / "t.pt")
    assert main(["export", mlp_tickets[kind], "--torch", pt, "--dtype", dtype_name]) == 0
    assert ("certified sup error covers the float64 module only" in capsys.readouterr().out) == (
        dtype_name == "float32")
    ticket = load_ticket(mlp_tickets[kind])
    net = ticket.network_on_x()
    x = np.random.default_rng(7).uniform(-1, 1, (200, net.weights[0].shape[1]))
    err = check_export(pt, net, x, dtype_name)
    if dtype_name == "float32":
        assert err > 0  # the weights were really rounded


def test_export_cnn(tmp_path, capsys) -> None:
    arch = "1x4x4:conv2k2b,relu,flatten,linear2"
    out = str(tmp_path / "c.npz")
    assert main(["build", "--target", f"random-cnn:{arch}", "--eps", "0.05", "--delta", "0.1",
                 "--option", "precision=certificate", "--out", out]) == 0
    ticket = read_conv_ticket(out)
    x = np.random.default_rng(8).uniform(-1, 1, (50, 1, 4, 4))
    ref = ticket.torch_fn()

    def ref_np(z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return ref(torch.from_numpy(z)).numpy()

    for dtype_name in ("float64", "float32"):
        pt = str(tmp_path / f"c_{dtype_name}.pt")
        assert main(["export", out, "--torch", pt, "--dtype", dtype_name]) == 0
        assert "reproduces" in capsys.readouterr().out
        check_export(pt, ref_np, x, dtype_name)


def test_to_torch_dtype_and_mismatch(mlp_tickets) -> None:
    ticket = load_ticket(mlp_tickets["dense"])
    x = np.random.default_rng(9).uniform(-1, 1, (20, 3))
    m64, m32 = ticket.to_torch(), ticket.to_torch(dtype=torch.float32)
    assert {p.dtype for p in m64.parameters()} == {torch.float64}
    assert {p.dtype for p in m32.parameters()} == {torch.float32}
    # the pruned weight is recomputed at once, not only at the first forward
    assert all(m.weight.dtype == torch.float32 for m in m32 if isinstance(m, torch.nn.Linear))
    np.testing.assert_array_equal(run(ticket.to_torch(dtype=torch.float64), x, torch.float64), run(m64, x, torch.float64))
    assert np.all(np.abs(run(m32, x, torch.float32) - ticket.network()(x)) <= rounding_bound(m32, x, UNIT["float32"]))
    with pytest.raises(RuntimeError, match="dtype"):  # documented: inputs must have the module's dtype
        m64(torch.from_numpy(x).float())
    with pytest.raises(ValueError, match="float64"):
        ticket.to_torch(dtype=torch.float16)


def test_export_bad_dtype_is_usage_error(mlp_tickets, tmp_path) -> None:
    assert main(["export", mlp_tickets["dense"], "--torch", str(tmp_path / "t.pt"), "--dtype", "float16"]) == 2
