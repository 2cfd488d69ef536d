"""The door checks of the Lipschitz toolkit: the types of ``net``, ``domain`` and ``p``.

Networks and domains validate their contents when built (:class:`numerics.models.TwoLayerNet`,
:class:`numerics.models.DeepReLUNet`, :class:`numerics.domain.Domain`); the public functions
of this package only check that they were given one (cheap) and internal helpers check nothing.
"""

from __future__ import annotations

from numerics.domain import Domain
from numerics.lipschitz.norms import _as_p
from numerics.models import DeepReLUNet, TwoLayerNet


def check_net(net, *, deep: bool = False):
    """``net`` itself if it is a TwoLayerNet (or, with ``deep``, a DeepReLUNet); else ValueError."""
    kinds = (TwoLayerNet, DeepReLUNet) if deep else (TwoLayerNet,)
    if not isinstance(net, kinds):
        want = "a TwoLayerNet or DeepReLUNet" if deep else "a TwoLayerNet"
        raise ValueError(f"net: expected {want}, got {type(net).__name__}")
    return net


def check_domain(domain, d: int, p=2.0, net=None) -> Domain:
    """``domain`` (None means R^d) checked against the dimension and the exponent ``p``."""
    if domain is None:
        return Domain.rd()
    if not isinstance(domain, Domain):
        raise ValueError(f"domain: expected a Domain, got {type(domain).__name__}")
    if domain.kind == "sphere":
        if net is not None and not isinstance(two_layer_or_none(net), TwoLayerNet):
            raise ValueError("domain: deep networks are handled on R^d and Euclidean balls "
                             "(not the sphere)")
        if _as_p(p) != 2.0:
            raise ValueError("domain: l_p constants are implemented for R^d and Euclidean balls "
                             "(the sphere's metric is geodesic)")
        if d < 2:
            raise ValueError("domain: the sphere needs d >= 2 (S^0 has no geodesic metric)")
    return domain


def two_layer(net) -> TwoLayerNet:
    """A DeepReLUNet of depth 1 as the TwoLayerNet it is; a TwoLayerNet unchanged."""
    if isinstance(net, DeepReLUNet) and net.depth == 1:
        return net.to_two_layer()
    return check_net(net)


def two_layer_or_none(net):
    """The two-layer network a net is (a depth-1 DeepReLUNet too), else None."""
    if isinstance(net, DeepReLUNet):
        return net.to_two_layer() if net.depth == 1 else None
    return net if isinstance(net, TwoLayerNet) else None
