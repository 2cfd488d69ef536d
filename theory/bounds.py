r"""Bounds as objects: statement, hypotheses, sympy expression, LaTeX, regimes.

A :class:`Bound` is the one object that a notebook derives, a test checks, a
certificate (:mod:`numerics.certify.certificates`) evaluates on an instance and a table
(:mod:`theory.latex`) prints. It says

.. math:: \text{quantity} \;\ge\; \text{expr}(n, d, k, \dots)
   \quad(\text{or} \le \text{ for } \texttt{direction="upper"})

under named hypotheses, with a status: ``proved`` (here, THEORY.md §2),
``cited`` (another paper's theorem, recorded with its constants) or
``heuristic`` (an asymptotic prediction the numerics must confront).

Hypotheses are :class:`Hypothesis` values with a *name* and a text. Names in
:data:`CHECKABLE_HYPOTHESES` are conditions that :mod:`numerics.certify.certificates`
knows how to check on a (network, data) instance (theory never imports
numerics, so the checks live there); other names (e.g. ``random_labels``)
are recorded but cannot be verified on one instance.

Symbols are module-level sympy symbols (:data:`n`, :data:`d`, :data:`k`,
:data:`n_plus`, :data:`n_minus`, :data:`X_op` :math:`=\|X\|_{op}`, :data:`r`,
:data:`delta`, ...). :meth:`Bound.evaluate` takes them by name.

Regimes
-------
:meth:`Bound.regime` substitutes :math:`n = c\,d` (``kind="linear"``) or
:math:`n = c\,d^p` (``kind="poly"``), together with the bound's own
regime substitutions (e.g. :math:`\|X\|_{op}\to 1+\sqrt{n/d}` for rows uniform
on the sphere, balanced labels :math:`n_\pm\to n/2`, :math:`r\to k`), and
returns the leading term and the first correction as :math:`d\to\infty`,
computed by sympy.

How to add a bound (other modules)
----------------------------------
1. In your theory module (sympy only), build a :class:`Bound` with a unique
   ``key`` and call :func:`register` on it at import time::

       from theory.bounds import Bound, Hypothesis, register, n, d, k
       R4 = register(Bound(key="R4", name="...", statement="...",
                           quantity=r"\mathrm{Lip}_{B_1}(f)", expr=...,
                           hypotheses=(Hypothesis("exact_fit"),), status="proved",
                           references=("THEORY.md §2 R4",)))

   Reuse the symbols exported here (add new ones in your module with
   ``sympy.Symbol(name, positive=True)``); reuse hypothesis names from
   :data:`CHECKABLE_HYPOTHESES` where they apply.
2. Add your module's dotted name to :data:`THEORY_MODULES` (a one-line change the
   lead makes) so :func:`all_bounds` imports it. Modules listed there that do not
   exist yet are skipped; any other import error propagates.

Examples
--------
>>> b = get_bound("R1")
>>> b.status, b.direction
('proved', 'lower')
>>> round(b.evaluate(n_plus=10, n_minus=10, X_op=2.0, r=3), 4)
1.4142
>>> reg = b.regime("linear")
>>> reg.leading
sqrt(2)*sqrt(c)*sqrt(d)/((sqrt(c) + 1)*sqrt(k + 2))
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import sympy as sp

__all__ = [
    "Bound",
    "CHECKABLE_HYPOTHESES",
    "Hypothesis",
    "Regime",
    "STATUSES",
    "THEORY_MODULES",
    "all_bounds",
    "c",
    "C_delta",
    "C_delta_sharp",
    "derive_C_delta_sharp",
    "d",
    "delta",
    "Delta",
    "derive_C_delta",
    "derive_geometry",
    "get_bound",
    "k",
    "kappa",
    "m_width",
    "M_op",
    "mp_edge_difference",
    "n",
    "n_minus",
    "n_plus",
    "P_dist",
    "p",
    "r",
    "R",
    "register",
    "rho",
    "X_op",
    "ybar",
]

# ---------------------------------------------------------------------------
# Symbols
# ---------------------------------------------------------------------------
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

STATUSES = ("proved", "cited", "heuristic")

#: Hypothesis names that :mod:`numerics.certify.certificates` can check on an instance,
#: with their meaning. Other names are allowed (recorded, not checkable).
CHECKABLE_HYPOTHESES: dict[str, str] = {
    "exact_fit": r"exact interpolation $f(x_i) = y_i$ (within an explicit tolerance)",
    "separation": r"$f(x_i) - f(x_j) \ge 2$ for all $i \in I_+$, $j \in I_-$",
    "both_labels": r"both labels occur ($n_+, n_- \ge 1$)",
    "data_in_ball": r"$\max_i \|x_i\| \le R$",
    "data_on_sphere": r"$\|x_i\| = 1$ for all $i$",
    "rank_deficient": r"$r = \operatorname{rank} W < d$",
    "relu": r"$\psi = \mathrm{relu}$",
    "homogeneous_quadratic": r"$\psi(t) = t^2$ and no biases",
    "random_labels": (r"labels i.i.d. Rademacher, independent of $X$ "
                      r"(not checkable on one instance)"),
    "generic_data": r"data uniform on the sphere or Gaussian (not checkable on one instance)",
}

#: Modules that define bounds and register them at import (in table order).
#: Add yours here. Missing modules are skipped by :func:`all_bounds`.
THEORY_MODULES: tuple[str, ...] = ("theory.bounds", "theory.energy", "theory.perturbation")

_REGISTRY: dict[str, Bound] = {}


@dataclass(frozen=True)
class Hypothesis:
    """A named hypothesis; ``text`` defaults to the entry in
    :data:`CHECKABLE_HYPOTHESES`."""

    name: str
    text: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"name: a hypothesis needs a non-empty name, got {self.name!r}")
        if not self.text:
            object.__setattr__(self, "text", CHECKABLE_HYPOTHESES.get(self.name, self.name))

    @property
    def checkable(self) -> bool:
        """True when :mod:`numerics.certify.certificates` can check it on an instance."""
        return self.name in CHECKABLE_HYPOTHESES and self.name not in (
            "random_labels", "generic_data")


@dataclass(frozen=True)
class Regime:
    r"""A bound's expression in a regime, and its asymptotics as :math:`d\to\infty`.

    Attributes
    ----------
    kind : str
        ``"linear"`` (n = c d) or ``"poly"`` (n = c d^p).
    p : int
        The exponent (1 for linear).
    substitutions : dict
        Every substitution made (symbol -> expression), the regime's own ones
        first, then n.
    expr : sympy.Expr
        The bound after substitution (a function of d, c and remaining symbols).
    leading, correction : sympy.Expr
        ``expr = leading + correction + o(correction)`` as d -> oo
        (``correction`` is 0 when ``expr == leading``).
    """

    kind: str
    p: int
    substitutions: dict
    expr: sp.Expr
    leading: sp.Expr
    correction: sp.Expr

    def evaluate(self, which: str = "leading", **values: float) -> float:
        """Evaluate ``leading`` (default), ``leading+correction`` (``"two_terms"``)
        or the full ``expr`` at numeric values of its symbols (by name).

        >>> reg = get_bound("R1").regime("linear")
        >>> round(reg.evaluate(c=1, d=100, k=10), 4)
        2.0412
        """
        if which == "leading":
            e = self.leading
        elif which == "two_terms":
            e = self.leading + self.correction
        elif which == "expr":
            e = self.expr
        else:
            raise ValueError(f"which: expected 'leading', 'two_terms' or 'expr', got {which!r}")
        known = {s.name for s in _all_symbols(self.expr, self.leading, self.correction)}
        extra = sorted(set(values) - known)
        if extra:
            raise ValueError(f"values: unknown symbol(s) {extra}; expected {sorted(known)}")
        used = {s.name for s in e.free_symbols}
        return _evaluate(e, {name: v for name, v in values.items() if name in used})


def _evaluate(e: sp.Expr, values: Mapping[str, float]) -> float:
    syms = sorted(e.free_symbols, key=lambda s: s.name)
    names = {s.name for s in syms}
    missing = sorted(names - set(values))
    if missing:
        raise ValueError(f"values: missing value(s) for {missing}")
    extra = sorted(set(values) - names)
    if extra:
        raise ValueError(f"values: unknown symbol(s) {extra}; expected {sorted(names)}")
    subs = {}
    for s in syms:
        v = values[s.name]
        if isinstance(v, bool):
            raise ValueError(f"{s.name}: must be a number, got {v!r}")
        try:
            fv = float(v)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{s.name}: must be a number, got {v!r}") from exc
        if not math.isfinite(fv):
            raise ValueError(f"{s.name}: must be finite, got {fv}")
        subs[s] = fv
    f = _lambdified(e, tuple(syms))
    try:
        out = complex(f(*[subs[s] for s in syms]))
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise ValueError(f"values: outside the expression's domain ({exc})") from exc
    if out.imag != 0 or not math.isfinite(out.real):
        raise ValueError(f"values: outside the expression's domain (value {out})")
    return float(out.real)


_LAMBDA_CACHE: dict = {}
_REGIME_CACHE: dict = {}


def _lambdified(e: sp.Expr, syms: tuple) -> Callable:
    key = (sp.srepr(e), syms)
    if key not in _LAMBDA_CACHE:
        _LAMBDA_CACHE[key] = sp.lambdify(syms, e, modules=["mpmath"])
    return _LAMBDA_CACHE[key]


def _leading_and_correction(e: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    r"""Leading term and first correction of ``e`` as :math:`d\to\infty`.

    With :math:`x = 1/d \to 0^+`: the leading term ``L`` is sympy's
    ``as_leading_term``; the correction is ``L`` times the leading term of
    ``e/L - 1`` (logarithms expanded, all symbols positive).
    """
    x = sp.Dummy("x", positive=True)
    ex = sp.expand_log(e.subs(d, 1 / x), force=True)
    lead_x = ex.as_leading_term(x)
    ratio = sp.powsimp(sp.powdenest(sp.expand_log(ex / lead_x, force=True), force=True),
                       force=True)
    rel = sp.simplify(ratio - 1)
    rel_x = sp.S.Zero if rel == 0 else rel.as_leading_term(x)
    back = {x: 1 / d}
    lead = sp.simplify(lead_x.subs(back))
    return lead, sp.simplify(lead * rel_x.subs(back))


@dataclass(frozen=True, eq=False)
class Bound:
    r"""A bound ``quantity >= expr`` (``direction="lower"``) or ``<=`` (``"upper"``).

    Parameters
    ----------
    key : str
        Short unique id, e.g. ``"R1"``, ``"R1.pair"``, ``"BLN"``.
    name : str
        Human-readable name.
    statement : str
        The statement in words (LaTeX math allowed inside ``$...$``).
    quantity : str
        LaTeX of the bounded quantity, e.g. ``r"\mathrm{Lip}_{B_R}(f)"``.
    expr : sympy.Expr
        The bound, in the exported symbols.
    hypotheses : tuple of Hypothesis
    status : {"proved", "cited", "heuristic"}
    references : tuple of str
    direction : {"lower", "upper"}
    regimes : dict
        ``{"linear": {sym: expr}, "poly": {sym: expr}}``: substitutions the
        regime makes before ``n = c d^p`` (may use ``n`` and ``d``).
    regime_note : str
        What the regime substitutions assume (e.g. rows uniform on the sphere).
    probability : sympy.Expr or None
        For bounds that hold with probability (e.g. ``1 - 3 delta``); None if
        deterministic.
    derivation : tuple of str
        Proof steps, in words (rendered in notebooks / docs).
    """

    key: str
    name: str
    statement: str
    quantity: str
    expr: sp.Expr
    hypotheses: tuple[Hypothesis, ...] = ()
    status: str = "proved"
    references: tuple[str, ...] = ()
    direction: str = "lower"
    regimes: Mapping[str, Mapping] = field(default_factory=dict)
    regime_note: str = ""
    probability: sp.Expr | None = None
    derivation: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.key, str) or not self.key:
            raise ValueError(f"key: must be a non-empty string, got {self.key!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status: must be one of {STATUSES}, got {self.status!r}")
        if self.direction not in ("lower", "upper"):
            raise ValueError(f"direction: must be 'lower' or 'upper', got {self.direction!r}")
        expr = sp.sympify(self.expr)
        if not isinstance(expr, sp.Expr):
            raise ValueError(f"expr: must be a sympy expression, got {type(self.expr).__name__}")
        object.__setattr__(self, "expr", expr)
        hyps = tuple(h if isinstance(h, Hypothesis) else Hypothesis(h) for h in self.hypotheses)
        object.__setattr__(self, "hypotheses", hyps)
        object.__setattr__(self, "references", tuple(self.references))
        for kind in self.regimes:
            if kind not in ("linear", "poly"):
                raise ValueError(f"regimes: unknown regime kind {kind!r}")

    # -- facts -------------------------------------------------------------
    @property
    def symbols(self) -> tuple[str, ...]:
        """Names of the free symbols of :attr:`expr`, sorted."""
        return tuple(sorted(s.name for s in self.expr.free_symbols))

    @property
    def hypothesis_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hypotheses)

    def latex(self) -> str:
        r"""The inequality in LaTeX, e.g. ``\mathrm{Lip}(f) \ge \frac{...}{...}``.

        >>> get_bound("R3").latex()
        '\\mathrm{Lip}_{B_1}(f) \\ge \\frac{2 n}{M_{op} \\min\\left(d, k\\right)}'
        """
        rel = r"\ge" if self.direction == "lower" else r"\le"
        return f"{self.quantity} {rel} {sp.latex(self.expr)}"

    def evaluate(self, **values: float) -> float:
        """Numeric value of :attr:`expr` at the given symbol values (by name).

        Raises
        ------
        ValueError
            A symbol without value, an unknown name, a non-finite value, or
            values outside the expression's domain (e.g. ``rho > 1``).
        """
        return _evaluate(self.expr, values)

    def with_expr(self, expr: sp.Expr, key: str | None = None) -> Bound:
        """A copy with another expression (used by tests to build wrong versions)."""
        return replace(self, expr=expr, key=key or self.key + "'")

    # -- regimes -------------------------------------------------------------
    def regime(self, kind: str = "linear", p: int | None = None, **extra) -> Regime:
        r"""The bound in the regime :math:`n = c\,d` or :math:`n = c\,d^p`.

        Parameters
        ----------
        kind : {"linear", "poly"}
        p : int, optional
            Exponent for ``"poly"`` (integer >= 2); must be None or 1 for linear.
        **extra
            Further substitutions by symbol name, applied after the bound's own
            (e.g. ``k=kappa*d``).

        Returns
        -------
        Regime

        Examples
        --------
        >>> reg = get_bound("R3").regime("poly", p=2)
        >>> reg.leading
        sqrt(c)*d**(3/2)/k
        """
        if kind == "linear":
            if p not in (None, 1):
                raise ValueError(f"p: the linear regime has p = 1, got {p!r}")
            pe = 1
        elif kind == "poly":
            if isinstance(p, bool) or not isinstance(p, int) or p < 2:
                raise ValueError(f"p: the poly regime needs an integer p >= 2, got {p!r}")
            pe = p
        else:
            raise ValueError(f"kind: expected 'linear' or 'poly', got {kind!r}")
        ckey = (self.key, sp.srepr(self.expr), kind, pe,
                tuple(sorted((name, sp.srepr(sp.sympify(v))) for name, v in extra.items())))
        if ckey in _REGIME_CACHE:
            return _REGIME_CACHE[ckey]
        subs = dict(self.regimes.get(kind, {}))
        e = self.expr
        done: dict = {}
        for s, v in subs.items():
            e = e.subs(s, v)
            done[s] = v
        names = {s.name: s for s in _all_symbols(e, self.expr)}
        for name, v in extra.items():
            if name not in names:
                raise ValueError(f"{name}: not a symbol of this bound's regime expression")
            e = e.subs(names[name], sp.sympify(v))
            done[names[name]] = sp.sympify(v)
        e = e.subs(n, c * d**pe)
        done[n] = c * d**pe
        lead, corr = _leading_and_correction(e)
        out = Regime(kind=kind, p=pe, substitutions=done, expr=e, leading=lead, correction=corr)
        _REGIME_CACHE[ckey] = out
        return out


def _all_symbols(*exprs) -> set:
    out = set()
    for e in exprs:
        out |= sp.sympify(e).free_symbols
    return out


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------
def register(bound: Bound, *, replace_existing: bool = False) -> Bound:
    """Add a bound to the registry and return it.

    Raises ValueError (naming ``bound``) on a duplicate key, unless
    ``replace_existing`` (re-imports of the same module are harmless: the same
    key with an equal statement replaces silently).
    """
    if not isinstance(bound, Bound):
        raise ValueError(f"bound: expected a Bound, got {type(bound).__name__}")
    old = _REGISTRY.get(bound.key)
    if old is not None and not replace_existing and (
            old.statement != bound.statement or old.expr != bound.expr):
        raise ValueError(f"bound: key {bound.key!r} is already registered")
    _REGISTRY[bound.key] = bound
    return bound


def all_bounds() -> tuple[Bound, ...]:
    """Every registered bound, after importing :data:`THEORY_MODULES` (in that order,
    then registration order within a module).

    >>> [b.key for b in all_bounds()][:3]
    ['R1', 'R1.pair', 'R1.geom']
    """
    for mod in THEORY_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
    return tuple(_REGISTRY.values())


def get_bound(key: str) -> Bound:
    """The registered bound with this key (ValueError naming ``key`` if none)."""
    if key not in _REGISTRY:
        all_bounds()
    if key not in _REGISTRY:
        raise ValueError(f"key: no bound {key!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[key]


# ---------------------------------------------------------------------------
# Regime helper: the operator norm of M = X^T diag(y) X for n = c d
# ---------------------------------------------------------------------------
def mp_edge_difference(ratio: sp.Expr) -> sp.Expr:
    r"""Limit of :math:`\|X^T \mathrm{diag}(y) X\|_{op}` for rows uniform on
    :math:`S^{d-1}`, balanced random labels and :math:`n/d \to` ``ratio``.

    :math:`M = A - B`, A and B independent (asymptotically free) Wishart
    matrices with :math:`n/2` samples, so its R-transform is
    :math:`\mathcal R(w) = \frac{c/2}{1-w} - \frac{c/2}{1+w} = \frac{c w}{1-w^2}`
    (c = ratio). The upper edge of the spectrum is
    :math:`z(w_*) = \mathcal R(w_*) + 1/w_*` at the critical point
    :math:`z'(w_*) = 0`, i.e. :math:`(c-1)s^2 + (c+2)s - 1 = 0` in
    :math:`s = w_*^2`, whose root in (0, 1) is
    :math:`s = 2/(c + 2 + \sqrt{c^2 + 8c})`. For large c the edge is
    :math:`2\sqrt c + O(1/\sqrt c)`. [heuristic: free probability; checked
    numerically in the tests]

    Examples
    --------
    >>> round(float(mp_edge_difference(sp.Integer(1))), 6)
    2.598076
    """
    cc = sp.sympify(ratio)
    s = 2 / (cc + 2 + sp.sqrt(cc**2 + 8 * cc))
    w = sp.sqrt(s)
    return cc * w / (1 - s) + 1 / w


# ---------------------------------------------------------------------------
# The bounds of THEORY.md §1–§2
# ---------------------------------------------------------------------------
THEORY_REF = "THEORY.md §2"
BLN = "Bubeck, Li, Nagaraj, COLT 2021 (arXiv 2009.14444)"
BS = "Bubeck, Sellke, NeurIPS 2021 (arXiv 2105.12806)"
SHMALO = "Shmalo, arXiv 2607.07778"

_sphere_linear = {
    X_op: 1 + sp.sqrt(n / d),
    n_plus: n / 2,
    n_minus: n / 2,
    r: k,
}

#: :math:`C_\delta = 4 + \sqrt{8\log(1/\delta)} + 2\sqrt{2\log(2/\delta)}` (R2).
C_delta = 4 + sp.sqrt(8 * sp.log(1 / delta)) + 2 * sp.sqrt(2 * sp.log(2 / delta))

_R1_expr = 2 * sp.sqrt(n_plus * n_minus) / (
    X_op * sp.sqrt(sp.Max(n_plus, n_minus) * r + 2 * sp.sqrt(n_plus * n_minus)))

R1 = register(Bound(
    key="R1",
    name="Projection bound (aggregate)",
    statement=(r"Every $f\in F_k(\psi)$ (any $\psi$, any biases) with "
               r"$f(x_i)-f(x_j)\ge 2$ for $i\in I_+$, $j\in I_-$ and $\max\|x_i\|\le R$ has "
               r"$\mathrm{Lip}_{B_R}(f)\ge 2\sqrt{n_+n_-}/(\|X\|_{op}"
               r"\sqrt{\max(n_\pm)\,r+2\sqrt{n_+n_-}})$, $r=\operatorname{rank}W$."),
    quantity=r"\mathrm{Lip}_{B_R}(f)",
    expr=_R1_expr,
    hypotheses=(Hypothesis("separation"), Hypothesis("data_in_ball"),
                Hypothesis("both_labels")),
    status="proved",
    references=(THEORY_REF + " R1", BLN),
    regimes={"linear": _sphere_linear, "poly": _sphere_linear},
    regime_note=(r"rows uniform on $S^{d-1}$: $\|X\|_{op}\to 1+\sqrt{n/d}$ (Bai--Yin); "
                 r"balanced labels; $r=k\le d$"),
    derivation=(
        "f(x) = f(Px), P the projection onto span{w_l}, r = rank P.",
        "Pair: the segment [Px_i, Px_j] lies in B_R, so Lip >= Delta_ij / ||P(x_i - x_j)||.",
        "Geometry: sum_{I+ x I-} ||P(x_i-x_j)||^2 <= ||X||^2 (max(n+-) r + 2 sqrt(n+ n-)).",
        "Cauchy-Schwarz: Lip >= sum Delta_ij / (sqrt(n+ n-) sqrt(sum ||P(x_i-x_j)||^2)).",
        "Fitting: Delta_ij >= 2.",
    ),
))

R1_pair = register(Bound(
    key="R1.pair",
    name="Projection bound (pair certificate)",
    statement=(r"For $i\in I_+$, $j\in I_-$ and $R\ge\max\|x_i\|$: "
               r"$\mathrm{Lip}_{B_R}(f)\ge (f(x_i)-f(x_j))/\|P(x_i-x_j)\|$."),
    quantity=r"\mathrm{Lip}_{B_R}(f)",
    expr=Delta / P_dist,
    hypotheses=(Hypothesis("data_in_ball"), Hypothesis("both_labels")),
    status="proved",
    references=(THEORY_REF + " R1.1", BLN),
))

R1_geom = register(Bound(
    key="R1.geom",
    name="Projection geometry inequality",
    statement=(r"$\sum_{i\in I_+,j\in I_-}\|P(x_i-x_j)\|^2\le\|X\|_{op}^2"
               r"(\max(n_\pm)\,r+2\sqrt{n_+n_-})$ for every orthogonal projection P of rank r."),
    quantity=r"\sum_{i\in I_+,j\in I_-}\|P(x_i-x_j)\|^2",
    expr=X_op**2 * (sp.Max(n_plus, n_minus) * r + 2 * sp.sqrt(n_plus * n_minus)),
    hypotheses=(Hypothesis("both_labels"),),
    status="proved",
    direction="upper",
    references=(THEORY_REF + " R1.2",),
    regimes={"linear": _sphere_linear, "poly": _sphere_linear},
    regime_note=r"rows uniform on $S^{d-1}$, balanced labels, $r = k$",
))

R1_sphere = register(Bound(
    key="R1.sphere",
    name="Projection bound on the sphere (pair certificate)",
    statement=(r"Data on $S^{d-1}$, $r<d$, $\rho_{ij}=\max(\|Px_i\|,\|Px_j\|)<1$: "
               r"$\mathrm{Lip}_S(f)\ge (f(x_i)-f(x_j))\sqrt{1-\rho_{ij}^2}/\|P(x_i-x_j)\|$."),
    quantity=r"\mathrm{Lip}_S(f)",
    expr=Delta * sp.sqrt(1 - rho**2) / P_dist,
    hypotheses=(Hypothesis("data_on_sphere"), Hypothesis("rank_deficient"),
                Hypothesis("both_labels")),
    status="proved",
    references=(THEORY_REF + " R1.4",),
    derivation=(
        "Lift the segment [Px_i, Px_j] to the sphere along a unit e orthogonal to range P:",
        "gamma(t) = Px(t) + sqrt(1 - ||Px(t)||^2) e, and f(gamma(t)) = f(Px(t)).",
        "||gamma'(t)|| <= ||v|| / sqrt(1 - rho^2) with v = P(x_i - x_j), ||Px(t)|| <= rho.",
    ),
))

R1_sphere_agg = register(Bound(
    key="R1.sphere.agg",
    name="Projection bound on the sphere (aggregate over pairs with rho_ij <= rho)",
    statement=(r"Restricting to the $n'_\pm$ points with $\|Px_i\|\le\rho<1$: "
               r"$\mathrm{Lip}_S(f)\ge\sqrt{1-\rho^2}$ times the R1 aggregate over them."),
    quantity=r"\mathrm{Lip}_S(f)",
    expr=sp.sqrt(1 - rho**2) * _R1_expr,
    hypotheses=(Hypothesis("separation"), Hypothesis("data_on_sphere"),
                Hypothesis("rank_deficient"), Hypothesis("both_labels")),
    status="proved",
    references=(THEORY_REF + " R1.4",),
    regimes={"linear": {**_sphere_linear, rho: sp.sqrt(2 * k / d)}},
    regime_note=(r"as R1, and $\rho^2 \to 2k/d$ (twice the typical $\|Px\|^2 = k/d$, "
                 r"keeping a constant fraction of the points; heuristic)"),
))

R1_op = register(Bound(
    key="R1.op",
    name="Projection bound for the spectral proxy",
    statement=(r"Under the hypotheses of R1, "
               r"$L_\psi\|a\|_2\|W\|_{op}\ge\mathrm{Lip}_{\mathbb R^d}(f)\ge$ the R1 value."),
    quantity=r"L_\psi\|a\|_2\|W\|_{op}",
    expr=_R1_expr,
    hypotheses=(Hypothesis("separation"), Hypothesis("both_labels")),
    status="proved",
    references=(THEORY_REF + " R1.6",),
    regimes={"linear": _sphere_linear},
    regime_note=r"as R1",
))

R2 = register(Bound(
    key="R2",
    name="Spectral-norm law for random labels",
    statement=(r"$\psi=\mathrm{relu}$, $\|x_i\|\le 1$, y i.i.d. Rademacher: with probability "
               r"$\ge 1-3\delta$ every interpolant has "
               r"$\|a\|_2\|W\|_{op}\ge(1-\bar y^2)\sqrt{n/k}/C_\delta$, "
               r"$C_\delta=4+\sqrt{8\log(1/\delta)}+2\sqrt{2\log(2/\delta)}$."),
    quantity=r"\|a\|_2\|W\|_{op}",
    expr=(1 - ybar**2) * sp.sqrt(n / k) / C_delta,
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("relu"), Hypothesis("data_in_ball"),
                Hypothesis("random_labels")),
    status="proved",
    probability=1 - 3 * delta,
    references=(THEORY_REF + " R2", BLN),
    regimes={"linear": {ybar: 1 / sp.sqrt(n)}, "poly": {ybar: 1 / sp.sqrt(n)}},
    regime_note=r"$\bar y^2$ replaced by its mean $1/n$; $\delta$ fixed",
    derivation=(
        "Identity: n(1 - ybar^2) = sum z_i f(x_i), z = y - ybar 1 (sum z = 0).",
        "relu(w.x + b) = ||w|| relu(u.x + beta): sum z_i f(x_i) <= (sum |a_l| ||w_l||) Gamma.",
        "sum |a_l| ||w_l|| <= ||a||_2 ||W||_F <= sqrt(k) ||a||_2 ||W||_op.",
        "Gamma <= C_delta sqrt(n) with probability >= 1 - 3 delta.",
    ),
))

R2_gamma = register(Bound(
    key="R2.Gamma",
    name="Rademacher complexity of shifted relu units",
    statement=(r"For $\|x_i\|\le 1$ and $z=y-\bar y 1$, y Rademacher: "
               r"$\Gamma(X,z)=\sup_{\|u\|\le1,\beta}|\sum_i z_i\,\mathrm{relu}(u\cdot x_i+\beta)|"
               r"\le C_\delta\sqrt n$ with probability $\ge 1-3\delta$."),
    quantity=r"\Gamma(X, z)",
    expr=C_delta * sp.sqrt(n),
    hypotheses=(Hypothesis("data_in_ball"), Hypothesis("random_labels")),
    status="proved",
    direction="upper",
    probability=1 - 3 * delta,
    references=(THEORY_REF + " R2.2",),
    regimes={"linear": {}, "poly": {}},
    derivation=(
        "beta >= 1: all units active, sum z_i (u.x_i + beta) = u.X^T z, equal to beta = 1.",
        "beta <= -1: all units off (||u x|| <= 1), value 0.",
        "|beta| <= 1: lift x~ = (x, 1), u~ = (u, beta), ||u~|| <= sqrt 2, ||x~|| <= sqrt 2.",
        "sum z_i g(x_i) = sum y_i g(x_i) - ybar sum g(x_i).",
        "E sup |sum y_i relu(u~.x~_i)| <= 2 E sup |sum y_i u~.x~_i| "
        "<= 2 sqrt2 sqrt(sum ||x~_i||^2) <= 4 sqrt n (contraction).",
        "McDiarmid, bounded differences 2 sup|relu| <= 4: + sqrt(8 n log(1/delta)).",
        "Hoeffding: |ybar| <= sqrt(2 log(2/delta)/n); |sum relu| <= 2n: "
        "+ 2 sqrt(2 n log(2/delta)).",
    ),
))

#: Sharpened constant (proved here): :math:`C'_\delta = 6 + \sqrt{8\log(1/\delta)}`,
#: with probability :math:`1-\delta` (one McDiarmid event on the centred sum).
C_delta_sharp = 6 + sp.sqrt(8 * sp.log(1 / delta))

R2_gamma_sharp = register(Bound(
    key="R2.Gamma.sharp",
    name="Gamma bound, sharpened constant",
    statement=(r"For $\|x_i\|\le 1$, y Rademacher, $z=y-\bar y1$: "
               r"$\Gamma(X,z)\le(6+\sqrt{8\log(1/\delta)})\sqrt n$ with probability "
               r"$\ge 1-\delta$."),
    quantity=r"\Gamma(X, z)",
    expr=C_delta_sharp * sp.sqrt(n),
    hypotheses=(Hypothesis("data_in_ball"), Hypothesis("random_labels")),
    status="proved",
    direction="upper",
    probability=1 - delta,
    references=(THEORY_REF + " R2.2 (sharpened here)",),
    regimes={"linear": {}, "poly": {}},
    derivation=(
        "As R2.Gamma, Gamma = sup over the lifted class g(x) = relu(u~.x~), "
        "||u~|| <= sqrt 2, with 0 <= g <= 2.",
        "McDiarmid directly on h(y) = sup_g |sum_i (y_i - ybar) g(x_i)|: changing y_i moves "
        "z by 2(e_i - 1/n), so h moves by at most 2 sup|g(x_i) - mean g| <= 4.",
        "E h <= E sup |sum y_i g(x_i)| + E|ybar| sup |sum g(x_i)| <= 4 sqrt n + "
        "(1/sqrt n)(2n) = 6 sqrt n (contraction; E|ybar| <= sqrt(E ybar^2)).",
        "Hence h <= 6 sqrt n + sqrt(8 n log(1/delta)) with probability >= 1 - delta.",
    ),
))

R2_sharp = register(Bound(
    key="R2.sharp",
    name="Spectral-norm law, sharpened constant",
    statement=(r"As R2 with $C'_\delta=6+\sqrt{8\log(1/\delta)}$ in place of $C_\delta$, "
               r"with probability $\ge 1-\delta$ (instead of $1-3\delta$)."),
    quantity=r"\|a\|_2\|W\|_{op}",
    expr=(1 - ybar**2) * sp.sqrt(n / k) / C_delta_sharp,
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("relu"), Hypothesis("data_in_ball"),
                Hypothesis("random_labels")),
    status="proved",
    probability=1 - delta,
    references=(THEORY_REF + " R2 (sharpened here)",),
    regimes={"linear": {ybar: 1 / sp.sqrt(n)}, "poly": {ybar: 1 / sp.sqrt(n)}},
    regime_note=r"$\bar y^2$ replaced by its mean $1/n$; $\delta$ fixed",
))

R2_identity = register(Bound(
    key="R2.inst",
    name="Spectral law, per-instance form with exact Gamma",
    statement=(r"Every relu interpolant has "
               r"$\sum_\ell|a_\ell|\|w_\ell\|\ge n(1-\bar y^2)/\Gamma(X,z)$ "
               r"(deterministic; $\Gamma$ computed exactly for $d\le 2$)."),
    quantity=r"\sum_\ell |a_\ell|\,\|w_\ell\|",
    expr=n * (1 - ybar**2) / sp.Symbol("Gamma", positive=True),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("relu"), Hypothesis("both_labels")),
    status="proved",
    references=(THEORY_REF + " R2.1",),
))

R3 = register(Bound(
    key="R3",
    name="Homogeneous quadratic rank bound",
    statement=(r"$\psi(t)=t^2$, no biases, $f(x)=x^TAx$: if $\sum_i y_if(x_i)\ge n$ then "
               r"$\mathrm{Lip}_{B_1}(f)=2\|A\|_{op}\ge 2n/(\min(k,d)\|M\|_{op})$, "
               r"$M=X^T\mathrm{diag}(y)X$."),
    quantity=r"\mathrm{Lip}_{B_1}(f)",
    expr=2 * n / (sp.Min(k, d) * M_op),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("homogeneous_quadratic")),
    status="proved",
    references=(THEORY_REF + " R3", BLN),
    regimes={"linear": {M_op: mp_edge_difference(n / d), sp.Min(k, d): k},
             "poly": {M_op: mp_edge_difference(n / d), sp.Min(k, d): k}},
    regime_note=(r"rows uniform on $S^{d-1}$, random labels: $\|M\|_{op}\to$ upper edge of "
                 r"the free difference of two Marchenko--Pastur laws "
                 r"($\approx 2\sqrt{n/d}$ for $n\gg d$; heuristic); $k\le d$"),
    derivation=(
        "A = sum a_l w_l w_l^T, rank A <= min(k, d); grad f = 2Ax so Lip_{B_1} = 2||A||_op.",
        "n <= sum y_i x_i^T A x_i = tr(AM) <= ||A||_* ||M||_op <= min(k,d) ||A||_op ||M||_op.",
    ),
))

# -- cited ------------------------------------------------------------------
register(Bound(
    key="BLN",
    name="Law of robustness conjecture",
    statement=(r"Generic data, random labels, any Lipschitz $\psi$: w.h.p. every interpolating "
               r"$f\in F_k(\psi)$ has $\mathrm{Lip}(f)\ge c_0\sqrt{n/k}$."),
    quantity=r"\mathrm{Lip}(f)",
    expr=c_univ * sp.sqrt(n / k),
    hypotheses=(Hypothesis("exact_fit"), Hypothesis("generic_data"),
                Hypothesis("random_labels")),
    status="cited",
    references=(BLN,),
    regimes={"linear": {}, "poly": {}},
    regime_note="conjecture (open in general)",
))

register(Bound(
    key="BS",
    name="Universal law of robustness",
    statement=(r"p parameters in a set of diameter W, $J$-Lipschitz parametrization, "
               r"c-isoperimetric covariates, $8^4\log(8/\delta)\le n\epsilon^2$: with probability "
               r"$1-\delta$ every f with empirical loss $\le\sigma^2-\epsilon$ has "
               r"$\mathrm{Lip}(f)\ge\frac{\epsilon}{2^9\sqrt c}"
               r"\sqrt{\frac{nd}{p\log(60WJ/\epsilon)+\log(4/\delta)}}$."),
    quantity=r"\mathrm{Lip}(f)",
    expr=eps / (2**9 * sp.sqrt(c_iso)) * sp.sqrt(
        n * d / (n_params * sp.log(60 * W_diam * J_lip / eps) + sp.log(4 / delta))),
    hypotheses=(Hypothesis("generic_data"),
                Hypothesis("bounded_weights", "weights in a set of diameter W (polynomial)"),
                Hypothesis("random_labels")),
    status="cited",
    probability=1 - delta,
    references=(BS,),
    regimes={"linear": {n_params: k * (d + 1)}, "poly": {n_params: k * (d + 1)}},
    regime_note=r"two-layer nets: $p = k(d+1)$ parameters; $\epsilon$, W, J, c fixed",
))

register(Bound(
    key="Shmalo",
    name="Law of robustness with arbitrary weights",
    statement=(r"Continuous piecewise-linear $\psi$ with K pieces, $d\ge 3$, sphere or "
               r"Gaussian data: $\mathrm{Lip}\ge c_0\epsilon\sqrt{n/(\bar m\log(C_0\bar m n d/"
               r"\epsilon))}$, $\bar m=(K-1)m+1$."),
    quantity=r"\mathrm{Lip}(f)",
    expr=c_univ * eps * sp.sqrt(n / (((K_pieces - 1) * m_width + 1) * sp.log(
        C_univ * ((K_pieces - 1) * m_width + 1) * n * d / eps))),
    hypotheses=(Hypothesis("generic_data"), Hypothesis("random_labels"),
                Hypothesis("piecewise_linear", "continuous piecewise-linear activation")),
    status="cited",
    references=(SHMALO,),
    regimes={"linear": {m_width: k}, "poly": {m_width: k}},
    regime_note=r"width $m = k$; $K$, $\epsilon$ fixed",
))


# ---------------------------------------------------------------------------
# Derivations (sympy), reused by notebooks and tests
# ---------------------------------------------------------------------------
def derive_C_delta(*, lift_norm=None, bounded_difference=None,
                   contraction=2) -> dict:
    r"""Derive :math:`C_\delta` of R2 step by step; returns every step.

    With :math:`\|\tilde u\|\le\sqrt2`, :math:`\|\tilde x_i\|\le\sqrt2`
    (``lift_norm``):

    1. expectation: :math:`\mathbb E\sup|\sum y_i\mathrm{relu}(\tilde u\cdot\tilde x_i)|
       \le` contraction :math:`\times\sqrt2\cdot\sqrt{\sum\|\tilde x_i\|^2}
       = 2\cdot\sqrt2\cdot\sqrt{2n} = 4\sqrt n`;
    2. McDiarmid: bounded differences :math:`c_i = 2\sup|\mathrm{relu}| \le 4`,
       :math:`\exp(-2t^2/\sum c_i^2) = \delta` gives :math:`t = \sqrt{8n\log(1/\delta)}`;
    3. Hoeffding: :math:`2\exp(-ns^2/2) = \delta` gives
       :math:`|\bar y|\le s = \sqrt{2\log(2/\delta)/n}`, and
       :math:`|\bar y\sum_i\mathrm{relu}(\cdot)|\le s\cdot n\cdot 2`.

    ``C = (step1 + step2 + step3)/sqrt(n)``. The keyword arguments exist so that
    tests can feed wrong versions (e.g. ``bounded_difference=2``).

    Examples
    --------
    >>> steps = derive_C_delta()
    >>> sp.simplify(steps["C"] - C_delta)
    0
    """
    t_, s_ = sp.symbols("t s", positive=True)
    lift_norm = sp.sqrt(2) if lift_norm is None else sp.sympify(lift_norm)
    sup_relu = lift_norm * lift_norm                     # |u~.x~| <= sqrt2*sqrt2 = 2
    expectation = contraction * lift_norm * sp.sqrt(n * lift_norm**2)
    ci = 2 * sup_relu if bounded_difference is None else bounded_difference
    mcd = sp.solve(sp.Eq(sp.exp(-2 * t_**2 / (n * ci**2)), delta), t_)
    mcd = [v for v in mcd if v.is_positive is not False][0]
    hoeff = sp.solve(sp.Eq(2 * sp.exp(-n * s_**2 / 2), delta), s_)
    hoeff = [v for v in hoeff if v.is_positive is not False][0]
    ybar_term = hoeff * n * sup_relu
    C = sp.simplify((expectation + mcd + ybar_term) / sp.sqrt(n))
    return {"expectation": sp.simplify(expectation), "mcdiarmid": sp.simplify(mcd),
            "hoeffding_s": sp.simplify(hoeff), "ybar_term": sp.simplify(ybar_term), "C": C}


def derive_geometry() -> dict:
    r"""The algebra behind R1.geom, with sympy scalars standing for the sums.

    With :math:`A_\pm = \sum_{I_\pm}\|Px_i\|^2`, :math:`S_\pm = \sum_{I_\pm} Px_i`:
    :math:`\sum_{I_+\times I_-}\|P(x_i - x_j)\|^2 = n_-A_+ + n_+A_- - 2S_+\cdot S_-`,
    then :math:`n_-A_+ + n_+A_- \le \max(n_\pm)(A_+ + A_-) \le \max(n_\pm)\,r\|X\|^2`
    and :math:`|S_+\cdot S_-|\le\|X\|^2\sqrt{n_+n_-}`.

    Returns the expansion (checked symbolically for small explicit sizes in the
    tests) and the final bound, equal to ``R1_geom.expr``.

    >>> sp.simplify(derive_geometry()["bound"] - R1_geom.expr)
    0
    """
    A_p, A_m, SS = sp.symbols("A_plus A_minus S_dot", real=True)
    expansion = n_minus * A_p + n_plus * A_m - 2 * SS
    bound = sp.Max(n_plus, n_minus) * r * X_op**2 + 2 * X_op**2 * sp.sqrt(n_plus * n_minus)
    return {"expansion": expansion, "bound": sp.factor(bound)}


def derive_C_delta_sharp(*, ybar_term: bool = True, bounded_difference=None) -> dict:
    r"""Derive the sharpened constant :math:`C'_\delta = 6 + \sqrt{8\log(1/\delta)}`.

    1. expectation: :math:`\mathbb E h \le 4\sqrt n + \mathbb E|\bar y|\cdot 2n
       \le 4\sqrt n + 2\sqrt n` (``ybar_term=False`` drops the second part: a
       wrong version for the tests);
    2. McDiarmid with bounded differences :math:`2\sup|g - \bar g| \le 4`:
       :math:`t = \sqrt{8 n\log(1/\delta)}`.

    Examples
    --------
    >>> sp.simplify(derive_C_delta_sharp()["C"] - C_delta_sharp)
    0
    """
    t_ = sp.Symbol("t", positive=True)
    sup_g = 2                                   # 0 <= relu(u~.x~) <= sqrt2 * sqrt2
    contraction_part = 2 * sp.sqrt(2) * sp.sqrt(2 * n)
    e_abs_ybar = 1 / sp.sqrt(n)                 # E|ybar| <= sqrt(E ybar^2) = 1/sqrt(n)
    expectation = contraction_part + (e_abs_ybar * sup_g * n if ybar_term else 0)
    ci = 2 * sup_g if bounded_difference is None else bounded_difference
    mcd = sp.solve(sp.Eq(sp.exp(-2 * t_**2 / (n * ci**2)), delta), t_)
    mcd = [v for v in mcd if v.is_positive is not False][0]
    C = sp.simplify((expectation + mcd) / sp.sqrt(n))
    return {"expectation": sp.simplify(expectation), "mcdiarmid": sp.simplify(mcd), "C": C}
