"""The Lipschitz toolkit: certified brackets of a network's Lipschitz constant, every norm.

``lower`` is attained at a witness the caller can re-verify; ``upper`` is proved;
``exact`` is set only where it is computed exactly. Submodules: ``slopes`` (slope
ranges and their cache), ``norms`` (ℓp helpers), ``witness`` (one witness type),
``search`` and ``ascent`` (lower bounds), ``upper`` (closed-form upper bounds),
``deep`` (deep-network bounds), ``lipsdp`` (the LipSDP reduction), ``vector_*``
(networks with m outputs: block LipSDP, witnesses, branch and bound), ``exact``
(enumeration) and ``report`` (one report for every p). Other packages import
only this face; the submodules never import it. May import :mod:`theory`,
:mod:`numerics.models` and the root plumbing; never :mod:`numerics.certify`,
:mod:`numerics.construct` or :mod:`numerics.experiments`.
"""

from numerics.lipschitz.bnb import (  # noqa: F401
    BnBResult,
    branch_and_bound_lipschitz,
)
from numerics.lipschitz.deep import product_norm_upper_bound  # noqa: F401
from numerics.lipschitz.exact import (  # noqa: F401
    ExactResult,
    exact_lp_lipschitz,
    exact_relu_lipschitz,
    region_gradients,
)
from numerics.lipschitz.lipsdp import (  # noqa: F401  # noqa: F401
    LipSDPResult,
    NeuronSectors,
    certify_multipliers,
    lipsdp_matrix,
    lipsdp_sector_bound,
    lipsdp_upper_bound,
    neuron_sectors,
    reduced_matrix,
    sdp_dual_value,
    spectral_multipliers,
)
from numerics.lipschitz.norms import (  # noqa: F401
    INF,
    P_VALUES,
    dual_direction,
    dual_exponent,
    lp_norm,
    operator_norm_bound,
)
from numerics.lipschitz.report import (  # noqa: F401
    InconsistentBoundsError,
    LipschitzReport,
    lipschitz_report,
)
from numerics.lipschitz.search import (  # noqa: F401
    gradient_lower_bound,
    lp_lower_bound,
    pair_lower_bound,
)
from numerics.lipschitz.slopes import slope_ranges  # noqa: F401
from numerics.lipschitz.upper import (  # noqa: F401
    box_upper_bound_lp,
    centered_upper_bound,
    conversion_upper_bound_lp,
    operator_upper_bound_lp,
    path_norm_upper_bound,
    path_norm_upper_bound_lp,
    spectral_upper_bound,
)
from numerics.lipschitz.vector_bnb import vector_branch_and_bound  # noqa: F401
from numerics.lipschitz.vector_lipsdp import (  # noqa: F401
    VectorLipSDPResult,
    vector_closed_form_bound,
    vector_lipsdp_upper_bound,
)
from numerics.lipschitz.vector_search import VectorWitness, vector_lower_bound  # noqa: F401
from numerics.lipschitz.witness import Witness  # noqa: F401

__all__ = [
    "BnBResult",
    "ExactResult",
    "INF",
    "InconsistentBoundsError",
    "LipSDPResult",
    "LipschitzReport",
    "NeuronSectors",
    "P_VALUES",
    "VectorLipSDPResult",
    "VectorWitness",
    "Witness",
    "box_upper_bound_lp",
    "branch_and_bound_lipschitz",
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
    "lipsdp_sector_bound",
    "lipsdp_upper_bound",
    "lp_lower_bound",
    "lp_norm",
    "neuron_sectors",
    "operator_norm_bound",
    "operator_upper_bound_lp",
    "pair_lower_bound",
    "path_norm_upper_bound",
    "path_norm_upper_bound_lp",
    "product_norm_upper_bound",
    "reduced_matrix",
    "region_gradients",
    "sdp_dual_value",
    "slope_ranges",
    "spectral_multipliers",
    "spectral_upper_bound",
    "vector_branch_and_bound",
    "vector_closed_form_bound",
    "vector_lipsdp_upper_bound",
    "vector_lower_bound",
]
