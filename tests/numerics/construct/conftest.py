"""Fixtures shared by the minimum-Lipschitz tests."""

import pytest

from numerics.construct import min_lipschitz_interpolant
from numerics.data import random_dataset
from numerics.lipschitz import lipschitz_report


@pytest.fixture(scope="session")
def small():
    """A small instance and its optimized point (computed once)."""
    D = random_dataset(12, 5, seed=3)
    res = min_lipschitz_interpolant(D.X, D.y, 12, starts=("fit", "C1", "C4"), outer=4,
                                    inner=200)
    return D, res


def toolkit_lower(net, domain, X=None, seed=0):
    """The Lipschitz toolkit's certified (witnessed) lower bound. Its enumerated
    "exact" value is not used here: it is a floating-point evaluation at a region
    boundary and can exceed the true constant by rounding when a region is thin
    (e.g. C2 with s ~ 1e-4 overshoots by ~1e-9 relative)."""
    return lipschitz_report(net, domain, X=X, seed=seed, n_random=128, steps=40).lower


@pytest.fixture(scope="session")
def upper_is_valid():
    """The checker of the constructions' certified upper bounds: a certified upper bound
    must not be below a certified lower bound (the toolkit's, with witness)."""

    def upper_is_valid(bound, net, domain, X=None, seed=0):
        """The checker: a certified upper bound must not be below a certified lower bound."""
        return toolkit_lower(net, domain, X, seed) <= bound * (1 + 1e-9)

    return upper_is_valid
