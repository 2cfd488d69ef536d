"""Numerical side of robustlaw (numpy/scipy): instances, estimators, certificates.

May import :mod:`theory`; never the other way round.
"""
