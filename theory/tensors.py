r"""Networks with activation :math:`t^p` as symmetric tensors (sympy, exact).

A network :math:`f(x) = \sum_\ell a_\ell (w_\ell\cdot x)^p` *is* the symmetric
tensor :math:`T = \sum_\ell a_\ell w_\ell^{\otimes p}` acting as
:math:`f(x) = \langle T, x^{\otimes p}\rangle`; k neurons = Waring rank <= k.
With biases, homogenize: :math:`(w\cdot x + b)^p = (\tilde w\cdot\tilde x)^p` with
:math:`\tilde w = (w, b)`, :math:`\tilde x = (x, 1)` (tensor in d + 1 variables).

Facts implemented and checked here (``docs/mathematics.md#tensors-and-sphere``):

- :math:`\dim \mathrm{Sym}^p(\mathbb R^d) = \binom{d+p-1}{p}`, polynomials of
  degree <= p in d variables: :math:`\binom{d+p}{p}`.
- Gradient :math:`\nabla f(x) = p\,T[x^{\otimes(p-1)}]`, Euler :math:`x\cdot\nabla f = p f`.
- Polarization :math:`x_1\cdots x_p = (2^p p!)^{-1}\sum_{\varepsilon\in\{\pm1\}^p}
  (\prod_i\varepsilon_i)(\varepsilon\cdot x)^p`.
- Waring decompositions of monomials :math:`x^\alpha`: a rational (hence real)
  one from polarization with at most :math:`\tfrac12\prod_i(\alpha_i+1)` terms, and
  the Carlini–Catalisano–Geramita one over :math:`\mathbb C` (cyclotomic
  coefficients) with :math:`\prod_{i\ge2}(\alpha_i+1)` terms, :math:`\alpha_1` the
  smallest exponent — that count is the complex Waring rank [cited: CCG 2012].
- Generic Waring rank over :math:`\mathbb C` [cited: Alexander–Hirschowitz 1995]:
  :math:`\lceil \binom{d+p-1}{p}/d\rceil`, except p = 2 (rank d) and
  :math:`(d,p)\in\{(3,4),(4,4),(5,4),(5,3)\}` (one more). Checked in the tests by
  Terracini's lemma (:func:`secant_dimension`).

Field of every decomposition: :func:`monomial_waring_real` and
:func:`polynomial_waring` are over :math:`\mathbb Q` (real networks);
:func:`monomial_waring_complex` is over :math:`\mathbb Q(\zeta_L)` with
:math:`L = \mathrm{lcm}(\alpha_i+1)` (complex unless every
:math:`\alpha_i \le 1` for i >= 2).

Examples
--------
>>> sym_dim(3, 2), poly_dim(3, 2)
(6, 10)
>>> x1, x2 = sp.symbols("x1 x2")
>>> terms = polarization(2)
>>> sp.expand(waring_expand(terms, (x1, x2)))
x1*x2
>>> generic_rank(5, 3)
8
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from functools import reduce

import sympy as sp

__all__ = [
    "sym_dim",
    "poly_dim",
    "network_polynomial",
    "network_tensor",
    "tensor_polynomial",
    "polynomial_tensor",
    "tensor_gradient",
    "contract",
    "homogenize",
    "dehomogenize",
    "tensor_to_network",
    "polarization",
    "polarization_lemma",
    "waring_expand",
    "monomial_waring_real",
    "monomial_waring_complex",
    "ccg_rank",
    "polynomial_waring",
    "AH_EXCEPTIONS",
    "generic_rank",
    "generic_rank_table",
    "secant_dimension",
]


def _pos(v, name: str, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(f"{name}: must be an int >= {minimum}, got {v!r}")
    return v


def sym_dim(d, p) -> sp.Expr:
    r""":math:`\dim\mathrm{Sym}^p(\mathbb R^d) = \binom{d+p-1}{p}` (= homogeneous
    polynomials of degree p in d variables). d, p may be symbols.

    >>> sym_dim(sp.Symbol("d"), 2)
    d**2/2 + d/2
    """
    return sp.expand(sp.expand_func(sp.binomial(sp.sympify(d) + p - 1, p)))


def poly_dim(d, p) -> sp.Expr:
    r"""Polynomials of degree <= p in d variables: :math:`\binom{d+p}{p}`
    (= :math:`\dim\mathrm{Sym}^p(\mathbb R^{d+1})`, by homogenization).

    >>> poly_dim(2, 3)
    10
    """
    return sp.expand(sp.expand_func(sp.binomial(sp.sympify(d) + p, p)))


def _rows(W) -> list[list[sp.Expr]]:
    rows = [[sp.nsimplify(v) if isinstance(v, float) else sp.sympify(v) for v in r] for r in W]
    if not rows or len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ValueError("W: expected a non-empty list of equal-length rows")
    return rows


def _homogenized(a, W, b):
    rows = _rows(W)
    a = [sp.sympify(v) for v in a]
    if len(a) != len(rows):
        raise ValueError(f"a: expected length {len(rows)}, got {len(a)}")
    if b is not None:
        b = [sp.sympify(v) for v in b]
        if len(b) != len(rows):
            raise ValueError(f"b: expected length {len(rows)}, got {len(b)}")
        rows = [r + [bi] for r, bi in zip(rows, b, strict=True)]
    return a, rows


def network_polynomial(a, W, b, p: int, xs: Sequence[sp.Symbol]) -> sp.Expr:
    r""":math:`f(x) = \sum_\ell a_\ell (w_\ell\cdot x + b_\ell)^p` (``b=None``: no biases).

    >>> x, y = sp.symbols("x y")
    >>> sp.expand(network_polynomial([1], [[1, 1]], [1], 2, (x, y)))
    x**2 + 2*x*y + 2*x + y**2 + 2*y + 1
    """
    _pos(p, "p")
    a, rows = _homogenized(a, W, b)
    xs = list(xs) + ([sp.Integer(1)] if b is not None else [])
    if len(xs) != len(rows[0]):
        raise ValueError(f"xs: expected {len(rows[0]) - (b is not None)} variables")
    return sum(ai * sum(wi * xi for wi, xi in zip(r, xs, strict=True)) ** p
               for ai, r in zip(a, rows, strict=True))


def network_tensor(a, W, b=None, *, p: int) -> sp.Array:
    r"""The symmetric tensor :math:`T = \sum_\ell a_\ell \tilde w_\ell^{\otimes p}` of a
    network (:math:`\tilde w = w` without biases, :math:`(w, b)` with), shape
    ``(d,)*p`` or ``(d+1,)*p``.

    >>> network_tensor([2], [[1, 3]], p=2).tolist()
    [[2, 6], [6, 18]]
    """
    _pos(p, "p")
    a, rows = _homogenized(a, W, b)
    n = len(rows[0])
    T = sp.MutableDenseNDimArray.zeros(*([n] * p))
    for idx in itertools.product(range(n), repeat=p):
        T[idx] = sum(ai * sp.Mul(*[r[i] for i in idx]) for ai, r in zip(a, rows, strict=True))
    return sp.ImmutableDenseNDimArray(T)


def contract(T: sp.Array, x: Sequence, times: int) -> sp.Array | sp.Expr:
    r""":math:`T[x^{\otimes m}]`: contract the last ``times`` indices of T with x."""
    out = sp.Array(T)
    for _ in range(times):
        out = sp.tensorcontraction(sp.tensorproduct(out, sp.Array(list(x))),
                                   (out.rank() - 1, out.rank()))
    return out


def tensor_polynomial(T: sp.Array, xs: Sequence) -> sp.Expr:
    r""":math:`\langle T, x^{\otimes p}\rangle`. For a homogenized tensor pass
    ``list(xs) + [1]``.

    >>> x, y = sp.symbols("x y")
    >>> tensor_polynomial(sp.Array([[1, 0], [0, -1]]), (x, y))
    x**2 - y**2
    """
    return sp.expand(contract(T, xs, T.rank()))


def tensor_gradient(T: sp.Array, xs: Sequence) -> list[sp.Expr]:
    r""":math:`\nabla f(x) = p\,T[x^{\otimes(p-1)}]` for symmetric T of order p."""
    p = T.rank()
    g = contract(T, xs, p - 1)
    return [sp.expand(p * gi) for gi in g]


def polynomial_tensor(f: sp.Expr, xs: Sequence[sp.Symbol], p: int) -> sp.Array:
    r"""The symmetric tensor of a homogeneous polynomial of degree p:
    :math:`T_{i_1\dots i_p} = c_\alpha / \binom{p}{\alpha}` where
    :math:`x^\alpha = x_{i_1}\cdots x_{i_p}` and :math:`c_\alpha` is its coefficient.

    >>> x, y = sp.symbols("x y")
    >>> polynomial_tensor(2*x*y, (x, y), 2).tolist()
    [[0, 1], [1, 0]]
    """
    _pos(p, "p")
    xs = tuple(xs)
    P = sp.Poly(sp.expand(f), *xs)
    if any(sum(m) != p for m in P.monoms()) and not P.is_zero:
        raise ValueError(f"f: not homogeneous of degree {p}")
    n = len(xs)
    T = sp.MutableDenseNDimArray.zeros(*([n] * p))
    for idx in itertools.product(range(n), repeat=p):
        alpha = [idx.count(i) for i in range(n)]
        T[idx] = P.coeff_monomial(tuple(alpha)) / _multinomial(alpha)
    return sp.ImmutableDenseNDimArray(T)


def _multinomial(alpha: Sequence[int]) -> sp.Integer:
    out = sp.factorial(sum(alpha))
    for a in alpha:
        out /= sp.factorial(a)
    return sp.Integer(out)


def homogenize(f: sp.Expr, xs: Sequence[sp.Symbol], s: sp.Symbol, p: int) -> sp.Expr:
    r""":math:`F(x, s) = s^p f(x/s)` (degree-p homogenization; needs deg f <= p)."""
    F = sp.expand(s**p * f.subs({x: x / s for x in xs}, simultaneous=True))
    return sp.expand(sp.cancel(F))


def dehomogenize(F: sp.Expr, s: sp.Symbol) -> sp.Expr:
    r""":math:`f(x) = F(x, 1)`."""
    return sp.expand(F.subs(s, 1))


def tensor_to_network(T: sp.Array, *, homogenized: bool = False):
    r"""An exact real (rational) network for a symmetric tensor, via
    :func:`polynomial_waring`: returns ``(a, W, b)`` lists of Rationals (``b`` is
    None unless ``homogenized``, in which case the last coordinate is the bias).

    >>> a, W, b = tensor_to_network(sp.Array([[0, 1], [1, 0]]))
    >>> x, y = sp.symbols("x y")
    >>> sp.expand(network_polynomial(a, W, b, 2, (x, y)))
    2*x*y
    """
    p = T.rank()
    n = T.shape[0]
    xs = sp.symbols(f"z0:{n}")
    terms = polynomial_waring(tensor_polynomial(T, xs), xs, p)
    if not terms:  # the zero tensor: one neuron with a = 0
        terms = [(sp.Integer(0), (sp.Integer(0),) * n, p)]
    a = [c for c, _, _ in terms]
    if homogenized:
        return a, [list(v[:-1]) for _, v, _ in terms], [v[-1] for _, v, _ in terms]
    return a, [list(v) for _, v, _ in terms], None


# -- polarization and Waring decompositions ---------------------------------------

def waring_expand(terms, xs: Sequence) -> sp.Expr:
    r""":math:`\sum_r c_r (v_r\cdot x)^{D_r}` for ``terms = [(c_r, v_r, D_r)]`` (the
    format returned by every decomposition in this module), expanded exactly by the
    multinomial theorem: the coefficient of :math:`x^\beta` is
    :math:`\binom{D}{\beta}\sum_r c_r v_r^\beta`."""
    xs = tuple(xs)
    by_degree: dict[int, list] = {}
    for term in terms:
        if len(term) != 3:
            raise ValueError("terms: each term must be (coef, direction, degree)")
        c, v, D = term
        if len(v) != len(xs):
            raise ValueError(f"terms: direction {v} does not match {len(xs)} variables")
        by_degree.setdefault(int(D), []).append((sp.sympify(c), [sp.sympify(x) for x in v]))
    out = sp.Integer(0)
    for D, group in by_degree.items():
        for combo in itertools.combinations_with_replacement(range(len(xs)), D):
            beta = [combo.count(i) for i in range(len(xs))]
            s = sum(c * sp.Mul(*[v[i] ** b for i, b in enumerate(beta) if b]) for c, v in group)
            s = sp.expand(s)
            if s != 0:
                out += _multinomial(beta) * s * sp.Mul(*[x**b for x, b in zip(xs, beta,
                                                                               strict=True)])
    return sp.expand(out)


def polarization(p: int) -> list[tuple]:
    r"""The polarization identity as Waring terms ``(coef, eps, p)``:

    .. math:: x_1\cdots x_p = \frac{1}{2^p p!}\sum_{\varepsilon\in\{\pm 1\}^p}
              \Big(\prod_i \varepsilon_i\Big)(\varepsilon\cdot x)^p .

    Over :math:`\mathbb Q`; :math:`2^p` terms (:math:`2^{p-1}` after merging
    :math:`\pm\varepsilon`, see :func:`monomial_waring_real`).

    >>> len(polarization(3))
    8
    """
    _pos(p, "p")
    c = sp.Rational(1, 2**p * math.factorial(p))
    return [(c * sp.Mul(*eps), eps, p) for eps in itertools.product((1, -1), repeat=p)]


def polarization_lemma() -> dict[str, sp.Expr]:
    r"""The symbolic steps of the polarization identity for general p.

    Expanding :math:`(\varepsilon\cdot x)^p = \sum_{|\beta| = p}\binom{p}{\beta}
    \varepsilon^\beta x^\beta` and summing against :math:`\prod_i\varepsilon_i`
    factorizes over coordinates: :math:`\sum_{\varepsilon_i=\pm1}\varepsilon_i^{\beta_i+1}
    = 1 + (-1)^{\beta_i+1}`, i.e. 2 for odd :math:`\beta_i` and 0 for even. With p
    coordinates and :math:`|\beta| = p`, all :math:`\beta_i` odd forces
    :math:`\beta = (1,\dots,1)`, whose multinomial coefficient is p!. So the sum is
    :math:`2^p p!\,x_1\cdots x_p`.

    Returns the three sympy facts (each must simplify to 0 / True):
    ``odd`` (:math:`1+(-1)^{2m+2} - 2`), ``even`` (:math:`1 + (-1)^{2m+1}`),
    ``multinomial`` (:math:`p!/\prod 1! - p!`), for symbolic integers m >= 0, p >= 1.

    >>> all(sp.simplify(v) == 0 for v in polarization_lemma().values())
    True
    """
    m = sp.Symbol("m", integer=True, nonnegative=True)
    p = sp.Symbol("p", integer=True, positive=True)
    i = sp.Symbol("i", integer=True, positive=True)
    beta_odd, beta_even = 2 * m + 1, 2 * m
    return {
        "odd": sp.powsimp(1 + (-1) ** (beta_odd + 1)) - 2,
        "even": sp.powsimp(1 + (-1) ** (beta_even + 1)),
        "multinomial": sp.factorial(p) / sp.Product(sp.factorial(1), (i, 1, p)).doit()
        - sp.factorial(p),
    }


def _alpha(alpha) -> tuple[int, ...]:
    alpha = tuple(alpha)
    if not alpha or any(isinstance(a, bool) or not isinstance(a, int) or a < 0 for a in alpha):
        raise ValueError(f"alpha: expected non-negative int exponents, got {alpha!r}")
    if sum(alpha) == 0:
        raise ValueError("alpha: the constant monomial has no degree >= 1 decomposition")
    return alpha


def monomial_waring_real(alpha: Sequence[int]) -> list[tuple]:
    r"""A Waring decomposition of :math:`x^\alpha` over :math:`\mathbb Q` (so a real
    network), from polarization with repeated variables.

    With :math:`D = |\alpha|` and :math:`s_i \in \{-\alpha_i, -\alpha_i+2,\dots,\alpha_i\}`:

    .. math:: x^\alpha = \frac{1}{2^D D!}\sum_{s}\prod_i (-1)^{(\alpha_i - s_i)/2}
              \binom{\alpha_i}{(\alpha_i-s_i)/2}\,(s\cdot x)^D,

    then :math:`s` and :math:`-s` are merged (:math:`(-s\cdot x)^D = (-1)^D(s\cdot x)^D`).
    At most :math:`\lceil\prod_i(\alpha_i+1)/2\rceil` terms ``(coef, s, D)``: an
    upper bound on the real Waring rank.

    >>> len(monomial_waring_real((1, 1, 1))), len(monomial_waring_real((1, 2)))
    (4, 3)
    """
    alpha = _alpha(alpha)
    D = sum(alpha)
    scale = sp.Rational(1, 2**D * math.factorial(D))
    acc: dict[tuple, sp.Expr] = {}
    for s in itertools.product(*[range(-a, a + 1, 2) for a in alpha]):
        c = scale
        for a, si in zip(alpha, s, strict=True):
            k = (a - si) // 2
            c *= (-1) ** k * sp.binomial(a, k)
        nz = next((v for v in s if v != 0), 0)
        if nz == 0:
            continue  # (0.x)^D = 0
        if nz < 0:
            s = tuple(-v for v in s)
            c *= (-1) ** D
        acc[s] = acc.get(s, 0) + c
    return [(c, s, D) for s, c in sorted(acc.items()) if c != 0]


def ccg_rank(alpha: Sequence[int]) -> int:
    r"""Carlini–Catalisano–Geramita: the Waring rank over :math:`\mathbb C` of
    :math:`x^\alpha` (positive exponents, sorted :math:`\alpha_1\le\dots\le\alpha_m`)
    is :math:`\prod_{i\ge 2}(\alpha_i + 1)` [cited]. Zero exponents are dropped.

    >>> ccg_rank((1, 1, 1)), ccg_rank((2, 2)), ccg_rank((3,))
    (4, 3, 1)
    """
    a = sorted(v for v in _alpha(alpha) if v > 0)
    return reduce(lambda u, v: u * (v + 1), a[1:], 1)


def monomial_waring_complex(alpha: Sequence[int]) -> tuple[list[tuple], sp.Symbol, int]:
    r"""The Carlini–Catalisano–Geramita decomposition over :math:`\mathbb C`.

    Sort so that :math:`\alpha_1` is the smallest positive exponent; with
    :math:`D = |\alpha|` and :math:`\varepsilon_i` running over the
    :math:`(\alpha_i+1)`-th roots of unity (i >= 2),

    .. math:: x^\alpha = \frac{1}{\binom{D}{\alpha}\prod_{i\ge2}(\alpha_i+1)}
              \sum_{\varepsilon}\prod_{i\ge2}\varepsilon_i^{-\alpha_i}
              \Big(x_1 + \sum_{i\ge2}\varepsilon_i x_i\Big)^D,

    because :math:`\sum_{\varepsilon_i}\varepsilon_i^{\beta_i-\alpha_i}` vanishes unless
    :math:`\beta_i\equiv\alpha_i \bmod (\alpha_i+1)`, and :math:`\beta_i\ge 2\alpha_i+1`
    would force :math:`\beta_1 < 0` since :math:`\alpha_1\le\alpha_i`.
    :func:`ccg_rank` terms, the minimum over :math:`\mathbb C` [cited: CCG 2012].

    Returns ``(terms, zeta, L)``: roots of unity are written as powers of a symbol
    ``zeta`` standing for :math:`e^{2\pi i/L}`, :math:`L = \mathrm{lcm}(\alpha_i+1)`, so
    exact verification reduces modulo the cyclotomic polynomial
    :math:`\Phi_L(\zeta)`. Coordinates are in the original order of ``alpha``;
    zero exponents get direction entry 0.

    >>> terms, zeta, L = monomial_waring_complex((1, 1))
    >>> L, len(terms)
    (2, 2)
    """
    alpha = _alpha(alpha)
    pos = [i for i, a in enumerate(alpha) if a > 0]
    order = sorted(pos, key=lambda i: alpha[i])
    first, rest = order[0], order[1:]
    D = sum(alpha)
    L = reduce(math.lcm, [alpha[i] + 1 for i in rest], 1)
    zeta = sp.Symbol("zeta")
    scale = 1 / (_multinomial([alpha[i] for i in pos]) * ccg_rank(alpha))
    terms = []
    for ks in itertools.product(*[range(alpha[i] + 1) for i in rest]):
        v = [sp.Integer(0)] * len(alpha)
        v[first] = sp.Integer(1)
        c = scale
        for i, k in zip(rest, ks, strict=True):
            e = k * (L // (alpha[i] + 1))  # eps_i = zeta**e
            v[i] = zeta ** (e % L)
            c *= zeta ** ((-e * alpha[i]) % L)
        terms.append((c, tuple(v), D))
    return terms, zeta, L


def _reduce_cyclotomic(expr: sp.Expr, zeta: sp.Symbol, L: int) -> sp.Expr:
    """Reduce the coefficients of a polynomial in (x, zeta) modulo Phi_L(zeta)."""
    return sp.expand(sp.rem(sp.expand(expr), sp.cyclotomic_poly(L, zeta), zeta))


def polynomial_waring(f: sp.Expr, xs: Sequence[sp.Symbol], p: int) -> list[tuple]:
    r"""An exact rational Waring decomposition of a homogeneous polynomial of degree
    p: each monomial by :func:`monomial_waring_real`, equal directions merged.
    Terms ``(coef, direction, p)`` over :math:`\mathbb Q`.

    >>> x, y = sp.symbols("x y")
    >>> terms = polynomial_waring(x**2 - y**2 + x*y, (x, y), 2)
    >>> sp.expand(waring_expand(terms, (x, y)))
    x**2 + x*y - y**2
    """
    _pos(p, "p")
    xs = tuple(xs)
    P = sp.Poly(sp.expand(f), *xs)
    acc: dict[tuple, sp.Expr] = {}
    for monom, coeff in ([] if P.is_zero else P.terms()):
        if sum(monom) != p:
            raise ValueError(f"f: not homogeneous of degree {p}")
        for c, v, _ in monomial_waring_real(monom):
            acc[v] = acc.get(v, 0) + coeff * c
    return [(c, v, p) for v, c in sorted(acc.items()) if c != 0]


# -- generic rank ------------------------------------------------------------------

#: Alexander–Hirschowitz exceptions with p >= 3 (generic rank one more than expected).
AH_EXCEPTIONS = frozenset({(3, 4), (4, 4), (5, 4), (5, 3)})


def generic_rank(d: int, p: int) -> int:
    r"""Generic Waring rank over :math:`\mathbb C` of degree-p forms in d variables
    [cited: Alexander–Hirschowitz 1995]: :math:`\lceil\binom{d+p-1}{p}/d\rceil`,
    except p = 2 (rank d) and the four exceptions :data:`AH_EXCEPTIONS` (one more).
    p = 1: rank 1.

    >>> generic_rank(3, 4), generic_rank(3, 3), generic_rank(4, 2)
    (6, 4, 4)
    """
    _pos(d, "d")
    _pos(p, "p")
    if p == 1:
        return 1
    if p == 2:
        return d
    r = -(-int(sym_dim(d, p)) // d)
    return r + 1 if (d, p) in AH_EXCEPTIONS else r


def generic_rank_table(ds: Sequence[int], ps: Sequence[int]) -> list[dict]:
    r"""Rows ``{d, p, dim, expected, generic_rank, exception}`` with
    ``expected`` :math:`= \lceil\binom{d+p-1}{p}/d\rceil` (the parameter count)."""
    rows = []
    for p in ps:
        for d in ds:
            dim = int(sym_dim(d, p))
            expected = -(-dim // d)
            r = generic_rank(d, p)
            rows.append({"d": d, "p": p, "dim": dim, "expected": expected,
                         "generic_rank": r, "exception": r != expected})
    return rows


def secant_dimension(d: int, p: int, r: int, *, seed: int = 0) -> int:
    r"""Dimension of the r-th secant variety of the degree-p Veronese variety, by
    Terracini's lemma: the rank of the span of
    :math:`\{(w_\ell\cdot x)^{p-1} x_i\}_{\ell\le r,\, i\le d}` at random integer
    points :math:`w_\ell` (exact rank over :math:`\mathbb Q`). The generic rank is
    the least r with dimension :math:`\binom{d+p-1}{p}`. Random points give the
    generic value with high probability; a value equal to the expected maximum is
    a proof that it is attained.

    >>> secant_dimension(3, 4, 5)
    14
    """
    _pos(d, "d")
    _pos(p, "p", 2)
    _pos(r, "r")
    rng = random.Random(seed)
    xs = sp.symbols(f"x0:{d}")
    monoms = sorted(sp.itermonomials(xs, p, p), key=sp.default_sort_key)
    rows = []
    for _ in range(r):
        w = [rng.randint(-9, 9) for _ in range(d)]
        lin = sum(wi * xi for wi, xi in zip(w, xs, strict=True))
        base = sp.expand(lin ** (p - 1))
        for xi in xs:
            P = sp.Poly(sp.expand(base * xi), *xs)
            rows.append([P.coeff_monomial(m) for m in monoms])
    from sympy.polys.matrices import DomainMatrix

    M = DomainMatrix.from_list_sympy(len(rows), len(monoms), rows).convert_to(sp.QQ)
    return int(M.rank())
