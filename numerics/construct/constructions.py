r"""Explicit interpolating networks: the constructions C1--C5
(docs/mathematics.md#c1-one-neuron-per-point to #c5-polynomial-interpolation).

Each construction takes data ``X`` (n, d) and labels ``y`` (n,) in
:math:`\{\pm1\}` and returns a :class:`ConstructionResult`: the
:class:`~numerics.models.network.TwoLayerNet`, whether the construction's
*exactness condition* holds on this data (and the reason when it does not),
the measured fit error :math:`\max_i |f(x_i) - y_i|`, and the certified
Lipschitz upper bounds the construction comes with (each with the domain it
holds on, its statement, or the reason it is unavailable).

=====  ==========================  ======================  ===================================
name   neurons k                   exact when              certified upper bound
=====  ==========================  ======================  ===================================
C1     n                           max x_i.x_j <= tau      Lip_B1 <= sqrt(m(1+(m-1)mu))/(1-tau)
C2     2n                          max x_i.x_j <= 1-s      Lip_S = sqrt((2-s)/s), disjoint caps
C3     3 (#groups), about 3n/d     width > 0               triangle inequality on R^d
C4     2 (#groups), group m <= d   max |u_G.x_j| <= 1/2    Lip_B1 <= 4 |U|_op^2
C5     dim of the degree-p space   n <= dim, K regular     none (the theory gives none)
=====  ==========================  ======================  ===================================

C1 and C2 need the data on the unit sphere. C5 (polynomial/tensor
interpolation with the activation :math:`t^p`) wraps
:func:`numerics.construct.polynomial.min_energy_interpolant` and
:func:`numerics.construct.polynomial.waring_network`; the theory gives no upper bound for it.

Floating point: the bounds are evaluated in double precision (norms, SVDs);
the combinatorial step of C1 (the integer ``m``) is rounded *up* so it stays
valid under rounding.

The constructions live in :mod:`numerics.construct.per_point` (C1, C2),
:mod:`numerics.construct.grouped` (C3, C4) and here (C5, the registry
:data:`CONSTRUCTIONS` and :func:`construct`).

Examples
--------
>>> from numerics.data import random_dataset
>>> from numerics.domain import Domain
>>> D = random_dataset(20, 30, seed=0)
>>> r = c1_one_neuron_per_point(D.X, D.y)
>>> r.condition_holds, r.fit_error <= 1e-9, r.net.k
(True, True, 20)
>>> r.upper_for(Domain.ball(1.0)) is not None
True
>>> r4 = c4_grouped_min_norm(D.X, D.y, group_size=2)
>>> r4.net.k, r4.condition_holds == (r4.fit_error <= 1e-9)
(20, True)
"""


from __future__ import annotations

from numerics._validate import as_positive_int
from numerics.construct.grouped import c3_baum, c4_grouped_min_norm
from numerics.construct.per_point import c1_one_neuron_per_point, c2_cap_ramps
from numerics.construct.polynomial import min_energy_interpolant, waring_network
from numerics.construct.result import FIT_TOL, ConstructionResult, _finish
from numerics.data import validate_dataset

__all__ = ["CONSTRUCTIONS", "FIT_TOL", "WARING_TOL", "c5_polynomial", "construct"]


#: Relative reproduction error below which the Waring network counts as equal
#: to its polynomial.
WARING_TOL = 1e-10


def c5_polynomial(X, y, *, degree: int = 3, homogeneous: bool = True, kind: str | None = None,
                  seed=0) -> ConstructionResult:
    r"""C5, polynomial (tensor) interpolation as a ``power:p`` network.

    The minimal-energy interpolant g of degree p (kernel of
    :mod:`numerics.construct.polynomial`; energy ``kind`` = ``'ball'`` for homogeneous g,
    ``'sphere'`` otherwise) written as a network in :math:`F_k(t^p)` by a Waring
    decomposition on a spanning set of k = dim directions
    (:func:`numerics.construct.polynomial.waring_network`):

    .. math::
        g(x) = \sum_{\ell=1}^{k} a_\ell (w_\ell\cdot x + b_\ell)^p .

    Exactness condition: an interpolant exists in the space (n at most its
    dimension and the kernel matrix non-singular; otherwise ``net`` is None and
    the reason is the kernel's) and the Waring network reproduces g to relative
    error ``WARING_TOL`` on fresh points. No certified Lipschitz upper bound
    (``bounds`` is empty; use :mod:`numerics.lipschitz.upper`).

    Examples
    --------
    >>> from numerics.data import random_dataset
    >>> D = random_dataset(12, 4, seed=0)
    >>> r = c5_polynomial(D.X, D.y, degree=3)
    >>> r.condition_holds, r.fit_error <= 1e-9, r.net.k, r.net.spec
    (True, True, 20, 'power:3')
    >>> c5_polynomial(D.X, D.y, degree=2).net is None  # 12 > dim = 10
    True
    """
    X, y = validate_dataset(X, y)
    p = as_positive_int(degree, "degree", minimum=2)
    if kind is None:
        kind = "ball" if homogeneous else "sphere"
    params = {"degree": p, "homogeneous": bool(homogeneous), "kind": kind}
    cond = "an interpolant exists in the degree-p space and the Waring network reproduces it"
    try:
        g = min_energy_interpolant(X, y, p, homogeneous=homogeneous, kind=kind)
    except ValueError as exc:
        if "kind" in str(exc).split(":")[0]:
            raise
        return _finish("C5", None, X, y, False, str(exc), cond, [], params)
    w = waring_network(g, X.shape[1], p, homogeneous=homogeneous, seed=seed)
    params.update({"energy": g.energy, "waring_relative_error": w.relative_error,
                   "waring_method": w.method})
    ok = w.relative_error <= WARING_TOL
    reason = f"Waring relative error {w.relative_error:.3g} > {WARING_TOL:g}"
    return _finish("C5", w.net, X, y, ok, reason, cond, [], params)


#: name -> construction function.
CONSTRUCTIONS = {"C1": c1_one_neuron_per_point, "C2": c2_cap_ramps, "C3": c3_baum,
                 "C4": c4_grouped_min_norm, "C5": c5_polynomial}


def construct(name: str, X, y, **kwargs) -> ConstructionResult:
    """Dispatch by name (``'C1'`` ... ``'C5'``).

    >>> import numpy as np
    >>> construct("C2", np.eye(2), np.array([1.0, 1.0])).net.k
    4
    """
    if name not in CONSTRUCTIONS:
        raise ValueError(f"name: unknown construction {name!r}; known: {sorted(CONSTRUCTIONS)}")
    return CONSTRUCTIONS[name](X, y, **kwargs)
