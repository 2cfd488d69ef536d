"""Symbolic checks of the Rademacher bound within a weight budget (theory/rademacher.py)."""

import math

import pytest
import sympy as sp

from theory import rademacher as trad
from theory.bounds import get_bound
from theory.perturbation import margin_change_bound_expr


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_peeling_recursion_solves_to_the_closed_form(depth):
    assert trad.verify_peeling(depth)


@pytest.mark.parametrize("depth", [2, 3])
def test_wrong_contraction_factor_is_caught(depth):
    assert not trad.verify_peeling(depth, contraction_factor=1)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_bound_is_s4_with_x_inf_replaced(depth):
    expr, syms = trad.rademacher_bound_expr(depth)
    s4, _ = margin_change_bound_expr(depth)
    repl = s4.subs(syms.x_inf, 2 ** (depth - 1) * trad.A0 / trad.m_sample)
    assert sp.expand(expr - repl) == 0
    zero = {e: 0 for e in syms.eps}
    assert expr.subs(zero) == 0  # vanishes with the budgets


def test_registered_bounds():
    b = get_bound("S4.rademacher")
    assert b.status == "proved" and b.direction == "upper"
    assert {"lipschitz_activation_vanishing_at_0", "weight_budget"} <= set(b.hypothesis_names)
    assert "Ours" in b.statement
    # L = 2 with Massart: 2 c_X sqrt(2 log 2d) / m * (u eps_1 + 2 eps_2 (n_1 + eps_1))
    val = b.evaluate(m_S=4, u=2.0, n_1=1.5, epsilon_1=0.1, epsilon_2=0.2, c_X=1.0, d=3)
    want = 2 * math.sqrt(2 * math.log(6)) / 4 * (2.0 * 0.1 + 2 * 0.2 * 1.6)
    assert val == pytest.approx(want, rel=1e-12)
    g = get_bound("S4.generalization")
    assert g.probability == 1 - trad.delta_conf
    assert g.evaluate(delta=0.05, m_S=100) == pytest.approx(
        3 * math.sqrt(math.log(40) / 200), rel=1e-12)
