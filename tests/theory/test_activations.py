"""Activations: every derived fact against an independent computation."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory.activations import ACTIVATION_NAMES, get_activation, t

SPECS = ["relu", "leaky_relu:0.1", "leaky_relu:0", "abs", "softplus:2", "softplus:1/3",
         "tanh", "power:1", "power:2", "power:3", "power:4"]


@pytest.mark.parametrize("spec", SPECS)
def test_numeric_matches_sympy_definition(spec):
    act = get_activation(spec)
    xs = np.linspace(-4, 4, 41)
    for x in xs:
        exact = float(act.expr.subs(t, sp.Rational(x).limit_denominator(1000)))
        xr = float(sp.Rational(x).limit_denominator(1000))
        assert act.numeric(np.array(xr)) == pytest.approx(exact, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("spec", SPECS)
def test_numeric_derivative_matches_finite_differences(spec):
    act = get_activation(spec)
    xs = np.array([-3.1, -1.3, -0.4, 0.37, 1.2, 2.9])  # away from kinks
    h = 1e-6
    fd = (act.numeric(xs + h) - act.numeric(xs - h)) / (2 * h)
    assert np.allclose(act.numeric_derivative(xs), fd, rtol=1e-6, atol=1e-6)


def test_softplus_numeric_is_stable_far_out():
    act = get_activation("softplus:2")
    x = np.array([-800.0, 800.0])
    assert np.all(np.isfinite(act.numeric(x)))
    assert act.numeric(x)[1] == pytest.approx(800.0)
    assert act.numeric_derivative(x).tolist() == [0.0, 1.0]


@given(st.floats(-50, 50, allow_nan=False))
@example(0.0)
def test_softplus_stable_form_equals_definition(x):
    act = get_activation("softplus:3")
    direct = np.log1p(np.exp(3 * x)) / 3 if x < 20 else x + np.log1p(np.exp(-3 * x)) / 3
    assert act.numeric(np.array(x)) == pytest.approx(direct, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("spec, lip", [("relu", 1), ("leaky_relu:0.1", 1), ("abs", 1),
                                       ("softplus:2", 1), ("softplus:5", 1), ("softplus:10", 1),
                                       ("softplus:100", 1), ("softplus:1/10", 1), ("tanh", 1),
                                       ("power:1", 1)])
def test_lipschitz_on_R(spec, lip):
    assert get_activation(spec).lipschitz() == lip


@pytest.mark.parametrize("p", [2, 3, 4, 5])
def test_power_lipschitz_on_interval(p):
    R = sp.Rational(3, 2)
    assert get_activation(f"power:{p}").lipschitz(radius=R) == p * R ** (p - 1)
    assert get_activation(f"power:{p}").lipschitz() == sp.oo


@pytest.mark.parametrize("spec", SPECS)
def test_lipschitz_is_sup_of_sampled_derivative(spec):
    """L_psi on [-2, 2] dominates sampled |psi'| and is approached by it."""
    act = get_activation(spec)
    xs = np.linspace(-2, 2, 40001)
    sampled = np.abs(act.numeric_derivative(xs)).max()
    L = float(act.lipschitz(radius=2))
    assert sampled <= L * (1 + 1e-12)
    assert sampled >= L * (1 - 1e-3)


@pytest.mark.parametrize("spec, q", [("relu", 1), ("leaky_relu:0.1", 1), ("abs", 1),
                                     ("power:3", 3), ("power:1", 1), ("tanh", None),
                                     ("softplus:2", None)])
def test_homogeneity_degree(spec, q):
    act = get_activation(spec)
    assert act.homogeneity_degree == q
    if q is not None:  # numeric check of psi(c t) = c^q psi(t)
        x = np.linspace(-3, 3, 13)
        for c in (0.5, 2.0, 7.0):
            assert np.allclose(act.numeric(c * x), c**q * act.numeric(x))


def test_slope_ranges_and_critical_points():
    assert get_activation("leaky_relu:0.1").slope_range() == (sp.Rational(1, 10), 1)
    assert get_activation("abs").slope_range() == (-1, 1)
    assert get_activation("tanh").derivative_critical_points == (0,)
    assert get_activation("power:2").derivative_critical_points == ()


def test_piecewise_linear_flag():
    assert {s for s in SPECS if get_activation(s).is_piecewise_linear} == {
        "relu", "leaky_relu:0.1", "leaky_relu:0", "abs", "power:1"}


def test_spec_round_trip():
    for s in SPECS:
        act = get_activation(s)
        assert get_activation(act.spec) == act


@pytest.mark.parametrize("spec", ["sigmoid", "relu:2", "leaky_relu", "leaky_relu:1.5",
                                  "softplus:0", "softplus:-1", "power:0", "power:2.5",
                                  "power:x", "leaky_relu:nan", ""])
def test_bad_specs_raise_naming_activation(spec):
    with pytest.raises(ValueError, match="activation"):
        get_activation(spec)


def test_non_string_spec():
    with pytest.raises(ValueError, match="activation"):
        get_activation(3)


def test_negative_radius():
    with pytest.raises(ValueError, match="radius"):
        get_activation("power:2").lipschitz(radius=-1)


def test_names_listed():
    assert set(ACTIVATION_NAMES) == {"relu", "leaky_relu", "abs", "softplus", "tanh", "power"}
