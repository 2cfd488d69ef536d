"""Tests of numerics.certify.projection: every step of the R1 chain, the sphere versions,
and deliberately wrong versions of each caught by the same checks."""


import numpy as np
import pytest
import sympy as sp
from certify_instances import (  # noqa: I001  (the folder's helper module)
    REL,
    _exceeds_exact,
    _identity_instance,
    instances,
    make_data,
    make_labels,
)
from hypothesis import assume, example, given
from hypothesis import strategies as st

from numerics.certify import (
    certify,
    r1_chain,
    r1_sphere,
)
from numerics.domain import Domain
from numerics.lipschitz import (
    lipschitz_report,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet
from theory import bounds as tb
from theory.bounds import get_bound

# ---------------------------------------------------------------------------
# R1 chain on arbitrary networks
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# R1 chain on arbitrary networks
# ---------------------------------------------------------------------------
@given(inst=instances, k=st.integers(1, 6))
@example(inst={"kind": "collinear", "n": 2, "d": 3, "act": "relu", "seed": 0,
               "unbalanced": False}, k=1)
@example(inst={"kind": "clustered", "n": 2, "d": 3, "act": "leaky_relu:0.1", "seed": 3126234,
               "unbalanced": False}, k=1)  # nearby points: cancellation (found by the ci profile)
def test_r1_chain_every_step_holds(inst, k):
    rng = np.random.default_rng(inst["seed"])
    X = make_data(inst["kind"], inst["n"], inst["d"], rng)
    y = make_labels(inst["n"], rng, inst["unbalanced"])
    net = TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, inst["d"])),
                      rng.standard_normal(k), inst["act"])
    ch = r1_chain(net, X, y)
    assert ch["r"] <= min(k, inst["d"])
    assert ch["geom_lhs"] <= ch["geom_rhs"] * (1 + REL)
    if ch["cs"] is not None and ch["cs"] > 0:
        assert ch["cs"] <= ch["pair"] * (1 + REL) + 1e-12
    if ch["aggregate"] is not None:
        assert ch["aggregate"] <= ch["cs"] * (1 + REL)
    if ch["witness"] is not None:
        assert ch["witness"].verify(net, Domain.ball(1.0)) >= ch["pair"]
        # f(Px) = f(x): the witness pair has the data pair's values
        i, j = ch["pair_index"]
        fv = net(ch["witness"].points)
        assert fv[0] - fv[1] == pytest.approx(net(X[[i]])[0] - net(X[[j]])[0],
                                              rel=1e-6, abs=1e-9)


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 10), act=st.sampled_from(
    ["relu", "leaky_relu:0.1", "abs"]))
def test_sphere_certificate_below_exact(seed, n, act):
    rng = np.random.default_rng(seed)
    X = make_data("sphere", n, 3, rng)
    y = make_labels(n, rng, False)
    W = rng.standard_normal((2, 3))              # rank 2 < d = 3
    net0 = TwoLayerNet(np.ones(2), W, rng.standard_normal(2), act)
    out = r1_sphere(net0, X, y)
    assume(out["value"] is not None)
    assert out["witness"].verify(net0, Domain.sphere()) >= out["value"]
    rep = lipschitz_report(net0, Domain.sphere(), X=X, seed=0, n_random=32, steps=20)
    assert out["value"] <= rep.upper * (1 + REL)
    if rep.exact is not None:
        assert out["value"] <= rep.exact * (1 + 1e-7)


def test_right_r1_bounds_pass_on_tight_instance():
    net, X, y = _identity_instance()
    for key in ("R1", "R1.pair"):
        assert not _exceeds_exact(net, X, y, get_bound(key))
    ch = r1_chain(net, X, y)
    assert ch["geom_lhs"] <= ch["geom_rhs"]


def test_wrong_r1_versions_caught():
    net, X, y = _identity_instance()
    r1 = get_bound("R1")
    npl, nmi, xop, r = tb.n_plus, tb.n_minus, tb.X_op, tb.r
    dropped = r1.with_expr(2 * sp.sqrt(npl * nmi) / (xop * sp.sqrt(sp.Max(npl, nmi) * r)))
    assert _exceeds_exact(net, X, y, dropped)                    # dropped term
    assert _exceeds_exact(net, X, y, r1.with_expr(1.5 * r1.expr))  # inflated constant
    pair = get_bound("R1.pair")
    assert _exceeds_exact(net, X, y, pair.with_expr(1.5 * pair.expr))
    geom = get_bound("R1.geom")
    wrong_geom = geom.with_expr(xop**2 * sp.Max(npl, nmi) * r)   # dropped 2 sqrt(n+ n-)
    ch = r1_chain(net, X, y, bounds={"R1.geom": wrong_geom})
    assert ch["geom_lhs"] > ch["geom_rhs"]
    wrong_index = geom.with_expr(xop**2 * (sp.Min(npl, nmi) * r + 2 * sp.sqrt(npl * nmi)))
    # unbalanced: 6 points at 0 (+1), e_1 and e_2 (-1); r = 2, ||X|| = 1
    Xu = np.array([[0.0, 0.0]] * 6 + [[1.0, 0.0], [0.0, 1.0]])
    yu = np.array([1.0] * 6 + [-1.0] * 2)
    net2 = TwoLayerNet([1.0, -1.0], np.eye(2), None, "relu")
    ch = r1_chain(net2, Xu, yu, bounds={"R1.geom": wrong_index})
    assert ch["geom_lhs"] > ch["geom_rhs"]
    ch = r1_chain(net2, Xu, yu)
    assert ch["geom_lhs"] <= ch["geom_rhs"]


def test_wrong_r1_sphere_caught():
    # f(x) = x_1 on S^1: Lip_S = 1; pair near the pole is almost tight
    net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [-1.0, 0.0]], None, "relu")
    X = np.array([[0.1, np.sqrt(0.99)], [-0.1, np.sqrt(0.99)]])
    y = np.array([1.0, -1.0])
    sph = get_bound("R1.sphere")
    assert not _exceeds_exact(net, X, y, sph, Domain.sphere())
    assert _exceeds_exact(net, X, y, sph.with_expr(1.1 * sph.expr), Domain.sphere())
    # dropped sqrt(1 - rho^2) with a pair far from the pole is caught
    X2 = np.array([[0.9, np.sqrt(0.19)], [-0.9, np.sqrt(0.19)]])
    c_ok = certify(net, X2, y, bounds=[sph])[0]
    assert c_ok.value <= 1 + 1e-7
    wrong = sph.with_expr(tb.Delta / tb.P_dist * 1.05)
    assert _exceeds_exact(net, X2, y, wrong, Domain.sphere())


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 10), act=st.sampled_from(
    ["relu", "abs", "leaky_relu:0.1"]))
def test_sphere_aggregate_and_op_certificates(seed, n, act):
    rng = np.random.default_rng(seed)
    X = make_data("sphere", n, 3, rng)
    y = make_labels(n, rng, False)
    W = rng.standard_normal((2, 3))              # rank 2 < 3
    b = rng.standard_normal(2)
    # separation by construction: label by the network's own values, then rescale
    net0 = TwoLayerNet(rng.standard_normal(2), W, b, act)
    g = net0(X)
    y = np.where(g > np.median(g), 1.0, -1.0)
    assume(np.any(y > 0) and np.any(y < 0))
    gap = g[y > 0].min() - g[y < 0].max()
    assume(gap > 1e-3)
    net = TwoLayerNet(3.0 / gap * net0.a, W, b, act)      # gap becomes 3 >= 2
    certs = {c.bound.key: c for c in certify(net, X, y)}
    rep = lipschitz_report(net, Domain.sphere(), X=X, seed=0, n_random=32, steps=20)
    agg = certs["R1.sphere.agg"]
    assert agg.failed() == []
    if agg.value is not None:
        assert agg.value <= rep.upper * (1 + REL)
        if rep.exact is not None:
            assert agg.value <= rep.exact * (1 + 1e-7)
        if certs["R1.sphere"].value is not None:
            assert agg.value <= certs["R1.sphere"].witnesses["pair"].value * (1 + REL)
    op = certs["R1.op"]
    assert op.value is not None
    assert op.value <= spectral_upper_bound(net, Domain.rd()) * (1 + REL)
