"""Bound objects: registry, evaluation, regimes, derivations (theory/bounds.py)."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory import bounds as tb
from theory.bounds import (
    Bound,
    C_delta,
    Hypothesis,
    all_bounds,
    c,
    d,
    delta,
    derive_C_delta,
    derive_geometry,
    get_bound,
    k,
    mp_edge_difference,
    n,
    register,
)
from theory.bounds import core as tbc

KEYS = ["R1", "R1.pair", "R1.geom", "R1.sphere", "R1.sphere.agg", "R1.op", "R2", "R2.Gamma",
        "R2.inst", "R3", "BLN", "BS", "Shmalo"]


def test_registry_has_every_bound_with_status():
    got = {b.key: b for b in all_bounds()}
    for key in KEYS:
        assert key in got
    for key in ("BLN", "BS", "Shmalo"):
        assert got[key].status == "cited"
    for key in ("R1", "R2", "R3", "R1.geom"):
        assert got[key].status == "proved"
        assert got[key].references
    assert len({b.key for b in all_bounds()}) == len(all_bounds())


def test_register_duplicate_and_unknown_key_raise(monkeypatch):
    monkeypatch.setattr(tbc, "_REGISTRY", dict(tbc._REGISTRY))
    b = get_bound("R1")
    with pytest.raises(ValueError, match="bound"):
        register(b.with_expr(2 * b.expr, key="R1"))
    with pytest.raises(ValueError, match="bound"):
        register("R1")
    with pytest.raises(ValueError, match="key"):
        get_bound("no-such-bound")
    new = register(Bound(key="TEST.x", name="t", statement="s", quantity="q", expr=n / k,
                         anchor="notation"))
    assert get_bound("TEST.x") is new
    assert "TEST.x" in [x.key for x in all_bounds()]


def test_all_bounds_skips_only_missing_listed_modules(monkeypatch):
    monkeypatch.setattr(tbc, "THEORY_MODULES", ("theory.bounds", "theory.no_such_module_xyz"))
    assert any(b.key == "R1" for b in all_bounds())


@pytest.mark.parametrize("kw, arg", [
    ({"status": "maybe"}, "status"),
    ({"direction": "sideways"}, "direction"),
    ({"key": ""}, "key"),
    ({"regimes": {"cubic": {}}}, "regimes"),
    ({"anchor": "Not An Anchor"}, "anchor"),
    ({"anchor": "", "key": "NOFAMILY"}, "anchor"),
    ({"relation": "gt"}, "relation"),
    ({"status": "heuristic"}, "relation"),
    ({"status": "heuristic", "relation": "le"}, "relation"),
])
def test_bound_validation(kw, arg):
    base = dict(key="T", name="t", statement="s", quantity="q", expr=n, anchor="notation")
    base.update(kw)
    with pytest.raises(ValueError, match=arg):
        Bound(**base)


def test_hypothesis_needs_name():
    with pytest.raises(ValueError, match="name"):
        Hypothesis("")
    assert Hypothesis("exact_fit").checkable
    assert not Hypothesis("random_labels").checkable


def test_evaluate_bad_input():
    b = get_bound("R1")
    with pytest.raises(ValueError, match="missing"):
        b.evaluate(n_plus=1, n_minus=1, X_op=1)
    with pytest.raises(ValueError, match="unknown"):
        b.evaluate(n_plus=1, n_minus=1, X_op=1, r=1, zz=3)
    with pytest.raises(ValueError, match="X_op"):
        b.evaluate(n_plus=1, n_minus=1, X_op=float("nan"), r=1)
    with pytest.raises(ValueError, match="domain"):
        get_bound("R1.sphere").evaluate(Delta=1, P_dist=1, rho=2)


@given(npl=st.integers(1, 500), nmi=st.integers(1, 500), xop=st.floats(0.1, 50),
       r=st.integers(1, 100))
@example(npl=1, nmi=1, xop=1.0, r=1)
def test_r1_evaluate_matches_formula(npl, nmi, xop, r):
    got = get_bound("R1").evaluate(n_plus=npl, n_minus=nmi, X_op=xop, r=r)
    want = 2 * math.sqrt(npl * nmi) / (xop * math.sqrt(max(npl, nmi) * r
                                                       + 2 * math.sqrt(npl * nmi)))
    assert got == pytest.approx(want, rel=1e-12)
    geom = get_bound("R1.geom").evaluate(n_plus=npl, n_minus=nmi, X_op=xop, r=r)
    assert geom == pytest.approx(xop**2 * (max(npl, nmi) * r + 2 * math.sqrt(npl * nmi)),
                                 rel=1e-12)


@given(dl=st.floats(1e-6, 0.3))
def test_C_delta_formula(dl):
    want = 4 + math.sqrt(8 * math.log(1 / dl)) + 2 * math.sqrt(2 * math.log(2 / dl))
    assert float(C_delta.subs(delta, dl)) == pytest.approx(want, rel=1e-12)


def test_C_delta_derivation_and_wrong_versions_caught():
    steps = derive_C_delta()
    assert sp.simplify(steps["C"] - C_delta) == 0
    assert sp.simplify(steps["expectation"] - 4 * sp.sqrt(n)) == 0
    # wrong versions of a step give a different constant: caught
    for wrong in (derive_C_delta(bounded_difference=2), derive_C_delta(contraction=1),
                  derive_C_delta(lift_norm=1)):
        assert sp.simplify(wrong["C"] - C_delta) != 0


def test_geometry_derivation_matches_bound():
    g = derive_geometry()
    assert sp.simplify(g["bound"] - get_bound("R1.geom").expr) == 0
    # the expansion is an identity on explicit small configurations
    rng = np.random.default_rng(0)
    Xp, Xm = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    lhs = sum(np.sum((a - b) ** 2) for a in Xp for b in Xm)
    val = g["expansion"].subs({tb.n_minus: 2, tb.n_plus: 3,
                               sp.Symbol("A_plus", real=True): np.sum(Xp**2),
                               sp.Symbol("A_minus", real=True): np.sum(Xm**2),
                               sp.Symbol("S_dot", real=True): Xp.sum(0) @ Xm.sum(0)})
    assert float(val) == pytest.approx(lhs, rel=1e-12)


def test_r1_regime_is_theory_statement():
    reg = get_bound("R1").regime("linear")
    # docs/mathematics.md#r1-projection-bound (regime): sqrt(2n/r)/(1+sqrt c)
    # up to (1 + 2/r)^(-1/2), with r = k, n = c d
    target = sp.sqrt(2 * c * d / k) / (1 + sp.sqrt(c)) / sp.sqrt(1 + 2 / k)
    assert sp.simplify(reg.leading - target) == 0
    assert reg.correction == 0
    # n >> d: degrades to sqrt(2d/k) (times (1+2/k)^(-1/2))
    poly = get_bound("R1").regime("poly", p=2)
    assert sp.simplify(poly.leading - sp.sqrt(2 * d / k) / sp.sqrt(1 + 2 / k)) == 0
    assert poly.correction != 0
    # wrong version (dropped 2 sqrt(n+ n-) term) has a different leading order
    b = get_bound("R1")
    wrong = b.with_expr(2 * sp.sqrt(tb.n_plus * tb.n_minus)
                        / (tb.X_op * sp.sqrt(sp.Max(tb.n_plus, tb.n_minus) * tb.r)))
    assert sp.simplify(wrong.regime("linear").leading - target) != 0


def test_r2_r3_bln_regimes():
    r2 = get_bound("R2").regime("linear")
    assert sp.simplify(r2.leading - sp.sqrt(c * d / k) / C_delta) == 0
    assert sp.simplify(r2.correction + sp.sqrt(c * d / k) / C_delta / (c * d)) == 0
    r3 = get_bound("R3").regime("poly", p=2)
    # docs/mathematics.md#r3-quadratic-rank (regime): bound ~ sqrt(n d)/min(k, d) with n = c d^2
    assert sp.simplify(r3.leading - sp.sqrt(c * d**2 * d) / k) == 0
    bln = get_bound("BLN").regime("linear")
    assert sp.simplify(bln.leading - tb.c_univ * sp.sqrt(c * d / k)) == 0


def test_regime_with_extra_substitution_and_bad_input():
    reg = get_bound("R1").regime("linear", k=tb.kappa * d)
    assert sp.simplify(reg.leading - sp.sqrt(2 * c / tb.kappa) / (1 + sp.sqrt(c))) == 0
    assert reg.correction != 0
    b = get_bound("R1")
    with pytest.raises(ValueError, match="kind"):
        b.regime("cubic")
    with pytest.raises(ValueError, match="p"):
        b.regime("poly", p=1)
    with pytest.raises(ValueError, match="p"):
        b.regime("linear", p=3)
    with pytest.raises(ValueError, match="zz"):
        b.regime("linear", zz=1)
    with pytest.raises(ValueError, match="which"):
        b.regime("linear").evaluate("all", c=1, d=1, k=1)


def test_regime_two_terms_closer_than_leading():
    reg = get_bound("R1").regime("poly", p=2)
    vals = dict(c=1.0, d=400.0, k=10.0)
    full = reg.evaluate("expr", **vals)
    assert abs(reg.evaluate("two_terms", **vals) - full) < abs(reg.evaluate(**vals) - full)


def test_mp_edge_limits_and_numerics():
    # large ratio: edge ~ 2 sqrt(c)
    assert sp.limit(mp_edge_difference(c) / (2 * sp.sqrt(c)), c, sp.oo) == 1
    # the R-transform critical point: z'(w) = 0 at w = sqrt(s)
    w = sp.Symbol("w", positive=True)
    cv = sp.Rational(3, 2)
    z = cv * w / (1 - w**2) + 1 / w
    s = 2 / (cv + 2 + sp.sqrt(cv**2 + 8 * cv))
    assert abs(float(sp.diff(z, w).subs(w, sp.sqrt(s)))) < 1e-12
    # numerics: sphere rows, random labels, d = 300 (heuristic; 10% band)
    rng = np.random.default_rng(1)
    dd = 300
    for ratio in (0.5, 1.0, 2.0):
        nn = int(ratio * dd)
        X = rng.standard_normal((nn, dd))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
        y = rng.choice([-1.0, 1.0], nn)
        Mop = np.abs(np.linalg.eigvalsh((X.T * y) @ X)).max()
        assert Mop == pytest.approx(float(mp_edge_difference(sp.Float(ratio))), rel=0.1)


def test_latex_of_bounds():
    for b in all_bounds():
        tex = b.latex()
        assert tex.startswith(b.quantity)
        rel = tex[len(b.quantity):].split()[0]
        assert rel == tb.RELATIONS[b.relation]
        assert (rel == r"\le") == (b.direction == "upper" and b.status != "heuristic")


def test_sharpened_constant_derivation_and_comparison():
    steps = tb.derive_C_delta_sharp()
    assert sp.simplify(steps["C"] - tb.C_delta_sharp) == 0
    assert sp.simplify(steps["expectation"] - 6 * sp.sqrt(n)) == 0
    # wrong versions (dropped ybar term, halved bounded difference) differ: caught
    assert sp.simplify(tb.derive_C_delta_sharp(ybar_term=False)["C"] - tb.C_delta_sharp) != 0
    assert sp.simplify(tb.derive_C_delta_sharp(bounded_difference=2)["C"]
                       - tb.C_delta_sharp) != 0
    # sharper than C_delta at every delta in (0, 1): C' < C pointwise
    diff = sp.lambdify(delta, C_delta - tb.C_delta_sharp)
    assert all(diff(x) > 0 for x in np.linspace(1e-6, 0.99, 200))
    assert get_bound("R2.sharp").probability == 1 - delta


def test_anchor_defaults_to_the_longest_family_prefix():
    base = dict(name="t", statement="s", quantity="q", expr=n)
    assert Bound(key="R4.ball.extra", **base).anchor == "r4-ball"
    assert Bound(key="R4.other", **base).anchor == "r4-energy-certificate"
    assert Bound(key="R1.sphere", **base).anchor == "r1-sphere"
    assert Bound(key="R1.sphere", anchor="notation", **base).anchor == "notation"


def test_relation_is_rendered_and_heuristics_never_claim_an_inequality():
    for b in all_bounds():
        if b.status == "heuristic":
            assert b.relation not in ("ge", "le"), b.key
        else:
            assert b.relation == ("ge" if b.direction == "lower" else "le"), b.key
