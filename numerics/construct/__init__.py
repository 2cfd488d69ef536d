"""Explicit interpolants: the constructions C1–C5, polynomial interpolants and
Waring networks, interpolating training and minimum-Lipschitz interpolation.

Every construction returns a network that interpolates exactly (checked, never
assumed) together with its certified Lipschitz upper bound. Modules:
:mod:`~numerics.construct.result` (the result types), :mod:`~numerics.construct.per_point`
(C1, C2), :mod:`~numerics.construct.grouped` (C3, C4), :mod:`~numerics.construct.polynomial`
(C5: kernel interpolants, Waring networks), :mod:`~numerics.construct.constructions` (the
registry), :mod:`~numerics.construct.fit` (interpolating training), and minimum-Lipschitz
interpolation in :mod:`~numerics.construct.min_lipschitz` (the search),
:mod:`~numerics.construct.minlip_optimize` (the local optimizer),
:mod:`~numerics.construct.minlip_moves` (continuation moves between widths) and
:mod:`~numerics.construct.minlip_certificate` (certificates and their re-verification).
May import :mod:`theory`, :mod:`numerics.models`, :mod:`numerics.lipschitz`,
:mod:`numerics.certify` (the energy certificate and its kernels) and the root plumbing;
never :mod:`numerics.experiments` or the CLI; submodules never import this face.
"""

from numerics.construct.constructions import (  # noqa: F401
    CONSTRUCTIONS,
    c5_polynomial,
    construct,
)
from numerics.construct.fit import (  # noqa: F401
    FIT_STATUSES,
    FitResult,
    fit_interpolant,
    fit_seeds,
    flops_per_evaluation,
    loss_and_gradient,
)
from numerics.construct.grouped import (  # noqa: F401
    c3_baum,
    c4_group_size,
    c4_grouped_min_norm,
    c4_lipschitz_bound,
)
from numerics.construct.memorization import (  # noqa: F401
    MemorizationResult,
    ThresholdNetwork,
    greedy_cover,
    memorize,
    memorize_multiclass,
    parameter_count,
)
from numerics.construct.memorization_geometry import (  # noqa: F401
    geometry_proxies,
    greedy_covering_number,
    hyperplane_separation,
    separation,
)
from numerics.construct.memorization_ramp import (  # noqa: F401
    RampMemorizer,
    certified_operator_norm,
    largest_ramp_width,
    ramp_condition,
    ramp_memorizer,
    ramp_network,
    structured_upper_bound,
)
from numerics.construct.min_lipschitz import (  # noqa: F401
    MinLipResult,
    min_lipschitz_interpolant,
    start_networks,
)
from numerics.construct.minlip_certificate import (  # noqa: F401
    LipCertificate,
    PointCheck,
    certify_point,
    verify_point,
)
from numerics.construct.minlip_moves import (  # noqa: F401
    average_networks,
    path_weights,
    prune_candidates,
    split_neuron,
)
from numerics.construct.minlip_optimize import (  # noqa: F401
    lipsdp_objective,
    optimize_from,
    polish_exact,
)
from numerics.construct.per_point import (  # noqa: F401
    c1_lipschitz_bound,
    c1_one_neuron_per_point,
    c2_cap_ramps,
)
from numerics.construct.polynomial import (  # noqa: F401
    KernelInterpolant,
    WaringFit,
    fit_power_network,
    gradient_energy,
    harmonic_norms,
    min_energy_interpolant,
    min_norm_interpolant,
    power_degree,
    regime_rows,
    space_dimension,
    waring_low_rank,
    waring_network,
)
from numerics.construct.result import (  # noqa: F401
    FIT_TOL,
    CertifiedUpper,
    ConstructionResult,
)

__all__ = [
    "CONSTRUCTIONS",
    "CertifiedUpper",
    "ConstructionResult",
    "FIT_STATUSES",
    "FIT_TOL",
    "FitResult",
    "KernelInterpolant",
    "LipCertificate",
    "MemorizationResult",
    "MinLipResult",
    "PointCheck",
    "RampMemorizer",
    "ThresholdNetwork",
    "WaringFit",
    "c1_lipschitz_bound",
    "c1_one_neuron_per_point",
    "c2_cap_ramps",
    "c3_baum",
    "c4_group_size",
    "c4_grouped_min_norm",
    "c4_lipschitz_bound",
    "c5_polynomial",
    "certified_operator_norm",
    "certify_point",
    "construct",
    "fit_interpolant",
    "fit_power_network",
    "fit_seeds",
    "flops_per_evaluation",
    "geometry_proxies",
    "gradient_energy",
    "greedy_cover",
    "greedy_covering_number",
    "harmonic_norms",
    "hyperplane_separation",
    "largest_ramp_width",
    "lipsdp_objective",
    "loss_and_gradient",
    "memorize",
    "memorize_multiclass",
    "min_energy_interpolant",
    "min_lipschitz_interpolant",
    "min_norm_interpolant",
    "optimize_from",
    "parameter_count",
    "path_weights",
    "polish_exact",
    "power_degree",
    "prune_candidates",
    "ramp_condition",
    "ramp_memorizer",
    "ramp_network",
    "regime_rows",
    "separation",
    "space_dimension",
    "split_neuron",
    "start_networks",
    "structured_upper_bound",
    "verify_point",
    "waring_low_rank",
    "waring_network",
]
