r"""Bounds as objects: statement, hypotheses, sympy expression, LaTeX, regimes.

This package is the registry's public face. It holds the core
(:mod:`theory.bounds.core`: :class:`Bound`, :class:`Hypothesis`,
:class:`Regime`, :func:`register`, :func:`all_bounds`, :func:`get_bound`) and
one module per bound family: :mod:`~theory.bounds.projection` (R1),
:mod:`~theory.bounds.spectral` (R2), :mod:`~theory.bounds.quadratic` (R3) and
:mod:`~theory.bounds.cited` (BLN, Bubeck--Sellke, Shmalo). Further families
register from :mod:`theory.energy` (R4) and :mod:`theory.perturbation` (S4).
The symbols are those of :mod:`theory.symbols`. Each bound's ``anchor`` names
its section of ``docs/mathematics.md``.

A :class:`Bound` is the one object that a notebook derives, a test checks, a
certificate (:mod:`numerics.certify`) evaluates on an instance and a table
(:mod:`theory.latex`) prints. It says

.. math:: \text{quantity} \;\ge\; \text{expr}(n, d, k, \dots)
   \quad(\text{or} \le \text{ for } \texttt{direction="upper"})

under named hypotheses, with a status: ``proved`` (here; proofs in ``docs/mathematics.md``),
``cited`` (another paper's theorem, recorded with its constants) or
``heuristic`` (an asymptotic prediction the numerics must confront).

Hypotheses are :class:`Hypothesis` values with a *name* and a text. Names in
:data:`CHECKABLE_HYPOTHESES` are conditions that :mod:`numerics.certify`
knows how to check on a (network, data) instance (theory never imports
numerics, so the checks live there); other names (e.g. ``random_labels``)
are recorded but cannot be verified on one instance.

Symbols are module-level sympy symbols (:data:`n`, :data:`d`, :data:`k`,
:data:`n_plus`, :data:`n_minus`, :data:`X_op` :math:`=\|X\|_{\mathrm{op}}`, :data:`r`,
:data:`delta`, ...). :meth:`Bound.evaluate` takes them by name.

Regimes
-------
:meth:`Bound.regime` substitutes :math:`n = c\,d` (``kind="linear"``) or
:math:`n = c\,d^p` (``kind="poly"``), together with the bound's own
regime substitutions (e.g. :math:`\|X\|_{\mathrm{op}}\to 1+\sqrt{n/d}` for rows uniform
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
                           anchor="r4-energy-certificate"))

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

from theory.bounds.core import (
    _REGISTRY as _REGISTRY,
)
from theory.bounds.core import (
    CHECKABLE_HYPOTHESES,
    FAMILY_ANCHORS,
    RELATIONS,
    STATUSES,
    THEORY_MODULES,
    Bound,
    Hypothesis,
    Regime,
    all_bounds,
    get_bound,
    register,
)

# isort: off
# The family modules register their bounds at import, in this (table) order.
from theory.bounds.projection import (
    R1,
    R1_geom,
    R1_op,
    R1_pair,
    R1_sphere,
    R1_sphere_agg,
    derive_geometry,
)
from theory.bounds.spectral import (
    R2,
    C_delta,
    C_delta_sharp,
    R2_gamma,
    R2_gamma_sharp,
    R2_identity,
    R2_sharp,
    derive_C_delta,
    derive_C_delta_sharp,
)
from theory.bounds.quadratic import R3, mp_edge_difference
from theory.bounds import cited as _cited  # noqa: F401  (registers BLN, BS, Shmalo)
# isort: on
from theory.symbols import (
    C_univ,
    Delta,
    J_lip,
    K_pieces,
    M_op,
    P_dist,
    R,
    W_diam,
    X_op,
    c,
    c_iso,
    c_univ,
    d,
    delta,
    eps,
    k,
    kappa,
    m_width,
    n,
    n_minus,
    n_params,
    n_plus,
    p,
    r,
    rho,
    ybar,
)

__all__ = [
    "Bound",
    "CHECKABLE_HYPOTHESES",
    "C_delta",
    "C_delta_sharp",
    "C_univ",
    "Delta",
    "FAMILY_ANCHORS",
    "Hypothesis",
    "J_lip",
    "K_pieces",
    "M_op",
    "P_dist",
    "R",
    "R1",
    "R1_geom",
    "R1_op",
    "R1_pair",
    "R1_sphere",
    "R1_sphere_agg",
    "R2",
    "R2_gamma",
    "R2_gamma_sharp",
    "R2_identity",
    "R2_sharp",
    "R3",
    "RELATIONS",
    "Regime",
    "STATUSES",
    "THEORY_MODULES",
    "W_diam",
    "X_op",
    "all_bounds",
    "c",
    "c_iso",
    "c_univ",
    "d",
    "delta",
    "derive_C_delta",
    "derive_C_delta_sharp",
    "derive_geometry",
    "eps",
    "get_bound",
    "k",
    "kappa",
    "m_width",
    "mp_edge_difference",
    "n",
    "n_minus",
    "n_params",
    "n_plus",
    "p",
    "r",
    "register",
    "rho",
    "ybar",
]
