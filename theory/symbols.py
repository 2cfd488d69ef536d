r"""The sympy symbols every bound, derivation and table shares.

One symbol table: each exported symbol is defined here once, with the LaTeX
name a table, notebook or docstring prints for it (see :data:`LATEX_NAMES`
and :func:`latex`). Code names are ASCII (``n_plus``); printed names are the
mathematics (:math:`n_+`). The notation is that of
``docs/mathematics.md#notation``. The table is keyed by the symbol's *name*,
so symbols that other theory modules build (e.g. the S4 symbols ``x_inf``,
``n_1``) print correctly too.

Human form
----------
sympy's normal forms are not what a person writes: :math:`\log(1/\delta)`
becomes :math:`-\log\delta`, :math:`c/(1-c)` becomes :math:`-c/(c-1)`,
:math:`\sqrt{n_+n_-}` splits into :math:`\sqrt{n_+}\sqrt{n_-}`.
:func:`human_form` applies three rewriting rules and returns an unevaluated
expression that *prints* the human way, after checking with sympy that it
equals the original:

1. ``log_reciprocal``: for a symbol s in (0, 1) (:data:`UNIT_INTERVAL`),
   :math:`-\log s` is written :math:`\log(1/s)` (and :math:`\log(a/s)` is
   kept whole);
2. ``one_minus``: a factor :math:`(s-1)^{-m}` with s in (0, 1) is written
   :math:`(1-s)^{-m}` with the sign moved to the numerator;
3. ``collect_sqrt``: the square roots of a product are collected,
   :math:`\sqrt a\sqrt b = \sqrt{ab}` (valid for the non-negative symbols
   here; checked).

Examples
--------
>>> str(n_plus), LATEX_NAMES["n_plus"]
('n_plus', 'n_+')
>>> latex(sp.sqrt(8 * sp.log(1 / delta)))
'\\sqrt{8 \\log(1/\\delta)}'
"""

from __future__ import annotations

import re

import sympy as sp

n = sp.Symbol("n", positive=True)
d = sp.Symbol("d", positive=True)
k = sp.Symbol("k", positive=True)
n_plus = sp.Symbol("n_plus", positive=True)
n_minus = sp.Symbol("n_minus", positive=True)
#: :math:`\|X\|_{op}`, the largest singular value of the data matrix.
X_op = sp.Symbol("X_op", positive=True)
#: :math:`\|M\|_{op}` with :math:`M = X^T \mathrm{diag}(y) X` (R3).
M_op = sp.Symbol("M_op", positive=True)
#: rank of the projection onto span of the neurons' weights (R1).
r = sp.Symbol("r", positive=True)
delta = sp.Symbol("delta", positive=True)
#: regime constant: n = c d (linear) or n = c d^p (poly).
c = sp.Symbol("c", positive=True)
p = sp.Symbol("p", positive=True)
#: optional width ratio k = kappa d (pass ``k=kappa*d`` to :meth:`Bound.regime`).
kappa = sp.Symbol("kappa", positive=True)
#: radius of the ball domain.
R = sp.Symbol("R", positive=True)
#: a pair's value gap f(x_i) - f(x_j).
Delta = sp.Symbol("Delta", positive=True)
#: a pair's projected distance ||P(x_i - x_j)||.
P_dist = sp.Symbol("P_dist", positive=True)
#: max(||P x_i||, ||P x_j||) in the sphere version of R1.
rho = sp.Symbol("rho", nonnegative=True)
#: label mean.
ybar = sp.Symbol("ybar", real=True)
#: network width in Shmalo's bound (m there).
m_width = sp.Symbol("m", positive=True)
# Cited-bound symbols.
eps = sp.Symbol("epsilon", positive=True)
c_iso = sp.Symbol("c_iso", positive=True)
n_params = sp.Symbol("n_params", positive=True)
W_diam = sp.Symbol("W_diam", positive=True)
J_lip = sp.Symbol("J", positive=True)
K_pieces = sp.Symbol("K", positive=True)
c_univ = sp.Symbol("c_0", positive=True)
C_univ = sp.Symbol("C_0", positive=True)
#: :math:`\Lambda = \log(60WJ/\epsilon)`, the logarithm in Bubeck--Sellke's bound.
Lambda_BS = sp.Symbol("Lambda_BS", positive=True)
#: the supremum Gamma(X, z) of R2 (per-instance value).
Gamma = sp.Symbol("Gamma", positive=True)
#: the certified minimal energy of an instance (R4).
E_min = sp.Symbol("E_min", positive=True)
#: fraction of the space used in R4's regime: n = c_N dim V (0 < c_N < 1).
c_N = sp.Symbol("c_N", positive=True)


#: LaTeX name of each symbol, by symbol name (used by :func:`latex`).
LATEX_NAMES: dict[str, str] = {
    "n_plus": "n_+",
    "n_minus": "n_-",
    "X_op": r"\|X\|_{\mathrm{op}}",
    "M_op": r"\|M\|_{\mathrm{op}}",
    "Delta": r"\Delta_{ij}",
    "P_dist": r"\|P(x_i - x_j)\|",
    "rho": r"\rho",
    "ybar": r"\bar y",
    "epsilon": r"\epsilon",
    "c_iso": r"c_{\mathrm{iso}}",
    "n_params": r"N_{\mathrm{par}}",
    "W_diam": "W",
    "Gamma": r"\Gamma",
    "Lambda_BS": r"\Lambda",
    "E_min": r"E_{\min}",
    "c_N": "c_N",
    "delta": r"\delta",
    "kappa": r"\kappa",
    # S4 (theory.perturbation): x_inf, u and the layer norms n_i, budgets epsilon_i
    "x_inf": r"\|x\|_\infty",
    "u": r"\|W^L_y - W^L_k\|_1",
}

#: Names of symbols that take values in (0, 1): the rules of :func:`human_form` use it.
UNIT_INTERVAL: frozenset[str] = frozenset({"delta", "c_N"})
#: Names of symbols that are at least 1 (the number of linear pieces K of an activation):
#: :func:`equal` may use it.
AT_LEAST_ONE: frozenset[str] = frozenset({"K"})

_LAYER_NORM = re.compile(r"n_(\d+)")
_LAYER_EPS = re.compile(r"epsilon_(\d+)")


def latex_name(symbol: sp.Symbol) -> str:
    r"""The printed name of one symbol.

    >>> latex_name(X_op), latex_name(sp.Symbol("n_2")), latex_name(sp.Symbol("theta"))
    ('\\|X\\|_{\\mathrm{op}}', '\\|W^{2}\\|_\\infty', '\\theta')
    """
    name = symbol.name
    if name in LATEX_NAMES:
        return LATEX_NAMES[name]
    if m := _LAYER_NORM.fullmatch(name):
        return rf"\|W^{{{m.group(1)}}}\|_\infty"
    if m := _LAYER_EPS.fullmatch(name):
        return rf"\epsilon_{{{m.group(1)}}}"
    return sp.latex(symbol)


def latex(expr, *, human: bool = True, **kwargs) -> str:
    r"""LaTeX of a sympy expression with the symbol table's names, in human form
    (:func:`human_form`) unless ``human=False``.

    >>> latex(2 * sp.sqrt(n_plus * n_minus) / X_op)
    '\\frac{2 \\sqrt{n_- n_+}}{\\|X\\|_{\\mathrm{op}}}'
    >>> latex(-c_N / (c_N - 1))
    '\\frac{c_N}{1 - c_N}'
    """
    e = sp.sympify(expr)
    if human:
        e = human_form(e)
    names = {s: latex_name(s) for s in e.free_symbols if isinstance(s, sp.Symbol)}
    names.update(kwargs.pop("symbol_names", {}))
    return sp.latex(e, symbol_names=names, **kwargs)


# -- rewriting rules --------------------------------------------------------------------
def _rebuild(x, args):
    try:
        return x.func(*args, evaluate=False)
    except TypeError:
        return x.func(*args)


class _RecipLog(sp.Function):
    """Unevaluated ``log(a/s)``: prints as ``\\log(a/s)`` (``\\log(1/s)`` for a = 1)."""

    nargs = 2

    def _latex(self, printer):
        a, s = self.args
        return r"\log(" + printer._print(a) + "/" + printer._print(s) + ")"

    def _sympystr(self, printer):
        return f"log({printer._print(self.args[0])}/{printer._print(self.args[1])})"

    def doit(self, **hints):
        a, s = (x.doit(**hints) for x in self.args)
        return sp.log(a / s)


class _Frac(sp.Function):
    """Unevaluated fraction ``num/den`` (prints as ``\\frac{num}{den}``)."""

    nargs = 2

    def _latex(self, printer):
        top, bottom = self.args
        sign = ""
        if top.could_extract_minus_sign():
            sign, top = "- ", -top
        return rf"{sign}\frac{{{printer._print(top)}}}{{{printer._print(bottom)}}}"

    def _sympystr(self, printer):
        return f"({printer._print(self.args[0])})/({printer._print(self.args[1])})"

    def doit(self, **hints):
        num, den = (a.doit(**hints) for a in self.args)
        return num / den


class _Sqrt(sp.Function):
    """Unevaluated square root of an unevaluated product (prints as one root)."""

    nargs = 1

    def _latex(self, printer):
        return rf"\sqrt{{{printer._print(self.args[0])}}}"

    def _sympystr(self, printer):
        return f"sqrt({printer._print(self.args[0])})"

    def doit(self, **hints):
        return sp.sqrt(self.args[0].doit(**hints))


def _unit(e) -> bool:
    return isinstance(e, sp.Symbol) and e.name in UNIT_INTERVAL


def _map(e, fn):
    """Apply ``fn`` bottom-up, rebuilding every node unevaluated."""
    if e.is_Atom:
        return e
    return fn(_rebuild(e, [_map(a, fn) for a in e.args]))


def _flat_mul(x):
    """An unevaluated product with its nested products flattened and its numeric
    factors multiplied into one leading coefficient (printed ``- X`` for -1)."""
    coeff, rest, stack = sp.S.One, [], list(x.args)
    while stack:
        f = stack.pop(0)
        if isinstance(f, sp.Mul):
            stack[:0] = list(f.args)
        elif f.is_number and not isinstance(f, sp.Pow):
            coeff *= f
        else:
            rest.append(f)
    if coeff == 1:
        return _prod(rest)
    return sp.Mul(coeff, *rest, evaluate=False) if rest else coeff


def rule_log_reciprocal(e: sp.Expr) -> sp.Expr:
    r"""``log(1/s)`` and ``-log(s)`` print as :math:`\log(1/s)` for s in :data:`UNIT_INTERVAL`.

    >>> print(latex(rule_log_reciprocal(-8 * sp.log(delta)), human=False))
    8 \log(1/\delta)
    """
    def fn(x):
        if isinstance(x, sp.log):
            coeff, rest = x.args[0].as_coeff_mul()
            if len(rest) == 1 and coeff.is_Rational and coeff > 0:
                base, ex = rest[0].as_base_exp()
                if _unit(base) and ex == -1:            # log(a/s)
                    return _RecipLog(coeff, base)
                if _unit(base) and ex == 1 and coeff <= 1:  # log(q s) = -log((1/q)/s)
                    return -_RecipLog(1 / coeff, base)
        if isinstance(x, sp.Mul):
            return _flat_mul(x)
        return x
    return _map(sp.sympify(e), fn)


def rule_one_minus(e: sp.Expr) -> sp.Expr:
    r"""A factor :math:`(s-1)^{-m}` (s in (0, 1)) becomes :math:`(1-s)^{-m}`, sign moved
    to the numerator; the result prints as one fraction.

    >>> print(latex(rule_one_minus(-c_N / (c_N - 1)), human=False))
    \frac{c_N}{1 - c_N}
    """
    def flip(base):
        return (isinstance(base, sp.Add) and len(base.args) == 2 and sp.S.NegativeOne in
                base.args and any(_unit(a) for a in base.args))

    def frac(x):
        top, bottom = x.args
        facs = list(bottom.args) if isinstance(bottom, sp.Mul) else [bottom]
        sign, out = 1, []
        for f in facs:
            base, ex = f.as_base_exp()
            if ex.is_integer and ex.is_positive and flip(base):
                s = next(a for a in base.args if _unit(a))
                sign *= (-1) ** int(ex)
                one_minus = sp.Add(1, -s, evaluate=False)
                out.append(one_minus if ex == 1 else sp.Pow(one_minus, ex, evaluate=False))
            else:
                out.append(f)
        if out == facs:
            return x
        return _Frac(_flat_mul(sp.Mul(sign, top, evaluate=False)), _prod(out))

    def fn(x):
        if isinstance(x, _Frac):
            return frac(x)
        if not isinstance(x, sp.Mul):
            return x
        sign, num, den, hit = 1, [], [], False
        for f in x.args:
            base, ex = f.as_base_exp()
            if ex.is_integer and ex.is_negative and flip(base):
                s = next(a for a in base.args if _unit(a))
                sign *= (-1) ** int(-ex)
                one_minus = sp.Add(1, -s, evaluate=False)
                den.append(one_minus if ex == -1 else sp.Pow(one_minus, -ex, evaluate=False))
                hit = True
            elif ex.is_number and ex.is_negative:
                den.append(sp.Pow(base, -ex, evaluate=False) if ex != -1 else base)
            else:
                num.append(f)
        if not hit:
            return x
        coeff = sp.Mul(*[f for f in num if f.is_number]) * sign
        num = [f for f in num if not f.is_number]
        if coeff != 1:
            num.insert(0, coeff)
        top = sp.Mul(*num, evaluate=False) if len(num) > 1 else (num[0] if num else sp.S.One)
        bottom = sp.Mul(*den, evaluate=False) if len(den) > 1 else den[0]
        return _Frac(top, bottom)
    return _map(sp.sympify(e), fn)


def _nonneg(b) -> bool:
    if b.is_nonnegative or isinstance(b, _RecipLog):
        return True
    if isinstance(b, sp.log):
        base, ex = b.args[0].as_base_exp()
        return bool(_unit(base) and ex.is_negative) or bool(
            isinstance(b.args[0], sp.Mul) and b.args[0].as_coeff_mul()[0] >= 1
            and any(_unit(f.as_base_exp()[0]) and f.as_base_exp()[1] == -1
                    for f in b.args[0].as_coeff_mul()[1]))
    if isinstance(b, (sp.Add, sp.Mul)):
        return all(_nonneg(a) for a in b.args)
    if isinstance(b, sp.Pow):
        return _nonneg(b.args[0])
    return False


def _prod(fs):
    return sp.Mul(*fs, evaluate=False) if len(fs) > 1 else (fs[0] if fs else sp.S.One)


def rule_collect_sqrt(e: sp.Expr) -> sp.Expr:
    r"""Collect the square roots of a product: :math:`\sqrt a\sqrt b\to\sqrt{ab}`; a
    rational coefficient joins the root when a numeric root is present
    (:math:`2\sqrt2\sqrt L\to\sqrt{8L}`), and :math:`\sqrt{1/X}` goes to the denominator.

    >>> print(latex(rule_collect_sqrt(sp.sqrt(n_plus * n_minus)), human=False))
    \sqrt{n_- n_+}
    >>> print(latex(rule_collect_sqrt(sp.sqrt(8 * sp.log(1 / delta))), human=False))
    \sqrt{8 \log{\left(\frac{1}{\delta} \right)}}
    """
    def fn(x):
        if not isinstance(x, sp.Mul):
            return x
        up, down, rest, inv = [], [], [], []
        for f in x.args:
            base, ex = f.as_base_exp()
            b2, e2 = base.as_base_exp()
            if ex == sp.S.Half and e2 == -1 and (b2.is_real or b2.is_real is None):
                down.append(b2)               # sqrt(1/X) = 1/sqrt(X) for real X != 0
            elif ex == sp.S.Half and _nonneg(base):
                up.append(base)
            elif ex == -sp.S.Half and _nonneg(base):
                down.append(base)
            elif ex.is_number and ex.is_negative:
                inv.append(base if ex == -1 else sp.Pow(base, -ex, evaluate=False))
            else:
                rest.append(f)
        if len(up) < 2 and not down:
            return x
        frac = [f for f in rest if f.is_Rational and f.q != 1]
        if frac:
            rest = [f for f in rest if f is not frac[0]] + ([sp.Integer(frac[0].p)]
                                                             if frac[0].p != 1 else [])
            inv.insert(0, sp.Integer(frac[0].q))
        coeff = [f for f in rest if f.is_Rational and f.is_positive]
        if coeff and any(b.is_number for b in up):
            rest = [f for f in rest if f is not coeff[0]]
            up.append(coeff[0] ** 2)

        def root(bs):
            nums = sp.Mul(*[b for b in bs if b.is_number])
            inner = ([nums] if nums != 1 else []) + [b for b in bs if not b.is_number]
            return [_Sqrt(_prod(inner))] if inner else []
        top = _prod(rest + root(up))
        if not down and not inv:
            return top
        return _Frac(top, _prod(inv + root(down)))
    return _map(sp.sympify(e), fn)


RULES = (("log_reciprocal", rule_log_reciprocal), ("collect_sqrt", rule_collect_sqrt),
         ("one_minus", rule_one_minus))


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    """True when sympy proves ``a == b`` (unevaluated forms evaluated first) for
    positive values of the symbols and of the radicands (every printed quantity
    here is positive: ``sp.posify`` and ``powdenest(force=True)``), and symbols of
    :data:`AT_LEAST_ONE` at least 1."""
    diff = sp.sympify(a).doit() - sp.sympify(b).doit()
    diff = diff.subs({s: 1 + sp.Dummy(s.name, positive=True) for s in diff.free_symbols
                      if isinstance(s, sp.Symbol) and s.name in AT_LEAST_ONE})
    diff, _ = sp.posify(diff)
    if sp.simplify(diff) == 0:
        return True
    return sp.simplify(sp.powdenest(sp.powsimp(diff, force=True), force=True)) == 0


def human_form(expr: sp.Expr, rules=RULES, *, strict: bool = False) -> sp.Expr:
    r"""``expr`` rewritten by ``rules`` in turn; each step checked equal by sympy.

    A step whose result sympy cannot prove equal to the original is not taken
    (the previous form is kept); with ``strict=True`` it raises ValueError naming
    the rule instead — a wrong rule can never change the mathematics silently.

    >>> print(latex(human_form(sp.sqrt(-sp.log(delta)) + 1 / (1 - c_N)), human=False))
    \sqrt{\log(1/\delta)} + \frac{1}{1 - c_N}
    """
    e = sp.sympify(expr)
    for name, rule in rules:
        new = rule(e)
        if equal(new, expr):
            e = new
        elif strict:
            raise ValueError(f"rules: rule {name!r} changed the value of {expr}")
    return e
