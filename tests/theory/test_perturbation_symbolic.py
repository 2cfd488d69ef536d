"""Symbolic checks of the S4 margin-change bound (theory/perturbation.py)."""

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from theory.perturbation import (
    CITED_STATEMENT,
    DERIVED_STATEMENT,
    activation_hypotheses,
    depth_one_bound,
    margin_change_bound_expr,
    margin_change_bound_latex,
    s4_symbols,
    telescoping_recursion,
    verify_telescoping,
)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5, 6])
def test_telescoping_derivation_gives_the_stated_bound(depth):
    assert verify_telescoping(depth)


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_recursion_equals_product_difference(depth):
    syms = s4_symbols(depth)
    D = telescoping_recursion(depth)
    p = sp.Mul(*syms.norms)
    phat = sp.Mul(*[n + e for n, e in zip(syms.norms, syms.eps[:-1], strict=True)])
    assert sp.expand(D[-1] - (phat - p)) == 0


def test_depth_one_is_two_eps_x():
    s = s4_symbols(1)
    assert sp.simplify(depth_one_bound() - 2 * s.eps[0] * s.x_inf) == 0


@pytest.mark.parametrize("depth", [3, 4])
def test_wrong_recursion_is_caught(depth):
    # a deliberately wrong derivation (dropping the eps in the propagated product)
    # no longer reproduces the stated bound
    syms = s4_symbols(depth)
    D = [sp.Integer(0)]
    p = sp.Integer(1)
    for n, e in zip(syms.norms, syms.eps[:-1], strict=True):
        D.append(e * p + n * D[-1])  # wrong: should be e * phat
        p = p * n
    expr, _ = margin_change_bound_expr(depth)
    phat = sp.Mul(*[n + e for n, e in zip(syms.norms, syms.eps[:-1], strict=True)])
    wrong = syms.x_inf * (syms.u * D[-1] + 2 * syms.eps[-1] * phat)
    assert sp.expand(wrong - expr) != 0


@given(st.integers(1, 5), st.lists(st.floats(0, 3), min_size=12, max_size=12))
def test_bound_is_nonnegative_and_monotone_in_eps(depth, vals):
    expr, syms = margin_change_bound_expr(depth)
    subs = dict(zip(syms.all, vals[: len(syms.all)], strict=False))
    b = float(expr.subs(subs))
    assert b >= 0
    bigger = dict(subs)
    bigger[syms.eps[-1]] = subs[syms.eps[-1]] + 0.5
    assert float(expr.subs(bigger)) >= b
    # zero budgets give zero change
    zero = dict(subs)
    for e in syms.eps:
        zero[e] = 0
    assert float(expr.subs(zero)) == 0


def test_statements_are_labelled():
    assert "[proved here]" in DERIVED_STATEMENT
    assert "[cited" in CITED_STATEMENT and "Tsai" in CITED_STATEMENT
    assert r"2\epsilon_L" in margin_change_bound_latex()
    assert r"\epsilon_{2}" in margin_change_bound_latex(2)


@pytest.mark.parametrize("spec", ["relu", "leaky_relu:0.1", "tanh", "abs"])
def test_hypotheses_hold(spec):
    assert activation_hypotheses(spec)["holds"]


@pytest.mark.parametrize("spec", ["softplus:1", "power:3", "power:1"])
def test_hypotheses_fail(spec):
    # power:1 is the identity: 1-Lipschitz and 0 at 0 -> holds; the others fail
    h = activation_hypotheses(spec)
    assert h["holds"] is (spec == "power:1")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_depth(bad):
    with pytest.raises(ValueError, match="depth"):
        margin_change_bound_expr(bad)
