"""The Lipschitz toolkit: certified brackets of a network's Lipschitz constant.

``lower`` is attained at a witness the caller can re-verify; ``upper`` is proved;
``exact`` is set only where it is computed exactly. Submodules: slope ranges,
norms, witnesses, the lower-bound search, closed-form upper bounds, the LipSDP
reduction, exact enumeration and the report that combines them. May import
:mod:`theory`, :mod:`numerics.models` and the root plumbing; never
:mod:`numerics.certify`, :mod:`numerics.construct` or :mod:`numerics.experiments`.
"""

from numerics.lipschitz.l2 import (  # noqa: F401
    ExactResult,
    LipschitzReport,
    Witness,
    centered_upper_bound,
    exact_relu_lipschitz,
    gradient_lower_bound,
    lipschitz_report,
    pair_lower_bound,
    path_norm_upper_bound,
    region_gradients,
    relu_domain_upper_bound,
    slope_ranges,
    spectral_upper_bound,
)
from numerics.lipschitz.lipsdp import (  # noqa: F401
    LipSDPResult,
    NeuronSectors,
    certify_multipliers,
    lipsdp_matrix,
    lipsdp_upper_bound,
    neuron_sectors,
    reduced_matrix,
    sdp_dual_value,
    spectral_multipliers,
)
from numerics.lipschitz.lp import (  # noqa: F401
    P_VALUES,
    LpLipschitzReport,
    LpWitness,
    box_upper_bound_lp,
    conversion_upper_bound_lp,
    dual_direction,
    dual_exponent,
    exact_lp_lipschitz,
    lp_lipschitz_report,
    lp_lower_bound,
    lp_norm,
    operator_norm_bound,
    operator_upper_bound_lp,
    pair_lower_bound_lp,
    path_norm_upper_bound_lp,
)

__all__ = [
    "ExactResult",
    "LipSDPResult",
    "LipschitzReport",
    "LpLipschitzReport",
    "LpWitness",
    "NeuronSectors",
    "P_VALUES",
    "Witness",
    "box_upper_bound_lp",
    "centered_upper_bound",
    "certify_multipliers",
    "conversion_upper_bound_lp",
    "dual_direction",
    "dual_exponent",
    "exact_lp_lipschitz",
    "exact_relu_lipschitz",
    "gradient_lower_bound",
    "lipschitz_report",
    "lipsdp_matrix",
    "lipsdp_upper_bound",
    "lp_lipschitz_report",
    "lp_lower_bound",
    "lp_norm",
    "neuron_sectors",
    "operator_norm_bound",
    "operator_upper_bound_lp",
    "pair_lower_bound",
    "pair_lower_bound_lp",
    "path_norm_upper_bound",
    "path_norm_upper_bound_lp",
    "reduced_matrix",
    "region_gradients",
    "relu_domain_upper_bound",
    "sdp_dual_value",
    "slope_ranges",
    "spectral_multipliers",
    "spectral_upper_bound",
]
