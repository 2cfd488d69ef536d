"""Tests of the shipped data sets (numerics/shipped_data.py)."""

import builtins

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numerics.shipped_data import (
    DIGITS_HINT,
    digits_pair,
    load_digits_dataset,
    rescale_max_norm,
    two_moons,
)


@given(st.integers(2, 400), st.floats(0.0, 0.3), st.integers(0, 10**6))
def test_two_moons_shape_scale_labels(n, noise, seed):
    X, y = two_moons(n, noise, seed=seed)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert np.max(np.linalg.norm(X, axis=1)) == pytest.approx(1.0, abs=1e-15)
    assert int(np.sum(y == 1)) == (n + 1) // 2 and int(np.sum(y == -1)) == n // 2
    X2, y2 = two_moons(n, noise, seed=seed)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_two_moons_geometry_without_noise():
    """Noise-free: the +1 points lie on the upper unit half circle and the -1
    points on the shifted lower one (before the common shift and scaling)."""
    X, y = two_moons(500, 0.0, seed=0)
    P = X[y == 1]
    # fit a circle to the +1 points: |x - a|^2 = rho^2 is linear in (a, rho^2 - |a|^2)
    A = np.c_[2 * P, np.ones(len(P))]
    sol = np.linalg.lstsq(A, np.sum(P**2, axis=1), rcond=None)[0]
    a, rho = sol[:2], np.sqrt(sol[2] + sol[:2] @ sol[:2])
    assert np.allclose(np.linalg.norm(P - a, axis=1), rho, atol=1e-9)
    Q = X[y == -1]
    assert np.allclose(np.linalg.norm(Q - (a + rho * np.array([1.0, 0.5])), axis=1), rho,
                       atol=1e-9)
    assert np.all(P[:, 1] >= a[1] - 1e-12)  # upper half circle
    assert np.all(Q[:, 1] <= a[1] + 0.5 * rho + 1e-12)  # lower half of the shifted one


@pytest.mark.parametrize("args, name", [((1, 0.1), "n"), ((10, -0.1), "noise"),
                                        ((10, float("nan")), "noise")])
def test_two_moons_bad_input(args, name):
    with pytest.raises(ValueError, match=f"^{name}:"):
        two_moons(*args, seed=0)
    with pytest.raises(ValueError, match="^seed:"):
        two_moons(10, 0.1, seed=-1)


def test_rescale_refuses_zero():
    with pytest.raises(ValueError, match="^X:"):
        rescale_max_norm(np.zeros((3, 2)))


def test_digits():
    pytest.importorskip("sklearn")
    X, lab = load_digits_dataset()
    assert X.shape == (1797, 64) and set(lab.tolist()) == set(range(10))
    assert np.max(np.linalg.norm(X, axis=1)) == pytest.approx(1.0)
    assert np.allclose(X.mean(axis=0), 0.0, atol=1e-12)
    Xp, y = digits_pair(3, 8)
    assert len(y) == int(np.sum((lab == 3) | (lab == 8)))
    assert set(y.tolist()) == {-1.0, 1.0}
    with pytest.raises(ValueError, match="^b:"):
        digits_pair(3, 3)
    with pytest.raises(ValueError, match="^a:"):
        digits_pair(10, 3)


def test_digits_absent_gives_clear_message(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ModuleNotFoundError, match="robustlaw\\[data\\]"):
        load_digits_dataset()
    assert "scikit-learn" in DIGITS_HINT
