r"""Tests of numerics.lipschitz.upper: every closed-form bound dominates the gradients;
wrong bounds are caught.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from support.lipschitz_checks import all_uppers, assert_bracket, lowers

from numerics.domain import Domain
from numerics.lipschitz import (
    INF,
    box_upper_bound_lp,
    conversion_upper_bound_lp,
    dual_exponent,
    exact_lp_lipschitz,
    exact_relu_lipschitz,
    lipschitz_report,
    lp_norm,
    operator_norm_bound,
    operator_upper_bound_lp,
    path_norm_upper_bound_lp,
)
from numerics.models import TwoLayerNet


def test_dropped_operator_norm_caught():
    """||a|| L_psi without ||W||_op: f = 2 relu(3 x1 + 4 x2) has Lip 10, the
    wrong bound says 2."""
    net = TwoLayerNet([2.0], [[3.0, 4.0]], [0.1], "relu")
    dom = Domain.ball(1.0)
    lows = lowers(net, dom, 0)
    assert_bracket(lows, all_uppers(net, dom), exact_relu_lipschitz(net, dom).value)
    wrong = float(np.linalg.norm(net.a))
    with pytest.raises(AssertionError):
        assert_bracket(lows, [wrong])


def test_dropped_slope_bound_caught():
    """power:2 on B_2: f = x1^2 has Lip 4; dropping L_psi = 2 * 2 gives 1."""
    net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "power:2")
    dom = Domain.ball(2.0)
    lows = lowers(net, dom, 0)
    assert max(lows) == pytest.approx(4.0, rel=1e-9)
    assert_bracket(lows, all_uppers(net, dom))
    wrong = float(np.linalg.norm(net.a) * np.linalg.norm(net.W, 2))
    with pytest.raises(AssertionError):
        assert_bracket(lows, [wrong])


PS = (1.0, 2.0, INF)


PL_ACTS = ("relu", "leaky_relu:0.1", "abs")


RTOL = 1e-9


def _net(seed: int, k: int, d: int, act: str, bias_scale: float = 1.0) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       bias_scale * rng.standard_normal(k), act)


lp_nets = st.builds(_net, st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 3),
                 st.sampled_from(PL_ACTS))


lp_domains = st.sampled_from([Domain.rd(), Domain.ball(1.0), Domain.ball(2.5)])


ps = st.sampled_from(PS)


@given(lp_nets, lp_domains, ps)
def test_box_dominated_by_path_and_operator(net, domain, p):
    box = box_upper_bound_lp(net, domain, p)
    assume(box is not None)
    assert box <= path_norm_upper_bound_lp(net, domain, p) * (1 + 1e-9)
    assert box <= operator_upper_bound_lp(net, domain, p) * (1 + 1e-9)


def _uppers_dominate_gradients(seed, k, d, act, domain, p):
    net = _net(seed, k, d, act)
    q = dual_exponent(p)
    P = domain.sample(300, d, np.random.default_rng(seed))
    g = lp_norm(net.gradient(P), q).max()
    for f in (path_norm_upper_bound_lp, operator_upper_bound_lp, conversion_upper_bound_lp):
        assert g <= f(net, domain, p) * (1 + 1e-9)


@given(st.integers(0, 10**6), st.integers(1, 8), st.integers(1, 6), st.sampled_from(PL_ACTS),
       lp_domains, ps)
def test_uppers_dominate_gradients(seed, k, d, act, domain, p):
    _uppers_dominate_gradients(seed, k, d, act, domain, p)


# numerics.lipschitz.slopes.slope_ranges recomputes the symbolic slope range of a smooth
# activation on every call (seconds each), so smooth activations get one test
@pytest.mark.slow
def test_smooth_activation_uppers_and_no_exact():
    net = _net(7, 5, 3, "tanh")
    dom = Domain.ball(1.0)
    P = dom.sample(300, 3, np.random.default_rng(0))
    for p in PS:
        rep = lipschitz_report(net, dom, p, seed=0, n_random=32, steps=5)
        assert rep.exact is None and rep.exact_reason
        g = lp_norm(net.gradient(P), dual_exponent(p)).max()
        assert rep.lower <= rep.upper
        for name, u in rep.uppers.items():
            assert g <= u * (1 + 1e-9), name


FAMILY = [_net(s, k, d, act) for s, (k, d, act) in
          enumerate([(k, d, act) for k in (3, 5) for d in (1, 2, 3) for act in PL_ACTS])]


def _valid_on_family(bound, domain, p) -> bool:
    for net in FAMILY:
        ex, _ = exact_lp_lipschitz(net, domain, p)
        if ex is not None and bound(net, domain, p) < ex * (1 - RTOL):
            return False
    return True


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("domain", [Domain.rd(), Domain.ball(1.0)], ids=["rd", "ball"])
def test_wrong_upper_bounds_are_caught(p, domain):
    from numerics.lipschitz import slope_ranges

    q = dual_exponent(p)
    for good in (path_norm_upper_bound_lp, operator_upper_bound_lp):
        assert _valid_on_family(good, domain, p)

    def path_dropped_term(net, dom, p):  # the switching neurons' term dropped
        lo, hi = slope_ranges(net, dom)
        return float(lp_norm(((lo + hi) / 2 * net.a) @ net.W, q)[0])

    def operator_dropped_term(net, dom, p):  # the linear (centre) term dropped
        lo, hi = slope_ranges(net, dom)
        return operator_norm_bound(net.W.T, 2, q) * float(np.linalg.norm(net.a * (hi - lo) / 2))

    assert not _valid_on_family(path_dropped_term, domain, p)
    assert not _valid_on_family(operator_dropped_term, domain, p)
