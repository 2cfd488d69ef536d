"""robustlaw: the symbolic and numerical companion to the law of robustness.

The front door: this package re-exports the public API of :mod:`theory`
(sympy: bounds, derivations, symbols) and :mod:`numerics` (numpy/scipy:
networks, data, Lipschitz brackets, certificates, constructions). It holds no
logic of its own.

Examples
--------
>>> import numpy as np
>>> import robustlaw as rl
>>> net = rl.TwoLayerNet([1.0, -1.0], [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0], "relu")
>>> rep = rl.lipschitz_report(net, rl.Domain.ball(1.0), seed=0)
>>> bool(rep.lower <= rep.upper)
True
>>> rl.get_bound("R1").status
'proved'
"""

from __future__ import annotations

from importlib import metadata as _metadata

from numerics.certify import Certificate, certify, energy_certificate
from numerics.construct import (
    CONSTRUCTIONS,
    c1_one_neuron_per_point,
    c2_cap_ramps,
    c3_baum,
    c4_grouped_min_norm,
    construct,
    memorize,
    ramp_memorizer,
)
from numerics.data import Dataset, gaussian_data, random_dataset, sphere_data
from numerics.domain import Domain
from numerics.lipschitz import InconsistentBoundsError, LipschitzReport, Witness, lipschitz_report
from numerics.models import TwoLayerNet, VectorTwoLayerNet
from numerics.shipped_data import load_digits_dataset, two_moons
from theory.bounds import Bound, all_bounds, get_bound

try:
    __version__ = _metadata.version("robustlaw")
except _metadata.PackageNotFoundError:  # pragma: no cover - source tree without install
    __version__ = "0+unknown"

__all__ = [
    "CONSTRUCTIONS",
    "Bound",
    "Certificate",
    "Dataset",
    "InconsistentBoundsError",
    "Domain",
    "LipschitzReport",
    "TwoLayerNet",
    "VectorTwoLayerNet",
    "Witness",
    "__version__",
    "all_bounds",
    "c1_one_neuron_per_point",
    "c2_cap_ramps",
    "c3_baum",
    "c4_grouped_min_norm",
    "certify",
    "construct",
    "energy_certificate",
    "gaussian_data",
    "get_bound",
    "lipschitz_report",
    "load_digits_dataset",
    "memorize",
    "ramp_memorizer",
    "random_dataset",
    "sphere_data",
    "strategies",
    "two_moons",
]


def __getattr__(name: str):
    # The hypothesis strategies need the ``test`` extra; import them on first use.
    if name == "strategies":
        import numerics.strategies as strategies

        return strategies
    raise AttributeError(f"module 'robustlaw' has no attribute {name!r}")
