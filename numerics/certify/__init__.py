"""Per-instance certificates of the theory's bounds (R1, R2, R3, the R4 energy
certificate, S4) applied to one (network, data) pair.

Each certificate evaluates a registered :class:`theory.bounds.Bound` on an instance,
checks its hypotheses (a bound whose hypotheses fail is reported blocked, with the
reason) and returns its witnesses. May import :mod:`theory`, :mod:`numerics.models`,
:mod:`numerics.lipschitz` and the root plumbing.
"""
