"""Symbolic side of robustlaw (sympy only; never imports :mod:`numerics`).

Modules
-------
activations
    Each activation defined once as a sympy expression, with derived facts.
"""
