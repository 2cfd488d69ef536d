"""Fixtures shared by the minimum-Lipschitz tests."""

import pytest

from numerics.construct import min_lipschitz_interpolant
from numerics.data import random_dataset


@pytest.fixture(scope="session")
def small():
    """A small instance and its optimized point (computed once)."""
    D = random_dataset(12, 5, seed=3)
    res = min_lipschitz_interpolant(D.X, D.y, 12, starts=("fit", "C1", "C4"), outer=4,
                                    inner=200)
    return D, res
