"""Tests of the S2 memorization construction: threshold networks, the ramp
version with its proved condition and certified Lipschitz bracket, and the
geometry proxies (numerics/construct/memorization*.py)."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numerics.construct.memorization import (
    CoverResult,
    ThresholdNetwork,
    greedy_cover,
    memorize,
    memorize_multiclass,
    parameter_count,
)
from numerics.construct.memorization_geometry import (
    geometry_proxies,
    greedy_covering_number,
    hyperplane_separation,
    separation,
)
from numerics.construct.memorization_ramp import (
    FIT_TOL,
    certified_operator_norm,
    largest_ramp_width,
    ramp_condition,
    ramp_memorizer,
    ramp_network,
    structured_upper_bound,
)
from numerics.domain import Domain
from numerics.lipschitz import lp_lower_bound
from numerics.shipped_data import two_moons


def make_data(kind: str, n: int, d: int, seed: int):
    """Two-class data with distinct points: uniform in the ball, clustered, or two
    nearly overlapping clouds; rescaled to max norm 1."""
    rng = np.random.default_rng(seed)
    if kind == "random":
        X = rng.standard_normal((n, d))
        y = rng.choice([-1.0, 1.0], n)
    elif kind == "clustered":
        centres = rng.standard_normal((4, d))
        lab = rng.integers(0, 4, n)
        X = centres[lab] + 0.1 * rng.standard_normal((n, d))
        y = np.where(lab % 2 == 0, 1.0, -1.0)
    else:  # nearly overlapping
        y = rng.choice([-1.0, 1.0], n)
        X = 0.3 * rng.standard_normal((n, d)) + 0.05 * y[:, None]
    y[0], y[1] = 1.0, -1.0
    X = X / np.linalg.norm(X, axis=1).max()
    return X, y


data_args = st.tuples(st.sampled_from(["random", "clustered", "overlap"]),
                      st.integers(4, 60), st.integers(1, 5), st.integers(0, 10**6))


# ---------------------------------------------------------------------------
# Threshold network
# ---------------------------------------------------------------------------
@given(data_args, st.integers(1, 300), st.sampled_from([0.0, 0.3, 1.0, 2.5]),
       st.integers(0, 10**6))
@example(("overlap", 60, 1, 3), 5, 0.0, 0)
@example(("clustered", 40, 2, 1), 200, 1.0, 7)
def test_interpolates_or_reports_failure(args, N, lam, seed):
    X, y = make_data(*args)
    res = memorize(X, y, width=N, bias_range=lam, seed=seed)
    pred = res.net.predict(X)
    # F = 0 on the -1 class holds by construction, always
    assert np.all(pred[y == -1] == -1)
    assert res.false_positives == 0 and res.consistent
    # interpolation is checked point by point; failures report the uncovered count
    assert res.uncovered == int(np.sum(pred[y == 1] != 1))
    assert res.interpolates == bool(np.all(pred == y))
    assert res.interpolates == (res.uncovered == 0)
    assert res.parameters == N * (X.shape[1] + 1) + res.K * (N + 1) + (res.K + 1)
    assert res.second_layer_width == res.K == res.net.K


def test_same_seed_same_network():
    X, y = two_moons(300, 0.05, seed=2)
    a, b = (memorize(X, y, 100, 1.0, seed=5) for _ in range(2))
    assert a.K == b.K and np.array_equal(a.net.U, b.net.U) and np.array_equal(a.net.G, b.net.G)
    c = memorize(X, y, 100, 1.0, seed=6)
    assert not np.array_equal(a.net.G, c.net.G)


def test_published_behaviour_on_moons():
    """lambda = 0 never interpolates moons (not separable through the origin);
    lambda = 1, N = 200 does, with a handful of second-layer neurons."""
    X, y = two_moons(1000, 0.05, seed=0)
    zero = [memorize(X, y, 200, 0.0, seed=s) for s in range(5)]
    one = [memorize(X, y, 200, 1.0, seed=s) for s in range(5)]
    assert not any(r.interpolates for r in zero) and all(r.uncovered > 0 for r in zero)
    assert all(r.interpolates for r in one)
    assert max(r.K for r in one) <= 20


def broken_cover(P_pos, P_neg, N, rng):
    """The cover step with m taken over the wrong class (the other positives)."""
    valid = np.packbits(np.ones(N, bool))
    Us, ms = [], []
    covered = np.zeros(len(P_pos), bool)
    for i in rng.permutation(len(P_pos)):
        if covered[i]:
            continue
        u = ~P_pos[i] & valid
        others = np.bitwise_count(np.delete(P_pos, i, axis=0) & u).sum(axis=1)
        m = int(others.max()) if len(others) else 1
        if m > 0:
            covered |= np.bitwise_count(P_pos & u).sum(axis=1) < m
            Us.append(u)
            ms.append(m)
    return CoverResult(np.array(Us, np.uint8).reshape(len(Us), -1), np.array(ms), covered, 0)


def test_broken_cover_is_caught():
    X, y = two_moons(400, 0.05, seed=1)
    res = memorize(X, y, 200, 1.0, seed=0, cover=broken_cover)
    assert res.false_positives > 0
    assert not res.interpolates and not res.consistent
    good = memorize(X, y, 200, 1.0, seed=0)
    assert good.interpolates and good.consistent


def test_save_load_roundtrip(tmp_path):
    X, y = two_moons(200, 0.05, seed=3)
    res = memorize(X, y, 80, 1.0, seed=0)
    path = res.net.save(tmp_path / "net")
    assert path.suffix == ".npz"
    back = ThresholdNetwork.load(path)
    Z = np.random.default_rng(0).uniform(-1, 1, (500, 2))
    assert np.array_equal(back.predict(Z), res.net.predict(Z))
    assert back.n_params == res.parameters
    np.savez(tmp_path / "other.npz", X=X)
    with pytest.raises(ValueError, match="path"):
        ThresholdNetwork.load(tmp_path / "other.npz")


def test_multiclass_shares_first_layer():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 3)) * 2
    lab = np.repeat(np.arange(4), 30)
    X = centres[lab] + 0.2 * rng.standard_normal((120, 3))
    X /= np.linalg.norm(X, axis=1).max()
    res = memorize_multiclass(X, lab, 300, 1.0, seed=0)
    F = res.net.head_outputs(X)
    assert res.interpolates
    assert np.array_equal(F, lab[:, None] == np.arange(4)[None, :])
    assert np.array_equal(res.net.predict(X), lab)
    assert res.parameters == parameter_count(300, 3, res.widths)
    assert len(res.widths) == 4 and res.net.G.shape == (300, 3)


@pytest.mark.parametrize("kwargs, name", [
    ({"y": np.ones(4)}, "y"),
    ({"X": np.array([[0.1, 0.2], [0.1, 0.2], [0.5, 0.5], [0.0, 0.3]])}, "X"),
    ({"width": 0}, "width"),
    ({"bias_range": -0.5}, "bias_range"),
    ({"X": np.array([[np.nan, 0.2], [0.3, 0.2], [0.5, 0.5], [0.0, 0.3]])}, "X"),
])
def test_bad_input_names_argument(kwargs, name):
    args = {"X": np.array([[0.1, 0.2], [0.3, 0.2], [0.5, 0.5], [0.0, 0.3]]),
            "y": np.array([1.0, -1.0, 1.0, -1.0]), "width": 10, "bias_range": 1.0}
    args.update(kwargs)
    with pytest.raises(ValueError, match=f"^{name}:"):
        memorize(args["X"], args["y"], args["width"], args["bias_range"])


def test_multiclass_bad_input():
    X = np.array([[0.1, 0.2], [0.1, 0.2], [0.5, 0.5]])
    with pytest.raises(ValueError, match="^X:"):
        memorize_multiclass(X, [0, 1, 1], 10, 1.0)
    with pytest.raises(ValueError, match="^labels:"):
        memorize_multiclass(X[1:], [1, 1], 10, 1.0)
    with pytest.raises(ValueError, match="^width:"):
        memorize_multiclass(X[1:], [0, 1], 0, 1.0)


def test_greedy_cover_against_definition():
    """Every kept neuron fires on no negative and on its own x*; the claimed
    covered set equals the set where some neuron fires (brute force on bools)."""
    X, y = two_moons(150, 0.1, seed=4)
    rng = np.random.default_rng(0)
    G, tau = rng.standard_normal((64, 2)), rng.uniform(-1, 1, 64)
    F = (X @ G.T + tau) > 0
    cov = greedy_cover(np.packbits(F[y == 1], axis=1), np.packbits(F[y == -1], axis=1), 64,
                       np.random.default_rng(1))
    U = np.unpackbits(cov.U, axis=1, count=64).astype(int)
    prod_pos = F[y == 1].astype(int) @ U.T
    prod_neg = F[y == -1].astype(int) @ U.T
    assert np.all(prod_neg >= cov.m)
    assert np.array_equal((prod_pos < cov.m).any(axis=1), cov.covered)


# ---------------------------------------------------------------------------
# Ramp version
# ---------------------------------------------------------------------------
def _interpolating(args, seed, N=300, lam=1.0):
    X, y = make_data(*args)
    res = memorize(X, y, N, lam, seed=seed)
    return X, y, res


@given(data_args, st.integers(0, 10**6), st.sampled_from([0.0, 0.5]))
@example(("clustered", 30, 2, 0), 0, 0.0)
def test_ramp_interpolates_when_condition_holds(args, seed, theta):
    from hypothesis import assume

    X, y, res = _interpolating(args, seed)
    assume(res.interpolates)
    s, mu = largest_ramp_width(res.net, X, y, theta=theta)
    assert s >= mu > 0
    for s_try in (mu, s, 0.5 * (mu + s)):
        assert ramp_condition(res.net, X, y, s_try, theta=theta)
        f = ramp_network(res.net, s_try, theta=theta)
        assert np.max(np.abs(f(X) - y)) <= FIT_TOL


def test_wrong_condition_is_caught():
    """Ignoring the deficit (claiming any s works) is refuted: beyond the largest
    admissible width the ramp network misfits some -1 point."""
    X, y = two_moons(300, 0.05, seed=0)
    res = memorize(X, y, 200, 1.0, seed=0)
    s, _ = largest_ramp_width(res.net, X, y)
    found = False
    for factor in (1.5, 3, 10, 30):
        if not ramp_condition(res.net, X, y, s * factor):
            f = ramp_network(res.net, s * factor)
            found |= bool(np.max(np.abs(f(X) - y)) > FIT_TOL)
    assert found
    assert not ramp_condition(res.net, X, y, s, s2=1.5)  # s2 > 1 - theta refused


@given(st.integers(0, 10**6))
@example(0)
def test_ramp_bracket_against_sampled_gradients(seed):
    X, y = two_moons(60, 0.1, seed=seed)
    res = memorize(X, y, 60, 1.0, seed=seed)
    from hypothesis import assume

    assume(res.interpolates)
    rm = ramp_memorizer(res.net, X, y, seed=seed, n_starts=4, steps=15)
    assert rm.condition_holds and rm.interpolates
    assert 0 < rm.lower <= rm.upper
    assert rm.witness.verify(rm.net, Domain.ball(rm.radius)) >= rm.lower
    # any interpolant of +-1 labels has Lip >= 2 / delta (the certified lower is
    # allowed to be below it, but the upper bound never)
    assert rm.upper >= 2 / separation(X, y)
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((4000, 2))
    P *= (rng.uniform(0, 1, (4000, 1)) ** 0.5) * rm.radius / np.linalg.norm(P, axis=1,
                                                                             keepdims=True)
    assert np.max(np.linalg.norm(rm.net.gradient(P), axis=1)) <= rm.upper


def test_structured_bound_is_tight_and_wrong_versions_caught():
    """One hyperplane, K = 1: f = 1 - 2 r_s(g.x + tau) has Lip exactly 2||g||/s,
    which the structured bound gives; dropping the factor 2 or the 1/s is
    refuted by the witnessed lower bound."""
    g = np.array([[3.0, 4.0]])
    net = ThresholdNetwork(g, [0.1], [[1]], [1], [0], [1])
    s = 0.2
    f = ramp_network(net, s)
    up = structured_upper_bound(net, s, radius=1.0)
    lo, wit, _ = lp_lower_bound(f, Domain.ball(1.0), 2, seed=0)
    assert lo <= up <= lo * (1 + 1e-9)
    assert up == pytest.approx(2 * 5 / s)
    assert 5 / s < lo          # dropped factor 2: caught
    assert 2 * 5 < lo          # dropped 1/s: caught


def test_certified_operator_norm():
    rng = np.random.default_rng(0)
    for shape in [(50, 3), (3, 50), (40, 40)]:
        M = rng.standard_normal(shape)
        t = certified_operator_norm(M)
        sv = np.linalg.svd(M)
        v = sv[2][0]
        witness = np.linalg.norm(M @ v)
        assert witness <= t <= witness * (1 + 1e-6)
        assert 0.999 * t < witness  # a deflated bound is refuted by the witness


def test_ramp_rejects_bad_input():
    X, y = two_moons(100, 0.05, seed=0)
    res = memorize(X, y, 5, 0.0, seed=0)
    assert not res.interpolates
    with pytest.raises(ValueError, match="^net:"):
        ramp_memorizer(res.net, X, y)
    good = memorize(X, y, 200, 1.0, seed=0)
    with pytest.raises(ValueError, match="^s:"):
        ramp_network(good.net, -1.0)
    with pytest.raises(ValueError, match="^theta:"):
        ramp_network(good.net, 0.1, theta=1.0)


# ---------------------------------------------------------------------------
# Geometry proxies
# ---------------------------------------------------------------------------
@given(data_args)
def test_separation_and_covering(args):
    X, y = make_data(*args)
    delta = separation(X, y)
    D = np.linalg.norm(X[y == 1][:, None] - X[y == -1][None], axis=2)
    assert delta == pytest.approx(D.min(), abs=1e-12)
    P = X[y == 1]
    DP = np.linalg.norm(P[:, None] - P[None], axis=2)
    for r in (0.01, 0.1, 0.5, 3.0):
        covered, centres = np.zeros(len(P), bool), []
        for i in range(len(P)):  # brute-force greedy, first uncovered point in row order
            if not covered[i]:
                centres.append(i)
                covered |= DP[i] <= r
        assert greedy_covering_number(P, r) == len(centres)
        C = np.array(centres)
        assert np.all(DP[np.ix_(C, C)][~np.eye(len(C), dtype=bool)] > r)  # r-separated
    assert greedy_covering_number(P, 3.0) == 1


def test_hyperplane_fractions_match_brute_force():
    X, y = two_moons(80, 0.05, seed=0)
    res = memorize(X, y, 100, 1.0, seed=0)
    h = hyperplane_separation(res.net, X, y)
    F = res.net.features(X)
    frac = (F[y == 1][:, None, :] != F[y == -1][None, :, :]).mean(axis=2)
    assert h["min"] == pytest.approx(frac.min()) and h["mean"] == pytest.approx(frac.mean())
    assert h["zero_pairs"] == int(np.sum(frac == 0)) and not h["sampled"]
    g = geometry_proxies(X, y, net=res.net)
    assert g["proxy"] is True and g["delta"] == pytest.approx(separation(X, y))
