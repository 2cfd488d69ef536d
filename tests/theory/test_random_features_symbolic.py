"""Symbolic pieces of S3 (theory/random_features.py)."""

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from theory import random_features as trf

IDENTITIES = trf.verify_identities()


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_identity(name):
    assert IDENTITIES[name] is True


def test_gaussian_coefficients_match_numeric_integration():
    c = trf.sigma_gaussian_coefficients()
    mu0 = 1 / math.sqrt(2 * math.pi)

    def gauss(f):
        def w(g):
            return f(g) * math.exp(-g * g / 2) / math.sqrt(2 * math.pi)
        return quad(w, -np.inf, 0)[0] + quad(w, 0, np.inf)[0]

    def sig(g):
        return max(g, 0.0) - mu0

    assert abs(gauss(sig) - float(c["mu0"])) < 1e-9
    assert abs(gauss(lambda g: g * sig(g)) - float(c["mu1"])) < 1e-9
    assert abs(gauss(lambda g: sig(g) ** 2) - float(c["second_moment"])) < 1e-9


def _mp_numeric(zv: float, ratio: float) -> float:
    """int mu(dl)/(l - z) for the MP law of W W^T (N x N, N/d = ratio), by quadrature."""
    a, b = (1 - math.sqrt(ratio)) ** 2, (1 + math.sqrt(ratio)) ** 2

    def dens(lam):
        return math.sqrt(max((b - lam) * (lam - a), 0.0)) / (2 * math.pi * ratio * lam)

    cont = quad(lambda lam: dens(lam) / (lam - zv), a, b, limit=200)[0]
    atom = max(1 - 1 / ratio, 0.0)
    mass = quad(dens, a, b, limit=200)[0]
    assert abs(mass + atom - 1) < 1e-8  # the density is the right one
    return cont + atom / (0 - zv)


@pytest.mark.parametrize("ratio", [0.25, 0.5, 1.0, 2.0, 8.0])
@pytest.mark.parametrize("zv", [-(1 - 2 / math.pi), -1.0, -3.0])
def test_mp_closed_form_matches_density(ratio, zv):
    closed = float(trf.mp_stieltjes(sp.Float(zv), sp.Float(ratio)))
    assert closed == pytest.approx(_mp_numeric(zv, ratio), rel=1e-7)


def test_other_root_is_not_the_stieltjes_transform():
    # the '+' root of the quadratic (a wrong branch) is negative for z < 0
    u = 1 - trf.psi - trf.z
    wrong = (u + sp.sqrt(u**2 - 4 * trf.psi * trf.z)) / (2 * trf.psi * trf.z)
    assert sp.simplify(trf.mp_stieltjes_equation(wrong)) == 0  # also a root ...
    assert float(wrong.subs({trf.psi: 2, trf.z: -1})) < 0  # ... but not positive


@pytest.mark.parametrize("ratio", [0.25, 1, 2, 8])
def test_sigma2_is_between_tau2_and_tau2_plus_1(ratio):
    for tv in (0.0, 0.5):
        s2 = float(trf.sigma2_expr().subs({trf.psi1: ratio, trf.tau: tv}))
        assert tv**2 < s2 < tv**2 + 1


@pytest.mark.parametrize("ratio", [1, 2, 8])
def test_wrong_sign_convention_is_caught(ratio):
    # reading S as +m (instead of -m) in the transcribed formula gives an impossible
    # error below the noise level tau^2 for psi1 >= 1
    c = 1 - 2 / sp.pi
    wrong = trf.tau**2 + 1 - trf.psi1 * (1 + c * trf.mp_stieltjes(-c, trf.psi1))
    assert float(wrong.subs({trf.psi1: ratio, trf.tau: 0})) < 0


def test_orthant_and_kernel_values():
    assert trf.orthant_probability(sp.pi) == 0
    assert trf.gradient_kernel_entry(2, 0) == sp.Rational(1, 2)
    assert sp.simplify(trf.arccos_kernel(-1)) == 0
    assert trf.mp_cauchy_transform(-1, 1) == -trf.mp_stieltjes(-1, 1)
