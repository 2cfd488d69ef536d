"""Explicit interpolants: the constructions C1–C5, polynomial interpolants and
Waring networks, interpolating training and minimum-Lipschitz interpolation.

Every construction returns a network that interpolates exactly (checked, never
assumed) together with its certified Lipschitz upper bound. May import
:mod:`theory`, :mod:`numerics.models`, :mod:`numerics.lipschitz` and the root
plumbing; never :mod:`numerics.experiments` or the CLI.
"""
