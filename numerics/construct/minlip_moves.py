r"""Moves between widths for the minimum-Lipschitz search
(docs/mathematics.md#min-lipschitz-interpolation): continuation in k in both directions.

- **Up (k - 1 -> k).** :func:`split_neuron` splits the neuron with the largest path weight
  :math:`|a_\ell|\,\|w_\ell\|` into two copies with output weights :math:`a_\ell/2` each.
  Since :math:`\tfrac12 a\,\mathrm{relu}(z) + \tfrac12 a\,\mathrm{relu}(z) = a\,\mathrm{relu}(z)`,
  the function is unchanged: an exact interpolant stays exact, and the LipSDP multiplier of
  the split neuron can be shared between the copies, so the certified bound of the start is
  the same, while the optimizer gains a neuron where the function is steepest.
- **Down (k + 1 -> k).** :func:`prune_candidates` removes the least useful neuron (smallest
  path weight, the one whose removal changes the function least) and merges the two most
  parallel neurons (largest cosine between :math:`(w_i, b_i)` and :math:`(w_j, b_j)`;
  for positively parallel pairs :math:`a_i\mathrm{relu}(z_i) + a_j\mathrm{relu}(z_j)` is
  one ReLU, :math:`c\,\mathrm{relu}(\bar z)`, exactly when the pre-activations are positive
  multiples of one another). The results have k neurons and interpolate only
  approximately; the search restores exact interpolation (augmented Lagrangian + polish)
  and certifies from scratch.
- **Across (m interpolants of width k0 -> one of width m k0).** :func:`average_networks`
  is the mean :math:`\tfrac1m\sum_j f_j`: the neurons of all of them, output weights
  divided by m. If every :math:`f_j` interpolates exactly, so does the mean, and
  :math:`\mathrm{Lip}(\bar f) \le \tfrac1m\sum_j \mathrm{Lip}(f_j)`; where the
  :math:`f_j` are steep in different places (independent training seeds) the mean is
  smoother than each, which is how extra width can lower the constant.

Examples
--------
>>> import numpy as np
>>> from numerics.models import TwoLayerNet
>>> net = TwoLayerNet([2.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.5], "relu")
>>> X = np.array([[0.3, 0.2], [-0.1, 0.4]])
>>> up = split_neuron(net)
>>> up.k, bool(np.allclose(up(X), net(X)))
(3, True)
>>> [lab for lab, c in prune_candidates(up)]
['prune', 'merge']
>>> bool(np.allclose(dict(prune_candidates(up))["merge"](X), net(X)))
True
>>> avg = average_networks([net, up])
>>> avg.k, bool(np.allclose(avg(X), net(X)))
(5, True)
"""

from __future__ import annotations

import numpy as np

from numerics.models import TwoLayerNet

__all__ = ["average_networks", "path_weights", "prune_candidates", "split_neuron"]


def path_weights(net: TwoLayerNet) -> np.ndarray:
    r""":math:`|a_\ell|\,\|w_\ell\|_2` per neuron, shape (k,): the neuron's share of the
    path norm, an upper bound on the Lipschitz constant of its term.

    >>> path_weights(TwoLayerNet([2.0, -1.0], [[3.0, 4.0], [1.0, 0.0]], None, "relu")).tolist()
    [10.0, 1.0]
    """
    return np.abs(net.a) * np.linalg.norm(net.W, axis=1)


def split_neuron(net: TwoLayerNet, index: int | None = None) -> TwoLayerNet:
    """The same function with k + 1 neurons: neuron ``index`` (default: the largest path
    weight) replaced by two copies with half its output weight each."""
    i = int(np.argmax(path_weights(net))) if index is None else int(index)
    a = np.concatenate([net.a, [net.a[i] / 2]])
    a[i] = net.a[i] / 2
    return TwoLayerNet(a, np.vstack([net.W, net.W[i]]), np.concatenate([net.b, [net.b[i]]]),
                       net.activation)


def _drop(net: TwoLayerNet, i: int) -> TwoLayerNet:
    keep = np.arange(net.k) != i
    return TwoLayerNet(net.a[keep], net.W[keep], net.b[keep], net.activation)


def _merge(net: TwoLayerNet, i: int, j: int) -> TwoLayerNet:
    r"""Neurons i and j replaced by one: with :math:`\theta = (w, b)` and scales
    :math:`s = \|\theta\|`, the merged neuron has direction the weighted mean of
    :math:`\theta_i/s_i` and :math:`\theta_j/s_j` (weights :math:`|a|s`) and output
    weight :math:`(a_is_i + a_js_j)/\|\bar\theta\|`, exact when the two are positively
    parallel."""
    th = np.column_stack([net.W, net.b])
    s = np.linalg.norm(th, axis=1)
    wi, wj = abs(net.a[i]) * s[i], abs(net.a[j]) * s[j]
    tot = wi + wj if wi + wj > 0 else 1.0
    u = (wi * th[i] / max(s[i], 1e-300) + wj * th[j] / max(s[j], 1e-300)) / tot
    nu = float(np.linalg.norm(u)) or 1.0
    c = (net.a[i] * s[i] + net.a[j] * s[j]) / nu
    keep = (np.arange(net.k) != i) & (np.arange(net.k) != j)
    return TwoLayerNet(np.append(net.a[keep], c), np.vstack([net.W[keep], u[:-1]]),
                       np.append(net.b[keep], u[-1]), net.activation)


def prune_candidates(net: TwoLayerNet) -> list[tuple[str, TwoLayerNet]]:
    """k - 1 neuron starts from a k-neuron network: ``('prune', ...)`` without the neuron
    of smallest path weight, and ``('merge', ...)`` with the two most parallel neurons
    (largest cosine of :math:`(w, b)`) merged. Empty when k = 1."""
    if net.k < 2:
        return []
    out = [("prune", _drop(net, int(np.argmin(path_weights(net)))))]
    th = np.column_stack([net.W, net.b])
    n = np.linalg.norm(th, axis=1)
    U = th / np.where(n > 0, n, 1.0)[:, None]
    C = U @ U.T
    np.fill_diagonal(C, -np.inf)
    i, j = np.unravel_index(int(np.argmax(C)), C.shape)
    out.append(("merge", _merge(net, int(i), int(j))))
    return out


def average_networks(nets) -> TwoLayerNet:
    r"""The mean :math:`\tfrac1m\sum_j f_j` of m networks with the same input dimension
    and activation, as one network with :math:`\sum_j k_j` neurons.

    >>> f = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    >>> g = TwoLayerNet([3.0], [[0.0, 1.0]], [0.0], "relu")
    >>> average_networks([f, g]).a.tolist()
    [0.5, 1.5]
    >>> average_networks([])
    Traceback (most recent call last):
    ...
    ValueError: nets: needs at least one network
    """
    nets = list(nets)
    if not nets:
        raise ValueError("nets: needs at least one network")
    for j, net in enumerate(nets):
        if not isinstance(net, TwoLayerNet) or net.d != nets[0].d \
                or net.activation != nets[0].activation:
            raise ValueError(f"nets: network {j} is not a TwoLayerNet with d = {nets[0].d} "
                             f"and activation {nets[0].activation!r}")
    m = len(nets)
    return TwoLayerNet(np.concatenate([net.a / m for net in nets]),
                       np.vstack([net.W for net in nets]),
                       np.concatenate([net.b for net in nets]), nets[0].activation)
