"""The Lipschitz toolkit: certified brackets of a network's Lipschitz constant.

``lower`` is attained at a witness the caller can re-verify; ``upper`` is proved;
``exact`` is set only where it is computed exactly. Submodules: slope ranges,
norms, witnesses, the lower-bound search, closed-form upper bounds, the LipSDP
reduction, exact enumeration and the report that combines them. May import
:mod:`theory`, :mod:`numerics.models` and the root plumbing; never
:mod:`numerics.certify`, :mod:`numerics.construct` or :mod:`numerics.experiments`.
"""
