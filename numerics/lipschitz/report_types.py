"""The result types of :func:`numerics.lipschitz.report.lipschitz_report`: the report, its
exact modes and the error raised when certified bounds contradict each other (their own
module, so that :mod:`numerics.lipschitz.vector_report` builds reports without importing
the report module that dispatches to it)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numerics.domain import Domain
from numerics.lipschitz.norms import _p_label, dual_exponent
from numerics.lipschitz.witness import Witness

__all__ = ["EXACT_MODES", "InconsistentBoundsError", "LipschitzReport", "assemble_report"]


#: The values of ``lipschitz_report(..., exact=)``: False (none), "auto" (enumeration
#: where it is cheap), "enumerate" (enumeration, d <= 3), True and "bnb" (branch and bound).
EXACT_MODES = (False, "auto", "enumerate", True, "bnb")


class InconsistentBoundsError(ArithmeticError):
    """A certified lower bound exceeds a certified upper bound: one of them is wrong
    (a bug, never a property of the input)."""


@dataclass
class LipschitzReport:
    r"""Certified bracket of :math:`\mathrm{Lip}_{p,\Omega}(f)`.

    ``lower`` is attained at ``lower_witness`` (re-verify with
    ``lower_witness.verify(net, domain)``); ``upper`` is the smallest of the
    proved bounds in ``uppers``; ``exact`` is the enumerated value, or with branch
    and bound the closed bracket's lower end (None when not computed or not closed,
    with ``exact_reason``); ``p`` the input norm's exponent. With branch and bound,
    ``nodes`` is the number of nodes it bounded and ``bnb`` its summary (status,
    seconds, its own bracket, open nodes); ``seconds`` is always the whole report's
    time, branch and bound included.
    """

    domain: Domain
    lower: float
    lower_witness: Witness | None
    lower_method: str
    upper: float
    upper_method: str
    uppers: dict = field(default_factory=dict)
    lowers: dict = field(default_factory=dict)
    exact: float | None = None
    exact_reason: str = ""
    seconds: float = 0.0
    p: float = 2.0
    nodes: int | None = None
    bnb: dict | None = None

    @property
    def gap(self) -> float:
        """The relative open gap ``upper / lower - 1`` (0 when both are 0, inf when
        only lower is)."""
        if self.lower <= 0:
            return 0.0 if self.upper <= 0 else float("inf")
        return self.upper / self.lower - 1

    @property
    def q(self) -> float:
        """The dual exponent."""
        return dual_exponent(self.p)

    @property
    def bracket(self) -> float:
        """``upper / lower`` (inf when lower is 0)."""
        return self.upper / self.lower if self.lower > 0 else float("inf")

    def to_dict(self) -> dict:
        """JSON-friendly dict with at least ``p``, ``lower``, ``upper``, ``exact``,
        ``domain``, ``witness``, ``nodes`` (None without branch and bound), ``seconds``,
        ``gap`` and ``bnb``."""
        def fin(v):
            return None if v is None or not np.isfinite(v) else float(v)

        return {
            "p": _p_label(self.p),
            "q": _p_label(self.q),
            "domain": self.domain.kind,
            "radius": self.domain.radius,
            "lower": float(self.lower),
            "lower_method": self.lower_method,
            "lowers": {k: float(v) for k, v in self.lowers.items()},
            "witness": None if self.lower_witness is None else self.lower_witness.to_dict(),
            "upper": fin(self.upper),
            "upper_method": self.upper_method,
            "uppers": {k: fin(v) for k, v in self.uppers.items()},
            "bracket": fin(self.bracket),
            "exact": fin(self.exact),
            "exact_reason": self.exact_reason,
            "seconds": round(self.seconds, 6),
            "nodes": self.nodes,
            "gap": fin(self.gap),
            "bnb": None if self.bnb is None else dict(self.bnb),
        }

    def summary(self) -> str:
        """A few human-readable lines."""
        ex = "not computed" if self.exact is None else f"{self.exact:.6g}"
        lines = [
            f"domain      {self.domain.label}",
            f"norm        l_{_p_label(self.p)}",
            f"lower       {self.lower:.6g}   ({self.lower_method}; witness: "
            f"{self.lower_witness.kind if self.lower_witness else 'none'})",
            f"upper       {self.upper:.6g}   ({self.upper_method})",
            f"exact       {ex}" + (f"   ({self.exact_reason})" if self.exact_reason else ""),
            f"upper/lower {self.bracket:.4g}",
        ]
        for k, v in self.uppers.items():
            lines.append(f"  upper[{k}] = {v:.6g}")
        if self.bnb is not None:
            lines.append(f"branch and bound: {self.bnb['status']}, {self.nodes} nodes, "
                         f"{self.bnb['seconds']:.3g} s, relative gap {self.gap:.3g}")
        lines.append(f"seconds     {self.seconds:.3f}")
        return "\n".join(lines)


def assemble_report(domain: Domain, lowers: dict, uppers: dict, *, exact, reason: str,
                    bnb: dict | None, rtol: float, t0: float, p: float) -> LipschitzReport:
    """The report from its named certified bounds (``lowers``: name -> (value, witness),
    ``uppers``: name -> value): the best of each side; lower > upper raises
    :class:`InconsistentBoundsError` naming both; with branch and bound (``bnb`` its
    summary) ``exact`` is the lower end when the bracket closed to ``rtol``, else None
    with the open gap as the reason. ``t0``: the report's start (``time.perf_counter``)."""
    import time

    if lowers:
        best = max(lowers, key=lambda k: lowers[k][0])
        lower, lw = lowers[best]
    else:
        best, lower, lw = "none", 0.0, None
    up_name = min(uppers, key=uppers.get)
    if lower > uppers[up_name]:
        raise InconsistentBoundsError(
            f"certified lower bound {lower!r} ({best}) exceeds certified upper bound "
            f"{uppers[up_name]!r} ({up_name}): a bug in one of them, please report it")
    if bnb is not None:
        closed = uppers[up_name] <= lower * (1 + rtol)
        exact = float(lower) if closed else None
        reason = "" if closed else (
            f"branch and bound: {bnb['status']} after {bnb['nodes']} nodes, relative gap "
            f"{uppers[up_name] / lower - 1 if lower > 0 else float('inf'):.3g}")
    return LipschitzReport(domain=domain, lower=float(lower), lower_witness=lw,
                           lower_method=best, upper=float(uppers[up_name]),
                           upper_method=up_name, uppers=uppers,
                           lowers={k: float(v[0]) for k, v in lowers.items()}, exact=exact,
                           exact_reason=reason, seconds=time.perf_counter() - t0, p=p,
                           nodes=None if bnb is None else int(bnb["nodes"]), bnb=bnb)
