"""The exported hypothesis strategies produce valid objects of every kind, and
the awkward cases they promise actually occur."""

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from numerics.data import Dataset
from numerics.domain import Domain
from numerics.models import TwoLayerNet
from numerics.strategies import (
    ACTIVATION_SPECS,
    clustered_datasets,
    collinear_datasets,
    datasets,
    domains,
    duplicated_datasets,
    gaussian_datasets,
    sphere_datasets,
    tiny_datasets,
    two_layer_nets,
    unbalanced_datasets,
)

FIND = settings(database=None, max_examples=500, derandomize=True)  # deterministic searches


def _valid(D):
    assert isinstance(D, Dataset)
    assert D.X.ndim == 2 and D.y.shape == (D.n,)
    assert np.all(np.isfinite(D.X))
    assert set(np.unique(D.y)) <= {-1.0, 1.0}
    assert D.n_plus + D.n_minus == D.n


def _has_duplicates(X):
    return np.unique(X, axis=0).shape[0] < X.shape[0]


@given(datasets())
def test_datasets_are_valid(D):
    _valid(D)
    assert 1 <= D.d <= 6


@given(sphere_datasets(n=(2, 10), d=(1, 4)))
def test_sphere_rows_are_unit(D):
    _valid(D)
    np.testing.assert_allclose(np.linalg.norm(D.X, axis=1), 1.0, rtol=1e-12)


@given(sphere_datasets(n=6, d=3, balanced=True))
def test_balanced_is_balanced(D):
    assert D.n_plus == D.n_minus == 3


@given(gaussian_datasets(n=(2, 10), d=(1, 4)))
def test_gaussian_valid(D):
    _valid(D)


@given(clustered_datasets(n=(2, 20), d=(1, 4)))
def test_clustered_points_lie_near_unit_centres(D):
    _valid(D)
    # every point is a unit-norm centre plus noise of scale <= 1e-2
    assert np.all(np.abs(np.linalg.norm(D.X, axis=1) - 1) < 0.2)


@given(collinear_datasets(n=(3, 20), d=(2, 4)))
def test_collinear_points_are_nearly_on_a_line(D):
    _valid(D)
    Xc = D.X - D.X.mean(axis=0)
    s = np.linalg.svd(Xc, compute_uv=False)
    assert s[1] <= 1e-3 * max(s[0], 1e-300) * np.sqrt(D.n) + 1e-12


@given(duplicated_datasets(n=(1, 10), d=(1, 3)))
def test_duplicated_has_duplicates_with_equal_labels(D):
    _valid(D)
    assert _has_duplicates(D.X)
    _, inv = np.unique(D.X, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    for g in np.unique(inv):
        assert np.unique(D.y[inv == g]).size == 1


@given(tiny_datasets(d=(1, 3)))
def test_tiny(D):
    _valid(D)
    assert 1 <= D.n <= 3


@given(unbalanced_datasets(n=(2, 20), d=(1, 3)))
def test_unbalanced(D):
    _valid(D)
    assert min(D.n_plus, D.n_minus) <= 1


@pytest.mark.parametrize("pred", [
    lambda D: D.n == 1,
    lambda D: _has_duplicates(D.X),
    lambda D: D.n >= 2 and min(D.n_plus, D.n_minus) == 0,
    # a cluster: two points closer than 1e-4 carrying opposite labels
    lambda D: D.n >= 2 and any(
        np.linalg.norm(D.X[i] - D.X[j]) < 1e-4 and D.y[i] != D.y[j]
        for i in range(D.n) for j in range(i)),
    # nearly collinear, not exactly, in d >= 2 with >= 3 points
    lambda D: D.d >= 2 and D.n >= 3 and 0 < np.linalg.svd(
        D.X - D.X.mean(0), compute_uv=False)[1] < 1e-6,
], ids=["tiny", "duplicated", "one_class", "clustered_opposite", "nearly_collinear"])
def test_awkward_cases_occur_in_datasets(pred):
    D = find(datasets(), pred, settings=FIND)
    assert pred(D)


@given(two_layer_nets())
def test_nets_are_valid(net):
    assert isinstance(net, TwoLayerNet)
    assert 1 <= net.k <= 8 and 1 <= net.d <= 4
    X = np.zeros((2, net.d))
    assert net(X).shape == (2,) and net.gradient(X).shape == (2, net.d)


@pytest.mark.parametrize("family", list(ACTIVATION_SPECS))
def test_every_activation_family_occurs(family):
    net = find(two_layer_nets(), lambda n: n.spec.split(":")[0] == family, settings=FIND)
    assert net.spec.split(":")[0] == family


@given(two_layer_nets(activations=("relu", "softplus:3"), d=2, k=(2, 3), bias=False))
def test_net_options_respected(net):
    assert net.spec in ("relu", "softplus:3")
    assert net.d == 2 and net.k in (2, 3)
    assert np.all(net.b == 0)


def test_lattice_gives_degenerate_arrangements():
    strat = two_layer_nets(activations=("relu",), d=2, k=(2, 4), weights="lattice")
    dead = find(strat, lambda n: np.any(np.all(n.W == 0, axis=1)), settings=FIND)
    assert np.any(np.all(dead.W == 0, axis=1))

    def parallel(n):
        W = n.W[np.any(n.W != 0, axis=1)]
        return any(abs(W[i, 0] * W[j, 1] - W[i, 1] * W[j, 0]) == 0
                   for i in range(len(W)) for j in range(i))

    assert parallel(find(strat, parallel, settings=FIND))


@given(st.data())
def test_domains(data):
    dom = data.draw(domains())
    assert isinstance(dom, Domain)
    if dom.kind != "rd":
        assert 0.25 <= dom.radius <= 4.0 or dom.radius == 1.0
    dom1 = data.draw(domains(d=1))
    assert dom1.kind != "sphere"


def test_bad_arguments():
    with pytest.raises(ValueError, match="kinds"):
        datasets(kinds=("nope",))
    with pytest.raises(ValueError, match="activation"):
        find(two_layer_nets(activations=("swish",)), lambda n: True, settings=FIND)
    with pytest.raises(ValueError, match="radius"):
        domains(radius=(-1.0, 1.0))
    with pytest.raises(ValueError, match="n"):
        find(sphere_datasets(n=(0, 3)), lambda D: True, settings=FIND)
