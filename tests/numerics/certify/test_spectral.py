"""Tests of numerics.certify.spectral: Gamma exact vs a grid and the lower estimate, the
R2 certificates and Monte Carlo checks, and wrong versions caught."""


import numpy as np
import pytest
from certify_instances import (  # noqa: I001  (the folder's helper module)
    KINDS,
    REL,
    make_data,
)
from hypothesis import given
from hypothesis import strategies as st

from numerics.certify import (
    certify,
    gamma_exact,
    gamma_lower,
    r2_monte_carlo,
)
from numerics.domain import Domain
from numerics.lipschitz import (
    path_norm_upper_bound,
)
from numerics.models import TwoLayerNet
from theory import bounds as tb
from theory.bounds import get_bound


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
