"""Data: distributions, seeding, labels, validation, I/O."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.data import (
    Dataset,
    as_dataset,
    gaussian_data,
    rademacher_labels,
    random_dataset,
    sphere_data,
    validate_dataset,
)


@given(n=st.integers(1, 50), d=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_sphere_rows_have_unit_norm_and_seed_reproduces(n, d, seed):
    X = sphere_data(n, d, seed)
    assert X.shape == (n, d)
    assert np.allclose(np.linalg.norm(X, axis=1), 1.0)
    assert np.array_equal(X, sphere_data(n, d, seed))
    assert np.array_equal(X, sphere_data(n, d, np.random.default_rng(seed)))


def test_sphere_is_uniform_first_and_second_moments():
    X = sphere_data(20000, 5, 0)
    assert np.abs(X.mean(0)).max() < 4 / np.sqrt(20000)  # E x = 0
    C = X.T @ X / 20000
    assert np.abs(C - np.eye(5) / 5).max() < 0.01  # E x x^T = I/d


def test_gaussian_scale():
    X = gaussian_data(20000, 8, 1)
    assert abs(np.mean(np.sum(X**2, 1)) - 1.0) < 0.02  # E||x||^2 = 1 for N(0, I/d)


def test_labels():
    y = rademacher_labels(1001, 3)
    assert set(np.unique(y)) == {-1.0, 1.0}
    assert abs(y.mean()) < 4 / np.sqrt(1001)
    yb = rademacher_labels(7, 3, balanced=True)
    assert yb.sum() == 1.0 and np.array_equal(yb, rademacher_labels(7, 3, balanced=True))


def test_random_dataset_kinds_and_seed():
    D = random_dataset(10, 3, 5, kind="gaussian", balanced=True)
    assert D.n == 10 and D.d == 3 and D.n_plus == D.n_minus == 5
    D2 = random_dataset(10, 3, 5, kind="gaussian", balanced=True)
    assert np.array_equal(D.X, D2.X) and np.array_equal(D.y, D2.y)
    with pytest.raises(ValueError, match="^kind"):
        random_dataset(3, 2, 0, kind="cube")


def test_dataset_round_trip(tmp_path):
    D = random_dataset(6, 2, 0)
    back = Dataset.load(D.save(tmp_path / "d.npz"))
    assert np.array_equal(back.X, D.X) and np.array_equal(back.y, D.y)


def test_duplicates_same_label_are_fine():
    X, y = validate_dataset([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], [1, 1, -1])
    assert X.shape == (3, 2)


def test_duplicates_opposite_labels_named():
    with pytest.raises(ValueError, match="^X: rows 0 and 2 are the same point"):
        validate_dataset([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], [1, 1, -1])


def test_labels_not_pm1():
    with pytest.raises(ValueError, match="^y: labels must be"):
        validate_dataset([[1.0]], [0.5])


def test_labels_wrong_length():
    with pytest.raises(ValueError, match="^y: expected length 2"):
        validate_dataset([[1.0], [2.0]], [1.0])


def test_nan_in_X():
    with pytest.raises(ValueError, match="^X: contains NaN"):
        Dataset([[np.nan]], [1.0])


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, None])
def test_bad_sizes(bad):
    with pytest.raises(ValueError, match="^n: "):
        sphere_data(bad, 3, 0)
    with pytest.raises(ValueError, match="^d: "):
        gaussian_data(3, bad, 0)


@pytest.mark.parametrize("bad", [None, -1, 1.5, "x"])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="^seed: "):
        rademacher_labels(3, bad)


def test_as_dataset_converts_once_and_passes_datasets_through():
    D = as_dataset([[0.0, 1.0], [1.0, 0.0]], [1, -1])
    assert isinstance(D, Dataset) and D.n == 2
    assert as_dataset(D) is D  # no copy, no second validation
    assert as_dataset(D, d=2) is D
    with pytest.raises(ValueError, match="^X: expected 3 columns"):
        as_dataset(D, d=3)
    with pytest.raises(ValueError, match="^y:"):
        as_dataset(D, [1, -1])
    with pytest.raises(ValueError, match="^y:"):
        as_dataset([[0.0, 1.0]])
    with pytest.raises(ValueError, match="^X: rows 0 and 1"):
        as_dataset([[0.0, 1.0], [0.0, 1.0]], [1, -1])
