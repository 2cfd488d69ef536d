"""The symbol table and the rewriting rules of theory/symbols.py."""

import re

import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory import symbols as ts
from theory.bounds import all_bounds
from theory.symbols import (
    RULES,
    c_N,
    delta,
    equal,
    human_form,
    latex,
    n,
    n_minus,
    n_plus,
    rule_collect_sqrt,
    rule_log_reciprocal,
    rule_one_minus,
)

CODE_NAME = re.compile(r"_\{(?:minus|plus|op|dist|inf|iso|params|diam|min|BS)\}|ybar")


def test_every_exported_symbol_prints_its_mathematical_name():
    syms = [v for v in vars(ts).values() if isinstance(v, sp.Symbol)]
    assert len(syms) >= 25
    for s in syms:
        tex = latex(s)
        assert not CODE_NAME.search(tex), (s, tex)
    assert latex(n_plus) == "n_+" and latex(n_minus) == "n_-"
    assert latex(ts.X_op) == r"\|X\|_{\mathrm{op}}"
    assert latex(ts.E_min) == r"E_{\min}"
    assert latex(ts.Lambda_BS) == r"\Lambda"


def test_s4_symbols_print_as_norms_not_sample_sizes():
    assert latex(sp.Symbol("n_1")) == r"\|W^{1}\|_\infty"
    assert latex(sp.Symbol("x_inf")) == r"\|x\|_\infty"
    assert latex(sp.Symbol("epsilon_2")) == r"\epsilon_{2}"


def test_no_bound_prints_a_code_name():
    for b in all_bounds():
        assert not CODE_NAME.search(b.latex()), (b.key, b.latex())


@pytest.mark.parametrize("expr, want", [
    (sp.sqrt(8 * sp.log(1 / delta)), r"\sqrt{8 \log(1/\delta)}"),
    (sp.sqrt(-sp.log(delta)), r"\sqrt{\log(1/\delta)}"),
    (-c_N / (c_N - 1), r"\frac{c_N}{1 - c_N}"),
    (sp.sqrt(-1 / (c_N - 1)), r"\sqrt{\frac{1}{1 - c_N}}"),
    (2 * sp.sqrt(n_plus * n_minus), r"2 \sqrt{n_- n_+}"),
    (sp.log(delta / 4), r"- \log(4/\delta)"),
    (sp.sqrt(n) / sp.sqrt(1 + n), r"\frac{\sqrt{n}}{\sqrt{n + 1}}"),
])
def test_human_forms(expr, want):
    assert latex(expr) == want
    assert equal(human_form(expr), expr)


def test_the_issue_forms_are_gone_from_every_bound_and_regime():
    bad = [r"\sqrt{- \log", r"\left(c_N - 1\right)}", r"\sqrt{- \frac{1}{c_N - 1}}",
           r"\sqrt{n_-} \sqrt{n_+}"]
    for b in all_bounds():
        texts = [b.latex()]
        for kind, p in (("linear", None), ("poly", 2)):
            if kind in b.regimes:
                reg = b.regime(kind, p=p)
                texts += [latex(reg.leading), latex(reg.correction)]
        for tex in texts:
            assert not any(x in tex for x in bad), (b.key, tex)


_atoms = st.sampled_from([n, n_plus, n_minus, delta, c_N, sp.Integer(2), sp.Rational(1, 3)])


def _apply(op, e, other):
    if op == "mul":
        return e * other
    if op == "add":
        return e + other
    if op == "sqrt":
        return sp.sqrt(e)
    if op == "inv":
        return 1 / e
    if op == "log":
        return e * sp.log(1 / delta)
    return e / (c_N - 1)


@st.composite
def expressions(draw):
    e = draw(_atoms)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["mul", "add", "sqrt", "inv", "log", "onem"]))
        e = _apply(op, e, draw(_atoms))
    return e


@given(expressions())
@example(sp.sqrt(8 * sp.log(1 / delta)) / (1 - c_N))
@example(sp.sqrt(n_plus) * sp.sqrt(n_minus) * sp.sqrt(2))
def test_each_rule_preserves_the_value(expr):
    for _, rule in RULES:
        assert equal(rule(expr), expr)
    assert equal(human_form(expr, strict=True), expr)


def test_a_wrong_rule_is_caught():
    def drop_a_root(e):          # deliberately wrong: sqrt(a) sqrt(b) -> sqrt(a)
        return e.replace(lambda x: x == sp.sqrt(n_minus), lambda x: sp.S.One)

    def wrong_sign(e):           # deliberately wrong: c/(c-1) -> c/(1-c) without the sign
        return e.subs(c_N - 1, 1 - c_N)

    expr = 2 * sp.sqrt(n_plus * n_minus) / (c_N - 1)
    for bad in (drop_a_root, wrong_sign):
        with pytest.raises(ValueError, match="rules"):
            human_form(expr, rules=(("bad", bad),), strict=True)
        assert equal(human_form(expr, rules=(("bad", bad),)), expr)   # skipped, not applied
    assert rule_one_minus(expr) != expr and equal(rule_one_minus(expr), expr)
    assert rule_collect_sqrt(expr) != expr and equal(rule_collect_sqrt(expr), expr)
    assert rule_log_reciprocal(-sp.log(delta)) != -sp.log(delta)
