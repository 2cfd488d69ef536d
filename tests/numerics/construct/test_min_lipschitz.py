"""Tests of numerics.construct.min_lipschitz: the search for the minimum certified Lipschitz
interpolant (starts, refinement, monotone continuation in k)."""


import numpy as np
import pytest

from numerics.construct import fit_interpolant
from numerics.construct.min_lipschitz import min_lipschitz_interpolant, start_networks
from numerics.construct.minlip_certificate import certify_point, verify_point
from numerics.construct.minlip_optimize import (
    optimize_from,
    polish_exact,
)
from numerics.data import random_dataset
from numerics.domain import Domain
from numerics.experiments.tradeoff import data_lower_bounds
from numerics.lipschitz import gradient_lower_bound
from numerics.models import TwoLayerNet

BALL = Domain.ball(1.0)


# ---------------------------------------------------------------------------
# the search and its verification
# ---------------------------------------------------------------------------
def test_result_interpolates_and_verifies(small):
    D, res = small
    assert res.net is not None and res.net.k == 12
    assert res.max_error <= 1e-9
    chk = verify_point(res.net, D.X, D.y, res.certificate, recompute=True)
    assert chk.ok, chk.reasons
    assert chk.recomputed is not None


def test_result_is_bracketed_by_certified_lower_bounds(small):
    """U >= the witnessed lower bound of the network >= the proven data-only bound."""
    D, res = small
    val, wit = gradient_lower_bound(res.net, BALL, X=D.X, seed=0)
    assert wit is not None and abs(wit.verify(res.net, BALL) - val) <= 1e-9 * val
    assert res.value >= val * (1 - 1e-9)
    assert res.value >= data_lower_bounds(D.X, D.y, 12)["L"]


def test_result_never_worse_than_an_exact_start(small):
    D, res = small
    for cand in res.candidates:
        if "start_bound" in cand:
            assert res.value <= cand["start_bound"]


def test_extra_start_makes_the_curve_monotone(small):
    D, res = small
    bigger = min_lipschitz_interpolant(D.X, D.y, 14, starts=(), outer=1, inner=5,
                                       extra_starts=[("k=12", res.net)])
    assert bigger.net.k == 14
    padded_value = [c for c in bigger.candidates if c["start"] == "k=12"][0]["start_bound"]
    assert bigger.value <= padded_value
    assert bigger.value <= res.value * (1 + 1e-3)   # same function; multipliers re-optimized


def test_optimization_lowers_the_certified_bound():
    D = random_dataset(16, 6, seed=2)
    net0 = fit_interpolant(D.X, D.y, 16, seed=0).net
    net1, _ = polish_exact(optimize_from(net0, D.X, D.y, outer=4, inner=200), D.X, D.y)
    assert np.max(np.abs(net1(D.X) - D.y)) <= 1e-9
    assert certify_point(net1).value < certify_point(net0).value


def test_start_networks_interpolate_or_separate():
    D = random_dataset(10, 20, seed=0)
    starts = start_networks(D.X, D.y, 20, starts=("fit", "C1", "C4"))
    labels = [lab for lab, _ in starts]
    assert "C1" in labels and "C4" in labels
    for lab, net in starts:
        assert net.k == 20
        if lab in ("C1", "C4"):
            assert np.max(np.abs(net(D.X) - D.y)) <= 1e-9


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_bad_k():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="k"):
        min_lipschitz_interpolant(D.X, D.y, 0)


def test_bad_starts():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="starts"):
        start_networks(D.X, D.y, 6, starts=("nope",))


def test_bad_extra_starts():
    D = random_dataset(6, 3, seed=0)
    net = TwoLayerNet(np.ones(2), np.ones((2, 4)), None, "relu")
    with pytest.raises(ValueError, match="extra_starts"):
        min_lipschitz_interpolant(D.X, D.y, 6, starts=(), extra_starts=[("x", net)])


def test_bad_domain():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="domain"):
        min_lipschitz_interpolant(D.X, D.y, 6, domain="ball")


def test_refine_never_worsens_and_verifies(small):
    D, res = small
    ref = min_lipschitz_interpolant(D.X, D.y, 12, starts=(), outer=2, inner=100, refine=2,
                                    extra_starts=[("prev", res.net)])
    assert ref.value <= [c for c in ref.candidates if c["start"] == "prev"][0]["start_bound"]
    assert [c["start"] for c in ref.candidates][-2:] == ["refine:0", "refine:1"]
    assert verify_point(ref.net, D.X, D.y, ref.certificate).ok


def test_bad_refine():
    D = random_dataset(6, 3, seed=0)
    with pytest.raises(ValueError, match="refine"):
        min_lipschitz_interpolant(D.X, D.y, 6, starts=(), refine=-1)


def test_population_restarts_follow_the_gain_and_verify():
    D = random_dataset(10, 6, seed=2)
    res = min_lipschitz_interpolant(D.X, D.y, 10, starts=("fit", "C1", "C4"), outer=2,
                                    inner=80, refine=3, population=2)
    assert res.budget == {"optimizer_calls": len(res.candidates), "outer": 2, "inner": 80,
                          "starts": len(res.candidates) - 3, "refine": 3, "population": 2}
    restarts = [c for c in res.candidates if c["start"].startswith("refine:")]
    assert len(restarts) == 3 and all("from" in c for c in restarts)
    assert verify_point(res.net, D.X, D.y, res.certificate).ok
    starts = [c.get(b) for c in res.candidates for b in ("start_bound", "opt_bound")
              if c.get(b) is not None]
    assert res.value <= min(starts) * (1 + 1e-12)
