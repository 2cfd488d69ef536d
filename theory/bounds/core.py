r"""The :class:`Bound` object, its hypotheses and regimes, and the registry.

A bound says

.. math:: \text{quantity} \;\mathrel{R}\; \text{expr}(n, d, k, \dots),
   \qquad R \in \{\ge, \le, \asymp, \approx\}

under named hypotheses, with a status (proved / cited / heuristic) and an
``anchor`` into ``docs/mathematics.md`` where its statement and proof are
written out. The bound families themselves live in the sibling modules
(:mod:`theory.bounds.projection`, :mod:`theory.bounds.spectral`,
:mod:`theory.bounds.quadratic`, :mod:`theory.bounds.cited`).

Examples
--------
>>> b = get_bound("R1")
>>> b.status, b.direction, b.anchor
('proved', 'lower', 'r1-projection-bound')
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import sympy as sp

from theory.symbols import c, d, n
from theory.symbols import latex as _sym_latex

STATUSES = ("proved", "cited", "heuristic")

#: Hypothesis names that :mod:`numerics.certify` can check on an instance,
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
#: Length (characters) beyond which :meth:`Bound.latex` splits a long fraction so that the
#: formula can break across lines in a table cell.
LONG_LATEX = 120

THEORY_MODULES: tuple[str, ...] = ("theory.bounds", "theory.energy", "theory.perturbation",
                                  "theory.rademacher")

_REGISTRY: dict[str, Bound] = {}

#: LaTeX of each relation a :class:`Bound` can state.
RELATIONS: dict[str, str] = {"ge": r"\ge", "le": r"\le", "asymp": r"\asymp",
                             "approx": r"\approx", "gtrsim": r"\gtrsim"}

#: Default anchor (``docs/mathematics.md#...``) per key family, used when a
#: bound does not set its own: the longest matching key prefix wins.
FAMILY_ANCHORS: dict[str, str] = {
    "R1": "r1-projection-bound",
    "R1.sphere": "r1-sphere",
    "R2": "r2-spectral-law",
    "R2.sharp": "r2-sharper-constant",
    "R2.Gamma.sharp": "r2-sharper-constant",
    "R3": "r3-quadratic-rank",
    "R4": "r4-energy-certificate",
    "R4.ball": "r4-ball",
    "R4.params": "r4-parameter-count",
    "R4.regime": "r4-regime",
    "R4.combined": "r4-regime",
    "BLN": "law-of-robustness",
    "BS": "bubeck-sellke",
    "Shmalo": "shmalo",
    "S1": "s1-random-relu-networks",
    "S2": "s2-memorization",
    "S3": "s3-random-features",
    "S4": "s4-weight-perturbations",
    "S5": "s5-double-descent",
}

_ANCHOR_RE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _family_anchor(key: str) -> str:
    """The :data:`FAMILY_ANCHORS` entry of the longest prefix of ``key`` (``""`` if none)."""
    parts = key.split(".")
    for i in range(len(parts), 0, -1):
        hit = FAMILY_ANCHORS.get(".".join(parts[:i]))
        if hit:
            return hit
    return ""


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
        """True when :mod:`numerics.certify` can check it on an instance."""
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
    anchor : str
        Section of ``docs/mathematics.md`` with the statement and its proof
        (kebab-case, cited as ``docs/mathematics.md#<anchor>``). Empty: the
        family default of :data:`FAMILY_ANCHORS` for the key's prefix.
    relation : {"ge", "le", "asymp", "approx", "gtrsim"} or ""
        How quantity and expression relate; empty: ``"ge"`` for lower and
        ``"le"`` for upper bounds. Heuristic statements use ``"approx"``,
        ``"asymp"`` or ``"gtrsim"``, never ``"ge"``/``"le"``.
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
    anchor: str = ""
    relation: str = ""

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
        anchor = self.anchor or _family_anchor(self.key)
        if not _ANCHOR_RE.fullmatch(anchor):
            raise ValueError(f"anchor: must be a kebab-case anchor of docs/mathematics.md, "
                             f"got {anchor!r}")
        object.__setattr__(self, "anchor", anchor)
        relation = self.relation or ("ge" if self.direction == "lower" else "le")
        if relation not in RELATIONS:
            raise ValueError(f"relation: must be one of {sorted(RELATIONS)}, got {relation!r}")
        if self.status == "heuristic" and relation in ("ge", "le"):
            raise ValueError("relation: a heuristic statement is 'approx', 'asymp' or 'gtrsim', "
                             f"not {relation!r}")
        object.__setattr__(self, "relation", relation)

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
        '\\mathrm{Lip}_{B_1}(f) \\ge \\frac{2 n}{\\|M\\|_{\\mathrm{op}} \\min\\left(d, k\\right)}'
        """
        tex = _sym_latex(self.expr)
        if len(tex) > LONG_LATEX:  # a long fraction prints as (coefficient) x (factors)
            tex = _sym_latex(self.expr, long_frac_ratio=2)
        return f"{self.quantity} {RELATIONS[self.relation]} {tex}"

    @property
    def citation(self) -> str:
        """Where the statement is written out: ``docs/mathematics.md#<anchor>``."""
        return f"docs/mathematics.md#{self.anchor}"

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


