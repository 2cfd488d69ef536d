r"""Network models: what every estimator, certificate and construction takes or returns.

- :mod:`~numerics.models.network`: :class:`TwoLayerNet`, the two-layer network
  :math:`f(x) = \sum_\ell a_\ell \psi(w_\ell\cdot x + b_\ell)`, and
  :class:`VectorTwoLayerNet`, m outputs :math:`x \mapsto A\psi(Wx + b)`;
- :mod:`~numerics.models.deep`: :class:`DeepReLUNet`, a deep ReLU network;
- :mod:`~numerics.models.multilayer`: :class:`MultiLayerClassifier`, a multi-class
  network with per-layer weights (the S4 weight-perturbation setting);
- :mod:`~numerics.models.init`: He-type random initializations (S1).

The models share one small protocol: ``values(X)``, ``gradients(X)``, ``save`` /
``load`` (``.npz``) and validation when built. May import :mod:`theory` and the
root plumbing of :mod:`numerics` (``_validate``, ``data``, ``domain``); nothing
else in :mod:`numerics`.
"""

from numerics.models.deep import DeepReLUNet  # noqa: F401
from numerics.models.init import (  # noqa: F401
    BIAS_KINDS,
    gradient_covariance,
    he_deep,
    he_layers,
    he_two_layer,
)
from numerics.models.multilayer import (  # noqa: F401  # noqa: F401
    MultiLayerClassifier,
    batched_backward,
    batched_forward,
    inf_norm,
    margin_and_weight_gradients,
)
from numerics.models.network import (  # noqa: F401
    TwoLayerNet,
    VectorTwoLayerNet,
    load_network,
)

__all__ = [
    "BIAS_KINDS",
    "DeepReLUNet",
    "MultiLayerClassifier",
    "TwoLayerNet",
    "VectorTwoLayerNet",
    "batched_backward",
    "batched_forward",
    "gradient_covariance",
    "he_deep",
    "he_layers",
    "he_two_layer",
    "inf_norm",
    "load_network",
    "margin_and_weight_gradients",
]
