"""Networks with m outputs, x -> A psi(Wx + b): the l2 operator-norm Lipschitz constant.

lower <= upper on random nets; m = 1 gives the scalar numbers; branch and bound equals a
brute force over activation patterns (LP feasibility per pattern, HiGHS); the block LipSDP
value equals a general SDP solver's optimum (cvxpy) and is >= the exact value; the block
reduction's equivalence M >= 0 <=> K >= 0 holds numerically; deliberately wrong versions
(the block replaced by the rank-one term of the first output, a scaled-down certificate, a
loosened prune) are caught; witnesses re-verify; bad input names ``a``."""

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import linprog

from numerics.domain import Domain
from numerics.lipschitz import InconsistentBoundsError, lipschitz_report
from numerics.lipschitz import vector_report as vreport
from numerics.lipschitz.lipsdp import lipsdp_upper_bound
from numerics.lipschitz.vector_bnb import vector_branch_and_bound
from numerics.lipschitz.vector_lipsdp import (
    block_data,
    block_matrix,
    certify_block,
    reduced_block_matrix,
    vector_closed_form_bound,
    vector_lipsdp_upper_bound,
    vector_sectors,
)
from numerics.lipschitz.vector_search import VectorWitness, vector_lower_bound
from numerics.models import TwoLayerNet, VectorTwoLayerNet

PL_ACTS = ("relu", "leaky_relu:0.1", "abs")
SLACK = 1e-9


def _net(seed, m, k, d, act="relu") -> VectorTwoLayerNet:
    rng = np.random.default_rng(seed)
    return VectorTwoLayerNet(rng.standard_normal((m, k)), rng.standard_normal((k, d)),
                             rng.standard_normal(k), act)


def _domain(kind):
    return Domain.rd() if kind == "rd" else Domain.ball(1.0)


def _lower(net, dom, seed=0):
    return vector_lower_bound(net, dom, seed=seed, n_random=32, rounds=1, top=1, effort=16)


def brute_force(net: VectorTwoLayerNet) -> float:
    """max ||A diag(s_S) W||_op over the sign patterns S whose cell in R^d has an
    interior point (max-margin LP, HiGHS)."""
    W, b, A = net.W, net.b, net.a
    k, d = W.shape
    lo = float(net.activation.numeric_derivative(np.array(-1.0)))
    hi = float(net.activation.numeric_derivative(np.array(1.0)))
    nw = np.linalg.norm(W, axis=1)
    best = 0.0
    for sig in itertools.product((1, -1), repeat=k):
        sg = np.array(sig, dtype=float)
        A_ub = np.hstack([-(sg[:, None] * W), nw[:, None]])
        r = linprog(np.r_[np.zeros(d), -1.0], A_ub=A_ub, b_ub=sg * b,
                    bounds=[(None, None)] * d + [(None, 1.0)], method="highs")
        if r.status == 0 and -r.fun > 1e-9:
            s = np.where(sg > 0, hi, lo)
            best = max(best, float(np.linalg.norm((A * s) @ W, 2)))
    return best


# -- the model ----------------------------------------------------------------------------
def test_save_load_and_to_dict_roundtrip(tmp_path):
    net = _net(0, 3, 5, 2)
    p = net.save(tmp_path / "v.npz")
    for back in (VectorTwoLayerNet.load(p), TwoLayerNet.load(p)):
        assert isinstance(back, VectorTwoLayerNet)
        assert np.array_equal(back.a, net.a) and back.a.shape == (3, 5)
        assert back.to_dict() == net.to_dict()
    scalar = TwoLayerNet(net.a[0], net.W, net.b)
    assert isinstance(TwoLayerNet.load(scalar.save(tmp_path / "s.npz")), TwoLayerNet)


def test_jacobian_matches_finite_differences():
    net = _net(1, 3, 6, 4, "leaky_relu:0.1")
    x = np.random.default_rng(2).standard_normal(4)
    h = 1e-6
    J = np.stack([(net(x + h * e)[0] - net(x - h * e)[0]) / (2 * h) for e in np.eye(4)], 1)
    assert np.allclose(net.jacobian(x), J, atol=1e-6)
    assert np.allclose(net.jacobian(x)[1], net.output(1).gradient(x)[0])


@pytest.mark.parametrize("bad", [
    dict(a=np.ones((2, 4))),               # k = 3 rows of W
    dict(a=np.ones(4)),                    # 1-D of the wrong length
    dict(a=np.array([[1.0, np.nan, 0.0]])),
    dict(a=np.ones((2, 3, 1))),
])
def test_bad_output_weights_name_a(bad):
    with pytest.raises(ValueError, match="^a: "):
        VectorTwoLayerNet(bad["a"], np.ones((3, 2)), None, "relu")


def test_scalar_only_paths_reject_vector_nets():
    net = _net(0, 2, 3, 2)
    with pytest.raises(ValueError, match="^p: "):
        lipschitz_report(net, Domain.rd(), p="inf")
    with pytest.raises(ValueError, match="^p: "):
        vector_branch_and_bound(net, Domain.rd(), p=1)
    with pytest.raises(ValueError, match="^domain: "):
        lipschitz_report(net, Domain.sphere(1.0), exact="bnb")
    with pytest.raises(ValueError, match="^exact: "):
        lipschitz_report(_net(0, 2, 3, 2, "tanh"), Domain.rd(), exact="bnb")


# -- the block reduction ------------------------------------------------------------------
@given(seed=st.integers(0, 2**31), m=st.integers(1, 3), k=st.integers(1, 6),
       d=st.integers(1, 3), act=st.sampled_from(PL_ACTS), kind=st.sampled_from(["rd", "ball"]),
       scale=st.floats(0.2, 5.0))
def test_block_reduction_equivalence(seed, m, k, d, act, kind, scale):
    """M(rho, T) >= 0 <=> K(rho, T) >= 0 <=> rho >= lambda_max(R(T)) (the theorem of
    numerics.lipschitz.vector_lipsdp), checked on random T and rho around lambda_max."""
    net = _net(seed, m, k, d, act)
    dom = _domain(kind)
    S = vector_sectors(net, dom)
    assume(np.any(S.free))
    rng = np.random.default_rng(seed)
    t = np.exp(rng.standard_normal(k)) * scale
    R = reduced_block_matrix(net, t, dom)
    assume(R is not None)
    lam = float(np.linalg.eigvalsh(R)[-1])
    for f, sign in ((1.01, 1), (0.99, -1)):
        M = block_matrix(net, t, lam * f, dom)
        mineig = float(np.linalg.eigvalsh(M)[0])
        assert sign * mineig > -1e-9 * max(1.0, lam)
        assert certify_block(block_data(net, S), t[S.free], lam * f) == (sign > 0)


def test_m1_block_equals_the_scalar_reduction():
    net = _net(3, 1, 7, 3)
    t = np.linspace(0.5, 2.0, 7)
    from numerics.lipschitz.lipsdp import reduced_matrix

    t = t * 4 * float(np.sum(net.a**2))  # s(T) < 1
    R1 = reduced_block_matrix(net, t)
    R0 = reduced_matrix(net.scalar(), t)
    assert R0 is not None and R1 is not None
    assert np.allclose(R1, R0, rtol=1e-12, atol=1e-12)


@given(seed=st.integers(0, 2**31), k=st.integers(1, 8), d=st.integers(1, 3),
       act=st.sampled_from(PL_ACTS + ("tanh",)), kind=st.sampled_from(["rd", "ball"]))
def test_m1_equals_the_scalar_results(seed, k, d, act, kind):
    """m = 1: the report is the scalar network's, number for number; the block LipSDP
    (which does not delegate) agrees with the scalar LipSDP to the optimizers' tolerance."""
    net = _net(seed, 1, k, d, act)
    dom = _domain(kind)
    kw = dict(seed=seed, n_random=16, steps=5, polish_top=4, exact=False)
    r1, r0 = lipschitz_report(net, dom, **kw), lipschitz_report(net.scalar(), dom, **kw)
    assert (r1.lower, r1.upper, r1.uppers, r1.lowers) == (r0.lower, r0.upper, r0.uppers,
                                                          r0.lowers)
    assert r1.lower_witness.verify(net, dom) == r1.lower
    v = vector_lipsdp_upper_bound(net, dom)
    s = lipsdp_upper_bound(net.scalar(), dom, tol=1e-7)
    assert v.certified and s.certified
    assert abs(v.value - s.value) <= 1e-4 * s.value + 1e-12


@given(seed=st.integers(0, 2**31), m=st.integers(2, 4), k=st.integers(1, 8),
       d=st.integers(1, 4), act=st.sampled_from(PL_ACTS + ("tanh", "softplus:2")),
       kind=st.sampled_from(["rd", "ball", "sphere"]))
def test_lower_le_upper(seed, m, k, d, act, kind):
    assume(kind != "sphere" or d >= 2)
    net = _net(seed, m, k, d, act)
    dom = {"rd": Domain.rd(), "ball": Domain.ball(1.0), "sphere": Domain.sphere(1.0)}[kind]
    lo, w = _lower(net, dom, seed)
    res = vector_lipsdp_upper_bound(net, dom, maxiter=100)
    cf = vector_closed_form_bound(net, dom)
    assert res.certified
    assert lo <= res.value <= cf
    if w is not None:
        assert w.verify(net, dom) == lo
    # every output's own constant is below the vector one
    assert lipsdp_upper_bound(net.output(0), dom).value <= cf * (1 + 1e-9)


# -- branch and bound ---------------------------------------------------------------------
@given(seed=st.integers(0, 2**31), m=st.integers(2, 3), k=st.integers(1, 8),
       d=st.integers(1, 2), act=st.sampled_from(PL_ACTS))
def test_bnb_equals_brute_force(seed, m, k, d, act):
    net = _net(seed, m, k, d, act)
    res = vector_branch_and_bound(net, Domain.rd(), seed=seed, time_limit=None)
    bf = brute_force(net)
    assert res.status == "closed"
    assert res.lower <= res.upper <= res.lower * (1 + SLACK)
    assert abs(res.exact - bf) <= SLACK * bf + 1e-12
    if res.witness is not None:
        assert res.witness.verify(net, Domain.rd()) == res.lower


def test_bnb_on_ten_neurons_equals_brute_force():
    net = _net(11, 3, 10, 3)
    res = vector_branch_and_bound(net, Domain.rd(), seed=0, time_limit=None)
    bf = brute_force(net)
    assert res.status == "closed" and abs(res.exact - bf) <= SLACK * bf


def test_bnb_report_and_inconsistency(monkeypatch):
    net = _net(5, 3, 9, 3)
    rep = lipschitz_report(net, Domain.ball(1.0), exact="bnb", seed=0, time_limit=30)
    assert rep.exact is not None and rep.lower <= rep.upper <= rep.lower * (1 + SLACK)
    assert rep.lower_witness.verify(net, Domain.ball(1.0)) == rep.lower
    assert rep.to_dict()["bnb"]["status"] == "closed"
    # a wrong (too small) upper bound is caught by the report's consistency check
    monkeypatch.setattr(vreport, "vector_closed_form_bound", lambda n, d: rep.lower * 0.9)
    with pytest.raises(InconsistentBoundsError):
        lipschitz_report(net, Domain.ball(1.0), seed=0, exact=False)


def test_loosened_prune_is_caught():
    """Pruning nodes above the incumbent (and forgetting their bounds) can report a
    'closed' bracket below the brute-force constant: the comparison catches it."""
    caught = 0
    for seed in range(12):
        net = _net(seed, 3, 8, 2)
        bf = brute_force(net)
        res = vector_branch_and_bound(net, Domain.rd(), seed=seed, lower_search=False,
                                      time_limit=None, _prune_slack=1e6)
        caught += res.upper < bf * (1 - 1e-9)
    assert caught > 0


# -- against a general SDP solver ---------------------------------------------------------
def _cvxpy_lipsdp(net, dom):
    cp = pytest.importorskip("cvxpy")
    S = vector_sectors(net, dom)
    F, Lin = np.flatnonzero(S.free), np.flatnonzero(S.linear)
    al, be = S.alpha[F], S.beta[F]
    mu = (S.alpha + S.beta) / 2
    W, A = net.W[F], net.a[:, F]
    Um = (net.a[:, Lin] * mu[Lin]) @ net.W[Lin] if Lin.size else np.zeros((net.m, net.d))
    T = cp.Variable(len(F), nonneg=True)
    rho = cp.Variable()
    top = rho * np.eye(net.d) - Um.T @ Um + 2 * W.T @ cp.diag(cp.multiply(T, al * be)) @ W
    off = -W.T @ cp.diag(cp.multiply(T, al + be)) - Um.T @ A
    bot = 2 * cp.diag(T) - A.T @ A
    M = cp.bmat([[top, off], [off.T, bot]])
    prob = cp.Problem(cp.Minimize(rho), [(M + M.T) / 2 >> 0])
    prob.solve(solver="CLARABEL")
    return float(rho.value), np.asarray(T.value)


@pytest.mark.parametrize("seed,m,k,d,kind", [(0, 2, 5, 2, "rd"), (1, 3, 6, 3, "ball"),
                                             (2, 2, 8, 4, "ball"), (3, 4, 7, 3, "rd")])
def test_block_lipsdp_equals_cvxpy_and_wrong_versions_are_caught(seed, m, k, d, kind):
    net = _net(seed, m, k, d)
    dom = _domain(kind)
    rho_cvx, _ = _cvxpy_lipsdp(net, dom)
    res = vector_lipsdp_upper_bound(net, dom)
    assert res.certified
    assert abs(res.rho - rho_cvx) <= 1e-4 * rho_cvx
    exact = vector_branch_and_bound(net, dom, seed=0, time_limit=60).exact
    assert exact is not None and exact <= res.value
    # (1) the block replaced by the rank-one term of the first output: an SDP optimum
    # for the wrong problem, rejected by the checker on the true block
    wrong = VectorTwoLayerNet(net.a[:1], net.W, net.b, net.activation)
    wres = vector_lipsdp_upper_bound(wrong, dom)
    B = block_data(net, vector_sectors(net, dom))
    S = vector_sectors(net, dom)
    if wres.value < exact:
        assert not certify_block(B, wres.t[S.free], wres.rho)
    # (2) a scaled-down certificate: the true multipliers with rho below the optimum
    assert certify_block(B, res.t[S.free], res.rho)
    assert not certify_block(B, res.t[S.free], rho_cvx * (1 - 1e-3))
    assert not certify_block(B, res.t[S.free], exact**2 * (1 - 1e-6))


def test_rank_one_replacement_is_caught():
    """Orthogonal outputs: the first row's bound (1) is below the witnessed constant (2)."""
    net = VectorTwoLayerNet([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]], [0.1, 0.1])
    wrong = vector_lipsdp_upper_bound(VectorTwoLayerNet(net.a[:1], net.W, net.b))
    lo, w = _lower(net, Domain.rd())
    assert wrong.value < lo and abs(lo - 2.0) < 1e-9
    S = vector_sectors(net, Domain.rd())
    assert not certify_block(block_data(net, S), wrong.t[S.free], wrong.rho)


# -- witnesses ----------------------------------------------------------------------------
def test_witness_reverifies_and_rejects_kinks_and_outside_points():
    net = _net(4, 3, 6, 2)
    lo, w = _lower(net, Domain.ball(1.0))
    assert w.verify(net, Domain.ball(1.0)) == lo > 0
    x = w.points[0]
    J = net.jacobian(x)
    assert lo <= np.linalg.norm(J, 2) <= lo * (1 + 1e-12)
    # a point on a kink hyperplane
    j = 0
    on = x - (net.W[j] @ x + net.b[j]) / (net.W[j] @ net.W[j]) * net.W[j]
    with pytest.raises(ValueError, match="kink"):
        VectorWitness(on[None, :], w.direction, 0.0).verify(net, Domain.rd())
    with pytest.raises(ValueError, match="outside"):
        VectorWitness(np.full((1, 2), 2.0), w.direction, 0.0).verify(net, Domain.ball(1.0))
    with pytest.raises(ValueError, match="direction"):
        VectorWitness(w.points, np.zeros(3), 0.0).verify(net, Domain.ball(1.0))


def test_inflated_lower_bound_is_caught(monkeypatch):
    """A witness search that overclaims (x 1.5) contradicts the certified upper bound."""
    net = _net(6, 3, 6, 2)
    v, w = _lower(net, Domain.ball(1.0))
    assert w.verify(net, Domain.ball(1.0)) == v
    bad = VectorWitness(w.points, w.direction, 1.5 * v)
    assert bad.verify(net, Domain.ball(1.0)) == v  # verify recomputes, it does not trust
    monkeypatch.setattr(vreport, "vector_lower_bound", lambda *a, **k: (1.5 * v, bad))
    with pytest.raises(InconsistentBoundsError):
        lipschitz_report(net, Domain.ball(1.0), seed=0, exact=False)
