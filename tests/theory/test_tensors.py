"""Exact tests of theory.tensors: dimensions, network <-> tensor, identities, Waring, AH."""

import itertools
import math
import random

import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from theory.tensors import (
    AH_EXCEPTIONS,
    ccg_rank,
    contract,
    dehomogenize,
    generic_rank,
    generic_rank_table,
    homogenize,
    monomial_waring_complex,
    monomial_waring_real,
    network_polynomial,
    network_tensor,
    polarization,
    polarization_lemma,
    poly_dim,
    polynomial_tensor,
    polynomial_waring,
    secant_dimension,
    sym_dim,
    tensor_gradient,
    tensor_polynomial,
    tensor_to_network,
    waring_expand,
)
from theory.tensors import _reduce_cyclotomic as reduce_cyclotomic


def _xs(n):
    return sp.symbols(f"x0:{n}")


def _random_net(rng, k, d, biases):
    a = [rng.randint(-3, 3) for _ in range(k)]
    W = [[rng.randint(-3, 3) for _ in range(d)] for _ in range(k)]
    b = [rng.randint(-3, 3) for _ in range(k)] if biases else None
    return a, W, b


@pytest.mark.parametrize("d,p", [(1, 3), (2, 2), (3, 3), (4, 2), (3, 4), (5, 3)])
def test_dimension_formulas_count_monomials(d, p):
    xs = _xs(d)
    assert sym_dim(d, p) == len(list(sp.itermonomials(xs, p, p)))
    assert poly_dim(d, p) == len(list(sp.itermonomials(xs, p)))


def test_dimension_formulas_symbolic():
    d = sp.Symbol("d", positive=True, integer=True)
    assert sp.simplify(sym_dim(d, 3) - d * (d + 1) * (d + 2) / 6) == 0
    assert sp.simplify(poly_dim(d, 2) - sym_dim(d + 1, 2)) == 0  # homogenization


@given(st.integers(0, 10**6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 4),
       st.booleans())
def test_network_tensor_polynomial_roundtrip(seed, k, d, p, biases):
    rng = random.Random(seed)
    a, W, b = _random_net(rng, k, d, biases)
    xs = _xs(d)
    f = sp.expand(network_polynomial(a, W, b, p, xs))
    T = network_tensor(a, W, b, p=p)
    xt = list(xs) + ([1] if biases else [])
    assert sp.expand(tensor_polynomial(T, xt) - f) == 0
    # tensor -> network (exact rational Waring) -> same polynomial
    a2, W2, b2 = tensor_to_network(T, homogenized=biases)
    assert sp.expand(network_polynomial(a2, W2, b2, p, xs) - f) == 0
    if not biases:
        assert polynomial_tensor(f, xs, p) == T


@pytest.mark.parametrize("d,p", [(2, 2), (2, 3), (3, 2), (3, 3), (2, 4)])
def test_gradient_identity_for_generic_symmetric_tensor(d, p):
    xs = _xs(d)
    # generic symmetric tensor: one symbol per multiset of indices
    T = sp.MutableDenseNDimArray.zeros(*([d] * p))
    for idx in itertools.product(range(d), repeat=p):
        T[idx] = sp.Symbol("T_" + "".join(map(str, sorted(idx))))
    T = sp.ImmutableDenseNDimArray(T)
    f = tensor_polynomial(T, xs)
    grad = tensor_gradient(T, xs)
    assert all(sp.expand(g - sp.diff(f, x)) == 0 for g, x in zip(grad, xs, strict=True))
    # Euler: x . grad f = p f
    assert sp.expand(sum(x * g for x, g in zip(xs, grad, strict=True)) - p * f) == 0
    # a wrong factor (p-1 instead of p) is caught
    assert sp.expand(sum(x * g for x, g in zip(xs, grad, strict=True)) - (p - 1) * f) != 0


def test_euler_identity_for_general_p():
    p = sp.Symbol("p", positive=True, integer=True)
    xs = _xs(3)
    ws = sp.symbols("w0:3")
    lin = sum(w * x for w, x in zip(ws, xs, strict=True))
    f = lin**p
    euler = sum(x * sp.diff(f, x) for x in xs)
    assert sp.simplify(euler - p * f) == 0


def test_contract_matches_polynomial():
    T = network_tensor([1, -2], [[1, 2], [3, -1]], p=3)
    xs = _xs(2)
    assert sp.expand(contract(T, xs, 3) - tensor_polynomial(T, xs)) == 0


def test_polarization_lemma_symbolic():
    facts = polarization_lemma()
    assert set(facts) == {"odd", "even", "multinomial"}
    assert all(sp.simplify(v) == 0 for v in facts.values())


@pytest.mark.parametrize("p", range(1, 7))
def test_polarization_identity_by_expansion(p):
    xs = _xs(p)
    assert sp.expand(waring_expand(polarization(p), xs) - sp.Mul(*xs)) == 0


@pytest.mark.parametrize("p", [2, 3, 4])
def test_wrong_polarization_is_caught(p):
    xs = _xs(p)
    # constant 2^{p-1} p! instead of 2^p p!
    wrong = [(2 * c, v, D) for c, v, D in polarization(p)]
    assert sp.expand(waring_expand(wrong, xs) - sp.Mul(*xs)) != 0
    # dropping the sign product
    wrong = [(abs(c), v, D) for c, v, D in polarization(p)]
    assert sp.expand(waring_expand(wrong, xs) - sp.Mul(*xs)) != 0


@given(st.lists(st.integers(0, 4), min_size=1, max_size=3).filter(lambda a: 0 < sum(a) <= 6))
@example([1, 1, 1])
@example([2, 3])
def test_real_monomial_waring(alpha):
    xs = _xs(len(alpha))
    terms = monomial_waring_real(alpha)
    mono = sp.Mul(*[x**a for x, a in zip(xs, alpha, strict=True)])
    assert sp.expand(waring_expand(terms, xs) - mono) == 0
    assert all(isinstance(c, sp.Rational) for c, _, _ in terms)  # over Q, real network
    assert len(terms) <= math.ceil(math.prod(a + 1 for a in alpha) / 2)


@given(st.lists(st.integers(0, 3), min_size=1, max_size=3).filter(lambda a: 0 < sum(a) <= 5))
@example([1, 2])
@example([2, 2, 1])
def test_ccg_complex_decomposition(alpha):
    xs = _xs(len(alpha))
    terms, zeta, L = monomial_waring_complex(alpha)
    mono = sp.Mul(*[x**a for x, a in zip(xs, alpha, strict=True)])
    assert len(terms) == ccg_rank(alpha)
    assert reduce_cyclotomic(waring_expand(terms, xs) - mono, zeta, L) == 0
    # a perturbed coefficient is caught
    bad = [(terms[0][0] * 2, terms[0][1], terms[0][2])] + terms[1:]
    assert reduce_cyclotomic(waring_expand(bad, xs) - mono, zeta, L) != 0


def test_ccg_rank_values_and_fields():
    assert ccg_rank((1, 1, 1)) == 4 and ccg_rank((1, 1)) == 2
    assert ccg_rank((2, 3)) == 4 and ccg_rank((3, 2)) == 4
    assert ccg_rank((0, 2, 2)) == 3
    # x y over C: 2 terms with zeta = -1 (real); x^2 y needs cube roots of unity (complex)
    _, _, L = monomial_waring_complex((1, 1))
    assert L == 2
    _, _, L = monomial_waring_complex((1, 2))
    assert L == 3


def test_polynomial_waring_of_random_forms():
    rng = random.Random(0)
    for d, p in [(2, 3), (3, 2), (3, 3), (2, 5)]:
        xs = _xs(d)
        f = sum(rng.randint(-3, 3) * m for m in sp.itermonomials(xs, p, p))
        assert sp.expand(waring_expand(polynomial_waring(f, xs, p), xs) - f) == 0


def test_homogenize_roundtrip():
    xs = _xs(2)
    s = sp.Symbol("s")
    f = xs[0] ** 2 - 3 * xs[1] + 1
    F = homogenize(f, xs, s, 2)
    assert sp.Poly(F, *xs, s).is_homogeneous
    assert sp.expand(dehomogenize(F, s) - f) == 0


@pytest.mark.parametrize("d,p", [(2, 3), (2, 4), (3, 3), (3, 4), (4, 3), (4, 4), (5, 3),
                                 (3, 5), (2, 2), (3, 2)])
def test_alexander_hirschowitz_by_terracini(d, p):
    N = int(sym_dim(d, p))
    r = generic_rank(d, p)
    assert secant_dimension(d, p, r, seed=1) == N  # rank r fills the space (a proof)
    if r > 1:
        assert secant_dimension(d, p, r - 1, seed=1) < N
    expected = -(-N // d)
    assert (r != expected) == ((d, p) in AH_EXCEPTIONS or (p == 2 and d > 1 and r != expected))


@pytest.mark.slow
def test_alexander_hirschowitz_exception_5_4():
    assert secant_dimension(5, 4, 14, seed=2) == 69
    assert secant_dimension(5, 4, 15, seed=2) == 70


def test_wrong_generic_rank_caught():
    # the naive count ceil(N/d) for the exception (3, 4) does not fill the space
    N = int(sym_dim(3, 4))
    assert secant_dimension(3, 4, -(-N // 3), seed=0) < N


def test_generic_rank_table_rows():
    rows = generic_rank_table([2, 3, 4, 5], [2, 3, 4])
    assert len(rows) == 12
    for row in rows:
        assert row["generic_rank"] == generic_rank(row["d"], row["p"])
        assert row["dim"] == sym_dim(row["d"], row["p"])
        assert row["exception"] == (row["generic_rank"] != row["expected"])
    assert {(r["d"], r["p"]) for r in rows if r["exception"] and r["p"] > 2} == AH_EXCEPTIONS


def test_bad_input_raises_naming_argument():
    with pytest.raises(ValueError, match="p:"):
        polarization(0)
    with pytest.raises(ValueError, match="alpha:"):
        monomial_waring_real((-1, 2))
    with pytest.raises(ValueError, match="alpha:"):
        monomial_waring_real((0, 0))
    with pytest.raises(ValueError, match="d:"):
        generic_rank(0, 3)
    with pytest.raises(ValueError, match="f:"):
        polynomial_tensor(_xs(2)[0] + 1, _xs(2), 1)
    with pytest.raises(ValueError, match="a:"):
        network_tensor([1, 2], [[1, 0]], p=2)
    with pytest.raises(ValueError, match="b:"):
        network_tensor([1], [[1, 0]], [1, 2], p=2)
    with pytest.raises(ValueError, match="W:"):
        network_tensor([1], [], p=2)
    with pytest.raises(ValueError, match="terms:"):
        waring_expand([(1, (1, 0))], _xs(2))
    with pytest.raises(ValueError, match="r:"):
        secant_dimension(3, 3, 0)
