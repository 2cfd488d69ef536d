r"""Tests of numerics.lipschitz.witness: re-verification catches moved, outside and kink witnesses.
"""

import math

import numpy as np
import pytest

from numerics.domain import Domain
from numerics.lipschitz import (
    Witness,
    gradient_lower_bound,
    pair_lower_bound,
)
from numerics.models import TwoLayerNet


def test_moved_witness_caught():
    net = TwoLayerNet([1.0, 2.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
    dom = Domain.ball(1.0)
    v, w = gradient_lower_bound(net, dom, seed=0)
    assert v == pytest.approx(math.sqrt(5), rel=1e-9)
    moved = Witness("point", w.points * np.array([[1.0, -1.0]]), v)  # second neuron off
    assert moved.verify(net, dom) != pytest.approx(v, rel=1e-6)
    outside = Witness("point", np.array([[2.0, 2.0]]), v)
    with pytest.raises(ValueError, match="witness"):
        outside.verify(net, dom)
    on_kink = Witness("point", np.array([[0.0, 0.5]]), v)
    with pytest.raises(ValueError, match="kink"):
        on_kink.verify(net, dom)
    X = np.array([[0.5, 0.5], [-0.5, -0.5], [0.1, -0.7]])
    pv, pw = pair_lower_bound(net, X, dom)
    other = [x for x in X if not np.any(np.all(pw.points == x, axis=1))][0]
    swapped = Witness("pair", np.stack([pw.points[0], other]), pv)
    assert swapped.verify(net, dom) != pytest.approx(pv, rel=1e-6)


def test_witness_checks():
    net = TwoLayerNet([1.0], [[1.0, 0.0]], [0.0], "relu")
    on_kink = Witness("point", np.array([[0.0, 1.0]]), 1.0, 2.0)
    with pytest.raises(ValueError, match="kink"):
        on_kink.verify(net)
    outside = Witness("pair", np.array([[3.0, 0.0], [0.0, 0.0]]), 1.0, 2.0)
    with pytest.raises(ValueError, match="outside"):
        outside.verify(net, Domain.ball(1.0))
    same = Witness("pair", np.array([[0.5, 0.0], [0.5, 0.0]]), 1.0, 2.0)
    with pytest.raises(ValueError, match="coincide"):
        same.verify(net)
    with pytest.raises(ValueError, match="kind"):
        Witness("blob", np.zeros((1, 2)), 0.0, 2.0).verify(net)
