r"""Activations, each defined once as a sympy expression.

Every fact the package uses about an activation :math:`\psi` is *derived* from
its single sympy definition: the derivative :math:`\psi'`, the Lipschitz
constant :math:`L_\psi = \sup |\psi'|` on :math:`\mathbb R` (or on
:math:`[-R, R]`), the slope range :math:`[\inf \psi', \sup \psi']`, and the
positive-homogeneity degree. Numeric functions (used by :mod:`numerics`) are
obtained by :func:`sympy.lambdify` from the same expressions.

Activations are named by *spec strings*: ``relu``, ``leaky_relu:0.1``,
``abs``, ``softplus:2``, ``tanh``, ``power:3``.

Examples
--------
>>> act = get_activation("leaky_relu:0.1")
>>> act.derivative
Piecewise((1/10, t < 0), (1, True))
>>> act.lipschitz()
1
>>> act.slope_range()
(1/10, 1)
>>> get_activation("power:3").lipschitz(radius=2)
12
>>> get_activation("relu").homogeneity_degree
1
>>> get_activation("tanh").homogeneity_degree is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

__all__ = [
    "ACTIVATION_NAMES",
    "Activation",
    "get_activation",
    "t",
]

#: The activation variable.
t = sp.Symbol("t", real=True)

#: Names accepted in spec strings (``name`` or ``name:param``).
ACTIVATION_NAMES = ("relu", "leaky_relu", "abs", "softplus", "tanh", "power")


def _rational(value: str, argument: str) -> sp.Rational:
    try:
        q = sp.Rational(value)
    except (TypeError, ValueError, sp.SympifyError) as exc:
        raise ValueError(f"{argument}: cannot parse parameter {value!r} as a number") from exc
    if not q.is_finite:
        raise ValueError(f"{argument}: parameter must be finite, got {value!r}")
    return q


def _definition(name: str, param: sp.Rational | None) -> sp.Expr:
    """The one sympy definition of each activation."""
    if name == "relu":
        return sp.Piecewise((0, t < 0), (t, True))
    if name == "leaky_relu":
        return sp.Piecewise((param * t, t < 0), (t, True))
    if name == "abs":
        return sp.Piecewise((-t, t < 0), (t, True))
    if name == "softplus":
        return sp.log(1 + sp.exp(param * t)) / param
    if name == "tanh":
        return sp.tanh(t)
    if name == "power":
        return t ** int(param)
    raise ValueError(f"activation: unknown activation {name!r}; known: {ACTIVATION_NAMES}")


def _pieces(expr: sp.Expr, domain: sp.Interval) -> list[tuple[sp.Expr, sp.Set]]:
    """Split a (possibly piecewise) expression into (expression, interval) pieces."""
    if isinstance(expr, sp.Piecewise):
        pairs = expr.as_expr_set_pairs(domain)
    else:
        pairs = [(expr, domain)]
    return [(e, s) for e, s in pairs if s is not sp.S.EmptySet and s.measure != 0]


def _zeros(expr: sp.Expr, interval: sp.Set) -> sp.FiniteSet:
    """Real zeros of ``expr`` in ``interval`` (of the numerator after
    ``together``, which keeps sympy from expanding exp(beta t) into roots)."""
    zeros = sp.solveset(sp.numer(sp.together(expr)), t, interval)
    if zeros is sp.S.EmptySet:
        return sp.FiniteSet()
    if not isinstance(zeros, sp.FiniteSet):
        raise ValueError(f"activation: cannot isolate the zeros of {expr} ({zeros})")
    return zeros


def _range_on(expr: sp.Expr, domain: sp.Interval) -> tuple[sp.Expr, sp.Expr]:
    """(inf, sup) of ``expr`` over ``domain`` (closure values), piece by piece.

    On each piece the expression is continuous, so its extremes over the
    closure are among the one-sided limits at the piece's ends (limits at
    +-oo for unbounded ends) and its values at interior critical points.
    """
    values = []
    for e, s in _pieces(expr, domain):
        for end, side in ((s.inf, "+"), (s.sup, "-")):
            values.append(sp.limit(e, t, end, side if end.is_finite else None)
                          if end.is_finite else sp.limit(e, t, end))
        if not e.free_symbols:
            continue
        values.extend(e.subs(t, c) for c in _zeros(sp.diff(e, t), s))
    return sp.Min(*values), sp.Max(*values)


@dataclass(frozen=True)
class Activation:
    r"""An activation :math:`\psi`, with every derived fact computed by sympy.

    Parameters
    ----------
    name : str
        One of :data:`ACTIVATION_NAMES`.
    param : sympy.Rational or None
        ``alpha`` for leaky relu (in [0, 1)), ``beta`` for softplus (> 0),
        the degree ``p`` for power (integer >= 1); None otherwise.

    Notes
    -----
    Use :func:`get_activation` to build one from a spec string.
    """

    name: str
    param: sp.Rational | None = None
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    @property
    def spec(self) -> str:
        """The spec string, e.g. ``'leaky_relu:1/10'`` (round-trips through
        :func:`get_activation`)."""
        return self.name if self.param is None else f"{self.name}:{self.param}"

    @cached_property
    def expr(self) -> sp.Expr:
        r"""The defining sympy expression :math:`\psi(t)`."""
        return _definition(self.name, self.param)

    @cached_property
    def derivative(self) -> sp.Expr:
        r""":math:`\psi'(t)` (for piecewise-linear activations the right derivative
        at a kink)."""
        return sp.piecewise_fold(sp.diff(self.expr, t))

    @cached_property
    def second_derivative(self) -> sp.Expr:
        r""":math:`\psi''(t)` away from kinks."""
        return sp.piecewise_fold(sp.diff(self.derivative, t))

    def slope_range(self, radius: sp.Expr | float | None = None) -> tuple[sp.Expr, sp.Expr]:
        r"""``(inf psi', sup psi')`` on :math:`\mathbb R` (``radius=None``) or on
        :math:`[-R, R]`.

        Examples
        --------
        >>> get_activation("tanh").slope_range()
        (0, 1)
        >>> get_activation("abs").slope_range()
        (-1, 1)
        """
        key = ("slope_range", None if radius is None else sp.nsimplify(radius))
        if key not in self._cache:  # sympy limits are slow: derive once per radius
            self._cache[key] = _range_on(self.derivative, self._domain(radius))
        return self._cache[key]

    def lipschitz(self, radius: sp.Expr | float | None = None) -> sp.Expr:
        r"""The Lipschitz constant :math:`L_\psi = \sup |\psi'|` on
        :math:`\mathbb R`, or on :math:`[-R, R]` when ``radius`` is given.

        Returns ``sympy.oo`` when unbounded (powers p >= 2 on R).

        Examples
        --------
        >>> get_activation("softplus:2").lipschitz()
        1
        >>> get_activation("power:2").lipschitz()
        oo
        """
        lo, hi = self.slope_range(radius)
        return sp.Max(sp.Abs(lo), sp.Abs(hi))

    def _domain(self, radius) -> sp.Interval:
        if radius is None:
            return sp.S.Reals
        r = sp.sympify(radius)
        if r.is_real is False or r.is_negative or (r.is_number and not r.is_finite):
            raise ValueError(f"radius: must be a finite non-negative number, got {radius!r}")
        return sp.Interval(-r, r)

    @cached_property
    def homogeneity_degree(self) -> int | None:
        r"""The degree :math:`q` with :math:`\psi(ct) = c^q \psi(t)` for all
        :math:`c > 0`, or None when :math:`\psi` is not positively homogeneous.

        Derived from Euler's relation :math:`t\psi'(t) = q\psi(t)` on each sign
        of t, then verified by substitution.
        """
        c = sp.Symbol("c", positive=True)
        candidates = set()
        for e, _ in _pieces(self.expr, sp.S.Reals):
            if sp.simplify(e) == 0:
                continue
            ratio = sp.simplify(t * sp.diff(e, t) / e)
            if ratio.free_symbols:
                return None
            candidates.add(ratio)
        if len(candidates) != 1:
            return None
        q = candidates.pop()
        if not (q.is_integer and q >= 0):
            return None
        s = sp.Symbol("s", positive=True)
        for sign in (1, -1):  # psi(c t) = c^q psi(t) on each half-line
            lhs = self.expr.subs(t, sign * c * s)
            rhs = c**q * self.expr.subs(t, sign * s)
            if sp.simplify(lhs - rhs) != 0:
                return None
        return int(q)

    @cached_property
    def is_piecewise_linear(self) -> bool:
        """True for relu, leaky relu and abs (second derivative zero a.e.)."""
        return all(sp.simplify(e) == 0 for e, _ in _pieces(self.second_derivative, sp.S.Reals))

    @cached_property
    def kinks(self) -> tuple[sp.Expr, ...]:
        """Points where the derivative jumps (empty for smooth activations)."""
        if not isinstance(self.derivative, sp.Piecewise):
            return ()
        pts = set()
        for _, s in _pieces(self.derivative, sp.S.Reals):
            for end in (s.inf, s.sup):
                if end.is_finite:
                    pts.add(end)
        return tuple(sorted(pts))

    @cached_property
    def derivative_critical_points(self) -> tuple[sp.Expr, ...]:
        r"""Real zeros of :math:`\psi''` on pieces where :math:`\psi'` is not
        constant, together with the kinks: with the endpoints of an interval,
        these are the only places where :math:`\psi'` can attain its extremes on
        that interval (used to bound slopes on bounded pre-activation ranges).

        Examples
        --------
        >>> get_activation("tanh").derivative_critical_points
        (0,)
        >>> get_activation("softplus:1").derivative_critical_points
        ()
        """
        pts = set(self.kinks)
        for e, s in _pieces(self.second_derivative, sp.S.Reals):
            if sp.simplify(e) == 0:
                continue
            pts.update(_zeros(e, s))
        return tuple(sorted(pts))

    @cached_property
    def numeric(self) -> Callable:
        """Vectorized numpy function for :math:`\\psi` (lambdified from :attr:`expr`)."""
        return _lambdify(self.expr, self.name, self.param)

    @cached_property
    def numeric_derivative(self) -> Callable:
        """Vectorized numpy function for :math:`\\psi'` (lambdified from
        :attr:`derivative`)."""
        return _lambdify(self.derivative, self.name, self.param)

    @cached_property
    def lipschitz_float(self) -> float:
        """:meth:`lipschitz` on R as a float (``inf`` when unbounded)."""
        return float(self.lipschitz())


def _stable_form(expr: sp.Expr, name: str, param) -> sp.Expr:
    """An expression equal to ``expr`` whose branches do not overflow in floating
    point where they are selected (softplus and its derivative); identity otherwise.

    The equality with the definition is exact algebra (``log(1 + e^u) = u +
    log(1 + e^{-u})``, evaluated with ``log1p``) and is re-checked in the tests.
    """
    if name != "softplus":
        return expr
    u = param * t
    if expr == _definition(name, param):
        from sympy.codegen.cfunctions import log1p  # log1p(x) = log(1 + x), accurate

        return sp.Piecewise((log1p(sp.exp(u)) / param, t < 0),
                            (t + log1p(sp.exp(-u)) / param, True))
    if sp.simplify(expr - sp.exp(u) / (sp.exp(u) + 1)) == 0:
        return sp.Piecewise((sp.exp(u) / (sp.exp(u) + 1), t < 0), (1 / (1 + sp.exp(-u)), True))
    return expr


def _lambdify(expr: sp.Expr, name: str, param) -> Callable:
    import numpy as np

    f = sp.lambdify(t, _stable_form(expr, name, param), modules="numpy")

    def vectorized(x):
        x = np.asarray(x, dtype=float)
        # numpy.select evaluates every branch of a Piecewise; an unselected branch
        # may overflow. The selected value is finite for finite x.
        with np.errstate(over="ignore", invalid="ignore"):
            out = f(x)
        return np.broadcast_to(np.asarray(out, dtype=float), x.shape).copy()

    return vectorized


def get_activation(spec: str | Activation) -> Activation:
    """Build an :class:`Activation` from a spec string.

    Parameters
    ----------
    spec : str or Activation
        ``name`` or ``name:param`` with name in :data:`ACTIVATION_NAMES`.

    Raises
    ------
    ValueError
        Unknown name, missing/extra parameter, or a parameter out of range
        (leaky relu alpha in [0, 1), softplus beta > 0, power p integer >= 1).

    Examples
    --------
    >>> get_activation("softplus:2").expr
    log(exp(2*t) + 1)/2
    >>> get_activation("power:3").spec
    'power:3'
    """
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise ValueError(f"activation: expected a spec string, got {type(spec).__name__}")
    return _from_spec(spec.strip())


_CACHE: dict[str, Activation] = {}


def _from_spec(spec: str) -> Activation:
    if spec in _CACHE:
        return _CACHE[spec]
    name, _, raw = spec.partition(":")
    if name not in ACTIVATION_NAMES:
        raise ValueError(f"activation: unknown activation {name!r}; known: {ACTIVATION_NAMES}")
    needs = {"leaky_relu": "alpha", "softplus": "beta", "power": "p"}
    if name in needs and not raw:
        raise ValueError(f"activation: {name!r} needs a parameter ({name}:{needs[name]})")
    if name not in needs and raw:
        raise ValueError(f"activation: {name!r} takes no parameter, got {raw!r}")
    param = _rational(raw, "activation") if raw else None
    if name == "leaky_relu" and not (0 <= param < 1):
        raise ValueError(f"activation: leaky_relu alpha must be in [0, 1), got {raw}")
    if name == "softplus" and not param > 0:
        raise ValueError(f"activation: softplus beta must be > 0, got {raw}")
    if name == "power" and not (param.is_integer and param >= 1):
        raise ValueError(f"activation: power p must be an integer >= 1, got {raw}")
    act = Activation(name, param)
    _CACHE[spec] = act
    return act
