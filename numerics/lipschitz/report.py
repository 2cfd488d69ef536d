r"""One report for every norm: :func:`lipschitz_report` brackets :math:`\mathrm{Lip}_{p,\Omega}(f)`.

For :math:`p = 2` and a two-layer network the lower bound is the best of the
data-pair quotient and the gradient search of
:func:`numerics.lipschitz.search.gradient_lower_bound`, the upper bound the smallest
of the spectral, path-norm, centred and LipSDP bounds; for :math:`p \in \{1,
\infty\}` (and for deep networks) the lower bound comes from
:func:`numerics.lipschitz.search.lp_lower_bound` and the upper bound from the
:math:`\ell_p` forms of :mod:`numerics.lipschitz.upper` (two-layer) or the
product-of-norms bound (deep). Exact values by enumeration
(:mod:`numerics.lipschitz.exact`) for piecewise-linear two-layer networks, d <= 3
(``exact="auto"``, the default, or ``exact="enumerate"``), or, for any d, by branch
and bound over the activation arrangement (:mod:`numerics.lipschitz.bnb`;
``exact=True`` or ``exact="bnb"``, under ``time_limit`` seconds): it starts from the
report's own best point witness, and its certified bracket tightens the report's
(lower = the larger, upper = the smaller); ``exact`` is set only when that bracket
closes to ``rtol``, and ``nodes``, ``gap`` and the run's ``bnb`` summary are recorded.

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
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> net = TwoLayerNet(rng.standard_normal(12), rng.standard_normal((12, 5)),
...                   rng.standard_normal(12), "relu")
>>> rep = lipschitz_report(net, Domain.ball(1.0), exact="bnb", time_limit=30, seed=0)
>>> rep.exact is not None, rep.lower == rep.exact, rep.upper <= rep.lower * (1 + 1e-9)
(True, True, True)
>>> rep.nodes >= 1, rep.to_dict()["bnb"]["status"]
(True, 'closed')
"""

from __future__ import annotations

import time

from numerics._validate import as_finite_float, as_matrix, as_positive_int, as_rng
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain, check_net, two_layer
from numerics.lipschitz.bnb import _check_budget, branch_and_bound_lipschitz, pl_slopes
from numerics.lipschitz.deep import product_norm_upper_bound
from numerics.lipschitz.exact import degenerate_reason, exact_lp_lipschitz, exact_relu_lipschitz
from numerics.lipschitz.lipsdp import lipsdp_upper_bound
from numerics.lipschitz.norms import _as_p
from numerics.lipschitz.report_types import (  # noqa: F401  (re-exported)
    EXACT_MODES,
    InconsistentBoundsError,
    LipschitzReport,
    assemble_report,
)
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
from numerics.lipschitz.vector_report import vector_report
from numerics.models import DeepReLUNet, VectorTwoLayerNet

__all__ = ["EXACT_MODES", "InconsistentBoundsError", "LipschitzReport", "lipschitz_report"]

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
    if not (exact == "enumerate" or (exact == "auto" and pl)):
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


def _bnb_mode(exact) -> bool:
    """Whether ``exact`` asks for branch and bound (True or "bnb")."""
    return exact is True or (isinstance(exact, str) and exact == "bnb")


def _check_bnb_net(two, net) -> None:
    """ValueError naming ``exact`` unless branch and bound applies to the network."""
    if two is None:
        raise ValueError("exact: branch and bound (exact=True or 'bnb') is implemented for "
                         f"two-layer networks, got a depth-{net.depth} DeepReLUNet")
    if not two.activation.is_piecewise_linear:
        raise ValueError("exact: branch and bound (exact=True or 'bnb') needs a "
                         f"piecewise-linear activation (relu, leaky relu, abs), got {two.spec}")
    try:
        pl_slopes(two)
    except ValueError as exc:
        raise ValueError("exact: " + str(exc).removeprefix("net: ")) from None


def _tighten(lowers: dict, uppers: dict, two, domain, p, X, seed, budget, rtol) -> dict:
    """Run branch and bound seeded with the best point witness of ``lowers`` and add
    its certified bracket to ``lowers``/``uppers`` (in place); returns its summary."""
    points = {k: v for k, v in lowers.items() if v[1] is not None and v[1].kind == "point"}
    seed_w = points[max(points, key=lambda k: points[k][0])][1] if points else None
    tl, nl = budget  # validated: None (no limit) or the given value
    res = branch_and_bound_lipschitz(two, domain, p, time_limit=tl, node_limit=nl,
                                     rtol=rtol, seed=seed, lower_search=False, X=X,
                                     witness=seed_w)
    if res.witness is not None:
        lowers["branch_and_bound"] = (res.lower, res.witness)
    uppers["branch_and_bound"] = float(res.upper)
    out = res.to_dict()
    out.pop("witness", None)
    return out


def lipschitz_report(net, domain: Domain | None = None, p=2, *, X=None, seed=0,
                     exact: str | bool = "auto", n_random: int = 256, steps: int | None = None,
                     polish_top: int = 64, n_starts: int = 16,
                     lipsdp: bool = True, time_limit: float | None = 60.0,
                     node_limit: int | None = None, rtol: float = 1e-9) -> LipschitzReport:
    r"""Bracket :math:`\mathrm{Lip}_{p,\Omega}(f)` with certified bounds.

    Parameters
    ----------
    net : TwoLayerNet, DeepReLUNet or VectorTwoLayerNet
        m >= 2 outputs: the l2 operator-norm constant (p = 2 only; block LipSDP,
        witnesses (x, c), branch and bound on R^d and balls;
        :mod:`numerics.lipschitz.vector_report`); m = 1: as the TwoLayerNet it is.
    domain : Domain, default R^d
        The sphere (geodesic metric) only for p = 2.
    p : {1, 2, inf}
        The input norm.
    X : array_like (n, d), optional
        Data: used for the pair quotient and as extra search starts.
    seed : int or Generator
    exact : {"auto", "enumerate", True, "bnb", False}
        How to compute the exact value (``EXACT_MODES``):

        - ``"auto"`` (default): enumerate linear regions when the network is a
          piecewise-linear two-layer network with d <= 3, else nothing;
        - ``"enumerate"``: the enumeration (d <= 3), with a reason when it does not apply;
        - ``True`` or ``"bnb"``: branch and bound over the activation arrangement
          (:func:`numerics.lipschitz.bnb.branch_and_bound_lipschitz`), any d, under
          ``time_limit``, seeded with the report's best point witness; its certified
          bracket tightens the report's, ``exact`` is set only when the bracket closes
          (``upper <= lower (1 + rtol)``), and ``nodes``, ``gap`` and ``bnb`` are
          recorded. ValueError naming ``exact`` for deep networks and activations that
          are not piecewise linear;
        - ``False``: no exact value.
    n_random, steps, polish_top, n_starts : int
        Search effort: random starts, ascent steps (default 60 for p = 2 two-layer
        networks, 40 otherwise), points polished over neighbouring patterns (p = 2),
        starts of the pair-quotient ascent (p != 2 and deep networks).
    lipsdp : bool
        p = 2: include the LipSDP-Neuron bound (:mod:`numerics.lipschitz.lipsdp`;
        docs/mathematics.md#lipsdp-reduction; the final value certified by a
        Cholesky test of the matrix inequality) among the upper bounds.
    time_limit : float or None
        Seconds of branch and bound (>= 0; None: no limit; the root is always bounded).
        Checked for every ``exact``, used by branch and bound only.
    node_limit : int or None
        Nodes of branch and bound (None: no limit).
    rtol : float
        Branch and bound closes (and ``exact`` is set) when ``upper <= lower (1 + rtol)``.

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
    if isinstance(net, VectorTwoLayerNet):
        if net.m >= 2:
            return vector_report(net, domain, p, X=X, seed=seed, exact=exact,
                                 n_random=n_random, lipsdp=lipsdp, time_limit=time_limit,
                                 node_limit=node_limit, rtol=rtol)
        net = net.scalar()  # m = 1: the scalar network it is, the same numbers
    net = check_net(net, deep=True)
    p = _as_p(p)
    domain = check_domain(domain, net.d, p, net)
    if not any(exact is m or (isinstance(m, str) and isinstance(exact, str) and exact == m)
               for m in EXACT_MODES):
        raise ValueError(f"exact: expected 'auto', 'enumerate', True, 'bnb' or False, "
                         f"got {exact!r}")
    _check_budget(time_limit, node_limit)
    budget = (time_limit, node_limit)
    rtol = as_finite_float(rtol, "rtol", nonnegative=True)
    t0 = time.perf_counter()
    if X is not None:
        X = as_matrix(X, "X", cols=net.d)
    two = None if isinstance(net, DeepReLUNet) and net.depth > 1 else two_layer(net)
    use_bnb = _bnb_mode(exact)
    if use_bnb:
        _check_bnb_net(two, net)
    if p == 2.0 and two is not None:  # a depth-1 DeepReLUNet is the two-layer net it is
        lowers = _l2_lowers(two, domain, X, seed, n_random, 60 if steps is None else steps,
                            polish_top)
        uppers = _l2_uppers(two, domain, lipsdp)
    else:
        lowers = _lp_lowers(net, domain, p, X, seed, n_random, n_starts,
                            40 if steps is None else steps)
        uppers = _lp_uppers(two, net, domain, p)
    ex, reason = _exact(two, domain, p, exact)
    bnb = _tighten(lowers, uppers, two, domain, p, X, seed, budget, rtol) if use_bnb else None
    return assemble_report(domain, lowers, uppers, exact=ex, reason=reason, bnb=bnb,
                           rtol=rtol, t0=t0, p=p)
