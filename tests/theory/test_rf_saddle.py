"""S3 saddle-point formula (theory/rf_saddle.py): the sympy-checked facts."""

import math

import pytest
import sympy as sp

from theory import random_features as trf
from theory import rf_saddle as ts

IDENTITIES = ts.verify_identities()


@pytest.mark.parametrize("name", sorted(IDENTITIES))
def test_identity(name):
    assert IDENTITIES[name] is True


def test_every_symbol_has_a_latex_name():
    syms = ts.objective().free_symbols | ts.adversarial_risk().free_symbols
    assert syms <= set(ts.LATEX_NAMES)
    assert ts.LATEX_NAMES[ts.eps_test] == r"\epsilon_{\mathrm{test}}"


def test_wrong_root_derivative_is_caught():
    """The checker that certifies F'(nu) rejects a sign-flipped erf term."""
    F = ts.root_equation()
    wrong = -ts.beta / ts.tau_g + sp.erf(ts.nu / sp.sqrt(2))
    assert sp.simplify(sp.diff(F, ts.nu) - wrong) != 0


def test_usual_stieltjes_sign_is_not_the_transcribed_S():
    z = sp.Symbol("zneg", negative=True)
    assert sp.simplify(ts.S_transcribed(z) - trf.mp_stieltjes(z, ts.psi1)) != 0
    assert float(ts.S_transcribed(-1.0, 2.0)) < 0 < float(trf.mp_stieltjes(-1.0, 2.0))


def test_sigma2_with_usual_sign_would_be_below_tau2():
    wrong = ts.tau**2 + 1 - ts.psi1 * (1 + (1 - 2 / sp.pi) * trf.mp_stieltjes(
        2 / sp.pi - 1, ts.psi1))
    val = float(wrong.subs({ts.psi1: 2, ts.tau: sp.Rational(1, 2)}))
    assert val < 0.25 < float(trf.sigma2_expr().subs({ts.psi1: 2, ts.tau: sp.Rational(1, 2)}))


def test_two_over_pi_factor_enters_G():
    a = ts.inner_G().subs({ts.lam: sp.Rational(1, 2), ts.alpha: 1, ts.tau_q: 1, ts.beta: 1,
                           ts.gamma: 0, ts.psi1: 1})
    b = ts.inner_G(two_over_pi=1).subs({ts.lam: sp.Rational(1, 2), ts.alpha: 1, ts.tau_q: 1,
                                        ts.beta: 1, ts.gamma: 0, ts.psi1: 1})
    assert abs(float(a - b)) > 1e-3 and math.isfinite(float(a))
