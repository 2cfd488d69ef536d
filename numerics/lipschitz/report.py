r"""One report for every norm: :func:`lipschitz_report` brackets :math:`\mathrm{Lip}_{p,\Omega}(f)`.

For :math:`p = 2` and a two-layer network the lower bound is the best of the
data-pair quotient and the gradient search of
:func:`numerics.lipschitz.search.gradient_lower_bound`, the upper bound the smallest
of the spectral, path-norm, centred and LipSDP bounds; for :math:`p \in \{1,
\infty\}` (and for deep networks) the lower bound comes from
:func:`numerics.lipschitz.search.lp_lower_bound` and the upper bound from the
:math:`\ell_p` forms of :mod:`numerics.lipschitz.upper` (two-layer) or the
product-of-norms bound (deep). Exact values by enumeration
(:mod:`numerics.lipschitz.exact`) for piecewise-linear two-layer networks, d <= 3.

Examples
--------
>>> from numerics.models import TwoLayerNet
>>> from numerics.domain import Domain
>>> net = TwoLayerNet([2.0], [[3.0, 4.0]], [0.0], "relu")
>>> rep = lipschitz_report(net, Domain.ball(1.0), seed=0)
>>> round(rep.lower, 9), round(rep.upper, 9), round(rep.exact, 9)
(10.0, 10.0, 10.0)
>>> net = TwoLayerNet([1.0], [[1.0, -2.0, 3.0]], [0.0], "relu")
>>> rep = lipschitz_report(net, Domain.rd(), p="inf", seed=0)
>>> round(rep.lower, 9), round(rep.upper, 9)
(6.0, 6.0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from numerics._validate import as_matrix, as_positive_int, as_rng
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net, two_layer
from numerics.lipschitz.deep import product_norm_upper_bound
from numerics.lipschitz.exact import degenerate_reason, exact_lp_lipschitz, exact_relu_lipschitz
from numerics.lipschitz.lipsdp import lipsdp_upper_bound
from numerics.lipschitz.norms import _as_p, _p_label, dual_exponent
from numerics.lipschitz.search import _gradient_search, _lp_search, _pair_search
from numerics.lipschitz.upper import (
    UPPER_BOUND_PROVIDERS,
    box_upper_bound_lp,
    centered_upper_bound,
    conversion_upper_bound_lp,
    operator_upper_bound_lp,
    path_norm_upper_bound,
    path_norm_upper_bound_lp,
    spectral_upper_bound,
)
from numerics.lipschitz.witness import Witness
from numerics.models import DeepReLUNet

__all__ = ["InconsistentBoundsError", "LipschitzReport", "lipschitz_report"]


class InconsistentBoundsError(ArithmeticError):
    """A certified lower bound exceeds a certified upper bound: one of them is wrong
    (a bug, never a property of the input)."""


@dataclass
class LipschitzReport:
    r"""Certified bracket of :math:`\mathrm{Lip}_{p,\Omega}(f)`.

    ``lower`` is attained at ``lower_witness`` (re-verify with
    ``lower_witness.verify(net, domain)``); ``upper`` is the smallest of the
    proved bounds in ``uppers``; ``exact`` is the enumerated value (None when
    not computed, with ``exact_reason``); ``p`` the input norm's exponent.
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
        ``domain``, ``witness``."""
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
        lines.append(f"seconds     {self.seconds:.3f}")
        return "\n".join(lines)


def _l2_lowers(net, domain, X, seed, n_random, steps, polish_top) -> dict:
    """name -> (value, witness) of the p = 2 two-layer lower bounds."""
    lowers = {}
    if X is not None:
        v, w = _pair_search(net, X, domain, 2.0)
        if w is not None:
            lowers["pair"] = (v, w)
    n_random = as_positive_int(n_random, "n_random", minimum=0)
    v, w = _gradient_search(net, domain, X, n_random=n_random, steps=steps,
                            polish_top=polish_top, polish_rounds=20, kicks=3, lp_top=4,
                            n_vertex=1024, rng=as_rng(seed))
    if w is not None:
        lowers["gradient"] = (v, w)
    return lowers


def _l2_uppers(net, domain, lipsdp: bool) -> dict:
    """name -> value of the p = 2 two-layer upper bounds."""
    uppers = {
        "spectral": spectral_upper_bound(net, domain),
        "path_norm": path_norm_upper_bound(net, domain),
        "centered": centered_upper_bound(net, domain),
    }
    if lipsdp:
        res = lipsdp_upper_bound(net, domain)
        if res is not None and res.certified:
            uppers["lipsdp"] = float(res.value)
    for name, provider in UPPER_BOUND_PROVIDERS.items():
        val = provider(net, domain)
        if val is not None:
            uppers[name] = float(val)
    return uppers


def _lp_lowers(net, domain, p, X, seed, n_random, n_starts, steps) -> dict:
    lowers = {}
    if X is not None:
        v, w = _pair_search(net, X, domain, p)
        if w is not None:
            lowers["pair"] = (v, w)
    v, w, method = _lp_search(net, domain, p, X,
                              n_samples=as_positive_int(n_random, "n_random", minimum=0),
                              n_starts=as_positive_int(n_starts, "n_starts", minimum=0),
                              steps=as_positive_int(steps, "steps", minimum=0), polish_rounds=10,
                              rng=as_rng(seed))
    if w is not None:
        lowers[method] = (v, w)
    return lowers


def _lp_uppers(two, net, domain, p) -> dict:
    if two is None:
        return {"product_norm": product_norm_upper_bound(net, p)}
    uppers = {"path_norm": path_norm_upper_bound_lp(two, domain, p),
              "operator_norm": operator_upper_bound_lp(two, domain, p),
              "l2_conversion": conversion_upper_bound_lp(two, domain, p)}
    box = box_upper_bound_lp(two, domain, p)
    if box is not None:
        uppers["box"] = box
    return uppers


def _exact(two, domain, p, exact) -> tuple[float | None, str]:
    """The enumerated value (or None) and the reason when there is none."""
    pl = two is not None and two.activation.is_piecewise_linear and two.d <= 3
    if not (exact is True or (exact == "auto" and pl)):
        if exact == "auto":
            return None, "not attempted (needs a piecewise-linear two-layer network, d <= 3)"
        return None, ""
    if two is None:
        return None, "region enumeration is implemented for two-layer networks only"
    if not pl:
        return None, "exact enumeration needs a piecewise-linear activation and d <= 3"
    if p != 2.0:
        return exact_lp_lipschitz(two, domain, p)
    res = exact_relu_lipschitz(two, domain)
    if res is None:
        return None, (degenerate_reason(two.W, two.b, domain)
                      or "arrangement too degenerate or too large to enumerate")
    return res.value, ""


def lipschitz_report(net, domain: Domain | None = None, p=2, *, X=None, seed=0,
                     exact: str | bool = "auto", n_random: int = 256, steps: int | None = None,
                     polish_top: int = 64, n_starts: int = 16,
                     lipsdp: bool = True) -> LipschitzReport:
    r"""Bracket :math:`\mathrm{Lip}_{p,\Omega}(f)` with certified bounds.

    Parameters
    ----------
    net : TwoLayerNet or DeepReLUNet
    domain : Domain, default R^d
        The sphere (geodesic metric) only for p = 2.
    p : {1, 2, inf}
        The input norm.
    X : array_like (n, d), optional
        Data: used for the pair quotient and as extra search starts.
    seed : int or Generator
    exact : {"auto", True, False}
        Enumerate linear regions ("auto": when the network is a piecewise-linear
        two-layer network with d <= 3).
    n_random, steps, polish_top, n_starts : int
        Search effort: random starts, ascent steps (default 60 for p = 2 two-layer
        networks, 40 otherwise), points polished over neighbouring patterns (p = 2),
        starts of the pair-quotient ascent (p != 2 and deep networks).
    lipsdp : bool
        p = 2: include the LipSDP-Neuron bound (:mod:`numerics.lipschitz.lipsdp`;
        docs/mathematics.md#lipsdp-reduction; the final value certified by a
        Cholesky test of the matrix inequality) among the upper bounds.

    Examples
    --------
    >>> from numerics.models import TwoLayerNet
    >>> from numerics.domain import Domain
    >>> net = TwoLayerNet([1.0, 1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> rep = lipschitz_report(net, Domain.sphere(), seed=1)
    >>> round(rep.exact, 9), rep.lower <= rep.exact <= rep.upper
    (1.0, True)
    >>> net = TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
    >>> rep = lipschitz_report(net, Domain.ball(), p="inf", seed=0)
    >>> round(rep.lower, 9), round(rep.exact, 9), round(rep.upper, 9)
    (2.0, 2.0, 2.0)
    """
    net = check_net(net, deep=True)
    p = _as_p(p)
    domain = check_domain(domain, net.d, p, net)
    if exact not in ("auto", True, False):
        raise ValueError(f"exact: expected 'auto', True or False, got {exact!r}")
    t0 = time.perf_counter()
    if X is not None:
        X = as_matrix(X, "X", cols=net.d)
    two = None if isinstance(net, DeepReLUNet) and net.depth > 1 else two_layer(net)
    if p == 2.0 and two is not None:  # a depth-1 DeepReLUNet is the two-layer net it is
        lowers = _l2_lowers(two, domain, X, seed, n_random, 60 if steps is None else steps,
                            polish_top)
        uppers = _l2_uppers(two, domain, lipsdp)
    else:
        lowers = _lp_lowers(net, domain, p, X, seed, n_random, n_starts,
                            40 if steps is None else steps)
        uppers = _lp_uppers(two, net, domain, p)
    ex, reason = _exact(two, domain, p, exact)
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
    return LipschitzReport(domain=domain, lower=float(lower), lower_witness=lw,
                           lower_method=best, upper=float(uppers[up_name]),
                           upper_method=up_name, uppers=uppers,
                           lowers={k: float(v[0]) for k, v in lowers.items()}, exact=ex,
                           exact_reason=reason, seconds=time.perf_counter() - t0, p=p)
