"""lipschitz_report with branch and bound (exact=True / "bnb"): equals the enumeration
for d <= 3, only tightens the report's certified bracket, sets exact only when closed,
records nodes/seconds/gap, raises when the bounds contradict, and rejects bad input
naming the argument."""

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from numerics.domain import Domain
from numerics.lipschitz import report as report_module
from numerics.lipschitz.bnb import branch_and_bound_lipschitz
from numerics.lipschitz.exact import exact_lp_lipschitz, exact_relu_lipschitz
from numerics.lipschitz.report import InconsistentBoundsError, lipschitz_report
from numerics.models import DeepReLUNet, TwoLayerNet

PL_ACTS = ("relu", "leaky_relu:0.1", "abs")
#: a light search effort: branch and bound has to do the work
LIGHT = dict(n_random=16, steps=5, polish_top=2, n_starts=2)
SLACK = 1e-9


def _net(seed: int, k: int, d: int, act: str) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       rng.standard_normal(k), act)


def _enumerated(net, dom, p):
    if p == 2.0:
        res = exact_relu_lipschitz(net, dom)
        return None if res is None else res.value
    return exact_lp_lipschitz(net, dom, p)[0]


@given(seed=st.integers(0, 2**31), k=st.integers(1, 8), d=st.integers(1, 3),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from([Domain.rd(), Domain.ball(1.0)]),
       p=st.sampled_from([1.0, 2.0, float("inf")]), mode=st.sampled_from([True, "bnb"]))
@example(seed=1, k=1, d=2, act="relu", dom=Domain.ball(1.0), p=1.0, mode=True)  # Lip = 0
def test_report_with_bnb_equals_enumeration(seed, k, d, act, dom, p, mode):
    net = _net(seed, k, d, act)
    ex = _enumerated(net, dom, p)
    assume(ex is not None)  # a degenerate arrangement the enumeration declines
    rep = lipschitz_report(net, dom, p, seed=seed, exact=mode, time_limit=None, **LIGHT)
    assert rep.exact is not None, rep.exact_reason
    assert abs(rep.exact - ex) <= SLACK * max(ex, 1e-300)
    assert rep.lower == rep.exact and rep.lower <= rep.upper <= rep.lower * (1 + 1e-9)
    assert rep.nodes >= 1 and rep.bnb["status"] == "closed"
    assert rep.lower_witness is not None
    assert rep.lower_witness.verify(net, dom) == rep.lower  # re-verifies, with its p


@given(seed=st.integers(0, 2**31), k=st.integers(10, 30), d=st.integers(3, 8),
       dom=st.sampled_from([Domain.rd(), Domain.ball(1.0), Domain.sphere(1.0)]),
       limit=st.integers(1, 5))
def test_bnb_only_tightens_the_certified_bracket(seed, k, d, dom, limit):
    net = _net(seed, k, d, "relu")
    plain = lipschitz_report(net, dom, seed=seed, exact=False, **LIGHT)
    rep = lipschitz_report(net, dom, seed=seed, exact="bnb", node_limit=limit,
                           time_limit=None, **LIGHT)
    assert plain.lower <= rep.lower <= rep.upper <= plain.upper
    assert rep.upper == min(rep.uppers.values())
    assert rep.uppers["branch_and_bound"] >= rep.upper
    # exact is set exactly when the bracket closed
    assert (rep.exact is None) == (rep.upper > rep.lower * (1 + 1e-9))
    if rep.exact is None:
        assert rep.exact_reason.startswith("branch and bound:")
    d_ = rep.to_dict()
    for key in ("exact", "lower", "upper", "nodes", "seconds", "gap", "bnb"):
        assert key in d_
    assert d_["nodes"] == rep.nodes >= 1
    assert d_["gap"] == pytest.approx(rep.upper / rep.lower - 1, rel=1e-12, abs=1e-300)


def test_open_bracket_under_a_small_budget_has_no_exact_value():
    net = _net(7, 60, 10, "relu")
    rep = lipschitz_report(net, Domain.ball(1.0), seed=0, exact="bnb", node_limit=1,
                           **LIGHT)
    assert rep.exact is None and rep.gap > 1e-9
    assert rep.bnb["status"] == "node limit"
    assert "gap" in rep.exact_reason and "branch and bound" in rep.summary()


def test_default_and_enumerate_do_not_run_bnb():
    net = _net(1, 6, 2, "relu")
    for mode in ("auto", "enumerate", False):
        rep = lipschitz_report(net, Domain.rd(), seed=0, exact=mode, **LIGHT)
        assert rep.nodes is None and rep.bnb is None
        assert "branch_and_bound" not in rep.uppers
    assert lipschitz_report(net, Domain.rd(), seed=0, exact="enumerate").exact is not None


def test_contradicting_bounds_raise(monkeypatch):
    # a wrong branch and bound whose upper bound lies below the report's witnessed lower
    net = _net(2, 12, 4, "relu")

    def wrong(*args, **kwargs):
        res = branch_and_bound_lipschitz(*args, **kwargs)
        return dataclasses.replace(res, upper=0.5 * res.lower, lower=0.5 * res.lower,
                                   witness=None, exact=None)

    monkeypatch.setattr(report_module, "branch_and_bound_lipschitz", wrong)
    with pytest.raises(InconsistentBoundsError, match="exceeds certified upper bound"):
        lipschitz_report(net, Domain.ball(1.0), seed=0, exact="bnb", **LIGHT)


def test_seeded_with_the_reports_witness(monkeypatch):
    net = _net(3, 15, 5, "relu")
    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return branch_and_bound_lipschitz(*args, **kwargs)

    monkeypatch.setattr(report_module, "branch_and_bound_lipschitz", spy)
    plain = lipschitz_report(net, Domain.ball(1.0), seed=0, exact=False, **LIGHT)
    lipschitz_report(net, Domain.ball(1.0), seed=0, exact=True, node_limit=3, **LIGHT)
    w = seen["witness"]
    assert w is not None and w.verify(net, Domain.ball(1.0)) == plain.lower
    assert seen["node_limit"] == 3 and seen["lower_search"] is False


def test_bad_input_names_the_argument():
    net = _net(0, 4, 2, "relu")
    smooth = _net(0, 4, 2, "tanh")
    for mode in (True, "bnb"):
        with pytest.raises(ValueError, match="^exact: .*piecewise-linear"):
            lipschitz_report(smooth, Domain.ball(1.0), exact=mode)
    deep = DeepReLUNet(np.ones(2), [np.eye(2), np.eye(2)], [np.zeros(2), np.zeros(2)])
    with pytest.raises(ValueError, match="^exact: .*two-layer"):
        lipschitz_report(deep, Domain.rd(), exact="bnb")
    with pytest.raises(ValueError, match="^time_limit"):
        lipschitz_report(net, Domain.rd(), exact="bnb", time_limit=-1.0)
    with pytest.raises(ValueError, match="^time_limit"):
        lipschitz_report(net, Domain.rd(), exact=False, time_limit=float("nan"))
    with pytest.raises(ValueError, match="^node_limit"):
        lipschitz_report(net, Domain.rd(), exact="bnb", node_limit=0)
    with pytest.raises(ValueError, match="^rtol"):
        lipschitz_report(net, Domain.rd(), exact="bnb", rtol=-1.0)
    for bad in ("BnB", 1, "true", None):
        with pytest.raises(ValueError, match="^exact"):
            lipschitz_report(net, Domain.rd(), exact=bad)
    # smooth activations are fine without branch and bound
    assert lipschitz_report(smooth, Domain.ball(1.0), exact="auto").exact is None
