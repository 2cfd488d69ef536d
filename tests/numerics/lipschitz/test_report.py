r"""Tests of numerics.lipschitz.report: lower <= exact <= upper for every p, known networks,
bad input, CLI.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from support.lipschitz_checks import ROUND, all_uppers, assert_bracket, check_witness, lowers

from numerics.domain import Domain
from numerics.lipschitz import (
    INF,
    Witness,
    dual_exponent,
    exact_relu_lipschitz,
    gradient_lower_bound,
    lipschitz_report,
    lp_lower_bound,
    operator_norm_bound,
    pair_lower_bound,
    spectral_upper_bound,
)
from numerics.models import DeepReLUNet, TwoLayerNet
from numerics.strategies import domains, two_layer_nets

PL = ("relu", "leaky_relu", "abs")


@given(net=two_layer_nets(activations=PL, d=(1, 3), k=(1, 8)), data=st.data(),
       seed=st.integers(0, 2**16))
@example(net=TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"),
         data=None, seed=0)
@example(net=TwoLayerNet([1.0, 1.0, 1.0], [[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]],
                         [0.5, -0.5, 1.0], "abs"), data=None, seed=1)
@example(net=TwoLayerNet([0.1, 0.2], [[0.3, 0.7], [-0.15, -0.35]], [5.0, 5.0], "relu"),
         data=None, seed=0)  # gradient ~1e-18 on the ball: a float lower bound overclaims
def test_relu_type_lower_exact_upper(net, data, seed):
    """ReLU-type nets, d <= 3: lower <= exact <= upper on R^d, ball and sphere;
    every witness reproduces its bound."""
    doms = [Domain.rd(), Domain.ball(1.0)] + ([Domain.sphere(1.0)] if net.d >= 2 else [])
    if data is not None:
        doms.append(data.draw(domains(d=net.d)))
    for dom in doms:
        res = exact_relu_lipschitz(net, dom)
        exact = None if res is None else res.value
        if res is not None:
            # the reported pattern's gradient gives the value (R^d / ball)
            g = net.pattern_gradients(res.pattern[None])[0]
            if dom.kind != "sphere":
                assert np.linalg.norm(g) == pytest.approx(exact, rel=1e-12, abs=1e-300)
        assert_bracket(lowers(net, dom, seed), all_uppers(net, dom), exact)


@given(net=two_layer_nets(d=(1, 4), k=(1, 6)), data=st.data(), seed=st.integers(0, 2**16))
@example(net=TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "power:3"), data=None, seed=0)
@example(net=TwoLayerNet([2.0, -1.0], [[1.0, 1.0], [0.5, -1.0]], [0.3, 0.0], "softplus:3"),
         data=None, seed=0)
def test_every_activation_lower_below_each_upper(net, data, seed):
    doms = [Domain.ball(1.0)] + ([Domain.sphere(2.0)] if net.d >= 2 else [])
    doms.append(Domain.rd() if data is None else data.draw(domains(d=net.d)))
    for dom in doms:
        with np.errstate(over="ignore"):
            lows = lowers(net, dom, seed)
        ups = all_uppers(net, dom)
        assert not any(np.isnan(u) or u < 0 for u in ups)
        assert_bracket(lows, ups)


@given(net=two_layer_nets(activations=PL, d=(1, 3), k=(1, 8), weights="gaussian"),
       seed=st.integers(0, 2**16))
def test_report_is_consistent(net, seed):
    dom = Domain.ball(1.0)
    rep = lipschitz_report(net, dom, seed=seed, n_random=32, steps=10, polish_top=4)
    assert rep.exact is not None
    assert rep.lower <= rep.exact * (1 + ROUND) and rep.exact <= rep.upper * (1 + ROUND)
    assert rep.upper == min(rep.uppers.values())
    assert rep.lower == max(rep.lowers.values())
    check_witness(rep.lower, rep.lower_witness, net, dom)
    d = rep.to_dict()
    assert {"lower", "upper", "exact", "domain", "witness"} <= set(d)
    json.dumps(d, allow_nan=False)


def assert_known(net, dom, value, *, upper_tight=True, lower_tight=True, seed=0):
    """``lower_tight=False`` where the supremum is only approached at a kink
    (a point witness lies strictly inside a linear region, so it cannot attain
    it); the exact value must still match."""
    rep = lipschitz_report(net, dom, seed=seed, n_random=128, steps=40, polish_top=8)
    check_witness(rep.lower, rep.lower_witness, net, dom)
    if lower_tight:
        assert rep.lower == pytest.approx(value, rel=1e-9, abs=1e-12)
    else:
        assert rep.lower <= value * (1 + ROUND)
    if rep.exact is not None:
        assert rep.exact == pytest.approx(value, rel=1e-9, abs=1e-12)
    if upper_tight:
        assert rep.upper == pytest.approx(value, rel=1e-9, abs=1e-12)
    else:
        assert rep.upper >= value * (1 - ROUND)


unit = st.lists(st.floats(-3, 3), min_size=3, max_size=3).map(np.array).filter(
    lambda v: np.linalg.norm(v) > 0.1)


@given(a=st.floats(0.1, 5).flatmap(lambda v: st.sampled_from([v, -v])), w=unit,
       frac=st.floats(-0.9, 0.9), R=st.sampled_from([1.0, 0.5, 2.0]),
       act=st.sampled_from(["relu", "leaky_relu:1/10", "abs"]), d=st.sampled_from([2, 3]))
def test_one_neuron(a, w, frac, R, act, d):
    r"""f = a psi(w.x + b) with b = frac R |w| (the neuron switches inside the
    ball). Slopes s_+ = 1, s_- in {0, alpha, -1}: Lip_{R^d} = Lip_{B_R} = |a||w|.
    Sphere (d >= 2): |grad_S f|^2 = s^2 a^2 (|w|^2 - (w.x)^2/R^2); on the
    positive side w.x > -b, so the sup is |a||w| when b >= 0 (w.x = 0 is on the
    positive side), and max(|a| sqrt(|w|^2 - b^2/R^2), |s_-||a||w|) when b < 0
    (w.x -> -b from above, or the negative side, which contains w.x = 0)."""
    w = w[:d]
    assume(np.linalg.norm(w) > 0.1)
    nw = float(np.linalg.norm(w))
    b = frac * R * nw
    net = TwoLayerNet([a], [w], [b], act)
    assert_known(net, Domain.rd(), abs(a) * nw)
    assert_known(net, Domain.ball(R), abs(a) * nw)
    s_minus = {"relu": 0.0, "leaky_relu:1/10": 0.1, "abs": 1.0}[act]
    if b >= 0:
        sph = abs(a) * nw
        attained = b > 0  # at w.x = 0, inside the positive side; b = 0: on the kink
    else:
        on_side = abs(a) * math.sqrt(nw**2 - b**2 / R**2)  # approached at the kink
        sph = max(on_side, s_minus * abs(a) * nw)
        attained = s_minus * nw >= math.sqrt(nw**2 - b**2 / R**2)
    assert_known(net, Domain.sphere(R), sph, upper_tight=(sph == abs(a) * nw),
                 lower_tight=attained)


@given(d=st.sampled_from([2, 3]), k=st.integers(1, 3), c=st.floats(0.2, 4),
       a=st.lists(st.floats(0.1, 3), min_size=3, max_size=3), seed=st.integers(0, 2**16),
       R=st.sampled_from([1.0, 0.7]))
def test_orthogonal_neurons(d, k, c, a, seed, R):
    r"""Zero biases, mutually orthogonal w_l of equal norm c, a_l > 0, relu:
    on the region where the neurons in S are on, grad = sum_{S} a_l w_l with
    squared norm c^2 sum_S a_l^2, largest for S = all (the cone {w_l.x > 0}
    is non-empty): Lip_{R^d} = Lip_{B_R} = c |a|_2 = |sum_l a_l w_l|. On the
    sphere with k < d the all-on cone's closure contains x with all w_l.x = 0,
    where g.x = 0, so the tangential sup is the same, but it is approached only
    at those points, which lie on every kink (zero biases): there the lower
    bound is only checked to stay below. The spectral bound |W|_op |a| = c |a|
    is tight."""
    assume(k <= d)
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    W = c * Q[:k]
    a = np.array(a[:k])
    net = TwoLayerNet(a, W, np.zeros(k), "relu")
    value = float(np.linalg.norm(a @ W))
    assert value == pytest.approx(c * np.linalg.norm(a), rel=1e-12)
    assert_known(net, Domain.rd(), value)
    assert_known(net, Domain.ball(R), value)
    if k < d:
        assert_known(net, Domain.sphere(R), value, lower_tight=False)


@given(d=st.integers(1, 4), k=st.integers(1, 5), seed=st.integers(0, 2**16),
       R=st.sampled_from([1.0, 3.0]))
def test_linear_networks(d, k, seed, R):
    r"""power:1 is linear: f(x) = (W^T a).x + const, Lip = |W^T a| on R^d and
    balls, and on spheres (d >= 2: the tangential part vanishes only at
    x parallel to g, and is |g| on g's orthogonal great circle). Likewise relu
    with every neuron on throughout the ball (b_l > R |w_l|)."""
    rng = np.random.default_rng(seed)
    a, W = rng.standard_normal(k), rng.standard_normal((k, d))
    value = float(np.linalg.norm(a @ W))
    b = rng.standard_normal(k)
    lin = TwoLayerNet(a, W, b, "power:1")
    for dom in [Domain.rd(), Domain.ball(R)] + ([Domain.sphere(R)] if d >= 2 else []):
        assert_known(lin, dom, value, seed=seed)
    on = TwoLayerNet(a, W, R * np.linalg.norm(W, axis=1) + 0.1 + np.abs(b), "relu")
    assert_known(on, Domain.ball(R), value, seed=seed)
    if d >= 2:
        assert_known(on, Domain.sphere(R), value, seed=seed)


def test_zero_network():
    net = TwoLayerNet([0.0, 1.0], [[1.0, 2.0], [0.0, 0.0]], [0.0, 1.0], "relu")
    for dom in (Domain.rd(), Domain.ball(), Domain.sphere()):
        rep = lipschitz_report(net, dom)
        assert rep.lower == 0 and rep.exact == 0 and rep.upper == 0


GOOD = dict(a=[1.0, 2.0], W=[[1.0, 0.0], [0.0, 1.0]], b=[0.0, 0.0], activation="relu")


@pytest.mark.parametrize("field,value,name", [
    ("a", [np.nan, 1.0], "a"),
    ("a", [np.inf, 1.0], "a"),
    ("W", [[1.0, np.inf], [0.0, 1.0]], "W"),
    ("W", [[1.0, np.nan], [0.0, 1.0]], "W"),
    ("b", [0.0, np.nan], "b"),
    ("a", [1.0, 2.0, 3.0], "a"),  # shape mismatch
    ("b", [0.0], "b"),  # shape mismatch
    ("W", np.zeros((0, 2)), "W"),  # k = 0
    ("W", np.zeros((2, 0)), "W"),  # d = 0
    ("activation", "swish", "activation"),
    ("activation", "leaky_relu", "activation"),
])
def test_bad_network(field, value, name):
    kw = dict(GOOD)
    kw[field] = value
    with pytest.raises(ValueError, match=f"^{name}"):
        TwoLayerNet(**kw)


def test_bad_domain():
    with pytest.raises(ValueError, match="^radius"):
        Domain.ball(-1.0)
    with pytest.raises(ValueError, match="^radius"):
        Domain.sphere(float("nan"))
    with pytest.raises(ValueError, match="^domain"):
        Domain("cube", 1.0)


def test_sphere_needs_d2():
    net = TwoLayerNet([1.0], [[1.0]], [0.0], "relu")
    for fn in (lambda: exact_relu_lipschitz(net, Domain.sphere()),
               lambda: gradient_lower_bound(net, Domain.sphere()),
               lambda: lipschitz_report(net, Domain.sphere()),
               lambda: spectral_upper_bound(net, Domain.sphere())):
        with pytest.raises(ValueError, match="^domain"):
            fn()


def test_bad_report_arguments():
    net = TwoLayerNet(**GOOD)
    with pytest.raises(ValueError, match="^X"):
        lipschitz_report(net, Domain.ball(), X=[[np.nan, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="^X"):
        lipschitz_report(net, Domain.ball(), X=[[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match="^exact"):
        lipschitz_report(net, Domain.ball(), exact="maybe")
    with pytest.raises(ValueError, match="^net"):
        lipschitz_report("net.npz", Domain.ball())
    with pytest.raises(ValueError, match="^domain"):
        lipschitz_report(net, "ball")
    with pytest.raises(ValueError, match="^n_random"):
        gradient_lower_bound(net, Domain.ball(), n_random=-1)
    with pytest.raises(ValueError, match="^X"):
        pair_lower_bound(net, [[np.inf, 0.0], [0.0, 1.0]], Domain.rd())
    with pytest.raises(ValueError, match="^net"):
        exact_relu_lipschitz(TwoLayerNet([1.0], [[1.0, 0.0]], None, "tanh"), Domain.rd())
    with pytest.raises(ValueError, match="^net"):
        exact_relu_lipschitz(TwoLayerNet([1.0], [[1.0] * 4], None, "relu"), Domain.rd())


def _cli(argv, capsys):
    from numerics.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("domain", ["rd", "ball", "sphere"])
def test_cli_json(tmp_path, capsys, domain):
    net = TwoLayerNet([1.0, -2.0, 0.5], [[1.0, 0.2], [0.3, -1.0], [-0.5, 0.5]],
                      [0.1, -0.2, 0.3], "relu")
    path = net.save(tmp_path / "net.npz")
    args = ["lipschitz", str(path), "--domain", domain, "--seed", "3", "--json"]
    if domain != "rd":
        args += ["--radius", "2"]
    code, out, _ = _cli(args, capsys)
    assert code == 0
    js = json.loads(out)
    assert {"lower", "upper", "exact", "domain", "witness"} <= set(js)
    assert js["domain"] == domain
    dom = Domain.parse(domain, None if domain == "rd" else 2.0)
    assert js["exact"] == pytest.approx(exact_relu_lipschitz(net, dom).value, rel=1e-12)
    assert js["lower"] <= js["exact"] * (1 + ROUND) <= js["upper"] * (1 + ROUND) ** 2
    w = Witness(js["witness"]["kind"], np.array(js["witness"]["points"]), js["lower"])
    assert w.verify(net, dom) == pytest.approx(js["lower"], rel=1e-11)


def test_cli_exact_null_for_smooth(tmp_path, capsys):
    path = TwoLayerNet([1.0], [[1.0, 1.0]], [0.0], "tanh").save(tmp_path / "t.npz")
    code, out, _ = _cli(["lipschitz", str(path), "--domain", "ball", "--json"], capsys)
    assert code == 0
    js = json.loads(out)
    assert js["exact"] is None and js["lower"] <= js["upper"]


@pytest.mark.parametrize("extra,name", [
    (["--domain", "ball", "--radius", "-1"], "--radius"),
    (["--domain", "rd", "--radius", "1"], "--radius"),
])
def test_cli_bad_arguments(tmp_path, capsys, extra, name):
    path = TwoLayerNet([1.0], [[1.0, 1.0]], [0.0], "relu").save(tmp_path / "n.npz")
    code, _, err = _cli(["lipschitz", str(path)] + extra, capsys)
    assert code == 2 and f"error: {name}" in err


def test_cli_missing_file(tmp_path, capsys):
    code, _, err = _cli(["lipschitz", str(tmp_path / "none.npz")], capsys)
    assert code == 2 and "error: NET: no such file" in err


def test_cli_bad_network_file(tmp_path, capsys):
    path = tmp_path / "bad.npz"
    np.savez(path, a=np.array([1.0, np.nan]), W=np.ones((2, 2)), b=np.zeros(2),
             activation=np.array("relu"))
    code, _, err = _cli(["lipschitz", str(path)], capsys)
    assert code == 2 and "error: NET: " in err and "a: contains NaN or inf" in err


def assert_certified(value: float, recomputed: float) -> None:
    """A certified lower bound is its witness's recomputed value rounded down by
    a floating-point error bound (numerics.lipschitz.search._certify): never above
    it, and only negligibly below."""
    assert value <= recomputed
    assert recomputed - value <= 1e-6 * max(1.0, recomputed)


PS = (1.0, 2.0, INF)


PL_ACTS = ("relu", "leaky_relu:0.1", "abs")


RTOL = 1e-9


def _net(seed: int, k: int, d: int, act: str, bias_scale: float = 1.0) -> TwoLayerNet:
    rng = np.random.default_rng(seed)
    return TwoLayerNet(rng.standard_normal(k), rng.standard_normal((k, d)),
                       bias_scale * rng.standard_normal(k), act)


def sandwich(lower: float, exact: float, upper: float) -> bool:
    """The checker every sandwich test uses (relative rounding slack only)."""
    tol = RTOL * max(1.0, abs(exact))
    return lower <= exact + tol and exact <= upper + tol


lp_nets = st.builds(_net, st.integers(0, 10**6), st.integers(1, 6), st.integers(1, 3),
                 st.sampled_from(PL_ACTS))


lp_domains = st.sampled_from([Domain.rd(), Domain.ball(1.0), Domain.ball(2.5)])


ps = st.sampled_from(PS)


@given(lp_nets, lp_domains, ps, st.integers(0, 100))
@example(TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu"),
         Domain.rd(), INF, 0)
@example(TwoLayerNet([2.0], [[3.0, 4.0]], [-10.0], "relu"), Domain.ball(1.0), 1.0, 0)
def test_lower_exact_upper(net, domain, p, seed):
    rep = lipschitz_report(net, domain, p, seed=seed, n_random=48, steps=15)
    assume(rep.exact is not None)
    assert sandwich(rep.lower, rep.exact, rep.upper)
    for name, u in rep.uppers.items():
        assert rep.exact <= u + RTOL * max(1.0, rep.exact), name
    if rep.lower_witness is not None:
        assert_certified(rep.lower, rep.lower_witness.verify(net, domain))


def test_deep_depth_one_matches_two_layer():
    net = _net(5, 5, 2, "relu")
    deep = DeepReLUNet.from_two_layer(net)
    for p in PS:
        a = lipschitz_report(net, Domain.rd(), p, seed=0)
        b = lipschitz_report(deep, Domain.rd(), p, seed=0)
        assert a.uppers == b.uppers
        assert a.exact == pytest.approx(b.exact)


def test_report_to_dict_is_json():
    rep = lipschitz_report(_net(1, 4, 2, "relu"), Domain.ball(), "inf", seed=0,
                              X=np.random.default_rng(0).standard_normal((10, 2)) * 0.3)
    d = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert d["p"] == "inf" and d["q"] == "1"
    assert d["lower"] <= d["upper"]


def test_bad_inputs():
    net = _net(0, 3, 2, "relu")
    with pytest.raises(ValueError, match="^p:"):
        lipschitz_report(net, Domain.rd(), 3)
    with pytest.raises(ValueError, match="^p:"):
        dual_exponent("two")
    with pytest.raises(ValueError, match="^p:"):
        dual_exponent(True)
    with pytest.raises(ValueError, match="^domain:"):
        lipschitz_report(net, Domain.sphere(), 1)
    with pytest.raises(ValueError, match="^domain:"):
        lipschitz_report(net, "ball", 2)
    with pytest.raises(ValueError, match="^net:"):
        lipschitz_report("net", Domain.rd(), 2)
    with pytest.raises(ValueError, match="^X:"):
        pair_lower_bound(net, np.zeros((3, 5)), Domain.rd(), 2)
    with pytest.raises(ValueError, match="^n_samples:"):
        lp_lower_bound(net, Domain.rd(), 2, n_samples=-1)
    with pytest.raises(ValueError, match="^n_samples:"):
        lp_lower_bound(net, Domain.rd(), 2, n_samples=0)
    with pytest.raises(ValueError, match="^exact:"):
        lipschitz_report(net, Domain.rd(), 2, exact="yes")
    with pytest.raises(ValueError, match="^p_in:"):
        operator_norm_bound(np.eye(2), 4, 2)
