r""":func:`numerics.lipschitz.report.lipschitz_report` for networks with m outputs
(:class:`numerics.models.VectorTwoLayerNet`): the :math:`\ell_2` operator-norm constant
:math:`\sup_x\|J(x)\|_{op}` bracketed by a witnessed lower bound
(:mod:`numerics.lipschitz.vector_search`), the block LipSDP and closed-form upper bounds
(:mod:`numerics.lipschitz.vector_lipsdp`) and, with ``exact=True``/``"bnb"``, branch and
bound (:mod:`numerics.lipschitz.vector_bnb`). m = 1 networks never get here: the report
treats them as the scalar :class:`~numerics.models.TwoLayerNet` they are (same numbers).

Examples
--------
>>> from numerics.models import VectorTwoLayerNet
>>> from numerics.domain import Domain
>>> net = VectorTwoLayerNet([[1.0, 0.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, 1.0]], None, "relu")
>>> rep = vector_report(net, Domain.ball(1.0), exact="bnb", seed=0)
>>> round(rep.lower, 9), round(rep.upper, 9), round(rep.exact, 9)
(2.0, 2.0, 2.0)
"""

from __future__ import annotations

import time

from numerics._validate import as_finite_float, as_matrix, as_positive_int
from numerics.domain import Domain
from numerics.lipschitz._args import check_domain
from numerics.lipschitz.bnb import _check_budget, pl_slopes
from numerics.lipschitz.norms import _as_p
from numerics.lipschitz.report_types import EXACT_MODES, assemble_report
from numerics.lipschitz.vector_bnb import vector_branch_and_bound
from numerics.lipschitz.vector_lipsdp import (
    proxy_net,
    vector_closed_form_bound,
    vector_lipsdp_upper_bound,
)
from numerics.lipschitz.vector_search import vector_lower_bound
from numerics.models import VectorTwoLayerNet

__all__ = ["vector_report"]


def _check_bnb(net: VectorTwoLayerNet, domain: Domain) -> None:
    if not net.activation.is_piecewise_linear:
        raise ValueError("exact: branch and bound (exact=True or 'bnb') needs a "
                         f"piecewise-linear activation (relu, leaky relu, abs), got {net.spec}")
    try:
        pl_slopes(proxy_net(net))
    except ValueError as exc:
        raise ValueError("exact: " + str(exc).removeprefix("net: ")) from None
    if domain.kind == "sphere":
        raise ValueError("domain: branch and bound for m outputs handles R^d and balls")


def vector_report(net: VectorTwoLayerNet, domain: Domain | None = None, p=2, *, X=None,
                  seed=0, exact="auto", n_random: int = 256, lipsdp: bool = True,
                  time_limit: float | None = 60.0, node_limit: int | None = None,
                  rtol: float = 1e-9):
    """The report for m >= 2 outputs (arguments as ``lipschitz_report``; only p = 2)."""
    if _as_p(p) != 2.0:
        raise ValueError(f"p: networks with m outputs are handled for the l2 norm only "
                         f"(the operator norm of the Jacobian), got {p!r}")
    domain = check_domain(domain, net.d, 2.0)
    if not any(exact is m or (isinstance(m, str) and isinstance(exact, str) and exact == m)
               for m in EXACT_MODES):
        raise ValueError(f"exact: expected 'auto', 'enumerate', True, 'bnb' or False, "
                         f"got {exact!r}")
    tl, nl = _check_budget(time_limit, node_limit)
    rtol = as_finite_float(rtol, "rtol", nonnegative=True)
    n_random = as_positive_int(n_random, "n_random", minimum=0)
    X = None if X is None else as_matrix(X, "X", cols=net.d)
    use_bnb = exact is True or (isinstance(exact, str) and exact == "bnb")
    if use_bnb:
        _check_bnb(net, domain)
    t0 = time.perf_counter()
    lowers = {}
    v, w = vector_lower_bound(net, domain, X=X, seed=seed, n_random=n_random)
    if w is not None:
        lowers["jacobian"] = (v, w)
    uppers = {"closed_form": vector_closed_form_bound(net, domain)}
    if lipsdp:
        res = vector_lipsdp_upper_bound(net, domain)
        if res is not None and res.certified:
            uppers["lipsdp_block"] = float(res.value)
    ex, reason, bnb = None, "", None
    if exact in ("auto", "enumerate") and not use_bnb:
        reason = "not attempted (networks with m outputs: exact='bnb' runs branch and bound)"
    if use_bnb:
        r = vector_branch_and_bound(net, domain, time_limit=tl, node_limit=nl, rtol=rtol,
                                    seed=seed, lower_search=False, X=X, witness=w)
        if r.witness is not None:
            lowers["branch_and_bound"] = (r.lower, r.witness)
        uppers["branch_and_bound"] = float(r.upper)
        bnb = r.to_dict()
        bnb.pop("witness", None)
    return assemble_report(domain, lowers, uppers, exact=ex, reason=reason, bnb=bnb,
                           rtol=rtol, t0=t0, p=2.0)
