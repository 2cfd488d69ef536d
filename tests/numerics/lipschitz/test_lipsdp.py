"""LipSDP-Neuron bound: certified, above every exact value and lower bound, never
above the spectral bound, and its certificate rejects infeasible multipliers."""

import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from numerics.domain import Domain
from numerics.lipschitz import (
    LipSDPResult,
    certify_multipliers,
    exact_relu_lipschitz,
    lipsdp_matrix,
    lipsdp_upper_bound,
    neuron_sectors,
    reduced_matrix,
    sdp_dual_value,
    spectral_multipliers,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet

PL_ACTS = ("relu", "leaky_relu:0.1", "abs")
ACTS = PL_ACTS + ("tanh", "softplus:2")
DOMAINS = (Domain.rd(), Domain.ball(1.0), Domain.sphere(1.0), Domain.ball(0.5))
#: Relative slack of the certification (rounding margin, O((k + d) d u)); the
#: certified value exceeds the optimum of the reduced problem by at most this much.
CERT_SLACK = 1e-9


def _net(seed: int, k: int, d: int, act: str, bias_scale: float = 1.0) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       bias_scale * rng.standard_normal(k), act)


def _min_eig(M: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(M)[0])


def _sampled_gradient_norm(net: TwoLayerNet, domain: Domain, seed: int, m: int = 4000) -> float:
    rng = np.random.default_rng(seed)
    X = domain.sample(m, net.d, rng)
    if domain.kind == "rd":
        X = 3 * X
    G = domain.effective_gradient(X, net.gradient(X))
    return float(np.max(np.linalg.norm(G, axis=1)))


# ---------------------------------------------------------------------------
# the certificate and its reduction
# ---------------------------------------------------------------------------
def test_single_neuron_is_exact():
    net = TwoLayerNet([2.0], [[3.0, 4.0]], [0.3], "relu")
    res = lipsdp_upper_bound(net)
    assert res.certified
    assert 10.0 <= res.value <= 10.0 * (1 + CERT_SLACK)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 7), d=st.integers(1, 4),
       act=st.sampled_from(ACTS + ("power:2", "power:3")), dom=st.sampled_from(DOMAINS[1:]))
@example(seed=0, k=3, d=2, act="abs", dom=Domain.ball(1.0))
def test_reduced_form_equals_full_lmi_threshold(seed, k, d, act, dom):
    """For random feasible T, rho* = lambda_max(R(T)) is exactly the threshold of the
    full (d + k) x (d + k) matrix inequality (Schur complement + Woodbury)."""
    assume(dom.kind != "sphere" or d >= 2)
    net = _net(seed, k, d, act)
    S = neuron_sectors(net, dom)
    assert S is not None
    T0 = spectral_multipliers(net, dom)
    rng = np.random.default_rng(seed + 1)
    T = T0 * np.exp(rng.uniform(0.0, 1.0, net.k))  # scaling T up keeps s < 1
    R = reduced_matrix(net, T, dom)
    assert R is not None
    rho = float(np.linalg.eigvalsh(R)[-1])
    scale = max(rho, 1.0) + float(np.max(2 * T)) + float(net.a @ net.a)
    assert _min_eig(lipsdp_matrix(net, T, rho * (1 + 1e-6) + 1e-9, dom)) >= -1e-9 * scale
    if S.free.any():
        assert _min_eig(lipsdp_matrix(net, T, rho * (1 - 1e-6), dom)) < 0


@given(seed=st.integers(0, 2**31), k=st.integers(1, 8), d=st.integers(1, 4),
       act=st.sampled_from(ACTS), dom=st.sampled_from(DOMAINS))
def test_optimized_multipliers_satisfy_full_lmi_and_fail_below(seed, k, d, act, dom):
    assume(dom.kind != "sphere" or d >= 2)
    net = _net(seed, k, d, act)
    res = lipsdp_upper_bound(net, dom)
    assert res.certified and math.isfinite(res.value)
    assert res.value**2 >= res.rho
    assert certify_multipliers(net, res.t, res.rho, dom)
    M = lipsdp_matrix(net, res.t, res.rho, dom)
    assert _min_eig(M) >= -1e-10 * (1 + np.abs(M).max())
    R = reduced_matrix(net, res.t, dom)
    rho_star = float(np.linalg.eigvalsh(R)[-1])
    assert rho_star <= res.rho
    if rho_star == 0:  # f is constant on the domain
        assert res.value == 0 and neuron_sectors(net, dom).dropped.all()
        return
    below = rho_star * (1 - 1e-6)
    assert not certify_multipliers(net, res.t, below, dom)
    if neuron_sectors(net, dom).free.any():
        assert _min_eig(lipsdp_matrix(net, res.t, below, dom)) < 0


def test_certification_rejects_infeasible_multipliers():
    net = _net(3, 6, 3, "relu")
    res = lipsdp_upper_bound(net)
    huge = 1e6 * res.rho
    # s(T) = sum a^2 / (2 T) >= 1: the lower-right block 2T - aa^T is not PSD
    T_bad = net.a**2 * 0.4
    assert not certify_multipliers(net, T_bad, huge)
    assert _min_eig(lipsdp_matrix(net, T_bad, huge)) < 0
    # a zero multiplier on a free neuron
    T_zero = res.t.copy()
    T_zero[2] = 0.0
    assert not certify_multipliers(net, T_zero, huge)
    assert _min_eig(lipsdp_matrix(net, T_zero, huge)) < 0
    # good multipliers, rho below their threshold
    assert not certify_multipliers(net, res.t, res.rho * (1 - 1e-5))
    assert certify_multipliers(net, res.t, res.rho)


def test_wrong_scaling_is_caught_by_the_full_lmi():
    """The docs/mathematics.md#lipsdp-reduction formula with the constants of the wrong convention
    (1/4 W^T T W and g g^T / (8 (1 - s))) gives a rho the full LMI rejects."""
    net = _net(5, 7, 3, "relu")
    res = lipsdp_upper_bound(net)
    T, W, a = res.t, net.W, net.a
    s = float(np.sum(a**2 / (2 * T)))
    g = W.T @ a
    right = 0.5 * W.T @ (T[:, None] * W) + np.outer(g, g) / (4 * (1 - s))
    wrong = 0.25 * W.T @ (T[:, None] * W) + np.outer(g, g) / (8 * (1 - s))
    rho_right = float(np.linalg.eigvalsh(right)[-1])
    rho_wrong = float(np.linalg.eigvalsh(wrong)[-1])
    # equal up to the 1e-12 outward widening of the sector [0, 1]
    assert math.isclose(rho_right, float(np.linalg.eigvalsh(reduced_matrix(net, T))[-1]),
                        rel_tol=1e-10)
    assert rho_wrong < rho_right
    assert _min_eig(lipsdp_matrix(net, T, rho_wrong)) < 0
    assert not certify_multipliers(net, T, rho_wrong)
    # dropping the rank-one term is caught too
    rho_drop = float(np.linalg.eigvalsh(0.5 * W.T @ (T[:, None] * W))[-1])
    assert not certify_multipliers(net, T, rho_drop)


def test_spectral_multipliers_are_feasible_with_the_spectral_value():
    for act in ACTS:
        for dom in DOMAINS:
            net = _net(11, 9, 4, act)
            T = spectral_multipliers(net, dom)
            res = lipsdp_upper_bound(net, dom)
            assert certify_multipliers(net, T, res.spectral**2 * (1 + CERT_SLACK), dom)
            assert res.spectral <= spectral_upper_bound(net, dom) * (1 + CERT_SLACK)


# ---------------------------------------------------------------------------
# the bound against the truth and other bounds
# ---------------------------------------------------------------------------
@given(seed=st.integers(0, 2**31), d=st.integers(1, 3), extra=st.integers(0, 5),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from(DOMAINS))
@example(seed=1, d=2, extra=3, act="relu", dom=Domain.rd())
def test_bound_at_least_exact_value(seed, d, extra, act, dom):
    assume(dom.kind != "sphere" or d >= 2)
    net = _net(seed, d + extra, d, act)
    exact = exact_relu_lipschitz(net, dom)
    res = lipsdp_upper_bound(net, dom)
    assert res.certified
    if exact is not None:
        assert res.value >= exact.value
    assert res.value >= _sampled_gradient_norm(net, dom, seed)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 30), d=st.integers(1, 8),
       act=st.sampled_from(ACTS + ("power:2", "power:3")), dom=st.sampled_from(DOMAINS))
def test_bound_at_least_sampled_gradient_norms(seed, k, d, act, dom):
    assume(dom.kind != "sphere" or d >= 2)
    net = _net(seed, k, d, act)
    res = lipsdp_upper_bound(net, dom)
    if act.startswith("power") and dom.kind == "rd":
        assert res is None  # unbounded slopes: no certificate, no number
        return
    assert res.certified
    assert res.value >= _sampled_gradient_norm(net, dom, seed)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 40), d=st.integers(1, 10),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from(DOMAINS))
@example(seed=0, k=1, d=3, act="abs", dom=Domain.rd())
def test_never_worse_than_spectral(seed, k, d, act, dom):
    assume(dom.kind != "sphere" or d >= 2)
    net = _net(seed, k, d, act)
    res = lipsdp_upper_bound(net, dom)
    spec_rd = float(net.activation.lipschitz_float * np.linalg.norm(net.a)
                    * np.linalg.norm(net.W, 2))
    assert res.value <= res.spectral * (1 + CERT_SLACK)
    assert res.value <= spec_rd * (1 + CERT_SLACK)
    assert res.value <= spectral_upper_bound(net, dom) * (1 + CERT_SLACK)


@pytest.mark.parametrize("act", ["tanh", "softplus:2"])
@pytest.mark.parametrize("dom", [Domain.rd(), Domain.ball(1.0)])
def test_never_worse_than_spectral_smooth(act, dom):
    for seed in range(3):
        net = _net(seed, 5 + 7 * seed, 2 + seed, act)
        res = lipsdp_upper_bound(net, dom)
        spec_rd = float(np.linalg.norm(net.a) * np.linalg.norm(net.W, 2))  # L_psi = 1
        assert res.value <= res.spectral * (1 + CERT_SLACK)
        assert res.value <= spec_rd * (1 + CERT_SLACK)


def test_sphere_needs_two_dimensions():
    net = _net(0, 3, 1, "relu")
    with pytest.raises(ValueError, match="domain"):
        lipsdp_upper_bound(net, Domain.sphere(1.0))


def test_tighter_than_spectral_on_a_wide_random_network():
    net = _net(2, 200, 10, "relu")
    res = lipsdp_upper_bound(net)
    assert res.value < 0.8 * res.spectral
    assert res.gap <= 1e-3


@given(seed=st.integers(0, 2**31), k=st.integers(2, 12), d=st.integers(1, 5),
       act=st.sampled_from(ACTS))
def test_dual_value_is_below_every_feasible_rho(seed, k, d, act):
    net = _net(seed, k, d, act)
    res = lipsdp_upper_bound(net)
    assert res.rho_dual <= res.rho
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((d, d))
    D = sdp_dual_value(net, B @ B.T + 1e-3 * np.eye(d))
    T = spectral_multipliers(net) * np.exp(rng.uniform(0, 2, k))
    rho_T = float(np.linalg.eigvalsh(reduced_matrix(net, T))[-1])
    assert D <= rho_T * (1 + 1e-12)
    assert D <= res.rho * (1 + 1e-12)


def test_optimum_matches_reference_sdp_when_cvxpy_is_available():
    cp = pytest.importorskip("cvxpy")
    net = _net(4, 12, 3, "relu")
    res = lipsdp_upper_bound(net, tol=1e-6)
    k, d = net.k, net.d
    T = cp.Variable(k)
    rho = cp.Variable()
    W, a = net.W, net.a
    M = cp.bmat([[rho * np.eye(d), -W.T @ cp.diag(T)],
                 [-cp.diag(T) @ W, 2 * cp.diag(T) - np.outer(a, a)]])
    prob = cp.Problem(cp.Minimize(rho), [(M + M.T) / 2 >> 0, T >= 0])
    prob.solve(solver=cp.CLARABEL)
    assert abs(res.rho / rho.value - 1) <= 1e-3


# ---------------------------------------------------------------------------
# domain awareness
# ---------------------------------------------------------------------------
def test_dead_neurons_are_dropped_and_always_on_neurons_merge():
    base = _net(7, 6, 3, "relu", bias_scale=0.1)
    dom = Domain.ball(1.0)
    r0 = lipsdp_upper_bound(base, dom)
    # a neuron that is off on the whole ball changes nothing
    W = np.vstack([base.W, [[1.0, 0.0, 0.0]]])
    dead = TwoLayerNet(np.append(base.a, 5.0), W, np.append(base.b, -2.0), "relu")
    r1 = lipsdp_upper_bound(dead, dom)
    assert r1.n_dropped == r0.n_dropped + 1
    assert math.isclose(r1.value, r0.value, rel_tol=2e-3)
    # all neurons on: f is linear on the ball, the bound is ||sum a w|| (to margins)
    on = TwoLayerNet(base.a, base.W, np.abs(base.b) + 2 * np.linalg.norm(base.W, axis=1),
                     "relu")
    r2 = lipsdp_upper_bound(on, dom)
    exact = float(np.linalg.norm(base.W.T @ base.a))
    assert r2.n_linear == 6 and r2.n_free == 0
    assert exact <= r2.value <= exact * (1 + CERT_SLACK)
    # leaky relu: off neurons are linear with slope alpha, not dropped
    leaky = TwoLayerNet(base.a, base.W, -np.abs(base.b) - 2 * np.linalg.norm(base.W, axis=1),
                        "leaky_relu:0.1")
    r3 = lipsdp_upper_bound(leaky, dom)
    assert r3.n_linear == 6
    assert 0.1 * exact <= r3.value <= 0.1 * exact * (1 + CERT_SLACK)


def test_ball_bound_below_rd_bound_and_sphere_equals_ball():
    net = _net(8, 40, 3, "relu", bias_scale=2.0)
    rd = lipsdp_upper_bound(net, Domain.rd(), tol=1e-5)
    ball = lipsdp_upper_bound(net, Domain.ball(1.0), tol=1e-5)
    sphere = lipsdp_upper_bound(net, Domain.sphere(1.0), tol=1e-5)
    assert ball.value <= rd.value * (1 + 1e-4)
    assert ball.n_free < net.k
    assert math.isclose(sphere.value, ball.value, rel_tol=1e-4)


def test_closed_case_abs_is_certified():
    net = _net(9, 10, 3, "abs", bias_scale=0.0)
    S = neuron_sectors(net)
    assert np.all((S.alpha + S.beta)[S.free] == 0)
    res = lipsdp_upper_bound(net)
    assert res.certified
    assert certify_multipliers(net, res.t, res.rho)
    assert res.value >= _sampled_gradient_norm(net, Domain.rd(), 9)


def test_unbounded_slopes_give_none():
    net = _net(1, 4, 2, "power:3")
    assert lipsdp_upper_bound(net) is None
    assert neuron_sectors(net) is None
    assert lipsdp_upper_bound(net, Domain.ball(1.0)).certified


def test_result_fields():
    net = _net(1, 5, 2, "tanh")
    res = lipsdp_upper_bound(net, Domain.ball(1.0))
    assert isinstance(res, LipSDPResult)
    d = res.to_dict()
    assert d["certified"] and d["value"] == res.value and d["domain"] == "ball(R=1)"
    assert res.t.shape == (5,) and res.iterations >= 0 and res.seconds >= 0
    assert res.n_free + res.n_linear + res.n_dropped == 5


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def test_bad_input_raises_naming_the_argument():
    net = _net(0, 3, 2, "relu")
    with pytest.raises(ValueError, match="net"):
        lipsdp_upper_bound("relu")
    with pytest.raises(ValueError, match="domain"):
        lipsdp_upper_bound(net, "ball")
    with pytest.raises(ValueError, match="tol"):
        lipsdp_upper_bound(net, tol=0.0)
    with pytest.raises(ValueError, match="maxiter"):
        lipsdp_upper_bound(net, maxiter=0)
    with pytest.raises(ValueError, match="t"):
        certify_multipliers(net, [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="t"):
        certify_multipliers(net, [1.0, -1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="rho"):
        certify_multipliers(net, [1.0, 1.0, 1.0], float("nan"))
    with pytest.raises(ValueError, match="P"):
        sdp_dual_value(net, np.eye(3))
    with pytest.raises(ValueError, match="P"):
        sdp_dual_value(net, -np.eye(2))


# ---------------------------------------------------------------------------
# the row-space optimizer and caller-supplied sectors
# ---------------------------------------------------------------------------
@given(seed=st.integers(0, 2**31), k=st.integers(1, 6), extra=st.integers(3, 20),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from(DOMAINS[:2]))
def test_row_space_reduction_keeps_lambda_max(seed, k, extra, act, dom):
    from numerics.lipschitz.lipsdp import _reduce
    from numerics.lipschitz.lipsdp_certify import _reduced_from, row_space_reduced

    net = _net(seed, k, k + extra, act)
    red = _reduce(net, dom)
    assume(red.kF > 0)
    opt = row_space_reduced(red)
    assert opt.d <= red.kF + 1 < red.d
    rng = np.random.default_rng(seed)
    TF = np.asarray(spectral_multipliers(net, dom))[red.free_idx] * rng.uniform(1, 3, red.kF)
    full, small = _reduced_from(red, TF), _reduced_from(opt, TF)
    lam_full = float(np.linalg.eigvalsh(full)[-1])
    lam_small = float(np.linalg.eigvalsh(small)[-1])
    assert abs(lam_full - lam_small) <= 1e-10 * lam_full
    if opt.d > 1:
        # a wrong basis (one direction dropped) changes lambda_max and is caught
        from dataclasses import replace

        bad = replace(opt, WF=opt.WF[:, 1:], g=opt.g[1:], u=opt.u[1:], d=opt.d - 1)
        lam_bad = float(np.linalg.eigvalsh(_reduced_from(bad, TF))[-1])
        assert lam_bad < lam_full * (1 - 1e-8)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 12), extra=st.integers(3, 30),
       act=st.sampled_from(PL_ACTS), dom=st.sampled_from(DOMAINS[:2]))
@example(seed=1, k=6, extra=24, act="abs", dom=Domain.rd())
def test_row_space_optimizer_gives_the_same_certified_value(seed, k, extra, act, dom):
    net = _net(seed, k, k + extra, act)
    new = lipsdp_upper_bound(net, dom, row_space=True)
    old = lipsdp_upper_bound(net, dom, row_space=False)
    assert new.certified and old.certified
    # never worse than the d x d optimizer (which can stall at the spectral point when
    # d >> k: seed=1, k=6, extra=24, abs on R^d), and never below a proved lower bound
    # on the optimum of the same problem
    assert new.rho <= old.rho * (1 + 2.1e-3)
    assert new.rho >= max(new.rho_dual, old.rho_dual) * (1 - 1e-12)
    # the certificate is the full (d + k) x (d + k) one, whatever the optimizer used
    assert certify_multipliers(net, new.t, new.rho, dom)
    assert not certify_multipliers(net, new.t, new.rho * (1 - 1e-3) * new.rho_dual / new.rho,
                                   dom)


def test_sector_bound_bounds_every_pattern_gradient_in_its_sectors():
    from numerics.lipschitz.lipsdp import lipsdp_sector_bound
    from numerics.lipschitz.lipsdp_certify import NeuronSectors

    net = _net(4, 6, 3, "relu")
    fixed_on = np.array([True, False, False, True, False, False])
    S = NeuronSectors(np.where(fixed_on, 1.0, 0.0), np.ones(6), ~fixed_on, fixed_on, "test")
    res = lipsdp_sector_bound(net, S)
    assert res.certified
    best = 0.0
    for bits in range(16):
        s = fixed_on.astype(float)
        s[~fixed_on] = [(bits >> i) & 1 for i in range(4)]
        best = max(best, float(np.linalg.norm(net.W.T @ (net.a * s))))
    assert res.value >= best
    # the same sectors with the fixed neurons wrongly dropped lose the bound's validity
    wrong = NeuronSectors(np.zeros(6), np.where(fixed_on, 0.0, 1.0), ~fixed_on,
                          np.zeros(6, bool), "wrong")
    assert lipsdp_sector_bound(net, wrong).value < best


def test_sector_bound_rejects_bad_sectors():
    from numerics.lipschitz.lipsdp import lipsdp_sector_bound
    from numerics.lipschitz.lipsdp_certify import NeuronSectors

    net = _net(0, 3, 2, "relu")
    one = np.ones(3, bool)
    with pytest.raises(ValueError, match="sectors"):
        lipsdp_sector_bound(net, "not sectors")
    with pytest.raises(ValueError, match="sectors"):
        lipsdp_sector_bound(net, NeuronSectors(np.zeros(2), np.ones(2), one[:2], ~one[:2], ""))
    with pytest.raises(ValueError, match="sectors"):  # free with alpha >= beta
        lipsdp_sector_bound(net, NeuronSectors(np.ones(3), np.ones(3), one, ~one, ""))
    with pytest.raises(ValueError, match="sectors"):
        lipsdp_sector_bound(net, NeuronSectors(np.full(3, np.nan), np.ones(3), one, ~one, ""))
    with pytest.raises(ValueError, match="t_start"):
        lipsdp_sector_bound(net, NeuronSectors(np.zeros(3), np.ones(3), one, ~one, ""),
                            t_start=[1.0])
