r"""Exact constants on the certified tradeoff curve (issue 18, item 6): the record fields
of a branch-and-bound run on a curve point and the re-check of a closed bracket from the
saved weights (:func:`numerics.experiments.tradeoff.verify_curve` calls it).

**What the re-check re-checks.** A closed bracket has two ends: the lower end is a
witness point (stored in the record, re-verified from scratch with certified rounding)
and the upper end is the branch-and-bound tree, which is not stored: branch and bound is
re-run from the saved weights, seeded with the re-verified witness, and its certified
upper bound must not exceed the recorded U.
"""

from __future__ import annotations

import numpy as np

from numerics.domain import Domain
from numerics.models import TwoLayerNet

__all__ = ["recheck_exact"]

_BALL = Domain.ball(1.0)


def _exact_fields(rep, U_cert: float, node_limit: int) -> tuple[float, dict]:
    """U and the ``lipschitz`` entries of branch and bound: U is the smaller certified
    number (the closed bracket's upper end, or the certificate's ``U_cert``)."""
    if rep.bnb is None:
        return U_cert, {"exact": None}
    b = rep.bnb
    out = {"exact": rep.exact, "bnb": {"nodes": b["nodes"], "seconds": b["seconds"],
                                       "gap": rep.gap, "status": b["status"],
                                       "lower": rep.lower, "upper": rep.upper,
                                       "node_limit": int(node_limit)}}
    if rep.exact is None:
        return U_cert, out
    out["witness"] = rep.lower_witness.to_dict()
    return min(U_cert, float(rep.upper)), out


def recheck_exact(net: TwoLayerNet, rec: dict, *, X=None, node_limit: int | None = None,
                  seed: int = 0) -> list[str]:
    r"""Re-check the closed bracket of one record from the saved weights; returns the
    failures (empty when it re-verifies).

    1. The witness (``lipschitz.witness``) re-verified from scratch
       (:meth:`numerics.lipschitz.witness.Witness.verify`, certified rounding) must give
       at least the recorded ``lipschitz.exact``: the lower end.
    2. Branch and bound re-run from the weights, seeded with that witness, under
       ``node_limit`` nodes and no time limit (default: 4 x the record's node budget, at
       least 50; deterministic, so the outcome does not depend on the machine): its
       certified upper bound must be <= the recorded U (``upper``): the upper end. The
       branch-and-bound tree is the upper certificate, so it is recomputed, not stored.

    Examples
    --------
    >>> from numerics.lipschitz import lipschitz_report
    >>> rng = np.random.default_rng(0)
    >>> net = TwoLayerNet(rng.standard_normal(6), rng.standard_normal((6, 3)),
    ...                   rng.standard_normal(6), "relu")
    >>> rep = lipschitz_report(net, _BALL, exact="bnb", time_limit=None, node_limit=50, seed=0)
    >>> U, lip = _exact_fields(rep, rep.upper * 1.5, 50)
    >>> rec = {"upper": U, "lipschitz": lip}
    >>> U == rep.upper, lip["bnb"]["status"], recheck_exact(net, rec)
    (True, 'closed', [])
    >>> recheck_exact(net, dict(rec, upper=U * 0.999))[0][:31]
    're-run branch and bound: upper '
    """
    from numerics.lipschitz.bnb import branch_and_bound_lipschitz
    from numerics.lipschitz.norms import _as_p
    from numerics.lipschitz.witness import Witness

    lip = rec.get("lipschitz") or {}
    ex, wd, U = lip.get("exact"), lip.get("witness"), rec.get("upper")
    if ex is None or wd is None or U is None:
        return ["closed bracket without its exact value, witness or U"]
    bad = []
    w = Witness(wd["kind"], np.asarray(wd["points"], dtype=float), float(wd["value"]),
                _as_p(wd.get("p", 2)))
    try:
        v = w.verify(net, _BALL)
    except ValueError as exc:
        v = None
        bad.append(f"witness does not verify: {exc}")
    if v is not None and v < float(ex):
        bad.append(f"witness re-verifies to {v!r} < exact {ex!r}")
    if node_limit is None:
        budget = int((lip.get("bnb") or {}).get("node_limit") or 0)
        node_limit = max(50, 4 * budget)
    res = branch_and_bound_lipschitz(net, _BALL, seed=seed, X=X, time_limit=None,
                                     node_limit=node_limit,
                                     witness=w if v is not None else None)
    if res.upper > float(U):
        bad.append(f"re-run branch and bound: upper {res.upper!r} > U {U!r} "
                   f"({res.status}, {res.nodes} nodes)")
    return bad
