r"""He-type random initialization of ReLU networks, with symmetric biases.

Normalization (docs/mathematics.md#s1-random-relu-networks, after Geuchen, Telaar,
Stöger, Voigtlaender, *Upper and lower bounds for the Lipschitz constant of random neural networks*,
Inf. Inference 2025, arXiv 2311.01356; Dirksen, Finke, Geuchen, Stöger,
Voigtlaender, arXiv 2506.19695; the normalization is *inferred* from the
statement :math:`\mathrm{Lip}_2 \asymp \sqrt d` there, as the account says):

.. math::

    W_\ell \in \mathbb R^{N_\ell \times N_{\ell-1}},\ (W_\ell)_{ij}
    \sim N(0, 2/N_\ell),\qquad a \in \mathbb R^{N_L},\ a_i \sim N(0, 1),

with :math:`N_0 = d` and :math:`N_\ell` the width of hidden layer
:math:`\ell` (the number of rows of :math:`W_\ell`, i.e. the layer's *output*
width), and biases drawn independently from a symmetric distribution (by
default :math:`N(0, 2/N_\ell)`, the weights' variance; ``'uniform'`` gives
:math:`U[-\sqrt{6/N_\ell}, \sqrt{6/N_\ell}]`, same variance; ``'zero'`` gives 0).

Why this scaling (the exact expectation). For
:math:`f(x) = a^T D_L W_L \cdots D_1 W_1 x`-type ReLU networks, with
:math:`D_\ell = \mathrm{diag}(\mathbf 1[W_\ell h_{\ell-1} + b_\ell \ge 0])`,

.. math::

    \mathbb E\, \nabla f(x)\nabla f(x)^T = I_d \quad\text{exactly, for every
    fixed } x, \text{ every depth and every width,}

whenever :math:`P(w\cdot h + b = 0) = 0` (e.g. biases with a density, or
:math:`x \ne 0`). Proof: with :math:`J = D_L W_L\cdots D_1 W_1`,
:math:`\nabla f = J^T a` and :math:`\mathbb E_a aa^T = I`, so
:math:`\mathbb E\nabla f\nabla f^T = \mathbb E J^TJ`. Conditionally on the
layers below :math:`L`, :math:`\mathbb E[W_L^T D_L W_L] = \sum_i \mathbb
E[w_i w_i^T \mathbf 1[w_i\cdot h + b_i \ge 0]]`; the sign flip
:math:`(w_i, b_i) \mapsto -(w_i, b_i)` preserves the law and :math:`w_iw_i^T`
and exchanges the indicator with its complement (a.s.), so each term is
:math:`\tfrac12 \mathbb E w_iw_i^T = \tfrac1{N_L} I`, and the sum is
:math:`I`. Peeling the layers one by one gives :math:`\mathbb E J^TJ = I`.
Hence :math:`\mathbb E\|\nabla f(x)\|_2^2 = d`; for a shallow network
:math:`\nabla f(x) = \sum_\ell a_\ell D_\ell w_\ell` is a sum of :math:`N`
i.i.d. terms of covariance :math:`I/N`, so it is approximately
:math:`N(0, I_d)` when :math:`N` is large (central limit theorem), whence
:math:`\|\nabla f(x)\|_2 \approx \sqrt d` and
:math:`\|\nabla f(x)\|_1 \approx d\sqrt{2/\pi}`. With the fan-in scaling
:math:`N(0, 2/N_{\ell-1})` instead, the same computation gives
:math:`\mathbb E\nabla f\nabla f^T = (N_L/d) I` for a shallow network, which
is why the output-width scaling is the one matching :math:`\mathrm{Lip}_2
\asymp\sqrt d`.

Examples
--------
>>> net = he_two_layer(d=3, width=50, seed=0)
>>> net.k, net.d, net.spec
(50, 3, 'relu')
>>> deep = he_deep(d=3, widths=[20, 20], seed=0)
>>> deep.widths
(20, 20)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from numerics._validate import as_finite_float, as_positive_int, as_rng
from numerics.models.deep import DeepReLUNet
from numerics.models.network import TwoLayerNet

__all__ = ["BIAS_KINDS", "he_layers", "he_two_layer", "he_deep", "gradient_covariance"]

BIAS_KINDS = ("normal", "uniform", "zero")


def _bias(rng: np.random.Generator, kind: str, n: int, var: float) -> np.ndarray:
    if kind == "normal":
        return rng.standard_normal(n) * np.sqrt(var)
    if kind == "uniform":
        h = np.sqrt(3.0 * var)
        return rng.uniform(-h, h, n)
    return np.zeros(n)


def he_layers(d: int, widths: Sequence[int], seed, *, bias: str = "normal",
              bias_scale: float = 1.0) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    r"""Draw He-type weights ``(weights, biases, a)`` (see the module docstring).

    Parameters
    ----------
    d : int
        Input dimension :math:`N_0`.
    widths : sequence of int
        Hidden widths :math:`N_1, \dots, N_L` (L >= 1).
    seed : int or numpy.random.Generator
    bias : {'normal', 'uniform', 'zero'}
        Symmetric bias law, variance ``bias_scale**2 * 2 / N_l`` (0 for 'zero').
    bias_scale : float
        Multiplies the bias standard deviation (>= 0).

    Returns
    -------
    weights : list of arrays, shapes (N_l, N_{l-1})
        Entries :math:`N(0, 2/N_\ell)`.
    biases : list of arrays, shapes (N_l,)
    a : array, shape (N_L,)
        Entries :math:`N(0, 1)`.

    Examples
    --------
    >>> Ws, bs, a = he_layers(2, [4, 3], seed=1)
    >>> [W.shape for W in Ws], a.shape
    ([(4, 2), (3, 4)], (3,))
    """
    d = as_positive_int(d, "d")
    if isinstance(widths, (int, np.integer)) or len(widths) == 0:
        raise ValueError(f"widths: expected a non-empty sequence of ints, got {widths!r}")
    widths = [as_positive_int(w, "widths") for w in widths]
    if bias not in BIAS_KINDS:
        raise ValueError(f"bias: unknown kind {bias!r}; known: {BIAS_KINDS}")
    scale = as_finite_float(bias_scale, "bias_scale", nonnegative=True)
    rng = as_rng(seed)
    weights, biases, fan = [], [], d
    for n in widths:
        var = 2.0 / n
        weights.append(rng.standard_normal((n, fan)) * np.sqrt(var))
        biases.append(_bias(rng, bias, n, scale**2 * var))
        fan = n
    a = rng.standard_normal(widths[-1])
    return weights, biases, a


def he_two_layer(d: int, width: int, seed, *, bias: str = "normal",
                 bias_scale: float = 1.0) -> TwoLayerNet:
    r"""A shallow ReLU :class:`~numerics.models.network.TwoLayerNet` with He-type
    weights: :math:`W_{ij} \sim N(0, 2/N)`, :math:`a_i \sim N(0,1)`,
    symmetric biases (module docstring).

    Examples
    --------
    >>> net = he_two_layer(4, 10, seed=0, bias="zero")
    >>> bool(np.all(net.b == 0))
    True
    """
    Ws, bs, a = he_layers(d, [width], seed, bias=bias, bias_scale=bias_scale)
    return TwoLayerNet(a, Ws[0], bs[0], "relu")


def he_deep(d: int, widths: Sequence[int], seed, *, bias: str = "normal",
            bias_scale: float = 1.0) -> DeepReLUNet:
    """A :class:`~numerics.models.deep.DeepReLUNet` with He-type weights (module
    docstring).

    Examples
    --------
    >>> he_deep(2, [5, 5, 5], seed=0).depth
    3
    """
    Ws, bs, a = he_layers(d, widths, seed, bias=bias, bias_scale=bias_scale)
    return DeepReLUNet(a, Ws, bs)


def gradient_covariance(x, widths: Sequence[int], n_draws: int, seed, *,
                        bias: str = "normal") -> tuple[np.ndarray, np.ndarray]:
    r"""Monte Carlo :math:`\mathbb E\,\nabla f(x)\nabla f(x)^T` over
    ``n_draws`` independent He-type networks (exact value :math:`I_d`).

    Returns the empirical second-moment matrix (d, d) and the gradients
    (n_draws, d). Shallow networks (one hidden layer) are drawn in one batch.

    Examples
    --------
    >>> C, G = gradient_covariance([1.0, 0.0], [200], 400, seed=0)
    >>> C.shape, G.shape
    ((2, 2), (400, 2))
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"x: expected a finite non-empty 1-D array, got {x!r}")
    n_draws = as_positive_int(n_draws, "n_draws")
    if bias not in BIAS_KINDS:
        raise ValueError(f"bias: unknown kind {bias!r}; known: {BIAS_KINDS}")
    rng = as_rng(seed)
    d = x.size
    if len(widths) == 1:
        n = as_positive_int(widths[0], "widths")
        W = rng.standard_normal((n_draws, n, d)) * np.sqrt(2.0 / n)
        b = _bias(rng, bias, n_draws * n, 2.0 / n).reshape(n_draws, n)
        a = rng.standard_normal((n_draws, n))
        on = (np.einsum("tnd,d->tn", W, x) + b) >= 0
        G = np.einsum("tn,tnd->td", a * on, W)
    else:
        G = np.vstack([he_deep(d, widths, rng, bias=bias).gradient(x[None, :])
                       for _ in range(n_draws)])
    return G.T @ G / n_draws, G
