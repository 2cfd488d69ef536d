r"""Consistency of certified numbers in experiment records (issue 13, item 3).

A certified lower bound is attained by a witness (or proved for every network of
the class) and a certified upper bound is proved; both are already rounded
soundly (:mod:`numerics.rounding`), so a record in which a certified lower bound
exceeds a certified upper bound of the same quantity is a bug. The checks here
compare such pairs **exactly** (no relative slack) and return the violations as
messages naming the two bounds; the grid runner
(:func:`numerics.experiments.runner.run_grid`, argument ``check``) writes a record
with any violation as ``status: "inconsistent"`` and every command reports it like
a failed run.

Estimates (a projected-gradient attack, a Monte Carlo mean, a float evaluation of
an enumerated "exact" constant) are not certified numbers and are not compared.

Examples
--------
>>> bracket_violations("r", [("witness", 2.0)], [("spectral", 1.5), ("path", None)])
['r: lower 2 (witness) > upper 1.5 (spectral)']
>>> check_lower_upper({"key": "s1", "lower": 1.0, "upper": 1.0})
[]
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["bracket_violations", "check_lower_upper", "check_tradeoff_record",
           "check_wp_record"]


def _usable(v) -> bool:
    return v is not None and not isinstance(v, bool) and isinstance(v, (int, float)) \
        and not math.isnan(v)


def bracket_violations(key: str, lows: Iterable[tuple[str, float | None]],
                       ups: Iterable[tuple[str, float | None]]) -> list[str]:
    """Every pair (lower, upper) with lower > upper, compared exactly; None and NaN
    entries are skipped (a bound that was not computed).

    Parameters
    ----------
    key : str
        The record's key (first word of every message).
    lows, ups : iterable of (name, value)
        Certified lower and upper bounds of one quantity.

    Returns
    -------
    list of str
        ``"<key>: lower <value> (<name>) > upper <value> (<name>)"``, values with 17
        significant digits (the exact doubles).

    Examples
    --------
    >>> bracket_violations("k", [("a", 1.0000000000000002)], [("b", 1.0)])
    ['k: lower 1.0000000000000002 (a) > upper 1 (b)']
    """
    lows = [(n, float(v)) for n, v in lows if _usable(v)]
    ups = [(n, float(v)) for n, v in ups if _usable(v)]
    return [f"{key}: lower {lo:.17g} ({ln}) > upper {up:.17g} ({un})"
            for ln, lo in lows for un, up in ups if lo > up]


def check_lower_upper(rec: dict, *, lower: str = "lower", upper: str = "upper") -> list[str]:
    """``rec[lower] <= rec[upper]`` exactly (records of S1 and S5, whose ``lower`` is a
    witnessed certified lower bound and ``upper`` a certified upper bound; the
    optional ``exact`` field of S1 is a float evaluation and is not compared).

    >>> check_lower_upper({"key": "x", "lower": 3.0, "upper": 2.0})
    ['x: lower 3 (lower) > upper 2 (upper)']
    """
    return bracket_violations(rec.get("key", "?"), [(lower, rec.get(lower))],
                              [(upper, rec.get(upper))])


def check_tradeoff_record(rec: dict) -> list[str]:
    r"""One record of the tradeoff curve file.

    Curve points (``kind == "curve"``): the data lower bounds ``L``, ``R1`` and
    ``pair`` (valid for every k-neuron interpolant, so for :math:`f_k`) and the
    network's certified lower bound ``L_net`` must not exceed its certified upper
    bound ``U`` (and the certificate's ``U_cert``). An exact constant from a closed
    branch and bound (``lipschitz.exact``) is a certified number and is treated like
    the bracket, exactly: every lower bound <= exact <= U. Construction records: the
    toolkit's lower bound (none recorded today) against ``construction_upper``,
    ``toolkit_upper`` and ``upper``.

    >>> check_tradeoff_record({"key": "c", "kind": "curve", "L": 2.0, "R1": 1.0,
    ...                        "pair": 2.0, "L_net": 1.5, "upper": 1.8})
    ['c: lower 2 (L) > upper 1.8 (U)', 'c: lower 2 (pair) > upper 1.8 (U)']
    >>> check_tradeoff_record({"key": "e", "kind": "curve", "L": 1.0, "L_net": 1.5,
    ...                        "upper": 1.5, "lipschitz": {"exact": 1.6}})
    ['e: lower 1.6000000000000001 (exact) > upper 1.5 (U)']
    """
    key = rec.get("key", "?")
    lip = rec.get("lipschitz") or {}
    if rec.get("kind") == "curve":
        lows = [("L", rec.get("L")), ("R1", rec.get("R1")), ("pair", rec.get("pair")),
                ("L_net", rec.get("L_net"))]
        ups = [("U", rec.get("upper")), ("U_cert", rec.get("U_cert"))]
        ex = [("exact", lip.get("exact"))]
        return (bracket_violations(key, lows, ups) + bracket_violations(key, lows, ex)
                + bracket_violations(key, ex, ups))
    ups = [("construction", rec.get("construction_upper")),
           ("toolkit", rec.get("toolkit_upper")), ("upper", rec.get("upper"))]
    return bracket_violations(key, [("toolkit", lip.get("lower"))], ups)


def check_wp_record(rec: dict) -> list[str]:
    """A weight-perturbation row: the certified robust fraction (proved: every network
    in the budget classifies those test points correctly) cannot exceed the fraction
    correct under any perturbation in the budget, so it must be <= the clean accuracy,
    the fraction still correct at the pointwise attacks and the accuracy under the
    dataset attack (all computed on the same test points).

    >>> check_wp_record({"key": "w", "certified": 0.5, "clean": 0.9,
    ...                  "pointwise_attacked": 0.4, "attacked": 0.6})
    ['w: lower 0.5 (certified fraction) > upper 0.40000000000000002 (pointwise_attacked)']
    """
    ups = [(name, rec.get(name)) for name in ("clean", "pointwise_attacked", "attacked")]
    return bracket_violations(rec.get("key", "?"), [("certified fraction",
                                                     rec.get("certified"))], ups)
