r"""Lipschitz bounds specific to deep ReLU networks (:class:`numerics.models.DeepReLUNet`).

The lower-bound search of :func:`numerics.lipschitz.search.lp_lower_bound` serves deep
networks as well; here is the product-of-norms upper bound.
"""

from __future__ import annotations

import numpy as np

from numerics import rounding
from numerics.lipschitz.norms import dual_exponent, lp_norm, operator_norm_bound
from numerics.models import DeepReLUNet

__all__ = ["product_norm_upper_bound"]


def product_norm_upper_bound(net: DeepReLUNet, p=2) -> float:
    r"""Certified upper bound on :math:`\mathrm{Lip}_p(f)` on :math:`\mathbb R^d`
    (input norm :math:`\ell_p`, :math:`p \in \{1, 2, \infty\}`, output
    absolute value).

    relu acts coordinatewise and is 1-Lipschitz in every coordinate, so it is
    1-Lipschitz for every :math:`\ell_r` norm. Composing the layers with an
    intermediate norm :math:`\ell_r`,

    .. math::

        |f(x) - f(x')| \le \|a\|_{r^*}\, \prod_{\ell=2}^{L}\|W_\ell\|_{r\to r}\,
        \|W_1\|_{p\to r}\, \|x - x'\|_p ,

    (Hölder for the last step). Returned: the minimum over :math:`r = p`
    (:math:`\|W_1\|_{p\to p}`) and :math:`r = 2` (spectral norms, with
    :math:`\|W_1\|_{p\to 2}` or a proved upper bound of it, see
    :func:`numerics.lipschitz.norms.operator_norm_bound`). For p = 2 this is
    :math:`\|a\|_2\prod_\ell\|W_\ell\|_{op}` (Gamba et al. 2023's upper
    bound).

    Examples
    --------
    >>> net = DeepReLUNet([1.0, 1.0], [[[3.0, 0.0], [0.0, 4.0]]])
    >>> round(product_norm_upper_bound(net, 2), 6), round(product_norm_upper_bound(net, 1), 9)
    (5.656854, 4.0)
    """
    q = dual_exponent(p)
    p = dual_exponent(q)
    best = np.inf
    for r in sorted({p, 2.0}):
        rs = dual_exponent(r)
        na = rounding.round_up_bound(float(lp_norm(net.a[None, :], rs)[0]), 2 * net.a.size + 4)
        val = na * operator_norm_bound(net.weights[0], p, r)
        for W in net.weights[1:]:
            val *= operator_norm_bound(W, r, r)
        best = min(best, rounding.round_up_bound(val, 2 * net.depth + 4))
    return float(best)
