r"""Derivations as objects: ordered steps, each checked, rendered as LaTeX.

A :class:`Derivation` is a list of steps towards a statement. A step is either

- an :class:`Identity` (``kind="identity"`` or ``"reduction"``): ``lhs = rhs``, a sympy
  fact, checked by sympy (:func:`theory.symbols.equal`, after an optional
  substitution ``given`` that states what is assumed, e.g. :math:`y_i^2 = 1`); or
- an :class:`Inequality`: ``lhs <= rhs`` (or ``>=``) by a *named* inequality
  (Cauchy--Schwarz, McDiarmid, Ledoux--Talagrand, ...). Its instantiation is
  stated in words and checked on random instances by ``sample(rng)``, a function
  returning the numeric values of both sides on one random instance.

:meth:`Derivation.check` runs every check and returns the failures (empty: all
steps hold); :meth:`Derivation.latex` renders one ``\subsection`` with an
``align*`` environment (a step's justification as ``\intertext``);
:meth:`Derivation._repr_latex_` displays it in a notebook. A step replaced by a
wrong one (:meth:`Derivation.with_step`) makes :meth:`check` fail.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> d = Derivation("demo", "Demo", "notation", r"$2x = x + x$",
...                (Identity(2 * x, x + x, "add"),))
>>> d.check()
[]
>>> d.with_step(0, rhs=3 * x).check()[0][0]
0
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp

from theory.symbols import equal
from theory.symbols import latex as sym_latex

__all__ = ["Derivation", "Identity", "Inequality", "all_derivations", "get_derivation",
           "register_derivation"]

_REL = {"le": r"\le", "ge": r"\ge", "eq": "="}


def _tex(e) -> str:
    return e if isinstance(e, str) else sym_latex(e)


@dataclass(frozen=True)
class Identity:
    """``lhs = rhs``, checked by sympy (after substituting ``given``)."""

    lhs: sp.Expr
    rhs: sp.Expr
    why: str
    kind: str = "identity"
    given: Mapping = field(default_factory=dict)
    #: LaTeX shown instead of ``(lhs, rhs)`` when those are explicit small instances.
    show: tuple[str, str] = ()

    def check(self, rng=None, trials: int = 0) -> str | None:
        """None when sympy proves the identity, else the reason."""
        lhs, rhs = sp.sympify(self.lhs), sp.sympify(self.rhs)
        if self.given:
            lhs, rhs = (sp.expand(e).subs(self.given) for e in (lhs, rhs))
        return None if equal(sp.expand(lhs), sp.expand(rhs)) else \
            f"sympy cannot prove {self.lhs} = {self.rhs}"

    def latex_line(self) -> str:
        lhs, rhs = self.show or (self.lhs, self.rhs)
        return rf"{_tex(lhs)} &= {_tex(rhs)}"


@dataclass(frozen=True)
class Inequality:
    """``lhs <= rhs`` (``relation="le"``) or ``>=`` by a named inequality, checked on
    random instances: ``sample(rng) -> (lhs_value, rhs_value)``."""

    lhs: sp.Expr | str
    rhs: sp.Expr | str
    name: str
    instantiation: str
    sample: Callable[[np.random.Generator], tuple[float, float]]
    relation: str = "le"
    kind: str = "inequality"

    def check(self, rng=None, trials: int = 20) -> str | None:
        """None when the inequality holds on ``trials`` random instances."""
        rng = np.random.default_rng(rng)
        for t in range(trials):
            lo, hi = (float(v) for v in self.sample(rng))
            if self.relation == "ge":
                lo, hi = hi, lo
            tol = 1e-9 * max(1.0, abs(lo), abs(hi))
            if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi + tol:
                return f"{self.name} fails on random instance {t}: {lo!r} > {hi!r}"
        return None

    def latex_line(self) -> str:
        return rf"{_tex(self.lhs)} &{_REL[self.relation]} {_tex(self.rhs)}"


@dataclass(frozen=True)
class Derivation:
    """An ordered list of checked steps proving ``statement`` (see the module doc)."""

    key: str
    title: str
    anchor: str
    statement: str
    steps: tuple
    conclusion: str = ""

    def check(self, rng=0, trials: int = 20) -> list[tuple[int, str]]:
        """``(step index, reason)`` for every step that fails its check."""
        rng = np.random.default_rng(rng)
        out = []
        for i, s in enumerate(self.steps):
            why = s.check(rng, trials)
            if why is not None:
                out.append((i, why))
        return out

    def with_step(self, i: int, **changes) -> Derivation:
        """A copy with step ``i`` changed (tests build wrong derivations this way)."""
        steps = list(self.steps)
        steps[i] = replace(steps[i], **changes)
        return replace(self, steps=tuple(steps))

    def latex(self) -> str:
        r"""One ``\subsection`` with the statement and an ``align*`` of the steps."""
        lines = [rf"\subsection{{{self.title}}}\label{{der:{self.key}}}",
                 rf"\textbf{{Statement.}} {self.statement}",
                 r"\par",
                 rf"(Proof: docs/mathematics.md, section \texttt{{{self.anchor}}}.)",
                 r"\begin{align*}"]
        for i, s in enumerate(self.steps):
            label = (f"{s.name}: {s.instantiation}" if isinstance(s, Inequality)
                     else f"{s.kind}: {s.why}")
            lines.append(rf"\intertext{{Step {i + 1} ({label})}}")
            lines.append(s.latex_line() + (r" \\" if i < len(self.steps) - 1 else ""))
        lines.append(r"\end{align*}")
        if self.conclusion:
            lines.append(self.conclusion)
        return "\n".join(lines)

    def markdown(self) -> str:
        """The derivation as markdown with display math (notebooks, docs)."""
        out = [f"**{self.title}.** {self.statement}", ""]
        for i, s in enumerate(self.steps):
            label = (f"*{s.name}*: {s.instantiation}" if isinstance(s, Inequality)
                     else f"*{s.kind}*: {s.why}")
            out += [f"{i + 1}. {label}", "", "$$" + s.latex_line().replace("&", "") + "$$", ""]
        if self.conclusion:
            out.append(self.conclusion)
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        return self.markdown()


_DERIVATIONS: dict[str, Derivation] = {}


def register_derivation(der: Derivation) -> Derivation:
    """Add a derivation to the registry (ValueError naming ``der`` on a bad value)."""
    if not isinstance(der, Derivation):
        raise ValueError(f"der: expected a Derivation, got {type(der).__name__}")
    _DERIVATIONS[der.key] = der
    return der


def all_derivations() -> tuple[Derivation, ...]:
    """Every registered derivation (importing :mod:`theory.derivations` first)."""
    import importlib

    importlib.import_module("theory.derivations")
    return tuple(_DERIVATIONS.values())


def get_derivation(key: str) -> Derivation:
    """The derivation with this key (ValueError naming ``key`` if none)."""
    all_derivations()
    if key not in _DERIVATIONS:
        raise ValueError(f"key: no derivation {key!r}; known: {sorted(_DERIVATIONS)}")
    return _DERIVATIONS[key]


def latex_appendix(derivations: Sequence[Derivation]) -> str:
    r"""A standalone ``article`` with one subsection per derivation (amsmath ``align*``)."""
    body = "\n\n".join(d.latex() for d in derivations)
    return "\n".join([r"\documentclass[10pt]{article}", r"\usepackage[margin=2cm]{geometry}",
                      r"\usepackage{amsmath,amssymb}", r"\allowdisplaybreaks", r"\sloppy",
                      r"\begin{document}", r"\section*{Derivations checked by robustlaw}",
                      body, r"\end{document}", ""])
