"""Edge-popup on a construction's random ``G``: options, determinism, pruning-only, verification
against the seed, and a small case that reaches ε under the MILP certificate."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from slt_check import random_target
from slt_check.constructions.base import ConstructionFailed, Problem
from slt_check.constructions.edge_popup import EdgePopup, certify_general
from slt_check.constructions.registry import get_construction
from slt_check.pipeline.build import build_ticket
from slt_check.pipeline.verify import load_ticket, verify_ticket

torch.set_num_threads(1)

TARGET = random_target([2, 2, 1], w_max=1.0, rng=1_000_003)
FAST = {"source": "pensia", "n_samples": 8, "k": 40, "steps": 120, "time_limit": 10.0}


def _build(eps: float = 0.1, seed: int = 0, **opts: object):
    return build_ticket(TARGET, eps, 0.05, seed, construction="edge-popup", allow_failure=True, **(FAST | opts))


@pytest.mark.parametrize(
    "opts",
    [
        {"source": "burkholz"},
        {"budget": "layer"},
        {"k": 10, "fraction": 0.5},
        {"fraction": 0.0},
        {"optimizer": "rmsprop"},
        {"weight_decay": -1.0},
        {"milp_when": "never"},
        {"k": 0},
        {"k": 2.5},
        {"n_samples": 0},
        {"steps": 0},
        {"lr": -1.0},
        {"lr": float("nan")},
        {"batch": 0},
        {"train_seed": -1},
        {"q": 0.0},
        {"sup_phase": 1.5},
        {"leak": -0.1},
        {"time_limit": 0},
        {"no_such_option": 1},
    ],
)
def test_bad_options_raise(opts: dict) -> None:
    with pytest.raises(ValueError):
        get_construction("edge-popup", **opts)


def test_registered_and_G_is_the_source_G() -> None:
    problem = Problem.for_target(TARGET, 0.1, 0.05)
    for source in ("orseau", "pensia"):
        con = get_construction("edge-popup", source=source, n_samples=4)
        assert isinstance(con, EdgePopup)
        G, _ = con.sample_G(problem, 3)
        G_src, _ = get_construction(source, n_samples=4).sample_G(problem, 3)
        assert all(np.array_equal(a.view(np.uint64), b.view(np.uint64))
                   for a, b in zip(G.weights, G_src.weights, strict=True))
        assert con.plan(problem).n_samples == 4


def test_deterministic_bit_for_bit_on_cpu() -> None:
    a, b = _build(), _build()
    assert a.n_kept == b.n_kept == 40
    for ma, mb in zip(a.masks, b.masks, strict=True):
        assert np.array_equal(ma, mb)
    assert a.meta.records["training"] == b.meta.records["training"]
    assert a.meta.certified_at_select == b.meta.certified_at_select
    c = _build(train_seed=1)
    assert any(not np.array_equal(ma, mc) for ma, mc in zip(a.masks, c.masks, strict=True))


def test_ticket_is_a_pruning_and_verifies_against_its_seed(tmp_path) -> None:
    t = _build()
    verify_ticket(t)  # G ⊙ mask bit for bit, G regenerated from the seed, plan and stages checked
    for w, g, m in zip(t.weights, t.G.weights, t.masks, strict=True):
        assert np.array_equal(w, g * m)
    path = t.save(tmp_path / "ep.npz")
    back = load_ticket(path)
    assert back.n_kept == t.n_kept and back.meta.construction == "edge-popup"
    # a forged G (one entry moved by one ulp) is refused
    t.G.weights[0][0, 0] = np.nextafter(t.G.weights[0][0, 0], np.inf)
    forged = type(t)(t.G, t.masks, t.target, t.meta)
    with pytest.raises(ValueError):
        verify_ticket(forged)


def test_certificate_brackets_the_error() -> None:
    t = _build()
    cert = certify_general(TARGET, t, 1.0, time_limit=10.0)
    X = np.random.default_rng(0).uniform(-1.0, 1.0, size=(2000, 2))
    err = np.max(np.abs(TARGET(X) - t.network()(X)))
    assert err <= cert["found"] + 1e-12 <= cert["certified"] + 1e-12


def test_failure_is_reported_not_hidden() -> None:
    t = _build(eps=1e-4)
    assert t.meta.success is False and t.meta.certified_at_select > 1e-4
    with pytest.raises(ConstructionFailed):
        build_ticket(TARGET, 1e-4, 0.05, 0, construction="edge-popup", **FAST)


def test_small_case_reaches_eps() -> None:
    """random:2-2-1 (max |F| ≈ 0.26 > ε, so the zero network fails): pensia's G at width 16, k = 161
    (pensia's own kept count at its formula width), ε = 0.1."""
    X = np.random.default_rng(1).uniform(-1.0, 1.0, size=(4000, 2))
    assert np.max(np.abs(TARGET(X))) > 0.2
    t = build_ticket(TARGET, 0.1, 0.05, 0, construction="edge-popup", source="pensia", n_samples=16, k=161,
                     steps=800, train_seed=0)
    assert t.ok and t.meta.certified_at_select <= 0.1
    assert t.meta.records["found_at_select"] <= t.meta.certified_at_select
    assert t.n_kept == 161


def test_a_failed_search_does_not_claim_a_probability_event() -> None:
    """Edge-popup is a search: when its mask misses ε the message says so and names no δ event or
    missed-weight count it does not have."""
    from slt_check.pipeline.build import build_ticket
    from slt_check.tickets.targets import target_from_spec

    F = target_from_spec("random:2-2-1:bias")
    with pytest.raises(ConstructionFailed) as exc:
        build_ticket(F, 1e-4, 0.1, 0, construction="edge-popup", source="pensia")
    msg = str(exc.value)
    assert "search" in msg and "probability ≤ δ" not in msg and "misses ?" not in msg


# ------------------------------------------------------------------------------ budgets and recipes
def test_per_layer_budget_keeps_the_same_fraction_in_every_layer() -> None:
    from slt_check.constructions.edge_popup_train import layer_budgets

    assert layer_budgets(40, [100, 300], "global") is None
    assert layer_budgets(40, [100, 300], "per_layer") == [10, 30]
    assert layer_budgets(1, [100, 300], "per_layer") == [1, 1]  # at least one per layer
    assert layer_budgets(10_000, [100, 300], "per_layer") == [100, 300]  # capped at the layer
    t = _build(budget="per_layer", k=40)
    sizes = [m.size for m in t.masks]
    assert t.meta.records["training"]["kept_per_layer"] == layer_budgets(40, sizes, "per_layer")
    assert [int(m.sum()) for m in t.masks] == layer_budgets(40, sizes, "per_layer")


def test_fraction_budget_and_paper_recipe() -> None:
    t = _build(k=None, fraction=0.5, init="kaiming", optimizer="sgd", lr=0.1, schedule="cosine",
               weight_decay=5e-4, k_start=1, anneal=0.0, leak=0.0, sup_phase=0.0, steps=40)
    P = t.G.n_params
    assert t.meta.records["k"] == round(0.5 * P) and t.n_kept == round(0.5 * P)
    assert t.meta.options["optimizer"] == "sgd"
    verify_ticket(t)


def test_found_above_eps_skips_the_milp_and_fails() -> None:
    t = _build(eps=1e-4, milp_when="found_le_eps")
    assert t.meta.records["milp_runs"] == 0 and t.meta.certified_at_select is None
    assert t.meta.success is False and t.meta.records["found_at_select"] > 1e-4


def test_biased_target_trains_on_the_constant_plane() -> None:
    """A biased target is built on [x; 1]: edge-popup's inputs keep the last coordinate at 1, so its
    validation error is the error on the box of x (checked against a float64 evaluation there)."""
    from slt_check.tickets.targets import target_from_spec

    F = target_from_spec("random:2-2-1:bias")
    t = build_ticket(F, 0.1, 0.05, 0, construction="edge-popup", allow_failure=True, **(FAST | {"budget": "per_layer"}))
    assert t.meta.affine is not None
    X = np.random.default_rng(0).uniform(-1, 1, size=(4000, 2))
    Z = np.hstack([X, np.ones((len(X), 1))])
    err = np.max(np.abs(t.target(Z) - t.network()(Z)))
    assert err <= t.meta.certified_at_select * (1 + 1e-9) + 1e-12
    assert t.meta.records["found_at_select"] <= t.meta.certified_at_select * (1 + 1e-9) + 1e-12
    assert t.meta.records["certificate_detail"]["argmax"][-1] == 1.0  # the MILP's worst input is on the plane


def test_train_mask_fixed_last_draws_on_the_plane() -> None:
    from slt_check.constructions.edge_popup_train import train_mask

    problem = Problem.for_target(TARGET, 0.1, 0.05)
    G, _ = get_construction("pensia", n_samples=8).sample_G(problem, 0)
    _, info = train_mask(TARGET, G, 40, x_max=1.0, steps=30, lr=0.03, batch=32, train_seed=0, fixed_last=True)
    assert np.all(info["_worst_points"][:, -1] == 1.0)
    _, free = train_mask(TARGET, G, 40, x_max=1.0, steps=30, lr=0.03, batch=32, train_seed=0)
    assert not np.all(free["_worst_points"][:, -1] == 1.0)
