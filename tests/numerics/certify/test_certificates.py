"""Per-instance certificates (numerics/certificates.py) and the certify/tables CLI."""

import json

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from numerics.certify import (
    certify,
    gamma_exact,
    gamma_lower,
    projection_basis,
    r1_chain,
    r1_sphere,
    r2_monte_carlo,
    r3_quantities,
)
from numerics.cli import main
from numerics.domain import Domain
from numerics.lipschitz import (
    lipschitz_report,
    path_norm_upper_bound,
    spectral_upper_bound,
)
from numerics.models import TwoLayerNet
from theory import bounds as tb
from theory.bounds import get_bound

ACTS = ["relu", "leaky_relu:0.1", "abs", "softplus:2", "tanh", "power:3"]
KINDS = ["sphere", "gaussian", "clustered", "collinear", "ball"]
REL = 1e-9


def make_data(kind, n, d, rng):
    """Random and awkward data, all rows in the unit ball."""
    if kind == "sphere":
        X = rng.standard_normal((n, d))
    elif kind == "gaussian":
        X = rng.standard_normal((n, d)) / np.sqrt(d)
    elif kind == "clustered":
        centers = rng.standard_normal((2, d))
        X = centers[rng.integers(0, 2, n)] + 1e-3 * rng.standard_normal((n, d))
    elif kind == "collinear":
        u = rng.standard_normal(d)
        X = np.outer(rng.uniform(-1, 1, n), u) + 1e-6 * rng.standard_normal((n, d))
    else:
        X = rng.uniform(-1, 1, (n, d))
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    if kind == "sphere":
        return X / norms
    return X / max(1.0, norms.max())


def make_labels(n, rng, unbalanced):
    y = rng.choice([-1.0, 1.0], n)
    if unbalanced:
        y = -np.ones(n)
        y[: max(1, n // 8)] = 1.0
    y[0], y[-1] = 1.0, -1.0          # both labels present
    return y


def interpolating_net(X, y, act, rng, k=None):
    """Random W, b; output weights by least squares (exact for k >= n, generic data)."""
    n, d = X.shape
    k = k or 2 * n + 2
    W = rng.standard_normal((k, d))
    b = 0.5 * rng.standard_normal(k)
    net0 = TwoLayerNet(np.ones(k), W, b, act)
    H = net0.activation.numeric(net0.preactivation(X))
    a = np.linalg.lstsq(H, y, rcond=None)[0]
    return TwoLayerNet(a, W, b, act)


instances = st.fixed_dictionaries({
    "kind": st.sampled_from(KINDS), "n": st.integers(2, 12), "d": st.integers(1, 3),
    "act": st.sampled_from(ACTS), "seed": st.integers(0, 2**31 - 1),
    "unbalanced": st.booleans()})


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


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances)
def test_certified_lower_bounds_below_toolkit_on_interpolants(inst):
    rng = np.random.default_rng(inst["seed"])
    X = make_data(inst["kind"], inst["n"], inst["d"], rng)
    y = make_labels(inst["n"], rng, inst["unbalanced"])
    net = interpolating_net(X, y, inst["act"], rng)
    assume(np.max(np.abs(net(X) - y)) <= 1e-8)
    certs = {c.bound.key: c for c in certify(net, X, y)}
    assert certs["R1"].value is not None and certs["R1.pair"].value is not None
    ball = lipschitz_report(net, Domain.ball(1.0), X=X, seed=0, n_random=32, steps=20)
    for key in ("R1", "R1.pair"):
        v = certs[key].value
        assert v <= ball.upper * (1 + REL)
        if ball.exact is not None:
            assert v <= ball.exact * (1 + 1e-7)
    rd_spec = spectral_upper_bound(net, Domain.rd())
    if certs["R2"].value is not None:
        assert certs["R2"].value <= rd_spec
    if certs["R2.inst"].value is not None:
        assert certs["R2.inst"].value <= path_norm_upper_bound(net, Domain.rd()) * (1 + REL)
        det = certs["R2.inst"].details
        assert det["sum_z_f"] == pytest.approx(det["n_1_minus_ybar2"], rel=1e-6)


@settings(max_examples=10)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 10), act=st.sampled_from(
    ["relu", "leaky_relu:0.1", "abs"]))
def test_sphere_certificate_below_exact(seed, n, act):
    rng = np.random.default_rng(seed)
    X = make_data("sphere", n, 3, rng)
    y = make_labels(n, rng, False)
    W = rng.standard_normal((2, 3))              # rank 2 < d = 3
    net0 = TwoLayerNet(np.ones(2), W, rng.standard_normal(2), act)
    out = r1_sphere(net0, X, y)
    if out["value"] is None:
        return
    assert out["witness"].verify(net0, Domain.sphere()) >= out["value"]
    rep = lipschitz_report(net0, Domain.sphere(), X=X, seed=0, n_random=32, steps=20)
    assert out["value"] <= rep.upper * (1 + REL)
    if rep.exact is not None:
        assert out["value"] <= rep.exact * (1 + 1e-7)


# ---------------------------------------------------------------------------
# Wrong versions are caught
# ---------------------------------------------------------------------------
def _identity_instance(m=4):
    """f(x) = x on d = 1 (Lip = 1), m copies each of +1 and -1: R1 is tight-ish."""
    X = np.array([[1.0]] * m + [[-1.0]] * m)
    y = np.array([1.0] * m + [-1.0] * m)
    net = TwoLayerNet([1.0, -1.0], [[1.0], [-1.0]], None, "relu")
    return net, X, y


def _exceeds_exact(net, X, y, bound, domain=None):
    domain = domain or Domain.ball(1.0)
    c = certify(net, X, y, bounds=[bound])[0]
    rep = lipschitz_report(net, domain, X=X, seed=0)
    assert rep.exact is not None
    return c.value is not None and c.value > rep.exact * (1 + 1e-7)


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


def test_r2_inst_tight_and_wrong_versions_caught():
    # f(x) = 2 relu(x) - relu(1): interpolates (0, -1), (1, +1); Gamma = 1, path norm 2
    net = TwoLayerNet([2.0, -1.0], [[1.0], [0.0]], [0.0, 1.0], "relu")
    X = np.array([[0.0], [1.0]])
    y = np.array([-1.0, 1.0])
    assert float(gamma_exact(X, y - y.mean())) == pytest.approx(1.0)
    b = get_bound("R2.inst")
    pn = path_norm_upper_bound(net, Domain.rd())
    ok = certify(net, X, y, bounds=[b])[0]
    assert ok.value == pytest.approx(2.0, rel=1e-8) and ok.value <= pn
    wrong = certify(net, X, y, bounds=[b.with_expr(1.5 * b.expr)])[0]
    assert wrong.value > pn
    # dropped Gamma (wrong: the bound without the complexity term), on data at
    # distance 1/2: f = 4 relu(x) - relu(1) interpolates, path norm 4, Gamma = 1/2
    X3 = np.array([[0.0], [0.5]])
    net3 = TwoLayerNet([4.0, -1.0], [[1.0], [0.0]], [0.0, 1.0], "relu")
    assert certify(net3, X3, y, bounds=[b])[0].value <= path_norm_upper_bound(
        net3, Domain.rd()) * (1 + REL)
    X4 = np.array([[0.0], [2.0]])
    net4 = TwoLayerNet([1.0, -1.0], [[1.0], [0.0]], [0.0, 1.0], "relu")
    c4 = certify(net4, X4, y, bounds=[b.with_expr(tb.n * (1 - tb.ybar**2))])[0]
    assert c4.value > path_norm_upper_bound(net4, Domain.rd())
    # identity n(1 - ybar^2) = sum z_i f(x_i): a wrong version n(1 - ybar) is caught
    z = y - y.mean()
    yu = np.array([1.0, 1.0, -1.0])
    assert z @ net(X) == pytest.approx(len(y) * (1 - y.mean() ** 2))
    assert len(yu) * (1 - yu.mean()) != pytest.approx(len(yu) * (1 - yu.mean() ** 2))


def test_r2_gamma_monte_carlo_and_wrong_version():
    rng = np.random.default_rng(0)
    X = make_data("sphere", 40, 2, rng)
    out = r2_monte_carlo(X, n_draws=200, delta=0.05, seed=1)
    assert out["exact"] and out["fraction_above"] <= out["allowed"]
    assert out["looseness"]["min"] > 1
    g = get_bound("R2.Gamma")
    wrong = r2_monte_carlo(X, n_draws=200, delta=0.05, seed=1,
                           bound=g.with_expr(g.expr / out["looseness"]["median"] / 2))
    assert wrong["fraction_above"] > wrong["allowed"]
    X1 = make_data("ball", 400, 1, rng)
    dropped = r2_monte_carlo(X1, n_draws=200, delta=0.05, seed=2,
                             bound=g.with_expr(tb.C_delta))          # dropped sqrt(n)
    assert dropped["fraction_above"] > dropped["allowed"]
    assert r2_monte_carlo(X1, n_draws=200, delta=0.05, seed=2)["fraction_above"] <= 0.15


@settings(max_examples=20)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 14), d=st.integers(1, 2),
       kind=st.sampled_from(KINDS))
def test_gamma_exact_vs_grid_and_lower(seed, n, d, kind):
    rng = np.random.default_rng(seed)
    X = make_data(kind, n, d, rng)
    z = rng.choice([-1.0, 1.0], n)
    z -= z.mean()
    ge = float(gamma_exact(X, z))
    gl = gamma_lower(X, z, seed=seed)
    assert gl["value"] <= ge * (1 + 1e-9) + 1e-12
    val = abs(z @ np.maximum(X @ gl["u"] + gl["beta"], 0.0))
    assert val == pytest.approx(gl["value"], rel=1e-9, abs=1e-12)
    th = np.linspace(0, 2 * np.pi, 2001)
    U = np.stack([np.cos(th), np.sin(th)], 1) if d == 2 else np.array([[1.0], [-1.0]])
    T = X @ U.T
    grid = max(np.abs(z @ np.maximum(T - T[j], 0)).max() for j in range(n))
    assert grid <= ge * (1 + 1e-9) + 1e-12
    assert ge <= grid + 2 * np.pi / 2000 * np.abs(z).sum() * 2 + 1e-12


def test_r3_tight_and_wrong_versions():
    net = TwoLayerNet([1.0, 1.0], np.eye(2), None, "power:2")   # f = |x|^2, Lip_B1 = 2
    X, y = np.eye(2), np.ones(2)
    b = get_bound("R3")
    q = r3_quantities(net, X, y)
    assert q["lip_ball"] == 2.0 and q["trace"] <= q["nuclear"] * q["M_op"] + 1e-12
    ok = certify(net, X, y, bounds=[b])[0]
    assert ok.value == pytest.approx(2.0, rel=1e-8) and ok.value <= q["lip_ball"]
    for wrong in (b.with_expr(1.5 * b.expr), b.with_expr(2 * tb.n / tb.M_op)):
        assert certify(net, X, y, bounds=[wrong])[0].value > q["lip_ball"]


@settings(max_examples=15)
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(1, 4), k=st.integers(1, 6))
def test_r3_on_interpolating_quadratics(seed, d, k):
    rng = np.random.default_rng(seed)
    n = max(1, d * (d + 1) // 2 - 1)
    X = make_data("sphere", n, d, rng)
    y = make_labels(n, rng, False) if n > 1 else np.ones(1)
    kk = max(k, d * (d + 1) // 2)
    W = rng.standard_normal((kk, d))
    H = (X @ W.T) ** 2
    a = np.linalg.lstsq(H, y, rcond=None)[0]
    net = TwoLayerNet(a, W, None, "power:2")
    assume(np.max(np.abs(net(X) - y)) <= 1e-8)
    c = certify(net, X, y, bounds=[get_bound("R3")])[0]
    q = r3_quantities(net, X, y)
    assert c.value is not None and c.value <= q["lip_ball"] * (1 + 1e-7)
    assert c.value <= spectral_upper_bound(net, Domain.ball(1.0)) * (1 + 1e-7)


# ---------------------------------------------------------------------------
# Hypotheses, bad input, CLI
# ---------------------------------------------------------------------------
def test_non_interpolating_net_reports_failing_hypotheses():
    rng = np.random.default_rng(3)
    X = make_data("sphere", 8, 3, rng)
    y = make_labels(8, rng, False)
    net = TwoLayerNet(np.ones(3), rng.standard_normal((3, 3)), None, "tanh")
    certs = {c.bound.key: c for c in certify(net, X, y)}
    for key in ("R2", "R3", "R2.inst"):
        assert certs[key].value is None and "exact_fit" in certs[key].failed()
    assert certs["R2.inst"].hypotheses_met["relu"].ok is False
    assert certs["R2"].hypotheses_met["random_labels"].ok is None


def test_bad_input_raises():
    net = TwoLayerNet([1.0], [[1.0, 0.0]], None, "relu")
    X, y = np.eye(2), np.array([1.0, -1.0])
    with pytest.raises(ValueError, match="X"):
        certify(net, np.eye(3), y)
    with pytest.raises(ValueError, match="y"):
        certify(net, X, [1.0, 0.0])
    with pytest.raises(ValueError, match="radius"):
        certify(net, X, y, radius=-1)
    with pytest.raises(ValueError, match="delta"):
        certify(net, X, y, delta=0.5)
    with pytest.raises(ValueError, match="fit_tol"):
        certify(net, X, y, fit_tol=float("nan"))
    with pytest.raises(ValueError, match="bounds"):
        certify(net, X, y, bounds=[get_bound("BLN")])
    with pytest.raises(ValueError, match="net"):
        certify("net", X, y)
    with pytest.raises(ValueError, match="X"):
        gamma_exact(np.ones((3, 3)), np.ones(3))
    with pytest.raises(ValueError, match="z"):
        gamma_exact(np.ones((3, 1)), np.ones(2))
    with pytest.raises(ValueError, match="X"):
        r2_monte_carlo(2 * np.ones((3, 1)))
    with pytest.raises(ValueError, match="n_draws"):
        r2_monte_carlo(np.zeros((3, 1)), n_draws=0)
    with pytest.raises(ValueError, match="net"):
        r3_quantities(net, X, y)
    with pytest.raises(ValueError, match="W"):
        projection_basis([[np.nan]])
    with pytest.raises(ValueError, match="y"):
        r1_chain(net, X, [1.0, 1.0])
    with pytest.raises(ValueError, match="W"):
        r1_sphere(TwoLayerNet([1.0, 1.0], np.eye(2), None, "relu"), X, y)


def test_cli_certify(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = make_data("sphere", 6, 2, rng)
    y = make_labels(6, rng, False)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    interp = interpolating_net(X, y, "relu", rng)
    interp.save(tmp_path / "good.npz")
    TwoLayerNet(np.ones(2), rng.standard_normal((2, 2)), None, "relu").save(tmp_path / "bad.npz")
    assert main(["certify", str(tmp_path / "bad.npz"), str(tmp_path / "data.npz")]) == 0
    text = capsys.readouterr().out
    assert "exact fit: NO" in text and "hypotheses fail: exact_fit" in text
    assert "[R2] Spectral-norm law for random labels: hypotheses fail" in text
    assert main(["certify", str(tmp_path / "good.npz"), str(tmp_path / "data.npz"),
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    got = {c["key"]: c for c in payload["certificates"]}
    assert got["R1"]["value"] is not None and got["R1"]["failed"] == []
    np.savez(tmp_path / "nolabels.npz", X=X)
    assert main(["certify", str(tmp_path / "good.npz"), str(tmp_path / "nolabels.npz")]) == 2
    assert "data" in capsys.readouterr().err


def test_cli_tables_and_reproduce_hook(tmp_path, capsys):
    from numerics.cli.commands import tables

    assert main(["tables", "--out", str(tmp_path / "t"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert {p.split("/")[-1] for p in files} == {"bounds.tex", "regimes.tex", "tables.tex"}
    assert tables.REPRODUCE_ORDER == 20
    written = tables.reproduce(tmp_path, seed=0)
    assert all(p.exists() for p in written)
    tex = (tmp_path / "tables" / "bounds.tex").read_text()
    for b in tb.all_bounds():
        assert b.key in tex


def test_sharpened_gamma_monte_carlo():
    rng = np.random.default_rng(5)
    X = make_data("sphere", 40, 2, rng)
    sharp = get_bound("R2.Gamma.sharp")
    out = r2_monte_carlo(X, n_draws=200, delta=0.05, seed=3, bound=sharp)
    assert out["allowed"] == pytest.approx(0.05)
    assert out["fraction_above"] <= out["allowed"]
    assert out["threshold"] < r2_monte_carlo(X, n_draws=2, delta=0.05, seed=3)["threshold"]
    wrong = r2_monte_carlo(X, n_draws=200, delta=0.05, seed=3,
                           bound=sharp.with_expr(sharp.expr / out["looseness"]["median"] / 2))
    assert wrong["fraction_above"] > wrong["allowed"]


@settings(max_examples=10)
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
